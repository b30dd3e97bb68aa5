#!/bin/sh
# buftrace report on the field report's scenario: exactly the 3 control
# buffers survive on device 0 (L1, 12288 bytes, owns_data false, never
# registered), created at dispatch/system_memory_manager.cpp's
# Buffer::create line, during mesh init; the short-lived wrappers at the
# same addresses do not; fixed mode has none and diff proves it; JSON
# follows docs/report-schema.md; exit statuses for CI gates.
. "$TESTLIB/common.sh"
need_fixture gnu
src=$TOP/tests/fixtures/ttmetal/dispatch/system_memory_manager.cpp
line=$(grep -n 'Buffer::create(' "$src" | head -n 1 | cut -d: -f1)
[ -n "$line" ] || fail "cannot find the control-buffer create in $src"

check() { # DIR-with-traces LABEL
	"$BUFTRACE" report --format json "$1" > "$WORK/r.json"; rc=$?
	[ $rc = 0 ] || fail "$2: report exit $rc"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" || fail "$2: JSON does not match docs/report-schema.md"
	python3 - "$WORK/r.json" "$line" "$2" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1])); line = int(sys.argv[2]); label = sys.argv[3]
def die(m): print(f"FAIL: {label}: {m}"); sys.exit(1)
g = r["survivor_groups"]
if len(g) != 1: die(f"expected 1 survivor group, got {len(g)}: {[x['key'][:80] for x in g]}")
g = g[0]
want = dict(count=3, bytes=12288, device_ids=[0], buffer_types=["L1"], owns_data=False, allocator_registered=False, phase="init")
for k, v in want.items():
    if g[k] != v: die(f"{k} = {g[k]!r}, expected {v!r}")
if not g["open_call"] or ("open_mesh_device" not in g["open_call"] and "MeshDevice::create" not in g["open_call"]):
    die(f"open call {g['open_call']!r}")
st = g["stack"]
site = [f for f in st if (f["file"] or "").endswith("dispatch/system_memory_manager.cpp") and f["line"] == line]
if not site: die(f"no frame at system_memory_manager.cpp:{line}: {[(f['function'], f['line']) for f in st[:4]]}")
if not site[0]["init_path"]: die("creation site not marked init_path")
mesh = [f for f in st if f["function"] and "MeshDevice::create" in f["function"]]
if not mesh or not mesh[0]["init_path"]: die("MeshDevice::create missing from the init path")
mains = [f for f in st if f["function"] == "main"]
if not mains or mains[0]["init_path"]: die("main should be on the stack, outside the init path")
if st[0]["function"] is None or "Buffer::create" not in st[0]["function"]: die("stack[0] is not Buffer::create")
b = g["buffers"]
if sorted(x["size"] for x in b) != [4096] * 3 or len({x["address"] for x in b}) != 3: die(f"buffers {b}")
if any(x["fate"] != "destroyed_at_exit" for x in b): die(f"fates {[x['fate'] for x in b]}")
if r["dangling"]: die("unexpected dangling buffers")
if r["anomalies"]: die(f"unexpected anomalies {[a['kind'] for a in r['anomalies']]}")
d0 = [d for d in r["devices"] if d["kind"] == "device" and d["device_id"] == 0]
if not d0 or d0[0]["survivors"] != {"count": 3, "bytes": 12288, "by_type": {"L1": 12288}}: die(f"device 0 stats {d0}")
if sum(d["survivors"]["count"] for d in r["devices"]) != 3: die("survivors on other devices")
PY
}

run() { # VARIANT HOST DIR [env]
	mkdir -p "$3"
	"$BUFTRACE" record -o "$3" --quiet -- "$FIX/$1/$2" > /dev/null || fail "$1/$2 failed under record"
}

