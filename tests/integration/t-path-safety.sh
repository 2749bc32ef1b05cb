#!/bin/bash
# Nothing is ever written outside the root. A canary directory beside the
# root stays unchanged while:
#  - dkms.conf packages whose PACKAGE_NAME, PACKAGE_VERSION, BUILT_MODULE_NAME,
#    DEST_MODULE_NAME, BUILT_MODULE_LOCATION or DEST_MODULE_LOCATION hold "..",
#    an absolute path to the canary or a newline are refused by module add,
#    with an error naming their dkms.conf and the directive, and nothing is
#    registered;
#  - the install directory updates/dkms is a symbolic link to the canary
#    (absolute, and relative with enough ".." to leave the root): it is
#    resolved inside the root (an error naming the file while it dangles
#    there, the modules in ROOT/CANARY once that exists);
#  - the build directory is a symbolic link to the canary: the build refuses
#    to run there, naming the directory;
#  - the initramfs directory is a link out of the root: an external
#    generator (initramfs-tools) is not run there;
#  - /etc/kernel/entry-token is "../../x": ignored with a warning naming the
#    file, the entries use another token;
#  - /lib (where depmod writes) and /var/lib/distkernel (the state database,
#    which sqlite opens by host path) are links out of the root: depmod is
#    not run, the state is not opened, each naming the directory.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A"
mkroot "$KVER_A"
CANARY=$TEST_TMP/canary
mkdir -p "$CANARY/usr/lib/modules"
echo "do not touch" >"$CANARY/marker"
canary_state() { find "$CANARY" -printf '%p %y %s %T@\n' | sort; }
canary_state >"$TEST_TMP/canary.before"
assert_canary() {
        canary_state >"$TEST_TMP/canary.after"
        diff -u "$TEST_TMP/canary.before" "$TEST_TMP/canary.after" >&2 || fail "the canary outside the root changed: $*"
}
# ups: enough ".." to leave the root from anywhere in it
ups=../../../../../../../../../../../..

# mkpkg NAME VERSION DIRECTIVES: a package /usr/src/NAME-VERSION (a trivial
# module "pathsafe") whose dkms.conf sets DIRECTIVES after the defaults
mkpkg() {
        local dir=$ROOT/usr/src/$1-$2
        mkdir -p "$dir"
        cp "$DATA/bad-dest-1.0/bad_dest.c" "$dir/pathsafe.c"
        echo "obj-m := pathsafe.o" >"$dir/Makefile"
        {
                printf 'PACKAGE_NAME="%s"\nPACKAGE_VERSION="%s"\n' "$1" "$2"
                printf 'BUILT_MODULE_NAME[0]="pathsafe"\nDEST_MODULE_LOCATION[0]="/extra"\n'
                printf 'MAKE[0]="make -C ${kernel_source_dir} M=${dkms_tree}/${PACKAGE_NAME}/${PACKAGE_VERSION}/build"\n'
                printf 'AUTOINSTALL="yes"\n'
                printf '%s\n' "$3"
        } >"$dir/dkms.conf"
        printf '/usr/src/%s-%s\n' "$1" "$2"
}

