#!/bin/bash
# verify: after a sync everything matches (exit 0). A module changed by one
# byte, a deleted UKI, a deleted initrd of a BLS entry are each named (exit 1)
# with the problem ("modified", "missing", "broken entry", and the default
# kernel "incomplete"), in text and in JSON; sync repairs them and verify
# exits 0 again. With Secure Boot and module signing keys configured after
# the sync, the UKIs and modules are "unsigned" until sync signs them; verify
# then passes with the private keys unreadable (it reads the certificates
# only). Two kernels: KVER_A's modules are plain .ko, KVER_C's compressed.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_stub
command -v openssl >/dev/null || skip "openssl is not installed"
need_kernel "$KVER_A" "$KVER_C"
mkroot "$KVER_A" "$KVER_C"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo dktest >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
: >"$ROOT/etc/distkernel/distkernel.conf"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0

# verify_fails: verify must exit 1; its --json output goes to $TEST_TMP/verify.json
verify_fails() {
        dk 1 verify
        VERIFY_TEXT=$DK_OUT
        dk 1 --json verify
        cp "$DK_OUT_FILE" "$TEST_TMP/verify.json"
        assert_eq false "$(json_get "$TEST_TMP/verify.json" .ok)" "verify --json .ok"
}
# problem_of PATH: the problems JSON gives for PATH, one line each
problem_of() {
        json_get "$TEST_TMP/verify.json" '.problems[] | select(.path == $p) | .problem' --arg p "$1"
}
verify_ok() {
        dk 0 verify
        assert_contains "$DK_OUT" "all intact" "verify output"
        dk 0 --json verify
        assert_eq true "$(json_get "$DK_OUT_FILE" .ok)" "verify --json .ok"
        assert_eq 0 "$(json_get "$DK_OUT_FILE" '.problems | length')" "verify --json problems"
}

step "after a sync (uki layout) everything matches"
sync_ok
uki_a=/efi/EFI/Linux/dktest-$KVER_A.efi
uki_c=/efi/EFI/Linux/dktest-$KVER_C.efi
assert_file "$ROOT$uki_a" "$ROOT$uki_c"
verify_ok
assert_eq "$KVER_C" "$(json_get "$DK_OUT_FILE" .default)" "verify --json default"
files=$(json_get "$DK_OUT_FILE" .files)
((files >= 8)) || fail "verify checked $files files, expected at least 8 (2 modules, an initramfs and a UKI per kernel)"

