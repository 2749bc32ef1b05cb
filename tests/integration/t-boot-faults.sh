#!/bin/bash
# Fault injection in the boot stage (uki layout): a new command line makes
# sync rewrite the UKI on the ESP. Every checked file operation of that sync is
# made to fail in turn (EIO, then ENOSPC), and the process is killed at each
# one in turn. After every run: the UKI on the ESP is either the old one, byte
# for byte, or the complete new one (the .cmdline is new and its PE checksum
# is right); a failed run leaves no temp file on the ESP (a killed one may,
# and the next sync removes it); and a sync without faults then installs the
# new UKI, after which another sync is a no-op and verify finds the state
# and the files in agreement.
# shellcheck source=tests/integration/lib.sh
. "$(dirname "$0")/lib.sh"

need_stub
command -v objcopy >/dev/null || skip "objcopy is not installed"
need_kernel "$KVER_A"
mkroot "$KVER_A"
mkdir -p "$ROOT/efi/EFI/Linux" "$ROOT/etc/kernel"
echo ft >"$ROOT/etc/kernel/entry-token"
uki=$ROOT/efi/EFI/Linux/ft-$KVER_A.efi
old_cmdline="root=LABEL=test ro old"
new_cmdline="root=LABEL=test ro new"
echo "$old_cmdline" >"$ROOT/etc/kernel/cmdline"
dk_timed 0 sync
assert_file "$uki"
old_sum=$(sha256sum <"$uki")

cmdline_of() { objcopy -O binary --only-section=.cmdline "$uki" "$TEST_TMP/c" && tr -d '\0' <"$TEST_TMP/c"; }
# check MODE N: the invariants after a run with a fault
check() {
        local sum
        sum=$(sha256sum <"$uki") || fail "$1 at $2: the UKI is gone"
        if [[ $sum != "$old_sum" ]]; then
                [[ $(cmdline_of) == "$new_cmdline" ]] || fail "$1 at $2: the UKI is neither the old nor the new one"
                python3 - "$uki" <<'PY' || fail "$1 at $2: the new UKI's PE checksum is wrong (half-written?)"
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
pe = struct.unpack_from('<I', d, 0x3c)[0]
off = pe + 24 + 64
want = struct.unpack_from('<I', d, off)[0]
d[off:off + 4] = b'\0\0\0\0'
if len(d) % 2:
    d += b'\0'
s = 0
for (w,) in struct.iter_unpack('<H', d):
    s += w
    s = (s & 0xffff) + (s >> 16)
sys.exit(0 if (s + len(open(sys.argv[1], 'rb').read())) & 0xffffffff == want else 1)
PY
        fi
        if [[ $1 != kill ]] && [[ -n $(find "$ROOT/efi" -name '.#*') ]]; then
                fail "$1 at $2: temp files left on the ESP: $(find "$ROOT/efi" -name '.#*')"
        fi
}

runs=0
for mode in 5 28 kill; do
        name=$mode; [[ $mode == 5 ]] && name=EIO; [[ $mode == 28 ]] && name=ENOSPC
        step "faults: $name"
        for ((n = 1; n <= 400; n++)); do
                echo "$old_cmdline" >"$ROOT/etc/kernel/cmdline"
                dk 0 sync
                [[ $(sha256sum <"$uki") == "$old_sum" ]] || fail "back to the old command line: the UKI differs"
                echo "$new_cmdline" >"$ROOT/etc/kernel/cmdline"
                rc=0
                (DISTKERNEL_FAULT=$n:$mode "$DISTKERNEL" --root "$ROOT" sync >"$TEST_TMP/out" 2>&1) 2>/dev/null || rc=$?
                if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$TEST_TMP/out"; then
                        cat "$TEST_TMP/out" >&2
                        fail "$mode at $n: sanitizer report"
                fi
                runs=$((runs + 1))
                check "$mode" "$n"
                dk 0 sync
                [[ $(cmdline_of) == "$new_cmdline" ]] || fail "$mode at $n: the next sync did not install the new UKI"
                [[ -z $(find "$ROOT/efi" -name '.#*') ]] || fail "$mode at $n: the next sync left temp files"
                dk 0 sync
                assert_not_contains "$DK_OUT" "installed /efi" "a no-op sync after $mode at $n"
                dk 0 verify
                # the fault was past the last operation: every point was tried
                if ((rc == 0)); then
                        echo "$name: $((n - 1)) fault points, each one left the ESP whole"
                        break
                fi
        done
        ((n <= 400)) || fail "$mode: more than 400 fault points?"
done
echo "$runs faulty runs"
