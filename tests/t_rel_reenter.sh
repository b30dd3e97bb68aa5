#!/bin/sh
# Reliability, re-entrancy: hooked calls (to tests/progs/libbtfake.so, a
# stand-in runtime exporting hooked names) from a library constructor that
# runs before the recorder's own (and calls dlsym), a static constructor
# before main, a signal handler (while main dlopen/dlcloses and makes
# hooked calls), a library's destructors during dlclose, an atexit
# handler and a static destructor; and the same with the malloc probes on,
# so that the recorder's own allocations reach a hook.  The program is
# unharmed, nothing deadlocks, every call that was not nested in another
# is in the trace once.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/reenter
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
run() { # NAME ARGS...: traced run, compared with an untraced one
	name=$1; shift
	rm -f "$WORK"/out/*
	timeout 60 env BTFAKE_CTOR_CALL=1 "$prog" "$@" > "$WORK/ref" 2>&1 || fail "$name: fails without the tracer"
	timeout 60 env BTFAKE_CTOR_CALL=1 LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" ${EXTRA:-} "$prog" "$@" \
		> "$WORK/$name.out" 2> "$WORK/$name.err"
	rc=$?
	[ $rc = 124 ] && fail "$name: deadlock"
	[ $rc = 0 ] || fail "$name: exit $rc under the tracer: $(cat "$WORK/$name.err")"
	[ -s "$WORK/$name.err" ] && fail "$name: stderr: $(cat "$WORK/$name.err")"
	ls /buftrace.* 2>/dev/null | grep -q reenter && fail "$name: a trace was written to /"
	t=$(only_trace)
	"$BUFTRACE" dump "$t" > "$WORK/$name.dump" 2>&1 || fail "$name: dump: $(tail -1 "$WORK/$name.dump")"
}
markers() { # NAME MARKER...: each marker once as a Buffer::deallocate buffer
	name=$1; shift
	for m in "$@"; do
		n=$(grep -c "Buffer::deallocate enter .* buffer=$m\$" "$WORK/$name.dump")
		[ "$n" = 1 ] || fail "$name: buffer=$m found $n times, want once"
	done
}
# 0xc7001 library constructor, 0xc7002 static constructor, 0x3a1 main,
# 0xd1c1/0xd1c2 destructor/static destructor of a dlclose'd library,
# 0xa7e1 atexit handler, 0xd7002 static destructor after main
run places dlclose exit
cmp -s "$WORK/ref" "$WORK/places.out" || fail "places: output changed: $(cat "$WORK/places.out")"
markers places 0xc7001 0xc7002 0x3a1 0xd1c1 0xd1c2 0xa7e1 0xd7002
grep -q '^END ' "$WORK/places.dump" || fail "places: no END record"

run signal signal 1000
python3 - "$WORK/signal.dump" "$WORK/signal.out" <<'PY' || exit 1
import re, sys
ev = [l.split() for l in open(sys.argv[1]) if l.startswith("EVENT ")]
out = open(sys.argv[2]).read()
calls = int(re.search(r"(\d+) handler calls", out).group(1))
bufs = [e[-1].split("=")[1] for e in ev if e[4] == "Buffer::deallocate"]
main = [int(b, 16) for b in bufs if int(b, 16) >= 0x100000]
if sorted(main) != list(range(0x100000, 0x100000 + 1000)):
    sys.exit(f"FAIL: signal: main's 1000 calls are not each in the trace once ({len(main)})")
h = bufs.count("0x5160")
if not 0 < h <= calls:
    sys.exit(f"FAIL: signal: {h} handler events for {calls} handler calls")
if bufs.count("0xd1c1") != 1000 or bufs.count("0xd1c2") != 1000:
    sys.exit("FAIL: signal: the dlclose'd library's destructor calls are not all there")
seqs = sorted(int(e[1][4:]) for e in ev)
if seqs != list(range(len(seqs))):
    sys.exit("FAIL: signal: sequence numbers have gaps or repeats")
print(f"signal: {calls} handler calls, {h} recorded (the others interrupted a hook)")
PY

# the recorder's own allocations meet the malloc probes
EXTRA=BUFTRACE_PROBES=malloc run probes dlclose exit signal 200
markers probes 0xc7001 0xc7002 0x3a1 0xa7e1 0xd7002
grep -q 'malloc' "$WORK/probes.dump" || fail "probes: no malloc events"
echo "re-entrancy OK"
