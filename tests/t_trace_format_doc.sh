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
python3 - "$WORK/raw" "$WORK/dump.json" <<'PY' || exit 1
import json, struct, sys
data = open(sys.argv[1], "rb").read()
def die(m): print("FAIL: " + m); sys.exit(1)
if data[:8] != b"BUFTRACE" or struct.unpack("<I", data[8:12])[0] != 1: die("magic/version")
def uvar(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if not c & 0x80: return v, i
i, kinds, events, stacks, end = 12, {}, 0, 0, None
while i < len(data):
    kind = data[i]; n, j = uvar(data, i + 1); p = data[j:j + n]; i = j + n
    kinds[kind] = kinds.get(kind, 0) + 1
    if kind == 7:    # EVENTS: tid, first_seq, first_ts, events
        k = 0
        for _ in range(3): _, k = uvar(p, k)
        while k < len(p):
            hook, k = uvar(p, k); flags, k = uvar(p, k)
            for _ in range(3): _, k = uvar(p, k)       # dseq dts stack
            if flags & 8: _, k = uvar(p, k)            # pystack
            nargs, k = uvar(p, k)
            for _ in range(nargs): _, k = uvar(p, k)
            events += 1
    elif kind == 12: # END: events, last_seq
        end, _ = uvar(p, 0)
if kinds.get(1) != 1: die("not exactly one HEADER")
recs = [json.loads(l) for l in open(sys.argv[2])]
dumped = sum(1 for r in recs if r["record"] == "EVENT")
if events != dumped or end != events: die(f"independent reader: {events} events, dump: {dumped}, END: {end}")
if kinds.get(6, 0) != sum(1 for r in recs if r["record"] == "STACK"): die("STACK count differs")
print(f"{events} events, {kinds.get(6,0)} stacks: doc reader agrees")
PY
# the hook table in docs/hooks.md is the code's
sed -n '/BEGIN GENERATED: buftrace hooks/,/END GENERATED/p' "$TOP/docs/hooks.md" | sed '1d;$d' > "$WORK/hdoc"
"$BUFTRACE" hooks --list > "$WORK/hcode"
diff -u "$WORK/hdoc" "$WORK/hcode" || fail "docs/hooks.md differs from common/hooks.def"
