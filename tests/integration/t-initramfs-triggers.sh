#!/bin/bash
# The initramfs is a node of the graph: it is regenerated exactly when what it
# carries changes. A REMAKE_INITRD=yes package upgraded -> both kernels' images
# are regenerated and hold the new module; a package the initramfs does not
# carry upgraded -> the images keep their bytes; a new kernel -> only it gets
# an image. Uses the default (builtin) generator.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v unmkinitramfs >/dev/null || skip "unmkinitramfs (initramfs-tools-core) is not installed"
need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A"
put_source dkroot-1.0 >/dev/null
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0
dk 0 module add /usr/src/dktest-1.0

img() { echo "$ROOT/boot/initrd.img-$1"; }
# version_in IMAGE MODULE: the MODULE_VERSION of MODULE inside the image
version_in() {
        local dir=$TEST_TMP/unpack.$RANDOM ko
        unmkinitramfs "$1" "$dir" || fail "unmkinitramfs $1"
        ko=$(find "$dir" -name "$2.ko*" | head -n 1)
        [[ -n $ko ]] || fail "$2 is not in $1"
        modinfo -F version "$ko"
}

step "first sync: modules and an initramfs carrying dkroot"
dk_timed 0 sync
assert_file "$(img "$KVER_A")"
assert_eq 1.0 "$(version_in "$(img "$KVER_A")" dkroot)" "dkroot version in the initramfs"
status_json
assert_eq current "$(jq -r --arg k "$KVER_A" '.kernels[] | select(.kver == $k) | .initramfs.state' "$STATUS_FILE")" \
        "initramfs state"

step "a kernel is added: only it gets a new initramfs"
sum_a=$(sha256sum <"$(img "$KVER_A")")
addkernel "$KVER_B"
dk_timed 0 sync
assert_file "$(img "$KVER_B")"
assert_eq "$sum_a" "$(sha256sum <"$(img "$KVER_A")")" "$KVER_A's initramfs"

step "a package the initramfs does not carry is upgraded: no initramfs changes"
sum_a=$(sha256sum <"$(img "$KVER_A")")
sum_b=$(sha256sum <"$(img "$KVER_B")")
mtime_a=$(stat -c %Y "$(img "$KVER_A")")
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
sleep 1
dk_timed 0 sync
assert_eq "$sum_a" "$(sha256sum <"$(img "$KVER_A")")" "$KVER_A's initramfs after a dktest upgrade"
assert_eq "$sum_b" "$(sha256sum <"$(img "$KVER_B")")" "$KVER_B's initramfs after a dktest upgrade"
assert_eq "$mtime_a" "$(stat -c %Y "$(img "$KVER_A")")" "$KVER_A's initramfs mtime"

step "the carried package is upgraded: both images are regenerated with the new module"
put_source dkroot-2.0 >/dev/null
dk 0 module add /usr/src/dkroot-2.0
dk_timed 0 sync
for k in "$KVER_A" "$KVER_B"; do
        assert_ne "$sum_a" "$(sha256sum <"$(img "$k")")" "$k's initramfs after a dkroot upgrade"
        assert_eq 2.0 "$(version_in "$(img "$k")" dkroot)" "dkroot version in $k's initramfs"
done

step "a sync right after regenerates nothing"
sum_a=$(sha256sum <"$(img "$KVER_A")")
dk_timed 0 sync
assert_eq "$sum_a" "$(sha256sum <"$(img "$KVER_A")")" "$KVER_A's initramfs"

step "'initramfs KVER' regenerates one kernel's image; the same inputs give the same bytes"
sum_b=$(sha256sum <"$(img "$KVER_B")")
dk 0 initramfs "$KVER_A"
assert_eq "$sum_a" "$(sha256sum <"$(img "$KVER_A")")" "a regenerated image (reproducible)"
assert_eq "$sum_b" "$(sha256sum <"$(img "$KVER_B")")" "the other kernel's image"
