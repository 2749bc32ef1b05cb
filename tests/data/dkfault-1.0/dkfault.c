// SPDX-License-Identifier: GPL-2.0-or-later
/* dkfault: the smallest module, for the fault-injection test of a whole sync. */
#include <linux/module.h>

static int __init dkfault_init(void) { return 0; }
static void __exit dkfault_exit(void) {}
module_init(dkfault_init);
module_exit(dkfault_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
