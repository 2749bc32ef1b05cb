/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "util/macro.h"

/* Kernel release strings (KVER, `uname -r`). */

/* Orders versions as users expect: numeric runs compare as numbers
 * (6.1.0-9 < 6.1.0-10 < 6.12.1), "-rcN" sorts before the release it precedes
 * (6.12.0-rc7 < 6.12.0), '~' sorts before anything (Debian). Returns <0, 0, >0. */
int kver_compare(const char *a, const char *b);
/* A KVER usable as a path component: [A-Za-z0-9._+~-], at most 128 chars, not
 * starting with '.' or '-', no "..". */
bool kver_is_valid(const char *kver);
