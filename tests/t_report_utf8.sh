#!/bin/sh
# Names in any language: a Python script in a directory named "über",
# file "模型.py", function "größe", run with an argument holding a snowman
# and a byte that is not UTF-8.  The JSON and html reports are UTF-8: the
# names come out as they are (they were read as Latin-1, one \u00XX per
# byte: "Ã¼ber"), the stray byte as U+FFFD, and both parse.
. "$TESTLIB/common.sh"
need_fixture gnu
python3 -c 'import sys' 2>/dev/null || skip "no python3"
dir=$WORK/über
mkdir -p "$dir"
cat > "$dir/模型.py" <<'PY'
import ctypes, os, sys
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
def größe():
    return lib.ttnn_tensor_create(4096)
if lib.ttnn_open_mesh(1) != 0 or größe() < 0 or lib.ttnn_close_mesh() != 0:
    sys.exit(1)
PY
arg=$(printf 'snow\342\230\203 stray\377')
"$BUFTRACE" record -o "$WORK/t" --quiet -- python3 "$dir/模型.py" "$FIX/gnu" "$arg" || fail "record failed"
"$BUFTRACE" report --format json "$WORK/t" > "$WORK/r.json" || fail "json report failed"
"$BUFTRACE" report --format html -o "$WORK/r.html" "$WORK/t" || fail "html report failed"
python3 - "$WORK/r.json" "$WORK/r.html" <<'PY' || exit 1
import json, re, sys
def die(m): print("FAIL:", m); sys.exit(1)
def check(d, what):
    p = d["processes"][0]
    if not p["cmdline"].endswith("snow\u2603 stray\ufffd"):
        die(f"{what}: cmdline {p['cmdline']!r}")
    groups = d.get("survivor_groups") or p.get("survivors")
    frames = [f for g in groups for f in (g.get("stack") or [])]
    if frames and not any(f["function"] == "größe" and f["file"].endswith("über/模型.py") for f in frames):
        die(f"{what}: python frames {[(f['function'], f['file']) for f in frames if f.get('language') == 'python']}")
    return groups
try:
    r = json.load(open(sys.argv[1], encoding="utf-8"))
except (UnicodeDecodeError, ValueError) as e:
    die(f"json report: {e}")
if not check(r, "json report"):
    die("json report: no survivors")
page = open(sys.argv[2], encoding="utf-8").read()
data = json.loads(re.search(r'id="bt-data">\n(.*?)\n</script>', page, re.S).group(1))
check(data, "html page")
if not any(fr[0] == "größe" and "über/模型.py" in fr[1] for g in data["processes"][0]["survivors"] for fr in g["frames"]):
    die("html page: no frame größe in über/模型.py")
PY
