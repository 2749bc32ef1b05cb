#!/bin/bash
# sync --dry-run explains every node it would run: which input changed (a new
# kernel, a new package version, the module signing certificate, the command
# line, the Secure Boot certificate, the initramfs settings, the generator's
# own configuration, a modified installed module), in text and in --json
# ("reasons": [{"input", "text"}]), and changes nothing on disk or in the
# recorded state.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

[[ -r /usr/lib/systemd/boot/efi/linuxx64.efi.stub ]] || skip "systemd-boot-efi is not installed"
command -v openssl >/dev/null || skip "openssl is not installed"
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo dktest >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=root ro" >"$ROOT/etc/kernel/cmdline"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0
sync_ok
uki_a=/efi/EFI/Linux/dktest-$KVER_A.efi
assert_file "$ROOT$uki_a"

# snapshot: every file under the root with its checksum, and the state's
# records (pairs, installed files, keys and recorded inputs; not the caches)
snapshot() {
        (cd "$ROOT" && find . -path ./var/lib/distkernel/state.db -prune -o -path ./var/lib/distkernel/lock -prune \
                -o \( -type f -o -type l \) -print0 | sort -z | xargs -0 sha256sum 2>&1)
        sqlite3 "$ROOT/var/lib/distkernel/state.db" \
                "SELECT * FROM pairs ORDER BY 1,2,3; SELECT * FROM files ORDER BY 1; SELECT * FROM kernels ORDER BY 1;
                 SELECT * FROM meta ORDER BY 1;"
}
# explain WHAT: sync --dry-run in text and in --json (in $DRY and $DRY_JSON),
# checking that neither changes anything
explain() {
        local before after
        before=$(snapshot)
        dk 0 sync --dry-run
        DRY=$DK_OUT
        dk 0 --json sync --dry-run
        DRY_JSON=$TEST_TMP/dry.json
        cp "$DK_OUT_FILE" "$DRY_JSON"
        jq -e 'type == "object"' "$DRY_JSON" >/dev/null || fail "sync --dry-run --json is not JSON: $DK_OUT"
        dk 0 plan
        assert_eq "$DRY" "$DK_OUT" "plan output"
        after=$(snapshot)
        [[ $before == "$after" ]] || fail "sync --dry-run ($1) changed something:"$'\n'"$(diff <(echo "$before") <(echo "$after"))"
        echo "$DRY"
}
# pair_inputs NAME VERSION KVER: the inputs named in the pair's reasons (the
# package and kernel fields are also accepted under their newer names,
# package and kver)
pair_inputs() {
        json_get "$DRY_JSON" '[.pairs[] | select(.package == $n and .version == $v and .kver == $k)
                | .reasons[].input] | join(" ")' --arg n "$1" --arg v "$2" --arg k "$3"
}
ir_inputs() {
        json_get "$DRY_JSON" '[.initramfs[] | select(.kver == $k) | .reasons[].input] | join(" ")' --arg k "$1"
}
entry_inputs() {
        json_get "$DRY_JSON" '[.entries[] | select(.kver == $k) | .reasons[].input] | join(" ")' --arg k "$1"
}

step "nothing changed: nothing to do"
explain "no change"
assert_eq "nothing to do: everything is up to date" "$DRY" "sync --dry-run output"
assert_eq 0 "$(json_get "$DRY_JSON" '[(.pairs + .initramfs + .entries)[] | select(.reasons | length > 0)] | length')" \
        "nodes with reasons"

step "a new kernel"
addkernel "$KVER_B"
explain "new kernel"
assert_contains "$DRY" "build dktest 1.0 for $KVER_B: new kernel" "sync --dry-run output"
assert_contains "$DRY" "rebuild initramfs $KVER_B: not generated yet" "sync --dry-run output"
assert_contains "$DRY" "install uki $KVER_B: not installed yet" "sync --dry-run output"
assert_not_contains "$DRY" "for $KVER_A" "sync --dry-run output"
assert_eq new-kernel "$(pair_inputs dktest 1.0 "$KVER_B")" "reasons of dktest on $KVER_B"
assert_eq not-built "$(ir_inputs "$KVER_B")" "reasons of the initramfs of $KVER_B"
assert_eq "" "$(ir_inputs "$KVER_A")" "reasons of the initramfs of $KVER_A"
sync_ok

step "a new version of the package"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
explain "package version"
for kver in "$KVER_A" "$KVER_B"; do
        assert_contains "$DRY" "build dktest 2.0 for $kver: new version 2.0 (1.0 is installed)" "sync --dry-run output"
        assert_eq new-version "$(pair_inputs dktest 2.0 "$kver")" "reasons of dktest 2.0 on $kver"
done
sync_ok

