#!/bin/bash
# Secure Boot boot test of Authenticode signing: tests/uki/boot-sb.sh
#
# Assembles a UKI as tests/uki/boot-uki.sh does (Debian 12's systemd-stub, a
# Debian kernel from the test cache, a tiny initrd whose /init prints a marker
# and powers off), signs it with authenticode_sign_fd() (through
# tests/uki/sbsign-test.c, compiled here against the core library of the build
# directory) with the snakeoil key that Debian's OVMF_VARS_4M.snakeoil.fd has
# enrolled in db, and boots it as EFI/BOOT/BOOTX64.EFI under
# OVMF_CODE_4M.secboot.fd with Secure Boot enabled (QEMU q35 with SMM, TCG).
#
# Cases: signed → /init runs and the kernel reports "Secure boot enabled";
# unsigned, signed by a key that is not in db, and signed then one byte of
# .linux changed → the firmware refuses to load it ("Access Denied") and /init
# never runs. The last two are also refused by our verifier first.
#
# Ends with "N passed, N failed, N skipped"; skips (exit 0) when QEMU, the
# Secure Boot OVMF files, the stub or the kernel cache are missing. BUILD_DIR
# (default build/, configured and built here if needed; not a sanitizer build)
# holds libdistkernel-core.a. KEEP=1, BOOT_TIMEOUT, UKI_KVER as in lib.sh.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
suite=boot-sb
# shellcheck source=tests/uki/lib.sh
. "$repo/tests/uki/lib.sh"
stub=${UKI_STUB:-/usr/lib/systemd/boot/efi/linuxx64.efi.stub}
ovmf_code=/usr/share/OVMF/OVMF_CODE_4M.secboot.fd
ovmf_vars=/usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd
sb_key=/usr/share/ovmf/PkKek-1-snakeoil.key # encrypted, passphrase "snakeoil"
sb_cert=/usr/share/ovmf/PkKek-1-snakeoil.pem
build_dir=${BUILD_DIR:-$repo/build}
token=distkernel.sb-test=$$
cmdline="console=ttyS0 panic=-1 $token"
# what OVMF prints when it will not load the image: LoadImage() of the disk's
# removable-media loader fails with EFI_ACCESS_DENIED (the image's signature is
# not in db, or its digest does not match); then it finds nothing else to boot
refused='BdsDxe: failed to load Boot[0-9A-F]+ "UEFI QEMU HARDDISK[^"]*" from .*: Access Denied'
nothing_left='BdsDxe: No bootable option or device was found'

# ------------------------------------------------------------ prerequisites
need_tools qemu-system-x86_64 gcc cpio objdump openssl meson ninja pkg-config
need_files "$ovmf_code" "$ovmf_vars" "$sb_key" "$sb_cert" "$stub"
load_kernel
make_tmp

# ------------------------------------------------------------------ build
build_mkuki || { fail "compile mkuki"; finish; }
build_initrd || { fail "make the initrd"; finish; }
if [[ ! -e $build_dir/build.ninja ]]; then
        meson setup "$build_dir" -Dwerror=true >"$tmp/meson.log" 2>&1 ||
                { fail "configure $build_dir: $(tail -n 5 "$tmp/meson.log")"; finish; }
fi
ninja -C "$build_dir" libdistkernel-core.a >"$tmp/ninja.log" 2>&1 ||
        { fail "build the core library: $(tail -n 5 "$tmp/ninja.log")"; finish; }
# shellcheck disable=SC2046
gcc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -I"$repo/src" \
        "$repo/tests/uki/sbsign-test.c" "$build_dir/libdistkernel-core.a" $(pkg-config --libs libcrypto) \
        -o "$tmp/sbsign-test" || { fail "compile sbsign-test"; finish; }

# the snakeoil key, decrypted, private to us
(umask 077 && openssl pkey -passin pass:snakeoil -in "$sb_key" -out "$tmp/db.key") ||
        { fail "decrypt $sb_key"; finish; }
chmod 600 "$tmp/db.key"
# a key and certificate that no variable of the firmware knows
openssl req -new -x509 -newkey rsa:2048 -nodes -subj "/CN=distkernel not in db" -days 3650 \
        -keyout "$tmp/other.key" -out "$tmp/other.crt" >/dev/null 2>&1 ||
        { fail "make a second key"; finish; }
chmod 600 "$tmp/other.key"

start=$EPOCHREALTIME
if ! "$tmp/mkuki" --root "$tmp" --output /uki.efi --stub "$stub" --linux "$kernel" --initrd "$tmp/initrd.cpio" \
        --cmdline "$cmdline" --os-release /etc/os-release --uname "$kver" 2>"$tmp/mkuki.err"; then
        fail "assemble a UKI of $kver: $(cat "$tmp/mkuki.err")"
        finish
fi
ok "assemble a UKI of $kver ($(stat -c %s "$tmp/uki.efi") bytes, $(since "$start") s)"

# --------------------------------------------------------------- the cases
# esp NAME: makes DIR/NAME/esp/EFI/BOOT and prints the loader's path in it.
esp() {
        mkdir -p "$tmp/$1/esp/EFI/BOOT"
        echo "$tmp/$1/esp/EFI/BOOT/BOOTX64.EFI"
}

