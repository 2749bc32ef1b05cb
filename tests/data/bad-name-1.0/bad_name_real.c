// SPDX-License-Identifier: GPL-2.0
/* bad_name_real: a one-module distkernel test package. */
#include <linux/module.h>
#include <linux/init.h>

static int __init bad_name_real_init(void)
{
	return 0;
}

static void __exit bad_name_real_exit(void)
{
}

module_init(bad_name_real_init);
module_exit(bad_name_real_exit);

MODULE_DESCRIPTION("distkernel test module");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
