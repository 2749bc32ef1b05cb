/* SPDX-License-Identifier: GPL-2.0-or-later */
#pragma once

#include "boot/env.h"
#include "core/state.h"

/* kernel-install interop (kernel-install = yes, layout bls): the kernel and
 * the initramfs distkernel made are handed to `kernel-install add`, with
 * KERNEL_INSTALL_CONF_ROOT pointing at our token, command line and an
 * install.conf that asks for the bls layout and no initrd generator, so that
 * its plugins install our initramfs and generate none of their own. The files
 * it creates (targets, root-relative) are then recorded as ours. */
int boot_kernel_install_add(const struct root *root, struct state *st, const struct boot_env *env,
                            const char *kver, const char *image, const char *initrd, char *const *targets);
