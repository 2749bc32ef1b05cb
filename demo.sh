#!/bin/bash
# distkernel demo: a sandbox root with a real Debian kernel and an EFI System
# Partition; build and install DKMS packages for it, its initramfs and its
# Unified Kernel Image, then "upgrade" to a newer kernel and sync again, and
# finally boot the freshly installed UKI in QEMU (OVMF, TCG) through
# systemd-boot.
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
cp -a "$V4L2_SRC" tests/data/dktest-1.0 tests/data/dkroot-1.0 "$ROOT/usr/src/"
v4l2=/usr/src/$(basename "$V4L2_SRC")
ls -l "$ROOT/usr/lib/modules/$KVER_A/build"

say "An ESP at $ROOT/efi (EFI/Linux present: the uki layout), an entry token, a root disk and its command line"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
echo demo >"$ROOT/etc/kernel/entry-token"
disk=$ROOT/.demo-root.img
uuid=$(tests/boot/mkrootfs.sh "$disk" | sed -n 's/^UUID=//p')
echo "root=UUID=$uuid rw panic=-1 console=ttyS0" | tee "$ROOT/etc/kernel/cmdline"

say "Registering module packages: Debian's v4l2loopback, dktest 1.0 (two modules, a patch, a PRE_BUILD script) and dkroot (REMAKE_INITRD: carried in the initramfs, like ZFS)"
run module add "$v4l2"
run module add /usr/src/dktest-1.0
run module add /usr/src/dkroot-1.0
run module list

say "sync: builds every package for every kernel, installs, runs depmod, makes the initramfs and the UKI"
time run sync
ls -l "$ROOT/usr/lib/modules/$KVER_A/updates/dkms/" "$ROOT/efi/EFI/Linux/"
echo "modprobe resolves dktest_user's dependency on dktest_core:"
modprobe -n -v -S "$KVER_A" -d "$ROOT" dktest_user

say "status"
run status

say "A kernel upgrade: $KVER_B is installed next to $KVER_A"
tests/fixtures/addkernel.sh "$ROOT" "$KVER_B"
run kernel list

say "sync: only $KVER_B needs builds; $KVER_A is left as it is; $KVER_B becomes the default"
time run sync
ls -l "$ROOT/usr/lib/modules/$KVER_B/updates/dkms/" "$ROOT/efi/EFI/Linux/"
objdump -h "$ROOT/efi/EFI/Linux/demo-$KVER_B.efi" | awk '$1 ~ /^[0-9]+$/ { print "  section", $2, "size 0x" $3 }'

say "status: both kernels, newest first"
run status
printf '$ distkernel --root %s --json status | jq .\n' "$ROOT"
"$DK" --root "$ROOT" --json status | jq .

say "Nothing to do on a second sync"
time run sync

say "Booting the ESP in QEMU (OVMF, TCG): systemd-boot picks the newest UKI, the default"
esp=$(mktemp -d)
cp -a "$ROOT/efi/." "$esp/"
mkdir -p "$esp/EFI/BOOT" "$esp/loader"
cp /usr/lib/systemd/boot/efi/systemd-bootx64.efi "$esp/EFI/BOOT/BOOTX64.EFI"
echo "timeout 0" >"$esp/loader/loader.conf"
log=$ROOT/.demo-console.log
BOOT_QUIET=1 BOOT_LOG=$log tests/boot/boot-efi.sh "$esp" "$disk" || { tail -n 40 "$log"; exit 1; }
rm -rf "$esp"
echo "The booted system says:"
grep -a -E '^DISTKERNEL-(BOOT-OK|CMDLINE)|^dkroot ' "$log"

say "Done. The sandbox root stays in $ROOT; build logs are in $ROOT/var/lib/distkernel/log/"
