#!/bin/sh
# Deep Python stacks: a tensor made by a recursion DEPTH calls deep.  The
# text report shows a frame repeated in a row once, with its count; a
# stack deeper than the recorder's 128 Python frames says where it was cut
# (a frame named "..." of no file in the trace and the JSON) instead of
# ending as if the innermost frames were all.  Before, the report also
# cut every stack at 128 frames, native and Python together, and grouped
# creation paths by what was left.
. "$TESTLIB/common.sh"
need_fixture gnu
sanitized && skip "python3 cannot load a sanitized fixture"
prog=$TOP/tests/progs/py_deep.py
# DEPTH WANT_CUT REPEATS
check() {
	rm -rf "$WORK/t"
	"$BUFTRACE" record --quiet -o "$WORK/t" -- python3 "$prog" "$FIX/gnu" "$1" > "$WORK/out" 2>&1 ||
		fail "depth $1: the program failed under record: $(cat "$WORK/out")"
	"$BUFTRACE" report --color never "$WORK/t" > "$WORK/text" || fail "depth $1: report failed"
	"$BUFTRACE" report --format json "$WORK/t" > "$WORK/r.json" || fail "depth $1: json report failed"
	sed -n '/held by the program/,/buffers:/p' "$WORK/text" > "$WORK/item"
	grep -q "^ *rec  .*py_deep.py:[0-9]*$" "$WORK/item" &&
		grep -q "^ *(the same frame $3 more times)$" "$WORK/item" ||
		fail "depth $1: want rec once and the same frame $3 more times: $(cat "$WORK/item")"
	if [ "$2" = cut ]; then
		grep -q "^ *(the outer Python frames: the recorder keeps the innermost 128)$" "$WORK/item" ||
			fail "depth $1: the cut is not said: $(tail -n 4 "$WORK/item")"
		"$BUFTRACE" report --format html -o "$WORK/r.html" "$WORK/t" > /dev/null || fail "depth $1: html report failed"
		grep -q '"(the outer Python frames: the recorder keeps the innermost 128)",""' "$WORK/r.html" ||
			fail "depth $1: the html report does not say where the stack was cut"
		grep -q "<module>" "$WORK/item" && fail "depth $1: a frame beyond the cut: $(tail -n 4 "$WORK/item")"
	else
		grep -q "<module> .*py_deep.py" "$WORK/item" || fail "depth $1: the outermost frame is missing"
		grep -q "outer Python frames" "$WORK/item" && fail "depth $1: said cut, and is not"
	fi
	python3 - "$WORK/r.json" "$1" "$2" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); depth, cut = int(sys.argv[2]), sys.argv[3] == "cut"
g = [g for g in r["survivor_groups"] if g["held_by"] == "program"]
if len(g) != 1: sys.exit(f"FAIL: depth {depth}: {len(g)} groups held by the program")
py = [f for f in g[0]["stack"] if f["language"] == "python"]
recs = [f for f in py if f["function"] == "rec"]
last = py[-1]
if cut:
    if len(py) != 129 or len(recs) != 128 or (last["function"], last["file"]) != ("...", ""):
        sys.exit(f"FAIL: depth {depth}: {len(py)} Python frames, {len(recs)} rec, last {last}")
elif len(recs) != depth + 1 or last["function"] != "<module>":
    sys.exit(f"FAIL: depth {depth}: {len(recs)} rec frames (want {depth + 1}), last {last}")
PY
	echo "depth $1: $2, rec and $3 more"
}
check 126 whole 125
check 127 cut 126
check 600 cut 126
