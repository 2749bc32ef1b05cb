// SPDX-License-Identifier: GPL-2.0
/* A stand-in for the kernel's tsl2550 driver, in an older version. */
#include <linux/module.h>
#include <linux/init.h>

static int __init tsl2550_init(void)
{
	return 0;
}

static void __exit tsl2550_exit(void)
{
}

module_init(tsl2550_init);
module_exit(tsl2550_exit);

MODULE_DESCRIPTION("distkernel test: a package's tsl2550");
MODULE_AUTHOR("distkernel tests");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
