#!/bin/sh
# Python-aware stacks: python3 + ctypes (PyDLL keeps the GIL, like
# pybind11) loading the look-alike runtime.  The survivors are attributed
# to the exact line of host.py that opened the mesh; a buffer created two
# Python calls deep shows both Python frames; threads without the GIL keep
# native stacks; --no-python gives native stacks only.  Both a shared
# libpython interpreter and a static one (Debian's /usr/bin/python3), and
# every other CPython 3.8+ on the machine (pythons, tests/lib/common.sh).
. "$TESTLIB/common.sh"
need_fixture gnu
host=$TOP/tests/fixtures/host.py
open_line=$(grep -n 'lib.ttnn_open_mesh(' "$host" | head -n 1 | cut -d: -f1)
work_line=$(grep -n 'lib.ttnn_run_workload(' "$host" | head -n 1 | cut -d: -f1)
pythons=$(pythons)
[ -n "$pythons" ] || skip "no python3"
for py in $pythons; do
	kind=$("$py" -c 'import sysconfig; print("shared" if sysconfig.get_config_var("Py_ENABLE_SHARED") else "static")')
	d=$WORK/$kind; rm -rf "$d"; mkdir -p "$d"
	"$BUFTRACE" record -o "$d" --quiet -- "$py" "$host" "$FIX/gnu" > "$WORK/out" || fail "$py: host.py failed under record"
	grep -q '3 alive' "$WORK/out" || fail "$py: output changed"
	"$BUFTRACE" report --format json "$d" > "$WORK/r.json" || fail "$py: report failed"
	"$BUFTRACE" dump --json "$d"/*.zst > "$WORK/d.json" || fail "$py: dump failed"
	python3 - "$WORK/r.json" "$WORK/d.json" "$open_line" "$work_line" "$py ($kind)" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); recs = [json.loads(l) for l in open(sys.argv[2])]
open_line, work_line, label = int(sys.argv[3]), int(sys.argv[4]), sys.argv[5]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
g = r["survivor_groups"]
if len(g) != 1 or g[0]["count"] != 3: die(f"survivors {[(x['count'], x['key'][:60]) for x in g]}")
st = g[0]["stack"]
py = [f for f in st if f["language"] == "python"]
if not py: die("no Python frames in the survivors' stack")
if not (py[0]["file"].endswith("host.py") and py[0]["line"] == open_line and py[0]["function"] == "open_mesh"):
    die(f"innermost Python frame {py[0]} is not host.py:{open_line} open_mesh")
first_py = st.index(py[0])
if any(f["language"] == "python" for f in st[:first_py]) or any(f["language"] != "python" for f in st[first_py:]):
    die("Python frames do not replace the interpreter's tail of the stack")
if not any(f["function"] and "open_mesh_device" in f["function"] for f in st[:first_py]): die("native init path lost")
if any((f["module"] or "").split("/")[-1].startswith(("libpython", "_ctypes", "libffi")) for f in st): die("interpreter frames left in the merged stack")
# two Python calls deep: workload() called from run()
pys = {x["pystack_id"]: x["frames"] for x in recs if x["record"] == "PYSTACK"}
ev = [x for x in recs if x["record"] == "EVENT"]
main_tid = min(ev, key=lambda x: x["seq"])["tid"]
deep = [x for x in ev if x["hook"] == "Buffer::create" and x.get("pystack") and pys[x["pystack"]][0]["function"] == "workload"]
if not deep: die("no buffer created from workload() with a Python stack")
fr = pys[deep[0]["pystack"]]
if not (fr[0]["line"] == work_line and fr[1]["function"] == "run"): die(f"workload stack {fr[:2]}")
if any(x.get("pystack") for x in ev if x["tid"] != main_tid): die("a thread without the GIL got a Python stack")
if not any(x["tid"] != main_tid for x in ev): die("no dispatch-thread events to check")
PY
done
# one Python stack, one id: the same frames (a loop's line, many calls)
# interned once (each PYSTACK record a distinct frame list)
d=$WORK/same; mkdir -p "$d"
"$BUFTRACE" record -o "$d" --quiet -- python3 "$host" "$FIX/gnu" --iterations 6 > /dev/null || fail "record for interning failed"
"$BUFTRACE" dump "$d"/*.zst | grep '^PYSTACK' | sed 's/^PYSTACK pystack_id=[0-9]* //' > "$WORK/pys"
[ -s "$WORK/pys" ] || fail "no Python stacks recorded"
[ "$(sort "$WORK/pys" | uniq -d | wc -l)" = 0 ] ||
	fail "one Python stack got several ids: $(sort "$WORK/pys" | uniq -cd | sort -rn | head -2)"
# --no-python: native stacks only
d=$WORK/nopy; mkdir -p "$d"
"$BUFTRACE" record -o "$d" --quiet --no-python -- python3 "$host" "$FIX/gnu" > /dev/null || fail "--no-python run failed"
"$BUFTRACE" dump "$d"/*.zst | grep -q PYSTACK && fail "--no-python still recorded Python stacks"
"$BUFTRACE" report --format json "$d" | grep -q '"language":"python"' && fail "--no-python report has Python frames"
# diff: one native path from two Python callers is two paths, each
# told by its Python caller
cat > "$WORK/other.py" <<'PY'
import ctypes, os, sys
def bring_up(lib):
    return lib.ttnn_open_mesh(8)
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
sys.exit(bring_up(lib) or lib.ttnn_close_mesh())
PY
d=$WORK/other; mkdir -p "$d"
"$BUFTRACE" record -o "$d" --quiet -- python3 "$WORK/other.py" "$FIX/gnu" > /dev/null || fail "other.py failed under record"
"$BUFTRACE" diff "$WORK/same" "$d" > "$WORK/diff.txt"; [ $? = 3 ] || fail "diff to another caller: exit not 3"
grep -A1 '^  gone' "$WORK/diff.txt" | grep -q 'during .*open_mesh_device, from Python open_mesh (fixtures/host.py)$' ||
	fail "diff: the gone path does not name its Python caller: $(cat "$WORK/diff.txt")"
grep -A1 '^  appeared' "$WORK/diff.txt" | grep -q "during .*open_mesh_device, from Python bring_up ($(basename "$WORK")/other.py)\$" ||
	fail "diff: the new path does not name its Python caller: $(cat "$WORK/diff.txt")"
echo "python stacks OK:$pythons"