step "one byte of a module changed: named as modified"
mod=$(ko "$KVER_A" dktest_core)
rel=${mod#"$ROOT"}
printf '\x5a' | dd of="$mod" bs=1 seek=200 conv=notrunc status=none
verify_fails
assert_contains "$VERIFY_TEXT" "$rel: modified (dktest 1.0, kernel $KVER_A)" "verify output"
assert_contains "$VERIFY_TEXT" "1 problem(s)" "verify output"
assert_eq modified "$(problem_of "$rel")" "verify --json problem of $rel"

step "the default kernel's UKI deleted: missing, and the default incomplete"
rm "$ROOT$uki_c"
verify_fails
assert_contains "$VERIFY_TEXT" "$uki_c: missing ((boot) uki, kernel $KVER_C)" "verify output"
assert_contains "$VERIFY_TEXT" "kernel $KVER_C: default kernel incomplete: '$uki_c' of its boot entry is missing" \
        "verify output"
assert_eq missing "$(problem_of "$uki_c")" "verify --json problem of the UKI"
assert_eq "default kernel incomplete" \
        "$(json_get "$TEST_TMP/verify.json" '.problems[] | select(.path == null) | .problem')" "verify --json"

step "sync repairs both"
sync_ok
assert_file "$ROOT$uki_c"
assert_installed "$KVER_A" dktest_core
verify_ok

step "keys configured after the sync: the UKIs and modules are unsigned until sync signs them"
KEYS=/etc/distkernel/keys
mkdir -p "$ROOT$KEYS"
for k in sb mod; do
        openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=verify $k" \
                -keyout "$ROOT$KEYS/$k.key" -out "$ROOT$KEYS/$k.crt" >"$TEST_TMP/openssl.log" 2>&1 ||
                fail "openssl req failed: $(<"$TEST_TMP/openssl.log")"
        chmod 600 "$ROOT$KEYS/$k.key"
done
printf 'secureboot-key = %s\nsecureboot-cert = %s\nmodule-sign-key = %s\nmodule-sign-cert = %s\n' \
        "$KEYS/sb.key" "$KEYS/sb.crt" "$KEYS/mod.key" "$KEYS/mod.crt" >"$ROOT/etc/distkernel/distkernel.conf"
verify_fails
assert_eq unsigned "$(problem_of "$uki_a")" "verify --json problem of the unsigned UKI"
mod_c=$(ko "$KVER_C" dktest_user)
assert_eq unsigned "$(problem_of "${mod_c#"$ROOT"}")" "verify --json problem of the unsigned module"
assert_contains "$VERIFY_TEXT" "$uki_a: unsigned ((boot) uki, kernel $KVER_A): no signature" "verify output"
sync_ok
verify_ok
step "verify reads the certificates only: the private keys may be unreadable"
mv "$ROOT$KEYS/sb.key" "$ROOT$KEYS/mod.key" "$TEST_TMP/"
verify_ok
mv "$TEST_TMP/sb.key" "$TEST_TMP/mod.key" "$ROOT$KEYS/"
step "signed by another certificate: bad signature"
cp "$ROOT$KEYS/sb.crt" "$TEST_TMP/sb.crt"
cp "$ROOT$KEYS/mod.crt" "$ROOT$KEYS/sb.crt"
verify_fails
assert_eq "bad signature" "$(problem_of "$uki_c")" "verify --json problem of a UKI signed by another key"
cp "$TEST_TMP/sb.crt" "$ROOT$KEYS/sb.crt"
verify_ok

step "bls layout: a deleted initrd is missing and its entry broken"
: >"$ROOT/etc/distkernel/distkernel.conf"
echo "layout = bls" >"$ROOT/etc/distkernel/distkernel.conf"
sync_ok
entry=/efi/loader/entries/dktest-$KVER_C.conf
initrd=/efi/dktest/$KVER_C/initrd
assert_file "$ROOT$entry" "$ROOT$initrd"
assert_absent "$ROOT$uki_c"
verify_ok
rm "$ROOT$initrd"
verify_fails
assert_contains "$VERIFY_TEXT" "$initrd: missing ((boot) bls, kernel $KVER_C)" "verify output"
assert_contains "$VERIFY_TEXT" "$entry: broken entry ((boot) bls, kernel $KVER_C): '$initrd' does not exist" \
        "verify output"
assert_eq "broken entry" "$(problem_of "$entry")" "verify --json problem of the entry"
sync_ok
assert_file "$ROOT$initrd"
verify_ok

step "verify --full: a module changed in place behind its old mtime"
mod=$(ko "$KVER_A" dktest_core)
rel=${mod#"$ROOT"}
cp -a "$mod" "$TEST_TMP/orig.ko"
printf 'Z' | dd of="$mod" bs=1 seek=300 conv=notrunc status=none
cmp -s "$mod" "$TEST_TMP/orig.ko" && printf 'Y' | dd of="$mod" bs=1 seek=300 conv=notrunc status=none
! cmp -s "$mod" "$TEST_TMP/orig.ko" || fail "$mod: could not change a byte"
touch -r "$TEST_TMP/orig.ko" "$mod"
dk 0 verify
assert_contains "$DK_OUT" "all intact" "verify output (size, mtime and inode are the recorded ones: not read)"
dk 1 verify --full
assert_contains "$DK_OUT" "$rel: modified (dktest 1.0, kernel $KVER_A)" "verify --full output"
assert_contains "$DK_OUT" "1 problem(s)" "verify --full output"
dk 1 --json verify --full
assert_eq modified "$(json_get "$DK_OUT_FILE" '.problems[] | select(.path == $p) | .problem' --arg p "$rel")" \
        "verify --full --json problem of the module"
assert_eq "$(json_get "$DK_OUT_FILE" .files)" "$(json_get "$DK_OUT_FILE" .hashed)" "verify --full --json: every file hashed"
step "verify --full: the module's bytes back in place, everything intact"
cat "$TEST_TMP/orig.ko" >"$mod"
touch -r "$TEST_TMP/orig.ko" "$mod"
dk 0 --json verify --full
assert_eq true "$(json_get "$DK_OUT_FILE" .ok)" "verify --full --json .ok"
assert_eq "$(json_get "$DK_OUT_FILE" .files)" "$(json_get "$DK_OUT_FILE" .hashed)" "verify --full --json: every file hashed"
dk 0 --json verify
assert_eq 0 "$(json_get "$DK_OUT_FILE" .hashed)" "verify --json: no file hashed when every stat identity is the recorded one"
dk 2 verify --fast
assert_contains "$DK_ERR" "unexpected argument '--fast'" "verify with an unknown option"
