#!/bin/sh
# The OpenCL profile on a real runtime: tests/runtimes/cl_prog on PoCL (its
# CPU device, through the ICD loader libOpenCL.so), recorded and reported.
#  1. leak: the report names exactly the objects still referenced at the
#     program's last clReleaseContext (three cl_mem and one sub-buffer),
#     each with its size, its creation line in cl_prog.c (the lines marked
#     LEAK) and the sub-buffer tied to its buffer; nothing else (the buffer
#     released once, the one retained and released twice, the SVM block
#     freed, the release that failed are not).  Output and exit status as
#     without the recorder; the JSON is the documented schema's.
#  2. clean: the same objects released: no survivor, no anomaly.
#  3. threads: 4 threads, each with a context, a kernel compiled by PoCL's
#     LLVM and run: the same output as without the recorder, and every
#     create balanced by a release in the trace.
#  4. --runtime tt-metal leaves OpenCL unrecorded; --runtime opencl does not.
#  5. Python through ctypes (dlsym of the names): recorded, at the Python line.
#  6. Extension entry points got by name (USM on a stand-in ICD): recorded.
. "$TESTLIB/common.sh"
P=$BUILD/tests/cl_prog
[ -x "$P" ] || fail "$P not built (make runtime-progs)"
"$P" leak > "$WORK/plain.out" 2> "$WORK/plain.err" || {
	# no OpenCL platform at all is the machine, not us
	grep -q "no OpenCL platform" "$WORK/plain.err" && skip "no OpenCL platform (pocl-opencl-icd not installed)"
	fail "cl_prog leak failed without the recorder: $(cat "$WORK/plain.err")"
}
run() { # NAME ARGS...: record cl_prog ARGS into $WORK/NAME, keep its output
	name=$1
	shift
	mkdir -p "$WORK/$name"
	"$BUFTRACE" record --quiet -o "$WORK/$name" -- "$P" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
	echo $? > "$WORK/$name.rc"
}
run leak leak
[ "$(cat "$WORK/leak.rc")" = 0 ] || fail "cl_prog leak exited $(cat "$WORK/leak.rc") recorded: $(cat "$WORK/leak.err")"
cmp -s "$WORK/plain.out" "$WORK/leak.out" || fail "recorded output differs: $(cat "$WORK/leak.out")"
[ -s "$WORK/leak.err" ] && fail "the recorder said something: $(cat "$WORK/leak.err")"
T=$(ls "$WORK"/leak/buftrace.*.zst)
"$BUFTRACE" report --format json "$T" > "$WORK/leak.json" || fail "report failed"
python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/leak.json" ||
	fail "JSON does not match docs/report-schema.md"
src=$TOP/tests/runtimes/cl_prog.c
python3 - "$WORK/leak.json" "$src" <<'PY' || exit 1
import json, re, sys
r = json.load(open(sys.argv[1]))
want = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    m = re.search(r"/\* LEAK (\w+) \*/", line)
    if m:
        want[m.group(1)] = n
sizes = {"a": 4096, "b": 8192, "c": 2048, "sub": 1024}
kinds = {"a": "cl_mem", "b": "cl_mem", "c": "cl_mem", "sub": "sub-buffer"}
got = {}
for g in r["survivor_groups"]:
    if g["runtime"] != "opencl" or g["held_by"] != "program":
        sys.exit("FAIL: group %s: runtime %s held_by %s" % (g["key"], g["runtime"], g["held_by"]))
    if g["closed_by"] != "clReleaseContext":
        sys.exit("FAIL: closed_by %s" % g["closed_by"])
    line = next((f["line"] for f in g["stack"] if f["file"] and f["file"].endswith("cl_prog.c")), None)
    for b in g["buffers"]:
        got[line] = (b["kind"], b["size"], b["handle"], b["parent"], g["stack"][0]["function"])
if len(got) != 4 or sum(g["count"] for g in r["survivor_groups"]) != 4:
    sys.exit("FAIL: expected the 4 objects on the LEAK lines %s, got %s" % (sorted(want.values()), got))
handles = {}
for k, line in want.items():
    if line not in got:
        sys.exit("FAIL: nothing reported created at cl_prog.c:%d (%s); got %s" % (line, k, got))
    kind, size, handle, parent, fn = got[line]
    if kind != kinds[k] or size != sizes[k]:
        sys.exit("FAIL: cl_prog.c:%d: %s of %d bytes, expected %s of %d" % (line, kind, size, kinds[k], sizes[k]))
    handles[k] = handle
if got[want["sub"]][3] != handles["a"]:
    sys.exit("FAIL: the sub-buffer's parent is %s, not buffer a %s" % (got[want["sub"]][3], handles["a"]))
