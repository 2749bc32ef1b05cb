#!/bin/bash
# Every error names its object and, where the user can act, the next command
# (doc/messages.md). First a static scan of src/ for error and warning calls
# whose format has no 'quoted' object (messages-scan.py, with its allow-list);
# then real errors against a sandbox root that needs no kernel: stderr names
# the object, and --json's errors[] carry it as "object" and the suggested
# 'distkernel ...' command as "hint".
here=$(cd "$(dirname "$0")" && pwd)

# the scan needs neither fixtures nor root: it runs before lib.sh may skip
scan_rc=0
scan=$(python3 "$here/messages-scan.py" "$here/../../src" 2>&1) || scan_rc=$?
printf '%s\n' "$scan"
if ((scan_rc != 0)); then
        echo "FAIL: t-messages: error or warning messages without a quoted object (or a stale allow-list entry)" >&2
        exit 1
fi

# shellcheck source=tests/integration/lib.sh
. "$here/lib.sh"

command -v flock >/dev/null || skip "flock is not installed"
mkdir -p "$ROOT/etc/distkernel" "$ROOT/etc/kernel" "$ROOT/usr/lib/modules" "$ROOT/usr/src"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
CONF=/etc/distkernel/distkernel.conf
NOPE=6.1.0-999-amd64

# expect STATUS TEXT OBJECT HINT ARGS...: distkernel ARGS exits STATUS with
# TEXT on stderr; with --json, one errors[] entry has TEXT in its message,
# OBJECT as its object and HINT as its hint ("" for none)
expect() {
        local want=$1 text=$2 object=$3 hint=$4
        shift 4
        dk "$want" "$@"
        assert_contains "$DK_ERR" "distkernel: " "stderr of distkernel $*"
        assert_contains "$DK_ERR" "$text" "stderr of distkernel $*"
        dk "$want" --json "$@"
        jq -e --arg t "$text" --arg o "$object" --arg h "$hint" \
                'any(.errors[]; (.message | contains($t)) and (.object // "") == $o and (.hint // "") == $h)' \
                "$DK_OUT_FILE" >/dev/null ||
                { dk_show --json "$@"; fail "distkernel --json $*: no error with '$text', object '$object', hint '$hint'"; }
}

step "a kernel that is not installed"
expect 1 "kernel '$NOPE': not installed" "$NOPE" "distkernel kernel list" graph "$NOPE"
expect 1 "'$NOPE' is not a kernel distkernel manages" "$NOPE" "distkernel kernel list" kernel pin "$NOPE"
expect 1 "kernel '$NOPE' is not installed" "$NOPE" "" kernel add "$NOPE"
expect 2 "'../x' is not a valid kernel version" "../x" "" initramfs ../x

step "malformed dkms.conf"
cp -a "$DATA/bad-syntax-1.0" "$DATA/bad-dest-1.0" "$ROOT/usr/src/"
expect 1 "bad-syntax-1.0/dkms.conf': line " "$ROOT/usr/src/bad-syntax-1.0/dkms.conf" "" \
        module add /usr/src/bad-syntax-1.0
expect 1 "': DEST_MODULE_LOCATION[0] leaves the install directory" "$ROOT/usr/src/bad-dest-1.0/dkms.conf" "" \
        module add /usr/src/bad-dest-1.0

step "an unknown package"
expect 1 "no build log of 'nosuchpkg' for kernel '$NOPE'" nosuchpkg "distkernel status" module log nosuchpkg "$NOPE"
expect 1 "'a b' is not a valid package name" "a b" "" module log "a b" "$NOPE"
# module remove prints its own document with --json: stderr only
dk 1 module remove nosuchpkg
assert_contains "$DK_ERR" "'nosuchpkg': no such registered package; see 'distkernel module list'" "module remove"

step "a bad or missing value in the config file"
echo "layout = bogus" >"$ROOT$CONF"
expect 1 "'$CONF':1: layout 'bogus' is not one of auto, uki, bls, legacy" "$CONF" "" status
printf 'keep = 2\njobs =\n' >"$ROOT$CONF"
expect 1 "'$CONF':2: jobs '' is not a number" "$CONF" "" sync
echo "layout = legacy" >"$ROOT$CONF"
expect 1 "'$CONF': the layout is legacy, not uki; set 'layout = uki'" "$CONF" "" uki "$NOPE"
rm "$ROOT$CONF"

step "an error is said once, not again by the command that called the library"
echo "layout = uki" >"$ROOT$CONF"
expect 1 "'$CONF': layout uki needs an EFI System Partition" "$CONF" "" sync
assert_eq 1 "$(jq '.errors | length' "$DK_OUT_FILE")" "errors[] of sync --json without an ESP"
dk 1 sync
assert_eq 1 "$(grep -c 'needs an EFI System Partition' "$DK_ERR_FILE")" "lines on stderr naming the missing ESP"
dk 1 graph "$NOPE"
assert_eq 1 "$(grep -c "kernel '$NOPE'" "$DK_ERR_FILE")" "lines on stderr naming the missing kernel"
rm "$ROOT$CONF"

step "the root is locked by another distkernel"
mkdir -p "$ROOT/var/lib/distkernel"
exec {lock}>"$ROOT/var/lib/distkernel/lock"
flock -n "$lock" || fail "cannot take the lock of $ROOT"
expect 3 "another distkernel is working on '$ROOT'; not waiting (--no-wait)" "$ROOT" "" --no-wait gc
exec {lock}>&-

step "a usage error"
expect 2 "sync: invalid option" "" "distkernel --help" sync --no-such-option
expect 2 "'no-such-command': unknown command" no-such-command "distkernel --help" no-such-command
