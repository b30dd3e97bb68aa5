#!/bin/sh
# A program that ends itself with a signal it sends itself, after setting
# its default action back: no handler of the recorder's sees it.  Python
# does this on every Ctrl-C that ends a script (KeyboardInterrupt: SIG_DFL,
# then kill(getpid(), SIGINT)); so does a handler that cleans up and
# re-raises (kill, raise, pthread_kill, sigqueue).  With a flush interval of a minute the trace
# was empty: the recorder flushes before the signal is sent, and the
# program dies of the same signal, with the same output, as without it.
# Every CPython 3.8+ on the machine.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$TOP/tests/progs/py_selfkill.py
pythons=$(pythons)
[ -n "$pythons" ] || skip "no python3"
for py in $pythons; do
	for mode in interrupt handler raise pthread_kill sigqueue; do
		label="$py $mode"
		"$py" "$prog" "$FIX/gnu" $mode > "$WORK/plain" 2>"$WORK/plain.err"
		want=$?
		[ $want -gt 128 ] || fail "$label: without buftrace the program exits $want, not by a signal"
		d=$WORK/t; rm -rf "$d"
		BUFTRACE_FLUSH_MS=60000 "$BUFTRACE" record -o "$d" --quiet -- "$py" "$prog" "$FIX/gnu" $mode > "$WORK/rec" 2>"$WORK/rec.err"
		rc=$?
		[ $rc = $want ] || { cat "$WORK/rec.err"; fail "$label: exit $rc under record ($want without)"; }
		cmp -s "$WORK/plain" "$WORK/rec" || { diff "$WORK/plain" "$WORK/rec"; fail "$label: output changed under record"; }
		t=$(ls "$d"/buftrace.*.zst 2>/dev/null)
		[ -n "$t" ] || fail "$label: no trace"
		"$BUFTRACE" dump $t > "$WORK/dump" 2>"$WORK/dump.err" || { cat "$WORK/dump.err"; fail "$label: the trace is damaged"; }
		n=$(grep -c '^EVENT .* MeshBuffer::create ' "$WORK/dump")
		[ "$n" = 100 ] || fail "$label: $n MeshBuffer::create events in the trace, want 100 (50 tensors)"
		"$BUFTRACE" report $t > "$WORK/r.txt" 2>"$WORK/r.err" || { cat "$WORK/r.err"; fail "$label: report failed"; }
		grep -q 'the process was killed' "$WORK/r.txt" || fail "$label: the report does not say the process was killed"
	done
done
