#!/bin/sh
# Reliability, concatenated traces (`cat a.zst b.zst > c.zst`): each
# "BUFTRACE" header starts the next process.  report (text, JSON, folded),
# dump and diff read c as they read a and b, never as one process.  A
# second HEADER record without its "BUFTRACE" (or a second header of an
# unknown version) is damage: one line naming the file and offset, exit 1,
# the process before it still reported.
. "$TESTLIB/common.sh"
need_fixture gnu
for s in a b; do
	mkdir -p "$WORK/$s"
	"$BUFTRACE" record -o "$WORK/$s" --quiet -- "$FIX/gnu/host_dlopen" > /dev/null || fail "record $s failed"
done
A=$(ls "$WORK"/a/buftrace.*.zst) B=$(ls "$WORK"/b/buftrace.*.zst)
mkdir -p "$WORK/c"
C=$WORK/c/buftrace.host_dlopen.1.zst
cat "$A" "$B" > "$C"

# text: a section per process, the same lines as the two files give
"$BUFTRACE" report "$A" "$B" > "$WORK/sep.txt" || fail "report a b failed"
"$BUFTRACE" report "$C" > "$WORK/cat.txt" 2> "$WORK/cat.err" || fail "report of the concatenated file failed: $(cat "$WORK/cat.err")"
[ ! -s "$WORK/cat.err" ] || fail "report said: $(cat "$WORK/cat.err")"
[ "$(grep -c '^buftrace report: ' "$WORK/cat.txt")" = 2 ] || fail "expected two processes: $(grep '^buftrace report' "$WORK/cat.txt")"
grep -q "^buftrace report: $C (trace 2 of a concatenated file, at stream offset [1-9]" "$WORK/cat.txt" ||
	fail "second process not labelled: $(grep '^buftrace report' "$WORK/cat.txt")"
# everything but the section titles is what reading a and b separately says
# (pid, events, duration, closes, survivors, stacks, the combined line)
grep -v '^buftrace report: ' "$WORK/sep.txt" > "$WORK/sep.body"
grep -v '^buftrace report: ' "$WORK/cat.txt" > "$WORK/cat.body"
cmp -s "$WORK/sep.body" "$WORK/cat.body" || fail "concatenated report differs: $(diff "$WORK/sep.body" "$WORK/cat.body" | head -5)"
grep -q '^All 2 processes:' "$WORK/cat.txt" || fail "no combined summary"

# JSON: two processes, each with its own pid, events and duration
"$BUFTRACE" report --format json "$A" "$B" > "$WORK/sep.json" || fail "json a b failed"
"$BUFTRACE" report --format json "$C" > "$WORK/cat.json" || fail "json of the concatenated file failed"
python3 - "$WORK/sep.json" "$WORK/cat.json" "$C" "$TOP/tests/lib" "$TOP/docs/report-schema.md" <<'PY' || exit 1
import json, sys
sys.path.insert(0, sys.argv[4])
import schema
sep, cat = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
s = schema.from_markdown(sys.argv[5], "report")
errs = schema.validate(cat, s, s.get("definitions", {}))
assert not errs, errs[:3]
ps, pc = sep["processes"], cat["processes"]
assert len(pc) == 2, f"{len(pc)} processes"
assert pc[0]["pid"] != pc[1]["pid"], "one pid for two processes"
for a, b in zip(ps, pc):
    for k in ("pid", "ppid", "events", "lost_events", "complete", "error", "cmdline"):
        assert a[k] == b[k], (k, a[k], b[k])
    assert b["trace"] == sys.argv[3], b["trace"]
assert [p["trace_index"] for p in pc] == [1, 2], pc
assert pc[0]["trace_offset"] == 0 and pc[1]["trace_offset"] > 0, pc
assert "trace_index" not in ps[0], "trace_index on a file of one process"
for k in ("devices", "survivor_groups", "dangling", "anomalies", "leaks"):
    assert sep[k] == cat[k], k  # times are relative to each process's own start
