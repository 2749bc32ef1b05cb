#!/bin/bash
# Scenario 2: a new kernel appears; sync builds for it only. What was installed
# for the old kernel is not rebuilt, reinstalled or re-logged.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A"
v4l2=$(put_source "$V4L2_SRC")
v4l2_name=$(basename "$v4l2")
v4l2_version=${v4l2_name##*-}
put_source dktest-1.0 >/dev/null
third=$(put_source "$THIRD_SRC")
mapfile -t third_modules < <(built_modules "$THIRD_SRC" "$KVER_A")
dk 0 module add "$v4l2"
dk 0 module add /usr/src/dktest-1.0
dk 0 module add "$third"
sync_ok
for mod in v4l2loopback dktest_core dktest_user "${third_modules[@]}"; do
        assert_installed "$KVER_A" "$mod"
done

a_logs=()
for p in dktest-1.0 "$v4l2_name" "$(basename "$third")"; do
        a_logs+=("$ROOT/var/lib/distkernel/log/$p/$KVER_A.log")
        assert_file "${a_logs[-1]}"
done
snapshot "$(updates "$KVER_A")" "${a_logs[@]}" >"$TEST_TMP/a.before"
cp "$ROOT/usr/lib/modules/$KVER_A/modules.dep" "$TEST_TMP/a.modules.dep"
sleep 1 # so that any rewrite shows in the mtimes

step "a new kernel is installed: $KVER_B"
addkernel "$KVER_B"
dk 0 kernel add "$KVER_B"
dk_timed 0 sync

step "$KVER_B has the modules, built for it"
for mod in v4l2loopback dktest_core dktest_user "${third_modules[@]}"; do
        assert_installed "$KVER_B" "$mod"
done
assert_installed "$KVER_B" dktest_user 1.0
assert_file "$(pair_log dktest 1.0 "$KVER_B")" "$(pair_log v4l2loopback "$v4l2_version" "$KVER_B")"
out=$(modprobe -n -v -S "$KVER_B" -d "$ROOT" dktest_user 2>&1) || fail "modprobe -n dktest_user ($KVER_B) failed: $out"
assert_contains "$out" "$KVER_B/updates/dkms/dktest_core.ko" "modprobe -n -v -S $KVER_B dktest_user"

step "$KVER_A was left alone: same files, same mtimes, logs not rewritten"
snapshot "$(updates "$KVER_A")" "${a_logs[@]}" >"$TEST_TMP/a.after"
assert_same_snapshot "$TEST_TMP/a.before" "$TEST_TMP/a.after" "what was installed and logged for $KVER_A"
cmp -s "$TEST_TMP/a.modules.dep" "$ROOT/usr/lib/modules/$KVER_A/modules.dep" ||
        fail "modules.dep of $KVER_A changed"

step "status: both kernels, newest first, everything installed"
status_json
assert_eq "$KVER_B $KVER_A" "$(json_get "$STATUS_FILE" '[.kernels[].kver] | join(" ")')" "kernels in status"
for kver in "$KVER_A" "$KVER_B"; do
        assert_state dktest 1.0 "$kver" installed
        assert_state v4l2loopback "$v4l2_version" "$kver" installed
done
