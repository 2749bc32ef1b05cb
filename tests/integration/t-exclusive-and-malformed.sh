#!/bin/bash
# Scenario 5: BUILD_EXCLUSIVE_KERNEL excludes a package from 6.1 kernels; the
# malformed packages are refused at "module add" with an error that names
# their dkms.conf (and nothing is registered), or fail at sync without
# touching the others.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_C"
mkroot "$KVER_A" "$KVER_C"
for p in dktest-1.0 dkexcl-1.0 bad-syntax-1.0 bad-dest-1.0 bad-name-1.0 bad-build-1.0; do
        put_source "$p" >/dev/null
done

step "dkexcl is excluded on $KVER_A and built on $KVER_C"
dk 0 module add /usr/src/dktest-1.0
dk 0 module add /usr/src/dkexcl-1.0
sync_ok
assert_not_installed "$KVER_A" dkexcl
assert_no_match "$(updates "$KVER_A")/dkexcl*" "$ROOT/usr/lib/modules/$KVER_A/extra/dkexcl*"
assert_installed "$KVER_C" dkexcl 1.0
assert_compressed_like_kernel "$KVER_C" dkexcl
assert_installed "$KVER_A" dktest_core 1.0
assert_installed "$KVER_C" dktest_core 1.0
status_json
assert_state dkexcl 1.0 "$KVER_A" excluded
assert_state dkexcl 1.0 "$KVER_C" installed
assert_state dktest 1.0 "$KVER_A" installed

dk 0 --json module list
cp "$DK_OUT_FILE" "$TEST_TMP/list.before"
snapshot "$(updates "$KVER_A")" "$(updates "$KVER_C")" >"$TEST_TMP/installed.before"

step "bad-syntax: a bash syntax error in dkms.conf is refused"
dk 1 module add /usr/src/bad-syntax-1.0
assert_contains "$DK_ERR" "distkernel: " "stderr"
assert_contains "$DK_ERR" "bad-syntax-1.0/dkms.conf" "stderr"

step "bad-dest: DEST_MODULE_LOCATION leaving the modules directory is refused"
dk 1 module add "$ROOT/usr/src/bad-dest-1.0"
assert_contains "$DK_ERR" "distkernel: " "stderr"
assert_contains "$DK_ERR" "bad-dest-1.0/dkms.conf" "stderr"
assert_contains "$DK_ERR" "DEST_MODULE_LOCATION" "stderr"

step "nothing was registered"
dk 0 --json module list
cp "$DK_OUT_FILE" "$TEST_TMP/list.after"
diff -u "$TEST_TMP/list.before" "$TEST_TMP/list.after" >&2 || fail "module list changed after refused module add"
assert_absent "$ROOT/etc/bad_dest.ko" "$ROOT/etc/bad_dest.ko.xz"

step "paths that are not packages inside the root are refused"
dk 1 module add /usr/src/no-such-package-1.0
assert_contains "$DK_ERR" "distkernel: " "stderr"
mkdir -p "$TEST_TMP/outside-1.0"
cp "$DATA/dktest-1.0/dkms.conf" "$TEST_TMP/outside-1.0/"
dk 1 module add "$TEST_TMP/outside-1.0"

step "bad-name and bad-build fail at sync; the others stay installed"
dk any module add /usr/src/bad-name-1.0
bad_name_registered=$DK_RC
if ((bad_name_registered != 0)); then
        assert_contains "$DK_ERR" "bad-name-1.0/dkms.conf" "stderr of module add bad-name"
fi
dk 0 module add /usr/src/bad-build-1.0
dk_timed 1 sync
if ((bad_name_registered == 0)); then
        assert_contains "$DK_OUT$DK_ERR" "bad_name_missing" "sync output"
        assert_no_match "$(updates "$KVER_A")/bad_name*" "$(updates "$KVER_C")/bad_name*"
fi
assert_contains "$DK_OUT$DK_ERR" "log/bad-build-1.0/$KVER_A.log" "sync output"
assert_no_match "$(updates "$KVER_A")/bad_build*" "$(updates "$KVER_C")/bad_build*"
dk 0 module log bad-build "$KVER_A"
assert_contains "$DK_OUT" "this_function_does_not_exist" "module log bad-build $KVER_A"

snapshot "$(updates "$KVER_A")" "$(updates "$KVER_C")" >"$TEST_TMP/installed.after"
assert_same_snapshot "$TEST_TMP/installed.before" "$TEST_TMP/installed.after" "the installed modules"
status_json
for kver in "$KVER_A" "$KVER_C"; do
        assert_state bad-build 1.0 "$kver" failed
        [[ $bad_name_registered != 0 ]] || assert_state bad-name 1.0 "$kver" failed
        assert_state dktest 1.0 "$kver" installed
done
assert_state dkexcl 1.0 "$KVER_A" excluded
assert_state dkexcl 1.0 "$KVER_C" installed

step "usage errors exit 2"
dk 2 no-such-command
dk 2 module
dk 2 kernel add
