#!/bin/bash
# Retention (bls layout): four kernels, the oldest a copy of KVER_A under an
# older version. With C the default and A the previous default, keep = 2 leaves
# C and B (the newest two) and A (the fallback); the oldest is removed unless
# pinned. gc removes exactly that kernel's artifacts (BLS entry, kernel and
# initramfs copies on $BOOT, its initramfs, its built modules, build dirs,
# logs) and nothing else: a snapshot of every other file is unchanged. The
# packaged kernel's own files stay (gc says so) and sync does not rebuild it.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_B" "$KVER_C"
old=6.1.0-1-amd64
mkroot "$KVER_A"
step "a fourth, older kernel: $KVER_A's files under the version $old"
add_older_kernel "$old" "$KVER_A"
mkdir -p "$ROOT/efi/EFI" "$ROOT/etc/distkernel" "$ROOT/etc/kernel"
echo dktest >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
printf 'layout = bls\nkeep = 10\n' >"$ROOT/etc/distkernel/distkernel.conf"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0

step "sync: $KVER_A the default; then B and C arrive, C the default and A the fallback"
dk_timed 0 sync
assert_file "$ROOT/efi/loader/entries/dktest-$old.conf" "$ROOT/efi/dktest/$old/linux" "$ROOT/efi/dktest/$old/initrd"
addkernel "$KVER_B"
addkernel "$KVER_C"
dk_timed 0 sync
assert_contains "$DK_OUT" "default kernel: $KVER_C, fallback: $KVER_A" "sync output"
entry=$(cat "$ROOT/efi/loader/entries/dktest-$KVER_C.conf")
assert_contains "$entry" "linux /dktest/$KVER_C/linux" "BLS entry"
assert_contains "$entry" "initrd /dktest/$KVER_C/initrd" "BLS entry"
assert_contains "$entry" "options root=LABEL=test ro" "BLS entry"
assert_contains "$entry" "version $KVER_C" "BLS entry"

printf 'layout = bls\nkeep = 2\n' >"$ROOT/etc/distkernel/distkernel.conf"
step "$old pinned: gc removes nothing"
dk 0 kernel pin "$old"
dk 0 gc
assert_contains "$DK_OUT" "kept $old: pinned" "gc output"
assert_contains "$DK_OUT" "kept $KVER_A: the previous default" "gc output"
assert_file "$ROOT/efi/loader/entries/dktest-$old.conf"
dk 0 kernel unpin "$old"
dk 0 gc --dry-run
assert_contains "$DK_OUT" "would remove $old" "gc --dry-run output"
assert_file "$ROOT/efi/loader/entries/dktest-$old.conf"

step "gc with keep = 2 removes $old's artifacts and nothing else"
others() { snapshot "$ROOT" | grep -v -e "$old" -e "/var/lib/distkernel/state.db"; }
others >"$TEST_TMP/before"
dk 0 gc
assert_contains "$DK_OUT" "removed $old" "gc output"
assert_contains "$DK_ERR$DK_OUT" "belong to the package manager" "gc output"
others >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "files of the other kernels"
assert_absent "$ROOT/efi/loader/entries/dktest-$old.conf" "$ROOT/efi/dktest/$old" \
        "$ROOT/var/lib/distkernel/initramfs/initrd.img-$old" "$ROOT/usr/lib/modules/$old/updates/dkms/dkroot.ko" \
        "$ROOT/var/lib/distkernel/build/$old" "$ROOT/var/lib/distkernel/log/dkroot-1.0/$old.log"
assert_file "$ROOT/boot/vmlinuz-$old" "$ROOT/usr/lib/modules/$old/modules.dep"
for k in "$KVER_A" "$KVER_B" "$KVER_C"; do
        assert_file "$ROOT/efi/loader/entries/dktest-$k.conf"
done

step "the next sync leaves $old alone"
dk_timed 0 sync
assert_absent "$ROOT/efi/loader/entries/dktest-$old.conf" "$ROOT/usr/lib/modules/$old/updates/dkms/dkroot.ko"
