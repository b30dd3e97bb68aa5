#!/bin/sh
# The malloc probes behave exactly as the functions they wrap: edge cases
# of malloc, calloc, realloc, reallocarray, aligned_alloc, memalign,
# posix_memalign, valloc, pvalloc, free and C++'s aligned new
# (tests/progs/probes_exact.cpp: non-power-of-two and zero alignments,
# sizes that overflow, errno after each call, the block a failed realloc
# keeps) print the same lines with the probes as without, where the first
# call also starts the recorder (its system calls must not show in errno).
. "$TESTLIB/common.sh"
prog=$BUILD/tests/probes_exact
[ -x "$prog" ] || fail "tests/progs not built"
sanitized && skip "allocation probes are not used with a sanitized build (ASan replaces malloc)"
"$prog" > "$WORK/plain" || fail "probes_exact fails on its own"
grep -q '^aligned_alloc(24, 48) *memory' "$WORK/plain" ||
	echo "note: this glibc refuses aligned_alloc(24, 48); compared all the same"
for probes in malloc malloc,free-stacks; do
	rm -rf "$WORK/out"; mkdir -p "$WORK/out"
	"$BUFTRACE" record -o "$WORK/out" --probes "$probes" -- "$prog" > "$WORK/probed" 2> "$WORK/err" ||
		fail "$probes: exit $?: $(cat "$WORK/err")"
	diff "$WORK/plain" "$WORK/probed" > "$WORK/diff" || fail "$probes: output changed: $(cat "$WORK/diff")"
	t=$(only_trace)
	"$BUFTRACE" dump --summary "$t" > "$WORK/sum" || fail "$probes: trace unreadable"
	grep -q '^malloc  *(probe)  *[1-9]' "$WORK/sum" || fail "$probes: no allocation recorded: $(cat "$WORK/sum")"
done
echo "$(wc -l < "$WORK/plain") calls, the same with the probes"
