#!/bin/bash
# depmod after sync: when modules were added or removed, sync updates the
# kernel's indexes in place ("incremental:" on the first line of
# /var/lib/distkernel/log/depmod-KVER.log) and the result is what real depmod
# writes for the same tree: modules.alias(.bin), modules.softdep,
# modules.devname, modules.builtin(.alias).bin and modules.symbols.bin byte
# for byte, modules.symbols the same lines, modules.dep(.bin) the same modules
# with the same dependencies in a valid load order (kmod-index.py
# compare-deps). Where it cannot be sure it runs real depmod ("full: REASON"):
# here dkshadow, forced over the kernel's newer tsl2550.
#
# Packages: v4l2loopback (depends on the kernel's videodev and mc), tp_smapi
# (tp_smapi -> thinkpad_ec, both new; its hdaps takes the place of the
# kernel's hdaps, as updates/ does in depmod's search order), acpi_call,
# dktest (dktest_user -> dktest_core) and dkalias (aliases, a device node, a
# soft dependency and a symbol in a module named with a '-').
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

KI=$TESTS_DIR/kmod-index.py
command -v python3 >/dev/null || skip "python3 is not installed"
export LC_ALL=C

# the files compared byte for byte with real depmod's
BYTE_IDENTICAL=(modules.alias modules.alias.bin modules.softdep modules.devname
        modules.builtin.bin modules.builtin.alias.bin modules.symbols.bin)

depmod_log() { # KVER
        printf '%s\n' "$ROOT/var/lib/distkernel/log/depmod-$1.log"
}
# assert_depmod_mode KVER incremental|full: how the last depmod of KVER went
assert_depmod_mode() {
        local log first
        log=$(depmod_log "$1")
        [[ -f $log ]] || fail "$log: missing: no depmod log for $1"
        first=$(head -n 1 "$log")
        [[ $first == "$2:"* ]] ||
                fail "$log: the first line should start with '$2:', it is '$first':"$'\n'"$(head -n 20 "$log")"
        echo "depmod $1: $first"
}

# index_diffs OURS THEIRS: print how the indexes in directory OURS differ from
# those real depmod wrote in THEIRS (nothing when they are equivalent)
index_diffs() {
        local ours=$1 theirs=$2 f out=$TEST_TMP/index.diff
        for f in "${BYTE_IDENTICAL[@]}" modules.symbols modules.dep modules.dep.bin; do
                if [[ ! -f $theirs/$f ]]; then
                        echo "$f: real depmod did not write it"
                        continue
                fi
                [[ -f $ours/$f ]] || { echo "$f: missing"; continue; }
                case $f in
                modules.symbols)
                        diff -u --label "depmod's $f, sorted" --label "$f, sorted" \
                                <(sort "$theirs/$f") <(sort "$ours/$f") >"$out" && continue
                        echo "$f: not the same lines as depmod's:"
                        head -n 30 "$out"
                        ;;
                modules.dep | modules.dep.bin)
                        "$KI" compare-deps "$ours/$f" "$theirs/$f" >"$out" 2>&1 && continue
                        echo "$f: differs from depmod's (kmod-index.py compare-deps):"
                        sed 's/^/  /' "$out"
                        ;;
                *)
                        cmp -s "$ours/$f" "$theirs/$f" && continue
                        echo "$f: not byte-identical to depmod's ($(cmp "$ours/$f" "$theirs/$f" 2>&1 | head -n 1)):"
                        if [[ $f == *.bin ]]; then
                                diff -u --label "depmod's $f, decoded" --label "$f, decoded" \
                                        <("$KI" dump "$theirs/$f") <("$KI" dump "$ours/$f") >"$out" ||
                                        { head -n 30 "$out"; continue; }
                                echo "  (the decoded entries are the same: the trie is laid out differently)"
                        else
                                diff -u --label "depmod's $f" --label "$f" "$theirs/$f" "$ours/$f" >"$out" || true
                                head -n 30 "$out"
                        fi
                        ;;
                esac
        done
}

