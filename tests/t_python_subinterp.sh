#!/bin/sh
# Runtime calls from Python subinterpreters (_xxsubinterpreters, 3.13's
# _interpreters) and from the main interpreter in turn, one subinterpreter
# on a thread, with every CPython 3.8+ on the machine: the program's output
# and exit code are its own, and each tensor is blamed on the function of
# the interpreter that made it.  The recorder's cache of the last Python
# stack kept references to a subinterpreter's code objects and dropped
# them from the main interpreter after the subinterpreter was destroyed:
# Python 3.13 aborted ("double free or corruption").
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$TOP/tests/progs/py_subinterp.py
main_line=$(grep -n 'held.append(lib.ttnn_tensor_create(' "$prog" | cut -d: -f1)
call_lines=$(grep -n '^made_in_main(2)' "$prog" | cut -d: -f1 | tr '\n' ' ')
pythons=$(pythons)
[ -n "$pythons" ] || skip "no python3"
for py in $pythons; do
	unchanged_under_record "$py" "$prog" "$FIX/gnu"
	python3 - "$WORK/r.json" "$main_line" "$call_lines" "$py" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
main_line, calls, label = int(sys.argv[2]), sorted(map(int, sys.argv[3].split())), sys.argv[4]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
def pyframes(g): return [f for f in g["stack"] if f["language"] == "python"]
def made_by(name): return [g for g in r["survivor_groups"] if any(f["function"] == name for f in pyframes(g))]
sub = made_by("made_in_sub")
if sum(g["mesh_buffers"] for g in sub) != 6:
    die(f"tensors made in the subinterpreters: {[(g['mesh_buffers'], g['key'][:60]) for g in sub]}, want 6")
for g in sub:
    f = [x for x in pyframes(g) if x["function"] == "made_in_sub"][0]
    if f["file"] != "<string>" or f["line"] != 7 or any(x["file"].endswith("py_subinterp.py") for x in pyframes(g)):
        die(f"a subinterpreter's stack: {[(x['function'], x['file'], x['line']) for x in pyframes(g)]}")
main = made_by("made_in_main")
got = sorted(pyframes(g)[1]["line"] for g in main for _ in range(g["mesh_buffers"] // 2))
if sum(g["mesh_buffers"] for g in main) != 8 or got != calls:
    die(f"tensors made in the main interpreter: {[(g['mesh_buffers'], [(f['function'], f['line']) for f in pyframes(g)]) for g in main]}, want 2 from each of lines {calls}")
for g in main:
    p = pyframes(g)
    if p[0]["line"] != main_line or not p[0]["file"].endswith("py_subinterp.py") or any(f["function"] == "made_in_sub" for f in p):
        die(f"a main interpreter's stack: {[(f['function'], f['file'], f['line']) for f in p]}")
PY
done
