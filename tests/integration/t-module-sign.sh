#!/bin/bash
# Module signing: with module-sign-key/module-sign-cert in distkernel.conf, the
# modules sync builds carry a signature the kernel can check (signer = the
# certificate's CN, hash = the kernel's CONFIG_MODULE_SIG_HASH), made before
# compression. A new certificate re-signs on the next sync, removing it
# rebuilds unsigned; a world-readable key fails the sync before any build and
# leaves the installed module as it was.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl is not installed"
mkroot "$KVER_A"
v4l2=$(put_source "$V4L2_SRC")
v4l2_name=$(basename "$v4l2")
v4l2_version=${v4l2_name##*-}
dk 0 module add "$v4l2"

KEYS=/etc/distkernel/keys
# mkkey NAME CN: a fresh RSA key (mode 0600) and self-signed certificate in ROOT$KEYS
mkkey() {
        mkdir -p "$ROOT$KEYS"
        openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=$2" \
                -keyout "$ROOT$KEYS/$1.key" -out "$ROOT$KEYS/$1.crt" >"$TEST_TMP/openssl.log" 2>&1 ||
                fail "openssl req failed: $(<"$TEST_TMP/openssl.log")"
        chmod 600 "$ROOT$KEYS/$1.key"
}
# use_key NAME: distkernel.conf signs with that key ("" for none)
use_key() {
        mkdir -p "$ROOT/etc/distkernel"
        {
                echo "initramfs = none"
                if [[ -n $1 ]]; then
                        echo "module-sign-key = $KEYS/$1.key"
                        echo "module-sign-cert = $KEYS/$1.crt"
                fi
        } >"$ROOT/etc/distkernel/distkernel.conf"
}
# sig_hash KVER: the hash the kernel's config asks for
sig_hash() {
        local h
        h=$(sed -n 's/^CONFIG_MODULE_SIG_HASH="\(.*\)"$/\1/p' "$ROOT/boot/config-$1")
        echo "${h:-sha256}"
}
# assert_signed FILE CN HASH CERT: modinfo shows the signer and hash, and the
# appended CMS message verifies with CERT over the (decompressed) module bytes
assert_signed() {
        local f=$1 cn=$2 hash=$3 cert=$4 d=$TEST_TMP/verify size siglen modlen
        assert_eq "$cn" "$(modinfo -F signer "$f")" "$f: signer"
        assert_eq "$hash" "$(modinfo -F sig_hashalgo "$f")" "$f: sig_hashalgo"
        assert_eq "PKCS#7" "$(modinfo -F sig_id "$f")" "$f: sig_id"
        rm -rf "$d"
        mkdir -p "$d"
        case $f in
        *.xz) xz -dc "$f" >"$d/m.ko" ;;
        *.zst) zstd -dcq "$f" >"$d/m.ko" ;;
        *.gz) gzip -dc "$f" >"$d/m.ko" ;;
        *) cp "$f" "$d/m.ko" ;;
        esac
        assert_eq "~Module signature appended~" "$(tail -c 28 "$d/m.ko")" "$f: end of the decompressed module"
        # struct module_signature: algo hash id_type signer_len key_id_len pad[3] be32 sig_len
        read -r -a ms < <(tail -c 40 "$d/m.ko" | head -c 12 | od -An -tu1)
        assert_eq "0 0 2 0 0 0 0 0" "${ms[*]:0:8}" "$f: struct module_signature"
        siglen=$(((ms[8] << 24) + (ms[9] << 16) + (ms[10] << 8) + ms[11]))
        size=$(stat -c %s "$d/m.ko")
        modlen=$((size - 40 - siglen))
        ((modlen > 0)) || fail "$f: signature length $siglen does not fit the module ($size bytes)"
        head -c "$modlen" "$d/m.ko" >"$d/content"
        tail -c $((siglen + 40)) "$d/m.ko" | head -c "$siglen" >"$d/sig.der"
        openssl cms -verify -binary -inform DER -in "$d/sig.der" -content "$d/content" \
                -certfile "$cert" -nointern -noverify -out /dev/null >"$d/log" 2>&1 ||
                fail "$f: the signature does not verify with $cert: $(<"$d/log")"
}

hash=$(sig_hash "$KVER_A")
mkkey one "distkernel test key one"
mkkey two "distkernel test key two"

