// SPDX-License-Identifier: GPL-2.0
/* dktest_user: uses the symbol exported by dktest_core. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/printk.h>

#include "dktest.h"
#include "generated.h" /* made by pre-build.sh */

static int __init dktest_user_init(void)
{
	pr_info("dktest_user 1.0: core says %d\n", dktest_core_value());
	return 0;
}

static void __exit dktest_user_exit(void)
{
}

module_init(dktest_user_init);
module_exit(dktest_user_exit);

MODULE_DESCRIPTION("distkernel test module (uses dktest_core)");
MODULE_AUTHOR("distkernel tests");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
