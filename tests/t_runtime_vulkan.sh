#!/bin/sh
# The Vulkan profile on a real runtime: tests/runtimes/vk_prog on Mesa's
# lavapipe (a CPU Vulkan device), recorded through buftrace's own layer
# (VK_LAYER_BUFTRACE, which `buftrace record` enables), and beside the
# Khronos validation layer.
#  1. leak: the report names exactly what vkDestroyDevice left behind (two
#     VkBuffer, one bound to the VkDeviceMemory also left), each with its
#     size and its creation line in vk_prog.c (the lines marked LEAK);
#     nothing else (a buffer bound with vkBindBufferMemory2, an image and
#     its memory, all destroyed, are not).  Output and exit status as
#     without the recorder; the JSON is the documented schema's.
#  2. With the validation layer too: its messages at vkDestroyDevice name
#     the same handles as buftrace's report, no more and no fewer, and
#     the program prints the same with both layers as with validation alone.
#  3. clean: no survivor, no anomaly.
#  4. threads: 4 threads, each with a device, a compute pipeline compiled by
#     lavapipe's LLVM and dispatched: the same output as without the
#     recorder, every create balanced by a destroy in the trace.
. "$TESTLIB/common.sh"
P=$BUILD/tests/vk_prog
[ -x "$P" ] || fail "$P not built (make runtime-progs)"
export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$WORK}"
[ -r "$BUILD/lib/buftrace/VkLayer_buftrace.json" ] || fail "the layer's manifest is missing from $BUILD/lib/buftrace"
"$P" leak > "$WORK/plain.out" 2> "$WORK/plain.err" || {
	grep -q "no Vulkan" "$WORK/plain.err" && skip "no Vulkan device (mesa-vulkan-drivers not installed)"
	fail "vk_prog leak failed without the recorder: $(cat "$WORK/plain.err")"
}
run() { # NAME ARGS...
	name=$1
	shift
	mkdir -p "$WORK/$name"
	"$BUFTRACE" record --quiet -o "$WORK/$name" -- "$P" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err"
	echo $? > "$WORK/$name.rc"
}
run leak leak
[ "$(cat "$WORK/leak.rc")" = 0 ] || fail "vk_prog leak exited $(cat "$WORK/leak.rc") recorded: $(cat "$WORK/leak.err")"
cmp -s "$WORK/plain.out" "$WORK/leak.out" || fail "recorded output differs: $(cat "$WORK/leak.out")"
[ -s "$WORK/leak.err" ] && fail "something said on stderr: $(cat "$WORK/leak.err")"
"$BUFTRACE" report --format json "$WORK"/leak/buftrace.*.zst > "$WORK/leak.json" || fail "report failed"
python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/leak.json" ||
	fail "JSON does not match docs/report-schema.md"
cat > "$WORK/check.py" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
want = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    m = re.search(r"/\* LEAK ([abm]) \*/", line)
    if m:
        want[m.group(1)] = n
exp = {"a": ("VkBuffer", 4096), "b": ("VkBuffer", 8192), "m": ("VkDeviceMemory", 65536)}
got = {}
for g in r["survivor_groups"]:
    if g["runtime"] != "vulkan" or g["closed_by"] != "vkDestroyDevice":
        sys.exit("FAIL: group %s: runtime %s closed_by %s" % (g["key"], g["runtime"], g["closed_by"]))
    lines = [f["line"] for f in g["stack"] if f["file"] and f["file"].endswith("vk_prog.c")]
    for b in g["buffers"]:
        for k, line in want.items():
            if line in lines:
                got[k] = b
if sorted(got) != sorted(want) or sum(g["count"] for g in r["survivor_groups"]) != 3:
    sys.exit("FAIL: expected the objects of vk_prog.c lines %s, got %s" % (want, {k: (v["kind"], v["size"]) for k, v in got.items()}))
for k, (kind, size) in exp.items():
    if (got[k]["kind"], got[k]["size"]) != (kind, size):
        sys.exit("FAIL: %s: %s of %d, expected %s of %d" % (k, got[k]["kind"], got[k]["size"], kind, size))
if got["a"]["bound_memory"] != got["m"]["handle"] or got["b"]["bound_memory"] is not None:
    sys.exit("FAIL: bindings: a -> %s (m is %s), b -> %s" % (got["a"]["bound_memory"], got["m"]["handle"], got["b"]["bound_memory"]))
if r["anomalies"]:
    sys.exit("FAIL: anomalies: %s" % r["anomalies"])
# the validation layer's view, when given: the same handles
if len(sys.argv) > 3:
    reported = set()
    for line in open(sys.argv[3]):
        m = re.match(r"reported (\w+) (0x[0-9a-f]+)$", line.strip())
        if m:
            reported.add((m.group(1), int(m.group(2), 16)))
    ours = set((b["kind"], int(b["handle"], 16)) for b in got.values())
    if not reported or reported != ours:
        sys.exit("FAIL: the validation layer reported %s, buftrace %s" % (sorted(reported), sorted(ours)))
    print("the validation layer and buftrace name the same %d handles" % len(ours))
print("leak: the 2 VkBuffer and 1 VkDeviceMemory left at vkDestroyDevice, on their lines, nothing else")
PY
python3 "$WORK/check.py" "$WORK/leak.json" "$TOP/tests/runtimes/vk_prog.c" || exit 1
"$BUFTRACE" report "$WORK"/leak/buftrace.*.zst > "$WORK/leak.txt" || fail "text report failed"
grep -q "close at .*(vkDestroyDevice): VkDevice 0x[0-9a-f]*: 3 objects not destroyed, 77824 bytes" "$WORK/leak.txt" ||
	fail "text report: no close line: $(head -5 "$WORK/leak.txt")"
