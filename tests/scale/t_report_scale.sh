#!/bin/sh
# `make test-scale`: a report over 3000 traces of the demo (what a few
# dozen multiprocessing runs leave in one directory) takes under 30 s and
# 500 MB, and its answer is 3000 times one trace's.  Also diff of two such
# directories.  Run by tests/run.sh like the tests/t_*.sh, but not by
# `make test`: it takes a minute.
. "$TESTLIB/common.sh"
. "$TESTLIB/demo_record.sh"
need_fixture gnu
N=3000 WALL=30 RSS=500
# three runs (distinct pids), and one with the malloc probes; copied in turn
for r in 1 2 3; do
	record_demo "$WORK/rec$r" || fail "record $r of the demo failed"
done
record_demo "$WORK/recm" --probes malloc || fail "record --probes malloc of the demo failed"
set -- "$WORK"/rec[123]/buftrace.*.zst
[ $# = 3 ] || fail "expected one trace per record: $*"
M=$(ls "$WORK"/recm/buftrace.*.zst)
# one trace in 30 with probes: their JSON is big (every leak with its stack)
python3 "$TESTLIB/many_traces.py" copy "$WORK/many" $N \
	"$@" "$@" "$@" "$@" "$@" "$@" "$@" "$@" "$@" "$1" "$2" "$M"
# what one of each says
"$BUFTRACE" report --format json "$@" "$M" > "$WORK/one.json" || fail "report of the recorded traces failed"
limit=$((4 * RSS))
sanitized && { limit=0 WALL=600 RSS=100000; }
check() { # NAME EXIT WALL RSS
	echo "$1: exit $2, ${3} s, peak RSS ${4} MB"
	python3 -c "import sys; sys.exit(not (float(sys.argv[1]) < $WALL and float(sys.argv[2]) < $RSS))" "$3" "$4" ||
		fail "$1: ${3} s and ${4} MB for $N traces (bounds: $WALL s, $RSS MB)"
}
for f in text json; do
	set -- $(python3 "$TESTLIB/many_traces.py" run $limit "$WORK/many.$f" "$BUFTRACE" report --format $f "$WORK/many")
	[ "$1" = 0 ] || fail "report --format $f of $N traces: exit $1"
	check "report --format $f" "$@"
done
python3 - "$WORK/one.json" "$WORK/many.json" "$WORK/many.text" $N "$WORK/many.manifest" <<'PY' || exit 1
import json, sys
one, many, n = json.load(open(sys.argv[1])), json.load(open(sys.argv[2])), int(sys.argv[4])
pid = {p["trace"]: p["pid"] for p in one["processes"]}
surv, leaks = {p: 0 for p in pid.values()}, {p: 0 for p in pid.values()}
for g in one["survivor_groups"]:
    surv[g["pid"]] += g["count"]
for l in one["leaks"]:
    leaks[l["pid"]] += 1
sources = [pid[l.strip()] for l in open(sys.argv[5])]
want = sum(surv[p] for p in sources)
s = many["summary"]
assert s["processes"] == n == len(sources), s
assert s["survivors"] == want > 0, (s, want)
assert len(many["survivor_groups"]) == sum(1 for p in sources if surv[p]), len(many["survivor_groups"])
assert len(many["leaks"]) == sum(leaks[p] for p in sources) > 0, len(many["leaks"])
text = open(sys.argv[3]).read()
assert f"All {n} processes: {want} buffers" in text, "text: combined line"
assert text.count("buftrace report: ") == n, "text: a section per trace"
print(f"{n} traces: {want} survivors, {len(many['leaks'])} leak groups")
PY
set -- $(python3 "$TESTLIB/many_traces.py" run $limit "$WORK/diff.txt" "$BUFTRACE" diff "$WORK/many" "$WORK/many")
[ "$1" = 0 ] || fail "diff of $N traces against themselves: exit $1"
check "diff" "$@"
grep -q '^  same ' "$WORK/diff.txt" && ! grep -q '^  \(gone\|changed\|appeared\)' "$WORK/diff.txt" ||
	fail "diff of the same traces: $(head -5 "$WORK/diff.txt")"
