#!/bin/sh
# Reliability, secure-exec: in a setuid, setgid or file-capability program
# (AT_SECURE) the recorder does nothing: no file, no thread, the program's
# output unchanged.  The recorder is dlopen'ed by the program itself
# (tests/progs/dltrace.c), since the loader ignores LD_PRELOAD paths for
# such programs.  Run as root: drops to `nobody` with setpriv.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/dltrace
fake=$BUILD/tests/libbtfake.so
[ -x "$prog" ] || fail "tests/progs not built"
ldd "$prog" | grep -q 'lib[at]san' && skip "sanitizer builds do not run setuid (secure-exec ignores their options)"
[ "$(id -u)" = 0 ] || skip "needs root to make setuid/setcap copies"
command -v setpriv >/dev/null || skip "no setpriv to run as an unprivileged user"
chmod 755 "$WORK"
mkdir -p "$WORK/bin" "$WORK/out"
chmod 1777 "$WORK/out"
cp "$prog" "$WORK/bin/dltrace"
nobody() { setpriv --reuid=65534 --regid=65534 --clear-groups "$@"; }
runit() { # NAME: run the copy as nobody with the recorder configured
	rm -f "$WORK"/out/*
	( cd "$WORK/out" && BUFTRACE_OUTPUT="$WORK/out" nobody "$WORK/bin/dltrace" "$LIB" "$fake" ) > "$WORK/$1.out" 2>&1
	rc=$?
	[ $rc = 0 ] || fail "$1: exit $rc: $(cat "$WORK/$1.out")"
}
# control: not privileged, the recorder records
runit plain
grep -q "AT_SECURE=0" "$WORK/plain.out" || fail "plain: $(cat "$WORK/plain.out")"
t=$(ls "$WORK"/out/*.zst 2>/dev/null) || fail "plain: the dlopen'ed recorder wrote no trace"
"$BUFTRACE" dump "$t" | grep -q 'buffer=0x5ec$' || fail "plain: the hooked call is not in the trace"

checked=0
secure() { # NAME: the copy is privileged now
	runit "$1"
	if grep -q "AT_SECURE=0" "$WORK/$1.out"; then
		echo "$1: the kernel did not make it secure-exec here (nosuid mount?): not checked"
		return
	fi
	[ -z "$(ls "$WORK/out")" ] || fail "$1: a secure-exec program wrote $(ls "$WORK/out")"
	sed 's/AT_SECURE=1/AT_SECURE=0/' "$WORK/$1.out" | cmp -s - "$WORK/plain.out" || fail "$1: output changed"
	checked=$((checked + 1))
}
chown root:root "$WORK/bin/dltrace"
chmod 4755 "$WORK/bin/dltrace"; secure setuid
chmod 2755 "$WORK/bin/dltrace"; secure setgid
chmod 0755 "$WORK/bin/dltrace"
if command -v setcap >/dev/null && setcap cap_net_bind_service+ep "$WORK/bin/dltrace" 2>/dev/null; then
	secure setcap
else
	echo "setcap: no libcap2-bin or no file capabilities here: not checked"
fi
[ $checked -gt 0 ] || skip "no secure-exec program could be made here"
echo "secure-exec: $checked kinds checked"
