#!/bin/sh
# Python calls the runtime with the GIL released around the call
# (ctypes.CDLL here; pybind11's gil_scoped_release, nanobind's
# gil_scoped_release): the recorder cannot read a Python stack then.  The
# report must say so on each such item (text, JSON python_gil_released)
# and never show it as a thread Python never ran on; with the GIL held
# (ctypes.PyDLL) the items have their Python line and no such mark.  On
# the main thread and a threading.Thread, every CPython 3.8+ here.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$TOP/tests/progs/py_nogil.py
n=0
modes="pydll cdll" # the GIL held: on the first interpreter (the others' tests hold it)
for py in $(pythons); do
	for mode in $modes; do
		label="$py $mode"
		unchanged_under_record "$py" "$prog" "$FIX/gnu" $mode
		"$BUFTRACE" report "$WORK/t" > "$WORK/r.txt" 2>&1 || fail "$label: report failed"
		python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" || fail "$label: JSON does not match the schema"
		python3 - "$WORK/r.json" "$label" "$mode" "$prog" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); label, mode, prog = sys.argv[2:5]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
mb = [g for g in r["survivor_groups"] if g["mesh_buffers"]]
if len(mb) != 2: die(f"{len(mb)} tensor items, want 2: " + "; ".join(g["key"][:80] for g in r["survivor_groups"]))
for g in r["survivor_groups"]:  # the tensors, and the control buffers open_mesh made
    py = [f for f in g["stack"] if f["language"] == "python"]
    if not g["mesh_buffers"]:
        if g["python_gil_released"] != (mode == "cdll"): die("control buffers: python_gil_released %s" % g["python_gil_released"])
        continue
    if mode == "pydll":
        if g["python_gil_released"]: die("GIL held, yet marked released")
        if not any(f["file"] == prog and f["function"] == "keep_tensor" for f in py): die("GIL held: no keep_tensor frame")
    else:
        if not g["python_gil_released"]: die("GIL released, not marked")
        if py: die("GIL released, yet Python frames")
PY
		"$BUFTRACE" report --format html -o "$WORK/r.html" "$WORK/t" || fail "$label: html report failed"
		want=0; [ $mode = cdll ] && want=$(grep -c '^#[0-9]' "$WORK/r.txt")
		[ "$(grep -o '"gil_released":1' "$WORK/r.html" | wc -l)" = "$want" ] || fail "$label: the html page marks the wrong items"
		if [ $mode = cdll ]; then
			[ "$(grep -c 'made from Python with the GIL released' "$WORK/r.txt")" = "$(grep -c '^#[0-9]' "$WORK/r.txt")" ] ||
				fail "$label: the text report does not say it of every item"
		else
			! grep -q 'GIL released' "$WORK/r.txt" || fail "$label: GIL held, yet the text says released"
		fi
	done
	modes=cdll
	n=$((n + 1))
done
[ $n -gt 0 ] || skip "no CPython 3.8+"
echo "ok: calls with the GIL released are said so, on $n interpreters"
