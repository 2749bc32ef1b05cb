#!/bin/bash
# A full ESP (uki layout, the ESP a size-limited tmpfs): four kernels, the
# oldest a copy of KVER_A under an older version. With three UKIs installed
# the ESP has no room for the newest kernel's: sync fails with an error that
# says how much is needed and free and which old kernel's UKI could go, leaves
# every file on the ESP as it was and no temp file, and does not change the
# default. With esp-auto-gc = yes it removes the oldest unprotected UKI,
# installs the new one and makes it the default.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_stub
need_kernel "$KVER_A" "$KVER_B" "$KVER_C"
old=6.1.0-1-amd64
mkroot "$KVER_A"
add_older_kernel "$old" "$KVER_A"
addkernel "$KVER_B"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo esp >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"

step "three kernels, three UKIs"
dk_timed 0 sync
assert_contains "$DK_OUT" "default kernel: $KVER_B" "sync output"

step "the ESP on a tmpfs with room for less than one more UKI"
used=$(du -sb "$ROOT/efi" | cut -f1)
spare=$(($(stat -c %s "$KERNELS_DIR/$KVER_C/boot/vmlinuz-$KVER_C") / 2))
cp -a "$ROOT/efi" "$TEST_TMP/efi-copy"
mount -t tmpfs -o size=$(((used + spare) / 1024))k distkernel-test-esp "$ROOT/efi" 2>/dev/null ||
        skip "cannot mount a tmpfs (not allowed here)"
unmount_esp() {
        local rc=$?
        umount "$ROOT/efi" 2>/dev/null || :
        (exit "$rc")
        cleanup # returns the test's status
}
trap unmount_esp EXIT
cp -a "$TEST_TMP/efi-copy/." "$ROOT/efi/"
df -h "$ROOT/efi" | tail -n 1

step "a new kernel does not fit: a clear error, nothing on the ESP changed"
addkernel "$KVER_C"
snapshot "$ROOT/efi" >"$TEST_TMP/before"
dk 1 sync
assert_contains "$DK_ERR" "/efi/EFI/Linux': not enough space" "sync errors"
assert_contains "$DK_ERR" "removing the entries of older kernels would free" "sync errors"
assert_contains "$DK_ERR" "$old (" "sync errors"
assert_contains "$DK_ERR" "esp-auto-gc = yes" "sync errors"
snapshot "$ROOT/efi" >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "the ESP after ENOSPC"
[[ -z $(find "$ROOT/efi" -name '.#*') ]] || fail "temp files left on the ESP: $(find "$ROOT/efi" -name '.#*')"
dk 0 --json status
assert_eq "$KVER_B" "$(jq -r .default <<<"$DK_OUT")" "default after ENOSPC"

step "esp-auto-gc = yes: the oldest unprotected UKI goes, the new kernel is installed and promoted"
echo "esp-auto-gc = yes" >"$ROOT/etc/distkernel/distkernel.conf"
dk_timed 0 sync
assert_contains "$DK_ERR" "kernel '$old': removed its boot entry" "sync warnings"
assert_absent "$ROOT/efi/EFI/Linux/esp-$old.efi"
assert_file "$ROOT/efi/EFI/Linux/esp-$KVER_C.efi" "$ROOT/efi/EFI/Linux/esp-$KVER_A.efi" "$ROOT/efi/EFI/Linux/esp-$KVER_B.efi"
assert_contains "$DK_OUT" "default kernel: $KVER_C, fallback: $KVER_B" "sync output"