# compare_with_depmod KVER: run real depmod on a copy of $ROOT's modules of
# KVER and fail unless the indexes distkernel left are equivalent to its
compare_with_depmod() {
        local kver=$1 mods=$ROOT/usr/lib/modules/$1 scratch=$TEST_TMP/depmod-$1 f diffs
        rm -rf "$scratch"
        mkdir -p "$scratch/lib/modules"
        # modules hard-linked, indexes copied: depmod must not write into ours
        cp -al "$mods" "$scratch/lib/modules/"
        for f in "$scratch/lib/modules/$kver"/modules.*; do
                cp --remove-destination "$mods/${f##*/}" "$f"
        done
        depmod -b "$scratch" "$kver" || fail "real depmod on a copy of $mods failed"
        diffs=$(index_diffs "$mods" "$scratch/lib/modules/$kver")
        [[ -z $diffs ]] || fail "the indexes of $kver in $mods are not what real depmod writes:"$'\n'"$diffs"$'\n'"depmod log: $(head -n 1 "$(depmod_log "$kver")" 2>&1)"
        # no index of its own, no temporary file left: the kernel package's set
        diff <(cd "$KERNELS_DIR/$kver/lib/modules/$kver" && ls -d modules.*) <(cd "$mods" && ls -d modules.*) >&2 ||
                fail "$mods: not the kernel's set of modules.* files"
        printf 'indexes of %s: equivalent to real depmod'"'"'s (%s modules.dep lines, %s dep.bin keys, %s aliases, %s symbols)\n' \
                "$kver" "$(wc -l <"$mods/modules.dep")" "$("$KI" dump "$mods/modules.dep.bin" | wc -l)" \
                "$("$KI" dump "$mods/modules.alias.bin" | wc -l)" "$("$KI" dump "$mods/modules.symbols.bin" | wc -l)"
}

# show_depends KVER MODULE DEP...: modprobe loads MODULE from the updates
# directory after the modules DEP (paths below the kernel's module directory)
show_depends() {
        local kver=$1 mod=$2 out last f dep
        shift 2
        out=$(modprobe -d "$ROOT" -S "$kver" --show-depends "$mod" 2>&1) ||
                fail "modprobe --show-depends $mod for $kver failed: $out"
        f=$(ko "$kver" "$mod")
        last=$(tail -n 1 <<<"$out")
        [[ $last == "insmod $ROOT/lib/modules/$kver/updates/dkms/${f##*/} " ]] ||
                fail "modprobe --show-depends $mod: the last line should load ${f##*/} from updates/dkms:"$'\n'"$out"
        for dep; do
                assert_contains "$(head -n -1 <<<"$out")" "$ROOT/lib/modules/$kver/$dep" "modprobe --show-depends $mod"
        done
}

# resolve_aliases KVER MODULE: every alias of MODULE's installed file resolves
# to it (a [...] pattern becomes its first character; '*' stays: a pattern
# matches itself)
resolve_aliases() {
        local kver=$1 mod=$2 name alias out n=0
        name=${mod//-/_}
        while read -r alias; do
                while [[ $alias =~ \[(.)[^]]*\] ]]; do
                        alias=${alias/"${BASH_REMATCH[0]}"/"${BASH_REMATCH[1]}"}
                done
                out=$(modprobe -d "$ROOT" -S "$kver" -R "$alias" 2>&1) ||
                        fail "modprobe -R '$alias' for $kver failed: $out"
                grep -qx "$name" <<<"$out" || fail "modprobe -R '$alias' for $kver: '$out', expected $name"
                n=$((n + 1))
        done < <(modinfo -F alias "$(ko "$kver" "$mod")")
        ((n > 0)) || fail "$mod has no alias"
        echo "$n aliases of $mod resolve to $name"
}

# not_indexed KVER MODULE: MODULE (a module name) is in no index of KVER
not_indexed() {
        local mods=$ROOT/usr/lib/modules/$1 f hits tab=$'\t'
        for f in "$mods"/modules.{dep,alias,symbols,softdep,devname}; do
                hits=$(grep -E "(^|[ /:])$2(\.ko[^ ]*)?( |:|$)" "$f") && fail "$f still names $2:"$'\n'"$hits"
        done
        for f in "$mods"/modules.{dep,alias,symbols}.bin; do
                hits=$("$KI" dump "$f" | grep -E "(^|[$tab /])$2(\.ko[^ ]*)?( |:|$tab|\$)") &&
                        fail "$f still names $2:"$'\n'"$hits"
        done
        return 0
}

