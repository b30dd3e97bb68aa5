#!/bin/sh
# The recorder on the look-alike runtime, loaded at start (host_linked)
# and through dlopen(RTLD_LOCAL) of a module that depends on it
# (host_dlopen, the way Python loads tt-metal): the dump holds exactly the
# expected events with their payloads, and stacks through the callers.
. "$TESTLIB/common.sh"
need_fixture gnu
for host in host_dlopen host_linked; do
	rm -rf "$WORK/out"
	record gnu $host --iterations 2 > "$WORK/stdout" 2> "$WORK/stderr" || fail "$host exited non-zero under record"
	grep -q '3 alive' "$WORK/stdout" || fail "$host: program output changed: $(cat "$WORK/stdout")"
	trace=$(only_trace)
	grep -q "buftrace: trace $trace" "$WORK/stderr" || fail "record did not list $trace"
	python3 - "$BUFTRACE" "$trace" "$host" <<'PY' || exit 1
import sys; sys.path.insert(0, __import__("os").environ["TESTLIB"])
from trace import load, Symbols
recs, rc, err = load(sys.argv[1], sys.argv[2])
host = sys.argv[3]
def die(msg): print(f"FAIL: {host}: {msg}"); sys.exit(1)
if rc != 0: die(f"dump exit {rc}: {err}")
ev = [r for r in recs if r["record"] == "EVENT"]
ev.sort(key=lambda e: e["seq"])
if [e["seq"] for e in ev] != list(range(ev[0]["seq"], ev[0]["seq"] + len(ev))): die("sequence numbers not contiguous")
syms = Symbols(recs)
# chip ids: Device::Device events give device pointer -> chip id
chips = {e["args"]["device"]: e["args"]["chip_id"] for e in ev if e["hook"] == "Device::Device" and "chip_id" in e["args"]}
if sorted(chips.values()) != list(range(8)): die(f"expected chips 0..7, got {sorted(chips.values())}")
at = [e for e in ev if e["hook"] == "Buffer::create@address" and e["phase"] == "exit"]
ctrl = at[:3]
if len(at) != 59:
    die(f"expected 59 creations at an address (3 control; per iteration 3 re-wraps, 3 tensors x 8 chips, 1 view), got {len(at)}")
for e in ctrl:
    a = e["args"]
    if chips.get(a["device"]) != 0 or a["type"] != "L1" or a["size"] != 4096: die(f"control buffer payload wrong: {a}")
    fr = syms.frames(e["stack"])
    text = " | ".join(fr)
    if "SystemMemoryManager" not in text or "MeshDevice::create" not in text: die(f"control stack lacks init path: {text}")
    if "main" not in fr: die(f"stack does not reach main: {text}")
addrs = [e["args"]["address"] for e in ctrl]
short = [e for e in at[3:] if e["args"]["address"] in addrs]
if len(short) != 6: die(f"expected 6 re-wraps of the control regions, got {len(short)}")
sizes = sorted(e["args"]["size"] for e in short[:3])
if sizes != [2048, 4096, 4096]: die(f"short-lived sizes {sizes}")
# the rest: tensors' per-chip buffers, 8 at each address, and views
per_addr = {}
for e in at[3:]:
    if e["args"]["address"] not in addrs:
        per_addr.setdefault(e["args"]["address"], set()).add(chips.get(e["args"]["device"]))
if not per_addr or not all(set(range(8)) <= c or len(c) == 1 for c in per_addr.values()):
    die(f"tensor buffers not one per chip: {per_addr}")
# every owning buffer is released: create -> ~Buffer on the same object
live = {}
for e in ev:
    if e["hook"] == "Buffer::create" and e["phase"] == "exit": live[e["args"]["buffer"]] = live.get(e["args"]["buffer"], 0) + 1
    if e["hook"] == "Buffer::~Buffer" and e["args"]["buffer"] in live:
        live[e["args"]["buffer"]] -= 1
        if not live[e["args"]["buffer"]]: del live[e["args"]["buffer"]]
if live: die(f"{len(live)} owning buffers never destroyed")
owning = sum(1 for e in ev if e["hook"] == "Buffer::create" and e["phase"] == "exit")
allocs = sum(1 for e in ev if e["hook"] == "AllocatorImpl::allocate_buffer")
if owning == 0 or owning != allocs: die(f"{owning} owning creates vs {allocs} allocator registrations")
end = [r for r in recs if r["record"] == "END"]
if len(end) != 1 or end[0]["events"] != len(ev): die("END record missing or event count differs")
print(f"{host}: {len(ev)} events OK")
PY
done
