#!/bin/bash
# With /bin/sh in the initramfs: rd.break starts it on the console with the
# root mounted at /sysroot, and leaving it goes on booting; a missing root
# starts it as an emergency shell instead of powering off.
# shellcheck source=tests/boot/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_C"
make_rootfs root
make_initrd "$KVER_C" --shell

# What is typed is echoed by the terminal too: look for the computed value.
BOOT_SEND_AFTER='rd.break: starting /bin/sh' BOOT_SEND=$'echo SHELL-$((6 * 7)); ls /sysroot/sbin/init; exit\n' \
        boot "$KVER_C" "root=UUID=$ROOT_UUID rd.break"
grep -q 'distkernel-init: rd.break: starting /bin/sh' <<<"$CONSOLE" || boot_fail "rd.break did not start the shell"
grep -q '^SHELL-42' <<<"$CONSOLE" || boot_fail "the shell did not run what was typed"
grep -q '^/sysroot/sbin/init' <<<"$CONSOLE" || boot_fail "the root was not mounted at /sysroot in the shell"
check "rd.break: a shell on the console, the root at /sysroot"
assert_booted
assert_mounted /dev/vda ro
check "leaving the shell went on booting"

missing=$(cat /proc/sys/kernel/random/uuid)
BOOT_TIMEOUT=150 BOOT_SEND_AFTER='cannot go on: starting /bin/sh' \
        BOOT_SEND=$'echo EMERGENCY-$((6 * 7)); busybox poweroff -f\n' \
        boot "$KVER_C" "root=UUID=$missing rd.timeout=3"
((BOOT_RC == 1)) || boot_fail "boot.sh exit $BOOT_RC: expected a failed boot that QEMU leaves by itself"
grep -q "distkernel-init: waited 3 s for root=UUID=$missing" <<<"$CONSOLE" || boot_fail "no 'waited' message"
grep -q '^EMERGENCY-42' <<<"$CONSOLE" || boot_fail "no emergency shell"
check "missing root: message, then an emergency shell"
