#!/bin/sh
# Process boundaries: a fork child traces into its own file, an exec'd
# image into another; a process that never reaches a hook writes nothing
# (nor maps libzstd or libunwind, which only recording needs);
# exit statuses and fatal signals pass through `buftrace record`.
. "$TESTLIB/common.sh"
need_fixture gnu
out=$WORK/out; mkdir -p "$out"

# 1. no hooked call: no file, status passes through
"$BUFTRACE" record -o "$out" -- sh -c 'ls / >/dev/null; exit 7' 2>"$WORK/err"
[ $? = 7 ] || fail "exit status 7 not passed through"
[ -z "$(ls "$out")" ] || fail "a process without hooked calls wrote $(ls "$out")"
grep -q 'no trace written' "$WORK/err" || fail "record did not say that no trace was written"
# ... and maps none of the libraries that only recording needs (the
# preload loads libzstd and libunwind when a process starts recording),
# which a process that records does
maps() { grep -oE 'lib(zstd|unwind|lzma)\.so[.0-9]*' "$1" | sort -u | tr '\n' ' '; }
"$BUFTRACE" record -o "$out" -- sh -c 'cat /proc/$$/maps > "$1"' sh "$WORK/maps.none" 2>/dev/null
[ -z "$(maps "$WORK/maps.none")" ] || fail "a process that never records mapped $(maps "$WORK/maps.none")"
# (python3 is not instrumented: it cannot load a sanitized fixture)
sanitized || "$BUFTRACE" record -o "$WORK/maps" -- \
	python3 -c 'import ctypes, os, sys; lib = ctypes.PyDLL(sys.argv[1]); lib.ttnn_open_mesh(1); lib.ttnn_close_mesh(); open(sys.argv[2], "w").write(open("/proc/self/maps").read())' \
	"$FIX/gnu/_ttnn.so" "$WORK/maps.rec" > /dev/null 2>&1 || fail "the recording process failed"
sanitized || case " $(maps "$WORK/maps.rec")" in *" libzstd.so"*) ;; *) fail "a recording process has no libzstd mapped: $(maps "$WORK/maps.rec")" ;; esac
sanitized || case " $(maps "$WORK/maps.rec")" in *" libunwind.so"*) ;; *) fail "a recording process has no libunwind mapped: $(maps "$WORK/maps.rec")" ;; esac
rm -rf "$WORK/maps"

# 2. death by signal is reproduced
"$BUFTRACE" record -o "$out" -- sh -c 'kill -TERM $$'
[ $? = 143 ] || fail "SIGTERM death not passed through"

# 3. fork + exec: three files, one per process image
"$BUFTRACE" record -o "$out" -- "$BUILD/tests/forkexec" "$FIX/gnu" 2>"$WORK/err"
rc=$?
[ $rc = 5 ] || fail "forkexec exit status $rc, expected 5"
n=$(ls "$out"/buftrace.*.zst | wc -l)
[ "$n" = 3 ] || fail "expected 3 trace files (parent, fork child, exec image), got $n: $(ls "$out")"
[ "$(grep -c zst "$WORK/err")" = 3 ] || fail "record did not list the 3 files: $(cat "$WORK/err")"
pids=""
for f in "$out"/buftrace.*.zst; do
	"$BUFTRACE" dump --json "$f" > "$WORK/d.json" || fail "dump $f failed"
	python3 - "$WORK/d.json" <<'PY' || fail "bad trace $f"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hdr = recs[0]
assert hdr["record"] == "HEADER", "first record is not HEADER"
ev = [r for r in recs if r["record"] == "EVENT"]
assert ev, "no events"
assert any(r["record"] == "END" for r in recs), "no END record"
print(hdr["pid"], hdr["ppid"], len(ev))
PY
done > "$WORK/pids"
# the fork child's ppid is the parent's pid; the exec image keeps the parent's pid
python3 - "$WORK/pids" <<'PY' || fail "process relations wrong: $(cat "$WORK/pids")"
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
pids = [r[0] for r in rows]
assert len(set(pids)) == 2, rows                      # parent and exec share a pid
child = [r for r in rows if pids.count(r[0]) == 1][0]
assert child[1] in pids, rows                          # child of the parent
PY
echo "process boundaries OK"

