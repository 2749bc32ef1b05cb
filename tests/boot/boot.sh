#!/bin/bash
# boot.sh KERNEL INITRD CMDLINE DISK.img: boot a kernel and initramfs in QEMU
# (TCG, 1 GiB, serial console, the disk as a raw virtio drive), print the
# serial console and say whether the boot test's marker appeared.
#
# Exit status: 0 the marker appeared; 1 it did not (QEMU stopped on its own);
# 3 QEMU was stopped after BOOT_TIMEOUT seconds; 2 usage or setup error.
#
# Environment:
#   BOOT_TIMEOUT  seconds before QEMU is killed (default 180)
#   BOOT_LOG      file for the console output (default: a temporary file,
#                 removed afterwards)
#   BOOT_MARKER   what marks success (default DISTKERNEL-BOOT-OK)
#   BOOT_QUIET=1  do not print the console output
#   BOOT_SEND     text to type on the serial console, once BOOT_SEND_AFTER
#                 (a grep pattern) has appeared on it (default: type nothing)
#   QEMU          the emulator (default qemu-system-x86_64)
set -uo pipefail

usage() { echo "usage: $0 KERNEL INITRD CMDLINE DISK.img" >&2; exit 2; }
(($# == 4)) || usage
kernel=$1 initrd=$2 cmdline=$3 disk=$4
timeout_s=${BOOT_TIMEOUT:-180}
marker=${BOOT_MARKER:-DISTKERNEL-BOOT-OK}
qemu=${QEMU:-qemu-system-x86_64}

for f in "$kernel" "$initrd" "$disk"; do
        [[ -r $f ]] || { echo "boot.sh: $f: not readable" >&2; exit 2; }
done
command -v "$qemu" >/dev/null || { echo "boot.sh: $qemu is not installed (apt-get install qemu-system-x86)" >&2; exit 2; }

log=${BOOT_LOG:-}
if [[ -z $log ]]; then
        log=$(mktemp "${TMPDIR:-/tmp}/boot-console.XXXXXX")
        trap 'rm -f "$log"' EXIT
fi

# QEMU's standard input: nothing, or a pipe that gets BOOT_SEND when the
# console shows BOOT_SEND_AFTER.
input=/dev/null feeder=
: >"$log"
if [[ -n ${BOOT_SEND:-} ]]; then
        input=$(mktemp -u "${TMPDIR:-/tmp}/boot-input.XXXXXX")
        mkfifo -m 600 "$input"
        (
                exec 3>"$input"
                for ((i = 0; i < timeout_s * 5; i++)); do
                        if grep -q -- "${BOOT_SEND_AFTER:-.}" "$log"; then
                                sleep 1
                                printf '%s' "$BOOT_SEND" >&3
                                break
                        fi
                        sleep 0.2
                done
                exec sleep "$timeout_s"
        ) &
        feeder=$!
fi

start=$(date +%s%N)
rc=0
timeout --kill-after=10 "$timeout_s" "$qemu" -accel tcg -m 1024 -nographic -no-reboot \
        -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 $cmdline" \
        -drive "file=$disk,if=virtio,format=raw" <"$input" >>"$log" 2>&1 || rc=$?
if [[ -n $feeder ]]; then
        kill "$feeder" 2>/dev/null
        wait "$feeder" 2>/dev/null
        rm -f "$input"
fi
took=$((($(date +%s%N) - start) / 1000000))
secs=$(printf '%d.%01d' $((took / 1000)) $((took % 1000 / 100)))

# The console log has CR LF line ends.
sed -i 's/\r$//' "$log"
if [[ ${BOOT_QUIET:-0} != 1 ]]; then
        echo "----- console ($kernel, $cmdline) -----"
        cat "$log"
        echo "----- end of console -----"
fi
if ((rc == 124 || rc == 137)); then
        echo "boot.sh: QEMU did not stop within ${timeout_s} s, killed"
        exit 3
fi
if grep -q "$marker" "$log"; then
        echo "boot.sh: marker '$marker' seen; QEMU stopped after $secs s (exit $rc)"
        exit 0
fi
echo "boot.sh: no marker '$marker'; QEMU stopped after $secs s (exit $rc)"
exit 1
