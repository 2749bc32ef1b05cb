#!/bin/bash
# root=UUID=<nothing has it>, rd.timeout=5: the init says on the console what
# it waited for and what it found, then powers off, so QEMU stops by itself
# well before the harness's timeout. Likewise init=<missing>.
# shellcheck source=tests/boot/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_B"
make_rootfs root
make_initrd "$KVER_B"
missing=$(cat /proc/sys/kernel/random/uuid)

BOOT_TIMEOUT=150 boot "$KVER_B" "root=UUID=$missing rd.timeout=5"
((BOOT_RC != 3)) || boot_fail "QEMU did not stop by itself"
((BOOT_RC == 1)) || boot_fail "boot.sh exit $BOOT_RC: the boot should have failed without the marker"
check "no DISTKERNEL-BOOT-OK, QEMU stopped by itself after $BOOT_SECS s"
msg=$(grep -o 'distkernel-init: waited .*' <<<"$CONSOLE") || boot_fail "no 'waited' message on the console"
[[ $msg == "distkernel-init: waited 5 s for root=UUID=$missing (no block device with that UUID; found: "* ]] ||
        boot_fail "unexpected message: $msg"
[[ $msg == *"vda (ext4 UUID=$ROOT_UUID LABEL=$ROOT_LABEL)"* ]] || boot_fail "the message does not list vda: $msg"
check "message: $msg"
grep -q 'distkernel-init: no shell in the initramfs: powering off' <<<"$CONSOLE" ||
        boot_fail "no word of powering off"
grep -q 'reboot: Power down' <<<"$CONSOLE" || boot_fail "the kernel did not power down"
check "powered off"
# The message comes about rd.timeout after /init started, not minutes later.
t_init=$(sed -nE 's/^\[ *([0-9]+)\.[0-9]+\] Run \/init as init process$/\1/p' <<<"$CONSOLE")
t_msg=$(sed -nE 's/^\[ *([0-9]+)\.[0-9]+\] distkernel-init: waited .*/\1/p' <<<"$CONSOLE")
[[ -n $t_init && -n $t_msg ]] || boot_fail "no kernel timestamps for /init or the message"
((t_msg - t_init >= 4 && t_msg - t_init <= 30)) ||
        boot_fail "the message came $((t_msg - t_init)) s after /init started, expected about 5"
check "message $((t_msg - t_init)) s after /init started"

step "init= names a file the root does not have"
BOOT_TIMEOUT=150 boot "$KVER_B" "root=UUID=$ROOT_UUID init=/sbin/no-such-init"
((BOOT_RC == 1)) || boot_fail "boot.sh exit $BOOT_RC: expected a failed boot that QEMU leaves by itself"
grep -q "distkernel-init: init='/sbin/no-such-init': not an executable file in the root file system" <<<"$CONSOLE" ||
        boot_fail "the missing init was not reported"
check "init=/sbin/no-such-init reported; QEMU stopped by itself after $BOOT_SECS s"