step "the kernel command line"
echo "root=LABEL=root ro quiet" >"$ROOT/etc/kernel/cmdline"
explain "cmdline"
assert_contains "$DRY" "install uki $KVER_A: the kernel command line (/etc/kernel/cmdline) changed" "sync --dry-run output"
assert_eq cmdline "$(entry_inputs "$KVER_A")" "reasons of the UKI of $KVER_A"
assert_not_contains "$DRY" "build" "sync --dry-run output after a command line change"
assert_not_contains "$DRY" "initramfs" "sync --dry-run output after a command line change"
dk 0 --json sync
# the real run says why too, in its boot document
assert_eq cmdline "$(json_get "$DK_OUT_FILE" '[.boot.kernels[] | select(.kver == $k) | .reasons[].input] | join(" ")' \
        --arg k "$KVER_A")" "reasons of the installed UKI of $KVER_A in sync --json"

KEYS=/etc/distkernel/keys
mkdir -p "$ROOT$KEYS"
# mkkey NAME: a key and self-signed certificate in ROOT$KEYS
mkkey() {
        openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=$1" \
                -keyout "$ROOT$KEYS/$1.key" -out "$ROOT$KEYS/$1.crt" >"$TEST_TMP/openssl.log" 2>&1 ||
                fail "openssl req failed: $(<"$TEST_TMP/openssl.log")"
        chmod 600 "$ROOT$KEYS/$1.key"
}

step "a Secure Boot key and certificate"
mkkey db
printf 'secureboot-key = %s\nsecureboot-cert = %s\n' "$KEYS/db.key" "$KEYS/db.crt" >>"$ROOT/etc/distkernel/distkernel.conf"
explain "secureboot-cert"
assert_contains "$DRY" "install uki $KVER_A: secureboot-cert changed" "sync --dry-run output"
assert_eq secureboot-cert "$(entry_inputs "$KVER_A")" "reasons of the UKI of $KVER_A"
sync_ok

step "a module signing key and certificate"
mkkey modsign
printf 'module-sign-key = %s\nmodule-sign-cert = %s\n' "$KEYS/modsign.key" "$KEYS/modsign.crt" \
        >>"$ROOT/etc/distkernel/distkernel.conf"
explain "module-sign-cert"
assert_contains "$DRY" "rebuild dktest 2.0 for $KVER_A: the module signing certificate changed" "sync --dry-run output"
assert_eq module-sign-cert "$(pair_inputs dktest 2.0 "$KVER_A")" "reasons of dktest 2.0 on $KVER_A"
sync_ok

step "a modified installed module"
mod=$(ko "$KVER_A" dktest_core)
[[ -n $mod ]] || fail "dktest_core is not installed for $KVER_A"
echo garbage >>"$mod"
explain "modified module"
assert_contains "$DRY" "rebuild dktest 2.0 for $KVER_A: '${mod#"$ROOT"}' was modified or removed" "sync --dry-run output"
assert_eq modified-file "$(pair_inputs dktest 2.0 "$KVER_A")" "reasons of dktest 2.0 on $KVER_A"
assert_eq "" "$(pair_inputs dktest 2.0 "$KVER_B")" "reasons of dktest 2.0 on $KVER_B"
sync_ok

step "the initramfs settings"
echo "initramfs-compress = gzip" >>"$ROOT/etc/distkernel/distkernel.conf"
explain "initramfs settings"
for kver in "$KVER_A" "$KVER_B"; do
        assert_contains "$DRY" "rebuild initramfs $kver: the initramfs settings in '/etc/distkernel/distkernel.conf' changed" \
                "sync --dry-run output"
        assert_eq initramfs-settings "$(ir_inputs "$kver")" "reasons of the initramfs of $kver"
        assert_contains "$DRY" "install uki $kver: the initramfs will be regenerated" "sync --dry-run output"
done

step "the generator's own configuration (dracut.conf.d)"
if command -v dracut >/dev/null; then
        sed -i '/^initramfs-compress/d' "$ROOT/etc/distkernel/distkernel.conf"
        echo "initramfs = dracut" >>"$ROOT/etc/distkernel/distkernel.conf"
        # a small image: dracut's base module only
        mkdir -p "$ROOT/etc/dracut.conf.d"
        echo 'dracutmodules=" base "' >"$ROOT/etc/dracut.conf.d/10-small.conf"
        dk_timed 0 sync --kernel "$KVER_A"
        echo 'omit_dracutmodules+=" plymouth "' >"$ROOT/etc/dracut.conf.d/50-test.conf"
        explain "generator config"
        assert_contains "$DRY" "rebuild initramfs $KVER_A: generator config /etc/dracut.conf.d changed" \
                "sync --dry-run output"
        assert_eq generator-config "$(ir_inputs "$KVER_A")" "reasons of the initramfs of $KVER_A"
else
        echo "dracut is not installed: not checked"
fi
