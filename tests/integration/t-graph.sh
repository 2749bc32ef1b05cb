#!/bin/bash
# graph: DOT that Graphviz accepts, one cluster per kernel, nodes filled by
# their state (a failed build, an excluded package, a held-back entry), edges
# from what a node depends on, a legend; graph KVER limits it to one kernel;
# --svg FILE renders it with dot into FILE atomically, and without Graphviz
# fails saying to install it and leaves FILE alone.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v dot >/dev/null || skip "graphviz (dot) is not installed"
need_kernel "$KVER_A" "$KVER_B"
mkroot "$KVER_A"
addkernel "$KVER_B"
for p in dktest-1.0 dkexcl-1.0 bad-build-1.0; do
        dk 0 module add "$(put_source "$p")"
done
dk 1 sync

# node_attrs ID: the attribute list of node ID in $DK_OUT
node_attrs() {
        local line
        line=$(grep -F -- "    \"$1\" [" <<<"$DK_OUT") || fail "graph: no node '$1':"$'\n'"$DK_OUT"
        printf '%s\n' "$line"
}

step "graph: valid DOT with a cluster per kernel, states as colours, a legend"
dk 0 graph
printf '%s\n' "$DK_OUT" >"$TEST_TMP/g.dot"
dot -Tsvg -o "$TEST_TMP/check.svg" "$TEST_TMP/g.dot" 2>"$TEST_TMP/dot.err" || fail "dot rejects the graph: $(<"$TEST_TMP/dot.err")"
assert_contains "$DK_OUT" "label=\"kernel $KVER_A\"" "cluster of $KVER_A"
assert_contains "$DK_OUT" "label=\"kernel $KVER_B\"" "cluster of $KVER_B"
assert_eq 3 "$(grep -c '^    subgraph "cluster_' <<<"$DK_OUT")" "two kernel clusters and the legend"
assert_contains "$(node_attrs "module/dktest/1.0@$KVER_A")" "fillcolor=palegreen" "built module"
assert_contains "$(node_attrs "module/bad-build/1.0@$KVER_A")" "fillcolor=salmon" "failed module"
assert_contains "$(node_attrs "module/dkexcl/1.0@$KVER_A")" "fillcolor=lightgrey" "excluded module"
assert_contains "$(node_attrs "entry@$KVER_A")" "fillcolor=orange" "held-back entry"
assert_contains "$DK_OUT" "\"package/dktest/1.0\" -> \"module/dktest/1.0@$KVER_A\";" "package -> module edge"
assert_contains "$DK_OUT" "\"kernel@$KVER_B\" -> \"module/dktest/1.0@$KVER_B\";" "kernel -> module edge"
assert_contains "$DK_OUT" "\"initramfs@$KVER_A\" -> \"entry@$KVER_A\";" "initramfs -> entry edge"
assert_contains "$DK_OUT" '"legend/held" [label="held back", fillcolor=orange];' "legend"

step "graph KVER: only that kernel"
dk 0 graph "$KVER_B"
assert_contains "$DK_OUT" "label=\"kernel $KVER_B\"" "cluster of $KVER_B"
assert_not_contains "$DK_OUT" "@$KVER_A\"" "graph $KVER_B"
dk 1 graph 6.1.0-999-amd64
assert_contains "$DK_ERR" "kernel '6.1.0-999-amd64': not installed" "graph of a kernel that is not installed"
assert_contains "$DK_ERR" "distkernel kernel list" "graph error hint"

step "graph --svg FILE: rendered by dot, no temp left"
mkdir "$TEST_TMP/out"
dk 0 graph --svg "$TEST_TMP/out/g.svg"
assert_contains "$(head -c 400 "$TEST_TMP/out/g.svg")" "<svg" "the SVG file"
assert_eq 3 "$(grep -c "class=\"cluster\"" "$TEST_TMP/out/g.svg")" "clusters in the SVG file"
assert_eq "g.svg" "$(ls -A "$TEST_TMP/out")" "files beside the SVG"

step "graph --svg without Graphviz: a clear error, the file untouched"
mkdir -p "$TEST_TMP/bin"
for f in /usr/bin/* /usr/sbin/*; do
        [[ $(basename "$f") == dot ]] || ln -sf "$f" "$TEST_TMP/bin/"
done
echo old >"$TEST_TMP/out/g.svg"
rc=0
PATH=$TEST_TMP/bin "$DISTKERNEL" --root "$ROOT" graph --svg "$TEST_TMP/out/g.svg" >"$DK_OUT_FILE" 2>"$DK_ERR_FILE" || rc=$?
assert_eq 1 "$rc" "exit status without dot"
assert_contains "$(<"$DK_ERR_FILE")" "install Graphviz ('apt-get install graphviz')" "error without dot"
assert_eq old "$(<"$TEST_TMP/out/g.svg")" "the SVG file after the failure"
assert_eq "g.svg" "$(ls -A "$TEST_TMP/out")" "files beside the SVG after the failure"
