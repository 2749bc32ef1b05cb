#!/bin/bash
# kernel build from Debian's linux-source-6.1: tinyconfig plus a fragment
# (tests/data/kernel-config.d/10-qemu.config) in ROOT/etc/kernel/config.d.
# --strict-config refuses the fragment's CONFIG_USB_STORAGE=y, which a missing
# dependency drops, and installs nothing; without it the option is reported,
# the kernel (KVER ending in -dist) is built out of tree, installed with a
# pruned header tree, the test package dkroot is built against those headers,
# and the UKI boots under OVMF with dkroot loaded. With module-sign-key set and
# 20-modsig.config enforcing signatures, the kernel trusts that key (built in),
# its own modules and dkroot are signed with it, and they load.
# timeout: 2400
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BOOT=$REPO/tests/boot
[[ -n ${KSRC:-} && -e $KSRC/Makefile ]] || skip "the kernel sources are not unpacked (tests/fixtures/prepare.sh)"
for tool in flex bison bc; do command -v $tool >/dev/null || skip "$tool is not installed"; done
need_stub
"$FIXTURES/mkroot.sh" "$ROOT" >/dev/null || fail "mkroot.sh"
mkdir -p "$ROOT/etc/kernel/config.d" "$ROOT/efi/EFI/Linux"
cp "$DATA/kernel-config.d/"*.config "$ROOT/etc/kernel/config.d/"
mkdir -p "$ROOT/etc/distkernel/keys"
(umask 077 && openssl req -x509 -newkey rsa:2048 -nodes -days 30 -subj /CN=distkernel-kbuild-test \
        -keyout "$ROOT/etc/distkernel/keys/mod.key" -out "$ROOT/etc/distkernel/keys/mod.pem" 2>/dev/null) ||
        fail "openssl req"
printf 'module-sign-key = /etc/distkernel/keys/mod.key\nmodule-sign-cert = /etc/distkernel/keys/mod.pem\n' \
        >"$ROOT/etc/distkernel/distkernel.conf"
echo kb >"$ROOT/etc/kernel/entry-token"
disk=$TEST_TMP/root.img
uuid=$("$BOOT/mkrootfs.sh" "$disk" | sed -n 's/^UUID=//p')
echo "root=UUID=$uuid rw panic=-1 console=ttyS0" >"$ROOT/etc/kernel/cmdline"
make -s -C "$KSRC" O="$TEST_TMP/tiny" tinyconfig >/dev/null 2>&1 || fail "make tinyconfig"

step "--strict-config: the dropped option is an error and nothing is installed"
dk 1 kernel build --strict-config --config "$TEST_TMP/tiny/.config" "$KSRC"
assert_contains "$DK_ERR" "CONFIG_USB_STORAGE=y (is not set)" "kernel build errors"
assert_contains "$DK_ERR" "nothing was installed" "kernel build errors"
[[ -z $(ls -A "$ROOT/usr/lib/modules" 2>/dev/null) && -z $(ls -A "$ROOT/usr/src") ]] ||
        fail "a failed build installed something: $(ls "$ROOT/usr/lib/modules" "$ROOT/usr/src")"

step "kernel build: reported option, out-of-tree build, install, sync"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0
dk_timed 0 -j "$(nproc)" kernel build --config "$TEST_TMP/tiny/.config" "$KSRC"
assert_contains "$DK_ERR" "CONFIG_USB_STORAGE=y (is not set)" "kernel build warnings"
kver=$(ls "$ROOT/usr/lib/modules")
[[ $kver == 6.1.*-dist ]] || fail "the built kernel is '$kver', not 6.1.*-dist"
assert_file "$ROOT/usr/lib/modules/$kver/vmlinuz" "$ROOT/usr/lib/modules/$kver/System.map" \
        "$ROOT/usr/lib/modules/$kver/config" "$ROOT/usr/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko" \
        "$ROOT/usr/src/linux-$kver/Module.symvers" "$ROOT/usr/src/linux-$kver/scripts/mod/modpost" \
        "$ROOT/var/lib/distkernel/kbuild/$kver/vmlinux"
assert_eq "/usr/src/linux-$kver" "$(readlink "$ROOT/usr/lib/modules/$kver/build")" "the build link"
assert_installed "$kver" dkroot
vermagic=$(modinfo -F vermagic "$(ko "$kver" dkroot)")
assert_contains "$vermagic" "$kver " "dkroot's vermagic"
assert_eq distkernel-kbuild-test "$(modinfo -F signer "$ROOT/usr/lib/modules/$kver/kernel/drivers/block/virtio_blk.ko")" \
        "signer of the in-tree virtio_blk"
assert_eq distkernel-kbuild-test "$(modinfo -F signer "$(ko "$kver" dkroot)")" "signer of dkroot"
assert_file "$ROOT/efi/EFI/Linux/kb-$kver.efi"
assert_contains "$DK_OUT" "default kernel: $kver" "kernel build output"

step "the UKI of the built kernel boots with dkroot loaded"
boot_uki "$ROOT/efi/EFI/Linux/kb-$kver.efi" "$disk" "the built kernel's UKI"
grep -q "^DISTKERNEL-BOOT-OK .*kernel=$kver" "$CONSOLE" || fail "the marker does not name $kver"
grep -q '^dkroot ' "$CONSOLE" || fail "dkroot is not loaded in the booted system"
grep -q "Loaded X.509 cert 'distkernel-kbuild-test" "$CONSOLE" || fail "the kernel does not trust the module signing key"
! grep -q "module verification failed" "$CONSOLE" || fail "a module failed its signature check"

step "two newer kernels later, gc removes the built kernel whole"
addkernel "$KVER_C"
dk_timed 0 sync
add_older_kernel 6.13.0-1-fake "$KVER_C" # a copy of KVER_C under a newer version
dk_timed 0 sync
assert_contains "$DK_OUT" "default kernel: 6.13.0-1-fake, fallback: $KVER_C" "sync output"
printf 'keep = 2\n' >>"$ROOT/etc/distkernel/distkernel.conf"
dk 0 gc
assert_contains "$DK_OUT" "removed $kver" "gc output"
assert_absent "$ROOT/usr/lib/modules/$kver" "$ROOT/usr/src/linux-$kver" "$ROOT/var/lib/distkernel/kbuild/$kver" \
        "$ROOT/efi/EFI/Linux/kb-$kver.efi"
assert_file "$ROOT/efi/EFI/Linux/kb-$KVER_C.efi" "$ROOT/efi/EFI/Linux/kb-6.13.0-1-fake.efi"
dk 0 kernel list
assert_not_contains "$DK_OUT" "$kver" "kernel list after gc"
