// SPDX-License-Identifier: GPL-2.0
/* A module built as the build user (tests/integration/t-build-user.sh). */
#include <linux/module.h>
#include <linux/init.h>

static int __init dkpriv_init(void)
{
	pr_info("dkpriv 1.0 loaded\n");
	return 0;
}

static void __exit dkpriv_exit(void)
{
}

module_init(dkpriv_init);
module_exit(dkpriv_exit);
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
MODULE_DESCRIPTION("distkernel test module built by an unprivileged user");
