#!/bin/bash
# boot-efi.sh ESPDIR DISK.img: boot a machine whose EFI System Partition holds
# the files of ESPDIR (a FAT drive QEMU makes from a copy of the directory)
# under OVMF in QEMU (TCG, 1 GiB, serial console), with DISK.img as a virtio
# drive; print the console and say whether the boot test's marker appeared.
# What the firmware starts is ESPDIR/EFI/BOOT/BOOTX64.EFI (a UKI, or
# systemd-boot which then picks an entry of ESPDIR/EFI/Linux or
# ESPDIR/loader/entries).
#
# Exit status: 0 the marker appeared; 1 it did not (QEMU stopped on its own);
# 3 QEMU was stopped after BOOT_TIMEOUT seconds; 2 usage or setup error.
#
# Environment: BOOT_TIMEOUT (default 240), BOOT_LOG, BOOT_MARKER (default
# DISTKERNEL-BOOT-OK), BOOT_QUIET=1, BOOT_SECURE=1 (Secure Boot firmware with
# the snakeoil keys of Debian's ovmf package enrolled), QEMU.
set -uo pipefail

usage() { echo "usage: $0 ESPDIR DISK.img" >&2; exit 2; }
(($# == 2)) || usage
esp=$1 disk=$2
timeout_s=${BOOT_TIMEOUT:-240}
marker=${BOOT_MARKER:-DISTKERNEL-BOOT-OK}
qemu=${QEMU:-qemu-system-x86_64}
code=/usr/share/OVMF/OVMF_CODE_4M.fd vars=/usr/share/OVMF/OVMF_VARS_4M.fd
machine=(-machine q35)
if [[ ${BOOT_SECURE:-0} == 1 ]]; then
        code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd vars=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
        machine=(-machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on)
fi

[[ -d $esp ]] || { echo "boot-efi.sh: $esp: not a directory" >&2; exit 2; }
[[ -r $disk ]] || { echo "boot-efi.sh: $disk: not readable" >&2; exit 2; }
for f in "$code" "$vars"; do
        [[ -r $f ]] || { echo "boot-efi.sh: $f is missing (apt-get install ovmf)" >&2; exit 2; }
done
command -v "$qemu" >/dev/null || { echo "boot-efi.sh: $qemu is not installed (apt-get install qemu-system-x86)" >&2; exit 2; }

work=$(mktemp -d "${TMPDIR:-/tmp}/boot-efi.XXXXXX")
trap 'rm -rf "$work"' EXIT
cp "$vars" "$work/VARS.fd"
# QEMU's FAT drive writes back into its directory: give it a copy
cp -r "$esp" "$work/esp"
log=${BOOT_LOG:-$work/console.log}
: >"$log"

start=$(date +%s%N)
rc=0
timeout --kill-after=10 "$timeout_s" "$qemu" -accel tcg -m 1024 -nographic -no-reboot "${machine[@]}" \
        -drive if=pflash,format=raw,unit=0,readonly=on,file="$code" \
        -drive if=pflash,format=raw,unit=1,file="$work/VARS.fd" \
        -drive format=raw,file=fat:rw:"$work/esp" \
        -drive "file=$disk,if=virtio,format=raw" </dev/null >>"$log" 2>&1 || rc=$?
took=$((($(date +%s%N) - start) / 1000000))
secs=$(printf '%d.%01d' $((took / 1000)) $((took % 1000 / 100)))

sed -i 's/\r$//' "$log"
if [[ ${BOOT_QUIET:-0} != 1 ]]; then
        echo "----- console ($esp) -----"
        cat "$log"
        echo "----- end of console -----"
fi
if ((rc == 124 || rc == 137)); then
        echo "boot-efi.sh: stopped after ${timeout_s} s without powering off"
        exit 3
fi
if grep -q "^$marker" "$log"; then
        echo "boot-efi.sh: booted in $secs s: $(grep -a "^$marker" "$log" | head -n 1)"
        exit 0
fi
echo "boot-efi.sh: no '$marker' on the console (qemu exit $rc, $secs s)"
exit 1
