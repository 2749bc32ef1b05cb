#!/bin/bash
# Scenario 3: a new version of a package (dktest 2.0) replaces the old one
# (1.0) on every kernel; the old version is then forgotten.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A" "$KVER_B"
put_source dktest-1.0 >/dev/null
dk 0 module add /usr/src/dktest-1.0
sync_ok
for kver in "$KVER_A" "$KVER_B"; do
        assert_installed "$kver" dktest_core 1.0
        assert_installed "$kver" dktest_user 1.0
done

step "dktest 2.0 is added beside 1.0"
put_source dktest-2.0 >/dev/null
dk 0 module add /usr/src/dktest-2.0
dk 0 --json module list
assert_eq "1.0 2.0" "$(json_get "$DK_OUT_FILE" '[.[] | select(.package == "dktest") | .version] | sort | join(" ")')" \
        "registered dktest versions"

step "status before sync: 2.0 is not built yet, 1.0 is still installed"
status_json
for kver in "$KVER_A" "$KVER_B"; do
        assert_state dktest 1.0 "$kver" installed
        state=$(state_of dktest 2.0 "$kver")
        [[ $state == missing || $state == stale ]] || fail "dktest 2.0 on $kver before sync: '$state'"
done

step "sync: both kernels get 2.0"
dk_timed 0 sync
for kver in "$KVER_A" "$KVER_B"; do
        assert_installed "$kver" dktest_core 2.0
        assert_installed "$kver" dktest_user 2.0
        out=$(modprobe -n -v -S "$kver" -d "$ROOT" dktest_user 2>&1) || fail "modprobe -n dktest_user ($kver) failed: $out"
        assert_contains "$out" "/updates/dkms/dktest_core.ko" "modprobe -n -v -S $kver dktest_user"
        assert_file "$(pair_log dktest 2.0 "$kver")"
done

step "1.0 is gone from status and from the registered packages"
status_json
for kver in "$KVER_A" "$KVER_B"; do
        assert_state dktest 2.0 "$kver" installed
        assert_eq "" "$(state_of dktest 1.0 "$kver")" "dktest 1.0 on $kver in status"
done
assert_eq "2.0" "$(json_get "$STATUS_FILE" '[.packages[] | select(.package == "dktest") | .version] | join(" ")')" \
        "dktest versions in status.packages"
dk 0 --json module list
assert_eq "2.0" "$(json_get "$DK_OUT_FILE" '[.[] | select(.package == "dktest") | .version] | join(" ")')" \
        "registered dktest versions after sync"

step "module remove uninstalls it from every kernel"
dk 0 module remove dktest
for kver in "$KVER_A" "$KVER_B"; do
        assert_not_installed "$kver" dktest_core
        assert_not_installed "$kver" dktest_user
        modules_dep=$(<"$ROOT/usr/lib/modules/$kver/modules.dep")
        assert_not_contains "$modules_dep" "dktest" "modules.dep of $kver"
done
dk 0 --json module list
assert_eq 0 "$(json_get "$DK_OUT_FILE" 'length')" "registered packages after module remove"
