/* SPDX-License-Identifier: GPL-2.0 */
#ifndef DKTEST_H
#define DKTEST_H

/* DKTEST_MAGIC is defined by patches/fix-build.patch. */

int dktest_core_value(void);

#endif
