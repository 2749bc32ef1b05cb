#!/bin/bash
# The uki layout end to end: a sandbox root with an ESP at /efi (EFI/Linux
# present, so layout = auto picks uki), an entry token, a kernel command line
# and the REMAKE_INITRD=yes package dkroot. sync builds the module, the builtin
# initramfs (kept in the state dir, not in /boot) and the UKI
# /efi/EFI/Linux/TOKEN-KVER.efi with the kernel, the initramfs, .cmdline,
# .osrel and .uname. A second sync rewrites nothing; a new command line
# rebuilds the UKI and nothing else. The UKI then boots under OVMF, both as the
# removable-media loader EFI/BOOT/BOOTX64.EFI and from EFI/Linux/ through
# systemd-boot: the root file system's marker appears, the booted kernel saw
# the command line of .cmdline and dkroot is loaded.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BOOT=$REPO/tests/boot
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
sdboot=/usr/lib/systemd/boot/efi/systemd-bootx64.efi
[[ -r $stub && -r $sdboot ]] || skip "systemd-boot-efi is not installed"
command -v objcopy >/dev/null || skip "objcopy is not installed"
need_kernel "$KVER_A"
mkroot "$KVER_A"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0

step "a root disk, an ESP, a token and a command line"
disk=$TEST_TMP/root.img
ids=$("$BOOT/mkrootfs.sh" "$disk") || fail "mkrootfs.sh"
uuid=$(sed -n 's/^UUID=//p' <<<"$ids")
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
echo dktest >"$ROOT/etc/kernel/entry-token"
echo "root=UUID=$uuid rw panic=-1 console=ttyS0 dk.test=1" >"$ROOT/etc/kernel/cmdline"

step "sync: module, initramfs and UKI"
dk_timed 0 sync
uki=$ROOT/efi/EFI/Linux/dktest-$KVER_A.efi
initrd=$ROOT/var/lib/distkernel/initramfs/initrd.img-$KVER_A
assert_file "$uki" "$initrd"
assert_absent "$ROOT/boot/initrd.img-$KVER_A" "$ROOT/boot/vmlinuz"
assert_contains "$DK_OUT" "default kernel: $KVER_A" "sync output"
sections=$(objdump -h "$uki" | awk '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }')
assert_contains "$sections" ".osrel .cmdline .uname .initrd" "UKI sections"
assert_contains "$sections" ".linux" "UKI sections"
section() { objcopy -O binary --only-section="$1" "$uki" "$TEST_TMP/section" && tr -d '\0' <"$TEST_TMP/section"; }
assert_eq "$(cat "$ROOT/etc/kernel/cmdline")" "$(section .cmdline)" ".cmdline section"
assert_eq "$KVER_A" "$(section .uname)" ".uname section"
# (objcopy dumps the section padded to the file alignment)
objcopy -O binary --only-section=.initrd "$uki" "$TEST_TMP/initrd-section"
cmp -s -n "$(stat -c %s "$initrd")" "$TEST_TMP/initrd-section" "$initrd" || fail ".initrd is not the generated initramfs"
cmp -s <(section .osrel) <(tr -d '\0' <"$ROOT/etc/os-release") || fail ".osrel is not the root's os-release"
dk 0 --json status
assert_eq "$KVER_A" "$(jq -r '.default // empty' <<<"$DK_OUT")" "status default_kernel"

step "a second sync rewrites nothing"
snapshot "$ROOT/efi" "$ROOT/var/lib/distkernel/initramfs" >"$TEST_TMP/before"
dk_timed 0 sync
snapshot "$ROOT/efi" "$ROOT/var/lib/distkernel/initramfs" >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "the ESP after a no-op sync"

step "a new command line rebuilds the UKI, not the initramfs"
echo "root=UUID=$uuid rw panic=-1 console=ttyS0 dk.test=2" >"$ROOT/etc/kernel/cmdline"
snapshot "$ROOT/var/lib/distkernel/initramfs" >"$TEST_TMP/ir-before"
dk_timed 0 sync
snapshot "$ROOT/var/lib/distkernel/initramfs" >"$TEST_TMP/ir-after"
assert_same_snapshot "$TEST_TMP/ir-before" "$TEST_TMP/ir-after" "the initramfs after a command line change"
assert_eq "$(cat "$ROOT/etc/kernel/cmdline")" "$(section .cmdline)" ".cmdline section after the change"
assert_not_contains "$DK_OUT" "generating the initramfs" "sync output after a command line change"

step "uki KVER rebuilds the UKI on request"
dk 0 uki "$KVER_A"
assert_contains "$DK_OUT" "installed /efi/EFI/Linux/dktest-$KVER_A.efi" "uki output"

# boot_esp WHAT ESPDIR: boots and checks the console
boot_esp() {
        local log=$TEST_TMP/console-$(basename "$2").log rc=0
        step "boot: $1"
        BOOT_LOG=$log BOOT_QUIET=1 "$BOOT/boot-efi.sh" "$2" "$disk" || rc=$?
        if ((rc != 0)); then
                tail -n 60 "$log" >&2
                fail "$1: did not boot (boot-efi.sh exit $rc)"
        fi
        grep -q "^DISTKERNEL-BOOT-OK .*kernel=$KVER_A" "$log" || fail "$1: the marker does not name $KVER_A"
        grep -q "^DISTKERNEL-CMDLINE: .*dk.test=2" "$log" ||
                { grep -a CMDLINE "$log" >&2; fail "$1: the booted kernel did not get the .cmdline of the UKI"; }
        grep -q '^dkroot ' "$log" || fail "$1: dkroot is not loaded in the booted system"
        echo "$1: $(grep -a '^DISTKERNEL-BOOT-OK' "$log")"
}
esp1=$TEST_TMP/esp-removable
mkdir -p "$esp1/EFI/BOOT"
cp "$uki" "$esp1/EFI/BOOT/BOOTX64.EFI"
boot_esp "the UKI as EFI/BOOT/BOOTX64.EFI" "$esp1"

esp2=$TEST_TMP/esp-sdboot
cp -a "$ROOT/efi" "$esp2"
mkdir -p "$esp2/EFI/BOOT" "$esp2/loader"
cp "$sdboot" "$esp2/EFI/BOOT/BOOTX64.EFI"
printf 'timeout 0\n' >"$esp2/loader/loader.conf"
boot_esp "systemd-boot picking EFI/Linux/dktest-$KVER_A.efi" "$esp2"
