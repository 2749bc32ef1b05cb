#!/bin/bash
# Measures UKI assembly: tests/uki/bench-uki.sh [RUNS]
#
# Assembles a UKI from Debian 12's systemd-stub, a cached Debian kernel
# (KVER_A) and a 30 MB incompressible initrd with uki_build() (tests/uki/mkuki.c,
# which fsyncs the output), and compares the median wall time over RUNS runs
# (default 7, page cache warm) with:
#   cp + sync   copying a file of the same size and fsyncing it (sync FILE)
#   cp          the same copy without fsync
#   objcopy     systemd v252's documented recipe (--add-section with fixed VMAs)
# Output on the same file system as TMPDIR (default /var/tmp).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}
stub=/usr/lib/systemd/boot/efi/linuxx64.efi.stub
runs=${1:-7}
. "$cache/env"
kernel=$cache/kernels/$KVER_A/boot/vmlinuz-$KVER_A
for f in "$stub" "$kernel"; do
        [[ -r $f ]] || { echo "bench-uki: $f is missing" >&2; exit 77; }
done

tmp=$(mktemp -d "${TMPDIR:-/var/tmp}/bench-uki.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -I"$repo/src" \
        "$repo/tests/uki/mkuki.c" "$repo"/src/uki/{pe,pe-builder,uki}.c \
        "$repo"/src/util/{fs,hash,log,strv}.c -o "$tmp/mkuki" -lcrypto -pthread
head -c 30000000 /dev/urandom >"$tmp/initrd"
echo "console=ttyS0 panic=-1" >"$tmp/cmdline"
mkdir "$tmp/root"

mkuki() {
        "$tmp/mkuki" --root "$tmp/root" --output /uki.efi --stub "$stub" --linux "$kernel" \
                --initrd "$tmp/initrd" --cmdline "console=ttyS0 panic=-1" --os-release /etc/os-release \
                --uname "$KVER_A"
}
size=$( (mkuki && stat -c %s "$tmp/root/uki.efi") )
head -c "$size" /dev/urandom >"$tmp/same-size"
cp_sync() {
        rm -f "$tmp/copy"
        cp "$tmp/same-size" "$tmp/copy"
        sync "$tmp/copy"
}
cp_only() {
        rm -f "$tmp/copy"
        cp "$tmp/same-size" "$tmp/copy"
}
objcopy_v252() {
        rm -f "$tmp/objcopy.efi"
        objcopy --add-section .osrel=/etc/os-release --change-section-vma .osrel=0x20000 \
                --add-section .cmdline="$tmp/cmdline" --change-section-vma .cmdline=0x30000 \
                --add-section .linux="$kernel" --change-section-vma .linux=0x2000000 \
                --add-section .initrd="$tmp/initrd" --change-section-vma .initrd=0x3000000 \
                "$stub" "$tmp/objcopy.efi"
}

# median FUNCTION: median wall time in ms over $runs runs (after one warm-up)
median() {
        local i t0 times=()
        "$1"
        for ((i = 0; i < runs; i++)); do
                t0=$EPOCHREALTIME
                "$1"
                times+=("$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", (b - a) * 1000 }')")
        done
        printf '%s\n' "${times[@]}" | sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

m_uki=$(median mkuki)
m_cps=$(median cp_sync)
m_cp=$(median cp_only)
m_obj=$(median objcopy_v252)
printf 'output %d bytes (kernel %d, initrd %d), median of %d runs\n' "$size" "$(stat -c %s "$kernel")" \
        "$(stat -c %s "$tmp/initrd")" "$runs"
printf '%-32s %8.1f ms\n' "uki_build (with fsync)" "$m_uki" "cp + sync of the same size" "$m_cps" \
        "cp of the same size" "$m_cp" "objcopy (v252 recipe)" "$m_obj"
awk -v u="$m_uki" -v s="$m_cps" -v c="$m_cp" -v o="$m_obj" 'BEGIN {
        printf "uki_build / (cp + sync) = %.2f, uki_build / cp = %.2f, objcopy / uki_build = %.2f\n", u / s, u / c, o / u }'
