#!/bin/bash
# valgrind memcheck over the init program and the generators, plain build
# (build/, not the sanitizer one):
#   - the unit tests of the init program's pure parts (test-init), of the
#     builtin initramfs generator (test-initramfs, test-initramfs-image) and
#     of UKI assembly (test-uki);
#   - distkernel on a sandbox root (tests/fixtures/mkroot.sh): sync in the
#     legacy layout (builtin initramfs), `initramfs KVER` with every
#     compression, sync and `uki KVER` in the uki layout, verify.
# Each run is one check: it passes when the program succeeds and valgrind
# reports no error (invalid accesses, uninitialised values, definite leaks).
# Child processes (depmod, bash) are not traced. Ends with
# "N passed, N failed, N skipped"; the logs are kept in VALGRIND_OUT
# (default build-valgrind/).
#
#   bash tests/valgrind/run.sh
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

build=${VALGRIND_BUILD:-build}
out=${VALGRIND_OUT:-$repo/build-valgrind}
passed=0 failed=0 skipped=0 total_errors=0

if ! command -v valgrind >/dev/null; then
        echo "installing valgrind"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq valgrind >/dev/null
fi
if ! command -v valgrind >/dev/null; then
        echo "valgrind is not available and could not be installed"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
fi
if [[ ! -x $build/distkernel || ! -x $build/test-init ]]; then
        echo "$build/ is not built (meson setup $build && meson compile -C $build)"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
fi
rm -rf "$out"
mkdir -p "$out"

# valgrind 3.19 (Debian 12) fails openat2(2) with ENOSYS; the shim emulates it.
shim=$out/openat2-shim.so
if ! gcc -std=gnu11 -O1 -g -Wall -Wextra -Werror -shared -fPIC tests/valgrind/openat2-shim.c -o "$shim" -ldl; then
        echo "cannot build tests/valgrind/openat2-shim.c"
        echo "0 passed, 1 failed, 0 skipped"
        exit 1
fi

# vg NAME COMMAND...: one check under memcheck
vg() {
        local name=$1 log=$out/$1.log rc=0 errors lost start=$SECONDS
        shift
        # VALGRIND_ARGS=--track-origins=yes to see where an uninitialised value came from
        # shellcheck disable=SC2086
        LD_PRELOAD=$shim valgrind --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite \
                --show-leak-kinds=definite ${VALGRIND_ARGS:-} --log-file="$log.vg" "$@" >"$log" 2>&1 || rc=$?
        errors=$(sed -nE 's/.*ERROR SUMMARY: ([0-9]+) errors.*/\1/p' "$log.vg" | tail -n1)
        lost=$(sed -nE 's/.*definitely lost: ([0-9,]+) bytes.*/\1/p' "$log.vg" | tail -n1)
        total_errors=$((total_errors + ${errors:-0}))
        if ((rc == 0)) && [[ ${errors:-x} == 0 ]]; then
                printf 'ok    %-28s errors=0 definitely-lost=%s (%d s)\n' "$name" "${lost:-0}" $((SECONDS - start))
                passed=$((passed + 1))
                return 0
        fi
        printf 'FAIL  %-28s exit=%d errors=%s definitely-lost=%s\n' "$name" "$rc" "${errors:-?}" "${lost:-0}"
        grep -vE '^--[0-9]+-- ' "$log.vg" | grep -E '^==[0-9]+== ' | head -n 30 | sed 's/^/  /'
        tail -n 5 "$log" | sed 's/^/  /'
        echo "  logs: $log $log.vg"
        failed=$((failed + 1))
        return 1
}

# ------------------------------------------------------------- unit tests
for t in test-init test-initramfs test-initramfs-image test-uki; do
        vg "$t" "$build/$t"
done
# distkernel-init itself is not run: off PID 1 it only prints its version, and
# memcheck on a static program reports glibc's own start-up (it cannot replace
# a static malloc); its parsers are test-init's and the fuzz targets'.

# ---------------------------------------------- generators on a sandbox root
env_file=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}/env
# shellcheck source=/dev/null
if [[ -r $env_file ]] && . "$env_file" && [[ -n ${KVER_A:-} && -e ${KERNELS_DIR:-}/$KVER_A/.complete ]]; then
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/distkernel-valgrind.XXXXXX")
        trap 'rm -rf "$tmp"' EXIT
        root=$tmp/root
        dk=("$build/distkernel" --root "$root" -j 2)
        if tests/fixtures/mkroot.sh "$root" "$KVER_A" >"$out/mkroot.log" 2>&1; then
                vg "sync (legacy, builtin)" "${dk[@]}" sync
                mkdir -p "$root/etc/distkernel"
                for codec in xz:1 gzip lz4 none zstd; do
                        echo "initramfs-compress = $codec" >"$root/etc/distkernel/distkernel.conf"
                        vg "initramfs KVER ($codec)" "${dk[@]}" initramfs "$KVER_A"
                done
                mkdir -p "$root/efi/EFI/Linux" "$root/etc/kernel"
                echo dkvalgrind >"$root/etc/kernel/entry-token"
                echo "root=/dev/vda2 ro quiet" >"$root/etc/kernel/cmdline"
                if [[ -r /usr/lib/systemd/boot/efi/linuxx64.efi.stub ]]; then
                        vg "sync (uki)" "${dk[@]}" sync
                        vg "uki KVER" "${dk[@]}" uki "$KVER_A"
                        [[ -s $root/efi/EFI/Linux/dkvalgrind-$KVER_A.efi ]] ||
                                { echo "FAIL  no UKI $root/efi/EFI/Linux/dkvalgrind-$KVER_A.efi"; failed=$((failed + 1)); }
                else
                        echo "skip  uki layout: systemd-boot-efi is not installed"
                        skipped=$((skipped + 2))
                fi
                vg "verify" "${dk[@]}" verify
                vg "status --json" "${dk[@]}" --json status
        else
                echo "FAIL  tests/fixtures/mkroot.sh (see $out/mkroot.log)"
                failed=$((failed + 1))
        fi
else
        echo "skip  distkernel on a sandbox root: no test fixtures (tests/fixtures/prepare.sh)"
        skipped=$((skipped + 1))
fi

echo "valgrind: $total_errors errors in $((passed + failed)) runs"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
