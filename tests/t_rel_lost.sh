#!/bin/sh
# Reliability, hooked calls made in signal handlers (issue 13.11): a
# handler (tests/progs/sigcalls.cpp) makes two hooked calls,
# Buffer::deallocate(0x5160) and MeshDevice::close(0x5161), while the main
# thread keeps making hooked calls.  Those that interrupted the recorder
# cannot be recorded: every handler call is either in the trace or counted
# in its UNRECORDED records, the report says how many, and the JSON report
# has the number.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/sigcalls
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" timeout 120 "$prog" 1000 > "$WORK/run.out" 2> "$WORK/run.err" ||
	fail "sigcalls: exit $?: $(cat "$WORK/run.err")"
[ -s "$WORK/run.err" ] && fail "stderr: $(cat "$WORK/run.err")"
t=$(only_trace)
"$BUFTRACE" dump "$t" > "$WORK/dump" 2>&1 || fail "dump: $(tail -1 "$WORK/dump")"
"$BUFTRACE" report "$t" > "$WORK/report" 2>&1 || fail "report: $(tail -1 "$WORK/report")"
"$BUFTRACE" report --format json "$t" > "$WORK/report.json" || fail "report --format json failed"
python3 - "$WORK/run.out" "$WORK/dump" "$WORK/report" "$WORK/report.json" <<'PY' || exit 1
import json, re, sys
out, dump, report = (open(f).read() for f in sys.argv[1:4])
rep = json.load(open(sys.argv[4]))
def die(m): print("FAIL: " + m); sys.exit(1)
calls = 2 * int(re.search(r"(\d+) handler calls", out).group(1))
rec = len(re.findall(r"^EVENT .* Buffer::deallocate enter .* buffer=0x5160$", dump, re.M)) + \
      len(re.findall(r"^EVENT .* MeshDevice::close enter .* mesh=0x5161 ", dump, re.M))
unrec = sum(int(c) for c in re.findall(r"^UNRECORDED cause=1 count=(\d+)$", dump, re.M))
print(f"{calls} hooked calls in handlers: {rec} recorded, {unrec} counted unrecorded")
if unrec == 0:
    die("no UNRECORDED count: were none of the handler calls made inside the recorder? "
        f"({calls - rec} of {calls} not recorded)")
if rec + unrec != calls:
    die(f"{rec} recorded + {unrec} unrecorded != {calls} hooked calls made in the handler")
if f"{unrec} hooked calls made inside signal handlers were not recorded" not in report:
    die("the report does not say how many calls went unrecorded:\n" + report)
if rep["processes"][0]["unrecorded_in_signal_handlers"] != unrec:
    die(f"JSON unrecorded_in_signal_handlers {rep['processes'][0].get('unrecorded_in_signal_handlers')}, want {unrec}")
PY
echo "unrecorded calls OK"
