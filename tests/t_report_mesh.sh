#!/bin/sh
# Issue 12 "done when", on the fixture (tests/fixtures, 2026 MeshBuffer
# model) on every variant and both hosts (host_dlopen, python3 host.py):
# the report names the 3 control buffers on chip 0 with their init path
# (held by the runtime), the held tensor (TT_FIXTURE_HELD_TENSOR=1) as ONE
# mesh buffer on chips 0-7 created at a line of host.py (held by the
# program), the dangling program-cache buffer (TT_FIXTURE_DANGLING=1), no
# other survivor, chip ids 0-7 in every per-device line; the same with the
# constructor hook off (BUFTRACE_HOOKS_OFF=Device::Device) and with
# TT_FIXTURE_PATCHED_GT=1 (report identical but for times and pids), each
# on every variant and host.
. "$TESTLIB/common.sh"
need_fixture gnu
nm -D "$FIX/gnu/libtt_metal.so" 2>/dev/null | grep -q '10MeshBuffer6create' ||
	skip "the fixture has no MeshBuffer yet (issue 12 section 1, branch fixture)"

run() { # VARIANT HOST LABEL [ENV...]; report in $WORK/r.txt, $WORK/r.json
	v=$1; h=$2; label="$v/$h $3"; shift 3
	rm -rf "$WORK/out"; mkdir -p "$WORK/out"
	if [ "$h" = python ]; then
		set -- env "$@" TT_FIXTURE_HELD_TENSOR=1 TT_FIXTURE_DANGLING=1 "$BUFTRACE" record -o "$WORK/out" -- python3 "$TOP/tests/fixtures/host.py" "$FIX/$v"
	else
		set -- env "$@" TT_FIXTURE_HELD_TENSOR=1 TT_FIXTURE_DANGLING=1 "$BUFTRACE" record -o "$WORK/out" -- "$FIX/$v/$h"
	fi
	timeout 60 "$@" > "$WORK/rec.out" 2>&1 || fail "$label: record failed: $(tail -3 "$WORK/rec.out")"
	"$BUFTRACE" report "$WORK/out" > "$WORK/r.txt" || fail "$label: report failed"
	"$BUFTRACE" report --format json "$WORK/out" > "$WORK/r.json" || fail "$label: json report failed"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" || fail "$label: JSON does not match the schema"
	python3 - "$WORK/r.json" "$label" "$TOP/tests/fixtures/host.py" "$h" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); label = sys.argv[2]; hostpy = open(sys.argv[3]).read().splitlines(); host = sys.argv[4]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
g = r["survivor_groups"]
ctl = [x for x in g if not x["mesh_buffers"]]
mb = [x for x in g if x["mesh_buffers"]]
if len(ctl) != 1 or len(mb) != 1:
    die("expected the control buffers and one mesh buffer, got: " + "; ".join(f"{x['count']}x{x['bytes']} mb={x['mesh_buffers']} {x['key'][:60]}" for x in g))
c = ctl[0]
if (c["count"], c["bytes"], c["device_ids"], c["owns_data"], c["phase"], c["held_by"]) != (3, 12288, [0], False, "init", "runtime"):
    die(f"control buffers: {c['count']} {c['bytes']} {c['device_ids']} {c['owns_data']} {c['phase']} {c['held_by']}")
if not any(f["init_path"] and f["function"] and "Device::initialize" in f["function"] for f in c["stack"]):
    die("control buffers: init path does not name Device::initialize")
m = mb[0]
if m["mesh_buffers"] != 1 or m["device_ids"] != list(range(8)) or m["held_by"] != "program":
    die(f"mesh buffer: {m['mesh_buffers']} on {m['device_ids']} held by {m['held_by']}")
if set(b["size"] for b in m["buffers"] if not b["backing"]) != {4096}:
    die("mesh buffer: per-chip buffers not 4 KiB")
# two sources for one address: the chips' buffers are created at the
# address the mesh's allocator returned for the backing buffer (its
# allocate_buffer's result)
back = [b for b in m["buffers"] if b["backing"]]
chips = set(b["address"] for b in m["buffers"] if not b["backing"])
if len(back) != 1 or back[0]["address"] is None or chips != {back[0]["address"]}:
    die(f"mesh buffer: backing address {[b['address'] for b in back]} is not its chips' {sorted(chips, key=str)}")
