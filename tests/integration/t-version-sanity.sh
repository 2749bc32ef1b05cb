#!/bin/bash
# DKMS's module version sanity check, module by module: a package that ships
# an older copy of a module the kernel has (tests/data/dkshadow: tsl2550 1.0
# against the kernel's 1.2) gets its other modules installed and the kernel's
# tsl2550 kept; a package with nothing newer is skipped with its reason; a
# newer copy replaces the kernel's; --force installs an older one.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A"
mkroot "$KVER_A"
K=$KVER_A
kernel_tsl=$(modinfo -b "$ROOT" -k "$K" -n tsl2550) || fail "the kernel $K has no tsl2550"
kernel_tsl_version=$(modinfo -F version "$kernel_tsl")
echo "kernel's own: $kernel_tsl (version $kernel_tsl_version)"
[[ $kernel_tsl == */kernel/* ]] || fail "tsl2550 resolves to $kernel_tsl, not to the kernel's own"
# resolves MODULE: the file modprobe would load for MODULE (depmod's choice)
resolves() { modinfo -b "$ROOT" -k "$K" -n "$1"; }

step "dkshadow 1.0: dkshadow_new installed, the kernel's newer tsl2550 kept"
put_source dkshadow-1.0 >/dev/null
dk 0 module add /usr/src/dkshadow-1.0
sync_ok
assert_installed "$K" dkshadow_new 1.0
assert_not_installed "$K" tsl2550
assert_no_match "$ROOT/usr/lib/modules/$K/extra/tsl2550*"
assert_eq "$kernel_tsl" "$(resolves tsl2550)" "tsl2550 as modprobe finds it"
assert_contains "$(resolves dkshadow_new)" "/updates/dkms/dkshadow_new.ko" "dkshadow_new as modprobe finds it"
status_json
assert_state dkshadow 1.0 "$K" installed
log=$(<"$(pair_log dkshadow 1.0 "$K")")
assert_contains "$log" "module 'tsl2550' version 1.0 is not newer than the kernel's own" "the build log"
assert_contains "$log" "keeping the kernel's" "the build log"
dk 0 verify
snapshot "$ROOT/usr/lib/modules/$K" >"$TEST_TMP/mods.before"
sync_ok
snapshot "$ROOT/usr/lib/modules/$K" >"$TEST_TMP/mods.after"
assert_same_snapshot "$TEST_TMP/mods.before" "$TEST_TMP/mods.after" "the modules after a no-op sync"

step "dkold 1.0 (only the older tsl2550): skipped, with the reason and what overrides it"
dk 0 module remove dkshadow
assert_not_installed "$K" dkshadow_new
mkdir -p "$TEST_TMP/dkold-1.0"
cp "$DATA/dkshadow-1.0/tsl2550.c" "$TEST_TMP/dkold-1.0/"
printf 'obj-m := tsl2550.o\n' >"$TEST_TMP/dkold-1.0/Makefile"
sed -e 's/^PACKAGE_NAME=.*/PACKAGE_NAME="dkold"/' -e '/\[1\]/d' \
        "$DATA/dkshadow-1.0/dkms.conf" >"$TEST_TMP/dkold-1.0/dkms.conf"
put_source "$TEST_TMP/dkold-1.0" >/dev/null
dk 0 module add /usr/src/dkold-1.0
sync_ok
assert_not_installed "$K" tsl2550
assert_eq "$kernel_tsl" "$(resolves tsl2550)" "tsl2550 as modprobe finds it"
status_json
assert_state dkold 1.0 "$K" skipped
reason=$(json_get "$STATUS_FILE" '.kernels[] | select(.kver == $k) | .modules[] | select(.package == "dkold") | .message // ""' --arg k "$K")
assert_contains "$reason" "is not newer than the kernel's own" "the skipped pair's reason"
assert_contains "$reason" "'distkernel sync --force'" "the skipped pair's reason"

step "sync --force installs the older tsl2550 over the kernel's"
dk 0 sync --force
assert_installed "$K" tsl2550 1.0
assert_contains "$(resolves tsl2550)" "/updates/dkms/tsl2550.ko" "tsl2550 as modprobe finds it"
dk 0 module remove dkold
assert_not_installed "$K" tsl2550
assert_eq "$kernel_tsl" "$(resolves tsl2550)" "tsl2550 after module remove"

step "dkshadow 2.0 (tsl2550 9.0): both modules installed, the package's tsl2550 wins"
cp -a "$DATA/dkshadow-1.0" "$TEST_TMP/dkshadow-2.0"
sed -i 's/MODULE_VERSION("1.0")/MODULE_VERSION("9.0")/' "$TEST_TMP/dkshadow-2.0/tsl2550.c"
sed -i 's/^PACKAGE_VERSION=.*/PACKAGE_VERSION="2.0"/' "$TEST_TMP/dkshadow-2.0/dkms.conf"
put_source "$TEST_TMP/dkshadow-2.0" >/dev/null
dk 0 module add /usr/src/dkshadow-2.0
sync_ok
assert_installed "$K" tsl2550 9.0
assert_installed "$K" dkshadow_new 1.0
assert_contains "$(resolves tsl2550)" "/updates/dkms/tsl2550.ko" "tsl2550 as modprobe finds it"
status_json
assert_state dkshadow 2.0 "$K" installed
dk 0 verify
echo "ok: module-by-module version sanity"
