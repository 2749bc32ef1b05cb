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
# cached kernel, UKI_STUB another x64 stub.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cache=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}
stub=${UKI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.fd
marker=DISTKERNEL-UKI-OK
token=distkernel.uki-test=$$
cmdline="console=ttyS0 panic=-1 $token"
passed=0 failed=0 skipped=0

finish() {
        echo "$passed passed, $failed failed, $skipped skipped"
        ((failed == 0))
        exit
}
skip_all() {
        echo "skip boot-uki: $*"
        skipped=$((skipped + 1))
        finish
}
ok() {
        echo "ok $*"
        passed=$((passed + 1))
}
fail() {
        echo "FAIL $*"
        failed=$((failed + 1))
}
since() { # START: seconds elapsed since $EPOCHREALTIME was START
        awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# ------------------------------------------------------------ prerequisites
for tool in qemu-system-x86_64 gcc cpio objdump timeout; do
        command -v "$tool" >/dev/null || skip_all "$tool is not installed"
done
for f in "$ovmf_code" "$ovmf_vars"; do
        [[ -r $f ]] || skip_all "$f is missing (apt-get install ovmf)"
done
[[ -r $stub ]] || skip_all "$stub is missing (apt-get install systemd-boot-efi)"
[[ -r $cache/env ]] || skip_all "$cache/env is missing (run tests/fixtures/prepare.sh)"
# shellcheck source=/dev/null
. "$cache/env"
kver=${UKI_KVER:-${KVER_A:-}}
kernel=$cache/kernels/$kver/boot/vmlinuz-$kver
[[ -n $kver && -r $kernel ]] || skip_all "kernel '$kver' is not in $cache/kernels"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/boot-uki.XXXXXX")
cleanup() {
        if [[ ${KEEP:-} == 1 ]]; then
                echo "kept $tmp"
        else
                rm -rf "$tmp"
        fi
}
trap cleanup EXIT

# ------------------------------------------------------------------ build
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -I"$repo/src" \
        "$repo/tests/uki/mkuki.c" "$repo"/src/uki/{pe,pe-builder,uki}.c \
        "$repo"/src/util/{fs,log,strv}.c -o "$tmp/mkuki" || { fail "compile mkuki"; finish; }

mkdir -p "$tmp/initrd"
cat >"$tmp/init.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *s) {
        int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
        if (fd < 0) {
                mkdir("/dev", 0755);
                mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
                fd = open("/dev/console", O_WRONLY | O_NOCTTY);
        }
        if (fd >= 0) {
                write(fd, s, strlen(s));
                close(fd);
        }
        fd = open("/dev/kmsg", O_WRONLY);
        if (fd >= 0) {
                write(fd, s, strlen(s));
                close(fd);
        }
}

int main(void) {
        char cmdline[4096] = "", line[4200];
        int fd;
        ssize_t n;

        mkdir("/proc", 0555);
        mount("proc", "/proc", "proc", 0, NULL);
        fd = open("/proc/cmdline", O_RDONLY);
        if (fd >= 0) {
                n = read(fd, cmdline, sizeof cmdline - 1);
                cmdline[n > 0 ? n : 0] = 0;
                close(fd);
        }
        cmdline[strcspn(cmdline, "\n")] = 0;
        snprintf(line, sizeof line, "\nDISTKERNEL-UKI-CMDLINE: %s\nDISTKERNEL-UKI-OK\n", cmdline);
        say(line);
        sync();
        reboot(RB_POWER_OFF);
        return 0;
}
EOF
gcc -static -O2 -o "$tmp/initrd/init" "$tmp/init.c" || { fail "compile the static /init"; finish; }
(cd "$tmp/initrd" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 >"$tmp/initrd.cpio") ||
        { fail "make the initrd"; finish; }

# ---------------------------------------------------------- assemble, boot
# boot_case NAME STUB: assemble a UKI with STUB into DIR/NAME/EFI/BOOT/BOOTX64.EFI,
# check its section table with objdump, boot it, check the console.
boot_case() {
        local name=$1 stub_file=$2 esp=$tmp/$1/esp log=$tmp/$1/console.log start rc elapsed names
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
        start=$EPOCHREALTIME
        timeout --kill-after=10 "${BOOT_TIMEOUT:-240}" qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot \
                -drive if=pflash,format=raw,readonly=on,file="$ovmf_code" \
                -drive if=pflash,format=raw,file="$tmp/$name/VARS.fd" \
                -drive format=raw,file=fat:rw:"$esp" \
                </dev/null >"$log" 2>&1
        rc=$?
        elapsed=$(since "$start")
        if grep -q "^$marker" "$log"; then
                ok "$name: boot under OVMF: /init ran (qemu exit $rc, $elapsed s)"
        else
                fail "$name: boot under OVMF: no '$marker' on the console (qemu exit $rc, $elapsed s); last lines:"
                tail -n 30 "$log" | sed 's/^/  | /'
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