if got[want["c"]][4] != "clCreateBufferWithProperties":
    sys.exit("FAIL: frame 0 of c is %s" % got[want["c"]][4])
if r["anomalies"]:
    sys.exit("FAIL: anomalies: %s" % r["anomalies"])
ctx = [d for d in r["devices"] if d["runtime"] == "opencl"]
if len(ctx) != 1 or ctx[0]["kind"] != "cl_context" or ctx[0]["survivors"]["count"] != 4 or ctx[0]["closed_ns"] is None:
    sys.exit("FAIL: devices: %s" % r["devices"])
print("leak: the 4 objects still referenced at the last clReleaseContext, on their lines, nothing else")
PY
"$BUFTRACE" report "$T" > "$WORK/leak.txt" || fail "text report failed"
grep -q "close at .*(clReleaseContext): cl_context 0x[0-9a-f]*: 4 memory objects still referenced, 15360 bytes" "$WORK/leak.txt" ||
	fail "text report: no close line: $(head -5 "$WORK/leak.txt")"
grep -q "1 sub-buffer, 1 KiB on cl_context" "$WORK/leak.txt" || fail "text report: no sub-buffer item"

# the other outputs work the same for this runtime
"$BUFTRACE" report --format folded "$T" > "$WORK/leak.folded" || fail "folded report failed"
grep -q ";objects;clCreateSubBuffer 1024$" "$WORK/leak.folded" || fail "folded: no sub-buffer line: $(cat "$WORK/leak.folded")"
"$BUFTRACE" report --format html -o "$WORK/leak.html" "$T" || fail "html report failed"
grep -q '"heading":"1 sub-buffer, 1 KiB on cl_context 0x' "$WORK/leak.html" || fail "html: no sub-buffer item"
grep -q '"label":"cl_context 0x' "$WORK/leak.html" || fail "html: no cl_context timeline"

run clean clean
[ "$(cat "$WORK/clean.rc")" = 0 ] || fail "cl_prog clean exited $(cat "$WORK/clean.rc")"
"$BUFTRACE" report --format json "$WORK"/clean/buftrace.*.zst > "$WORK/clean.json" || fail "report (clean) failed"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
if r["survivor_groups"] or r["anomalies"]:
    sys.exit("FAIL: clean run: %s %s" % (r["survivor_groups"], r["anomalies"]))
if not [d for d in r["devices"] if d["runtime"] == "opencl" and d["closed_ns"] is not None]:
    sys.exit("FAIL: clean run: no context closed")
' "$WORK/clean.json" || exit 1
echo "clean: nothing reported"
# diff: the leaked objects appear against the clean run (exit 3)
"$BUFTRACE" diff "$WORK/clean" "$WORK/leak" > "$WORK/diff.txt"
[ $? = 3 ] || fail "diff clean -> leak: exit not 3: $(cat "$WORK/diff.txt")"
# (paths are matched by function names: a and b, made in one function, are one)
grep -q "appeared  2 cl_mem, 12288 bytes" "$WORK/diff.txt" && grep -q "created by clCreateSubBuffer in objects" "$WORK/diff.txt" ||
	fail "diff: the creation paths did not appear: $(cat "$WORK/diff.txt")"

"$P" threads 4 > "$WORK/tplain.out" 2> "$WORK/tplain.err" || fail "cl_prog threads failed: $(cat "$WORK/tplain.err")"
run threads threads 4
[ "$(cat "$WORK/threads.rc")" = 0 ] || fail "cl_prog threads exited $(cat "$WORK/threads.rc"): $(cat "$WORK/threads.err")"
cmp -s "$WORK/tplain.out" "$WORK/threads.out" || fail "threads: recorded output differs: $(cat "$WORK/threads.out")"
"$BUFTRACE" dump --json "$WORK"/threads/buftrace.*.zst > "$WORK/threads.dump" || fail "dump failed"
python3 -c '
import json, sys, collections
n = collections.Counter()
tids = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["record"] == "EVENT":
        n[r["hook"]] += 1
        tids.add(r["tid"])
if n["clCreateContext"] != 4 or n["clReleaseContext"] != 4 or n["clCreateBuffer"] != 80 or n["clReleaseMemObject"] != 80:
    sys.exit("FAIL: threads: events do not balance: %s" % dict(n))
if len(tids) < 4:
    sys.exit("FAIL: threads: events from %d threads" % len(tids))
print("threads: 4 contexts, 80 buffers, each created and released, from %d threads" % len(tids))
' "$WORK/threads.dump" || exit 1
"$BUFTRACE" report --format json "$WORK"/threads/buftrace.*.zst > "$WORK/threads.json" || fail "report (threads) failed"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
if r["survivor_groups"] or r["anomalies"]:
    sys.exit("FAIL: threads: %s %s" % (r["survivor_groups"], r["anomalies"]))
