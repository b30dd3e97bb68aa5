#!/bin/sh
# Python stacks of nested runtime calls (pystack.c, scopes): a call made
# inside an outer call from Python has the outer call's Python stack
# without a walk, unless Python code runs in between.  Here it does: a
# graph processor's callback (tests/progs/py_callback.py) runs on_alloc()
# inside the outer churn's track_allocate, and on_alloc() makes a buffer
# (or a tensor) of its own.  Every event of that inner pair must carry
# on_alloc's frame above outer()'s, and every other event of the churn,
# those the outer call makes after the callback returned included (a
# MeshBuffer's per-chip buffers), outer()'s frames alone.  Then an
# exception leaves a runtime call made from Python (out of device memory,
# caught in _ttnn.so) and the same frame makes more calls from its next
# line: they must have that line (a scope left open would give the line of
# the failed call).
. "$TESTLIB/common.sh"
need_fixture gnu
command -v python3 >/dev/null 2>&1 || skip "no python3"
prog=$TOP/tests/progs/py_callback.py
inner_line=$(grep -n '# INNER' "$prog" | cut -d: -f1)
outer_line=$(grep -n '# OUTER' "$prog" | cut -d: -f1)
big_line=$(grep -n '# TOO_BIG' "$prog" | cut -d: -f1)
after_line=$(grep -n '# AFTER' "$prog" | cut -d: -f1)
for mode in buffers tensors; do
	d=$WORK/$mode; mkdir -p "$d"
	tensors=; [ $mode = tensors ] && tensors=1
	TT_FIXTURE_CHURN_TENSORS=$tensors "$BUFTRACE" record -o "$d" --quiet -- python3 "$prog" "$FIX/gnu" > "$WORK/out" 2> "$WORK/err" ||
		fail "$mode: py_callback.py failed under record"
	grep -q 'tensor_create: Out of memory' "$WORK/err" || fail "$mode: the oversized tensor did not fail"
	grep -q '^callbacks 3 churn 2$' "$WORK/out" && grep -q '^after an error -1 1$' "$WORK/out" ||
		fail "$mode: output changed: $(cat "$WORK/out")"
	"$BUFTRACE" dump --json "$d"/*.zst > "$WORK/d.json" || fail "$mode: dump failed"
	python3 - "$WORK/d.json" "$inner_line" "$outer_line" "$mode" "$big_line" "$after_line" <<'PY' || exit 1
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
inner_line, outer_line, mode = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
big_line, after_line = int(sys.argv[5]), int(sys.argv[6])
def die(m): print(f"FAIL: {mode}: {m}"); sys.exit(1)
pys = {x["pystack_id"]: [(f["function"], f["line"]) for f in x["frames"]] for x in recs if x["record"] == "PYSTACK"}
ev = sorted((x for x in recs if x["record"] == "EVENT"), key=lambda x: x["seq"])
main_tid = ev[0]["tid"]
ev = [x for x in ev if x["tid"] == main_tid]
frames = [pys.get(x.get("pystack"), []) for x in ev]
inner = [i for i, f in enumerate(frames) if f and f[0][0] == "on_alloc"]
churn = [i for i, f in enumerate(frames) if f and f[0][0] in ("on_alloc", "outer")]
if not inner: die("no event with on_alloc's Python frame: the callback's calls took the outer call's stack")
if inner != list(range(inner[0], inner[-1] + 1)): die("on_alloc's events are not one run of the main thread's events")
hooks = [ev[i]["hook"] + " " + ev[i]["phase"] for i in inner]
made = "MeshBuffer::create" if mode == "tensors" else "Buffer::create"
gone = "MeshBuffer::~MeshBuffer" if mode == "tensors" else "Buffer::~Buffer"
if not any(ev[i]["hook"] == made for i in inner) or not any(ev[i]["hook"] == gone for i in inner):
    die(f"on_alloc's run is not a whole pair: {hooks}")
for i in inner:
    if frames[i] != [("on_alloc", inner_line), ("outer", outer_line), ("<module>", frames[i][2][1])]:
        die(f"event {ev[i]['seq']} {ev[i]['hook']}: {frames[i]}")
for i in range(churn[0], churn[-1] + 1):
    if i in inner: continue
    if len(frames[i]) != 2 or frames[i][0] != ("outer", outer_line) or frames[i][1][0] != "<module>":
        die(f"event {ev[i]['seq']} {ev[i]['hook']} of the outer churn: {frames[i]}")
after = [i for i in range(inner[-1] + 1, churn[-1] + 1)]
if mode == "tensors" and not any(ev[i]["hook"].startswith("Buffer::create") for i in after[:12]):
    die("no per-chip buffer made after the callback returned, inside the outer call")
# after the exception
err = [i for i, f in enumerate(frames) if f and f[0][0] == "after_error"]
big = [i for i in err if frames[i][0][1] == big_line]
again = [i for i in err if frames[i][0][1] == after_line]
if not any(ev[i]["hook"] == "MeshBuffer::create" and ev[i]["failed"] for i in big):
    die(f"no failed MeshBuffer::create from line {big_line}: {[(ev[i]['hook'], frames[i][0]) for i in err]}")
if len(big) + len(again) != len(err) or not again or max(big) > min(again):
    die(f"after the exception: {[(ev[i]['hook'], frames[i][0]) for i in err]}")
if not any(ev[i]["hook"] == "Buffer::create" for i in again) or not any(ev[i]["hook"] == "Buffer::~Buffer" for i in again):
    die(f"the buffer made after the exception is not all from line {after_line}")
print(f"{mode}: {len(inner)} events from on_alloc, {len(churn) - len(inner)} from outer, {len(again)} after an exception")
PY
done
