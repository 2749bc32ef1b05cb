// SPDX-License-Identifier: GPL-2.0
/* dk-alias: aliases, a device node, a soft dependency and a symbol for the
 * depmod indexes; it does nothing when loaded. */
#include <linux/module.h>
#include <linux/init.h>
#include <linux/pci.h>

static const struct pci_device_id dk_alias_ids[] = {
	{ PCI_DEVICE(0x1af4, 0x10f7) },
	{ }
};
MODULE_DEVICE_TABLE(pci, dk_alias_ids);

int dk_alias_value(void)
{
	return 42;
}
EXPORT_SYMBOL_GPL(dk_alias_value);

static int __init dk_alias_init(void)
{
	return 0;
}

static void __exit dk_alias_exit(void)
{
}

module_init(dk_alias_init);
module_exit(dk_alias_exit);

MODULE_ALIAS("dk-alias-test");
MODULE_ALIAS("dkalias:[a-c]-x*");
MODULE_ALIAS("devname:dk-alias");
MODULE_ALIAS("char-major-10-247");
MODULE_SOFTDEP("pre: dktest_core");
MODULE_DESCRIPTION("distkernel test: entries for every depmod index");
MODULE_AUTHOR("distkernel tests");
MODULE_LICENSE("GPL");
MODULE_VERSION("1.0");
