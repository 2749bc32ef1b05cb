// SPDX-License-Identifier: GPL-2.0
/* dkshadow_new: the module of the package that the kernel does not have. */
#include <linux/module.h>
#include <linux/init.h>

static int __init dkshadow_new_init(void)
{
	return 0;
}

static void __exit dkshadow_new_exit(void)
{
}

module_init(dkshadow_new_init);
module_exit(dkshadow_new_exit);

MODULE_DESCRIPTION("distkernel test: a module of the package's own");
MODULE_AUTHOR("distkernel tests");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
