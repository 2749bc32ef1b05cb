// SPDX-License-Identifier: GPL-2.0
/* A stand-in for a root file system module: announces itself when loaded. */
#include <linux/module.h>
#include <linux/init.h>

static int __init dkroot_init(void)
{
	pr_info("dkroot 1.0 loaded\n");
	return 0;
}

static void __exit dkroot_exit(void)
{
}

module_init(dkroot_init);
module_exit(dkroot_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
MODULE_DESCRIPTION("distkernel test module carried by the initramfs");