need_kernel "$KVER_A"
mkroot "$KVER_A"
K=$KVER_A
MODS=$ROOT/usr/lib/modules/$K

step "five packages for $K: three of Debian's, dktest and dkalias"
v4l2=$(put_source "$V4L2_SRC")
acpi=$(put_source "$ACPI_SRC")
third=$(put_source "$THIRD_SRC")
put_source dktest-1.0 >/dev/null
put_source dkalias-1.0 >/dev/null
for p in "$v4l2" "$acpi" "$third" /usr/src/dktest-1.0 /usr/src/dkalias-1.0; do
        dk 0 module add "$p"
done
dk_timed 0 sync
for mod in v4l2loopback acpi_call thinkpad_ec tp_smapi hdaps dktest_core dktest_user dk-alias; do
        assert_installed "$K" "$mod"
done

step "the indexes were updated in place, and are what real depmod writes"
assert_depmod_mode "$K" incremental
compare_with_depmod "$K"
"$KI" check-order "$MODS/modules.dep" >/dev/null || fail "$MODS/modules.dep: $("$KI" check-order "$MODS/modules.dep")"

step "modprobe finds the new modules, their dependencies and aliases"
show_depends "$K" v4l2loopback kernel/drivers/media/v4l2-core/videodev.ko kernel/drivers/media/mc/mc.ko
show_depends "$K" tp_smapi updates/dkms/thinkpad_ec.ko
show_depends "$K" hdaps updates/dkms/thinkpad_ec.ko
show_depends "$K" dktest_user updates/dkms/dktest_core.ko
resolve_aliases "$K" dk-alias
assert_eq "softdep dk_alias pre: dktest_core" "$(grep '^softdep dk_alias ' "$MODS/modules.softdep")" "modules.softdep"
assert_contains "$(<"$MODS/modules.devname")" "dk_alias dk-alias c10:247" "modules.devname"

step "the comparison notices a missing alias and an invalid load order"
mut=$TEST_TMP/mutated
mkdir -p "$mut"
cp "$MODS"/modules.* "$mut/"
# drop the first alias of dk_alias
awk '!done && / dk_alias$/ { done = 1; next } { print }' "$MODS/modules.alias" >"$mut/modules.alias"
# v4l2loopback: videodev then mc (modprobe loads from the end); swapped, mc
# would be loaded after videodev, which needs it
vline=$(grep -m 1 '^updates/dkms/v4l2loopback\.ko: ' "$MODS/modules.dep") || fail "no v4l2loopback in modules.dep"
swapped=$(sed -E 's#^([^:]*): (kernel/drivers/media/v4l2-core/videodev\.ko) (kernel/drivers/media/mc/mc\.ko)$#\1: \3 \2#' <<<"$vline")
[[ $swapped != "$vline" ]] || fail "v4l2loopback's modules.dep line is not 'videodev mc': $vline"
awk -v v="$vline" -v s="$swapped" '$0 == v { print s; next } { print }' "$MODS/modules.dep" >"$mut/modules.dep"
diffs=$(index_diffs "$mut" "$TEST_TMP/depmod-$K/lib/modules/$K")
assert_contains "$diffs" "modules.alias: not byte-identical" "the differences found in a modules.alias without an alias"
assert_contains "$diffs" "-alias " "the differences found in a modules.alias without an alias"
assert_contains "$diffs" "updates/dkms/v4l2loopback.ko: kernel/drivers/media/v4l2-core/videodev.ko is listed after its dependency kernel/drivers/media/mc/mc.ko" \
        "the differences found in a modules.dep with a swapped pair"
"$KI" check-order "$mut/modules.dep" >/dev/null && fail "check-order accepted a modules.dep with a swapped pair"

