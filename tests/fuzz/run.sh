#!/bin/bash
# The libFuzzer targets of tests/fuzz/: builds each with clang
# (-fsanitize=fuzzer,address,undefined) and runs it for FUZZ_SECONDS (default
# 8) on a scratch copy of its seed corpus tests/fuzz/corpus/TARGET with its
# dictionary tests/fuzz/TARGET.dict. A crash, a leak, a timeout or an
# out-of-memory is a failure: the reproducer is kept and the command to re-run
# it printed. Prints each target's executions and CPU time, the total, and
# ends with "N passed, N failed, N skipped".
#
#   bash tests/fuzz/run.sh [TARGET...]
#   FUZZ_SECONDS=600 FUZZ_KEEP_CORPUS=1 bash tests/fuzz/run.sh kver
#
# FUZZ_OUT (default build-fuzz/) holds the binaries, the scratch corpora, the
# logs and the reproducers; FUZZ_KEEP_CORPUS=1 keeps the corpora of the last
# run instead of starting again from the seeds. FUZZ_MERGE_SEEDS=1 adds to
# the seed corpus, after a run that passed, the inputs that reach code edges
# the seeds do not (-merge=1 -use_counters=0: few, small files).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"

seconds=${FUZZ_SECONDS:-8}
out=${FUZZ_OUT:-$repo/build-fuzz}
passed=0 failed=0 skipped=0

# TARGET: the sources besides tests/fuzz/fuzz-TARGET.c, then -l libraries.
declare -A link=(
        [alias-index]="src/init/modules.c src/initramfs/builtin.c src/initramfs/modules.c src/initramfs/compress.c src/initramfs/cpio.c src/initramfs/hostonly.c src/initramfs/koread.c src/kernel/kernel.c src/kernel/kver.c src/util/log.c src/util/strv.c src/util/fs.c src/util/spawn.c src/util/hash.c -lkmod -lzstd -llzma -lz -llz4 -lcrypto"
        [authenticode]="src/sign/authenticode.c src/uki/pe.c src/util/fs.c src/util/log.c src/util/strv.c -lcrypto"
        [bls-entry]="src/boot/bls.c src/util/strv.c src/util/log.c"
        [config]="src/core/config.c src/util/log.c src/util/strv.c src/util/fs.c"
        [cpio]="src/initramfs/cpio.c src/util/log.c src/util/strv.c src/util/fs.c"
        [dkmsconf-parse]="src/modpkg/dkmsconf.c src/kernel/kernel.c src/kernel/kver.c src/util/log.c src/util/strv.c src/util/fs.c src/util/spawn.c src/util/hash.c -lkmod -lcrypto"
        [dkmsconf-values]="src/modpkg/dkmsconf.c src/kernel/kernel.c src/kernel/kver.c src/util/log.c src/util/strv.c src/util/fs.c src/util/spawn.c src/util/hash.c -lkmod -lcrypto"
        [init-cmdline]="src/init/cmdline.c"
        [init-probe]="src/init/probe.c src/init/cmdline.c src/init/modules.c"
        [kernel-cmdline]="src/boot/env.c src/core/config.c src/uki/uki.c src/uki/pe.c src/uki/pe-builder.c src/sign/key.c src/util/log.c src/util/strv.c src/util/fs.c src/util/hash.c -lcrypto"
        [koread]="src/initramfs/koread.c src/kernel/kernel.c src/kernel/kver.c src/util/log.c src/util/strv.c src/util/fs.c -llzma -lzstd -lz"
        [kconfig]="src/kernel/kernel.c src/kernel/kver.c src/util/log.c src/util/strv.c src/util/fs.c"
        [kver]="src/kernel/kver.c"
        [pe]="src/uki/pe.c src/uki/pe-builder.c src/util/log.c src/util/strv.c"
)
all_targets() {
        local t
        for t in "${!link[@]}"; do echo "$t"; done | sort
}

install_tools() {
        command -v clang >/dev/null && [[ -n $(clang -print-file-name=libclang_rt.fuzzer-x86_64.a 2>/dev/null) &&
                -e $(clang -print-file-name=libclang_rt.fuzzer-x86_64.a) ]] && return 0
        echo "installing clang and its libFuzzer runtime"
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clang libclang-rt-dev >/dev/null
}

# build TARGET: into $out/fuzz-TARGET; output in $out/TARGET.build.log
build() {
        local t=$1
        # shellcheck disable=SC2086 # the table's words are separate arguments
        clang -std=gnu11 -D_GNU_SOURCE -Isrc -g -O1 -fsanitize=fuzzer,address,undefined \
                -fno-sanitize-recover=undefined -Wall -Wno-unused-parameter \
                "tests/fuzz/fuzz-$t.c" ${link[$t]} -o "$out/fuzz-$t" >"$out/$t.build.log" 2>&1
}

