#!/bin/sh
# A report that speaks MeshBuffer, on a stand-in with tt-metal's real 2026
# mangled names (tests/progs/libbtmesh.cpp: MeshDevice::create opens chips
# 0-7; a MeshBuffer is a backing Buffer on the mesh plus one address
# Buffer per chip).  A tensor still held at close_mesh_device is ONE item,
# "1 mesh buffer, 4 KiB of L1 on each of chips 0-7 (+ backing buffer on
# mesh 0)", held by the program, with the line that made it; the mesh is
# never counted as a chip; with MeshBuffer::create switched off the
# per-chip buffers are still one mesh buffer (shared address and stack);
# a tensor freed before the close is silent; JSON follows the schema.
. "$TESTLIB/common.sh"
lib=$BUILD/tests/libbtmesh.so
[ -f "$lib" ] || fail "$lib not built"
line=$(grep -n 'return distributed::MeshBuffer::create' "$TOP/tests/progs/libbtmesh.cpp" | cut -d: -f1)

run() { # LABEL [ENV...]
	label=$1; shift
	rm -rf "$WORK/m"; mkdir -p "$WORK/m"
	env "$@" "$BUFTRACE" record -o "$WORK/m" -- "$BUILD/tests/sigdrive" "$lib" > "$WORK/rec.out" 2>&1 ||
		fail "$label: record failed: $(cat "$WORK/rec.out")"
	"$BUFTRACE" report "$WORK/m" > "$WORK/r.txt" || fail "$label: report failed"
	"$BUFTRACE" report --format json "$WORK/m" > "$WORK/r.json" || fail "$label: json report failed"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" ||
		fail "$label: JSON does not match docs/report-schema.md"
}

# the held tensor, MeshBuffer hooks seen
run hooked BTMESH_HELD=1
grep -q '^#1  1 mesh buffer, 4 KiB of L1 on each of chips 0-7 (+ backing buffer on mesh 0)$' "$WORK/r.txt" ||
	fail "hooked: no single mesh-buffer item: $(grep '^#' "$WORK/r.txt")"
[ "$(grep -c '^#[0-9]' "$WORK/r.txt")" = 1 ] || fail "hooked: more than one item: $(grep '^#' "$WORK/r.txt")"
grep -q 'held by the program' "$WORK/r.txt" || fail "hooked: verdict not 'held by the program'"
grep -Eq "make_tensor .*libbtmesh.cpp:($line|$((line + 1)))\$" "$WORK/r.txt" || fail "hooked: creation line $line not shown"
for c in 0 1 2 3 4 5 6 7; do
	grep -q "close_mesh_device): Device $c: Buffers: 1, L1: 4096 bytes" "$WORK/r.txt" || fail "hooked: chip $c line wrong"
done
grep -q 'Device 8\|Device -1' "$WORK/r.txt" && fail "hooked: a device that is no chip"
grep -q 'Mesh 0: Buffers: 1' "$WORK/r.txt" || fail "hooked: the backing buffer not on mesh 0"
python3 - "$WORK/r.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
def die(m): print("FAIL: hooked json: " + m); sys.exit(1)
g = r["survivor_groups"]
if len(g) != 1: die(f"{len(g)} groups")
g = g[0]
if g["mesh_buffers"] != 1 or g["mesh_buffer_source"] != "hook" or g["held_by"] != "program": die(str({k: g[k] for k in ("mesh_buffers", "mesh_buffer_source", "held_by")}))
if g["device_ids"] != list(range(8)) or g["mesh_ids"] != [0]: die(f"device_ids {g['device_ids']} mesh_ids {g['mesh_ids']}")
if g["count"] != 9 or sum(b["backing"] for b in g["buffers"]) != 1: die("buffers")
if [b["device_kind"] for b in g["buffers"]].count("mesh") != 1: die("device_kind")
kinds = sorted((d["kind"], d["device_id"], d["mesh_id"]) for d in r["devices"])
if [k for k in kinds if k[0] == "device"] != [("device", i, 0) for i in range(8)]: die(f"devices {kinds}")
PY

# MeshBuffer::create not seen (inlined): grouped by shared address and stack
run inlined BTMESH_HELD=1 BUFTRACE_HOOKS_OFF=MeshBuffer::create
grep -q '^#1  1 mesh buffer, 4 KiB of L1 on each of chips 0-7 (+ backing buffer on mesh 0)$' "$WORK/r.txt" ||
	fail "inlined: per-chip buffers not one mesh buffer: $(grep '^#' "$WORK/r.txt")"
[ "$(grep -c '^#[0-9]' "$WORK/r.txt")" = 1 ] || fail "inlined: more than one item: $(grep '^#' "$WORK/r.txt")"
python3 -c 'import json,sys; g=json.load(open(sys.argv[1]))["survivor_groups"]; sys.exit(0 if any(x["mesh_buffer_source"]=="shared_address" and x["mesh_buffers"]==1 for x in g) else 1)' "$WORK/r.json" ||
	fail "inlined: json mesh_buffer_source is not shared_address"

# every tensor freed before the close: silent
for off in "" MeshBuffer::create; do
	run "freed$off" BUFTRACE_HOOKS_OFF=$off
	grep -q '^No buffer outlived the close of its device.$' "$WORK/r.txt" || fail "freed $off: false survivors: $(grep '^#' "$WORK/r.txt")"
done

# dump --summary counts calls, not entry and exit events
"$BUFTRACE" dump --summary "$WORK"/m/buftrace.*.zst > "$WORK/s.txt" || fail "dump --summary failed"
grep -Eq '^Device::initialize +8 ' "$WORK/s.txt" || fail "dump --summary: Device::initialize not 8 calls: $(grep initialize "$WORK/s.txt")"
grep -Eq '^MeshBuffer::~MeshBuffer +1 ' "$WORK/s.txt" || fail "dump --summary: ~MeshBuffer not 1 call: $(grep MeshBuffer "$WORK/s.txt")"
exit 0
