#!/bin/sh
# Malloc probes across threads: tests/progs/handoff.c allocates in three
# producer threads and frees in three consumer threads, out of order,
# with a 10 ms flush (the flusher takes chunks from threads mid-run).
# Each free names its block by number, whatever thread freed it, so the
# report must find exactly the blocks the program kept (count and bytes,
# from keep_this) and none of the handed-over ones, with the event
# ownership done by membarrier and by fences (BUFTRACE_MEMBARRIER=0).
. "$TESTLIB/common.sh"
prog="$BUILD/tests/handoff"
[ -x "$prog" ] || fail "$prog not built (make test-progs)"
sanitized && skip "allocation probes are not used with a sanitized build (ASan replaces malloc)"
"$prog" 3 3 40000 > "$WORK/plain" || fail "handoff failed on its own"
for mb in 1 0; do
	rm -rf "$WORK/out"; mkdir -p "$WORK/out"
	BUFTRACE_MEMBARRIER=$mb BUFTRACE_DEBUG=1 timeout 120 "$BUFTRACE" record -o "$WORK/out" --flush-ms 10 --probes malloc -- \
		"$prog" 3 3 40000 > "$WORK/stdout" 2> "$WORK/stderr"
	rc=$?
	[ $rc = 124 ] && fail "membarrier=$mb: deadlock (no exit within 120 s)"
	[ $rc = 0 ] || fail "membarrier=$mb: exit $rc under the recorder: $(cat "$WORK/stderr")"
	cmp -s "$WORK/plain" "$WORK/stdout" || fail "membarrier=$mb: output changed: $(cat "$WORK/stdout")"
	want=fences; [ $mb = 1 ] && want=membarrier
	grep -q "event ownership by $want" "$WORK/stderr" || [ $mb = 1 ] || fail "membarrier=0 not honoured: $(cat "$WORK/stderr")"
	trace=$(only_trace)
	"$BUFTRACE" report --format json "$trace" > "$WORK/r.json" || fail "report failed"
	"$BUFTRACE" report "$trace" > "$WORK/r.txt" || fail "report (text) failed"
	python3 - "$WORK/r.json" "$WORK/stdout" "$WORK/r.txt" <<'PY' || fail "membarrier=$mb: leaks wrong"
import json, re, sys
r = json.load(open(sys.argv[1]))
m = re.search(r"mallocs (\d+) frees (\d+) kept (\d+) bytes (\d+)", open(sys.argv[2]).read())
mallocs, frees, kept, kept_bytes = map(int, m.groups())
got = None
for g in r["leaks"]:
    fns = [f["function"] or "" for f in g["stack"]]
    if any("hand_over" in f for f in fns):
        sys.exit(f"{g['count']} handed-over blocks reported never freed: {fns}")
    if any("keep_this" in f for f in fns):
        if got: sys.exit("keep_this: two groups")
        got = (g["count"], g["bytes"])
if got != (kept, kept_bytes): sys.exit(f"keep_this: report {got}, program kept {(kept, kept_bytes)}")
t = open(sys.argv[3]).read()
m = re.search(r"\((\d+) allocations, (\d+) frees traced", t)
if not m or int(m.group(1)) < mallocs or int(m.group(2)) < frees:
    sys.exit(f"traced fewer allocations/frees than the program made ({mallocs}, {frees}): {m and m.group(0)}")
print(f"{kept} kept blocks found exactly among {mallocs} allocations")
PY
done
