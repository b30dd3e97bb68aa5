#!/bin/sh
# Python threads on 32 KiB stacks (threading.stack_size's minimum) make
# runtime calls under record, with every CPython 3.8+ on the machine: the
# program's output and exit code are its own, and the report names the
# Python line in each thread.  Two ways the recorder overflowed such a
# stack (SIGSEGV): it looked libpython's None up as a function, missed it,
# and walked past the outermost frame asking None for f_code (the
# AttributeError Python built took the stack); and its slow walk kept 23
# KiB of buffers on the stack, where before 3.11 every Python call takes C
# stack too.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$TOP/tests/progs/py_small_stack.py
line=$(grep -n 'lib.ttnn_tensor_create(' "$prog" | head -n 1 | cut -d: -f1)
pythons=$(pythons)
[ -n "$pythons" ] || skip "no python3"
for py in $pythons; do
	unchanged_under_record "$py" "$prog" "$FIX/gnu"
	python3 - "$WORK/r.json" "$line" "$py" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); line, label = int(sys.argv[2]), sys.argv[3]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
held = [g for g in r["survivor_groups"] if any(f["language"] == "python" and f["function"] == "deep" for f in g["stack"])]
if len(held) != 1 or held[0]["mesh_buffers"] != 3 or held[0]["count"] != 6:
    die(f"tensors made in the threads: {[(g['mesh_buffers'], g['count'], g['key'][:60]) for g in held]}")
py = [f for f in held[0]["stack"] if f["language"] == "python"]
names = [f["function"] for f in py]
if names[:6] != ["deep"] * 6 or py[0]["line"] != line or not py[0]["file"].endswith("py_small_stack.py"):
    die(f"Python frames {[(f['function'], f['line']) for f in py]}: want deep x6 from line {line}")
if not {"Thread.run", "run"} & set(names[6:]):  # qualified names from 3.11
    die(f"the thread's frames below deep are missing: {names}")
PY
done
