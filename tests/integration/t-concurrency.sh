#!/bin/bash
# Several distkernels on one root: the lock (flock on
# ROOT/var/lib/distkernel/lock) serialises them. Started while another works,
# a second sync, a gc and a module remove each say they wait for it (naming
# its pid), then succeed and do what they would do after it: the second sync
# finds everything current, gc removes the kernel beyond keep, module remove
# leaves the package uninstalled. After each pair the state database passes
# SQLite's integrity check and verify finds everything as recorded. --no-wait
# exits 3 while another holds the lock; a holder killed with SIGKILL does not
# block the next run.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
command -v flock >/dev/null || skip "flock is not installed"
need_kernel "$KVER_A"
mkroot "$KVER_A"
old=6.1.0-1-amd64
add_older_kernel "$old" "$KVER_A"
mkdir -p "$ROOT/etc/distkernel"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0
LOCK=$ROOT/var/lib/distkernel/lock
DB=$ROOT/var/lib/distkernel/state.db

declare -A PID
# start NAME ARGS...: run distkernel in the background (its own session, so
# that it and its builds can be killed together); output in $TEST_TMP/NAME.*
start() {
        local name=$1
        shift
        setsid "$DISTKERNEL" --root "$ROOT" "$@" >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.err" </dev/null &
        PID[$name]=$!
}
# finish NAME EXPECTED-STATUS: wait for it; sets OUT and ERR
finish() {
        local rc=0
        wait "${PID[$1]}" || rc=$?
        OUT=$(<"$TEST_TMP/$1.out")
        ERR=$(<"$TEST_TMP/$1.err")
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$TEST_TMP/$1.err"; then
                printf '[stderr of %s]\n%s\n' "$1" "$ERR"
                fail "$1: sanitizer report"
        fi
        if [[ $rc != "$2" ]]; then
                printf '[stdout of %s]\n%s\n[stderr]\n%s\n' "$1" "$OUT" "$ERR"
                fail "$1: exit status $rc, expected $2"
        fi
}
# wait_locked: until another process holds the lock (at most 60 s)
wait_locked() {
        local i
        for ((i = 0; i < 600; i++)); do
                [[ -e $LOCK ]] && ! flock -n "$LOCK" true && return 0
                sleep 0.1
        done
        fail "nobody took $LOCK within 60 s"
}
# wait_waiting NAME: until NAME says it waits for the lock (at most 60 s)
wait_waiting() {
        local i
        for ((i = 0; i < 600; i++)); do
                grep -q "waiting for another distkernel" "$TEST_TMP/$1.err" && return 0
                sleep 0.1
        done
        fail "$1 does not say it waits: $(<"$TEST_TMP/$1.err")"
}
# assert_consistent: the database is intact and matches the disk
assert_consistent() {
        local ic
        ic=$(sqlite3 "$DB" 'PRAGMA integrity_check') || fail "sqlite3 cannot read $DB"
        assert_eq ok "$ic" "PRAGMA integrity_check"
        dk any verify
        ((DK_RC == 0)) || { dk_show verify; fail "verify after $*"; }
}
# a bootloader hook that takes a while, so that the first holds the lock longer
echo "bootloader-hook = /bin/sleep 2" >"$ROOT/etc/distkernel/distkernel.conf"

step "two syncs started together: the second waits, then finds everything current"
start sync1 sync
wait_locked
start sync2 sync
wait_waiting sync2
finish sync1 0
finish sync2 0
assert_contains "$ERR" "waiting for another distkernel (pid ${PID[sync1]}) working on this root to finish" "sync2 stderr"
assert_contains "$ERR" "waited for another distkernel to finish" "sync2 stderr"
assert_not_contains "$OUT" "building dktest" "sync2 output"
assert_installed "$KVER_A" dktest_core 1.0
# (the copied kernel's modules carry KVER_A's vermagic)
[[ -n $(ko "$old" dktest_core) ]] || fail "dktest_core is not installed for $old"
assert_consistent "two syncs"
assert_eq 0 "$(stat -c %s "$LOCK")" "size of the lock file (nothing is written to it)"

step "sync and gc: gc waits, then removes the kernel beyond keep = 1"
printf 'bootloader-hook = /bin/sleep 2\nkeep = 1\n' >"$ROOT/etc/distkernel/distkernel.conf"
start sync sync --rebuild
wait_locked
start gc gc
wait_waiting gc
finish sync 0
finish gc 0
assert_contains "$ERR" "waiting for another distkernel (pid ${PID[sync]})" "gc stderr"
assert_contains "$OUT" "removed $old" "gc output"
assert_not_installed "$old" dktest_core
assert_installed "$KVER_A" dktest_core 1.0
assert_consistent "sync and gc"

step "sync and module remove: the removal waits, then uninstalls what the sync installed"
start sync sync --rebuild
wait_locked
start remove module remove dktest
wait_waiting remove
finish sync 0
finish remove 0
assert_contains "$ERR" "waiting for another distkernel (pid ${PID[sync]})" "module remove stderr"
assert_not_installed "$KVER_A" dktest_core
assert_not_installed "$KVER_A" dktest_user
dk 0 module list
assert_not_contains "$DK_OUT" "dktest" "module list"
assert_consistent "sync and module remove"

step "--no-wait exits 3 while a sync holds the lock"
dk 0 module add /usr/src/dktest-1.0
start sync sync
wait_locked
dk 3 --no-wait sync
assert_contains "$DK_ERR" "not waiting (--no-wait)" "--no-wait stderr"
dk 3 --no-wait verify
finish sync 0
assert_installed "$KVER_A" dktest_core 1.0
assert_consistent "--no-wait"

step "a holder killed with SIGKILL does not block the next run"
start killed sync --rebuild
wait_locked
sleep 1
kill -KILL -- "-${PID[killed]}"
rc=0
wait "${PID[killed]}" || rc=$?
assert_eq 137 "$rc" "exit status of the killed sync"
dk_timed 0 --no-wait sync
assert_installed "$KVER_A" dktest_core 1.0
assert_consistent "a killed sync"