step "sync builds v4l2loopback and signs it with key one ($hash)"
use_key one
dk_timed 0 sync
assert_installed "$KVER_A" v4l2loopback
assert_compressed_like_kernel "$KVER_A" v4l2loopback
mod=$(ko "$KVER_A" v4l2loopback)
assert_signed "$mod" "distkernel test key one" "$hash" "$ROOT$KEYS/one.crt"
log=$(<"$(pair_log v4l2loopback "$v4l2_version" "$KVER_A")")
assert_contains "$log" "signing the modules with '$KEYS/one.key' and '$KEYS/one.crt' ($hash)" "build log"

step "a second sync and status: up to date (the certificate is part of the key)"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/one.snap"
status_json
assert_state v4l2loopback "$v4l2_version" "$KVER_A" installed
sync_ok
assert_contains "$DK_OUT" "0 built" "second sync"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/one.again"
assert_same_snapshot "$TEST_TMP/one.snap" "$TEST_TMP/one.again" "the installed module"

step "another certificate: status shows the module stale, sync re-signs it"
use_key two
status_json
assert_state v4l2loopback "$v4l2_version" "$KVER_A" stale
sync_ok
assert_contains "$DK_OUT" "building v4l2loopback/$v4l2_version for $KVER_A" "sync output"
assert_signed "$mod" "distkernel test key two" "$hash" "$ROOT$KEYS/two.crt"
status_json
assert_state v4l2loopback "$v4l2_version" "$KVER_A" installed

step "a world-readable key: sync fails naming the key, before any build; the module stays"
chmod 644 "$ROOT$KEYS/two.key"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/two.snap"
sum=$(sha256sum <"$mod")
use_key two
rm -f "$(pair_log v4l2loopback "$v4l2_version" "$KVER_A")"
dk 1 sync --rebuild
assert_contains "$DK_ERR" "'$KEYS/two.key'" "sync's error"
assert_contains "$DK_ERR" "readable by everyone" "sync's error"
assert_not_contains "$DK_OUT" "building" "sync output"
assert_absent "$(pair_log v4l2loopback "$v4l2_version" "$KVER_A")"
assert_eq "$sum" "$(sha256sum <"$mod")" "checksum of $mod"
snapshot "$(updates "$KVER_A")" >"$TEST_TMP/two.after"
assert_same_snapshot "$TEST_TMP/two.snap" "$TEST_TMP/two.after" "the installed module"
chmod 600 "$ROOT$KEYS/two.key"

step "a key without a certificate is refused"
printf 'initramfs = none\nmodule-sign-key = %s\n' "$KEYS/two.key" >"$ROOT/etc/distkernel/distkernel.conf"
dk 1 sync
assert_contains "$DK_ERR" "module-sign-key is set but module-sign-cert is not" "sync's error"
assert_eq "$sum" "$(sha256sum <"$mod")" "checksum of $mod"

step "no key any more: sync rebuilds the module unsigned"
use_key ""
sync_ok
assert_contains "$DK_OUT" "building v4l2loopback/$v4l2_version for $KVER_A" "sync output"
assert_installed "$KVER_A" v4l2loopback
assert_eq "" "$(modinfo -F signer "$mod")" "signer of the unsigned module"
! tail -c 28 "$mod" | cmp -s - <(printf '~Module signature appended~\n') ||
        fail "$mod: still ends in a signature"

# The 6.12 kernel compresses its modules with xz: the signature must be inside.
if [[ ${ACPI_BUILDS_ON_C:-no} == yes && -e $KERNELS_DIR/${KVER_C:-none}/.complete &&
        -e /usr/src/linux-headers-${KVER_C:-none}/Makefile ]]; then
        step "a kernel with compressed modules ($KVER_C): signed before compression"
        ROOT=$TEST_TMP/root-c
        mkroot "$KVER_C"
        acpi=$(put_source "$ACPI_SRC")
        dk 0 module add "$acpi"
        mkkey one "distkernel test key one"
        use_key one
        sync_ok
        assert_installed "$KVER_C" acpi_call
        assert_compressed_like_kernel "$KVER_C" acpi_call
        assert_signed "$(ko "$KVER_C" acpi_call)" "distkernel test key one" "$(sig_hash "$KVER_C")" "$ROOT$KEYS/one.crt"
else
        echo "--- (no kernel with compressed modules that acpi-call builds on; not tested)"
fi
