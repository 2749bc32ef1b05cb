#!/bin/bash
# Scenario 1: a real Debian package (v4l2loopback) and a two-module package
# with a patch and a PRE_BUILD script (dktest 1.0) are built and installed for
# one kernel; depmod has run, so modprobe resolves dktest_user -> dktest_core.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

mkroot "$KVER_A"
v4l2=$(put_source "$V4L2_SRC")
v4l2_name=$(basename "$v4l2")
v4l2_version=${v4l2_name##*-}
put_source dktest-1.0 >/dev/null

step "module add: a host path below the root, and a path inside the root"
dk 0 module add "$ROOT$v4l2"
dk 0 module add /usr/src/dktest-1.0
dk 0 --json module list
assert_eq 2 "$(json_get "$DK_OUT_FILE" 'length')" "number of registered packages"
assert_eq "/usr/src/dktest-1.0" "$(json_get "$DK_OUT_FILE" '.[] | select(.package == "dktest") | .path')" "dktest's path"
assert_eq "$v4l2_version" "$(json_get "$DK_OUT_FILE" '.[] | select(.package == "v4l2loopback") | .version')" "v4l2loopback's version"

step "sync builds and installs everything"
dk_timed 0 sync
for mod in v4l2loopback dktest_core dktest_user; do
        assert_installed "$KVER_A" "$mod"
        assert_compressed_like_kernel "$KVER_A" "$mod"
done
assert_installed "$KVER_A" dktest_core 1.0
assert_installed "$KVER_A" dktest_user 1.0
assert_eq "dktest_core" "$(modinfo -F depends "$(ko "$KVER_A" dktest_user)")" "dktest_user's depends"

step "nothing was written outside the root"
assert_absent "/usr/lib/modules/$KVER_A/updates/dkms/dktest_core.ko" "/var/lib/distkernel/log/dktest-1.0"

step "depmod ran: modprobe resolves the dependencies"
out=$(modprobe -n -v -S "$KVER_A" -d "$ROOT" dktest_user 2>&1) || fail "modprobe -n dktest_user failed: $out"
mapfile -t lines < <(sed -n 's/^insmod //p' <<<"$out")
assert_eq 2 "${#lines[@]}" "number of insmod lines from modprobe -n -v dktest_user"$'\n'"$out"
assert_contains "${lines[0]}" "/updates/dkms/dktest_core.ko" "first insmod line"
assert_contains "${lines[1]}" "/updates/dkms/dktest_user.ko" "second insmod line"
out=$(modprobe -n -v -S "$KVER_A" -d "$ROOT" v4l2loopback 2>&1) || fail "modprobe -n v4l2loopback failed: $out"
assert_contains "$out" "/kernel/drivers/media/v4l2-core/videodev.ko" "modprobe -n -v v4l2loopback"
assert_contains "$out" "/updates/dkms/v4l2loopback.ko" "modprobe -n -v v4l2loopback"
modules_dep=$(<"$ROOT/usr/lib/modules/$KVER_A/modules.dep")
assert_contains "$modules_dep" "updates/dkms/dktest_user.ko: updates/dkms/dktest_core.ko" "modules.dep"

step "status --json"
status_json
assert_eq "$(realpath "$ROOT")" "$(realpath "$(json_get "$STATUS_FILE" '.root')")" "status root"
assert_eq 1 "$(json_get "$STATUS_FILE" '.kernels | length')" "number of kernels"
assert_eq "$KVER_A" "$(json_get "$STATUS_FILE" '.kernels[0].kver')" "kernel version"
assert_eq "/boot/vmlinuz-$KVER_A" "$(json_get "$STATUS_FILE" '.kernels[0].image')" "kernel image"
assert_eq true "$(json_get "$STATUS_FILE" '.kernels[0].headers')" "kernel headers"
assert_state dktest 1.0 "$KVER_A" installed
assert_state v4l2loopback "$v4l2_version" "$KVER_A" installed
log=$(json_get "$STATUS_FILE" '.kernels[0].modules[] | select(.package == "dktest") | .log')
assert_eq "/var/lib/distkernel/log/dktest-1.0/$KVER_A.log" "$log" "dktest's log path"
assert_file "$ROOT$log" "$(pair_log v4l2loopback "$v4l2_version" "$KVER_A")"
assert_eq 2 "$(json_get "$STATUS_FILE" '.packages | length')" "number of packages"
assert_eq "/usr/src/dktest-1.0" "$(json_get "$STATUS_FILE" '.packages[] | select(.package == "dktest") | .path')" "package path"

step "status (text) names the kernel and the packages"
dk 0 status
assert_contains "$DK_OUT" "$KVER_A" "status"
assert_contains "$DK_OUT" "dktest" "status"
assert_contains "$DK_OUT" "installed" "status"

step "module log prints the build log"
dk 0 module log dktest "$KVER_A"
assert_contains "$DK_OUT" "dktest_core.o" "module log dktest"
assert_contains "$DK_OUT" "make" "module log dktest"
assert_eq "$(<"$ROOT$log")" "$DK_OUT" "module log dktest vs the log file"

step "the build directory was removed after the successful install"
assert_absent "$ROOT/var/lib/distkernel/build/$KVER_A/dktest/1.0"

step "kernel list"
dk 0 kernel list
assert_contains "$DK_OUT" "$KVER_A" "kernel list"
dk 0 --json kernel list
assert_eq "$KVER_A" "$(json_get "$DK_OUT_FILE" '.[0].kver')" "kernel list --json"
