#!/bin/sh
# One process opens a 2-chip mesh four times (a device fixture per test),
# each time holding a tensor of its own size past the close.  Every mesh's
# chips are devices of their own, though the runtime gives their objects
# the addresses of the ones it freed before: the report had merged them
# (one close line for four, survivors summed), headed the tensors with the
# first one's size ("1 KiB" for 1 to 4 KiB), and taken chip 0's control
# buffers of two meshes, same addresses and same code, for the per-chip
# buffers of a MeshBuffer ("held by the program: a tensor").
. "$TESTLIB/common.sh"
need_fixture gnu
python3 -c 'import sys' 2>/dev/null || skip "no python3"
prog=$TOP/tests/progs/py_reopen.py
python3 "$prog" "$FIX/gnu" > "$WORK/plain" 2>&1 || fail "the program fails without buftrace"
"$BUFTRACE" record -o "$WORK/t" --quiet -- python3 "$prog" "$FIX/gnu" > "$WORK/rec" 2>&1 || fail "record failed"
cmp -s "$WORK/plain" "$WORK/rec" || fail "output changed under record"
"$BUFTRACE" report "$WORK/t" > "$WORK/r.txt" || fail "report failed"
"$BUFTRACE" report --format json "$WORK/t" > "$WORK/r.json" || fail "json report failed"
"$BUFTRACE" report --format html -o "$WORK/r.html" "$WORK/t" || fail "html report failed"
python3 - "$WORK/r.txt" "$WORK/r.json" "$WORK/r.html" <<'PY' || exit 1
import json, re, sys
text, r, html = open(sys.argv[1]).read(), json.load(open(sys.argv[2])), open(sys.argv[3]).read()
def die(m): print("FAIL:", m); sys.exit(1)
# one close line per chip of each mesh, its own survivors: chip 0 has the
# 3 control buffers (12 KiB) and its tensor's buffer, chip 1 the tensor's
closes = re.findall(r"close at \+[\d.]+ s \(ttnn::distributed::close_mesh_device\): Device (\d) \(mesh (\d)\): Buffers: (\d+), L1: (\d+) bytes", text)
want = sorted((str(c), str(k), str(4 if c == 0 else 1), str((12288 if c == 0 else 0) + 1024 * (k + 1))) for c in (0, 1) for k in range(4))
if sorted(closes) != want:
    die(f"close lines {sorted(closes)}, want {want}\n" + text[:1500])
chips = [d for d in r["devices"] if d["kind"] == "device"]
got = sorted((d["device_id"], d["mesh_id"], d["survivors"]["count"]) for d in chips)
if got != sorted((c, k, 4 if c == 0 else 1) for c in (0, 1) for k in range(4)):
    die(f"json devices (chip, mesh, survivors): {got}")
ctl = [g for g in r["survivor_groups"] if g["phase"] == "init"]
if len(ctl) != 1 or ctl[0]["count"] != 12 or ctl[0]["mesh_buffers"] or ctl[0]["held_by"] != "runtime":
    die(f"control buffers: {[(g['count'], g['mesh_buffers'], g['held_by']) for g in ctl]}, want one item of 12, held by the runtime")
if not re.search(r"^#\d  12 buffers, 48 KiB of L1 on device 0 \(meshes 0-3\)$", text, re.M):
    die("control buffers' heading: " + str(re.findall(r"^#.*", text, re.M)))
t = [g for g in r["survivor_groups"] if g["mesh_buffers"]]
if len(t) != 1 or t[0]["mesh_buffers"] != 4 or t[0]["mesh_buffer_source"] != "hook":
    die(f"tensors: {[(g['mesh_buffers'], g['mesh_buffer_source']) for g in t]}")
head = "4 mesh buffers, 1 KiB to 4 KiB of L1 on each of chips 0,1 (+ backing buffers on meshes 0-3)"
if not re.search(r"^#\d  " + re.escape(head) + "$", text, re.M):
    die("tensors' heading: " + str(re.findall(r"^#.*", text, re.M)))
# the html page says the same, and has a row for each chip of each mesh
if json.dumps(head)[1:-1] not in html or "48 KiB of L1 on device 0 (meshes 0-3)" not in html:
    die("html headings differ from the text report's")
for c in (0, 1):
    for k in range(4):
        if f'"label":"chip {c} (mesh {k})"' not in html:
            die(f"html: no row for chip {c} of mesh {k}")
PY
