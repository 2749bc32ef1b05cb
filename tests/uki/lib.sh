# shellcheck shell=bash disable=SC2034,SC2154 # variables shared with the sourcing script
# Shared by the UKI boot tests (boot-uki.sh, boot-sb.sh); sourced, not run.
#
# The sourcing script sets `suite` (its name, for skip messages) and `repo` (the
# source tree) first. It gets: the counters and the closing line "N passed, N
# failed, N skipped" (ok, fail, skip_all, finish), the kernel of the test cache
# (load_kernel), a temporary directory (make_tmp), the UKI assembler mkuki
# (build_mkuki), the tiny initrd whose /init prints a marker and the command
# line and powers off (build_initrd), and a QEMU/OVMF boot (run_qemu).
#
# Environment: DISTKERNEL_TEST_CACHE (default /var/cache/distkernel-tests),
# UKI_KVER (another cached kernel), BOOT_TIMEOUT (seconds, default 240), KEEP=1
# (keep the temporary directory).

cache=${DISTKERNEL_TEST_CACHE:-/var/cache/distkernel-tests}
marker=DISTKERNEL-UKI-OK
passed=0 failed=0 skipped=0

finish() {
        echo "$passed passed, $failed failed, $skipped skipped"
        ((failed == 0))
        exit
}
skip_all() {
        echo "skip $suite: $*"
        skipped=$((skipped + 1))
        finish
}
ok() {
        echo "ok $*"
        passed=$((passed + 1))
}
fail() {
        echo "FAIL $*"
        failed=$((failed + 1))
}
since() { # START: seconds elapsed since $EPOCHREALTIME was START
        awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'
}

# need_tools TOOL...: skips everything when one is not installed.
need_tools() {
        local tool
        for tool in "$@"; do
                command -v "$tool" >/dev/null || skip_all "$tool is not installed"
        done
}

# need_files FILE...: skips everything when one is missing.
need_files() {
        local f
        for f in "$@"; do
                [[ -r $f ]] || skip_all "$f is missing (tests/fixtures/prepare.sh installs it)"
        done
}

# load_kernel: sets kver and kernel from the test cache (KVER_A of its env).
load_kernel() {
        [[ -r $cache/env ]] || skip_all "$cache/env is missing (run tests/fixtures/prepare.sh)"
        # shellcheck source=/dev/null
        . "$cache/env"
        kver=${UKI_KVER:-${KVER_A:-}}
        kernel=$cache/kernels/$kver/boot/vmlinuz-$kver
        [[ -n $kver && -r $kernel ]] || skip_all "kernel '$kver' is not in $cache/kernels"
}

# make_tmp: sets tmp, a directory removed on exit unless KEEP=1.
make_tmp() {
        tmp=$(mktemp -d "${TMPDIR:-/tmp}/$suite.XXXXXX")
        trap cleanup_tmp EXIT
}
cleanup_tmp() {
        [[ -n ${qemu_pid:-} ]] && kill -9 "$qemu_pid" 2>/dev/null
        if [[ ${KEEP:-} == 1 ]]; then
                echo "kept $tmp"
        else
                rm -rf "$tmp"
        fi
}

# build_mkuki: compiles tests/uki/mkuki.c into $tmp/mkuki.
build_mkuki() {
        gcc -O2 -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Wno-unused-parameter -Werror -I"$repo/src" \
                "$repo/tests/uki/mkuki.c" "$repo"/src/uki/{pe,pe-builder,uki}.c \
                "$repo"/src/util/{fs,hash,log,strv}.c -o "$tmp/mkuki" -lcrypto -pthread
}

# build_initrd: $tmp/initrd.cpio with a static /init that prints
# "DISTKERNEL-UKI-CMDLINE: <its /proc/cmdline>" and the marker on the console
# and powers off.
build_initrd() {
        mkdir -p "$tmp/initrd"
        cat >"$tmp/init.c" <<'EOF'
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <unistd.h>

static void say(const char *s) {
        int fd = open("/dev/console", O_WRONLY | O_NOCTTY);
        if (fd < 0) {
                mkdir("/dev", 0755);
                mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
                fd = open("/dev/console", O_WRONLY | O_NOCTTY);
        }
        if (fd >= 0) {
                write(fd, s, strlen(s));
                close(fd);
        }
        fd = open("/dev/kmsg", O_WRONLY);
        if (fd >= 0) {
                write(fd, s, strlen(s));
                close(fd);
        }
}

int main(void) {
        char cmdline[4096] = "", line[4200];
        int fd;
        ssize_t n;

        mkdir("/proc", 0555);
        mount("proc", "/proc", "proc", 0, NULL);
        fd = open("/proc/cmdline", O_RDONLY);
        if (fd >= 0) {
                n = read(fd, cmdline, sizeof cmdline - 1);
                cmdline[n > 0 ? n : 0] = 0;
                close(fd);
        }
        cmdline[strcspn(cmdline, "\n")] = 0;
        snprintf(line, sizeof line, "\nDISTKERNEL-UKI-CMDLINE: %s\nDISTKERNEL-UKI-OK\n", cmdline);
        say(line);
        sync();
        reboot(RB_POWER_OFF);
        return 0;
}
EOF
        gcc -static -O2 -o "$tmp/initrd/init" "$tmp/init.c" || return
        (cd "$tmp/initrd" && find . | LC_ALL=C sort | cpio --quiet -o -H newc -R 0:0 >"$tmp/initrd.cpio")
}

# run_qemu LOG STOP QEMU-ARGS...: boots under TCG (KVM hangs here), without a
# network (no PXE attempts), the console (serial) into LOG, until QEMU exits, a console line matches the extended regex STOP
# (when not empty; QEMU is then stopped), or BOOT_TIMEOUT seconds pass. Sets
# qemu_rc (QEMU's exit status, "stopped" or "timeout") and qemu_secs.
run_qemu() {
        local log=$1 stop=$2 start pid deadline rc
        shift 2
        start=$EPOCHREALTIME
        deadline=$((SECONDS + ${BOOT_TIMEOUT:-240}))
        qemu-system-x86_64 -accel tcg -m 1024 -nographic -no-reboot -nic none "$@" </dev/null >"$log" 2>&1 &
        pid=$!
        qemu_pid=$pid # stopped by cleanup_tmp if we are interrupted
        qemu_rc=
        while kill -0 "$pid" 2>/dev/null; do
                if [[ -n $stop ]] && grep -aqE "$stop" "$log"; then
                        qemu_rc=stopped
                elif ((SECONDS >= deadline)); then
                        qemu_rc=timeout
                else
                        sleep 0.5
                        continue
                fi
                kill "$pid" 2>/dev/null
                sleep 1
                kill -9 "$pid" 2>/dev/null
                break
        done
        wait "$pid" 2>/dev/null
        rc=$?
        qemu_pid=
        qemu_rc=${qemu_rc:-$rc}
        qemu_secs=$(since "$start")
}

# console_tail LOG: the last lines of a console log, indented, for a failure.
console_tail() {
        tail -n 30 "$1" | tr -d '\r' | sed 's/^/  | /'
}
