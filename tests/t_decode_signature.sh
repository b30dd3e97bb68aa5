#!/bin/sh
# Arguments decoded from each symbol's own signature (issue 12, section 2).
# Four libraries built from real-shaped declarations export every form of
# ../shared/ttmetal-abi.md (tests/progs/libbtsig*.cpp: the 2026 Device
# constructor with the chip id in ecx and seven stack eightbytes, the 2025
# one with it in esi, every Buffer::create form with and without an alias,
# libstdc++ and libc++ manglings, v0, MeshDevice::create/create_unit_mesh,
# MeshBuffer, both close_device forms) and print what each call received.
# Under the recorder, every decoded field in `buftrace dump --json` must
# equal what was passed; the forms whose layout cannot be known (a by-value
# class of unknown ABI before the fields) must be recorded as unknown, with
# no payload.  With the constructor hook off (BUFTRACE_HOOKS_OFF=
# Device::Device: what a unity build that inlined it looks like), the chip
# ids still come from Device::initialize (IDevice::id() via the vtable),
# also for a device closed and reopened, and the report names the chips;
# a vtable whose slot 3 is not id() gives no chip id (never a wrong one).
# `buftrace hooks` says per symbol where each field comes from.
. "$TESTLIB/common.sh"
T=$BUILD/tests
for l in 26 25 cxx v0 drift; do
	[ -f "$T/libbtsig$l.so" ] || fail "libbtsig$l.so not built"
done

# A sanitized build instruments IDevice::id() (shadow checks around its
# load): the recorder then refuses to call slot 3 (not a plain int getter)
# and the chip ids it would have read are unknown (-1), never wrong.
SAN=; nm -D --undefined-only "$T/libbtsig26.so" 2>/dev/null | grep -q '__[atu]*san_' && SAN=1
export SAN
check() { # LIB MODE: record LIB under sigdrive and compare
	lib=$1 mode=$2
	rm -rf "$WORK/out" && mkdir -p "$WORK/out"
	if [ "$mode" = ctor-off ]; then
		BUFTRACE_HOOKS_OFF=Device::Device "$BUFTRACE" record -o "$WORK/out" -- "$T/sigdrive" "$T/$lib" \
			> "$WORK/calls" 2> "$WORK/stderr" || fail "$lib: sigdrive failed under record: $(cat "$WORK/stderr")"
	else
		"$BUFTRACE" record -o "$WORK/out" -- "$T/sigdrive" "$T/$lib" \
			> "$WORK/calls" 2> "$WORK/stderr" || fail "$lib: sigdrive failed under record: $(cat "$WORK/stderr")"
	fi
	! grep -q BAD "$WORK/calls" || fail "$lib: arguments changed on the way through the recorder: $(grep BAD "$WORK/calls")"
	"$T/sigdrive" "$T/$lib" > "$WORK/calls.plain" || fail "$lib: sigdrive failed"
	[ "$(grep -c '^CALL' "$WORK/calls")" = "$(grep -c '^CALL' "$WORK/calls.plain")" ] || fail "$lib: calls differ under record"
	"$BUFTRACE" dump --json "$(only_trace)" > "$WORK/dump.json" || fail "$lib: dump failed"
	python3 - "$WORK/calls" "$WORK/dump.json" "$lib" "$mode" <<'PY' || exit 1
import json, sys
calls_f, dump_f, lib, mode = sys.argv[1:]
import os
SAN = bool(os.environ.get("SAN"))
def die(m): print(f"FAIL: {lib} ({mode}): {m}"); sys.exit(1)
TYPES = {"DRAM": 0, "L1": 1, "SYSTEM_MEMORY": 2, "L1_SMALL": 3, "TRACE": 4}
def num(v):
    if v is None: return None
    if isinstance(v, str): return TYPES[v] if v in TYPES else int(v, 16) if v.startswith("0x") else int(v)
    return v
# what each form received
calls = {}
for line in open(calls_f):
    if not line.startswith("CALL "): continue
    _, hook, rest = line.rstrip("\n").split(" ", 2)
    calls.setdefault(hook, []).append(None if rest == "unknown" else {k: int(v) for k, v in (kv.split("=") for kv in rest.split())})
ev = [r for r in map(json.loads, open(dump_f)) if r["record"] == "EVENT"]
ev.sort(key=lambda e: e["seq"])
info = {r["name"]: r for r in map(json.loads, open(dump_f)) if r["record"] == "HOOK_INFO"}
# results are read after the call, through the hidden result pointer
RESULTS = {"buffer", "mesh_buffer"} | {"mesh", "mesh_id"}
RESULT_HOOKS = {"Buffer::create", "Buffer::create@address", "MeshDevice::create", "MeshDevice::create_unit_mesh", "MeshBuffer::create"}
at_exit = {"Buffer::create", "Buffer::create@address"}
checked = 0
for hook, want in calls.items():
    if mode == "ctor-off" and hook == "Device::Device":
        if any(e["hook"] == hook for e in ev): die("Device::Device recorded although switched off")
        continue
    # one "call" per entry (or per exit of a hook recorded after return)
    got = []
    for e in ev:
        if e["hook"] != hook: continue
        if e["phase"] == "enter" or (hook in at_exit and e["phase"] == "exit"):
            got.append({"first": e, "exit": e if e["phase"] == "exit" else None})
        elif got and got[-1]["exit"] is None:
            got[-1]["exit"] = e
    if len(got) != len(want): die(f"{hook}: {len(want)} calls made, {len(got)} recorded")
    for w, g in zip(want, got):
        e = g["first"]
        if w is None:
            # unknown layout: recorded as such, no payload, never a guess
            if not e["unknown_layout"] or e["args"]: die(f"{hook}: an unknown layout was decoded: {e}")
            checked += 1
            continue
        if e["unknown_layout"]: die(f"{hook}: a known form recorded as unknown layout")
        for k, v in w.items():
            result = hook in RESULT_HOOKS and k in RESULTS
            if result and e["entry_only"]:
                # matched by name: only the entry is seen; a result is
                # never guessed
                r = num(e["args"].get(k))
                if r not in (0, None): die(f"{hook}: entry-only {k}={r}, expected none")
                continue
            src = g["exit"] if result else e
            if src is None: die(f"{hook}: no exit event for {k}")
            if SAN and k == "chip_id" and hook in ("Device::initialize", "Device::close") and num(src["args"].get(k)) == -1:
                continue
            if num(src["args"].get(k)) != v:
                die(f"{hook} field {k}: decoded {src['args'].get(k)}, the call received {v} ({src})")
            checked += 1
# Device::initialize always carries the chip id (IDevice::id() via the vtable)
if "Device::initialize" in calls and lib != "libbtsigdrift.so" and not SAN:
    ids = {num(e["args"]["device"]): e["args"]["chip_id"] for e in ev
           if e["hook"] == "Device::initialize" and e["phase"] == "enter"}
    if not ids or -1 in ids.values(): die(f"Device::initialize without a chip id: {ids}")
print(f"{lib} ({mode}): {checked} fields equal to what the calls received")
PY
}

