#!/bin/bash
# Scenario 7: "kernel remove" removes only what distkernel installed for that
# kernel; files that others put in updates/dkms survive; the other kernel is
# untouched; "kernel add" brings the kernel back.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A" "$KVER_B"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0
sync_ok
for kver in "$KVER_A" "$KVER_B"; do
        assert_installed "$kver" dktest_core 1.0
        assert_installed "$kver" dktest_user 1.0
done

step "files distkernel did not install are planted in updates/dkms of $KVER_B"
upd_b=$(updates "$KVER_B")
echo "installed by someone else" >"$upd_b/foreign.txt"
cp "$ROOT/usr/lib/modules/$KVER_B/kernel/drivers/net/dummy.ko" "$upd_b/dummy.ko"
snapshot "$upd_b/foreign.txt" "$upd_b/dummy.ko" >"$TEST_TMP/foreign.before"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/a.before"

step "kernel remove $KVER_B"
dk 0 kernel remove "$KVER_B"
assert_not_installed "$KVER_B" dktest_core
assert_not_installed "$KVER_B" dktest_user
snapshot "$upd_b/foreign.txt" "$upd_b/dummy.ko" >"$TEST_TMP/foreign.after"
assert_same_snapshot "$TEST_TMP/foreign.before" "$TEST_TMP/foreign.after" "the files distkernel did not install"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/a.after"
assert_same_snapshot "$TEST_TMP/a.before" "$TEST_TMP/a.after" "the modules of $KVER_A"
modules_dep=$(<"$ROOT/usr/lib/modules/$KVER_B/modules.dep")
assert_not_contains "$modules_dep" "dktest" "modules.dep of $KVER_B"
assert_contains "$modules_dep" "updates/dkms/dummy.ko" "modules.dep of $KVER_B"
assert_no_match "$ROOT/var/lib/distkernel/build/$KVER_B/*"
# the kernel itself is not distkernel's: it stays
assert_file "$ROOT/boot/vmlinuz-$KVER_B" "$ROOT/usr/lib/modules/$KVER_B/kernel/drivers/net/dummy.ko"

step "sync leaves the removed kernel alone"
sync_ok
assert_not_installed "$KVER_B" dktest_core
assert_installed "$KVER_A" dktest_core 1.0
dk 0 --json kernel list
assert_eq true "$(json_get "$DK_OUT_FILE" '.[] | select(.kver == $k) | .ignored' --arg k "$KVER_B")" \
        "kernel list --json: $KVER_B ignored"
status_json
assert_eq true "$(json_get "$STATUS_FILE" '.kernels[] | select(.kver == $k) | .ignored' --arg k "$KVER_B")" \
        "status --json: $KVER_B ignored"
assert_state dktest 1.0 "$KVER_A" installed

step "kernel add $KVER_B and sync bring the modules back"
dk 0 kernel add "$KVER_B"
sync_ok
assert_installed "$KVER_B" dktest_core 1.0
assert_installed "$KVER_B" dktest_user 1.0
assert_file "$upd_b/foreign.txt" "$upd_b/dummy.ko"
status_json
assert_state dktest 1.0 "$KVER_B" installed
