#!/bin/bash
# The bash and zsh completions: loaded, registered for distkernel, and a
# scripted completion request gives the commands, subcommands, the kernel
# versions and package names of the root named on the line (--root DIR and
# --root=DIR); meson install puts both files where the shells look.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

mkroot "$KVER_A"
dktest=$(put_source dktest-1.0)
dk 0 module add "$dktest"
BASH_FILE=$REPO/data/completions/distkernel.bash
ZSH_FILE=$REPO/data/completions/_distkernel
# distkernel as a user types it: a directory in PATH holding the binary under test
mkdir -p "$TEST_TMP/bin"
ln -s "$DISTKERNEL" "$TEST_TMP/bin/distkernel"

# bash_complete WORD...: what bash offers for the last word (COMPREPLY, sorted, one line)
bash_complete() {
        PATH=$TEST_TMP/bin:$PATH bash --norc --noprofile -c '
                . "$1" || exit 1
                shift
                COMP_WORDS=("$@")
                COMP_CWORD=$(($# - 1))
                _distkernel
                ((${#COMPREPLY[@]} == 0)) || printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' _ "$BASH_FILE" "$@" ||
                fail "bash completion of '$*' failed"
}

step "bash: the file loads and registers a function for distkernel"
reg=$(bash --norc --noprofile -c '. "$1" && complete -p distkernel' _ "$BASH_FILE") || fail "complete -p distkernel failed"
assert_eq "complete -F _distkernel distkernel" "$reg" "complete -p distkernel"

step "bash: commands, subcommands, options"
assert_eq "status sync " "$(bash_complete distkernel s)" "commands starting with s"
assert_eq "doctor gc graph initramfs kernel module plan status sync uki verify " "$(bash_complete distkernel "")" "all commands"
assert_eq "add build list pin remove unpin " "$(bash_complete distkernel kernel "")" "kernel subcommands"
assert_eq "list log " "$(bash_complete distkernel module l)" "module subcommands"
assert_eq "--dry-run " "$(bash_complete distkernel sync --d)" "sync options"
assert_eq "--root " "$(bash_complete distkernel --ro)" "global options"

step "bash: kernel versions and packages of the root on the line"
assert_eq "$KVER_A " "$(bash_complete distkernel --root "$ROOT" kernel add "")" "kernel add KVER"
assert_eq "$KVER_A " "$(bash_complete distkernel --root = "$ROOT" uki "")" "uki KVER with --root=DIR"
assert_eq "$KVER_A " "$(bash_complete distkernel --root "$ROOT" sync --kernel "")" "sync --kernel KVER"
assert_eq "dktest dktest/1.0 " "$(bash_complete distkernel --root "$ROOT" module remove "")" "module remove NAME"
assert_eq "dktest " "$(bash_complete distkernel --root "$ROOT" module log d)" "module log NAME"
assert_eq "$KVER_A " "$(bash_complete distkernel --root "$ROOT" module log dktest "")" "module log NAME KVER"
assert_eq "" "$(bash_complete distkernel --root "$TEST_TMP/empty" kernel add "")" "no kernels in an empty root"

step "zsh: the file loads with compinit and is the completion of distkernel"
if command -v zsh >/dev/null; then
        mkdir -p "$TEST_TMP/zfunc"
        cp "$ZSH_FILE" "$TEST_TMP/zfunc/"
        got=$(zsh -fc 'fpath=("$1" $fpath); autoload -U compinit; compinit -u -d "$1/.zcompdump"; print -r -- $_comps[distkernel]' \
                _ "$TEST_TMP/zfunc" 2>&1) || fail "zsh compinit failed: $got"
        assert_eq _distkernel "$got" "zsh \$_comps[distkernel]"
        if zsh -fc 'zmodload zsh/zpty' 2>/dev/null; then
                out=$(timeout 60 zsh -f "$TESTS_DIR/zsh-complete.zsh" "$TEST_TMP/zfunc" "$TEST_TMP/bin" \
                        "distkernel --root $ROOT kernel add ") || fail "zsh completion request failed"
                assert_contains "$out" "kernel add $KVER_A" "zsh completion of kernel add"
                out=$(timeout 60 zsh -f "$TESTS_DIR/zsh-complete.zsh" "$TEST_TMP/zfunc" "$TEST_TMP/bin" \
                        "distkernel --root=$ROOT module log dkt") || fail "zsh completion request failed"
                assert_contains "$out" "module log dktest" "zsh completion of module log"
                out=$(timeout 60 zsh -f "$TESTS_DIR/zsh-complete.zsh" "$TEST_TMP/zfunc" "$TEST_TMP/bin" \
                        "distkernel doc") || fail "zsh completion request failed"
                assert_contains "$out" "distkernel doctor" "zsh completion of a command"
        else
                echo "zsh/zpty is not available: no scripted zsh completion request"
        fi
else
        echo "zsh is not installed: zsh completion not checked"
fi

step "meson install puts both files where the shells look"
builddir=$(dirname "$DISTKERNEL")
if [[ -e $builddir/meson-private/coredata.dat ]]; then
        meson install -C "$builddir" --no-rebuild --quiet --destdir "$TEST_TMP/dest" >"$TEST_TMP/install.log" 2>&1 ||
                fail "meson install failed: $(<"$TEST_TMP/install.log")"
        [[ -n $(find "$TEST_TMP/dest" -path '*/share/bash-completion/completions/distkernel') ]] ||
                fail "meson install: no share/bash-completion/completions/distkernel"
        [[ -n $(find "$TEST_TMP/dest" -path '*/share/zsh/vendor-completions/_distkernel') ]] ||
                fail "meson install: no share/zsh/vendor-completions/_distkernel"
else
        echo "$builddir is not a meson build directory: install not checked"
fi
