#!/bin/bash
# root=LABEL= and root=PARTLABEL= on a GPT disk, with rw and rd.break: with no
# shell in the initramfs, rd.break is reported and the boot goes on.
# shellcheck source=tests/boot/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_C"
make_rootfs gpt --partitioned
make_initrd "$KVER_C"

boot "$KVER_C" "root=LABEL=$ROOT_LABEL rw rd.break"
assert_booted
assert_mounted /dev/vda1 rw
grep -q 'distkernel-init: rd.break: no /bin/sh in the initramfs, going on' <<<"$CONSOLE" ||
        boot_fail "rd.break without a shell was not reported"
check "rd.break without a shell: reported, boot went on"

boot "$KVER_C" "root=PARTLABEL=$ROOT_PARTLABEL"
assert_booted
assert_mounted /dev/vda1 ro
