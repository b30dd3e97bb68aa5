#!/bin/sh
# A stack id stands for exactly one frame sequence (preload/stacks.c
# interns by comparing the frames; the hash only says where to look).
# tests/progs/stackpaths calls malloc, under the malloc probes, through
#  1. 1024 paths of a 10-level recursion with two call sites per level
#     (the paths differ only in which call site each level took: frame
#     differences that a sum of per-frame hash terms cancelled, giving
#     some 130 stacks for 1024 paths), and
#  2. random paths (three call sites per level, random depth) in 4
#     threads, 2000 calls each, repeats included,
# taking each call's stack with glibc's backtrace() as well.  With our
# walker and with BUFTRACE_UNWIND=libunwind, every event's frames are the
# independent unwinder's (below the top frame, which is at the malloc call
# in the trace and at the backtrace call in the program), and the 1024
# paths have 1024 distinct stack ids.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/stackpaths
[ -x "$prog" ] || fail "$prog not built (make test-progs)"
sanitized && skip "sanitized recorder: the malloc probes are not preloaded beside a sanitizer"
seed=$(date +%s)
for w in ours libunwind; do
	d=$WORK/$w
	mkdir -p "$d"
	BUFTRACE_UNWIND=$w "$BUFTRACE" record --quiet -o "$d" --probes malloc -- \
		"$prog" "$WORK/bt.$w" "$seed" 4 2000 > "$WORK/out.$w" 2>&1 ||
		fail "stackpaths ($w): $(cat "$WORK/out.$w")"
	set -- "$d"/buftrace.*.zst
	[ $# = 1 ] || fail "stackpaths ($w): expected one trace, found $#"
	"$BUFTRACE" dump --json "$1" > "$WORK/dump.$w" || fail "stackpaths ($w): dump failed"
	python3 - "$WORK/dump.$w" "$WORK/bt.$w" "$w" "$seed" <<'PY' || exit 1
import json, sys
dump, btfile, walker, seed = sys.argv[1:]
def fail(msg):
    sys.exit("FAIL: stackpaths (%s, seed %s): %s" % (walker, seed, msg))
lines = open(btfile).read().split("\n")
probe = int(lines[0].split()[1], 16)
want = {}
for l in lines[1:]:
    if l:
        f = l.split()
        want[int(f[0])] = [int(x, 16) for x in f[1:]]
base, paths = min(want), 1024
stacks, got = {}, {}
for l in open(dump):
    r = json.loads(l)
    if r["record"] == "STACK":
        if r["stack_id"] in stacks:
            fail("stack id %d defined twice" % r["stack_id"])
        stacks[r["stack_id"]] = [int(x, 16) for x in r["ips"]]
    elif r["record"] == "EVENT" and r["hook"] == "malloc" and r["args"].get("size") in want:
        s = r["args"]["size"]
        if s in got:
            fail("two malloc events of size %d" % s)
        got[s] = r["stack"]
if len(got) != len(want):
    fail("%d malloc events of the program's %d calls" % (len(got), len(want)))
wrong, tops = [], set()
for s, frames in sorted(want.items()):
    if got[s] not in stacks:
        fail("call %d: event without a stack (stack %s)" % (s - base, got[s]))
    ips = stacks[got[s]]
    tops.add(ips[0])
    if not 0 < ips[0] - probe < 256:
        fail("call %d: top frame %#x not in probe() at %#x" % (s - base, ips[0], probe))
    if ips[1:] != frames[1:]:
        wrong.append(s - base)
if len(tops) != 1:
    fail("%d different top frames for one malloc call site" % len(tops))
if wrong:
    k = wrong[0]
    fail("%d of %d events carry other frames than backtrace()'s (%d of the %d paths); call %d:\n  trace     %s\n  backtrace %s" % (
        len(wrong), len(want), sum(1 for x in wrong if x < paths), paths, k,
        " ".join("%#x" % x for x in stacks[got[base + k]][1:]), " ".join("%#x" % x for x in want[base + k][1:])))
ids = len(set(got[base + k] for k in range(paths)))
if ids != paths:
    fail("the %d paths have %d stack ids" % (paths, ids))
print("stackpaths (%s): %d events, each with backtrace()'s frames; %d paths, %d stack ids; %d stacks in all" % (
    walker, len(want), paths, ids, len(stacks)))
PY
done
echo "stack identity OK"
