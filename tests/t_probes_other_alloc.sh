#!/bin/sh
# The malloc probes with another allocator: jemalloc and tcmalloc preloaded
# after the recorder (LD_PRELOAD=jemalloc buftrace record --probes malloc,
# as PyTorch users run).  The program must keep its allocator: every
# entry point's block is that allocator's (otheralloc prints the usable
# sizes, which differ from glibc's, and asks the allocator's own
# malloc_usable_size of each block: a glibc block crashed it), the output
# is the plain run's, the leak is found with its stack, and Python starts
# (it died at its first realloc).  Also glibc alone, unchanged.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/otheralloc
[ -x "$prog" ] || fail "tests/progs not built"
sanitized && skip "a sanitizer's allocator and another allocator do not mix"
libdir=/usr/lib/x86_64-linux-gnu
py=$(python3 -c 'import sys; print(sys.executable)')
n=0
for a in "" $libdir/libjemalloc.so.2 $libdir/libtcmalloc_minimal.so.4; do
	[ -z "$a" ] || [ -f "$a" ] || fail "$a missing (make test installs libjemalloc2 and libtcmalloc-minimal4)"
	name=${a:-glibc}
	LD_PRELOAD=$a "$prog" > "$WORK/plain" 2>&1 || fail "$name: otheralloc fails without buftrace: $(cat "$WORK/plain")"
	rm -rf "$WORK/t"
	LD_PRELOAD=$a "$BUFTRACE" record --quiet --probes malloc -o "$WORK/t" -- "$prog" > "$WORK/rec" 2>&1
	rc=$?
	[ $rc = 0 ] || fail "$name: exit $rc under record --probes malloc: $(tail -3 "$WORK/rec")"
	cmp -s "$WORK/plain" "$WORK/rec" || fail "$name: other blocks under the probes: plain '$(cat "$WORK/plain")', recorded '$(cat "$WORK/rec")'"
	[ -z "$a" ] || ! cmp -s "$WORK/plain" "$WORK/glibc" || fail "$name: the usable sizes are glibc's: $(cat "$WORK/plain")"
	[ -n "$a" ] || cp "$WORK/plain" "$WORK/glibc"
	"$BUFTRACE" report "$WORK/t" > "$WORK/r.txt" 2>&1 || fail "$name: report failed: $(tail -3 "$WORK/r.txt")"
	grep -A1 '1 block, 4242 bytes' "$WORK/r.txt" | grep -q 'leak_here' || fail "$name: the leak is not found: $(grep -A3 'Host memory' "$WORK/r.txt")"
	# Python under the probes with the allocator (not through pyenv's shell shim)
	LD_PRELOAD=$a "$py" -c 'import json; print(len(json.dumps([list(range(i)) for i in range(300)])))' > "$WORK/pyplain" 2>&1 ||
		fail "$name: python fails without buftrace"
	LD_PRELOAD=$a "$BUFTRACE" record --quiet --probes malloc -o "$WORK/t" -- "$py" -c \
		'import json; print(len(json.dumps([list(range(i)) for i in range(300)])))' > "$WORK/pyrec" 2>&1
	rc=$?
	[ $rc = 0 ] && cmp -s "$WORK/pyplain" "$WORK/pyrec" || fail "$name: python under the probes: exit $rc: $(tail -3 "$WORK/pyrec")"
	n=$((n + 1))
done
# jemalloc before the probes (by hand: LD_PRELOAD=jemalloc:ours): the
# program never calls ours; one line says so, the program is unchanged
malloclib=$(dirname "$LIB")/libbuftrace-malloc.so
a=$libdir/libjemalloc.so.2
LD_PRELOAD=$a "$prog" > "$WORK/plain" 2>&1
mkdir -p "$WORK/first"
LD_PRELOAD=$a:$malloclib BUFTRACE_OUTPUT=$WORK/first BUFTRACE_PROBES=malloc "$prog" > "$WORK/out" 2> "$WORK/err" ||
	fail "jemalloc first: exit $?"
cmp -s "$WORK/plain" "$WORK/out" || fail "jemalloc first: output changed: $(cat "$WORK/out")"
[ "$(cat "$WORK/err")" = "buftrace: malloc is $a's, found before the malloc probes: allocations are not recorded" ] ||
	fail "jemalloc first: stderr: $(cat "$WORK/err")"
echo "ok: $n allocators kept under the malloc probes (glibc, jemalloc, tcmalloc); one found first is said"
