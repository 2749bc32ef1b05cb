#!/bin/bash
# dracut asked for a UEFI executable (uefi=yes in the root's dracut.conf.d),
# layout uki: sync has dracut build it with the root's command line, and
# installs that executable as the UKI instead of assembling another: the file
# on the ESP is dracut's, byte for byte, no initramfs is installed anywhere
# else, and it boots under OVMF to the root file system with dkroot loaded.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BOOT=$REPO/tests/boot
command -v dracut >/dev/null || skip "dracut is not installed"
need_stub
need_kernel "$KVER_A"
mkroot "$KVER_A"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0
disk=$TEST_TMP/root.img
uuid=$("$BOOT/mkrootfs.sh" "$disk" | sed -n 's/^UUID=//p')
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel" "$ROOT/etc/distkernel" "$ROOT/etc/dracut.conf.d"
echo du >"$ROOT/etc/kernel/entry-token"
echo "root=UUID=$uuid rw panic=-1 console=ttyS0 dk.dracut=uefi" >"$ROOT/etc/kernel/cmdline"
echo "initramfs = dracut" >"$ROOT/etc/distkernel/distkernel.conf"
echo 'uefi="yes"' >"$ROOT/etc/dracut.conf.d/50-uefi.conf"

step "sync: dracut makes the UEFI executable, distkernel installs it as the UKI"
dk_timed 0 sync
uki=$ROOT/efi/EFI/Linux/du-$KVER_A.efi
made=$ROOT/var/lib/distkernel/initramfs/initrd.img-$KVER_A
assert_file "$uki" "$made"
cmp -s "$uki" "$made" || fail "the UKI is not dracut's executable"
assert_absent "$ROOT/boot/initrd.img-$KVER_A" "$ROOT/var/lib/distkernel/stage/$KVER_A.efi"
objcopy -O binary --only-section=.cmdline "$uki" "$TEST_TMP/cmdline"
assert_contains "$(tr -d '\0' <"$TEST_TMP/cmdline")" "dk.dracut=uefi" "the executable's .cmdline"

step "a no-op sync keeps it"
before=$(stat -c %Y "$uki")
dk_timed 0 sync
assert_eq "$before" "$(stat -c %Y "$uki")" "the UKI's mtime"

step "a new command line makes dracut build it again"
echo "root=UUID=$uuid rw panic=-1 console=ttyS0 dk.dracut=again" >"$ROOT/etc/kernel/cmdline"
dk_timed 0 sync
objcopy -O binary --only-section=.cmdline "$uki" "$TEST_TMP/cmdline"
assert_contains "$(tr -d '\0' <"$TEST_TMP/cmdline")" "dk.dracut=again" "the executable's .cmdline"

step "it boots"
boot_uki "$uki" "$disk" "dracut's UKI"
grep -q "^DISTKERNEL-CMDLINE: .*dk.dracut=again" "$CONSOLE" || fail "the booted kernel did not get the command line"
grep -q '^dkroot ' "$CONSOLE" || fail "dkroot is not loaded in the booted system"
