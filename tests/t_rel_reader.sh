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
# the same on a trace of compact malloc probe events
if ! sanitized; then
	mkdir -p "$WORK/pout" "$WORK/pbad"
	"$BUFTRACE" record -o "$WORK/pout" --depth 3 --probes malloc -- "$FIX/gnu/host_linked" --devices 1 --iterations 0 >/dev/null 2>&1 ||
		fail "record --probes malloc failed"
	ptrace=$(ls "$WORK"/pout/buftrace.*.zst | head -1)
	python3 "$TESTLIB/badinput.py" "$BUFTRACE" "$ptrace" "$WORK/pbad" || exit 1
fi
# crashers found by the fuzzer (tests/fuzz/) stay fixed
# (an input that is not a zstd file is a record stream: compressed first,
# as the fuzz target does)
for f in "$TOP"/tests/fuzz/regress/*; do
	[ -f "$f" ] && [ "$(basename "$f")" != README ] || continue
	if [ "$(head -c 4 "$f" | od -An -tx1 | tr -d ' ')" != 28b52ffd ]; then
		command -v zstd >/dev/null || continue
		zstd -q -f "$f" -o "$WORK/regress.zst" && f=$WORK/regress.zst
	fi
	timeout 20 "$BUFTRACE" dump "$f" >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "fuzz regression $(basename "$f"): dump exit $rc"
	timeout 20 "$BUFTRACE" report "$f" >/dev/null 2>&1
	rc=$?
	[ $rc -le 1 ] || fail "fuzz regression $(basename "$f"): report exit $rc"
done
