#!/bin/sh
# More of the report: several traces at once (a run that forked and
# exec'd), frames of a library dlclose'd before the process ended, a binary
# that changed since the run (detected by build-id and said), and
# `buftrace hooks` on each build of the runtime.
. "$TESTLIB/common.sh"
need_fixture gnu
line=$(grep -n 'Buffer::create(' "$TOP/tests/fixtures/ttmetal/dispatch/system_memory_manager.cpp" | head -n 1 | cut -d: -f1)

# several processes: a section each and a combined summary
mkdir -p "$WORK/fe"
"$BUFTRACE" record -o "$WORK/fe" --quiet -- "$BUILD/tests/forkexec" "$FIX/gnu" > /dev/null
"$BUFTRACE" report "$WORK/fe" > "$WORK/fe.txt" || fail "report of 3 traces failed"
[ "$(grep -c '^buftrace report: ' "$WORK/fe.txt")" = 3 ] || fail "expected a section per process"
grep -q '^All 3 processes:' "$WORK/fe.txt" || fail "no combined summary"
"$BUFTRACE" report --format json "$WORK/fe" > "$WORK/fe.json" || fail "json of 3 traces failed"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert len(r["processes"]) == 3, "processes"
pids = {g["pid"] for g in r["survivor_groups"]}
assert len(pids) == 2 and len(r["survivor_groups"]) == 3 and r["summary"]["survivors"] == 9, (pids, r["summary"])  # exec keeps the pid
' "$WORK/fe.json" || fail "combined JSON wrong"

# a library unloaded before exit still symbolizes
mkdir -p "$WORK/dl"
"$BUFTRACE" record -o "$WORK/dl" --quiet -- "$BUILD/tests/dlclose_host" "$FIX/gnu" | grep -q unloaded || fail "dlclose_host failed"
# (an ASan-built runtime is not unmapped by dlclose: nothing to see there)
sanitized || "$BUFTRACE" dump "$WORK/dl"/*.zst | grep -q '^MODULE_UNLOAD' || fail "no MODULE_UNLOAD recorded"
"$BUFTRACE" report "$WORK/dl" | grep -q "system_memory_manager.cpp:$line" || fail "frames of the dlclose'd runtime not symbolized"

# a binary replaced after the run: said, and its frames fall back to module+offset
cp -r "$FIX/gnu" "$WORK/fx"
mkdir -p "$WORK/ch"
"$BUFTRACE" record -o "$WORK/ch" --quiet -- "$WORK/fx/host_dlopen" > /dev/null || fail "copy run failed"
cp "$FIX/old/libtt_metal.so" "$WORK/fx/libtt_metal.so"
"$BUFTRACE" report "$WORK/ch" > "$WORK/ch.txt"; [ $? = 0 ] || fail "report with a changed binary failed"
grep -q "libtt_metal.so: changed since the run (build-id differs)" "$WORK/ch.txt" || fail "changed binary not said"
grep -q "system_memory_manager.cpp" "$WORK/ch.txt" && fail "symbols read from the wrong binary"
grep -q "libtt_metal.so+0x" "$WORK/ch.txt" || fail "no module+offset frames"
grep -q '3 buffers (12 KiB) outlived' "$WORK/ch.txt" || fail "survivors lost with a changed binary"

# buftrace hooks on each build, and through TT_METAL_HOME
for v in gnu old libcxx; do
	[ -f "$FIX/$v/libtt_metal.so" ] || continue
	"$BUFTRACE" hooks "$FIX/$v/libtt_metal.so" "$FIX/$v/_ttnncpp.so" > "$WORK/h.$v" || fail "hooks $v failed"
	grep -q '^Buffer::create@address  *interposed' "$WORK/h.$v" || fail "$v: Buffer::create@address not interposed"
	grep -q '^ttnn::distributed::close_mesh_device  *\(interposed\|by name\)' "$WORK/h.$v" || fail "$v: close_mesh_device"
done
grep -q '^Allocator::allocate_buffer  *interposed' "$WORK/h.old" || fail "old: Allocator::allocate_buffer"
# the 2026 constructor has an alias; the 2025 one (old) is found by name
grep -q '^Device::Device  *interposed' "$WORK/h.gnu" || fail "gnu: 2026 Device constructor not interposed"
grep -q '^Device::Device  *by name' "$WORK/h.old" || fail "old: 2025 Device constructor not matched by name"
mkdir -p "$WORK/tt/build/lib"
ln -s "$FIX/gnu/libtt_metal.so" "$WORK/tt/build/lib/libtt_metal.so"
TT_METAL_HOME=$WORK/tt "$BUFTRACE" hooks | grep -q 'libtt_metal.so' || fail "hooks did not find TT_METAL_HOME"
TT_METAL_HOME=/nonexistent "$BUFTRACE" hooks --runtime tt-metal > /dev/null 2>&1; [ $? = 2 ] || fail "hooks without a runtime: exit not 2"
# the OpenCL ICD loader is scanned by default where the system has it
if [ -r /usr/lib/x86_64-linux-gnu/libOpenCL.so.1 ]; then
	TT_METAL_HOME=/nonexistent "$BUFTRACE" hooks > "$WORK/h.cl" || fail "hooks with the OpenCL loader only failed"
	grep -q '^clCreateBuffer  *by name  *clCreateBuffer in libOpenCL.so.1' "$WORK/h.cl" || fail "hooks: clCreateBuffer not found in libOpenCL.so.1"
	grep -q '^Buffer::create ' "$WORK/h.cl" && fail "hooks: tt-metal hooks listed for the OpenCL loader alone"
fi
echo "more report OK"

# a bare `buftrace report` reads the last run recorded in this directory;
# `buftrace report .` every trace in it
mkdir -p "$WORK/last" && cd "$WORK/last" || fail "cd"
"$BUFTRACE" record --quiet -- "$BUILD/tests/forkexec" "$FIX/gnu" > /dev/null
"$BUFTRACE" record --quiet -- "$FIX/gnu/host_dlopen" > /dev/null
[ "$(wc -l < buftrace.last)" = 1 ] || fail "buftrace.last does not list the last run's one trace"
[ "$("$BUFTRACE" report | grep -c '^buftrace report: ')" = 1 ] || fail "bare report did not read the last run only"
[ "$("$BUFTRACE" report . | grep -c '^buftrace report: ')" = 4 ] || fail "report . did not read every trace"
echo "last run OK"
