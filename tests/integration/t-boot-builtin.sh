#!/bin/bash
# The builtin initramfs boots a real root: a sandbox root with a Debian kernel
# and the REMAKE_INITRD=yes test package; sync builds the module and the
# initramfs (distkernel's own /init); QEMU (TCG) boots the kernel with it and
# a virtio disk holding an ext4 busybox root, root=UUID=... The booted system
# prints its loaded modules: virtio_blk, ext4 (or built in) and the carried
# dkroot module must be there. With the dracut generator (generic mode) the
# same boot must work too.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BOOT=$REPO/tests/boot
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
command -v busybox >/dev/null || skip "busybox is not installed"
need_kernel "$KVER_A"
mkroot "$KVER_A"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0

step "sync builds dkroot and the builtin initramfs"
dk_timed 0 sync
img=$ROOT/boot/initrd.img-$KVER_A
assert_file "$img"

step "a root file system image"
disk=$TEST_TMP/root.img
ids=$("$BOOT/mkrootfs.sh" "$disk") || fail "mkrootfs.sh"
uuid=$(sed -n 's/^UUID=//p' <<<"$ids")
[[ -n $uuid ]] || fail "mkrootfs.sh printed no UUID: $ids"

# boot GENERATOR [ROOT= [DISK]]: boots $img, checks the console
boot() {
        local log=$TEST_TMP/console-$1.log rc=0 rootarg=${2:-UUID=$uuid} d=${3:-$disk}
        step "boot with the $1 initramfs, root=$rootarg"
        BOOT_LOG=$log BOOT_QUIET=1 BOOT_TIMEOUT=${BOOT_TIMEOUT:-240} \
                "$BOOT/boot.sh" "$ROOT/boot/vmlinuz-$KVER_A" "$img" "root=$rootarg rw panic=-1" "$d" || rc=$?
        if ((rc != 0)); then
                tail -n 60 "$log" >&2
                fail "the $1 initramfs did not boot (boot.sh exit $rc)"
        fi
        grep -q '^dkroot ' "$log" || { tail -n 40 "$log" >&2; fail "dkroot is not loaded in the booted system"; }
        grep -q '^virtio_blk ' "$log" || grep -q 'virtio_blk' "$log" || fail "virtio_blk not loaded"
        echo "booted with the $1 initramfs: dkroot loaded"
}
boot builtin

step "a partitioned disk: root=PARTUUID= with the same image"
pdisk=$TEST_TMP/root-gpt.img
ids=$("$BOOT/mkrootfs.sh" "$pdisk" --partitioned) || fail "mkrootfs.sh --partitioned"
partuuid=$(sed -n 's/^PARTUUID=//p' <<<"$ids")
[[ -n $partuuid ]] || fail "mkrootfs.sh printed no PARTUUID: $ids"
boot builtin "PARTUUID=$partuuid" "$pdisk"

step "a missing root device: the init says what it waited for, and QEMU stops"
missing=$(cat /proc/sys/kernel/random/uuid)
log=$TEST_TMP/console-missing.log
rc=0
BOOT_LOG=$log BOOT_QUIET=1 BOOT_TIMEOUT=150 "$BOOT/boot.sh" "$ROOT/boot/vmlinuz-$KVER_A" "$img" \
        "root=UUID=$missing rd.timeout=5 panic=-1" "$disk" || rc=$?
((rc == 1)) || { tail -n 30 "$log" >&2; fail "boot.sh exit $rc with a missing root (1: stopped without the marker)"; }
grep -q "distkernel-init: waited 5 s for root=UUID=$missing" "$log" ||
        { tail -n 30 "$log" >&2; fail "no message saying what the init waited for"; }
echo "missing root reported: $(grep -ao 'distkernel-init: waited .*' "$log" | head -n 1 | tr -d '\r')"

if command -v dracut >/dev/null && [[ ${SKIP_DRACUT_BOOT:-} != 1 ]]; then
        mkdir -p "$ROOT/etc/distkernel"
        echo "initramfs = dracut" >"$ROOT/etc/distkernel/distkernel.conf"
        step "sync with the dracut generator (generic)"
        dk_timed 0 sync
        boot dracut
fi
