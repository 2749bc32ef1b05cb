#!/bin/bash
# Scenario 4: a new package version (dktest 2.0) fails to compile on a 6.12
# kernel. sync reports the failure with the log's path and exits 1; the 6.1
# kernel gets 2.0; the 6.12 kernel keeps 1.0; other packages are unaffected.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_C"
[[ ${ACPI_BUILDS_ON_C:-no} == yes ]] || skip "acpi-call does not build on $KVER_C"
mkroot "$KVER_A" "$KVER_C"
acpi=$(put_source "$ACPI_SRC")
acpi_name=$(basename "$acpi")
acpi_version=${acpi_name##*-}
v4l2=$(put_source "$V4L2_SRC")
v4l2_name=$(basename "$v4l2")
v4l2_version=${v4l2_name##*-}
put_source dktest-1.0 >/dev/null
dk 0 module add "$acpi"
dk 0 module add "$v4l2"
dk 0 module add /usr/src/dktest-1.0

step "first sync: dktest 1.0 and acpi-call on both kernels; v4l2loopback $v4l2_version on $KVER_C: $V4L2_BUILDS_ON_C"
if [[ $V4L2_BUILDS_ON_C == yes ]]; then
        dk_timed 0 sync
else
        dk_timed 1 sync
        assert_contains "$DK_OUT$DK_ERR" "log/$v4l2_name/$KVER_C.log" "sync output"
fi
for kver in "$KVER_A" "$KVER_C"; do
        assert_installed "$kver" dktest_core 1.0
        assert_installed "$kver" dktest_user 1.0
        assert_installed "$kver" acpi_call
        assert_compressed_like_kernel "$kver" dktest_core
done
assert_installed "$KVER_A" v4l2loopback
status_json
if [[ $V4L2_BUILDS_ON_C == yes ]]; then
        assert_state v4l2loopback "$v4l2_version" "$KVER_C" installed
else
        assert_state v4l2loopback "$v4l2_version" "$KVER_C" failed
        assert_not_installed "$KVER_C" v4l2loopback
fi

snapshot "$(updates "$KVER_A")/acpi_call.ko" "$(updates "$KVER_A")/v4l2loopback.ko" \
        "$(pair_log acpi-call "$acpi_version" "$KVER_A")" "$(pair_log acpi-call "$acpi_version" "$KVER_C")" \
        "$(ko "$KVER_C" acpi_call)" >"$TEST_TMP/others.before"
sleep 1

step "dktest 2.0 is added; it does not compile on $KVER_C"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
dk_timed 1 sync
assert_contains "$DK_OUT$DK_ERR" "log/dktest-2.0/$KVER_C.log" "sync output"
assert_contains "$DK_ERR" "distkernel: " "sync's stderr"

step "$KVER_A has 2.0"
assert_installed "$KVER_A" dktest_core 2.0
assert_installed "$KVER_A" dktest_user 2.0

step "$KVER_C still has 1.0"
assert_installed "$KVER_C" dktest_core 1.0
assert_installed "$KVER_C" dktest_user 1.0
out=$(modprobe -n -v -S "$KVER_C" -d "$ROOT" dktest_user 2>&1) || fail "modprobe -n dktest_user ($KVER_C) failed: $out"
assert_contains "$out" "/updates/dkms/dktest_core.ko" "modprobe -n -v -S $KVER_C dktest_user"

step "the failure is logged and shown by status"
log=$(pair_log dktest 2.0 "$KVER_C")
assert_file "$log"
assert_contains "$(<"$log")" "dktest 2.0 does not support Linux 6.12 or later" "$log"
dk 0 module log dktest "$KVER_C"
assert_contains "$DK_OUT" "dktest 2.0 does not support Linux 6.12 or later" "module log dktest $KVER_C"
status_json
assert_state dktest 2.0 "$KVER_A" installed
assert_state dktest 2.0 "$KVER_C" failed
assert_state dktest 1.0 "$KVER_C" installed
assert_ne installed "$(state_of dktest 1.0 "$KVER_A")" "the state of dktest 1.0 on $KVER_A (2.0 replaced it)"
assert_eq "/var/lib/distkernel/log/dktest-2.0/$KVER_C.log" \
        "$(json_get "$STATUS_FILE" '.kernels[] | select(.kver == $k) | .modules[] | select(.package == "dktest" and .version == "2.0") | .log' --arg k "$KVER_C")" \
        "log of the failed pair in status"
assert_state acpi-call "$acpi_version" "$KVER_A" installed
assert_state acpi-call "$acpi_version" "$KVER_C" installed
assert_state v4l2loopback "$v4l2_version" "$KVER_A" installed
dk 0 status
assert_contains "$DK_OUT" "failed" "status"
assert_contains "$DK_OUT" "log/dktest-2.0/$KVER_C.log" "status"

step "the build directory of the failed pair is kept"
[[ -d $ROOT/var/lib/distkernel/build/$KVER_C/dktest/2.0 ]] ||
        fail "$ROOT/var/lib/distkernel/build/$KVER_C/dktest/2.0: missing"

step "other packages were not touched"
snapshot "$(updates "$KVER_A")/acpi_call.ko" "$(updates "$KVER_A")/v4l2loopback.ko" \
        "$(pair_log acpi-call "$acpi_version" "$KVER_A")" "$(pair_log acpi-call "$acpi_version" "$KVER_C")" \
        "$(ko "$KVER_C" acpi_call)" >"$TEST_TMP/others.after"
assert_same_snapshot "$TEST_TMP/others.before" "$TEST_TMP/others.after" "acpi-call and v4l2loopback"

step "a failed pair with unchanged inputs is not retried"
snapshot "$log" >"$TEST_TMP/failed-log.before"
dk any sync
snapshot "$log" >"$TEST_TMP/failed-log.after"
assert_same_snapshot "$TEST_TMP/failed-log.before" "$TEST_TMP/failed-log.after" "the log of the failed pair"
assert_installed "$KVER_C" dktest_core 1.0
