#!/bin/sh
# Reliability: a signal handler that interrupts the dynamic loader makes a
# hooked call.  tests/progs/sigloader dlopens and dlcloses a library in a
# loop while a 20 us timer's handler, on the same thread, calls
# Buffer::deallocate (libbtfake.so).  Recording such a call must not call
# the loader (dl_iterate_phdr, dladdr: a module scan, libunwind's walk):
# the interrupted dlopen may hold the loader's lock, or have half taken
# it, and the handler would wait for it forever.  The recorder's walker
# steps through the signal frame and so knows it runs in a handler
# (preload/unwind.h).  Checked two ways, each round: the program ends (a
# recorder that scans there hangs within a round or two; 124 = deadlock),
# and tests/progs/libdlcount.so, preloaded before the recorder, counts the
# loader calls made while the handler runs: none.  The handler's calls
# are recorded, with stacks that go on past the signal frame.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/sigloader
count=$BUILD/tests/libdlcount.so
[ -x "$prog" ] && [ -f "$count" ] || fail "tests/progs not built"
sanitized && skip "a sanitizer runtime in the way of the preloaded counter"
mkdir -p "$WORK/out"
for round in 1 2 3; do
	rm -f "$WORK"/out/*
	timeout 15 env LD_PRELOAD="$count:$LIB" BUFTRACE_OUTPUT="$WORK/out" \
		"$prog" "$BUILD/tests/libreload1.so" 3 > "$WORK/out.txt" 2> "$WORK/err.txt"
	rc=$?
	[ $rc = 124 ] && fail "round $round: deadlock (a hooked call in a handler that interrupted dlopen/dlclose)"
	[ $rc = 0 ] || fail "round $round: exit $rc under the tracer: $(cat "$WORK/err.txt")"
	[ -s "$WORK/err.txt" ] && fail "round $round: stderr: $(cat "$WORK/err.txt")"
	calls=$(sed -n 's/.* \([0-9]*\) handler calls.*/\1/p' "$WORK/out.txt")
	loader=$(sed -n 's/.* \([0-9]*\) loader calls in handlers/\1/p' "$WORK/out.txt")
	[ "${calls:-0}" -gt 100 ] || fail "round $round: only ${calls:-0} handler calls"
	[ "$loader" = 0 ] || fail "round $round: the recorder made ${loader:-?} loader calls inside the signal handler"
	t=$(only_trace)
	"$BUFTRACE" dump --json "$t" > "$WORK/dump.json" || fail "round $round: dump failed"
	python3 - "$WORK/dump.json" "$calls" <<'PY' || exit 1
import json, sys
stacks, depths = {}, []
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r["record"] == "STACK":
        stacks[r["stack_id"]] = len(r["ips"])
    elif r["record"] == "EVENT" and "0x5160" in json.dumps(r.get("args", r)):
        depths.append(stacks.get(r.get("stack"), 0))
calls = int(sys.argv[2])
if not 0 < len(depths) <= calls:
    sys.exit("FAIL: %d handler events for %d handler calls" % (len(depths), calls))
# on_alarm, the trampoline, the interrupted code and its callers
if max(depths) < 4:
    sys.exit("FAIL: the handler's stacks end at the signal frame (deepest %d frames)" % max(depths))
PY
	echo "round $round: $(head -1 "$WORK/out.txt" | sed 's/^sigloader: //'), no loader call in the handler"
done
echo "signal handler in the loader OK"
