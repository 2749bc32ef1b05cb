#!/bin/bash
# The project's test command: bash tests/run.sh
#
#  1. tests/fixtures/prepare.sh: build tools, kernels, headers, dkms sources
#  2. three builds: build/ (plain), build-san/ (ASan + UBSan), both tested,
#     and build-release/ (-O3, compiled only), all -Dwerror
#  3. the unit tests of both builds (meson test)
#  4. the integration tests (tests/integration/run.sh) against build-san
#  5. every fuzz target for a few seconds (tests/fuzz/run.sh), and valgrind
#     memcheck over the init program's and the generators' tests and runs
#     (tests/valgrind/run.sh) against build
#  6. one closing line: "N passed, N failed, N skipped" over everything
#
# Exits non-zero on any failure. Run as root on Debian 12.
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

passed=0 failed=0 skipped=0
failures=()

section() { printf '\n=== %s\n' "$*"; }
note_failure() { # WHAT
        failed=$((failed + 1))
        failures+=("$1")
        echo "FAIL $1"
}
finish() {
        section "summary"
        if ((${#failures[@]})); then
                printf 'failed: %s\n' "${failures[@]}"
        fi
        echo "$passed passed, $failed failed, $skipped skipped"
        ((failed == 0)) || exit 1
        exit 0
}

# ----------------------------------------------------------------- fixtures
section "prepare (tests/fixtures/prepare.sh)"
if ! bash tests/fixtures/prepare.sh; then
        note_failure "tests/fixtures/prepare.sh"
        finish
fi

# ------------------------------------------------------------------ builds
# build DIR MESON-OPTIONS...: configure (once) and compile
build() {
        local dir=$1
        shift
        if [[ -e $dir/build.ninja ]]; then
                meson configure "$dir" "$@" >/dev/null
        else
                meson setup "$dir" "$@"
        fi
        meson compile -C "$dir"
}
builds_ok=()
section "build: plain (build/)"
if build build -Dwerror=true; then builds_ok+=(build); else note_failure "build (plain)"; fi
section "build: ASan + UBSan (build-san/)"
if build build-san -Dwerror=true -Db_sanitize=address,undefined -Db_lundef=false; then
        builds_ok+=(build-san)
else
        note_failure "build (sanitizers)"
fi

# gcc -O3 sees what -O2 does not (maybe-uninitialized, string truncation):
# the release build must compile warning-free too; its tests are the plain
# build's.
section "build: release -O3 (build-release/), compile only"
if ! build build-release -Dwerror=true -Dbuildtype=release; then
        note_failure "build (release)"
fi

export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1

# --------------------------------------------------------------- unit tests
# The unit test programs end their output with "N passed, N failed"; meson's
# testlog.json holds each program's output. A program that did not print that
# line (it crashed, or a sanitizer stopped it) counts as one failure.
unit_tests() { # BUILD-DIR
        local dir=$1 log=$1/meson-logs/testlog.json rc=0 line name result stdout counts p f
        local u_passed=0 u_failed=0 u_skipped=0
        rm -f "$log"
        meson test -C "$dir" --print-errorlogs || rc=$?
        if [[ ! -s $log ]]; then
                note_failure "unit tests ($dir): meson test wrote no $log"
                return
        fi
        while IFS= read -r line; do
                p=0 f=0
                name=$(jq -r '.name' <<<"$line")
                result=$(jq -r '.result' <<<"$line")
                stdout=$(jq -r '.stdout // ""' <<<"$line")
                counts=$(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed$/\1 \2/p' <<<"$stdout")
                counts=${counts##*$'\n'}
                if [[ $result == SKIP ]]; then
                        u_skipped=$((u_skipped + 1))
                        continue
                fi
                if [[ -n $counts ]]; then
                        read -r p f <<<"$counts"
                        u_passed=$((u_passed + p))
                        u_failed=$((u_failed + f))
                        if [[ $result != OK ]] && ((f == 0)); then
                                u_failed=$((u_failed + 1))
                                failures+=("unit test program $name ($dir): $result")
                        fi
                elif [[ $result == OK ]]; then
                        u_passed=$((u_passed + 1))
                else
                        u_failed=$((u_failed + 1))
                        failures+=("unit test program $name ($dir): $result")
                fi
                ((f == 0)) || failures+=("unit tests of $name ($dir): $f failed")
        done <"$log"
        if ((rc != 0 && u_failed == 0)); then
                u_failed=1
                failures+=("meson test -C $dir exited $rc")
        fi
        echo "unit tests ($dir): passed=$u_passed failed=$u_failed skipped=$u_skipped"
        passed=$((passed + u_passed))
        failed=$((failed + u_failed))
        skipped=$((skipped + u_skipped))
}
for dir in "${builds_ok[@]}"; do
        section "unit tests ($dir)"
        unit_tests "$dir"
done

# ------------------------------------------- integration and boot tests
# suite NAME COMMAND...: runs a script that ends with "N passed, N failed,
# N skipped" and adds its counts. Its closing line is rewritten so that the
# last such line printed is the overall one below.
suite() {
        local name=$1 out rc=0 counts p f s
        shift
        section "$name"
        out=$(mktemp)
        "$@" 2>&1 | tee "$out" |
                sed -E "s/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped\$/$name: passed=\1 failed=\2 skipped=\3/" ||
                rc=$?
        counts=$(sed -nE 's/^([0-9]+) passed, ([0-9]+) failed, ([0-9]+) skipped$/\1 \2 \3/p' "$out")
        rm -f "$out"
        if [[ -z $counts ]]; then
                note_failure "$name: no summary (exit $rc)"
                return
        fi
        read -r p f s <<<"${counts##*$'\n'}"
        passed=$((passed + p))
        failed=$((failed + f))
        skipped=$((skipped + s))
        ((f == 0)) || failures+=("$name: $f failed")
        if ((rc != 0 && f == 0)); then
                note_failure "$name: exit $rc"
        fi
}
if [[ " ${builds_ok[*]} " == *" build-san "* ]]; then
        export DISTKERNEL=build-san/distkernel
        # the whole-sync fault sweep with the plain build (see t-sync-faults.sh)
        if [[ " ${builds_ok[*]} " == *" build "* ]]; then export FAULT_DISTKERNEL=build/distkernel; fi
        suite "integration tests (build-san)" bash tests/integration/run.sh
        suite "boot tests" bash tests/boot/run.sh
        suite "UKI boot test" bash tests/uki/boot-uki.sh
        suite "Secure Boot boot test" bash tests/uki/boot-sb.sh
else
        echo "not run: the sanitizer build failed"
fi
suite "fuzz targets (libFuzzer)" bash tests/fuzz/run.sh
if [[ " ${builds_ok[*]} " == *" build "* ]]; then
        suite "valgrind memcheck (build)" bash tests/valgrind/run.sh
fi

finish
