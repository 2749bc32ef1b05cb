#!/bin/bash
# Distributed compiles: with build-cc = distcc gcc and a real distccd
# listening on 127.0.0.1 (DISTCC_HOSTS names it), sync builds v4l2loopback's
# objects through the daemon: its log records the compile jobs, and the
# module is installed, built for the kernel.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

command -v distcc >/dev/null && command -v distccd >/dev/null || skip "distcc is not installed"
need_kernel "$KVER_A"
mkroot "$KVER_A"
v4l2=$(put_source "$V4L2_SRC")
dk 0 module add "$v4l2"
mkdir -p "$ROOT/etc/distkernel"
echo "build-cc = distcc gcc" >"$ROOT/etc/distkernel/distkernel.conf"

step "a distccd on 127.0.0.1"
port=$((36000 + RANDOM % 1000))
# distccd drops root for its own user: its log lives where that user can write
dlogdir=$(mktemp -d /tmp/distccd-log.XXXXXX)
chmod 1777 "$dlogdir"
dlog=$dlogdir/distccd.log
distccd --daemon --listen 127.0.0.1 --port "$port" --allow 127.0.0.1 --log-file "$dlog" --log-level info \
        --pid-file "$TEST_TMP/distccd.pid" || fail "distccd does not start"
stop_distccd() {
        local rc=$?
        kill "$(cat "$TEST_TMP/distccd.pid" 2>/dev/null)" 2>/dev/null || :
        rm -rf "$dlogdir"
        (exit "$rc")
        cleanup # returns the test's status
}
trap stop_distccd EXIT
for ((i = 0; i < 50; i++)); do [[ -s $TEST_TMP/distccd.pid ]] && break; sleep 0.1; done
export DISTCC_HOSTS=127.0.0.1:$port DISTCC_FALLBACK=0

step "sync compiles through distccd"
dk_timed 0 sync
assert_installed "$KVER_A" v4l2loopback
jobs=$(grep -c 'COMPILE_OK' "$dlog" || true)
((jobs >= 1)) || { cat "$dlog" >&2; fail "distccd's log has no compile job"; }
grep -q 'COMPILE_OK .*v4l2loopback' "$dlog" || fail "v4l2loopback's source did not go through distccd"
echo "distccd compiled $jobs job(s): $(grep -o 'COMPILE_OK .*' "$dlog" | head -n 3 | tr '\n' ';')"
