#!/bin/bash
# Promotion of the default kernel (legacy layout): with kernel A installed and
# the default, a newer kernel C arrives on which the required package dktest
# 2.0 fails to build. sync exits 1, C is held back (status says why), and A
# stays the default: the links vmlinuz, initrd.img and every file A had are
# byte-identical to before. With dktest fixed, sync promotes C: vmlinuz and
# initrd.img point at C, vmlinuz.old and initrd.img.old at A. A package marked
# optional does not hold a kernel back, and --force installs a held-back one.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_C"
mkroot "$KVER_A"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0

hook=$TEST_TMP/hook.sh
cat >"$hook" <<HOOK
#!/bin/sh
echo "runs \$DISTKERNEL_DEFAULT \$DISTKERNEL_PREVIOUS_DEFAULT [\$DISTKERNEL_CHANGED] \$DISTKERNEL_LAYOUT" >>"$TEST_TMP/hook.log"
HOOK
chmod +x "$hook"
mkdir -p "$ROOT/etc/distkernel"
echo "bootloader-hook = $hook" >"$ROOT/etc/distkernel/distkernel.conf"

step "sync: $KVER_A becomes the default, the bootloader hook runs"
dk_timed 0 sync
assert_eq "runs $KVER_A  [$KVER_A] legacy" "$(tail -n 1 "$TEST_TMP/hook.log")" "the hook's environment"
assert_eq "vmlinuz-$KVER_A" "$(readlink "$ROOT/boot/vmlinuz")" "vmlinuz link"
assert_eq "initrd.img-$KVER_A" "$(readlink "$ROOT/boot/initrd.img")" "initrd.img link"
assert_absent "$ROOT/boot/vmlinuz.old"

step "a newer kernel on which dktest 2.0 fails: held back, $KVER_A stays the default"
addkernel "$KVER_C"
links() { for l in vmlinuz initrd.img vmlinuz.old initrd.img.old; do printf '%s -> %s\n' "$l" "$(readlink "$ROOT/boot/$l")"; done; }
links >"$TEST_TMP/links-before"
{ snapshot "$ROOT/boot" "$ROOT/usr/lib/modules/$KVER_A" | grep -v -- "$KVER_C"; } >"$TEST_TMP/before"
dk_timed 1 sync
assert_contains "$DK_ERR" "kernel '$KVER_C' is held back: 'dktest/2.0' failed to build" "sync errors"
links >"$TEST_TMP/links-after"
{ snapshot "$ROOT/boot" "$ROOT/usr/lib/modules/$KVER_A" | grep -v -- "$KVER_C"; } >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/links-before" "$TEST_TMP/links-after" "the default links"
assert_eq 1 "$(wc -l <"$TEST_TMP/hook.log")" "hook runs (nothing changed for the boot loader)"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "the files of $KVER_A"
dk 0 status
assert_contains "$DK_OUT" "default kernel: $KVER_A" "status"
assert_contains "$DK_OUT" "$KVER_C is held back: 'dktest/2.0' failed to build" "status"
dk 0 --json status
assert_eq "$KVER_A" "$(jq -r .default <<<"$DK_OUT")" "status --json default"
assert_contains "$(jq -r ".kernels[] | select(.kver == \"$KVER_C\") | .boot" <<<"$DK_OUT")" "held: " "boot state of $KVER_C"

step "the package fixed: sync builds it for $KVER_C and promotes it"
sed -i '/LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)/,/#endif/d' "$ROOT/usr/src/dktest-2.0/dktest_core.c"
dk_timed 0 sync
assert_installed "$KVER_C" dktest_core 2.0
assert_contains "$DK_OUT" "default kernel: $KVER_C, fallback: $KVER_A" "sync output"
assert_eq "runs $KVER_C $KVER_A [$KVER_C] legacy" "$(tail -n 1 "$TEST_TMP/hook.log")" "the hook after the promotion"
assert_eq "vmlinuz-$KVER_C" "$(readlink "$ROOT/boot/vmlinuz")" "vmlinuz link"
assert_eq "initrd.img-$KVER_C" "$(readlink "$ROOT/boot/initrd.img")" "initrd.img link"
assert_eq "vmlinuz-$KVER_A" "$(readlink "$ROOT/boot/vmlinuz.old")" "vmlinuz.old link"
assert_eq "initrd.img-$KVER_A" "$(readlink "$ROOT/boot/initrd.img.old")" "initrd.img.old link"
[[ -e $ROOT/boot/initrd.img && -e $ROOT/boot/vmlinuz.old && -e $ROOT/boot/initrd.img.old ]] || fail "a link dangles"
# a second root, dktest broken again on the newer kernel
ROOT=$TEST_TMP/root2
mkroot "$KVER_A" "$KVER_C"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
step "second root: optional-packages = dktest does not hold $KVER_C back"
mkdir -p "$ROOT/etc/distkernel"
echo "optional-packages = dktest" >"$ROOT/etc/distkernel/distkernel.conf"
dk_timed 1 sync
assert_eq "vmlinuz-$KVER_C" "$(readlink "$ROOT/boot/vmlinuz")" "vmlinuz link with dktest optional"

ROOT=$TEST_TMP/root3
mkroot "$KVER_A" "$KVER_C"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
step "third root: held back, then sync --force installs it anyway, loudly"
dk 1 sync
assert_eq "vmlinuz-$KVER_A" "$(readlink "$ROOT/boot/vmlinuz")" "vmlinuz link while held back"
dk 1 sync --force
assert_contains "$DK_ERR" "installing it although" "sync --force warnings"
assert_eq "vmlinuz-$KVER_C" "$(readlink "$ROOT/boot/vmlinuz")" "vmlinuz link after --force"
