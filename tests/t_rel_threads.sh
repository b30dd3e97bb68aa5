#!/bin/sh
# Reliability, threads: 16 threads create and destroy buffers at once
# (>= 1M events).  Every event is in the trace exactly once (the global
# sequence numbers are exactly 0..END.last_seq-1, per-hook counts agree
# with HOOK_STATS and with the host's own summary), no event is corrupted
# (payloads are the churn's sizes/types, per-thread order holds), and
# nothing deadlocks (the run is bounded by a timeout).
. "$TESTLIB/common.sh"
need_fixture gnu
mkdir -p "$WORK/out"
# host_dlopen with a 10 ms flush: the flusher contends with the churners,
# once with the event ownership by membarrier (the default where the
# kernel has it) and once by fences (BUFTRACE_MEMBARRIER=0)
for run in host_linked:1 host_dlopen:1 host_dlopen:0; do
	host=${run%:*}
	rm -f "$WORK"/out/*
	flush=1000; [ $host = host_dlopen ] && flush=10
	BUFTRACE_MEMBARRIER=${run#*:} timeout 120 "$BUFTRACE" record -o "$WORK/out" --flush-ms $flush -- "$FIX/gnu/$host" --churn 100000 --threads 16 \
		> "$WORK/stdout" 2> "$WORK/stderr"
	rc=$?
	[ $rc = 124 ] && fail "$host: deadlock (no exit within 120 s)"
	[ $rc = 0 ] || fail "$host: exit $rc under the recorder: $(cat "$WORK/stderr")"
	trace=$(only_trace)
	"$BUFTRACE" dump --summary "$trace" > "$WORK/summary" 2>&1 || fail "dump --summary: $(cat "$WORK/summary")"
	"$BUFTRACE" dump "$trace" 2> "$WORK/dumperr" | python3 "$TESTLIB/check_churn.py" \
		"$WORK/stdout" "$WORK/summary" "$WORK/dumperr" "$host" || exit 1
done
