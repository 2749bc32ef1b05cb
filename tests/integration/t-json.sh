#!/bin/bash
# Every command's --json output, on success and on an error, is one JSON
# document that validates against its definition in doc/distkernel.schema.json
# (additionalProperties false: a field the schema does not name fails), and
# the values say what happened. --json works before and after the command.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

python3 -c 'import jsonschema' 2>/dev/null || skip "python3-jsonschema is not installed"
need_stub
mkroot "$KVER_A"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
echo json >"$ROOT/etc/kernel/entry-token"
echo "root=LABEL=test ro" >"$ROOT/etc/kernel/cmdline"
dktest=$(put_source dktest-1.0)
dkexcl=$(put_source dkexcl-1.0)
SCHEMA=$REPO/doc/distkernel.schema.json

# check DEFINITION STATUS ARGS...: run distkernel ARGS (which include --json),
# expect STATUS, validate stdout against $defs/DEFINITION; JSON_FILE keeps it
n_checked=0
check() {
        local def=$1 want=$2
        shift 2
        dk "$want" "$@"
        JSON_FILE=$TEST_TMP/$n_checked.json
        cp "$DK_OUT_FILE" "$JSON_FILE"
        python3 "$TESTS_DIR/json-check.py" "$SCHEMA" "$def" "$JSON_FILE" ||
                { dk_show "$@"; fail "distkernel $*: output does not match the schema's '$def'"; }
        n_checked=$((n_checked + 1))
}
jget() { json_get "$JSON_FILE" "$@"; }

step "module add, module list, kernel list"
check module_add 0 --json module add "$dktest"
assert_eq dktest "$(jget .package)" "module add .package"
assert_eq "$dktest" "$(jget .path)" "module add .path"
check module_add 0 module add "$dkexcl" --json
check error 1 --json module add /usr/src/nonexistent-1.0
assert_eq false "$(jget .ok)" "error .ok"
assert_eq 1 "$(jget .exit_status)" "error .exit_status"
assert_contains "$(jget '.errors[0].message')" "nonexistent-1.0" "error message"
assert_eq /usr/src/nonexistent-1.0 "$(jget '.errors[0].object')" "error object"
check module_list 0 --json module list
assert_eq "dkexcl dktest" "$(jget '[.[].package] | sort | join(" ")')" "module list packages"
check kernel_list 0 kernel list --json
assert_eq "$KVER_A" "$(jget '.[0].kver')" "kernel list kver"

step "sync --dry-run, sync, status"
check sync 0 --json sync --dry-run
assert_eq build "$(jget '.pairs[] | select(.package == "dktest") | .action')" "dry-run action of dktest"
assert_eq excluded "$(jget '.pairs[] | select(.package == "dkexcl") | .action')" "dry-run action of dkexcl"
assert_eq false "$(jget 'has("boot")')" "dry-run has no boot stage"
check sync 0 --json sync
assert_eq true "$(jget .ok)" "sync .ok"
assert_eq installed "$(jget '.pairs[] | select(.package == "dktest") | .state')" "sync state of dktest"
assert_eq "$KVER_A" "$(jget .boot.default)" "sync boot.default"
assert_eq "/efi/EFI/Linux/json-$KVER_A.efi" "$(jget '.boot.kernels[0].entry')" "sync boot entry"
check error 2 --json sync --no-such-option
assert_eq "distkernel --help" "$(jget '.errors[0].hint')" "usage error hint"
check status 0 status --json
assert_eq "$KVER_A" "$(jget '.kernels[0].kver')" "status kver"
assert_eq installed "$(jget '.kernels[0].modules[] | select(.package == "dktest") | .state')" "status dktest"
assert_eq excluded "$(jget '.kernels[0].modules[] | select(.package == "dkexcl") | .state')" "status dkexcl"
check error 2 --json status extra

step "initramfs, uki"
check sync 0 --json initramfs "$KVER_A"
assert_eq generated "$(jget '.initramfs[0].state')" "initramfs state"
check sync 0 --json uki "$KVER_A"
check error 1 --json uki 9.9.9-nope
assert_contains "$(jget '.errors[0].message')" "9.9.9-nope" "uki error"

step "verify"
check verify 0 --json verify
assert_eq true "$(jget .ok)" "verify .ok"
check verify 0 --json verify --full
assert_eq "$(jget .files)" "$(jget .hashed)" "verify --full hashes every file"
mod=$(ko "$KVER_A" dktest_core)
[[ -n $mod ]] || fail "dktest_core is not installed for $KVER_A"
echo garbage >>"$mod"
check verify 1 --json verify
assert_eq modified "$(jget '.problems[] | select(.path == $p) | .problem' --arg p "${mod#"$ROOT"}")" "verify problem"
assert_eq "$KVER_A" "$(jget '.problems[] | select(.path == $p) | .kver' --arg p "${mod#"$ROOT"}")" "verify kver"
check sync 0 --json sync

step "module log, kernel add/pin/unpin"
check module_log 0 --json module log dktest "$KVER_A"
assert_eq "$KVER_A" "$(jget .kver)" "module log kver"
[[ -n $(jget .text) ]] || fail "module log --json: empty text"
check error 1 --json module log nosuchpkg "$KVER_A"
check kernel_add 0 --json kernel add "$KVER_A"
assert_eq true "$(jget .headers)" "kernel add headers"
check error 1 --json kernel add 9.9.9-nope
check kernel_pin 0 --json kernel pin "$KVER_A"
assert_eq true "$(jget .pinned)" "kernel pin"
check kernel_pin 0 --json kernel unpin "$KVER_A"
assert_eq false "$(jget .pinned)" "kernel unpin"
check error 1 --json kernel pin 9.9.9-nope

step "gc, graph, doctor"
check gc 0 --json gc --dry-run
assert_eq 0 "$(jget '.removed | length')" "gc removes the only kernel"
check gc 0 --json gc
check graph 0 --json graph
assert_eq "$KVER_A" "$(jget '.kernels[0]')" "graph kernels"
assert_eq current "$(jget '.nodes[] | select(.kind == "module" and .package == "dktest") | .state' --arg k "$KVER_A")" \
        "graph state of dktest"
assert_eq excluded "$(jget '.nodes[] | select(.package == "dkexcl" and .kind == "module") | .state')" "graph dkexcl"
edges=$(jget '[.edges[] | select(.to == "entry@" + $k) | .from] | sort | join(" ")' --arg k "$KVER_A")
assert_eq "config initramfs@$KVER_A kernel@$KVER_A" "$edges" "graph edges into the entry"
check graph 0 --json graph "$KVER_A"
if command -v dot >/dev/null; then
        check graph_svg 0 --json graph --svg "$TEST_TMP/g.svg"
        assert_file "$TEST_TMP/g.svg"
fi
check error 1 --json graph 9.9.9-nope
check doctor 0 --json doctor
assert_eq 0 "$(jget .errors)" "doctor errors"

step "module scan, module remove, kernel remove"
check module_scan 0 --json module scan
check module_remove 0 --json module remove dkexcl
assert_eq dkexcl "$(jget '.removed[0].package')" "module remove"
check module_remove 1 --json module remove nosuchpkg
assert_eq false "$(jget .ok)" "module remove of nothing"
check kernel_remove 0 --json kernel remove "$KVER_A"
assert_eq "$KVER_A" "$(jget .kver)" "kernel remove kver"
check error 2 --json no-such-command
check error 1 --root "$TEST_TMP/nonexistent" --json status
echo "$n_checked documents checked against the schema"