dk 0 --json module list
cp "$DK_OUT_FILE" "$TEST_TMP/list.before"
# refused NAME DIRECTIVE-NAME DIRECTIVES: module add of such a package fails
# naming its dkms.conf and the directive
n=0
refused() {
        local pkg
        n=$((n + 1))
        pkg=$(mkpkg "evil$n" 1.0 "$3")
        step "module add refuses $1"
        dk 1 module add "$pkg"
        assert_contains "$DK_ERR" "distkernel: " "stderr"
        assert_contains "$DK_ERR" "$pkg/dkms.conf" "stderr"
        assert_contains "$DK_ERR" "$2" "stderr"
        assert_canary "$1"
}
refused "BUILT_MODULE_NAME with .." BUILT_MODULE_NAME "BUILT_MODULE_NAME[0]=\"$ups$CANARY/x\""
refused "an absolute BUILT_MODULE_NAME" BUILT_MODULE_NAME "BUILT_MODULE_NAME[0]=\"$CANARY/x\""
refused "BUILT_MODULE_NAME with a newline" BUILT_MODULE_NAME $'BUILT_MODULE_NAME[0]="path\nsafe"'
refused "DEST_MODULE_NAME with .." DEST_MODULE_NAME "DEST_MODULE_NAME[0]=\"../../../x\""
refused "DEST_MODULE_LOCATION with .." DEST_MODULE_LOCATION "DEST_MODULE_LOCATION[0]=\"/extra/$ups$CANARY\""
refused "DEST_MODULE_LOCATION with a newline" DEST_MODULE_LOCATION $'DEST_MODULE_LOCATION[0]="/extra\n/x"'
refused "BUILT_MODULE_LOCATION with .." BUILT_MODULE_LOCATION "BUILT_MODULE_LOCATION[0]=\"$ups$CANARY\""
refused "an absolute BUILT_MODULE_LOCATION" BUILT_MODULE_LOCATION "BUILT_MODULE_LOCATION[0]=\"$CANARY\""
refused "PACKAGE_NAME with .." PACKAGE_NAME "PACKAGE_NAME=\"$ups$CANARY\""
refused "an absolute PACKAGE_NAME" PACKAGE_NAME "PACKAGE_NAME=\"$CANARY\""
refused "PACKAGE_NAME with a newline" PACKAGE_NAME $'PACKAGE_NAME="path\nsafe"'
refused "PACKAGE_VERSION with .." PACKAGE_VERSION "PACKAGE_VERSION=\"../../../x\""

step "nothing was registered"
dk 0 --json module list
diff -u "$TEST_TMP/list.before" "$DK_OUT_FILE" >&2 || fail "module list changed after refused module adds"
rm -rf "$ROOT"/usr/src/evil*

step "the install directory is a link to the canary: resolved inside the root"
pkg=$(mkpkg pathsafe 1.0 "")
dk 0 module add "$pkg"
mkdir -p "$ROOT/usr/lib/modules/$KVER_A/updates"
ln -s "$CANARY" "$ROOT/usr/lib/modules/$KVER_A/updates/dkms"
# ROOT$CANARY does not exist: the link dangles inside the root
dk 1 sync
assert_contains "$DK_ERR" "'/usr/lib/modules/$KVER_A/updates/dkms/pathsafe.ko': cannot create" "sync stderr"
assert_canary "a dangling absolute updates/dkms link"
mkdir -p "$ROOT$CANARY"
sync_ok --rebuild
assert_file "$ROOT$CANARY/pathsafe.ko"
assert_canary "an absolute updates/dkms link"
rm "$ROOT/usr/lib/modules/$KVER_A/updates/dkms"
ln -s "$ups$CANARY" "$ROOT/usr/lib/modules/$KVER_A/updates/dkms"
sync_ok
dk 0 verify
assert_canary "a relative updates/dkms link"
rm "$ROOT/usr/lib/modules/$KVER_A/updates/dkms"
sync_ok
assert_installed "$KVER_A" pathsafe 1.0

step "the build directory is a link to the canary: the build refuses it"
# the work directory build/KVER/NAME/VERSION/build, ready for make, outside
mkdir -p "$CANARY/$KVER_A/pathsafe/1.0/build" "$ROOT/var/lib/distkernel"
canary_state >"$TEST_TMP/canary.before"
rm -rf "$ROOT/var/lib/distkernel/build"
ln -s "$ups$CANARY" "$ROOT/var/lib/distkernel/build"
dk 1 sync --rebuild
assert_contains "$DK_OUT$DK_ERR" "symbolic link" "sync output"
assert_canary "a relative build directory link"
rm "$ROOT/var/lib/distkernel/build"
ln -s "$CANARY" "$ROOT/var/lib/distkernel/build"
dk 1 sync --rebuild
assert_contains "$DK_OUT$DK_ERR" "symbolic link" "sync output"
assert_canary "an absolute build directory link"
rm "$ROOT/var/lib/distkernel/build"

