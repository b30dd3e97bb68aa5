#!/bin/sh
# The Python line a held tensor is blamed on (`python_origin`, "made at"):
# the program's own line, past the library code between a model and the
# runtime.  A model calls a from_torch look-alike behind a decorator, as
# ttnn.from_torch (ttnn/ttnn/operations/core.py) sits behind ttnn's
# operation decorators; the tensor is still held at the close.  With the
# wrapper in an installed package (site-packages) or in a tt-metal source
# tree (ttnn/ttnn/), the text report, the JSON and the html page name the
# model's line; with the same wrapper in the model's own directory, its
# innermost frame is the program's own code and is named instead.
. "$TESTLIB/common.sh"
need_fixture gnu
nm -D --undefined-only "$FIX/gnu/libtt_metal.so" | grep -q '__[atu]*san_' &&
	skip "a sanitized fixture: python3 cannot load it"
py=$(python3 -c 'import sys; print(sys.executable)') || skip "no python3"
mkdir -p "$WORK/proj"
cat > "$WORK/proj/model.py" <<'PY'
import ctypes, os, sys
sys.path.insert(0, sys.argv[2])
import ops
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
lib.ttnn_tensor_release.argtypes = [ctypes.c_long]
if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
held = ops.from_torch(lib, 4096)  # the model's line
if lib.ttnn_close_mesh() != 0:
    sys.exit(1)
lib.ttnn_tensor_release(held)
print("model: done")
PY
ops='def register(f):
    def __call__(*args, **kwargs):
        return f(*args, **kwargs)
    return __call__


@register
def from_torch(lib, n):
    return lib.ttnn_tensor_create(n)
'
model_line=$(grep -n "the model's line" "$WORK/proj/model.py" | cut -d: -f1)
case_() { # LABEL DIR-OF-OPS EXPECTED-FILE-SUFFIX EXPECTED-LINE EXPECTED-FUNCTION
	label=$1; dir=$2; want_file=$3; want_line=$4; want_fn=$5
	mkdir -p "$dir"
	printf '%s' "$ops" > "$dir/ops.py"
	rm -rf "$WORK/t"
	"$BUFTRACE" record -o "$WORK/t" --quiet -- "$py" "$WORK/proj/model.py" "$FIX/gnu" "$dir" > "$WORK/out" 2>&1 ||
		fail "$label: the model failed under record: $(tail -3 "$WORK/out")"
	grep -q 'model: done' "$WORK/out" || fail "$label: output changed: $(cat "$WORK/out")"
	"$BUFTRACE" report "$WORK/t" > "$WORK/r.txt" || fail "$label: report failed"
	held=$(grep '^    held by the program: a tensor' "$WORK/r.txt")
	short=$(echo "$want_file" | awk -F/ '{print $(NF-1) "/" $NF}')
	echo "$held" | grep -qF "made at $short:$want_line ($want_fn), still referenced" ||
		fail "$label: text: not made at $short:$want_line ($want_fn): $held"
	"$BUFTRACE" report --format json "$WORK/t" > "$WORK/r.json" || fail "$label: json report failed"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" || fail "$label: JSON does not match the schema"
	python3 - "$WORK/r.json" "$label" "$want_file" "$want_line" "$want_fn" <<'PYCHECK' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); label, want_file, want_line, want_fn = sys.argv[2], sys.argv[3], int(sys.argv[4]), sys.argv[5]
g = [x for x in r["survivor_groups"] if x["held_by"] == "program"]
if len(g) != 1: sys.exit(f"FAIL: {label}: {len(g)} groups held by the program")
o = g[0]["python_origin"]
if not o or not o["file"].endswith(want_file) or o["line"] != want_line or o["function"] != want_fn:
    sys.exit(f"FAIL: {label}: python_origin {o}, expected ...{want_file}:{want_line} ({want_fn})")
# the frames in between are all still in the stack
fns = [f["function"] for f in g[0]["stack"] if f["language"] == "python"]
if len(fns) < 3 or fns[0] != "from_torch" or not fns[1].endswith("__call__") or fns[2] != "<module>":
    sys.exit(f"FAIL: {label}: Python frames {fns}")
ctl = [x for x in r["survivor_groups"] if x["held_by"] == "runtime"]
if not ctl or ctl[0]["python_origin"] is None or ctl[0]["python_origin"]["line"] != 8:
    sys.exit(f"FAIL: {label}: the control buffers' origin {ctl[0]['python_origin'] if ctl else None} is not the open call's line 8")
PYCHECK
	"$BUFTRACE" report --format html -o "$WORK/r.html" "$WORK/t" || fail "$label: html report failed"
	grep -qF "\"made_at\":\"$short:$want_line ($want_fn)\"" "$WORK/r.html" ||
		fail "$label: html: made_at is not $short:$want_line ($want_fn): $(grep -o '"made_at":[^,]*' "$WORK/r.html" | head -3)"
}
case_ site-packages "$WORK/venv/lib/python3.11/site-packages/fakettnn" proj/model.py "$model_line" "<module>"
case_ tt-metal-tree "$WORK/src/tt-metal/ttnn/ttnn/operations" proj/model.py "$model_line" "<module>"
# the same wrapper in the program's own directory: its own code, named
case_ own-code "$WORK/proj/lib" proj/lib/ops.py 9 from_torch
echo "python origin OK"
