#!/bin/bash
# doctor: on a healthy synced root every check is ok and it exits 0; then each
# problem in turn (a kernel without headers, no EFI stub for the uki layout, an
# ESP nearly full, a world-readable or mismatched signing key, dracut
# configured but not installed, a package BUILD_EXCLUSIVE keeps off every
# kernel, a damaged state database, another distkernel holding the lock) gives
# a line naming the object and the cause, and the fix; errors exit 1, warnings 0.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_stub
command -v openssl >/dev/null || skip "openssl is not installed"
mkroot "$KVER_A"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo doc >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
CONF=$ROOT/etc/distkernel/distkernel.conf
echo "layout = uki" >"$CONF"
dk 0 module add "$(put_source dktest-1.0)"
sync_ok

# doctor_line LEVEL CHECK OBJECT-PART: the first line of the last doctor output
# with that level and check that names OBJECT-PART, and the fix line after it
doctor_line() {
        local line
        line=$(grep -F -A1 -- "$3" <<<"$DK_OUT" | grep -E -A1 "^$1 +$2 " | head -n 2) || :
        [[ -n $line ]] || { dk_show doctor; fail "doctor: no '$1 $2' line about '$3'"; }
        printf '%s\n' "$line"
}

step "a healthy root: all ok, exit 0"
dk 0 doctor
assert_contains "$DK_OUT" "doctor: 0 error(s), 0 warning(s)" "doctor summary"
assert_contains "$(doctor_line ok headers "kernel $KVER_A")" "headers at" "headers check"
doctor_line ok uki-stub "linuxx64.efi.stub" >/dev/null
doctor_line ok esp "/efi" >/dev/null
doctor_line ok state "state.db" >/dev/null

step "a kernel without headers"
old=6.1.0-1-amd64
add_older_kernel "$old" "$KVER_A"
rm "$ROOT/usr/lib/modules/$old/build"
dk 1 doctor
line=$(doctor_line error headers "kernel $old")
assert_contains "$line" "no headers" "headers line"
assert_contains "$line" "fix: apt-get install linux-headers-$old" "headers fix"
rm -rf "${ROOT:?}/usr/lib/modules/$old" "$ROOT"/boot/*-"$old"
dk 0 doctor

step "no EFI stub for the uki layout"
echo "uki-stub = $TEST_TMP/nonexistent/linuxx64.efi.stub" >>"$CONF"
dk 1 doctor
line=$(doctor_line error uki-stub "$TEST_TMP/nonexistent/linuxx64.efi.stub")
assert_contains "$line" "fix: apt-get install systemd-boot-efi" "stub fix"
echo "layout = uki" >"$CONF"

step "signing keys: world-readable, then a certificate of another key"
mkdir -p "$ROOT/etc/distkernel/keys"
for k in one two; do
        openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=$k" -keyout "$ROOT/etc/distkernel/keys/$k.key" \
                -out "$ROOT/etc/distkernel/keys/$k.crt" >"$TEST_TMP/openssl.log" 2>&1 || fail "openssl: $(<"$TEST_TMP/openssl.log")"
done
chmod 644 "$ROOT/etc/distkernel/keys/one.key"
printf 'module-sign-key = /etc/distkernel/keys/one.key\nmodule-sign-cert = /etc/distkernel/keys/one.crt\n' >>"$CONF"
dk 1 doctor
line=$(doctor_line error keys "/etc/distkernel/keys/one.key")
assert_contains "$line" "readable by everyone (mode 0644)" "key mode line"
assert_contains "$line" "fix: chmod 600 /etc/distkernel/keys/one.key" "key mode fix"
chmod 600 "$ROOT/etc/distkernel/keys/one.key"
sed -i 's|keys/one.crt|keys/two.crt|' "$CONF"
dk 1 doctor
line=$(doctor_line error keys "/etc/distkernel/keys/two.crt")
assert_contains "$line" "fix: make module-sign-cert the certificate of module-sign-key" "key mismatch fix"
echo "layout = uki" >"$CONF"

step "dracut configured but not installed"
mkdir -p "$TEST_TMP/bin"
for f in /usr/bin/* /usr/sbin/*; do
        [[ $(basename "$f") == dracut* ]] || ln -sf "$f" "$TEST_TMP/bin/"
done
echo "initramfs = dracut" >>"$CONF"
rc=0
PATH=$TEST_TMP/bin "$DISTKERNEL" --root "$ROOT" doctor >"$DK_OUT_FILE" 2>"$DK_ERR_FILE" || rc=$?
DK_OUT=$(<"$DK_OUT_FILE")
assert_eq 1 "$rc" "doctor exit status without dracut"
line=$(doctor_line error initramfs "initramfs = dracut")
assert_contains "$line" "dracut-core is not installed" "dracut line"
assert_contains "$line" "fix: apt-get install dracut-core" "dracut fix"
echo "layout = uki" >"$CONF"

step "a package BUILD_EXCLUSIVE keeps off every installed kernel: a warning"
dk 0 module add "$(put_source dkexcl-1.0)"
dk 0 doctor
line=$(doctor_line warning build-exclusive "package dkexcl/1.0")
assert_contains "$line" "BUILD_EXCLUSIVE excludes it from every installed kernel" "exclusive line"
assert_contains "$line" "fix: install a kernel it supports, or 'distkernel module remove dkexcl/1.0'" "exclusive fix"
dk 0 module remove dkexcl

step "another distkernel holds the lock: a warning"
flock "$ROOT/var/lib/distkernel/lock" sleep 60 &
holder=$!
for _ in {1..50}; do
        flock -n "$ROOT/var/lib/distkernel/lock" true || break
        sleep 0.1
done
dk 0 doctor
kill "$holder"
wait "$holder" 2>/dev/null || :
doctor_line warning lock "/var/lib/distkernel/lock" >/dev/null

step "the ESP nearly full"
used=$(du -sb "$ROOT/efi" | cut -f1)
uki=$(stat -c %s "$ROOT/efi/EFI/Linux/doc-$KVER_A.efi")
cp -a "$ROOT/efi" "$TEST_TMP/efi-copy"
if mount -t tmpfs -o size=$(((used + uki * 3 / 2) / 1024))k distkernel-test-esp "$ROOT/efi" 2>/dev/null; then
        unmount_esp() {
                local rc=$?
                umount "$ROOT/efi" 2>/dev/null || :
                (exit "$rc")
                cleanup
        }
        trap unmount_esp EXIT
        cp -a "$TEST_TMP/efi-copy/." "$ROOT/efi/"
        dk 0 doctor
        line=$(doctor_line warning esp "/efi")
        assert_contains "$line" "room for fewer than two more uki entries" "ESP line"
        assert_contains "$line" "fix: 'distkernel gc'" "ESP fix"
        umount "$ROOT/efi"
        trap cleanup EXIT
else
        echo "cannot mount a tmpfs here: ESP space not checked"
fi

step "a damaged state database"
cp "$ROOT/var/lib/distkernel/state.db" "$TEST_TMP/state.db"
printf 'this is not SQLite' | dd of="$ROOT/var/lib/distkernel/state.db" bs=1 seek=0 conv=notrunc status=none
dk 1 doctor
line=$(doctor_line error state "/var/lib/distkernel/state.db")
assert_contains "$line" "fix: mv $ROOT/var/lib/distkernel/state.db" "state fix"

step "--json: the same findings as data"
dk 1 --json doctor
assert_eq false "$(json_get "$DK_OUT_FILE" .ok)" "doctor --json .ok"
assert_eq error "$(json_get "$DK_OUT_FILE" '.checks[] | select(.check == "state") | .level')" "doctor --json state level"
