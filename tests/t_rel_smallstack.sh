#!/bin/sh
# Reliability, small stacks: a thread with little of its stack left makes
# runtime calls.  The recorder's work in a hooked call takes some of the
# caller's stack; its large buffers (the walk's frames, the records it
# writes, the paths it builds when it starts) are per thread or under its
# locks, so 5 KiB left is enough for the calls (8 KiB for the one that
# starts the recorder), with and without the malloc probes.  Before, it
# took about 10 KiB (16 KiB to start) and such a thread died of SIGSEGV.
# Python threads on small stacks: t_python_small_stack.sh.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$BUILD/tests/stackleft
[ -x "$prog" ] || fail "tests/progs not built"
# sanitizers make every frame larger (redzones): more room there
if sanitized; then calls=65536 start=65536; else calls=5120 start=8192; fi
for mode in "$calls" "$start first"; do
	"$prog" "$FIX/gnu/_ttnn.so" $mode > /dev/null || fail "$mode bytes left: the program fails without buftrace"
	for probes in "" "--probes malloc"; do
		sanitized && [ -n "$probes" ] && continue # ASan owns malloc
		rm -rf "$WORK/t"
		"$BUFTRACE" record --quiet -o "$WORK/t" $probes -- "$prog" "$FIX/gnu/_ttnn.so" $mode \
			> "$WORK/out" 2> "$WORK/err"
		rc=$?
		[ $rc = 0 ] && [ "$(cat "$WORK/out")" = "stackleft: ok" ] ||
			fail "$mode bytes left $probes: exit $rc: $(cat "$WORK/out" "$WORK/err")"
		set -- "$WORK"/t/*.zst
		n=$("$BUFTRACE" dump --summary "$1" | sed -n 's/^Buffer::create  *\([0-9]*\) .*/\1/p')
		[ -n "$n" ] && [ "$n" -ge 50 ] || fail "$mode $probes: $n Buffer::create calls recorded"
	done
	echo "$mode bytes left: recorded"
done
