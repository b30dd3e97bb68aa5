#!/bin/sh
# Reliability, a full disk: the trace's filesystem fills up while the
# program runs (a 300 KiB tmpfs; needs root to mount it, else skipped).
# The recorder says so in one line and stops; the program's output and
# exit status are its own; the trace reads up to the loss (the report of
# it, and one line on the cut), and the report says it is incomplete
# without blaming a kill.
. "$TESTLIB/common.sh"
need_fixture gnu
mkdir -p "$WORK/small"
mount -t tmpfs -o size=300k tmpfs "$WORK/small" 2>/dev/null || skip "cannot mount a tmpfs (not root)"
trap 'umount "$WORK/small" 2>/dev/null' EXIT
prog="$FIX/gnu/host_dlopen --churn 300000 --threads 2"
$prog > "$WORK/plain" 2>&1 || fail "the program fails without buftrace"
"$BUFTRACE" record -o "$WORK/small" -- $prog > "$WORK/rec" 2> "$WORK/err"
rc=$?
[ $rc = 0 ] || fail "exit $rc under record: $(cat "$WORK/err")"
cmp -s "$WORK/plain" "$WORK/rec" || fail "output changed: $(diff "$WORK/plain" "$WORK/rec")"
[ "$(grep -c '^buftrace: ' "$WORK/err")" = 2 ] &&
	grep -q "^buftrace: cannot write $WORK/small/buftrace\..*: No space left on device; tracing stopped, the program goes on$" "$WORK/err" &&
	grep -q "^buftrace: trace $WORK/small/buftrace\." "$WORK/err" ||
	fail "stderr: $(cat "$WORK/err")"
set -- "$WORK"/small/buftrace.*.zst
[ $# = 1 ] || fail "want one trace, found $*"
# the cut frame: the report of what came before it, one line, exit 1
"$BUFTRACE" report "$1" > "$WORK/report" 2> "$WORK/report.err"
rc=$?
[ $rc = 1 ] && [ "$(grep -c . "$WORK/report.err")" = 1 ] &&
	grep -q "^buftrace: $1: offset [0-9]*: truncated" "$WORK/report.err" ||
	fail "report: exit $rc: $(cat "$WORK/report.err")"
n=$(sed -n 's/.*, \([0-9]*\) events over .*(trace incomplete: the process was killed, or its recorder stopped early)$/\1/p' "$WORK/report")
[ -n "$n" ] && [ "$n" -gt 10000 ] || fail "report: $(head -n 3 "$WORK/report")"
echo "full disk: one line, the program unchanged, $n events read up to the loss"
