#!/bin/sh
# Reliability, descriptors: the program closes or replaces descriptors
# under the recorder (close_range, closefrom, a close loop as daemons do,
# dup2 of /dev/null over every number) and opens a file of its own, which
# gets the number the trace had.  The recorder must never write to a
# descriptor it no longer owns: the program's file holds exactly what the
# program wrote, and the trace is complete (all 20 events and END), since
# the recorder reopens its file.  Where the trace file is gone (renamed
# away), one line on stderr, the program runs on, and the file renamed
# away still reads up to the loss.  A fork child after close_range must
# find the parent's file open (the recorder closes nothing it does not own).
# A program with one descriptor left at its first hooked call: the trace
# takes it, and yet record lists the trace (its manifest line once needed a
# second descriptor: "no trace written") and the header has the command
# line (read before the trace file is made).  With none left, the recorder
# says once, with the reason (it once blamed a missing libzstd), that it
# stopped, whether loading libzstd or making the file is what fails (the
# first with libzstd preloaded: a libunwind it then cannot load is not a
# second message), and the program runs on unchanged.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/fdgames
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
# events TRACE: the hooked calls' first arguments, one a line; fails without END
events() {
	"$BUFTRACE" dump "$1" > "$WORK/dump" 2> "$WORK/dump.err"
	rc=$?
	python3 - "$WORK/dump" "$rc" "$1" <<'PY' || exit 1
import sys
lines = open(sys.argv[1]).read().splitlines()
ev = [l.split()[-1].split("=")[1] for l in lines if l.startswith("EVENT ")]
end = [l for l in lines if l.startswith("END ")]
if sys.argv[2] != "0" or len(end) != 1 or f"events={len(ev)} " not in end[0] + " ":
    sys.exit(f"FAIL: {sys.argv[3]}: incomplete trace (dump exit {sys.argv[2]}, END {end}, {len(ev)} events)")
print("\n".join(ev))
PY
}
want=$(python3 -c 'print("\n".join(hex(0xfd000 + i) for i in range(20)))')
run() { # MODE [ARGS]: under the recorder, 10 ms flushes; output and status kept
	rm -rf "$WORK"/out/* "$WORK/own"
	mode=$1; shift
	LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" BUFTRACE_FLUSH_MS=10 timeout 60 \
		"$prog" "$mode" "$WORK/own" "$@" > "$WORK/stdout" 2> "$WORK/stderr"
	rc=$?
	[ $rc = 0 ] || fail "$mode: exit $rc: $(cat "$WORK/stdout" "$WORK/stderr")"
	[ "$(cat "$WORK/stdout")" = "fdgames: $mode ok" ] || fail "$mode: output changed: $(cat "$WORK/stdout")"
}
own_is() { # MODE CONTENT: the program's own file holds exactly what it wrote
	printf "$2" | cmp -s - "$WORK/own" || fail "$1: the program's own file was touched: $(od -c "$WORK/own" | head -3)"
}
for mode in close_range closefrom closeloop dup2null; do
	run $mode
	[ -s "$WORK/stderr" ] && fail "$mode: stderr: $(cat "$WORK/stderr")"
	own_is $mode 'mine\n'
	set -- "$WORK"/out/*.zst
	[ $# = 1 ] || fail "$mode: want one trace, found $*"
	got=$(events "$1") || { echo "$got"; exit 1; }
	[ "$got" = "$want" ] || fail "$mode: trace events: $(echo $got)"
	echo "$mode: own file untouched, trace complete"
done

# the trace file renamed away, then its descriptor closed: it cannot be
# reopened.  One line, the program goes on, the moved file reads to the loss.
run moved "$WORK/out"
own_is moved 'mine\n'
[ "$(grep -c . "$WORK/stderr")" = 1 ] || fail "moved: want one line on stderr: $(cat "$WORK/stderr")"
grep -q "^buftrace: .*cannot reopen.*tracing stopped, the program goes on" "$WORK/stderr" ||
	fail "moved: stderr: $(cat "$WORK/stderr")"
set -- "$WORK"/out/moved.*
[ $# = 1 ] || fail "moved: want the moved trace only, found $(ls "$WORK/out")"
"$BUFTRACE" dump "$1" > "$WORK/dump" 2> "$WORK/dump.err"
[ $? = 1 ] || fail "moved: the cut trace reads as complete"
first=$(grep '^EVENT ' "$WORK/dump" | awk '{print $NF}' | cut -d= -f2)
[ "$first" = "$(echo "$want" | head -n 10)" ] || fail "moved: events before the loss: $(echo $first)"
echo "moved: one line, the trace reads up to the loss"

# fork after close_range: the child writes to the parent's own file
run fork
[ -s "$WORK/stderr" ] && fail "fork: stderr: $(cat "$WORK/stderr")"
own_is fork 'mine\nchild\nparent\n'
n=0
for t in "$WORK"/out/*.zst; do
	got=$(events "$t") || { echo "$got"; exit 1; }
	case $got in
	0xfd000*) [ "$got" = "$want" ] || fail "fork: parent trace: $(echo $got)" ;;
	*) [ "$got" = "$(python3 -c 'print("\n".join(hex(0xfd100 + i) for i in range(10)))')" ] ||
		fail "fork: child trace: $(echo $got)" ;;
	esac
	n=$((n + 1))
done
[ $n = 2 ] || fail "fork: want 2 traces, found $n"
echo "fork: the child has its parent's file, both traces complete"

# one descriptor free at the first hooked call, under record
rm -rf "$WORK"/out/* "$WORK/own"
BUFTRACE_FLUSH_MS=10 timeout 60 "$BUFTRACE" record -o "$WORK/out" -- "$prog" atlimit "$WORK/own" \
	> "$WORK/stdout" 2> "$WORK/stderr" || fail "atlimit: exit $?: $(cat "$WORK/stdout" "$WORK/stderr")"
[ "$(cat "$WORK/stdout")" = "fdgames: atlimit ok" ] || fail "atlimit: output changed: $(cat "$WORK/stdout")"
own_is atlimit 'mine\n'
set -- "$WORK"/out/*.zst
[ $# = 1 ] || fail "atlimit: want one trace, found $*"
[ "$(cat "$WORK/stderr")" = "buftrace: trace $1" ] || fail "atlimit: record said: $(cat "$WORK/stderr")"
[ "$(cat "$WORK/out/buftrace.last")" = "$1" ] || fail "atlimit: buftrace.last: $(cat "$WORK/out/buftrace.last")"
got=$(events "$1") || { echo "$got"; exit 1; }
[ "$got" = "$want" ] || fail "atlimit: trace events: $(echo $got)"
"$BUFTRACE" dump "$1" | grep -q "^HEADER .* cmdline='$prog atlimit $WORK/own' " ||
	fail "atlimit: header: $("$BUFTRACE" dump "$1" | grep '^HEADER')"
echo "atlimit: record lists the trace, complete, with its command line"

# no descriptor free at the first hooked call
for pre in none libzstd.so.1; do
	rm -rf "$WORK"/out/* "$WORK/own"
	# record keeps what LD_PRELOAD held (a program run through env would lose ours)
	if [ $pre = none ]; then set --; else set -- env LD_PRELOAD=$pre; fi
	timeout 60 "$@" "$BUFTRACE" record -o "$WORK/out" -- "$prog" atzero "$WORK/own" \
		> "$WORK/stdout" 2> "$WORK/stderr" || fail "atzero ($pre): exit $?: $(cat "$WORK/stdout" "$WORK/stderr")"
	[ "$(cat "$WORK/stdout")" = "fdgames: atzero ok" ] || fail "atzero ($pre): output changed: $(cat "$WORK/stdout")"
	own_is atzero 'mine\n'
	! ls "$WORK"/out/*.zst > /dev/null 2>&1 || fail "atzero ($pre): a trace was written"
	grep -v '^buftrace: no trace written' "$WORK/stderr" > "$WORK/said"
	[ $(wc -l < "$WORK/said") = 1 ] || fail "atzero ($pre): the recorder said more or less than one line: $(cat "$WORK/stderr")"
	grep -q 'Too many open files; tracing stopped, the program goes on$' "$WORK/said" ||
		fail "atzero ($pre): no reason: $(cat "$WORK/said")"
	if [ $pre = none ]; then want_said='cannot load libzstd'; else want_said="cannot create a trace file in $WORK/out"; fi
	grep -q "^buftrace: $want_said" "$WORK/said" || fail "atzero ($pre): $(cat "$WORK/said")"
done
echo "atzero: one line with the reason, the program unchanged"