if host == "python":
    py = [f for f in m["stack"] if f["language"] == "python" and f["file"] and f["file"].endswith("host.py")]
    if not py: die("mesh buffer: no host.py frame in its creation stack")
    if "tensor" not in hostpy[py[0]["line"] - 1].lower(): die(f"mesh buffer: host.py:{py[0]['line']} is not the line that makes the tensor")
if not r["dangling"] or any(x["held_by"] != "runtime" for x in r["dangling"]):
    die("the program-cache buffer is not reported dangling, held by the runtime")
for d in r["devices"]:
    if d["kind"] == "device" and d["device_id"] not in range(8): die(f"device id {d['device_id']}")
PY
	grep -q '^#[0-9]*  1 mesh buffer, 4 KiB of L1 on each of chips 0-7' "$WORK/r.txt" || fail "$label: no mesh-buffer line: $(grep '^#' "$WORK/r.txt")"
	# from Python, the verdict names the line that made the tensor (the
	# stack's innermost Python frame); a C host's has no Python line
	held=$(grep '^    held by the program: a tensor' "$WORK/r.txt")
	tline=$(grep -n 'return lib.ttnn_tensor_create' "$TOP/tests/fixtures/host.py" | head -1 | cut -d: -f1)
	if [ "$h" = python ]; then
		echo "$held" | grep -q "made at fixtures/host.py:$tline (make_tensor), still referenced when" ||
			fail "$label: the held tensor's line is not host.py:$tline (make_tensor): $held"
	else
		echo "$held" | grep -vq ' made at ' || fail "$label: a C host's tensor names a Python line: $held"
	fi
	# its buffers named by where they are, the backing buffer first
	grep -Eq '^    buffers: mesh [0-9]+ backing: (0x[0-9a-f]+)\(4096\), chip 0: \1\(4096\), chip 1: \1\(4096\)' "$WORK/r.txt" ||
		fail "$label: mesh buffer's buffers line: $(grep '^    buffers: mesh' "$WORK/r.txt")"
	if grep '^  close at' "$WORK/r.txt" | grep -v 'Mesh [0-9]' | grep -Evq 'Device [0-7]:'; then
		fail "$label: a per-device line without a chip id 0-7: $(grep '^  close at' "$WORK/r.txt" | grep -Ev 'Device [0-7]:|Mesh')"
	fi
	# times, pids and paths aside, for the identical-report check
	sed -e 's/+[0-9.]* s/+T s/g; s/pid [0-9]*/pid P/; s/buftrace\.[^ ]*\.zst/TRACE/g; s/[0-9]* events over [0-9.]* s/E events/' \
		"$WORK/r.txt" > "$WORK/r.norm"
}

# a sanitized build: python3 cannot load it, and the clang-built libcxx
# variant carries another ASan runtime than the gcc-built recorder
san=; nm -D --undefined-only "$FIX/gnu/libtt_metal.so" | grep -q '__[atu]*san_' && san=1
hosts="host_dlopen python"; [ -n "$san" ] && hosts=host_dlopen
for v in $(cd "$FIX" && ls); do
	[ -x "$FIX/$v/host_dlopen" ] || continue
	[ -n "$san" ] && [ "$v" = libcxx ] && continue
	for h in $hosts; do
		run "$v" $h base; cp "$WORK/r.norm" "$WORK/base.norm"
		run "$v" $h patched TT_FIXTURE_PATCHED_GT=1
		diff "$WORK/base.norm" "$WORK/r.norm" > "$WORK/d" ||
			fail "$v/$h: report differs with TT_FIXTURE_PATCHED_GT=1: $(head -5 "$WORK/d")"
		# without the constructor the chip ids come from IDevice::id()
		# through the vtable, which a sanitizer instruments: not called,
		# ids unknown
		if [ -z "$san" ]; then
			run "$v" $h no-ctor BUFTRACE_HOOKS_OFF=Device::Device
			# both at once: on the 2026 build only (make test's time)
			[ "$v" = gnu ] && run "$v" $h no-ctor-patched BUFTRACE_HOOKS_OFF=Device::Device TT_FIXTURE_PATCHED_GT=1
		fi
	done
done
for h in $hosts; do
	run gnu $h no-meshbuffer-hook BUFTRACE_HOOKS_OFF=MeshBuffer::create
done
exit 0
