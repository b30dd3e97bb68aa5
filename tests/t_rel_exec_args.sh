#!/bin/sh
# Reliability, the execl family: execl, execlp and execle with 5002
# arguments (the recorder collects the variadic arguments itself to put
# its exec hook in front) must pass every one through, and execle the
# environment after the NULL: without the recorder, under it, with
# BUFTRACE_DISABLE=1, and under --probes malloc (recording when exec comes).
. "$TESTLIB/common.sh"
prog=$BUILD/tests/execargs
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
export EXECARGS_ENV=inherited
for f in execl execlp execle; do
	env=inherited; [ $f = execle ] && env=execle
	want="argc=5002 env=$env bad=0"
	got=$("$prog" $f 2>&1)
	[ "$got" = "$want" ] || fail "$f without the recorder: $got"
	got=$(LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" "$prog" $f 2>&1)
	[ "$got" = "$want" ] || fail "$f under the recorder: $got"
	got=$(LD_PRELOAD="$LIB" BUFTRACE_DISABLE=1 "$prog" $f 2>&1)
	[ "$got" = "$want" ] || fail "$f with BUFTRACE_DISABLE=1: $got"
	if ! sanitized; then
		got=$("$BUFTRACE" record -o "$WORK/out" --probes malloc -- "$prog" $f 2>/dev/null)
		[ "$got" = "$want" ] || fail "$f under --probes malloc: $got"
	fi
	echo "$f: $want"
done
