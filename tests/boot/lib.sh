# Helpers for the boot tests (sourced by tests/boot/t-*.sh).
#
# Each test boots a real Debian kernel of the test cache (written by
# tests/fixtures/prepare.sh) in QEMU with an initramfs whose /init is
# distkernel-init ($DISTKERNEL_INIT, default build/distkernel-init) and a root
# disk made by mkrootfs.sh, and checks the serial console.
#
# A test exits 0 when it passed, 77 when it was skipped (a prerequisite is
# missing), anything else when it failed. Lines starting with "check: " say
# what it verified. KEEP=1 keeps its temporary files (images, console logs).
# shellcheck shell=bash
set -euo pipefail

BOOT_TESTS=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$BOOT_TESTS/../.." && pwd)
TEST_NAME=$(basename "$0" .sh)

DISTKERNEL_INIT=${DISTKERNEL_INIT:-build/distkernel-init}
[[ $DISTKERNEL_INIT == /* ]] || DISTKERNEL_INIT=$REPO/$DISTKERNEL_INIT

skip() {
        echo "SKIP: $TEST_NAME: $*"
        exit 77
}
fail() {
        echo "FAIL: $TEST_NAME: $*" >&2
        exit 1
}
step() {
        echo "--- $*"
}
check() {
        echo "check: $*"
}

# ------------------------------------------------------------ prerequisites
[[ $EUID -eq 0 ]] || skip "must run as root"
command -v qemu-system-x86_64 >/dev/null || skip "qemu-system-x86_64 is not installed"
for tool in modprobe cpio zstd xz mkfs.ext4 sfdisk busybox file; do
        command -v "$tool" >/dev/null || skip "$tool is not installed"
done
[[ -x $DISTKERNEL_INIT ]] || skip "$DISTKERNEL_INIT is not built"
ENV_FILE=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}/env
[[ -r $ENV_FILE ]] || skip "$ENV_FILE is missing (run tests/fixtures/prepare.sh as root)"
# shellcheck source=/dev/null
. "$ENV_FILE"

# need_kernel KVER...: skip unless the kernel's image and modules are in the cache
need_kernel() {
        local kver
        for kver in "$@"; do
                [[ -n $kver ]] || skip "a kernel version is not set in $ENV_FILE"
                [[ -e $KERNELS_DIR/$kver/.complete && -r $KERNELS_DIR/$kver/boot/vmlinuz-$kver ]] ||
                        skip "kernel $kver is not in the cache"
        done
}

# --------------------------------------------------------------- temp files
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/distkernel-$TEST_NAME.XXXXXX")
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

# ---------------------------------------------------------------- images
# make_rootfs NAME [--partitioned|--mbr]: $TEST_TMP/NAME.img; sets DISK,
# ROOT_UUID, ROOT_LABEL, ROOT_PARTUUID, ROOT_PARTLABEL (empty when not
# applicable) for the tests
# shellcheck disable=SC2034
make_rootfs() {
        local name=$1 ids
        shift
        ids=$("$BOOT_TESTS/mkrootfs.sh" "$TEST_TMP/$name.img" "$@" 2>"$TEST_TMP/mkrootfs.err") ||
                fail "mkrootfs.sh $*: $(cat "$TEST_TMP/mkrootfs.err")"
        ROOT_UUID=$(sed -n 's/^UUID=//p' <<<"$ids")
        ROOT_LABEL=$(sed -n 's/^LABEL=//p' <<<"$ids")
        ROOT_PARTUUID=$(sed -n 's/^PARTUUID=//p' <<<"$ids")
        ROOT_PARTLABEL=$(sed -n 's/^PARTLABEL=//p' <<<"$ids")
        [[ -n $ROOT_UUID ]] || fail "mkrootfs.sh printed no UUID"
        DISK=$TEST_TMP/$name.img
}

# make_initrd KVER [mkinitrd-manual options]: $TEST_TMP/initrd-KVER.img; sets INITRD
make_initrd() {
        local kver=$1
        shift
        INITRD=$TEST_TMP/initrd-$kver.img
        "$BOOT_TESTS/mkinitrd-manual.sh" "$INITRD" "$KERNELS_DIR/$kver" "$kver" "$DISTKERNEL_INIT" "$@" \
                >"$TEST_TMP/mkinitrd.out" 2>&1 || fail "mkinitrd-manual.sh $kver: $(cat "$TEST_TMP/mkinitrd.out")"
}

# ------------------------------------------------------------------ booting
# boot KVER CMDLINE: boot $INITRD and $DISK; sets BOOT_RC (boot.sh's status),
# CONSOLE (the console output) and BOOT_SECS. Never fails by itself.
BOOT_N=0
boot() {
        local kver=$1 cmdline=$2 t0
        BOOT_N=$((BOOT_N + 1))
        CONSOLE_FILE=$TEST_TMP/console-$BOOT_N.log
        step "boot $kver: $cmdline"
        t0=$(date +%s)
        BOOT_RC=0
        BOOT_LOG=$CONSOLE_FILE BOOT_QUIET=1 BOOT_TIMEOUT=${BOOT_TIMEOUT:-180} \
                "$BOOT_TESTS/boot.sh" "$KERNELS_DIR/$kver/boot/vmlinuz-$kver" "$INITRD" "$cmdline" "$DISK" \
                >"$TEST_TMP/boot.out" 2>&1 || BOOT_RC=$?
        BOOT_SECS=$(($(date +%s) - t0))
        CONSOLE=$(cat "$CONSOLE_FILE" 2>/dev/null || true)
        cat "$TEST_TMP/boot.out"
        echo "time: boot of $kver took $BOOT_SECS s"
}
# show_console: the last console output, for a failure message
show_console() {
        printf '%s\n' "----- console -----" "$CONSOLE" "----- end -----"
}
boot_fail() {
        show_console
        fail "$*"
}
# between BEGIN END: the console lines between two marker lines
between() {
        sed -n "/^$1\$/,/^$2\$/{/^$1\$/d;/^$2\$/d;p}" <<<"$CONSOLE"
}

# ------------------------------------------------------------------ asserts
# assert_booted: the marker appeared, the init's summary line is there
assert_booted() {
        ((BOOT_RC == 0)) || boot_fail "no DISTKERNEL-BOOT-OK on the console (boot.sh exit $BOOT_RC)"
        check "the root's /sbin/init ran (DISTKERNEL-BOOT-OK)"
        grep -qE 'distkernel-init: root /dev/[a-z0-9]+ \([a-z0-9]+(, rw)?\) mounted after [0-9.]+ s, switching to /sbin/init' \
                <<<"$CONSOLE" || boot_fail "no summary line of distkernel-init on the console"
        check "summary: $(grep -o 'distkernel-init: root .*' <<<"$CONSOLE")"
        if grep -q 'distkernel-init: .*loading module failed' <<<"$CONSOLE"; then
                boot_fail "a module failed to load"
        fi
}
# assert_mounted DEV OPT: the root is DEV, mounted with OPT (ro or rw), and the
# API file systems were moved over
assert_mounted() {
        local mounts
        mounts=$(between DISTKERNEL-MOUNTS-BEGIN DISTKERNEL-MOUNTS-END)
        grep -qE "^$1 / ext4 $2[,[:space:]]" <<<"$mounts" || boot_fail "root not '$1' mounted $2:"$'\n'"$mounts"
        check "root is $1, mounted $2"
        grep -q '^devtmpfs /dev devtmpfs' <<<"$mounts" || boot_fail "/dev was not moved to the root"
        grep -q '^tmpfs /run tmpfs' <<<"$mounts" || boot_fail "/run was not moved to the root"
        grep -q '^proc /proc proc' <<<"$mounts" || boot_fail "/proc is not mounted"
        check "/dev (devtmpfs), /run (tmpfs) and /proc moved over"
        grep -qx 'DISTKERNEL-DEVKMSG: ratelimit' <<<"$CONSOLE" ||
                boot_fail "printk_devkmsg was not restored to 'ratelimit'"
        grep -qx 'DISTKERNEL-DEVNODES: 0' <<<"$CONSOLE" || boot_fail "the init left device nodes of its own in /dev"
        check "printk_devkmsg restored, no device nodes of the init left in /dev"
}
# assert_module KVER NAME...: each module is in /proc/modules or built into KVER
assert_module() {
        local kver=$1 name modules builtin=$KERNELS_DIR/$1/lib/modules/$1/modules.builtin
        shift
        modules=$(between DISTKERNEL-MODULES-BEGIN DISTKERNEL-MODULES-END)
        for name; do
                if grep -q "^$name " <<<"$modules"; then
                        check "$name loaded"
                elif grep -qE "/$name\.ko$" "$builtin" 2>/dev/null; then
                        check "$name built into $kver"
                else
                        boot_fail "$name neither in /proc/modules nor built in:"$'\n'"$modules"
                fi
        done
}
