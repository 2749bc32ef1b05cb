// SPDX-License-Identifier: GPL-2.0
/* dktest_core: exports a symbol that dktest_user uses. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/printk.h>

#include "dktest.h"
#include "generated.h" /* made by pre-build.sh */

int dktest_core_value(void)
{
	return DKTEST_MAGIC;
}
EXPORT_SYMBOL_GPL(dktest_core_value);

static int __init dktest_core_init(void)
{
	pr_info("dktest_core 1.0 loaded (%s)\n", DKTEST_GENERATED_BY);
	return 0;
}

static void __exit dktest_core_exit(void)
{
}

module_init(dktest_core_init);
module_exit(dktest_core_exit);

MODULE_DESCRIPTION("distkernel test module (exports a symbol)");
MODULE_AUTHOR("distkernel tests");
MODULE_VERSION("1.0");
MODULE_LICENSE("GPL");
