#!/bin/bash
# root=PARTUUID= on partitioned virtio disks: the GPT partition's GUID
# (6.12 kernel), and the DOS form SSSSSSSS-NN (6.1 kernel).
# shellcheck source=tests/boot/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_B" "$KVER_C"

step "GPT"
make_rootfs gpt --partitioned
make_initrd "$KVER_C"
boot "$KVER_C" "root=PARTUUID=$ROOT_PARTUUID"
assert_booted
assert_mounted /dev/vda1 ro

step "MBR"
make_rootfs mbr --mbr
[[ $ROOT_PARTUUID == ????????-01 ]] || fail "mkrootfs.sh --mbr: PARTUUID '$ROOT_PARTUUID' is not SSSSSSSS-01"
make_initrd "$KVER_B"
# Upper case: the init compares PARTUUIDs without regard to case, like the kernel.
boot "$KVER_B" "root=PARTUUID=${ROOT_PARTUUID^^}"
assert_booted
assert_mounted /dev/vda1 ro
