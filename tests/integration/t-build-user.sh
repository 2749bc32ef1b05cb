#!/bin/bash
# Least privilege: with build-user set, module packages are evaluated, patched
# and built as that unprivileged user in a tree it owns, and only root installs
# and signs. A hostile build cannot write the installed modules, /boot or
# root's home nor read the signing key; a build that leaves a symbolic link to
# a root-only file in place of its module is refused, and what the link points
# to never reaches the installed tree. A build user that does not exist stops
# the sync before any build.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v openssl >/dev/null || skip "openssl is not installed"
command -v setpriv >/dev/null || skip "setpriv is not installed"
BUILD_USER=distkernel-build

step "the build user exists (created from data/sysusers.d, as the install step does)"
if ! getent passwd "$BUILD_USER" >/dev/null; then
        if command -v systemd-sysusers >/dev/null; then
                systemd-sysusers "$REPO/data/sysusers.d/distkernel.conf" || true
        else
                useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin \
                        --user-group "$BUILD_USER" || true
        fi
fi
getent passwd "$BUILD_USER" >/dev/null || fail "cannot create the user $BUILD_USER"
build_uid=$(id -u "$BUILD_USER")
((build_uid != 0)) || fail "$BUILD_USER has uid 0"
# as_user CMD...: run CMD as the build user (no groups)
as_user() {
        setpriv --reuid="$build_uid" --regid="$(id -g "$BUILD_USER")" --clear-groups -- "$@"
}

mkroot "$KVER_A"
mkdir -p "$ROOT/etc/distkernel"
echo "build-user = $BUILD_USER" >"$ROOT/etc/distkernel/distkernel.conf"
step "sources the build user cannot reach: a clear error"
put_source dkpriv-1.0 >/dev/null
chmod 700 "$TEST_TMP"
dk 1 module add /usr/src/dkpriv-1.0
assert_contains "$DK_ERR" "the build user (uid $build_uid) cannot enter '$ROOT/usr/src/dkpriv-1.0'" "module add's error"
# the build user walks to its build tree through the sandbox (mktemp -d is 0700)
chmod 755 "$TEST_TMP"
UPD=$(updates "$KVER_A")
KEYS=/etc/distkernel/keys
mkdir -p "$ROOT$KEYS"
openssl req -x509 -newkey rsa:2048 -nodes -days 36500 -subj "/CN=distkernel build-user test" \
        -keyout "$ROOT$KEYS/module.key" -out "$ROOT$KEYS/module.crt" >"$TEST_TMP/openssl.log" 2>&1 ||
        fail "openssl req failed: $(<"$TEST_TMP/openssl.log")"
chmod 600 "$ROOT$KEYS/module.key"
# conf USER: distkernel.conf builds as USER and signs the modules
conf() {
        cat >"$ROOT/etc/distkernel/distkernel.conf" <<EOF
initramfs = none
build-user = $1
module-sign-key = $KEYS/module.key
module-sign-cert = $KEYS/module.crt
EOF
}
conf "$BUILD_USER"

step "the signing key is not readable by the build user"
assert_eq "600 root" "$(stat -c '%a %U' "$ROOT$KEYS/module.key")" "mode and owner of the module signing key"
if as_user cat "$ROOT$KEYS/module.key" >/dev/null 2>&1; then
        fail "$BUILD_USER can read $ROOT$KEYS/module.key"
fi

step "a user that does not exist: clear error, no build runs"
conf distkernel-no-such-user
put_source dktest-1.0 >/dev/null
dk 1 module add /usr/src/dkpriv-1.0
assert_contains "$DK_ERR" "build user 'distkernel-no-such-user'" "module add's error"
assert_contains "$DK_ERR" "does not exist" "module add's error"
conf "$BUILD_USER"
dk 0 module add /usr/src/dkpriv-1.0
dk 0 module add /usr/src/dktest-1.0
conf distkernel-no-such-user
dk 1 sync
assert_contains "$DK_ERR" "build user 'distkernel-no-such-user' (build-user in distkernel.conf) does not exist" "sync's error"
assert_absent "$ROOT/var/lib/distkernel/build/$KVER_A" "$ROOT/var/lib/distkernel/log/dkpriv-1.0"
assert_no_match "$UPD/*"
conf "$BUILD_USER"