# sign KEY CERT IN OUT: signs with sbsign-test, reports the outcome.
sign() {
        local start=$EPOCHREALTIME err
        if err=$("$tmp/sbsign-test" --key "$1" --cert "$2" --output "$4" "$3" 2>&1); then
                ok "sign $(basename "$3") with $(basename "$1") ($(since "$start") s)"
        else
                fail "sign $(basename "$3") with $(basename "$1"): $err"
                return 1
        fi
}

# boot NAME: boots DIR/NAME/esp under the Secure Boot firmware with a fresh
# copy of the snakeoil variables, the console into DIR/NAME/console.log.
boot() {
        cp "$ovmf_vars" "$tmp/$1/VARS.fd"
        run_qemu "$tmp/$1/console.log" "$nothing_left" \
                -machine q35,smm=on -global driver=cfi.pflash01,property=secure,value=on \
                -drive if=pflash,format=raw,unit=0,readonly=on,file="$ovmf_code" \
                -drive if=pflash,format=raw,unit=1,file="$tmp/$1/VARS.fd" \
                -drive format=raw,file=fat:rw:"$tmp/$1/esp"
}

# expect_boot NAME: the signed UKI ran, under Secure Boot, with its .cmdline.
expect_boot() {
        local log=$tmp/$1/console.log
        boot "$1"
        if grep -aq "^$marker" "$log"; then
                ok "$1: boot under Secure Boot: /init ran (qemu exit $qemu_rc, $qemu_secs s)"
        else
                fail "$1: boot under Secure Boot: no '$marker' on the console (qemu exit $qemu_rc, $qemu_secs s); last lines:"
                console_tail "$log"
        fi
        # the firmware really enforced it: the kernel read SecureBoot=1 (and
        # Debian's kernel locked itself down because of it)
        if grep -aq "secureboot: Secure boot enabled" "$log"; then
                ok "$1: the kernel says: $(grep -a -m1 'secureboot: Secure boot enabled' "$log" | tr -d '\r')"
        else
                fail "$1: the kernel did not report 'Secure boot enabled'"
        fi
        if grep -aq "^DISTKERNEL-UKI-CMDLINE: .*$token" "$log"; then
                ok "$1: the kernel ran with the .cmdline section"
        else
                fail "$1: the kernel did not get the .cmdline section ($token)"
        fi
}

# expect_refused NAME: the firmware would not load the image; /init never ran.
expect_refused() {
        local log=$tmp/$1/console.log
        boot "$1"
        if grep -aqE "$refused" "$log" && ! grep -aq "^$marker" "$log"; then
                ok "$1: refused by the firmware ($qemu_secs s): $(grep -aoE "$refused" "$log" | head -n 1 |
                        sed 's/ from .*:/:/')"
        else
                fail "$1: not refused with 'Access Denied' (qemu $qemu_rc, $qemu_secs s); last lines:"
                console_tail "$log"
        fi
        if grep -aq "^$marker" "$log" || grep -aq "Linux version" "$log"; then
                fail "$1: the kernel ran although the image was refused"
        fi
}

# signed with the enrolled key: boots
uki=$(esp signed)
if sign "$tmp/db.key" "$sb_cert" "$tmp/uki.efi" "$uki"; then
        if out=$("$tmp/sbsign-test" --verify --cert "$sb_cert" "$uki" 2>&1); then
                ok "signed: our verifier accepts it"
        else
                fail "signed: our verifier refuses it: $out"
        fi
        if command -v sbverify >/dev/null; then
                if out=$(sbverify --cert "$sb_cert" "$uki" 2>&1); then
                        ok "signed: sbverify accepts it"
                else
                        fail "signed: sbverify refuses it: $out"
                fi
        else
                echo "skip signed: sbverify is not installed"
                skipped=$((skipped + 1))
        fi
        expect_boot signed
fi

# the same UKI unsigned: refused
cp "$tmp/uki.efi" "$(esp unsigned)"
expect_refused unsigned

# signed with a key the firmware does not know: refused
if sign "$tmp/other.key" "$tmp/other.crt" "$tmp/uki.efi" "$(esp foreign)"; then
        expect_refused foreign
fi

# signed with the enrolled key, then one byte inside .linux changed: refused
uki=$(esp tampered)
if sign "$tmp/db.key" "$sb_cert" "$tmp/uki.efi" "$uki"; then
        read -r linux_size linux_off < <(objdump -h "$uki" | awk '$2 == ".linux" { print $3, $6 }')
        if [[ -z ${linux_off:-} ]]; then
                fail "tampered: objdump -h shows no .linux section"
        else
                at=$((16#$linux_off + 16#$linux_size / 2))
                byte=$(od -An -tu1 -j"$at" -N1 "$uki" | tr -d ' ')
                # shellcheck disable=SC2059
                printf "\\x$(printf %02x $((byte ^ 1)))" | dd of="$uki" bs=1 seek="$at" conv=notrunc status=none
                if out=$("$tmp/sbsign-test" --verify --cert "$sb_cert" "$uki" 2>&1); then
                        fail "tampered: our verifier accepts a changed .linux"
                elif [[ $out == *"digest mismatch"* ]]; then
                        ok "tampered: byte 0x$(printf %x "$at") changed, our verifier refuses it: ${out#sbsign-test: }"
                else
                        fail "tampered: our verifier refuses it for another reason: $out"
                fi
                expect_refused tampered
        fi
fi
finish
