#!/bin/bash
# Crash consistency of a whole sync (uki layout, keep = 2). Kernels OLD < DEF
# are installed and synced, DEF the default, with the package dkfault; then
# kernel NEW arrives and one sync does it all: the module build for NEW, its
# install and depmod, NEW's initramfs and UKI, the promotion of NEW, and gc,
# which removes OLD's UKI and initramfs.
#
# The Nth checked file-system operation of that sync (DISTKERNEL_FAULT: every
# create, write, fsync, rename, unlink, mkdir, symlink and removal of
# distkernel and of the processes it forks, and the state database's writes,
# syncs, truncations, creations and deletions through a SQLite VFS shim) fails
# with EIO, ENOSPC or EROFS, or the process group is killed there, for every N
# from 1 to the number of operations of the uninterrupted sync. After each
# faulted run:
#  * DEF's files (its UKI, initramfs, modules dir) are byte-identical, and a
#    UKI of NEW on the ESP is absent or byte-identical to the reference run's;
#  * the default recorded in the state is DEF or NEW, and its UKI is intact;
#    NEW only with its module installed;
#  * `PRAGMA integrity_check` of the state database says ok;
#  * verify exits 0, or 1 naming only files of OLD that gc removed before the
#    fault stopped it from forgetting them ("missing");
#  * after an error (not a kill) no temp file (.#*) is left anywhere;
#  * a sync without faults exits 0 and converges: the files below /boot, the
#    ESP, /usr/lib/modules and /var/lib/distkernel (logs aside) and the state
#    rows (timestamps, stat identities and caches aside) equal those of an
#    uninterrupted run; then a sync is a no-op (as many checked operations as
#    the reference's no-op sync, nothing built or installed) and verify is
#    clean.
# The kernels' module trees are slimmed to a few file-system modules (the
# generic initramfs stays small) and dkfault's module is built by kbuild once
# per kernel at the start; its MAKE copies it, so that each of the hundreds
# of syncs is fast while distkernel's own code runs as always. Points run two
# at a time, each on its own copy of the root.
#
# FAULT_MODES (default "EIO ENOSPC EROFS kill"), FAULT_FIRST (default 1) and
# FAULT_STRIDE (default 1: every N) narrow the sweep when run by hand. The
# whole sweep, about 170 points per mode, takes about 0.5 s of CPU per point
# (1 s under ASan and UBSan), two points at a time.
# timeout: 2400
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

