#!/bin/bash
# root=UUID= on a virtio disk holding a bare ext4 file system, booted with
# Debian's 6.1 kernel (virtio drivers as modules, found by coldplug) and its
# 6.12 kernel (virtio_pci built in, modules xz-compressed in the package).
# The root's init runs, the root is mounted read-only, virtio_blk and ext4
# are loaded (or built in).
# shellcheck source=tests/boot/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_B" "$KVER_C"
make_rootfs root
for kver in "$KVER_B" "$KVER_C"; do
        make_initrd "$kver"
        boot "$kver" "root=UUID=$ROOT_UUID"
        assert_booted
        assert_mounted /dev/vda ro
        assert_module "$kver" virtio_blk virtio_pci ext4 jbd2
done