step "sync builds dkpriv 1.0 and dktest 1.0 (patch, PRE_BUILD) as the build user"
dk_timed 0 sync
assert_installed "$KVER_A" dkpriv 1.0
assert_installed "$KVER_A" dktest_core 1.0
assert_installed "$KVER_A" dktest_user 1.0
for mod in dkpriv dktest_core dktest_user; do
        f=$(ko "$KVER_A" "$mod")
        assert_eq "distkernel build-user test" "$(modinfo -F signer "$f")" "$f: signer"
        assert_eq "root" "$(stat -c %U "$f")" "$f: owner"
done
log=$(<"$(pair_log dkpriv 1.0 "$KVER_A")")
assert_contains "$log" "as the build user" "dkpriv 1.0's log"
assert_contains "$log" "build user uid $build_uid " "dkpriv 1.0's log"
ko_before=$(sha256sum <"$(ko "$KVER_A" dkpriv)")

step "a hostile build (dkpriv 2.0) is refused every write outside its tree and fails"
put_source dkpriv-2.0 >/dev/null
dk 0 module add /usr/src/dkpriv-2.0
dk 1 sync
log=$(<"$(pair_log dkpriv 2.0 "$KVER_A")")
assert_contains "$log" "hostile build as uid $build_uid, gid $(id -g "$BUILD_USER"), groups $(id -g "$BUILD_USER")" "dkpriv 2.0's log"
assert_not_contains "$log" "HOSTILE:" "dkpriv 2.0's log"
assert_contains "$log" "$UPD/dkpriv-hostile.ko: Permission denied" "dkpriv 2.0's log"
assert_contains "$log" "$ROOT/boot/dkpriv-hostile: Permission denied" "dkpriv 2.0's log"
assert_contains "$log" "/root/dkpriv-hostile: Permission denied" "dkpriv 2.0's log"
assert_contains "$log" "module.key: Permission denied" "dkpriv 2.0's log"
if [[ -e /root/dkpriv-hostile ]]; then
        rm -f /root/dkpriv-hostile
        fail "the hostile build wrote /root/dkpriv-hostile on the host"
fi
assert_absent "$UPD/dkpriv-hostile.ko" "$ROOT/boot/dkpriv-hostile"
assert_installed "$KVER_A" dkpriv 1.0
assert_eq "$ko_before" "$(sha256sum <"$(ko "$KVER_A" dkpriv)")" "dkpriv 1.0's installed module"
# the objects it built are the build user's, in a tree only it and root reach
work=$ROOT/var/lib/distkernel/build/$KVER_A/dkpriv/2.0
assert_eq "$BUILD_USER" "$(stat -c %U "$work/build/dkpriv.o")" "owner of dkpriv.o"
assert_eq "$BUILD_USER 700" "$(stat -c '%U %a' "$work/build")" "owner and mode of the build dir"
assert_eq "root 755" "$(stat -c '%U %a' "$work")" "owner and mode of the build dir's parent"
dk 0 module remove dkpriv/2.0

step "a build whose module is a link to a root-only file (dkpriv 3.0) is refused"
marker="distkernel-secret-$RANDOM$RANDOM"
echo "$marker" >"$ROOT/secret"
chmod 600 "$ROOT/secret"
put_source dkpriv-3.0 >/dev/null
dk 0 module add /usr/src/dkpriv-3.0
dk 1 sync
work=$ROOT/var/lib/distkernel/build/$KVER_A/dkpriv/3.0
[[ -L $work/build/dkpriv.ko ]] || fail "dkpriv 3.0 did not leave a link (test package broken?)"
assert_eq "$BUILD_USER" "$(stat -c %U "$work/build/dkpriv.o")" "owner of dkpriv.o"
status_json
assert_state dkpriv 3.0 "$KVER_A" failed
msg=$(json_get "$STATUS_FILE" '.kernels[0].modules[] | select(.package == "dkpriv" and .version == "3.0") | .message')
assert_contains "$msg" "dkpriv.ko': a symbolic link" "dkpriv 3.0's status message"
assert_installed "$KVER_A" dkpriv 1.0
assert_eq "$ko_before" "$(sha256sum <"$(ko "$KVER_A" dkpriv)")" "dkpriv 1.0's installed module"
if grep -rqs "$marker" "$ROOT/usr/lib/modules" "$work/stage" "$ROOT/var/lib/distkernel/log"; then
        fail "the content of the root-only file reached the modules, the stage or a log"
fi