# The suite runs this sweep with the plain build (FAULT_DISTKERNEL): its 700
# points cost twice as much under ASan and UBSan, 25 minutes of CI on 2 CPUs.
# The sanitizers see the same error paths in t-boot-faults and the fuzzers.
if [[ -n ${FAULT_DISTKERNEL:-} ]]; then
        DISTKERNEL=$FAULT_DISTKERNEL
        [[ $DISTKERNEL == /* ]] || DISTKERNEL=$REPO/$DISTKERNEL
        [[ -x $DISTKERNEL ]] || skip "$DISTKERNEL is not built"
fi
need_stub
command -v sqlite3 >/dev/null || skip "sqlite3 is not installed"
OLD=$KVER_A DEF=$KVER_B NEW=$KVER_C
need_kernel "$OLD" "$DEF" "$NEW"
modes=${FAULT_MODES:-EIO ENOSPC EROFS kill}
stride=${FAULT_STRIDE:-1}
first=${FAULT_FIRST:-1}
started=$SECONDS

# slim KVER: keep ext4 and what it needs of KVER's modules, depmod again
slim() {
        local m=$ROOT/usr/lib/modules/$1
        find "$m/kernel" -mindepth 1 -maxdepth 1 ! -name fs ! -name lib ! -name crypto -exec rm -rf {} +
        find "$m/kernel/fs" -mindepth 1 -maxdepth 1 ! -name ext4 ! -name jbd2 ! -name 'mbcache.ko*' -exec rm -rf {} +
        find "$m/kernel/crypto" -mindepth 1 -maxdepth 1 ! -name 'crc32c*' -exec rm -rf {} +
        rm -f "$m"/modules.*
        cp "$KERNELS_DIR/$1/lib/modules/$1"/modules.{order,builtin,builtin.modinfo} "$m/"
        depmod -b "$ROOT" "$1" || fail "depmod for $1"
}

# unlink_boot: the images are hard links into the fixture cache, whose ctime
# changes with every new link (another test's root): that would defeat the
# state's hash cache now and then, and a no-op sync would not be one. Copies.
unlink_boot() {
        local f
        for f in "$ROOT"/boot/*; do
                [[ $(stat -c %h "$f") == 1 ]] || { cp -a "$f" "$f.copy" && mv "$f.copy" "$f"; }
        done
}

step "setup: $OLD and $DEF synced, $DEF the default; then $NEW arrives"
mkroot "$OLD" "$DEF"
unlink_boot
slim "$OLD"
slim "$DEF"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/distkernel" "$ROOT/etc/kernel"
echo ft >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
printf 'layout = uki\nkeep = 2\njobs = 1\n' >"$ROOT/etc/distkernel/distkernel.conf"
pkg=$ROOT$(put_source dkfault-1.0)
for k in "$OLD" "$DEF" "$NEW"; do
        kb=$TEST_TMP/kbuild-$k
        mkdir -p "$kb" "$pkg/prebuilt/$k"
        cp "$DATA/dkfault-1.0/"{Makefile,dkfault.c} "$kb/"
        make -C "/usr/src/linux-headers-$k" M="$kb" modules >"$kb.log" 2>&1 || { cat "$kb.log"; fail "kbuild of dkfault for $k"; }
        cp "$kb/dkfault.ko" "$pkg/prebuilt/$k/"
done
dk 0 module add /usr/src/dkfault-1.0
dk 0 sync
assert_contains "$DK_OUT" "default kernel: $DEF" "sync output"
addkernel "$NEW"
slim "$NEW"
unlink_boot
T0=$ROOT
uki_def=efi/EFI/Linux/ft-$DEF.efi uki_new=efi/EFI/Linux/ft-$NEW.efi

# mkpoint DIR: a fresh root DIR/root: an overlay of the template T0, so that
# the files keep their inode numbers (the initramfs keys hash them) and
# nothing is copied
mkpoint() {
        unpoint "$1"
        mkdir -p "$1/root" "$1/upper" "$1/ovl"
        mount -t overlay overlay -o "lowerdir=$T0,upperdir=$1/upper,workdir=$1/ovl" "$1/root" ||
                fail "cannot mount an overlay on $1/root"
}
unpoint() {
        if mountpoint -q "$1/root"; then
                umount "$1/root" || fail "cannot unmount $1/root"
        fi
        rm -rf "$1"
}
trap 'rc=$?; for m in ref w0 w1; do ! mountpoint -q "$TEST_TMP/$m/root" || umount -l "$TEST_TMP/$m/root"; done; (exit $rc); cleanup' EXIT
# find_written DIR -type T...: the files distkernel may write below DIR (a
# root or an overlay's upper dir), logs and the state database aside
find_written() {
        local dir=$1 d
        shift
        for d in boot efi usr/lib/modules var/lib/distkernel; do
                [[ ! -d $dir/$d ]] || (cd "$dir" && find "$d" \( -path var/lib/distkernel/log -o -name 'state.db*' \) -prune -o "$@")
        done
}
# files ROOT: the link target or SHA-256 of each such file. Only what the
# overlay's upper dir holds (what the runs wrote) is hashed: the rest is the
# template's.
files() {
        find_written "$1" -type l -printf '%p -> %l\n' | sort
        find_written "$1/../upper" -type f -print0 | xargs -0 -r sh -c 'cd "$0" && sha256sum "$@"' "$1" >"$1/../upper.sums"
        find_written "$1" -type f -print | sort |
                awk 'FILENAME == ARGV[1] || FILENAME == ARGV[2] { h[$2] = $1; next } { print h[$0] "  " $0 }' \
                        "$TEST_TMP/t0.sums" "$1/../upper.sums" -
}
# rows ROOT: the state, without timestamps, stat identities and caches (and
# the initramfs keys: they hash the stat identities of the kernel's files, and
# every copy of the root has its own inodes)
rows() {
        sqlite3 "$1/var/lib/distkernel/state.db" \
                "SELECT 'kernel', kver, image, ignored FROM kernels ORDER BY kver;
                 SELECT 'package', name, version, path FROM packages ORDER BY name, version;
                 SELECT 'pair', name, version, kver, state, key, message FROM pairs ORDER BY name, version, kver;
                 SELECT 'file', path, kver, name, version, sha256, size FROM files ORDER BY path;
                 SELECT 'meta', key, value FROM meta WHERE key NOT LIKE 'initramfs:%:key' ORDER BY key;"
}
# def_files ROOT: DEF's files
def_files() {
        (cd "$1" && find "$uki_def" "var/lib/distkernel/initramfs/initrd.img-$DEF" "usr/lib/modules/$DEF" -type f -print0 |
                sort -z | xargs -0 sha256sum)
}
# count OUTPUT-FILE: the number of checked operations a run reported
count() {
        sed -n 's/^distkernel: fault injection: \([0-9]*\) checked operations$/\1/p' "$1"
}

find_written "$T0" -type f -print0 | xargs -0 -r sh -c 'cd "$0" && sha256sum "$@"' "$T0" >"$TEST_TMP/t0.sums"

step "reference: the same sync without faults"
ROOT=$TEST_TMP/ref/root
mkdir -p "$TEST_TMP/ref/root" "$TEST_TMP/ref/upper" "$TEST_TMP/ref/ovl"
mount -t overlay overlay -o "lowerdir=$T0,upperdir=$TEST_TMP/ref/upper,workdir=$TEST_TMP/ref/ovl" "$ROOT" ||
        skip "overlayfs is not available"
mkpoint "$TEST_TMP/ref"
def_files "$ROOT" >"$TEST_TMP/def.ref"
DISTKERNEL_FAULT=0 dk_timed 0 sync
total=$(count "$DK_ERR_FILE")
[[ -n $total ]] || fail "the reference sync did not report its checked operations: $DK_ERR"
assert_contains "$DK_OUT" "default kernel: $NEW, fallback: $DEF" "reference sync output"
assert_contains "$DK_OUT" "gc: removed kernel $OLD" "reference sync output"
assert_absent "$ROOT/efi/EFI/Linux/ft-$OLD.efi"
files "$ROOT" >"$TEST_TMP/files.ref"
rows "$ROOT" >"$TEST_TMP/rows.ref"
sha256sum <"$ROOT/$uki_new" >"$TEST_TMP/uki.ref"
DISTKERNEL_FAULT=0 dk 0 sync
noop=$(count "$DK_ERR_FILE")
dk 0 verify
echo "the sync does $total checked operations, a no-op sync $noop"

# point MODE N: one faulted run on a fresh root and every check; prints
# "injected" when the fault happened (the run got to operation N)
point() {
        local mode=$1 n=$2 rc=0 got sum def
        mkpoint "$W"
        DISTKERNEL_FAULT=$n:$mode "$DISTKERNEL" --root "$ROOT" sync >"$W/out" 2>&1 </dev/null || rc=$?
        if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$W/out"; then
                cat "$W/out" >&2
                fail "$mode at $n: sanitizer report"
        fi
        if [[ $mode == kill ]]; then
                ((rc == 137)) || { ((rc == 0)) && return 0; cat "$W/out" >&2; fail "$mode at $n: exit status $rc"; }
                # the killed group's programs (a make, a compressor) may still be finishing
                sleep 0.2
        else
                got=$(count "$W/out")
                [[ -n $got ]] || { cat "$W/out" >&2; fail "$mode at $n: exit status $rc, no count of operations"; }
                ((got >= n)) || return 0
        fi
        echo injected
        def_files "$ROOT" >"$W/def"
        diff -u "$TEST_TMP/def.ref" "$W/def" >&2 || fail "$mode at $n: the files of $DEF changed"
        if [[ -e $ROOT/$uki_new ]]; then
                sum=$(sha256sum <"$ROOT/$uki_new")
                [[ $sum == "$(<"$TEST_TMP/uki.ref")" ]] || fail "$mode at $n: a partial UKI of $NEW on the ESP"
        fi
        got=$(sqlite3 "$ROOT/var/lib/distkernel/state.db" 'PRAGMA integrity_check' 2>&1) || true
        [[ $got == ok ]] || fail "$mode at $n: state database: $got"
        def=$(sqlite3 "$ROOT/var/lib/distkernel/state.db" "SELECT value FROM meta WHERE key = 'boot:default'" 2>&1) || true
        [[ $def == "$DEF" || $def == "$NEW" ]] || fail "$mode at $n: the recorded default is '$def'"
        [[ -f $ROOT/efi/EFI/Linux/ft-$def.efi ]] || fail "$mode at $n: the default $def has no UKI"
        if [[ $def == "$NEW" ]]; then
                got=$(sqlite3 "$ROOT/var/lib/distkernel/state.db" \
                        "SELECT state FROM pairs WHERE name = 'dkfault' AND kver = '$NEW'" 2>&1) || true
                [[ $got == installed && -f $ROOT/usr/lib/modules/$NEW/updates/dkms/dkfault.ko.xz ]] ||
                        fail "$mode at $n: $NEW is the default, but dkfault is '$got' for it"
        fi
        DK_OUT_FILE=$W/dk.out DK_ERR_FILE=$W/dk.err
        dk any verify
        if ((DK_RC != 0)); then
                ((DK_RC == 1)) || { dk_show verify >&2; fail "$mode at $n: verify exit status $DK_RC"; }
                grep -v -E "^/[^ ]*: missing \([^,]*, kernel $OLD\)\$" "$W/dk.out" | grep -v -E '^verify: ' >"$W/unexpected" || true
                [[ ! -s $W/unexpected ]] || { dk_show verify >&2; fail "$mode at $n: verify reports unexpected differences"; }
        fi
        if [[ $mode != kill ]] && [[ -n $(find "$ROOT" -name '.#*' -print -quit) ]]; then
                fail "$mode at $n: temp files left: $(find "$ROOT" -name '.#*')"
        fi
        dk any sync
        ((DK_RC == 0)) || { cat "$W/out" >&2; dk_show sync >&2; fail "$mode at $n: the sync after the fault failed"; }
        files "$ROOT" >"$W/files"
        diff -u "$TEST_TMP/files.ref" "$W/files" >&2 || { cat "$W/out" >&2; fail "$mode at $n: the files differ from the reference run's"; }
        rows "$ROOT" >"$W/rows"
        diff -u "$TEST_TMP/rows.ref" "$W/rows" >&2 || { cat "$W/out" >&2; fail "$mode at $n: the state differs from the reference run's"; }
        DISTKERNEL_FAULT=0 dk 0 sync
        got=$(count "$W/dk.err")
        [[ $got == "$noop" ]] || { cat "$W/out" >&2; dk_show sync >&2; fail "$mode at $n: the next sync is no no-op ($got checked operations, $noop expected)"; }
        dk 0 verify
}

# worker I: points N with N % 2 == I of every mode; one line per point
worker() {
        local mode n r
        W=$TEST_TMP/w$1
        ROOT=$W/root
        for mode in $modes; do
                for ((n = first + $1 * stride; n <= total; n += 2 * stride)); do
                        r=$(point "$mode" "$n") || exit 1
                        if [[ $r == injected ]]; then
                                echo "$mode $n recovered"
                        else
                                echo "$mode $n not reached"
                        fi
                done
        done
}
step "faults: $modes, N = $first..$total (every ${stride}.)"
worker 0 >"$TEST_TMP/w0.log" 2>"$TEST_TMP/w0.err" &
p0=$!
worker 1 >"$TEST_TMP/w1.log" 2>"$TEST_TMP/w1.err" &
p1=$!
rc0=0 rc1=0
wait "$p0" || rc0=$?
wait "$p1" || rc1=$?
for i in 0 1; do
        rc=rc$i
        if ((${!rc} != 0)); then
                tail -n 5 "$TEST_TMP/w$i.log" >&2
                cat "$TEST_TMP/w$i.err" >&2
                fail "worker $i failed"
        fi
done
cat "$TEST_TMP"/w[01].log >"$TEST_TMP/points"
all_injected=0 all_recovered=0
for mode in $modes; do
        injected=$(grep -c "^$mode .* recovered$" "$TEST_TMP/points" || true)
        echo "$mode: $injected points injected, $injected recovered"
        all_injected=$((all_injected + injected))
done
all_recovered=$(grep -c ' recovered$' "$TEST_TMP/points" || true)
((all_injected > 0)) || fail "no fault was injected"
times
echo "all modes: $all_injected points injected, $all_recovered recovered ($((SECONDS - started)) s)"
