// SPDX-License-Identifier: GPL-2.0
/* bad_build: a one-module distkernel test package. */
#include <linux/module.h>
#include <linux/init.h>

static int __init bad_build_init(void)
{
	/* Broken on purpose: does not compile on any kernel. */
	this_function_does_not_exist(42)
	return 0;
}

static void __exit bad_build_exit(void)
{
}

module_init(bad_build_init);
module_exit(bad_build_exit);

MODULE_DESCRIPTION("distkernel test module");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
