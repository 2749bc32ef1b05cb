#!/bin/bash
# Run the integration tests: tests/integration/run.sh [TEST...]
# (TEST: t-NAME, t-NAME.sh or NAME; default: every t-*.sh here).
#
# Each test runs in its own process with a timeout (TEST_TIMEOUT seconds,
# default 900, or what a "# timeout: SECONDS" line of the test says). Prints
# "ok NAME", "skip NAME (why)" or "FAIL NAME" followed by the test's output,
# then one closing line "N passed, N failed, N skipped".
# Exits 1 if any test failed.
#
# Environment: DISTKERNEL (the binary under test, default build/distkernel),
# TEST_TIMEOUT, KEEP=1|failed (keep the temporary roots).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
cd "$repo"
export DISTKERNEL=${DISTKERNEL:-build/distkernel}
timeout_s=${TEST_TIMEOUT:-900}

tests=()
if (($#)); then
        for t; do
                t=${t%.sh}
                t=${t##*/}
                [[ $t == t-* ]] || t=t-$t
                [[ -f $here/$t.sh ]] || { echo "run.sh: no such test: $t" >&2; exit 2; }
                tests+=("$here/$t.sh")
        done
else
        tests=("$here"/t-*.sh)
fi

passed=0 failed=0 skipped=0
out=$(mktemp)
trap 'rm -f "$out"' EXIT
for t in "${tests[@]}"; do
        name=$(basename "$t" .sh)
        start=$SECONDS
        rc=0
        # a test that is long by design says so: "# timeout: SECONDS" (unless
        # TEST_TIMEOUT is set)
        t_timeout=$timeout_s
        if [[ -z ${TEST_TIMEOUT:-} ]]; then
                t_timeout=$(sed -n 's/^# timeout: \([0-9]\+\)$/\1/p' "$t" | head -n1)
                t_timeout=${t_timeout:-$timeout_s}
        fi
        timeout --kill-after=30 "$t_timeout" bash "$t" >"$out" 2>&1 </dev/null || rc=$?
        took=$((SECONDS - start))
        case $rc in
        0)
                echo "ok $name (${took}s)"
                # a sweep's tally is worth seeing in the log
                grep -h 'points injected' "$out" | sed 's/^/    /' || true
                passed=$((passed + 1))
                ;;
        77)
                echo "skip $name ($(sed -n 's/^SKIP: [^:]*: //p' "$out" | tail -n1))"
                skipped=$((skipped + 1))
                ;;
        *)
                ((rc != 124 && rc != 137)) || echo "(timed out after ${timeout_s}s)" >>"$out"
                echo "FAIL $name (exit $rc, ${took}s)"
                sed 's/^/    /' "$out"
                failed=$((failed + 1))
                ;;
        esac
done
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
