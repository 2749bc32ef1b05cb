#!/bin/bash
# Live progress: on a terminal (a pseudo-terminal made by script(1)) sync draws
# one line per running job (counter, package, version, kernel, phase, elapsed
# time, the last line of its build log) and a counter, redrawn in place, with
# the finished jobs as permanent lines; colours there unless NO_COLOR is set.
# With stdout to a file: one plain line per event, no escape codes, no
# timestamps.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v script >/dev/null || skip "script (util-linux) is not installed"
mkroot "$KVER_A"
mkdir -p "$ROOT/etc/kernel"
echo "root=LABEL=root ro" >"$ROOT/etc/kernel/cmdline"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0
v4l2=$(put_source "$V4L2_SRC")
v4l2_name=$(basename "$v4l2")
v4l2_version=${v4l2_name##*-}
dk 0 module add "$v4l2"
ESC=$'\033'

# tty_sync OUT [ENV=VALUE...] -- ARGS...: run sync in a pseudo-terminal of 120
# columns with TERM=xterm; its screen output goes to OUT, its status to TTY_RC,
# which must be $TTY_WANT (default 0)
tty_sync() {
        local out=$1 cmd
        shift
        local envs=()
        while [[ $1 != -- ]]; do
                envs+=("$1")
                shift
        done
        shift
        printf -v cmd '%q ' env -u NO_COLOR TERM=xterm COLUMNS=120 "${envs[@]}" "$DISTKERNEL" --root "$ROOT" "$@"
        TTY_RC=0
        script -qec "$cmd" /dev/null >"$out" </dev/null || TTY_RC=$?
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' "$out"; then
                cat "$out"
                fail "sync in a terminal: sanitizer report"
        fi
        ((TTY_RC == ${TTY_WANT:-0})) || { cat -v "$out"; fail "sync in a terminal: exit status $TTY_RC"; }
}

step "sync in a terminal: live lines per job and a counter, in colour"
tty_sync "$TEST_TMP/tty1" -- -j2 sync
out=$(tr -d '\r' <"$TEST_TMP/tty1")
plain=$(sed -E "s/$ESC\[[0-9;]*[A-Za-z]//g" <<<"$out")
# a running job's line: [N/TOTAL] NAME VERSION · KVER · build · Ns · log line
grep -qE "^\[[0-9]+/[0-9]+\] v4l2loopback $v4l2_version · $KVER_A · build · [0-9]+s · .+" <<<"$plain" ||
        fail "no live line for v4l2loopback with its log's last line:"$'\n'"$plain"
grep -qE "^\[[0-9]+/[0-9]+\] dktest 1.0 · $KVER_A · build · [0-9]+s" <<<"$plain" ||
        fail "no live line for dktest:"$'\n'"$plain"
# the initramfs may take less than one redraw: its permanent line is certain
grep -qE "^ok initramfs · $KVER_A · [0-9.]+s · /boot/initrd.img-$KVER_A$" <<<"$plain" ||
        fail "no permanent line for the initramfs:"$'\n'"$plain"
total=$(grep -oE "^\[[0-9]+/[0-9]+\]" <<<"$plain" | head -n1 | sed -E 's/.*\/([0-9]+)\]/\1/')
assert_eq 3 "$total" "jobs in the counter (two builds, one initramfs)"
grep -qE "^[0-2]/3 done, [12] running$" <<<"$plain" || fail "no counter line below the running jobs:"$'\n'"$plain"
grep -qE "^ok dktest 1.0 · $KVER_A · [0-9.]+s$" <<<"$plain" || fail "no permanent ok line for dktest:"$'\n'"$plain"
grep -qE "^ok v4l2loopback $v4l2_version · $KVER_A · [0-9.]+s$" <<<"$plain" ||
        fail "no permanent ok line for v4l2loopback:"$'\n'"$plain"
assert_contains "$plain" "sync: 2 built, 0 failed" "the summary"
# redrawn in place: cursor up to the block's first line and erase below
assert_contains "$out" "${ESC}[J" "terminal output (erase to the end of the screen)"
grep -qE "$ESC\[[0-9]+F" <<<"$out" || fail "the block is not redrawn in place (no cursor-up):"$'\n'"$(cat -v <<<"$out")"
assert_contains "$out" "${ESC}[32mok${ESC}[0m" "terminal output (green ok)"
assert_contains "$out" "${ESC}[2m" "terminal output (dim details)"
# the live block is gone at the end: the last screen line is the summary's
assert_file "$(ko "$KVER_A" v4l2loopback)"

step "NO_COLOR=1 in a terminal: the same lines, no colour codes"
tty_sync "$TEST_TMP/tty2" NO_COLOR=1 -- -j2 sync --rebuild
out=$(tr -d '\r' <"$TEST_TMP/tty2")
plain=$(sed -E "s/$ESC\[[0-9;]*[A-Za-z]//g" <<<"$out")
grep -qE "^\[[0-9]+/[0-9]+\] v4l2loopback $v4l2_version · $KVER_A · build · [0-9]+s" <<<"$plain" ||
        fail "no live line for v4l2loopback under NO_COLOR:"$'\n'"$plain"
grep -qE "$ESC\[[0-9;]*m" <<<"$out" && fail "colour codes under NO_COLOR:"$'\n'"$(grep -E "$ESC\[[0-9;]*m" <<<"$out" | cat -v | head -n3)"
grep -qE "^ok dktest 1.0 · $KVER_A" <<<"$plain" || fail "no ok line under NO_COLOR:"$'\n'"$plain"

step "TERM=dumb in a terminal: plain lines, no escape codes"
tty_sync "$TEST_TMP/tty3" TERM=dumb -- sync --rebuild
out=$(tr -d '\r' <"$TEST_TMP/tty3")
assert_not_contains "$out" "$ESC" "sync output with TERM=dumb"
assert_contains "$out" "building dktest/1.0 for $KVER_A" "sync output with TERM=dumb"

step "stdout to a file: one plain line per event, no escape codes, no timestamps"
dk 0 -j2 sync --rebuild
assert_not_contains "$DK_OUT$DK_ERR" "$ESC" "sync output to a file"
grep -qE '[0-9]{2}:[0-9]{2}:[0-9]{2}|[0-9]{4}-[0-9]{2}-[0-9]{2}' <<<"$DK_OUT" && fail "a timestamp in the output:"$'\n'"$DK_OUT"
assert_eq 1 "$(grep -c "^building dktest/1.0 for $KVER_A " <<<"$DK_OUT")" "start lines of dktest"
assert_eq 1 "$(grep -c "^installed dktest/1.0 for $KVER_A in [0-9.]* s$" <<<"$DK_OUT")" "finish lines of dktest"
assert_eq 1 "$(grep -c "^building v4l2loopback/$v4l2_version for $KVER_A " <<<"$DK_OUT")" "start lines of v4l2loopback"
assert_eq 1 "$(grep -c "^installed v4l2loopback/$v4l2_version for $KVER_A in [0-9.]* s$" <<<"$DK_OUT")" \
        "finish lines of v4l2loopback"
assert_not_contains "$DK_OUT" "done," "sync output to a file (no live counter)"

step "--json in a terminal: nothing but the JSON document on stdout"
tty_sync "$TEST_TMP/tty4" -- --json sync --rebuild
out=$(tr -d '\r' <"$TEST_TMP/tty4")
assert_not_contains "$out" "$ESC" "sync --json output in a terminal"
jq -e '.ok == true' <<<"$out" >/dev/null || fail "sync --json in a terminal is not the JSON document:"$'\n'"$out"

step "a failing build in a terminal: a red FAILED line with its log"
put_source bad-build-1.0 >/dev/null
dk 0 module add /usr/src/bad-build-1.0
TTY_WANT=1 tty_sync "$TEST_TMP/tty5" -- sync
out=$(tr -d '\r' <"$TEST_TMP/tty5")
plain=$(sed -E "s/$ESC\[[0-9;]*[A-Za-z]//g" <<<"$out")
log=$ROOT/var/lib/distkernel/log/bad-build-1.0/$KVER_A.log
grep -qxF "FAILED bad-build 1.0 · $KVER_A · $(grep -oE "FAILED bad-build 1.0 · $KVER_A · [0-9.]+s" <<<"$plain" |
        sed 's/.* · //') · log: $log" <<<"$plain" || fail "no FAILED line naming the log:"$'\n'"$plain"
assert_contains "$out" "${ESC}[31mFAILED${ESC}[0m" "terminal output (red FAILED)"
assert_file "$log"

step "status: the failed build and the held-back kernel in one line each, with the command that shows the log"
dk 0 status
line=$(grep "^bad-build/1.0 failed for $KVER_A: " <<<"$DK_OUT") || fail "status has no line for the failed build:"$'\n'"$DK_OUT"
assert_eq 1 "$(wc -l <<<"$line")" "status lines for the failed build"
assert_contains "$line" "'distkernel module log bad-build $KVER_A' shows $log" "status line of the failed build"
assert_not_contains "$line" "(log: " "status line of the failed build"
line=$(grep "^$KVER_A is held back: " <<<"$DK_OUT") || fail "status has no held-back line:"$'\n'"$DK_OUT"
assert_contains "$line" "'bad-build/1.0' failed to build (see 'distkernel module log bad-build $KVER_A')" "held-back line"
echo "$DK_OUT"
dk 0 module log bad-build "$KVER_A"
assert_contains "$DK_OUT" "bad_build" "distkernel module log bad-build $KVER_A"