' "$WORK/threads.json" || exit 1

mkdir -p "$WORK/off"
"$BUFTRACE" record --quiet --runtime tt-metal -o "$WORK/off" -- "$P" leak > /dev/null 2>&1
if ls "$WORK"/off/buftrace.*.zst > /dev/null 2>&1; then
	"$BUFTRACE" dump "$WORK"/off/buftrace.*.zst | grep -q "^EVENT" && fail "--runtime tt-metal recorded OpenCL calls"
fi
mkdir -p "$WORK/on"
"$BUFTRACE" record --quiet --runtime opencl -o "$WORK/on" -- "$P" leak > /dev/null 2>&1 || fail "--runtime opencl: record failed"
"$BUFTRACE" dump "$WORK"/on/buftrace.*.zst | grep -q "^EVENT.* clCreateSubBuffer exit" || fail "--runtime opencl recorded nothing"
echo "--runtime: tt-metal alone records no OpenCL call, opencl does"

# 5. From Python, through ctypes: the loader's names looked up with dlsym
#    are the recorder's trampolines, and the creation stack is the Python
#    line (PyDLL keeps the GIL, as pybind11 bindings do).
mkdir -p "$WORK/py"
"$BUFTRACE" record --quiet -o "$WORK/py" -- python3 "$TOP/tests/runtimes/cl_ctypes.py" > "$WORK/py.out" 2> "$WORK/py.err" ||
	fail "cl_ctypes.py failed recorded: $(cat "$WORK/py.err")"
"$BUFTRACE" report --format json "$WORK"/py/buftrace.*.zst > "$WORK/py.json" || fail "report (python) failed"
python3 - "$WORK/py.json" "$TOP/tests/runtimes/cl_ctypes.py" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
line = next(n for n, l in enumerate(open(sys.argv[2]), 1) if "# LEAK kept" in l)
g = r["survivor_groups"]
if len(g) != 1 or g[0]["count"] != 1 or g[0]["buffers"][0]["size"] != 3072:
    sys.exit("FAIL: python: expected the one 3072-byte buffer, got %s" % [(x["count"], x["bytes"]) for x in g])
frames = [(f["file"], f["line"], f["language"]) for f in g[0]["stack"]]
if not any(f and f.endswith("cl_ctypes.py") and l == line and lang == "python" for f, l, lang in frames):
    sys.exit("FAIL: python: no frame at cl_ctypes.py:%d in %s" % (line, frames))
print("python: the buffer left by cl_ctypes.py, created at its line %d" % line)
PY

# 6. Extension entry points the program gets by name: on a stand-in ICD
#    behind the real loader (tests/runtimes/fake_icd.c: Intel's USM, which
#    PoCL lacks), clGetExtensionFunctionAddress* hand out the recorder's
#    trampolines; the two USM allocations left at clReleaseContext are
#    reported on their lines, the one freed is not.
X=$BUILD/tests/cl_ext
[ -x "$X" ] && [ -r "$BUILD/tests/btfakeicd.icd" ] || fail "$X or the stand-in ICD not built (make runtime-progs)"
OCL_ICD_VENDORS=$BUILD/tests/btfakeicd.icd "$X" > "$WORK/ext.plain" 2>&1 || fail "cl_ext failed: $(cat "$WORK/ext.plain")"
mkdir -p "$WORK/ext"
OCL_ICD_VENDORS=$BUILD/tests/btfakeicd.icd "$BUFTRACE" record --quiet -o "$WORK/ext" -- "$X" > "$WORK/ext.out" 2>&1 ||
	fail "cl_ext failed recorded: $(cat "$WORK/ext.out")"
cmp -s "$WORK/ext.plain" "$WORK/ext.out" || fail "cl_ext: recorded output differs"
"$BUFTRACE" report --format json "$WORK"/ext/buftrace.*.zst > "$WORK/ext.json" || fail "report (ext) failed"
python3 - "$WORK/ext.json" "$TOP/tests/runtimes/cl_ext.c" <<'PY' || exit 1
import json, re, sys
r = json.load(open(sys.argv[1]))
want = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    m = re.search(r"/\* LEAK (\w+) \*/", line)
    if m:
        want[m.group(1)] = n
got = {}
for g in r["survivor_groups"]:
    line = next((f["line"] for f in g["stack"] if f["file"] and f["file"].endswith("cl_ext.c")), None)
    for b in g["buffers"]:
        got[line] = (b["kind"], b["size"])
exp = {want["d"]: ("USM device allocation", 4096), want["h"]: ("USM host allocation", 2048)}
if got != exp or r["anomalies"]:
    sys.exit("FAIL: extension entry points: expected %s, got %s (anomalies %s)" % (exp, got, r["anomalies"]))
print("extension entry points: the 2 USM allocations left, on their lines")
PY