# merge_seeds TARGET: the scratch corpus's new edges into the seeds
merge_seeds() {
        local t=$1 before
        mkdir -p "tests/fuzz/corpus/$t"
        before=$(find "tests/fuzz/corpus/$t" -type f | wc -l)
        "$out/fuzz-$t" -merge=1 -use_counters=0 "tests/fuzz/corpus/$t" "$out/corpus/$t" >"$out/$t.merge.log" 2>&1 ||
                { echo "  merging into the seeds failed: $out/$t.merge.log"; return; }
        echo "  seeds: $before -> $(find "tests/fuzz/corpus/$t" -type f | wc -l) files"
}

# run TARGET: fuzz it; prints "TARGET: ok|FAIL execs=N cpu=S"
run() {
        local t=$1 corpus=$out/corpus/$t dict=tests/fuzz/$t.dict rc=0 execs cpu
        local -a args=(-max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1
                -artifact_prefix="$out/crash-$t-")
        [[ -e $dict ]] && args+=(-dict="$dict")
        if [[ ${FUZZ_KEEP_CORPUS:-0} != 1 ]]; then
                rm -rf "$corpus"
        fi
        mkdir -p "$corpus"
        [[ -d tests/fuzz/corpus/$t ]] && cp -n tests/fuzz/corpus/"$t"/* "$corpus"/ 2>/dev/null
        rm -f "$out/crash-$t-"*
        TIMEFORMAT='%U %S'
        { time "$out/fuzz-$t" "${args[@]}" "$corpus" >"$out/$t.log" 2>&1 || rc=$?; } 2>"$out/$t.time"
        read -r user sys <"$out/$t.time"
        cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.1f", u + s }')
        total_cpu=$(awk -v a="$total_cpu" -v b="$cpu" 'BEGIN { printf "%.1f", a + b }')
        execs=$(sed -nE 's/^stat::number_of_executed_units: *([0-9]+)$/\1/p' "$out/$t.log" | tail -n1)
        total_execs=$((total_execs + ${execs:-0}))
        local crash
        crash=$(find "$out" -maxdepth 1 -name "crash-$t-*" -o -maxdepth 1 -name "leak-$t-*" -o \
                -maxdepth 1 -name "timeout-$t-*" -o -maxdepth 1 -name "oom-$t-*" | head -n1)
        if ((rc == 0)) && [[ -z $crash ]]; then
                printf '%-16s ok    execs=%-9s cpu=%ss corpus=%s\n' "$t" "${execs:-?}" "$cpu" \
                        "$(find "$corpus" -type f | wc -l)"
                passed=$((passed + 1))
                [[ ${FUZZ_MERGE_SEEDS:-0} == 1 ]] && merge_seeds "$t"
                return
        fi
        printf '%-16s FAIL  execs=%-9s cpu=%ss (exit %d)\n' "$t" "${execs:-?}" "$cpu" "$rc"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error|.*: .* failed$)' "$out/$t.log" | head -n5 | sed 's/^/  /'
        echo "  log: $out/$t.log"
        if [[ -n $crash ]]; then
                echo "  reproducer: $crash"
                echo "  re-run: $out/fuzz-$t $crash"
        fi
        failed=$((failed + 1))
}

mkdir -p "$out"
if ! install_tools; then
        echo "clang with libFuzzer is not available and could not be installed"
        echo "0 passed, 0 failed, 1 skipped"
        exit 0
fi
if (($#)); then targets=("$@"); else mapfile -t targets < <(all_targets); fi

total_cpu=0 total_execs=0
echo "fuzzing ${#targets[@]} targets for ${seconds} s each (clang $(clang -dumpversion))"
for t in "${targets[@]}"; do
        if [[ -z ${link[$t]+x} || ! -e tests/fuzz/fuzz-$t.c ]]; then
                echo "$t: no such target (tests/fuzz/fuzz-$t.c and an entry in tests/fuzz/run.sh)"
                failed=$((failed + 1))
                continue
        fi
        if ! build "$t"; then
                echo "$t: FAIL to build:"
                sed 's/^/  /' "$out/$t.build.log" | head -n20
                failed=$((failed + 1))
                continue
        fi
        run "$t"
done
echo "total: ${total_execs} executions, ${total_cpu} CPU seconds fuzzed over ${#targets[@]} targets"
echo "$passed passed, $failed failed, $skipped skipped"
((failed == 0))
