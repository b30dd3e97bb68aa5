#!/bin/sh
# docs/trace-format.md and the code agree: the record tables in the doc are
# exactly what the code's tables print, and a trace read by an independent
# reader that knows only the doc (zstd -dc + this script) matches what
# `buftrace dump` says.
. "$TESTLIB/common.sh"
need_fixture gnu
doc=$TOP/docs/trace-format.md
sed -n '/BEGIN GENERATED/,/END GENERATED/p' "$doc" | sed '1d;$d' > "$WORK/doc"
"$BUFTRACE" dump --spec > "$WORK/code"
diff -u "$WORK/doc" "$WORK/code" > "$WORK/diff" || { cat "$WORK/diff"; fail "docs/trace-format.md differs from the code's tables"; }
command -v zstd >/dev/null || skip "zstd command missing"
record gnu host_dlopen > /dev/null 2>&1 || fail "record failed"
t=$(only_trace)
zstd -qdc "$t" > "$WORK/raw" || fail "zstd cannot decompress $t"
"$BUFTRACE" dump --json "$t" > "$WORK/dump.json" || fail "dump failed"
# An independent reader that knows only the doc: every event counted, and
# for a malloc probe trace the blocks never freed, matched by block number
# as the doc says, against what `buftrace report` finds.
cat > "$WORK/docreader.py" <<'PY'
import json, struct, sys
data = open(sys.argv[1], "rb").read()
def die(m): print("FAIL: " + m); sys.exit(1)
if data[:8] != b"BUFTRACE" or struct.unpack("<I", data[8:12])[0] != 3: die("magic/version")
def uvar(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if not c & 0x80: return v, i
def unzz(z): return (z >> 1) ^ -(z & 1)
i, kinds, events, stacks, end = 12, {}, 0, 0, None
hook_args = {}   # seq -> the hook event's arguments, deltas undone as the doc says
live, freed_early, unknown = {}, set(), 0
while i < len(data):
    kind = data[i]; n, j = uvar(data, i + 1); p = data[j:j + n]; i = j + n
    kinds[kind] = kinds.get(kind, 0) + 1
    if kind == 7:    # EVENTS: tid, first_seq, first_ts, events
        k = 0
        _, k = uvar(p, k); seq, k = uvar(p, k); _, k = uvar(p, k)
        nxt, mstack, prev = None, 0, {}
        while k < len(p):
            hook, k = uvar(p, k)
            if 0x68 <= hook <= 0x7f:                       # FREE_NEAR, MALLOC_SMALL: 2 bytes
                lo = p[k]; k += 1
                if nxt is None: die("probe event before BLOCKS")
                if hook >= 0x70:
                    size = (hook - 0x70) * 256 + lo
                    if nxt in freed_early: freed_early.discard(nxt)
                    else: live[nxt] = size
                    nxt += 1
                else:
                    blk = nxt - ((hook - 0x68) * 256 + lo) - 1
                    if live.pop(blk, None) is None: freed_early.add(blk)
                events += 1
                continue
            if 0x60 <= hook <= 0x67:                       # compact probe event
                if hook == 0x66: nxt, k = uvar(p, k); continue       # BLOCKS
                if hook == 0x67: _, k = uvar(p, k); continue         # TIME
                if nxt is None: die("probe event before BLOCKS")
                if hook in (0x60, 0x61):                             # MALLOC, MALLOC_SAME
                    if hook == 0x60: mstack, k = uvar(p, k)
                    size, k = uvar(p, k)
                    if nxt in freed_early: freed_early.discard(nxt)
                    else: live[nxt] = size
                    nxt += 1
                else:
                    if hook in (0x64, 0x65): _, k = uvar(p, k)       # the free's stack
                    v, k = uvar(p, k)
                    if hook in (0x62, 0x64):                         # FREE: zigzag(next - block)
                        blk = nxt - unzz(v)
                        if live.pop(blk, None) is None: freed_early.add(blk)
                    else: unknown += 1                               # FREE_RAW: an address
                events += 1
                continue
            flags, k = uvar(p, k)
            dseq, k = uvar(p, k); seq += dseq
            for _ in range(2): _, k = uvar(p, k)       # dts stack
            if flags & 8: _, k = uvar(p, k)            # pystack
            nargs, k = uvar(p, k)
            last = prev.setdefault(hook, [0] * 8)      # version 3: deltas per hook and argument
            args = []
            for a in range(nargs):
                v, k = uvar(p, k)
                last[a] = (last[a] + unzz(v)) % (1 << 64)
                args.append(last[a])
            hook_args[seq] = args
            events += 1
    elif kind == 12: # END: events, last_seq
        end, _ = uvar(p, 0)
if kinds.get(1) != 1: die("not exactly one HEADER")
recs = [json.loads(l) for l in open(sys.argv[2])]
dumped = sum(1 for r in recs if r["record"] == "EVENT")
if events != dumped or end != events: die(f"independent reader: {events} events, dump: {dumped}, END: {end}")
if kinds.get(6, 0) != sum(1 for r in recs if r["record"] == "STACK"): die("STACK count differs")
# every hook event's numeric arguments as dump shows them
checked = 0
for r in recs:
    if r["record"] != "EVENT" or r["seq"] not in hook_args or r["hook"] in ("malloc", "free"): continue
    want = hook_args[r["seq"]]
    got = list(r.get("args", {}).values())
    if len(got) != len(want): die(f"seq {r['seq']}: {len(want)} arguments, dump shows {len(got)}")
    for w, g in zip(want, got):
        if isinstance(g, str) and g.startswith("0x"): g = int(g, 16)
        if isinstance(g, int) and g % (1 << 64) != w: die(f"seq {r['seq']} {r['hook']}: argument {w:#x}, dump shows {g:#x}")
        checked += isinstance(g, int)
if hook_args and not checked: die("no hook event argument compared")
if len(sys.argv) > 3:
    rep = json.load(open(sys.argv[3]))
    count = sum(g["count"] for g in rep["leaks"]); nbytes = sum(g["bytes"] for g in rep["leaks"])
    if (count, nbytes) != (len(live), sum(live.values())):
        die(f"never freed: independent reader {len(live)} blocks, {sum(live.values())} bytes; report {count}, {nbytes}")
    if not live: die("the probe trace has no block never freed")
    print(f"{len(live)} blocks never freed, {unknown} frees of unknown addresses: doc reader agrees with the report")
print(f"{events} events, {kinds.get(6,0)} stacks, {checked} arguments: doc reader agrees")
PY
python3 "$WORK/docreader.py" "$WORK/raw" "$WORK/dump.json" || exit 1
# a malloc probe trace, threads freeing each other's blocks
if ! sanitized && [ -x "$BUILD/tests/leaker" ]; then
	mkdir -p "$WORK/p"
	"$BUFTRACE" record -o "$WORK/p" --probes malloc -- "$BUILD/tests/leaker" --thread > /dev/null 2>&1 || fail "record --probes malloc failed"
	pt=$(ls "$WORK"/p/buftrace.*.zst | head -1)
	zstd -qdc "$pt" > "$WORK/praw" || fail "zstd cannot decompress $pt"
	"$BUFTRACE" dump --json "$pt" > "$WORK/pdump.json" || fail "dump of the probe trace failed"
	"$BUFTRACE" report --format json "$pt" > "$WORK/prep.json" || fail "report of the probe trace failed"
	python3 "$WORK/docreader.py" "$WORK/praw" "$WORK/pdump.json" "$WORK/prep.json" || exit 1
fi
# the hook table in docs/hooks.md is the code's
sed -n '/BEGIN GENERATED: buftrace hooks/,/END GENERATED/p' "$TOP/docs/hooks.md" | sed '1d;$d' > "$WORK/hdoc"
"$BUFTRACE" hooks --list > "$WORK/hcode"
diff -u "$WORK/hdoc" "$WORK/hcode" || fail "docs/hooks.md differs from common/hooks.def"
# older versions still read, their arguments as written (version 3 reads
# deltas; a version 1 trace of the fixture, kept in the fuzz corpus)
v1=$TOP/tests/fuzz/corpus/stream3
[ "$(od -An -tu4 -j8 -N4 "$v1" | tr -d ' ')" = 1 ] || fail "$v1 is not a version 1 stream"
zstd -qc "$v1" > "$WORK/v1.zst" || fail "zstd cannot compress $v1"
"$BUFTRACE" dump "$WORK/v1.zst" > "$WORK/v1.txt" || fail "dump of a version 1 trace failed"
grep -m1 'AllocatorImpl::allocate_buffer exit' "$WORK/v1.txt" | grep -q 'allocator=0x560321722260 buffer=0x7fe888000b80$' ||
	fail "version 1 arguments misread: $(grep -m1 'AllocatorImpl::allocate_buffer exit' "$WORK/v1.txt")"
[ "$(grep -c 'allocator=0x560321722260 ' "$WORK/v1.txt")" -ge 2 ] || fail "version 1: a repeated allocator not read as itself"