for l in 26 25 cxx v0 drift; do
	check libbtsig$l.so all
done
# the constructor never seen: chip ids from Device::initialize (not from a
# vtable whose slot 3 is something else: libbtsigdrift expects -1)
for l in drift 26 25; do
	check libbtsig$l.so ctor-off
done
# ... and the analyzer uses them: chips 0-7, the reopened one included
"$BUFTRACE" report --format json "$(only_trace)" > "$WORK/report.json" || true
python3 - "$WORK/report.json" <<'PY' || exit 1
import json, os, sys
d = json.load(open(sys.argv[1]))
ids = [x["device_id"] for x in d["devices"] if x["kind"] == "device"]
if os.environ.get("SAN"):
    # ids unknown under a sanitizer (see SAN above): none may be wrong
    if any(i is not None and i >= 0 and i not in [0, 1, 2, 3] for i in ids): print(f"FAIL: ctor-off report: wrong chip ids {ids}"); sys.exit(1)
elif sorted(ids) != [0, 1, 2, 3]: print(f"FAIL: ctor-off report: chips {sorted(ids)}, expected 0-3"); sys.exit(1)
PY
check libbtsig26.so ctor-off
"$BUFTRACE" report --format json "$(only_trace)" > "$WORK/report.json" || true
python3 - "$WORK/report.json" <<'PY' || exit 1
import json, os, sys
d = json.load(open(sys.argv[1]))
ids = [x["device_id"] for x in d["devices"] if x["kind"] == "device"]
if os.environ.get("SAN"):
    # ids unknown under a sanitizer (see SAN above): none may be wrong
    if any(i is not None and i >= 0 and i not in list(range(8)) for i in ids): print(f"FAIL: ctor-off report: wrong chip ids {ids}"); sys.exit(1)
# chip 5 closed and opened again: a device per opening, each with its close
elif sorted(ids) != [0, 1, 2, 3, 4, 5, 5, 6, 7]: print(f"FAIL: ctor-off report: chips {sorted(ids)}, expected 0-7, 5 twice"); sys.exit(1)
PY

# buftrace hooks: per symbol, where each field comes from, or why not
"$BUFTRACE" hooks "$T/libbtsig26.so" > "$WORK/hooks" || fail "hooks failed"
grep -q '^    interposed _ZN2tt8tt_metal6DeviceC1EPNS0_8MetalEnvEPNS0_12MetalContextEihmmSt4spanIKjLm18446744073709551615EEbjjm in libbtsig26.so: device=rdi chip_id=int rcx$' "$WORK/hooks" ||
	fail "hooks: the 2026 constructor's chip id is not shown in rcx: $(grep DeviceC1 "$WORK/hooks")"
grep -q '^    call only  _ZN2tt8tt_metal6Buffer6createEPNS0_7IDeviceENS0_10DeviceSpecEmmNS0_10BufferTypeE in libbtsig26.so: unknown layout: parameter tt::tt_metal::DeviceSpec' "$WORK/hooks" ||
	fail "hooks: the unknown form is not reported as such"
grep -q 'MeshBuffer6create.*mesh_buffer=result via rdi mesh=rcx address=optional r8$' "$WORK/hooks" || fail "hooks: MeshBuffer::create fields"
"$BUFTRACE" hooks "$T/libbtsig25.so" > "$WORK/hooks" || fail "hooks failed"
grep -q '^    by name    _ZN2tt8tt_metal6Buffer6createEPNS0_6DeviceEmmmNS0_10BufferTypeE.*address=rdx size=rcx page_size=r8 type=enum r9$' "$WORK/hooks" ||
	fail "hooks: the Device* address form"
grep -q '^    by name    _ZN2tt8tt_metal6DeviceC1EihmmSt4span.*chip_id=int rsi$' "$WORK/hooks" || fail "hooks: the 2025 constructor"
exit 0
