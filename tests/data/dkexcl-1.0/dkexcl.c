// SPDX-License-Identifier: GPL-2.0
/* dkexcl: a one-module distkernel test package. */
#include <linux/module.h>
#include <linux/init.h>

static int __init dkexcl_init(void)
{
	return 0;
}

static void __exit dkexcl_exit(void)
{
}

module_init(dkexcl_init);
module_exit(dkexcl_exit);

MODULE_DESCRIPTION("distkernel test module");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
