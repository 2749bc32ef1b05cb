#!/bin/bash
# Boot test of UKI assembly: tests/uki/boot-uki.sh
#
# Assembles a UKI with uki_build() (through tests/uki/mkuki.c, compiled here)
# from Debian 12's systemd-stub, a real Debian kernel from the test cache
# (KVER_A of /var/cache/distkernel-tests/env) and a tiny initrd whose static
# /init prints a marker and /proc/cmdline and powers off; then boots it under
# OVMF in QEMU (TCG) as the removable-media loader EFI/BOOT/BOOTX64.EFI of a
# FAT directory, and checks the console for the marker and for the command line
# of the .cmdline section. Then the same with the stub's ImageBase moved above
# 4 GiB, like the v254 and later stubs.
#
# Ends with "N passed, N failed, N skipped"; skips (exit 0) when QEMU, OVMF, the
# stub or the kernel cache are missing. KEEP=1 keeps the temporary directory.
# BOOT_TIMEOUT (seconds, default 240) bounds the boot; UKI_KVER picks another
# cached kernel, UKI_STUB another x64 stub. Shared parts: tests/uki/lib.sh.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
suite=boot-uki
# shellcheck source=tests/uki/lib.sh
. "$repo/tests/uki/lib.sh"
stub=${UKI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
token=distkernel.uki-test=$$
cmdline="console=ttyS0 panic=-1 $token"

# ------------------------------------------------------------ prerequisites
need_tools qemu-system-x86_64 gcc cpio objdump
need_files "$ovmf_code" "$ovmf_vars" "$stub"
load_kernel
make_tmp

# ------------------------------------------------------------------ build
build_mkuki || { fail "compile mkuki"; finish; }
build_initrd || { fail "make the initrd"; finish; }

# ---------------------------------------------------------- assemble, boot
# boot_case NAME STUB: assemble a UKI with STUB into DIR/NAME/EFI/BOOT/BOOTX64.EFI,
# check its section table with objdump, boot it, check the console.
boot_case() {
        local name=$1 stub_file=$2 esp=$tmp/$1/esp log=$tmp/$1/console.log start names
        local uki=$esp/EFI/BOOT/BOOTX64.EFI

        mkdir -p "$esp/EFI/BOOT"
        start=$EPOCHREALTIME
        if ! "$tmp/mkuki" --root "$esp" --output /EFI/BOOT/BOOTX64.EFI --stub "$stub_file" --linux "$kernel" \
                --initrd "$tmp/initrd.cpio" --cmdline "$cmdline" --os-release /etc/os-release \
                --uname "$kver" 2>"$tmp/$name/mkuki.err"; then
                fail "$name: assemble a UKI of $kver: $(cat "$tmp/$name/mkuki.err")"
                return
        fi
        ok "$name: assemble a UKI of $kver ($(stat -c %s "$uki") bytes, $(since "$start") s)"

        # the section table as objdump reads it: the added sections in order, .linux last
        names=$(objdump -h "$uki" | awk '$1 ~ /^[0-9]+$/ { printf "%s ", $2 }')
        if [[ $names == *".osrel .cmdline .uname .initrd .sbat .linux " ]]; then
                ok "$name: objdump -h lists the sections: $names"
        else
                fail "$name: objdump -h lists the sections: $names"
        fi

        cp "$ovmf_vars" "$tmp/$name/VARS.fd"
        run_qemu "$log" "" \
                -drive if=pflash,format=raw,readonly=on,file="$ovmf_code" \
                -drive if=pflash,format=raw,file="$tmp/$name/VARS.fd" \
                -drive format=raw,file=fat:rw:"$esp"
        if grep -q "^$marker" "$log"; then
                ok "$name: boot under OVMF: /init ran (qemu exit $qemu_rc, $qemu_secs s)"
        else
                fail "$name: boot under OVMF: no '$marker' on the console (qemu exit $qemu_rc, $qemu_secs s); last lines:"
                console_tail "$log"
        fi
        if grep -q "^DISTKERNEL-UKI-CMDLINE: .*$token" "$log"; then
                ok "$name: the kernel ran with the .cmdline section: $(grep -a '^DISTKERNEL-UKI-CMDLINE' "$log" | tr -d '\r')"
        else
                fail "$name: the kernel did not get the .cmdline section ($token)"
        fi
}

boot_case stub "$stub"

# The same stub with ImageBase moved above 4 GiB (0x1a2b30000), as v254 and
# later stubs have it: section addresses are RVAs, so the UKI must still boot
# (fixed-VMA objcopy recipes break here, systemd#25903, #28419). Its .reloc
# holds no fixups, so the rebased stub runs wherever the firmware loads it.
lfanew=$(od -An -tu4 -j60 -N4 "$stub" | tr -d ' ')
mkdir -p "$tmp/rebased"
cp "$stub" "$tmp/rebased/stub.efi"
printf '\x00\x00\xb3\xa2\x01\x00\x00\x00' |
        dd of="$tmp/rebased/stub.efi" bs=1 seek=$((lfanew + 24 + 24)) conv=notrunc status=none
boot_case rebased "$tmp/rebased/stub.efi"
finish
