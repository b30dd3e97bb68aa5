#!/bin/sh
# A stack id stands for exactly one frame sequence (preload/stacks.c
# interns by comparing the frames; the hash only says where to look).
# tests/progs/stackpaths calls malloc, under the malloc probes, through
#  1. 1024 paths of a 10-level recursion with two call sites per level
#     (the paths differ only in which call site each level took: frame
#     differences that a sum of per-frame hash terms cancelled, giving
#     some 130 stacks for 1024 paths), and
#  2. random paths (three call sites per level, random depth) in 4
#     threads, 6000 calls each, repeats included: more distinct stacks
#     (some 15000) than the recorder's table holds before it first grows
#     (12288), so lookups in 4 threads meet the table as it is replaced,
# taking each call's stack with glibc's backtrace() as well.  With our
# walker and with BUFTRACE_UNWIND=libunwind, every event's frames are the
# independent unwinder's (below the top frame, which is at the malloc call
# in the trace and at the backtrace call in the program), and the 1024
# paths have 1024 distinct stack ids.  The same paths once more into a
# hooked name (Buffer::deallocate of libbtfake.so) instead of malloc: the
# tt-metal hook path, where the walker's kept walks are tagged with ids.
#  3. Python stacks are interned the same way (preload/pystack.c): a
#     Python twin of 1 and 2 (threads holding the GIL in turn) calls a
#     hooked name through ctypes.PyDLL; every event's Python frames are
#     those traceback.extract_stack() took at the call.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/stackpaths
[ -x "$prog" ] || fail "$prog not built (make test-progs)"
[ -f "$BUILD/tests/libbtfake.so" ] || fail "libbtfake.so not built (make test-progs)"
seed=$(date +%s)
# the malloc probes are not preloaded beside a sanitizer: hooks only there
runs="ours.hook libunwind.hook"
sanitized || runs="ours libunwind $runs"
for w in $runs; do
	d=$WORK/$w
	mkdir -p "$d"
	case $w in
	*.hook)
		BUFTRACE_UNWIND=${w%.hook} "$BUFTRACE" record --quiet -o "$d" -- \
			"$prog" "$WORK/bt.$w" "$seed" 4 6000 "$BUILD/tests/libbtfake.so" > "$WORK/out.$w" 2>&1 ;;
	*)
		BUFTRACE_UNWIND=$w "$BUFTRACE" record --quiet -o "$d" --probes malloc -- \
			"$prog" "$WORK/bt.$w" "$seed" 4 6000 > "$WORK/out.$w" 2>&1 ;;
	esac || fail "stackpaths ($w): $(cat "$WORK/out.$w")"
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
        ips = [int(x, 16) for x in f[1:]]
        # from the frame in probe() on: a sanitizer's backtrace()
        # interceptor adds a frame of its own above it
        top = [i for i, x in enumerate(ips) if 0 < x - probe < 256]
        if not top:
            fail("call %s: no frame of backtrace()'s in probe()" % f[0])
        want[int(f[0])] = ips[top[0]:]
base, paths = min(want), 1024
stacks, got = {}, {}
for l in open(dump):
    r = json.loads(l)
    if r["record"] == "STACK":
        if r["stack_id"] in stacks:
            fail("stack id %d defined twice" % r["stack_id"])
        stacks[r["stack_id"]] = [int(x, 16) for x in r["ips"]]
    elif r["record"] != "EVENT":
        continue
    elif walker.endswith(".hook") and r["hook"] == "Buffer::deallocate" and int(r["args"]["buffer"], 16) in want:
        s = int(r["args"]["buffer"], 16)
        if s in got:
            fail("two Buffer::deallocate events of buffer %#x" % s)
        got[s] = r["stack"]
    elif not walker.endswith(".hook") and r["hook"] == "malloc" and r["args"].get("size") in want:
        s = r["args"]["size"]
        if s in got:
            fail("two malloc events of size %d" % s)
        got[s] = r["stack"]
if len(got) != len(want):
    fail("%d events of the program's %d calls" % (len(got), len(want)))
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
    fail("%d different top frames for one call site" % len(tops))
if wrong:
    k = wrong[0]
    fail("%d of %d events carry other frames than backtrace()'s (%d of the %d paths); call %d:\n  trace     %s\n  backtrace %s" % (
        len(wrong), len(want), sum(1 for x in wrong if x < paths), paths, k,
        " ".join("%#x" % x for x in stacks[got[base + k]][1:]), " ".join("%#x" % x for x in want[base + k][1:])))
