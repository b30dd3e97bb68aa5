#!/bin/sh
# Reliability, other copies of libunwind: a program linked with -lunwind
# (the recorder's own libunwind.so.8, with a different caching policy)
# unwinds itself from main and a thread while the runtime is traced, and
# gets the same depths as without the tracer; the libcxx fixture, which
# loads LLVM's libunwind.so.1 beside it, runs traced unchanged.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$BUILD/tests/unwind_user
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
"$prog" "$FIX/gnu" > "$WORK/ref" 2>&1 || fail "unwind_user fails without the tracer: $(cat "$WORK/ref")"
"$BUFTRACE" record -o "$WORK/out" -- "$prog" "$FIX/gnu" > "$WORK/tr" 2> "$WORK/tr.err" ||
	fail "unwind_user under the tracer: $(cat "$WORK/tr" "$WORK/tr.err")"
cmp -s "$WORK/ref" "$WORK/tr" || fail "unwind_user output changed: $(cat "$WORK/tr")"
"$BUFTRACE" dump --summary "$(only_trace)" > /dev/null || fail "unwind_user: bad trace"

if ldd "$LIB" | grep -q 'lib[at]san'; then
	echo "sanitized recorder: the clang-built libcxx fixture has another sanitizer runtime: that half skipped"
elif [ -x "$FIX/libcxx/host_dlopen" ]; then
	for host in host_dlopen host_linked; do
		rm -f "$WORK"/out/*
		"$FIX/libcxx/$host" --churn 2000 > "$WORK/ref" 2>&1 || fail "libcxx $host fails without the tracer"
		"$BUFTRACE" record -o "$WORK/out" -- "$FIX/libcxx/$host" --churn 2000 > "$WORK/tr" 2>/dev/null ||
			fail "libcxx $host under the tracer"
		cmp -s "$WORK/ref" "$WORK/tr" || fail "libcxx $host output changed"
		t=$(only_trace)
		"$BUFTRACE" dump "$t" > "$WORK/d" || fail "libcxx $host: bad trace"
		grep -q 'libunwind.so.1' "$WORK/d" || echo "note: libcxx $host did not load libunwind.so.1"
		grep -q '^END ' "$WORK/d" || fail "libcxx $host: no END"
	done
else
	echo "libcxx fixture not built: that half skipped"
fi
echo "libunwind coexistence OK"
