#!/bin/bash
# Scenario 6: a sync right after a successful one rebuilds nothing: no log is
# rewritten, no installed file is touched, and it is fast. A modified
# installed file is noticed and put right.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A" "$KVER_B"
acpi=$(put_source "$ACPI_SRC")
put_source dktest-1.0 >/dev/null
dk 0 module add "$acpi"
dk 0 module add /usr/src/dktest-1.0
dk_timed 0 sync
watched=("$(updates "$KVER_A")" "$(updates "$KVER_B")" "$ROOT/var/lib/distkernel/log"
        "$ROOT/usr/lib/modules/$KVER_A/modules.dep" "$ROOT/usr/lib/modules/$KVER_B/modules.dep")
snapshot "${watched[@]}" >"$TEST_TMP/before"
sleep 1

step "second sync: nothing to do"
dk_timed 0 sync
snapshot "${watched[@]}" >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "installed files, logs or modules.dep"
assert_no_match "$ROOT/var/lib/distkernel/build/*/*/*/*.ko"

step "third sync, with --kernel: nothing to do either"
dk_timed 0 sync --kernel "$KVER_A"
snapshot "${watched[@]}" >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "installed files, logs or modules.dep"

step "status is not changed by a no-op sync"
status_json
for kver in "$KVER_A" "$KVER_B"; do
        assert_state dktest 1.0 "$kver" installed
done

step "a modified installed file is put right by the next sync"
f=$(ko "$KVER_B" dktest_user)
echo "not a module" >"$f"
dk_timed 0 sync
assert_installed "$KVER_B" dktest_user 1.0
assert_installed "$KVER_A" dktest_user 1.0

step "while another process holds the lock, --no-wait exits 3"
lockfile=$ROOT/var/lib/distkernel/lock
assert_file "$lockfile"
exec {lockfd}<>"$lockfile"
flock -x -n "$lockfd" || fail "cannot take $lockfile"
dk 3 --no-wait sync
assert_contains "$DK_ERR" "distkernel: " "stderr"
exec {lockfd}>&-
dk 0 --no-wait sync
