#!/bin/sh
# Reliability, the analyzer against bad input: a small real trace cut at
# every byte offset, random bit flips (in the file and, recompressed, in
# the record stream), wrong magic, a newer version, absurd lengths and
# counts, an empty file, a directory.  Each gives one line naming the
# file, the offset and what is wrong, everything before the damage, exit
# status 1, never a crash or a hang.  Also replays tests/fuzz/regress/.
. "$TESTLIB/common.sh"
need_fixture gnu
mkdir -p "$WORK/out" "$WORK/bad"
"$BUFTRACE" record -o "$WORK/out" --depth 3 -- "$FIX/gnu/host_linked" --devices 1 --iterations 0 >/dev/null 2>&1 || fail "record failed"
trace=$(only_trace)
python3 "$TESTLIB/badinput.py" "$BUFTRACE" "$trace" "$WORK/bad" || exit 1
# crashers found by the fuzzer (tests/fuzz/) stay fixed
for f in "$TOP"/tests/fuzz/regress/*; do
	[ -f "$f" ] || continue
	timeout 20 "$BUFTRACE" dump "$f" >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "fuzz regression $(basename "$f"): dump exit $rc"
	timeout 20 "$BUFTRACE" report "$f" >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "fuzz regression $(basename "$f"): report exit $rc"
done