grep -q "bound to VkDeviceMemory 0x[0-9a-f]*, not freed either" "$WORK/leak.txt" || fail "text report: binding not told"

# beside the Khronos validation layer
if [ -r /usr/share/vulkan/explicit_layer.d/VkLayer_khronos_validation.json ]; then
	VK_PROG_REPORT=1 VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation "$P" leak > "$WORK/val.out" 2> "$WORK/val.err"
	echo $? > "$WORK/val.rc"
	grep -q "^reported VkBuffer" "$WORK/val.out" || fail "the validation layer reported nothing: $(cat "$WORK/val.out" "$WORK/val.err")"
	mkdir -p "$WORK/both"
	VK_PROG_REPORT=1 VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation \
		"$BUFTRACE" record --quiet -o "$WORK/both" -- "$P" leak > "$WORK/both.out" 2> "$WORK/both.err"
	[ $? = "$(cat "$WORK/val.rc")" ] || fail "exit status differs with both layers"
	cmp -s "$WORK/val.out" "$WORK/both.out" || {
		diff "$WORK/val.out" "$WORK/both.out" | head
		fail "output differs with buftrace's layer added to the validation layer"
	}
	"$BUFTRACE" report --format json "$WORK"/both/buftrace.*.zst > "$WORK/both.json" || fail "report (both) failed"
	python3 "$WORK/check.py" "$WORK/both.json" "$TOP/tests/runtimes/vk_prog.c" "$WORK/both.out" || exit 1
else
	echo "no Khronos validation layer installed: that comparison not made"
fi

# images: the size of the one whose requirements the program asked is the
# driver's answer (printed by the program), the other's is told unknown
run images images
[ "$(cat "$WORK/images.rc")" = 0 ] || fail "vk_prog images exited $(cat "$WORK/images.rc")"
"$BUFTRACE" report --format json "$WORK"/images/buftrace.*.zst > "$WORK/images.json" || fail "report (images) failed"
python3 - "$WORK/images.json" "$TOP/tests/runtimes/vk_prog.c" "$WORK/images.out" <<'PY' || exit 1
import json, re, sys
r = json.load(open(sys.argv[1]))
want = {}
for n, line in enumerate(open(sys.argv[2]), 1):
    m = re.search(r"/\* LEAK (asked|unasked) \*/", line)
    if m:
        want[n] = m.group(1)
size = int(re.search(r"one of (\d+) bytes", open(sys.argv[3]).read()).group(1))
got = {}
for g in r["survivor_groups"]:
    lines = [f["line"] for f in g["stack"] if f["file"] and f["file"].endswith("vk_prog.c")]
    for b in g["buffers"]:
        for l in lines:
            if l in want:
                got[want[l]] = (b["kind"], b["size"], b["size_known"])
exp = {"asked": ("VkImage", size, True), "unasked": ("VkImage", 0, False)}
if got != exp:
    sys.exit("FAIL: images: expected %s, got %s" % (exp, got))
print("images: the asked image's size is the driver's (%d), the other's unknown" % size)
PY

run clean clean
[ "$(cat "$WORK/clean.rc")" = 0 ] || fail "vk_prog clean exited $(cat "$WORK/clean.rc")"
"$BUFTRACE" report --format json "$WORK"/clean/buftrace.*.zst > "$WORK/clean.json" || fail "report (clean) failed"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
if r["survivor_groups"] or r["anomalies"]:
    sys.exit("FAIL: clean run: %s %s" % (r["survivor_groups"], r["anomalies"]))
if not [d for d in r["devices"] if d["runtime"] == "vulkan" and d["closed_ns"] is not None]:
    sys.exit("FAIL: clean run: no VkDevice destroyed")
' "$WORK/clean.json" || exit 1
echo "clean: nothing reported"

"$P" threads 4 > "$WORK/tplain.out" 2> "$WORK/tplain.err" || fail "vk_prog threads failed: $(cat "$WORK/tplain.err")"
run threads threads 4
[ "$(cat "$WORK/threads.rc")" = 0 ] || fail "vk_prog threads exited $(cat "$WORK/threads.rc"): $(cat "$WORK/threads.err")"
cmp -s "$WORK/tplain.out" "$WORK/threads.out" || fail "threads: recorded output differs: $(cat "$WORK/threads.out")"
"$BUFTRACE" dump --json "$WORK"/threads/buftrace.*.zst > "$WORK/threads.dump" || fail "dump failed"
python3 -c '
import json, sys, collections
n = collections.Counter()
tids = set()
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["record"] == "EVENT":
        n[r["hook"]] += 1
        tids.add(r["tid"])
want = {"vkCreateDevice": 4, "vkDestroyDevice": 4, "vkCreateBuffer": 40, "vkDestroyBuffer": 40,
        "vkAllocateMemory": 40, "vkFreeMemory": 40, "vkBindBufferMemory": 40}
bad = {k: (n[k], v) for k, v in want.items() if n[k] != v}
if bad:
    sys.exit("FAIL: threads: events (got, want): %s" % bad)
if len(tids) < 4:
    sys.exit("FAIL: threads: events from %d threads" % len(tids))
print("threads: 4 devices, 40 buffers and allocations, each created and destroyed, from %d threads" % len(tids))
' "$WORK/threads.dump" || exit 1
"$BUFTRACE" report --format json "$WORK"/threads/buftrace.*.zst > "$WORK/threads.json" || fail "report (threads) failed"
python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
if r["survivor_groups"] or r["anomalies"]:
    sys.exit("FAIL: threads: %s %s" % (r["survivor_groups"], r["anomalies"]))
' "$WORK/threads.json" || exit 1
