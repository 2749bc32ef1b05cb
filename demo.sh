#!/bin/bash
# distkernel demo: a sandbox root with a real Debian kernel; build and install
# two DKMS packages for it, then "upgrade" to a newer kernel and sync again.
# Run as root on Debian 12: bash demo.sh
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
ROOT=${DEMO_ROOT:-/tmp/distkernel-demo}
DK=${DISTKERNEL:-$PWD/build/distkernel}

say() { printf '\n\033[1m### %s\033[0m\n' "$*"; }
run() {
        printf '$ distkernel --root %s %s\n' "$ROOT" "$*"
        "$DK" --root "$ROOT" "$@"
}

say "Preparing the host: build tools, Debian kernels and headers, dkms sources"
bash tests/fixtures/prepare.sh
# shellcheck source=/dev/null
. /var/cache/distkernel-tests/env

if [[ -z ${DISTKERNEL:-} ]]; then
        say "Building distkernel (build/)"
        [[ -e build/build.ninja ]] || meson setup build
        meson compile -C build
fi

say "A sandbox root at $ROOT with kernel $KVER_A (its headers are the host's)"
if [[ -e $ROOT ]]; then
        [[ -e $ROOT/.distkernel-demo ]] || { echo "$ROOT exists and is not a demo root; not touching it" >&2; exit 1; }
        rm -rf "$ROOT"
fi
tests/fixtures/mkroot.sh "$ROOT" "$KVER_A"
touch "$ROOT/.distkernel-demo"
cp -a "$V4L2_SRC" tests/data/dktest-1.0 "$ROOT/usr/src/"
v4l2=/usr/src/$(basename "$V4L2_SRC")
ls -l "$ROOT/usr/lib/modules/$KVER_A/build"

say "Registering two module packages: Debian's v4l2loopback and dktest 1.0 (two modules, a patch, a PRE_BUILD script)"
run module add "$v4l2"
run module add /usr/src/dktest-1.0
run module list

say "sync: builds every package for every kernel, installs, runs depmod"
time run sync
ls -l "$ROOT/usr/lib/modules/$KVER_A/updates/dkms/"
echo "modprobe resolves dktest_user's dependency on dktest_core:"
modprobe -n -v -S "$KVER_A" -d "$ROOT" dktest_user

say "status"
run status

say "A kernel upgrade: $KVER_B is installed next to $KVER_A"
tests/fixtures/addkernel.sh "$ROOT" "$KVER_B"
run kernel list

say "sync: only $KVER_B needs builds; $KVER_A is left as it is"
time run sync
ls -l "$ROOT/usr/lib/modules/$KVER_B/updates/dkms/"

say "status: both kernels, newest first"
run status
printf '$ distkernel --root %s --json status | jq .\n' "$ROOT"
"$DK" --root "$ROOT" --json status | jq .

say "Nothing to do on a second sync"
time run sync

say "Done. The sandbox root stays in $ROOT; build logs are in $ROOT/var/lib/distkernel/log/"
