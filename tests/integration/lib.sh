# Helpers for the integration tests (sourced by tests/integration/t-*.sh).
#
# Each test runs the binary under test ($DISTKERNEL, default build/distkernel)
# against a fresh sandbox root $ROOT made of real Debian kernels and headers
# (tests/fixtures/prepare.sh must have run: it writes the environment file
# that gives KVER_A, KVER_B, KVER_C and the sources of Debian's dkms packages).
#
# A test exits 0 when it passed, 77 when it was skipped (a prerequisite is
# missing), anything else when it failed. KEEP=1 keeps its temporary files.
# shellcheck shell=bash
set -euo pipefail

TESTS_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$TESTS_DIR/../.." && pwd)
FIXTURES=$REPO/tests/fixtures
DATA=$REPO/tests/data
TEST_NAME=$(basename "$0" .sh)

DISTKERNEL=${DISTKERNEL:-build/distkernel}
[[ $DISTKERNEL == /* ]] || DISTKERNEL=$REPO/$DISTKERNEL

# ------------------------------------------------------------------ results
skip() {
        echo "SKIP: $TEST_NAME: $*"
        exit 77
}
fail() {
        echo "FAIL: $TEST_NAME: $*" >&2
        exit 1
}
# step TEXT: say what the test does next (shown when it fails)
step() {
        echo "--- $*"
}

# ------------------------------------------------------------ prerequisites
[[ -x $DISTKERNEL ]] || skip "$DISTKERNEL is not built"
ENV_FILE=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}/env
[[ -r $ENV_FILE ]] || skip "$ENV_FILE is missing (run tests/fixtures/prepare.sh as root)"
# shellcheck source=/dev/null
. "$ENV_FILE"
[[ $EUID -eq 0 ]] || skip "must run as root"
for tool in jq modinfo modprobe depmod sha256sum make gcc patch; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
done

# need_kernel KVER...: skip unless the kernels' images and host headers exist
need_kernel() {
        local kver
        for kver in "$@"; do
                [[ -n $kver ]] || skip "a kernel version is not set in $ENV_FILE"
                [[ -e $KERNELS_DIR/$kver/.complete ]] || skip "kernel $kver is not in the cache"
                [[ -e /usr/src/linux-headers-$kver/Makefile ]] || skip "linux-headers-$kver is not installed"
        done
}

# --------------------------------------------------------------- temp files
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/distkernel-$TEST_NAME.XXXXXX")
ROOT=$TEST_TMP/root
cleanup() {
        local rc=$?
        if [[ ${KEEP:-0} == 1 ]] || { ((rc != 0 && rc != 77)) && [[ ${KEEP:-0} == failed ]]; }; then
                echo "kept $TEST_TMP"
        else
                rm -rf "$TEST_TMP"
        fi
        return "$rc"
}
trap cleanup EXIT

# ------------------------------------------------------------------- roots
# mkroot KVER...: create $ROOT with these kernels
mkroot() {
        need_kernel "$@"
        "$FIXTURES/mkroot.sh" "$ROOT" "$@" || fail "mkroot.sh $ROOT $*"
}
# addkernel KVER: install one more kernel into $ROOT
addkernel() {
        need_kernel "$1"
        "$FIXTURES/addkernel.sh" "$ROOT" "$1" || fail "addkernel.sh $ROOT $1"
}
# add_older_kernel KVER FROM: install kernel FROM's files again under the
# version KVER (an extra kernel, older or newer, where the cache has only
# three); its
# modules are hard links to FROM's, with depmod indexes of its own.
add_older_kernel() {
        local new=$1 from=$2 f
        cp -al "$ROOT/usr/lib/modules/$from" "$ROOT/usr/lib/modules/$new"
        rm -f "$ROOT/usr/lib/modules/$new"/modules.*
        cp -a "$ROOT/usr/lib/modules/$from"/modules.{order,builtin,builtin.modinfo} "$ROOT/usr/lib/modules/$new/"
        depmod -b "$ROOT" "$new" || fail "depmod for $new"
        for f in vmlinuz config System.map; do
                cp "$ROOT/boot/$f-$from" "$ROOT/boot/$f-$new"
        done
}
# need_stub: skip unless systemd's EFI stub is installed
need_stub() {
        [[ -r /usr/lib/systemd/boot/efi/linuxx64.efi.stub ]] || skip "systemd-boot-efi is not installed"
}
# boot_uki UKI DISK WHAT: boot UKI as the removable-media loader of an ESP
# under OVMF (QEMU TCG; BOOT_SECURE=1: Secure Boot firmware) with DISK as the
# root disk; fail unless the root file system's marker appears. The console
# log is $CONSOLE afterwards.
boot_uki() {
        local esp rc=0
        esp=$(mktemp -d "$TEST_TMP/esp.XXXXXX")
        CONSOLE=$esp.console
        mkdir -p "$esp/EFI/BOOT"
        cp "$1" "$esp/EFI/BOOT/BOOTX64.EFI"
        BOOT_LOG=$CONSOLE BOOT_QUIET=1 "$REPO/tests/boot/boot-efi.sh" "$esp" "$2" || rc=$?
        ((rc == 0)) || { tail -n 50 "$CONSOLE" >&2; fail "$3 did not boot (boot-efi.sh exit $rc)"; }
        echo "booted $3: $(grep -a '^DISTKERNEL-BOOT-OK' "$CONSOLE")"
}
# put_source DIR: copy a package source directory into $ROOT/usr/src/
# (tests/data/NAME-VERSION when DIR has no slash) and print its path as seen
# from inside the root (/usr/src/NAME-VERSION).
put_source() {
        local src=$1
        [[ $src == */* ]] || src=$DATA/$src
        [[ -e $src/dkms.conf ]] || fail "$src/dkms.conf: no such package"
        mkdir -p "$ROOT/usr/src"
        cp -a "$src" "$ROOT/usr/src/"
        printf '/usr/src/%s\n' "$(basename "$src")"
}

