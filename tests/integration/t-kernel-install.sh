#!/bin/bash
# kernel-install interop (layout bls, kernel-install = yes) with Debian 12's
# real kernel-install and its 85-initrd and 90-loaderentry plugins (the only
# plugins enabled: others would act on the host): sync hands the kernel and
# distkernel's initramfs to kernel-install; the entry it writes carries our
# token and command line, and exactly one initramfs exists: ours, byte for
# byte, in $BOOT/TOKEN/KVER/initrd (none in /boot). A second sync does not call
# kernel-install again.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v kernel-install >/dev/null || skip "kernel-install is not installed"
plugins=/usr/lib/kernel/install.d
[[ -x $plugins/85-initrd.install && -x $plugins/90-loaderentry.install ]] || skip "kernel-install's plugins are missing"
need_kernel "$KVER_A"
mkroot "$KVER_A"
put_source dkroot-1.0 >/dev/null
dk 0 module add /usr/src/dkroot-1.0
mkdir -p "$ROOT/efi/EFI" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo kitest >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro quiet" >"$ROOT/etc/kernel/cmdline"
printf 'layout = bls\nkernel-install = yes\n' >"$ROOT/etc/distkernel/distkernel.conf"
export KERNEL_INSTALL_PLUGINS="$plugins/85-initrd.install $plugins/90-loaderentry.install"

step "sync through kernel-install"
dk_timed 0 sync
entry=$ROOT/efi/loader/entries/kitest-$KVER_A.conf
assert_file "$entry" "$ROOT/efi/kitest/$KVER_A/linux" "$ROOT/efi/kitest/$KVER_A/initrd"
assert_contains "$(cat "$entry")" "root=LABEL=test ro quiet" "the entry kernel-install wrote"
assert_contains "$(cat "$entry")" "version    $KVER_A" "the entry kernel-install wrote"
cmp -s "$ROOT/efi/kitest/$KVER_A/initrd" "$ROOT/var/lib/distkernel/initramfs/initrd.img-$KVER_A" ||
        fail "the installed initrd is not distkernel's"
initrds=$(find "$ROOT/efi" "$ROOT/boot" -name 'initr*' -type f | wc -l)
assert_eq 1 "$initrds" "number of initramfs images on \$BOOT and /boot"
assert_contains "$DK_OUT" "default kernel: $KVER_A" "sync output"

step "a second sync leaves it alone"
log=$ROOT/var/lib/distkernel/log/kernel-install-$KVER_A.log
before=$(stat -c %Y.%s "$log" "$entry")
dk_timed 0 sync
assert_eq "$before" "$(stat -c %Y.%s "$log" "$entry")" "kernel-install log and entry"

step "layout uki with kernel-install = yes is refused with a clear message"
printf 'layout = uki\nkernel-install = yes\n' >"$ROOT/etc/distkernel/distkernel.conf"
dk 1 sync
assert_contains "$DK_ERR" "kernel-install = yes needs layout = bls" "sync errors"