ids = len(set(got[base + k] for k in range(paths)))
if ids != paths:
    fail("the %d paths have %d stack ids" % (paths, ids))
distinct = len(set(tuple(f) for f in want.values()))
if len(set(got.values())) != distinct:
    fail("%d distinct stacks in the program, %d stack ids in the trace" % (distinct, len(set(got.values()))))
if distinct <= 12288:
    fail("only %d distinct stacks: the table never grew" % distinct)
print("stackpaths (%s): %d events, each with backtrace()'s frames; %d paths, %d stack ids; %d stacks in all" % (
    walker, len(want), paths, ids, len(stacks)))
PY
done

# 3. Python paths into Buffer::deallocate (libbtfake.so, loaded globally
# so that the recorder's definition of the name is the one called)
command -v python3 > /dev/null || skip "native stacks OK; no python3 for the Python half"
[ -f "$BUILD/tests/libbtfake.so" ] || fail "libbtfake.so not built (make test-progs)"
cat > "$WORK/paths.py" <<'PY'
import ctypes, json, os, random, sys, threading, traceback
lib, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
ctypes.PyDLL(lib, mode=os.RTLD_GLOBAL)
dealloc = ctypes.PyDLL(None)["_ZN2tt8tt_metal6Buffer10deallocateEv"]
dealloc.argtypes = [ctypes.c_void_p]
want, BASE, PATHS = {}, 0x100000, 1024


def leaf(k):
    want[k] = [[f.filename, f.lineno] for f in reversed(traceback.extract_stack())]; dealloc(BASE + k)


def walk(choice, d, k):
    if d == len(choice):
        leaf(k)
    elif choice[d] == 0:
        walk(choice, d + 1, k)
    elif choice[d] == 1:
        walk(choice, d + 1, k)
    else:
        walk(choice, d + 1, k)


def worker(t, n):
    r = random.Random(seed * 16 + t)
    for i in range(n):
        walk([r.randrange(3) for _ in range(r.randint(1, 14))], 0, PATHS + t * n + i)


for k in range(PATHS):
    walk([k >> d & 1 for d in range(10)], 0, k)
threads = [threading.Thread(target=worker, args=(t, 1000)) for t in range(4)]
for t in threads:
    t.start()
for t in threads:
    t.join()
json.dump({"base": BASE, "paths": PATHS, "want": want}, open(out, "w"))
PY
d=$WORK/py
mkdir -p "$d"
"$BUFTRACE" record --quiet -o "$d" -- python3 "$WORK/paths.py" "$BUILD/tests/libbtfake.so" "$WORK/py.want" "$seed" \
	> "$WORK/py.out" 2>&1 || fail "python paths: $(cat "$WORK/py.out")"
set -- "$d"/buftrace.*.zst
[ $# = 1 ] || fail "python paths: expected one trace, found $#"
"$BUFTRACE" dump --json "$1" > "$WORK/py.dump" || fail "python paths: dump failed"
python3 - "$WORK/py.dump" "$WORK/py.want" "$seed" <<'PY' || exit 1
import json, sys
dump, wantfile, seed = sys.argv[1:]
def fail(msg):
    sys.exit("FAIL: python paths (seed %s): %s" % (seed, msg))
w = json.load(open(wantfile))
base, paths, want = w["base"], w["paths"], {int(k): v for k, v in w["want"].items()}
stacks, got = {}, {}
for l in open(dump):
    r = json.loads(l)
    if r["record"] == "PYSTACK":
        if r["pystack_id"] in stacks:
            fail("Python stack id %d defined twice" % r["pystack_id"])
        stacks[r["pystack_id"]] = [[f["file"], f["line"]] for f in r["frames"]]
    elif r["record"] == "EVENT" and r["hook"] == "Buffer::deallocate":
        k = int(r["args"]["buffer"], 16) - base
        if k in want:
            if k in got:
                fail("two events for call %d" % k)
            got[k] = r.get("pystack", 0)
if len(got) != len(want):
    fail("%d events of the script's %d calls" % (len(got), len(want)))
wrong = [k for k in sorted(want) if stacks.get(got[k]) != want[k]]
if wrong:
    k = wrong[0]
    fail("%d of %d events carry other Python frames than traceback's; call %d:\n  trace     %s\n  traceback %s" % (
        len(wrong), len(want), k, stacks.get(got[k]), want[k]))
ids = len(set(got[k] for k in range(paths)))
if ids != paths:
    fail("the %d paths have %d Python stack ids" % (paths, ids))
print("python paths: %d events, each with traceback's frames; %d paths, %d Python stack ids" % (len(want), paths, ids))
PY
echo "stack identity OK"