assert sep["summary"] == cat["summary"] and cat["summary"]["processes"] == 2, cat["summary"]
assert cat["summary"]["survivors"] > 0
PY
"$BUFTRACE" report --format folded "$A" "$B" > "$WORK/sep.folded"
"$BUFTRACE" report --format folded "$C" > "$WORK/cat.folded"
[ -s "$WORK/cat.folded" ] && cmp -s "$WORK/sep.folded" "$WORK/cat.folded" || fail "folded stacks differ"

# dump: both headers, every record of both
"$BUFTRACE" dump "$A" "$B" > "$WORK/sep.dump" || fail "dump a b failed"
"$BUFTRACE" dump "$C" > "$WORK/cat.dump" || fail "dump of the concatenated file failed"
cmp -s "$WORK/sep.dump" "$WORK/cat.dump" || fail "dump differs from the two files'"
[ "$(grep -c '^HEADER ' "$WORK/cat.dump")" = 2 ] || fail "dump does not show both headers"
"$BUFTRACE" dump --summary "$C" > "$WORK/cat.sum" || fail "dump --summary failed"
[ "$(grep -c 'events, .* distinct stacks$' "$WORK/cat.sum")" = 2 ] || fail "dump --summary: not one summary per process"
grep -q '(trace 2 of a concatenated file' "$WORK/cat.sum" || fail "dump --summary: second process not labelled"

# diff: the same survivors as the two files
"$BUFTRACE" diff "$A" "$WORK/c" > /dev/null; [ $? = 3 ] || fail "diff a c: the second process's survivors not counted"
mkdir -p "$WORK/ab" && cp "$A" "$B" "$WORK/ab/"
"$BUFTRACE" diff "$WORK/ab" "$WORK/c" > "$WORK/diff.txt" || fail "diff ab c: $(cat "$WORK/diff.txt")"
grep -q '^  same ' "$WORK/diff.txt" || fail "diff ab c: $(cat "$WORK/diff.txt")"

# damage: a second HEADER record with no "BUFTRACE" before it, and a second
# "BUFTRACE" of a version this reader does not know
command -v zstd > /dev/null || skip "zstd command missing: damaged concatenations not tested"
zstd -q -dc "$A" > "$WORK/a.raw" && zstd -q -dc "$B" > "$WORK/b.raw" || fail "zstd -dc failed"
off=$(wc -c < "$WORK/a.raw")
mkdir -p "$WORK/dmg"
tail -c +13 "$WORK/b.raw" | cat "$WORK/a.raw" - | zstd -q -o "$WORK/dmg/buftrace.hdr.1.zst"
printf 'BUFTRACE\143\0\0\0' | cat "$WORK/a.raw" - | zstd -q -o "$WORK/dmg/buftrace.ver.1.zst"
for d in hdr ver; do
	f=$WORK/dmg/buftrace.$d.1.zst
	"$BUFTRACE" report "$f" > "$WORK/$d.txt" 2> "$WORK/$d.err"
	rc=$?
	[ $rc = 1 ] || fail "$d: exit $rc, want 1"
	[ "$(wc -l < "$WORK/$d.err")" = 1 ] || fail "$d: not one line: $(cat "$WORK/$d.err")"
	case $d in
	hdr) want="buftrace: $f: offset $off: a second HEADER record in one trace" ;;
	ver) want="buftrace: $f: offset $((off + 8)): trace format version 99" ;;
	esac
	grep -qF "$want" "$WORK/$d.err" || fail "$d: said '$(cat "$WORK/$d.err")', want '$want...'"
	[ "$(grep -c '^buftrace report: ' "$WORK/$d.txt")" = 1 ] || fail "$d: the process before the damage not reported once"
	grep -qF "$(sed -n 1p "$WORK/sep.body")" "$WORK/$d.txt" || fail "$d: first process not what a alone gives"
	"$BUFTRACE" dump "$f" > /dev/null 2> "$WORK/$d.derr"; [ $? = 1 ] || fail "$d: dump did not exit 1"
	grep -qF "$want" "$WORK/$d.derr" || fail "dump $d: said '$(cat "$WORK/$d.derr")', want '$want...'"
done
exit 0