# ------------------------------------------------------ running distkernel
# dk EXPECTED-STATUS ARGS...: run "$DISTKERNEL --root $ROOT ARGS..." and fail
# unless it exits with EXPECTED-STATUS ("any" accepts every status). Sets
# DK_RC, DK_OUT and DK_ERR (also in the files $DK_OUT_FILE, $DK_ERR_FILE).
# A sanitizer report on stderr fails the test whatever the status.
DK_OUT_FILE=$TEST_TMP/dk.out
DK_ERR_FILE=$TEST_TMP/dk.err
dk() {
        local want=$1
        shift
        DK_RC=0
        "$DISTKERNEL" --root "$ROOT" "$@" >"$DK_OUT_FILE" 2>"$DK_ERR_FILE" </dev/null || DK_RC=$?
        DK_OUT=$(<"$DK_OUT_FILE")
        DK_ERR=$(<"$DK_ERR_FILE")
        if grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)' "$DK_ERR_FILE"; then
                dk_show "$@"
                fail "distkernel $* : sanitizer report"
        fi
        if [[ $want != any && $DK_RC != "$want" ]]; then
                dk_show "$@"
                fail "distkernel $* : exit status $DK_RC, expected $want"
        fi
}
dk_show() {
        echo "\$ distkernel --root $ROOT $*  (exit $DK_RC)"
        [[ -z $DK_OUT ]] || printf '[stdout]\n%s\n' "$DK_OUT"
        [[ -z $DK_ERR ]] || printf '[stderr]\n%s\n' "$DK_ERR"
}
# dk_timed EXPECTED-STATUS ARGS...: dk, and print how long it took
dk_timed() {
        local t0 t1
        t0=$(date +%s%N)
        dk "$@"
        t1=$(date +%s%N)
        printf 'time: distkernel %s: %d ms\n' "${*:2}" $(((t1 - t0) / 1000000))
}
# sync_ok: sync that must succeed
sync_ok() {
        dk 0 sync "$@"
}

# ------------------------------------------------------------------ asserts
assert_eq() { # EXPECTED ACTUAL WHAT
        [[ $1 == "$2" ]] || fail "${3:-value}: expected '$1', got '$2'"
}
assert_ne() { # UNEXPECTED ACTUAL WHAT
        [[ $1 != "$2" ]] || fail "${3:-value}: should not be '$1'"
}
assert_contains() { # HAYSTACK NEEDLE WHAT
        [[ $1 == *"$2"* ]] || fail "${3:-output} does not contain '$2':"$'\n'"$1"
}
assert_not_contains() { # HAYSTACK NEEDLE WHAT
        [[ $1 != *"$2"* ]] || fail "${3:-output} contains '$2':"$'\n'"$1"
}
assert_file() { # PATH...
        local f
        for f; do
                [[ -f $f ]] || fail "$f: missing"
        done
}
assert_absent() { # PATH...
        local f
        for f; do
                [[ ! -e $f && ! -L $f ]] || fail "$f: exists, and should not"
        done
}
# assert_no_match GLOB...: none of the globs match anything
assert_no_match() {
        local g
        for g; do
                ! compgen -G "$g" >/dev/null || fail "unexpected files: $(compgen -G "$g" | tr '\n' ' ')"
        done
}

