#!/bin/sh
# A native stack cut at --depth says so, and the verdict does not move
# with the cut.  The fixture's 8-chip mesh (both hosts: host_dlopen and
# python3 host.py), recorded with --depth 6 and with the default 64.  At
# 6, the walk of the control buffers' Buffer::create stops inside
# open_devices, below ttnn::distributed::open_mesh_device: the report
# must still call them made during mesh init by open_mesh_device (a hook
# scope says so exactly; the old report took the outermost open call it
# could see in the frames, open_devices, and said "device init"), mark
# where the native frames stop (text, JSON, html) with the init path
# running through the mark, and go on with the Python frames; the trace
# has STACK_CUT records.  At 64 nothing is cut: no mark, no STACK_CUT.
# diff between the two runs, either way: both paths the same (a cut path
# is matched by the frames both runs have; it was "gone" and "appeared").
. "$TESTLIB/common.sh"
need_fixture gnu
nm -D "$FIX/gnu/libtt_metal.so" 2>/dev/null | grep -q '10MeshBuffer6create' || skip "the fixture has no MeshBuffer"

for h in host_dlopen python; do
	for depth in 6 64; do
		label="$h --depth $depth"
		rm -rf "$WORK/out"
		if [ "$h" = python ]; then
			set -- python3 "$TOP/tests/fixtures/host.py" "$FIX/gnu"
		else
			set -- "$FIX/gnu/$h"
		fi
		TT_FIXTURE_HELD_TENSOR=1 timeout 60 "$BUFTRACE" record --quiet --depth $depth -o "$WORK/out" -- "$@" \
			> "$WORK/rec.out" 2>&1 || fail "$label: record failed: $(tail -3 "$WORK/rec.out")"
		t=$(only_trace)
		"$BUFTRACE" report "$t" > "$WORK/r.txt" || fail "$label: report failed"
		"$BUFTRACE" report --format json "$t" > "$WORK/r.json" || fail "$label: json report failed"
		python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" || fail "$label: JSON does not match the schema"
		"$BUFTRACE" report --format html -o "$WORK/r.html" "$t" || fail "$label: html report failed"
		cuts=$("$BUFTRACE" dump "$t" | grep -c 'STACK_CUT')
		grep -q 'created during mesh init: ttnn::distributed::open_mesh_device$' "$WORK/r.txt" ||
			fail "$label: the control buffers are not said made during mesh init by open_mesh_device: $(grep 'created during' "$WORK/r.txt")"
		python3 - "$WORK/r.json" "$label" "$h" "$depth" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); label, host, depth = sys.argv[2], sys.argv[3], int(sys.argv[4])
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
ctl = [g for g in r["survivor_groups"] if not g["mesh_buffers"]]
if len(ctl) != 1: die(f"{len(ctl)} control-buffer groups")
c = ctl[0]
if (c["phase"], c["open_call"], c["held_by"]) != ("init", "ttnn::distributed::open_mesh_device", "runtime"):
    die(f"control buffers: phase {c['phase']}, open call {c['open_call']}, held by {c['held_by']}")
for g in r["survivor_groups"]:
    marks = [i for i, f in enumerate(g["stack"]) if f["function"] == "..." and f["file"] == "" and f["language"] == "native"]
    if depth == 64 and marks: die("a stack marked cut at the default depth")
    if g is not c: continue
    native = [f for f in g["stack"][1:] if f["language"] == "native"]
    if depth == 6:
        if len(marks) != 1: die(f"control buffers' stack: {len(marks)} cut marks")
        i = marks[0]
        if not all(f["init_path"] for f in g["stack"][:i + 1]): die("the init path does not run through the cut")
        if any(f["language"] == "native" for f in g["stack"][i + 1:]): die("native frames after the cut mark")
        if any("open_mesh_device" in (f["function"] or "") for f in native): die("a frame past the depth limit")
        py = [f for f in g["stack"][i + 1:] if f["language"] == "python"]
        if host == "python" and not any(f["file"].endswith("host.py") for f in py): die("no Python frames after the cut")
    elif not any("open_mesh_device" in (f["function"] or "") for f in native):
        die("the whole stack does not reach open_mesh_device")
PY
		if [ $depth = 6 ]; then
			grep -q '^    > (the outer native frames: the walk stopped at --depth 6)' "$WORK/r.txt" ||
				fail "$label: the text report does not mark the cut on the init path"
			grep -q 'the walk stopped at --depth 6' "$WORK/r.html" || fail "$label: the html report does not mark the cut"
			"$BUFTRACE" report --format folded "$t" | grep -qE '(^|;)\(the outer native frames: the walk stopped at --depth 6\);' ||
				fail "$label: the folded stacks do not mark the cut"
			[ "$cuts" -gt 0 ] || fail "$label: no STACK_CUT record in the trace"
		else
			! grep -q 'the walk stopped' "$WORK/r.txt" || fail "$label: a cut marked at the default depth"
			[ "$cuts" = 0 ] || fail "$label: $cuts STACK_CUT records at the default depth"
		fi
		rm -rf "$WORK/out.$depth"
		mv "$WORK/out" "$WORK/out.$depth"
	done
	for pair in "6 64" "64 6"; do
		set -- $pair
		"$BUFTRACE" diff "$WORK/out.$1" "$WORK/out.$2" > "$WORK/d.txt" || fail "$h: diff --depth $pair: exit $?: $(cat "$WORK/d.txt")"
		"$BUFTRACE" diff --format json "$WORK/out.$1" "$WORK/out.$2" > "$WORK/d.json" || fail "$h: diff --format json: exit $?"
		python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" diff "$WORK/d.json" || fail "$h: diff JSON does not match the schema"
		python3 - "$WORK/d.json" "$h diff --depth $pair" <<'PY' || exit 1
import json, sys
d = json.load(open(sys.argv[1]))
st = sorted((g["status"], g["before"]["count"], g["after"]["count"]) for g in d["groups"])
if st != [("same", 3, 3), ("same", 8, 8)] or d["worse"]:
    print(f"FAIL: {sys.argv[2]}: {st}, worse {d['worse']}"); sys.exit(1)
PY
		grep -q "recorded with --depth $1 before, $2 after" "$WORK/d.txt" || fail "$h: diff does not say the depths differ"
	done
done
echo "ok: a stack cut at --depth is marked (text, JSON, html, STACK_CUT) and the open call comes from the hook scopes"
