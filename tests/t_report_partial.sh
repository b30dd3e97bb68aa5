#!/bin/sh
# What the analyzer makes of harder traces:
# - dangling: an owning buffer held past close_mesh_device, its memory freed
#   in bulk by the allocator teardown (TT_FIXTURE_DANGLING);
# - anomalies: a double DeallocateBuffer and a DeallocateBuffer after close
#   (TT_FIXTURE_ANOMALIES), each flagged with its stack;
# - release-unknown: with every creating hook off, releases are of buffers
#   never seen created;
# - partial visibility: with the Buffer::create hooks off (what a unity
#   build that inlined them shows), the survivors are still found through
#   GraphTracker::track_allocate, at the same source line, and no owning
#   buffer is mistaken for one.  Upstream's address overload tells no one,
#   so this runs the field report's patched build (TT_FIXTURE_PATCHED_GT=1),
#   where GraphTracker is the survivors' only other trace.
. "$TESTLIB/common.sh"
need_fixture gnu
line=$(grep -n 'Buffer::create(' "$TOP/tests/fixtures/ttmetal/dispatch/system_memory_manager.cpp" | head -n 1 | cut -d: -f1)
rep() { # NAME ENV...: record host_dlopen with ENV, report JSON into $WORK/NAME.json
	n=$1; shift
	mkdir -p "$WORK/$n"
	env "$@" "$BUFTRACE" record -o "$WORK/$n" --quiet -- "$FIX/gnu/host_dlopen" > /dev/null || fail "$n: run failed"
	"$BUFTRACE" report --format json "$WORK/$n" > "$WORK/$n.json" || fail "$n: report failed"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/$n.json" || fail "$n: schema"
}
rep dangling TT_FIXTURE_DANGLING=1
rep anomalies TT_FIXTURE_ANOMALIES=1
rep hidden TT_FIXTURE_PATCHED_GT=1 BUFTRACE_HOOKS_OFF=Buffer::create,Buffer::create@address
# nothing shows a buffer being made: every release is of an unknown buffer
rep blind BUFTRACE_HOOKS_OFF=Buffer::create,Buffer::create@address,GraphTracker::track_allocate,AllocatorImpl::allocate_buffer,Buffer::allocate_impl
python3 - "$WORK" "$line" <<'PY' || exit 1
import json, sys
w, line = sys.argv[1], int(sys.argv[2])
def die(m): print("FAIL: " + m); sys.exit(1)
def load(n): return json.load(open(f"{w}/{n}.json"))
d = load("dangling")
if len(d["survivor_groups"]) != 1 or d["survivor_groups"][0]["count"] != 3: die("dangling run: survivors changed")
g = d["dangling"]
if len(g) != 1: die(f"dangling groups: {len(g)}")
g = g[0]
if (g["count"], g["bytes"], g["owns_data"], g["allocator_registered"], g["device_ids"]) != (1, 8192, True, True, [7]):
    die(f"dangling group {g['count'], g['bytes'], g['owns_data'], g['allocator_registered'], g['device_ids']}")
if not any(f["function"] and "keep_scratch_buffer" in f["function"] for f in g["stack"]): die("dangling stack")
if d["anomalies"]: die(f"dangling run has anomalies {[a['kind'] for a in d['anomalies']]}")
a = load("anomalies")
kinds = {x["kind"]: x for x in a["anomalies"]}
if set(kinds) != {"double-deallocate", "release-after-close"}: die(f"anomaly kinds {sorted(kinds)}")
dd = kinds["double-deallocate"]
if not any(f["function"] and "deallocate_twice" in f["function"] for f in dd["stack"]): die("double-deallocate stack")
if not any(f["function"] and "close_mesh" in f["function"] for f in kinds["release-after-close"]["stack"]): die("release-after-close stack")
h = load("hidden")
s = h["survivor_groups"]
if len(s) != 1 or s[0]["count"] != 3: die(f"hidden creates: survivors {[(x['count'], x['key'][:50]) for x in s]}")
s = s[0]
if s["owns_data"] is not None: die("owns_data should be unknown without the create call")
if not any((f["file"] or "").endswith("system_memory_manager.cpp") and f["line"] == line for f in s["stack"]): die("creation line lost")
if h["dangling"] or h["anomalies"]: die("hidden creates: spurious dangling/anomalies")
b = load("blind")
ru = [x for x in b["anomalies"] if x["kind"] == "release-unknown"]
if not ru or sum(x["count"] for x in ru) < 64: die(f"release of unknown buffers not flagged: {[(x['kind'], x['count']) for x in b['anomalies']]}")
if b["survivor_groups"]: die("blind run: survivors from nothing")
PY
echo "partial traces OK"