# --------------------------------------------------------------------- JSON
# json_get FILE|- FILTER [jq options]: print jq's raw output of FILTER
json_get() {
        local file=$1 filter=$2
        shift 2
        if [[ $file == - ]]; then
                jq -r "$@" "$filter"
        else
                jq -r "$@" "$filter" "$file"
        fi || fail "jq '$filter' failed on ${file}"
}
# status_json: run "status --json", check it is JSON; sets STATUS_FILE
STATUS_FILE=$TEST_TMP/status.json
status_json() {
        dk 0 --json status
        cp "$DK_OUT_FILE" "$STATUS_FILE"
        jq -e 'type == "object"' "$STATUS_FILE" >/dev/null || fail "status --json is not a JSON object: $DK_OUT"
}
# state_of NAME VERSION KVER: the state of a pair in the last status_json
# (empty when there is no such entry)
state_of() {
        json_get "$STATUS_FILE" '.kernels[] | select(.kver == $k) | .modules[]
                | select(.package == $n and .version == $v) | .state' \
                --arg n "$1" --arg v "$2" --arg k "$3"
}
# assert_state NAME VERSION KVER STATE
assert_state() {
        local got
        got=$(state_of "$1" "$2" "$3")
        [[ $got == "$4" ]] || fail "status: $1/$2 on $3 is '${got:-<no entry>}', expected '$4'"$'\n'"$(jq . "$STATUS_FILE")"
}

# ------------------------------------------------------------------ modules
# updates KVER: the directory where distkernel installs modules for KVER
updates() {
        printf '%s\n' "$ROOT/usr/lib/modules/$1/updates/dkms"
}
# ko KVER MODULE: the installed file of MODULE for KVER (.ko, .ko.xz, .ko.zst
# or .ko.gz), or nothing
ko() {
        local f
        for f in "$(updates "$1")/$2".ko{,.xz,.zst,.gz}; do
                if [[ -e $f ]]; then
                        printf '%s\n' "$f"
                        return 0
                fi
        done
}
# assert_installed KVER MODULE [VERSION]: MODULE is installed for KVER, built
# for KVER (vermagic) and, when given, of that version
assert_installed() {
        local kver=$1 mod=$2 version=${3:-} f vermagic v
        f=$(ko "$kver" "$mod")
        [[ -n $f ]] || fail "$mod is not installed for $kver (in $(updates "$kver"): $(ls -A "$(updates "$kver")" 2>&1 | tr '\n' ' '))"
        vermagic=$(modinfo -F vermagic "$f") || fail "modinfo $f failed"
        [[ $vermagic == "$kver "* ]] || fail "$f: vermagic '$vermagic' is not for $kver"
        if [[ -n $version ]]; then
                v=$(modinfo -F version "$f")
                [[ $v == "$version" ]] || fail "$f: version '$v', expected '$version'"
        fi
}
# assert_not_installed KVER MODULE
assert_not_installed() {
        local f
        f=$(ko "$1" "$2")
        [[ -z $f ]] || fail "$f: $2 is installed for $1 and should not be"
}
# kernel_compression KVER: how the kernel's own modules are compressed
# ("", .xz, .zst or .gz)
kernel_compression() {
        local f
        f=$(find "$ROOT/usr/lib/modules/$1/kernel" -name '*.ko*' -print -quit)
        case $f in
        *.ko.xz) echo .xz ;;
        *.ko.zst) echo .zst ;;
        *.ko.gz) echo .gz ;;
        *) echo "" ;;
        esac
}
# assert_compressed_like_kernel KVER MODULE
assert_compressed_like_kernel() {
        local f want
        f=$(ko "$1" "$2")
        want=$(kernel_compression "$1")
        [[ $f == *.ko"$want" ]] || fail "$f: expected the kernel's module compression (.ko$want)"
}

# -------------------------------------------------------------- snapshots
# snapshot PATH...: one line per regular file below the paths: path, mtime
# (ns), size and SHA-256. Comparing two snapshots shows rewrites.
snapshot() {
        local p
        for p; do
                [[ -e $p ]] || continue
                find "$p" -type f -printf '%p %T@ %s\n' | sort
                find "$p" -type f -print0 | sort -z | xargs -0 -r sha256sum
        done
}
# assert_same_snapshot BEFORE-FILE AFTER-FILE WHAT
assert_same_snapshot() {
        diff -u "$1" "$2" >&2 || fail "$3 changed"
}
# pair_log NAME VERSION KVER: the host path of a pair's build log
pair_log() {
        printf '%s\n' "$ROOT/var/lib/distkernel/log/$1-$2/$3.log"
}
# built_modules SRC KVER: the BUILT_MODULE_NAME[] of the package in SRC, as its
# dkms.conf gives them for KVER (one per line)
built_modules() {
        kernelver=$2 kernel_source_dir=/usr/src/linux-headers-$2 dkms_tree=/nonexistent \
                bash -c '. "$1/dkms.conf" >/dev/null 2>&1; printf "%s\n" "${BUILT_MODULE_NAME[@]}"' _ "$1"
}
