#!/bin/sh
# A report over many traces (a multiprocessing run writes one per process)
# holds one process at a time: its peak memory for 200 traces is that for
# 20 (each process is freed after it is printed; the symbolizer's caches
# are shared), and the answer is 10 times bigger.  Memory is measured, not
# time; tests/scale/ holds the 3000-trace check with time bounds.
. "$TESTLIB/common.sh"
. "$TESTLIB/demo_record.sh"
need_fixture gnu
record_demo "$WORK/plain" || fail "record of the demo failed"
record_demo "$WORK/malloc" --probes malloc || fail "record --probes malloc of the demo failed"
P=$(ls "$WORK"/plain/buftrace.*.zst) M=$(ls "$WORK"/malloc/buftrace.*.zst)
[ -f "$P" ] && [ -f "$M" ] || fail "expected one trace per record: $P $M"
# one trace with probes in ten, as processes of one run would be
many="python3 $TESTLIB/many_traces.py"
$many copy "$WORK/t20" 20 "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$M"
$many copy "$WORK/t200" 200 "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$P" "$M"
# an address-space bound, so that a build whose memory grows per trace
# fails here instead of taking the machine (not under ASan: it maps terabytes)
limit=2048
sanitized && limit=0
for n in 20 200; do
	for f in text json; do
		set -- $($many run $limit "$WORK/$n.$f" "$BUFTRACE" report --format $f "$WORK/t$n")
		[ "$1" = 0 ] || fail "report --format $f of $n traces: exit $1"
		eval "rss_${f}_$n=$3"
	done
done
# the answer: 10 times that of 20 traces
python3 - "$WORK/20.json" "$WORK/200.json" <<'PY' || exit 1
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for k in ("processes", "survivors", "survivor_bytes", "survivor_groups", "dangling", "anomalies"):
    assert b["summary"][k] == 10 * a["summary"][k], (k, a["summary"], b["summary"])
assert a["summary"]["processes"] == 20 and a["summary"]["survivors"] > 0, a["summary"]
assert len(b["leaks"]) == 10 * len(a["leaks"]) > 0, (len(a["leaks"]), len(b["leaks"]))
PY
grep -q '^All 200 processes: ' "$WORK/200.text" || fail "text: no combined line for 200 processes"
[ "$(grep -c '^Host memory never freed:' "$WORK/200.text")" = 20 ] || fail "text: not 20 leak sections"
sanitized && exit 0 # ASan keeps freed memory in quarantine: RSS is not the analyzer's
for f in text json; do
	eval "a=\$rss_${f}_20 b=\$rss_${f}_200"
	echo "report --format $f: peak RSS $a MB for 20 traces, $b MB for 200"
	python3 -c "import sys; a, b = map(float, sys.argv[1:]); sys.exit(b > a + 16)" "$a" "$b" ||
		fail "report --format $f: peak memory grows with the traces: $a MB for 20, $b MB for 200"
done
