#!/bin/bash
# Secure Boot end to end: with secureboot-key/secureboot-cert set to the
# snakeoil key that Debian's OVMF_VARS_4M.snakeoil.fd has enrolled, sync
# installs a signed UKI: sbverify accepts it and the Secure Boot firmware boots
# it (the kernel reports Secure Boot enabled). A world-readable key is refused
# with a message naming it, and the installed UKI stays byte-identical.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

BOOT=$REPO/tests/boot
key=/usr/share/ovmf/PkKek-1-snakeoil.key
cert=/usr/share/ovmf/PkKek-1-snakeoil.pem
[[ -r $key && -r $cert && -r /usr/share/OVMF/OVMF_VARS_4M.snakeoil.fd ]] || skip "ovmf's snakeoil keys are missing"
need_stub
command -v sbverify >/dev/null || skip "sbverify is not installed (sbsigntool)"
need_kernel "$KVER_A"
mkroot "$KVER_A"

step "keys below the root (the snakeoil key decrypted, mode 0600)"
mkdir -p "$ROOT/etc/distkernel/keys" "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
(umask 077 && openssl pkey -in "$key" -passin pass:snakeoil -out "$ROOT/etc/distkernel/keys/db.key")
cp "$cert" "$ROOT/etc/distkernel/keys/db.pem"
printf 'secureboot-key = /etc/distkernel/keys/db.key\nsecureboot-cert = /etc/distkernel/keys/db.pem\n' \
        >"$ROOT/etc/distkernel/distkernel.conf"
disk=$TEST_TMP/root.img
uuid=$("$BOOT/mkrootfs.sh" "$disk" | sed -n 's/^UUID=//p')
echo "root=UUID=$uuid rw panic=-1 console=ttyS0" >"$ROOT/etc/kernel/cmdline"
echo sbtest >"$ROOT/etc/kernel/entry-token"

step "sync installs a signed UKI"
dk_timed 0 sync
uki=$ROOT/efi/EFI/Linux/sbtest-$KVER_A.efi
assert_file "$uki"
sbverify --cert "$cert" "$uki" >"$TEST_TMP/sbverify.out" 2>&1 || { cat "$TEST_TMP/sbverify.out" >&2; fail "sbverify refuses the UKI"; }

step "the Secure Boot firmware boots it"
BOOT_SECURE=1 boot_uki "$uki" "$disk" "the signed UKI under Secure Boot"
grep -qi "secure boot enabled" "$CONSOLE" || { grep -ai secure "$CONSOLE" >&2; fail "the kernel does not report Secure Boot enabled"; }

step "a world-readable key is refused and the UKI stays"
sum=$(sha256sum <"$uki")
chmod 644 "$ROOT/etc/distkernel/keys/db.key"
echo "root=UUID=$uuid rw panic=-1 console=ttyS0 changed" >"$ROOT/etc/kernel/cmdline"
dk 1 sync
assert_contains "$DK_ERR" "'/etc/distkernel/keys/db.key': private key is readable by everyone" "sync errors"
assert_eq "$sum" "$(sha256sum <"$uki")" "the UKI after a refused key"