run gnu host_dlopen "$WORK/broken"
check "$WORK/broken" gnu
# the text a person reads
"$BUFTRACE" report "$WORK/broken" > "$WORK/r.txt" || fail "text report failed"
grep -q 'Device 0: Buffers: 3, L1: 12288 bytes' "$WORK/r.txt" || fail "no monitor-style line for device 0"
grep -q "dispatch/system_memory_manager.cpp:$line" "$WORK/r.txt" || fail "text report lacks the creation line"
grep -q 'never registered with an allocator' "$WORK/r.txt" || fail "text report lacks the allocator verdict"
awk 'length > 100 { bad = 1 } END { exit bad }' "$WORK/r.txt" || fail "text report wider than 100 columns"
grep -q "$(printf '\033')" "$WORK/r.txt" && fail "colour escapes in non-tty output"
# folded stacks: one line per group, weighted by bytes
[ "$("$BUFTRACE" report --format folded "$WORK/broken" | grep -c ' 12288$')" = 1 ] || fail "folded output"

# exit statuses
"$BUFTRACE" report --fail-on-survivors "$WORK/broken" > /dev/null; [ $? = 3 ] || fail "--fail-on-survivors did not exit 3"
TT_FIXTURE_FIXED=1 run gnu host_dlopen "$WORK/fixed"
"$BUFTRACE" report --fail-on-survivors "$WORK/fixed" > "$WORK/f.txt"; [ $? = 0 ] || fail "fixed run: exit not 0"
grep -q 'No buffer outlived' "$WORK/f.txt" || fail "fixed run reports survivors"
"$BUFTRACE" report "$WORK/nonexistent.zst" 2> "$WORK/err"; [ $? = 1 ] || fail "missing trace: exit not 1"
[ "$(wc -l < "$WORK/err")" = 1 ] && grep -q nonexistent "$WORK/err" || fail "missing trace: not one line naming the file"
"$BUFTRACE" report --bogus 2>/dev/null; [ $? = 2 ] || fail "usage error: exit not 2"

# diff proves the fix, and catches the regression
"$BUFTRACE" diff --format json "$WORK/broken" "$WORK/fixed" > "$WORK/d.json"; [ $? = 0 ] || fail "diff broken->fixed: exit not 0"
python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" diff "$WORK/d.json" || fail "diff JSON does not match the schema"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); g=d["groups"]; assert len(g)==1 and g[0]["status"]=="gone" and g[0]["before"]["count"]==3, d' "$WORK/d.json" || fail "diff did not show the group gone"
"$BUFTRACE" diff "$WORK/fixed" "$WORK/broken" > "$WORK/d.txt"; [ $? = 3 ] || fail "diff fixed->broken: exit not 3"
grep -q appeared "$WORK/d.txt" || fail "diff text does not say appeared"
# two runs of the same program: same paths, nothing new
run gnu host_dlopen "$WORK/again"
"$BUFTRACE" diff "$WORK/broken" "$WORK/again" > /dev/null; [ $? = 0 ] || fail "diff of two identical runs: exit not 0"

# the same answer from the other builds of the runtime
rm -rf "$WORK/z"; run zdebug host_dlopen "$WORK/z"; check "$WORK/z" "zstd-compressed debug sections"
rm -rf "$WORK/o"; run old host_dlopen "$WORK/o"; check "$WORK/o" "2025 Buffer::create signature"
rm -rf "$WORK/l"; run gnu host_linked "$WORK/l"; check "$WORK/l" "linked host"
# the next release renamed a parameter type: no exported name is known,
# Buffer::create is found by its demangled name and still read correctly
rm -rf "$WORK/n"; run next host_dlopen "$WORK/n"; check "$WORK/n" "renamed parameter type"
"$BUFTRACE" dump --json "$WORK/n"/*.zst > "$WORK/n.json"
grep -q '"record":"HOOK_RESOLVED".*"how":2,"symbol":"_ZN2tt8tt_metal6Buffer6createEPNS0_7IDeviceEmmmNS0_10BufferTypeERKNS0_18BufferShardingSpec' "$WORK/n.json" || fail "next: Buffer::create not matched by demangled name"
# (a sanitized clang build carries clang's ASan runtime, which cannot share
# a process with gcc's)
if [ -x "$FIX/libcxx/host_dlopen" ] && ! sanitized; then
	rm -rf "$WORK/c"; run libcxx host_dlopen "$WORK/c"; check "$WORK/c" "clang + libc++"
fi
echo "report OK (creation line $line)"
