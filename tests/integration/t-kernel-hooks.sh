#!/bin/bash
# How kernels arrive, each ending in the same sync (uki layout):
#  * Debian's /etc/kernel/postinst.d hook, run the way run-parts runs it after
#    linux-image-KVER_B is unpacked (and a new dkms.conf package appeared):
#    the package is registered and built for both kernels, KVER_B gets its UKI
#    and becomes the default;
#  * systemd's kernel-install with distkernel's plugin first: the plugin syncs
#    and exits 77, so kernel-install's own entry plugin installs nothing;
#  * `installkernel VERSION IMAGE SYSTEM.MAP DIR` as `make install` calls it:
#    the image lands in /usr/lib/modules/KVER/vmlinuz and KVER_C is promoted;
#  * the postrm.d hook after linux-image-KVER_C is removed: exactly what
#    distkernel installed for it goes, and KVER_B is the default again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_stub
command -v run-parts >/dev/null || skip "run-parts is not installed"
need_kernel "$KVER_A" "$KVER_B" "$KVER_C"
mkroot "$KVER_A"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
echo hk >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0
dk_timed 0 sync
export DISTKERNEL DISTKERNEL_ROOT=$ROOT
hooks=$REPO/data/kernel

step "linux-image-$KVER_B and a new dkms package arrive: the postinst.d hook via run-parts"
addkernel "$KVER_B"
put_source dktest-1.0 >/dev/null
run-parts --verbose --exit-on-error --arg="$KVER_B" --arg="/boot/vmlinuz-$KVER_B" "$hooks/postinst.d" \
        >"$TEST_TMP/hook.out" 2>&1 || { cat "$TEST_TMP/hook.out" >&2; fail "the postinst.d hook failed"; }
assert_file "$ROOT/efi/EFI/Linux/hk-$KVER_B.efi"
assert_installed "$KVER_B" dkroot
assert_installed "$KVER_A" dktest_core 1.0
assert_installed "$KVER_B" dktest_core 1.0
dk 0 --json status
assert_eq "$KVER_B" "$(jq -r .default <<<"$DK_OUT")" "default after the postinst.d hook"

step "kernel-install with distkernel's plugin: it syncs and stops kernel-install's own plugins (exit 77)"
if command -v kernel-install >/dev/null && [[ -x /usr/lib/kernel/install.d/90-loaderentry.install ]]; then
        mkdir -p "$ROOT/efi/loader/entries" "$ROOT/efi/hk"
        rm "$ROOT/efi/EFI/Linux/hk-$KVER_B.efi"
        dk 0 sync --rebuild >/dev/null
        BOOT_ROOT=$ROOT/efi KERNEL_INSTALL_CONF_ROOT=$ROOT/etc/kernel \
                KERNEL_INSTALL_PLUGINS="$hooks/install.d/50-distkernel.install /usr/lib/kernel/install.d/90-loaderentry.install" \
                kernel-install add "$KVER_B" "$ROOT/boot/vmlinuz-$KVER_B" >"$TEST_TMP/ki.out" 2>&1 ||
                { cat "$TEST_TMP/ki.out" >&2; fail "kernel-install add failed"; }
        assert_file "$ROOT/efi/EFI/Linux/hk-$KVER_B.efi"
        [[ -z $(ls -A "$ROOT/efi/loader/entries") ]] || fail "kernel-install's entry plugin ran: $(ls "$ROOT/efi/loader/entries")"
        [[ -z $(find "$ROOT/efi/hk" -type f) ]] || fail "kernel-install copied files: $(find "$ROOT/efi/hk" -type f)"
        rm -r "$ROOT/efi/loader" "$ROOT/efi/hk"
else
        echo "kernel-install is not installed, skipping that part"
fi

step "make install of a kernel built from source: installkernel VERSION IMAGE SYSTEM.MAP DIR"
addkernel "$KVER_C"
rm "$ROOT/boot/vmlinuz-$KVER_C" # make install brings the image, not the package
snapshot "$ROOT" | grep -v -e "$KVER_C" -e /var/lib/distkernel/ -e "$ROOT/efi/" >"$TEST_TMP/before-c"
mkdir -p "$TEST_TMP/bin" "$TEST_TMP/kbuild"
ln -s "$DISTKERNEL" "$TEST_TMP/bin/installkernel"
cp "$ROOT/boot/config-$KVER_C" "$TEST_TMP/kbuild/.config"
(cd "$TEST_TMP/kbuild" && "$TEST_TMP/bin/installkernel" "$KVER_C" "$KERNELS_DIR/$KVER_C/boot/vmlinuz-$KVER_C" \
        "$KERNELS_DIR/$KVER_C/boot/System.map-$KVER_C" /boot) >"$TEST_TMP/ik.out" 2>&1 ||
        { cat "$TEST_TMP/ik.out" >&2; fail "installkernel failed"; }
cmp -s "$ROOT/usr/lib/modules/$KVER_C/vmlinuz" "$KERNELS_DIR/$KVER_C/boot/vmlinuz-$KVER_C" || fail "the image was not installed"
assert_file "$ROOT/usr/lib/modules/$KVER_C/System.map" "$ROOT/usr/lib/modules/$KVER_C/config"
assert_file "$ROOT/efi/EFI/Linux/hk-$KVER_C.efi"
assert_installed "$KVER_C" dkroot
dk 0 --json status
assert_eq "$KVER_C" "$(jq -r .default <<<"$DK_OUT")" "default after installkernel"

step "linux-image-$KVER_C is removed: the postrm.d hook removes exactly what distkernel installed for it"
rm -rf "$ROOT/usr/lib/modules/$KVER_C/kernel" "$ROOT/usr/lib/modules/$KVER_C"/{vmlinuz,System.map,config,modules.*} \
        "$ROOT/boot/config-$KVER_C" "$ROOT/boot/System.map-$KVER_C"
run-parts --verbose --exit-on-error --arg="$KVER_C" --arg="/boot/vmlinuz-$KVER_C" "$hooks/postrm.d" \
        >"$TEST_TMP/hook.out" 2>&1 || { cat "$TEST_TMP/hook.out" >&2; fail "the postrm.d hook failed"; }
assert_absent "$ROOT/efi/EFI/Linux/hk-$KVER_C.efi" "$ROOT/var/lib/distkernel/initramfs/initrd.img-$KVER_C" \
        "$ROOT/usr/lib/modules/$KVER_C/updates/dkms/dkroot.ko"
snapshot "$ROOT" | grep -v -e "$KVER_C" -e /var/lib/distkernel/ -e "$ROOT/efi/" >"$TEST_TMP/after-c"
assert_same_snapshot "$TEST_TMP/before-c" "$TEST_TMP/after-c" "files outside kernel $KVER_C"
assert_file "$ROOT/efi/EFI/Linux/hk-$KVER_A.efi" "$ROOT/efi/EFI/Linux/hk-$KVER_B.efi"
dk 0 --json status
assert_eq "$KVER_B" "$(jq -r .default <<<"$DK_OUT")" "default after the postrm.d hook"
