#!/bin/sh
# The report puts a multi-threaded trace's events back in order whatever
# the order its chunks reached the file in.  A thread that goes idle
# (the main thread, joining its workers) leaves its first chunk partly
# filled; when the flusher falls behind (four busy threads on two CPUs)
# that chunk is written after a few hundred thousand events of the others
# (the recorder keeps each thread's own chunks in order).
# Before, the report guessed the first sequence number from the first
# 65536 events and read such a complete trace as "3000000 events missing",
# holding every event until the end.  Here the trace's stream is rewritten
# with that chunk moved as late as the recorder could write it (just
# before the same thread's next chunk) and recompressed: the report must
# be the one of the trace as written, with no event missing.
. "$TESTLIB/common.sh"
need_fixture gnu
command -v zstd >/dev/null || skip "zstd command missing"
"$BUFTRACE" record -o "$WORK/t" -- "$FIX/gnu/host_dlopen" --churn 30000 --threads 4 > /dev/null 2>&1 ||
	fail "record failed"
t=$(ls "$WORK"/t/buftrace.*.zst | head -1)
zstd -qdc "$t" > "$WORK/raw" || fail "zstd cannot decompress $t"
python3 - "$WORK/raw" "$WORK/moved" <<'PY' || exit 1
import sys
data = open(sys.argv[1], "rb").read()
def uvar(b, i):
    v = s = 0
    while True:
        c = b[i]; i += 1; v |= (c & 0x7f) << s; s += 7
        if not c & 0x80: return v, i
recs, i = [], 12
while i < len(data):
    n, j = uvar(data, i + 1)
    recs.append((data[i], data[i:j + n], data[j:j + n])); i = j + n
first = [k for k, (kind, raw, p) in enumerate(recs) if kind == 7 and uvar(p, uvar(p, 0)[1])[0] == 0]
if len(first) != 1: print(f"FAIL: {len(first)} chunks start at seq 0"); sys.exit(1)
# as late as the recorder could write it: just before that thread's own
# next chunk (a thread's chunks reach the file in its order), else END
tid = uvar(recs[first[0]][2], 0)[0]
chunk = recs.pop(first[0])
later = [k for k, (kind, raw, p) in enumerate(recs) if k >= first[0] and (kind == 12 or (kind == 7 and uvar(p, 0)[0] == tid))]
if not later: print("FAIL: no END record"); sys.exit(1)
before = sum(1 for kind, _, _ in recs[first[0]:later[0]] if kind == 7)
if before < 12: print(f"FAIL: only {before} chunks of other threads to move it past"); sys.exit(1)
recs.insert(later[0], chunk)
open(sys.argv[2], "wb").write(data[:12] + b"".join(r[1] for r in recs))
print(f"the first chunk moved past {before} others")
PY
zstd -qc "$WORK/moved" > "$WORK/moved.zst" || fail "zstd cannot compress"
"$BUFTRACE" report --format json "$t" > "$WORK/a.json" || fail "report of the trace failed"
"$BUFTRACE" report --format json "$WORK/moved.zst" > "$WORK/b.json" || fail "report of the rewritten trace failed"
python3 - "$WORK/a.json" "$WORK/b.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:3])
for name, r in (("as written", a), ("rewritten", b)):
    p = r["processes"][0]
    if p["lost_events"] != 0 or not p["complete"]:
        print(f"FAIL: {name}: {p['lost_events']} events missing, complete={p['complete']}"); sys.exit(1)
if a["processes"][0]["events"] != b["processes"][0]["events"]:
    print("FAIL: event counts differ"); sys.exit(1)
def key(r): return sorted((g["count"], g["bytes"], g["held_by"], tuple(g["device_ids"])) for g in r["survivor_groups"])
if key(a) != key(b) or not key(a):
    print(f"FAIL: survivors differ: {key(a)} / {key(b)}"); sys.exit(1)
devs = lambda r: sorted((d["kind"], d["device_id"], d["survivors"]["count"]) for d in r["devices"])
if devs(a) != devs(b):
    print(f"FAIL: devices differ: {devs(a)} / {devs(b)}"); sys.exit(1)
print("the same report, nothing missing")
PY
"$BUFTRACE" report "$WORK/moved.zst" > "$WORK/b.txt" || fail "text report failed"
grep -q 'events missing' "$WORK/b.txt" && fail "text report: $(grep 'events missing' "$WORK/b.txt")"
exit 0