step "a sync with nothing to do rewrites no index"
snapshot "$MODS"/modules.* "$(depmod_log "$K")" >"$TEST_TMP/before"
dk_timed 0 sync
snapshot "$MODS"/modules.* "$(depmod_log "$K")" >"$TEST_TMP/after"
assert_same_snapshot "$TEST_TMP/before" "$TEST_TMP/after" "the indexes or the depmod log"

step "module remove tp_smapi and dkalias: incremental again, gone from every index"
rm -f "$(depmod_log "$K")"
dk 0 module remove tp_smapi
dk 0 module remove dkalias
dk_timed 0 sync
assert_not_installed "$K" thinkpad_ec
assert_not_installed "$K" dk-alias
assert_depmod_mode "$K" incremental
compare_with_depmod "$K"
for mod in thinkpad_ec tp_smapi dk_alias dk-alias; do
        not_indexed "$K" "$mod"
done
show_depends "$K" v4l2loopback kernel/drivers/media/v4l2-core/videodev.ko kernel/drivers/media/mc/mc.ko

step "dkshadow with --force: its tsl2550 takes the kernel's place, in place"
put_source dkshadow-1.0 >/dev/null
dk 0 module add /usr/src/dkshadow-1.0
dk_timed 0 sync --force
assert_installed "$K" tsl2550 1.0
assert_installed "$K" dkshadow_new 1.0
assert_depmod_mode "$K" incremental
compare_with_depmod "$K"
assert_contains "$(modinfo -b "$ROOT" -k "$K" -n tsl2550)" "/updates/dkms/tsl2550.ko" "tsl2550 as modprobe finds it"

step "with a depmod.d search order, which of two namesakes wins is depmod's to say: it runs"
mkdir -p "$ROOT/etc/depmod.d"
echo "search updates built-in" >"$ROOT/etc/depmod.d/search.conf"
dk 0 module remove dkshadow
# no namesakes left: the kernel's tsl2550 is back, in place
assert_depmod_mode "$K" incremental
compare_with_depmod "$K"
assert_contains "$(modinfo -b "$ROOT" -k "$K" -n tsl2550)" "/kernel/" "tsl2550 as modprobe finds it, dkshadow removed"
dk 0 module add /usr/src/dkshadow-1.0
dk_timed 0 sync --force
assert_depmod_mode "$K" full
compare_with_depmod "$K"
assert_contains "$(modinfo -b "$ROOT" -k "$K" -n tsl2550)" "/updates/dkms/tsl2550.ko" "tsl2550 as modprobe finds it"
compare_with_depmod "$K"
for f in "$MODS"/modules.{dep,dep.bin,symbols}; do
        cmp "$f" "$TEST_TMP/depmod-$K/lib/modules/$K/${f##*/}" || fail "$f: real depmod ran, yet it differs from its output"
done
assert_contains "$(modinfo -b "$ROOT" -k "$K" -n tsl2550)" "/updates/dkms/tsl2550.ko" "tsl2550 as modprobe finds it"

if [[ -n ${KVER_C:-} && -e $KERNELS_DIR/$KVER_C/.complete && -e /usr/src/linux-headers-$KVER_C/Makefile &&
        ${ACPI_BUILDS_ON_C:-no} == yes ]]; then
        step "$KVER_C (compressed modules): acpi_call, incremental"
        ROOT=$TEST_TMP/root-c
        mkroot "$KVER_C"
        acpi=$(put_source "$ACPI_SRC")
        put_source dkalias-1.0 >/dev/null
        dk 0 module add "$acpi"
        dk 0 module add /usr/src/dkalias-1.0
        dk_timed 0 sync
        for mod in acpi_call dk-alias; do
                assert_installed "$KVER_C" "$mod"
                assert_compressed_like_kernel "$KVER_C" "$mod"
        done
        assert_depmod_mode "$KVER_C" incremental
        compare_with_depmod "$KVER_C"
        show_depends "$KVER_C" acpi_call
        resolve_aliases "$KVER_C" dk-alias
else
        echo "not checked: $KVER_C (no such kernel in the cache, no headers, or acpi_call does not build for it)"
fi
echo "ok: depmod indexes"