# 5. the libraries recording loads when it starts, missing: without
# libzstd no trace can be written (one line, the program goes on); without
# libunwind the recorder's own walker does the walks (one line, the trace
# is complete).  An empty library of each name, found first.
for lib in libzstd.so.1 libunwind.so.8; do
	d=$WORK/fake-${lib%%.*}; mkdir -p "$d" "$d/out"
	echo 'int buftrace_test_not_the_library;' | ${CC:-cc} -shared -fPIC -x c - -o "$d/$lib" ||
		fail "cannot build a fake $lib"
	"$FIX/gnu/host_dlopen" > "$WORK/plain.out" 2>&1 || fail "host_dlopen fails without buftrace"
	LD_LIBRARY_PATH=$d LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$d/out" "$FIX/gnu/host_dlopen" > "$WORK/fake.out" 2> "$WORK/fake.err"
	rc=$?
	[ $rc = 0 ] && cmp -s "$WORK/plain.out" "$WORK/fake.out" || fail "$lib missing: exit $rc, output $(cat "$WORK/fake.out")"
	[ "$(grep -c . "$WORK/fake.err")" = 1 ] || fail "$lib missing: stderr: $(cat "$WORK/fake.err")"
	case $lib in
	libzstd*)
		# with the loader's reason
		grep -q "^buftrace: cannot load libzstd.so.1 (1.4 or later) to compress: .*undefined symbol: ZSTD_createCCtx; tracing stopped, the program goes on$" \
			"$WORK/fake.err" || fail "$lib missing: $(cat "$WORK/fake.err")"
		[ -z "$(ls "$d/out")" ] || fail "$lib missing: wrote $(ls "$d/out")" ;;
	*)
		grep -q "^buftrace: cannot load libunwind.so.8 (.*undefined symbol: .*): stacks are cut where the recorder's own walker stops$" \
			"$WORK/fake.err" || fail "$lib missing: $(cat "$WORK/fake.err")"
		set -- "$d"/out/*.zst
		"$BUFTRACE" report "$1" > /dev/null || fail "$lib missing: the trace does not read" ;;
	esac
done
echo "libzstd or libunwind missing: one line each, the program unchanged"

# 6. two recorders in one process: a copy of the library from another
# path in the user's LD_PRELOAD (an installed buftrace beside a build's
# record, or the malloc probes' library): each took the other's hooked
# function for the real one and they called each other until the stack
# ran out (SIGSEGV).  The one first in the loader's order records, the
# other stays off: one trace, the same events as with one copy, the
# program unchanged.  Every fixture variant, both copies' kinds.
# (Not with a sanitized build: two instrumented copies of one library
# are an ODR violation to ASan, whatever the recorder does.)
sanitized && { echo "two recorders: not checked in a sanitized build"; exit 0; }
mkdir -p "$WORK/copy/lib/buftrace"
cp "$LIB" "$(dirname "$LIB")/libbuftrace-malloc.so" "$WORK/copy/lib/buftrace/" || fail "cannot copy the recorder"
for v in gnu libcxx next old y2025 bds; do
	h=$FIX/$v/host_dlopen
	[ -x "$h" ] || continue
	for other in libbuftrace.so libbuftrace-malloc.so; do
		label="$v, $other also preloaded"
		rm -rf "$WORK/one" "$WORK/two"
		"$BUFTRACE" record --quiet -o "$WORK/one" -- "$h" > "$WORK/one.out" 2>&1 || fail "$label: one copy: exit $?"
		LD_PRELOAD=$WORK/copy/lib/buftrace/$other "$BUFTRACE" record --quiet -o "$WORK/two" -- "$h" > "$WORK/two.out" 2>&1
		rc=$?
		[ $rc = 0 ] || fail "$label: exit $rc: $(tail -2 "$WORK/two.out")"
		cmp -s "$WORK/one.out" "$WORK/two.out" || fail "$label: output changed: $(tail -2 "$WORK/two.out")"
		set -- "$WORK"/two/*.zst
		[ $# = 1 ] || fail "$label: $# traces"
		a=$("$BUFTRACE" dump "$WORK"/one/*.zst | grep -c '^EVENT')
		b=$("$BUFTRACE" dump "$1" | grep -c '^EVENT')
		[ "$a" = "$b" ] || fail "$label: $b events, $a with one copy"
	done
done
echo "two recorders: the first records, the other stays off"