if command -v mkinitramfs >/dev/null; then
        step "the initramfs directory is a link out of the root: the external generator is not run there"
        mkdir -p "$CANARY/initramfs" "$ROOT/etc/distkernel" "$ROOT/efi/EFI"
        canary_state >"$TEST_TMP/canary.before"
        rm -rf "$ROOT/var/lib/distkernel/initramfs"
        ln -s "$ups$CANARY/initramfs" "$ROOT/var/lib/distkernel/initramfs"
        printf 'layout = bls\ninitramfs = initramfs-tools\n' >"$ROOT/etc/distkernel/distkernel.conf"
        dk 1 sync
        assert_contains "$DK_ERR" "'/var/lib/distkernel/initramfs': a symbolic link on the way leads out of the root" \
                "sync stderr"
        assert_canary "a relative initramfs directory link"
        rm "$ROOT/var/lib/distkernel/initramfs"
fi

step "an entry token of ../../x is ignored"
mkdir -p "$ROOT/efi/EFI" "$ROOT/etc/kernel" "$ROOT/etc/distkernel"
echo "layout = bls" >"$ROOT/etc/distkernel/distkernel.conf"
echo "../../x" >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
# (--rebuild: the failed pair is retried only on request)
sync_ok --rebuild
assert_contains "$DK_ERR" "'/etc/kernel/entry-token': '../../x' is not a valid entry token, ignoring" "sync stderr"
assert_installed "$KVER_A" pathsafe 1.0
compgen -G "$ROOT/efi/loader/entries/*-$KVER_A.conf" >/dev/null || fail "no BLS entry for $KVER_A"
assert_no_match "$ROOT/x*" "$ROOT/efi/loader/entries/*..*" "$ROOT/efi/x*"
assert_absent "$TEST_TMP/x" "$ROOT/x"
assert_canary "the entry token"
dk 0 verify

# Programs we spawn (depmod, sqlite's own open) see host paths, where a link
# on the way may lead out of the root: those directories are checked first.
step "/lib is a link out of the root: the module indexes are not updated there, nor depmod run"
mkdir -p "$CANARY/lib/modules/$KVER_A" "$ROOT$CANARY/lib/modules/$KVER_A"
canary_state >"$TEST_TMP/canary.before"
if [[ -e $ROOT/lib || -L $ROOT/lib ]]; then mv "$ROOT/lib" "$TEST_TMP/lib.saved"; fi
ln -s "$CANARY/lib" "$ROOT/lib"
dk 1 sync --rebuild
assert_contains "$DK_ERR" "'/lib/modules/$KVER_A': a symbolic link on the way leads out of the root, refusing to update the module indexes there" "sync stderr"
assert_canary "an absolute /lib link"
rm "$ROOT/lib"
if [[ -e $TEST_TMP/lib.saved || -L $TEST_TMP/lib.saved ]]; then mv "$TEST_TMP/lib.saved" "$ROOT/lib"; fi
sync_ok --rebuild
dk 0 verify

step "the state directory is a link out of the root: the state is not opened there"
mkdir -p "$CANARY/state" "$ROOT$CANARY/state"
canary_state >"$TEST_TMP/canary.before"
mv "$ROOT/var/lib/distkernel" "$TEST_TMP/state.saved"
ln -s "$ups$CANARY/state" "$ROOT/var/lib/distkernel"
dk 1 sync
assert_contains "$DK_ERR" "a symbolic link on the way leads out of the root" "sync stderr"
assert_canary "a relative state directory link"
rm "$ROOT/var/lib/distkernel"
mv "$TEST_TMP/state.saved" "$ROOT/var/lib/distkernel"
sync_ok
dk 0 verify
