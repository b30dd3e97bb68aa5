#!/bin/sh
# `buftrace record` on the command line:
#  - a signal sent to record reaches the program; record waits for it,
#    lists and remembers its traces (buftrace.last: the call is in them),
#    removes its manifest
#    and exits as the program did; signals ignored on entry stay ignored
#    for the program;
#  - -o DIR is created with its parents; one clear line when it cannot be;
#  - an out-of-range --depth / --flush-ms is refused (exit 2, one line);
#    the recorder clamps out-of-range BUFTRACE_* variables and says so once,
#    and only in a process that records.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$BUILD/tests/sigcall
fake=$BUILD/tests/libbtfake.so
[ -x "$prog" ] || fail "tests/progs not built"
ulimit -c 0

# until FILE is written by the program (bounded: 30 s)
wait_file() {
	i=0
	while [ ! -s "$1" ]; do
		i=$((i + 1)); [ $i -lt 600 ] || return 1; sleep 0.05
	done
}
# until process $1 is gone, else kill it (bounded: 20 s); 0 if it went alone
wait_gone() {
	i=0
	while kill -0 "$1" 2>/dev/null; do
		i=$((i + 1))
		[ $i -lt 400 ] || { kill -KILL "$1" 2>/dev/null; return 1; }
		sleep 0.05
	done
}

# signalled SIG WANT_RC [trap|ignored]: record sigcall, send SIG to record alone
signalled() {
	sig=$1 want=$2 mode=${3:-}
	d=$WORK/sig-$sig$mode; mkdir -p "$d"
	case $mode in
	ignored) ( trap '' HUP; exec "$BUFTRACE" record -o "$d" -- "$prog" "$fake" "$d/ready" ) \
			> "$d/out" 2> "$d/err" & ;;
	*) env --default-signal=INT,QUIT "$BUFTRACE" record -o "$d" -- "$prog" "$fake" "$d/ready" $mode \
			> "$d/out" 2> "$d/err" & ;;
	esac
	rec=$!
	wait_file "$d/ready" || { kill -KILL $rec; fail "$sig$mode: the program never got ready: $(cat "$d/err")"; }
	read cpid manifest int hup < "$d/ready"
	if [ "$mode" = ignored ]; then
		# the shell ran record with INT and QUIT ignored (async list), HUP by trap
		[ "$int $hup" = "INT=ign HUP=ign" ] || { kill -KILL $cpid; fail "ignored on entry, the program has $int $hup"; }
		kill -INT $rec; kill -HUP $rec
	fi
	kill -$sig $rec
	wait_gone $rec || { kill -KILL $cpid; fail "$sig$mode: record did not end after its program"; }
	wait $rec; rc=$?
	if kill -0 "$cpid" 2>/dev/null; then
		kill -KILL "$cpid"; rm -f "$manifest"
		fail "$sig$mode: SIG$sig to record left the program running"
	fi
	[ $rc = $want ] || fail "$sig$mode: record exit $rc, the program's was $want: $(cat "$d/err")"
	[ ! -e "$manifest" ] || { rm -f "$manifest"; fail "$sig$mode: manifest $manifest left behind"; }
	t=$d/buftrace.sigcall.$cpid.zst
	[ -f "$t" ] || fail "$sig$mode: no trace $t"
	[ -f "$d/buftrace.last" ] || fail "$sig$mode: no buftrace.last written"
	[ "$(cat "$d/buftrace.last")" = "$t" ] || fail "$sig$mode: buftrace.last: $(cat "$d/buftrace.last")"
	grep -q "buftrace: trace $t" "$d/err" || fail "$sig$mode: record did not list the trace: $(cat "$d/err")"
	"$BUFTRACE" dump "$t" | grep -q 'buffer=0x5ec$' || fail "$sig$mode: the hooked call is not in $t"
}

# 1. signals to record: forwarded, and record dies of the same one
signalled TERM 143
signalled INT 130
signalled HUP 129
signalled QUIT 131
signalled USR1 138
signalled USR2 140
# the program handles it: its exit status, not the signal
signalled TERM 7 trap
# ignored when record started: ignored by the program too, not forwarded
signalled TERM 143 ignored
# ^C on a terminal reaches the whole foreground group, the program with
# record: the program sees it once, not once more forwarded by record.
# (A second one would come within milliseconds; the program waits 1 s.)
mkdir -p "$WORK/tty"
python3 - "$BUFTRACE" "$WORK/tty" <<'PY' || fail "^C on a terminal: see above"
import os, pty, sys, time
buftrace, d = sys.argv[1:]
prog = """
import signal, sys, time
n = 0
def on_int(sig, frame):
    global n
    n += 1
signal.signal(signal.SIGINT, on_int)
open(sys.argv[1], "w").close()
while n == 0:
    time.sleep(0.01)
time.sleep(1)
sys.exit(10 + n)
"""
ready = d + "/ready"
pid, fd = pty.fork()
if pid == 0:
    os.execv(buftrace, [buftrace, "record", "-o", d, "--", sys.executable, "-c", prog, ready])
for _ in range(600):
    if os.path.exists(ready):
        break
    time.sleep(0.05)
else:
    os.kill(pid, 9)
    sys.exit("the program never got ready")
os.write(fd, b"\x03")
out = b""
while True:
    try:
        r = os.read(fd, 1000)
    except OSError:
        break
    if not r:
        break
    out += r
_, st = os.waitpid(pid, 0)
rc = os.waitstatus_to_exitcode(st)
if rc != 11:
    sys.exit("want exit 11 (one SIGINT), got %d: %r" % (rc, out))
PY
# The program signals its own process group (as one stopping its workers
# does), record with it: it sees the signal once, as without record (record
# forwarded it back: twice).
cat > "$WORK/pg.py" <<'PY'
import os, signal, sys, time
# every delivery writes a byte to the wakeup pipe (Python's handler, run
# later, would see two close deliveries as one)
r, w = os.pipe()
os.set_blocking(w, False)
signal.set_wakeup_fd(w)
signal.signal(signal.SIGUSR1, lambda *a: None)
os.killpg(0, signal.SIGUSR1)
time.sleep(0.3)
os.set_blocking(r, False)
sys.exit(10 + len(os.read(r, 100)))
PY
# in a session of its own, so as not to signal the test runner
insession() { python3 -c 'import subprocess, sys; sys.exit(subprocess.run(sys.argv[1:], start_new_session=True).returncode)' "$@"; }
insession python3 "$WORK/pg.py"
rc=$?
[ $rc = 11 ] || fail "killpg(0) without record: exit $rc (11: seen once)"
# (record's forward could land while the program's own signal is still
# pending, and merge with it: the old code failed 2 runs in 3, so 5 runs)
for i in 1 2 3 4 5; do
	insession "$BUFTRACE" record --quiet -o "$WORK/pg" -- python3 "$WORK/pg.py"
	rc=$?
	[ $rc = 11 ] || fail "killpg(0) under record, run $i: exit $rc (11: seen once; 12: twice)"
done
echo "signals OK"

# a statically linked program: no loader preloads the recorder; record
# says so once, and the program runs as it would
echo 'int main(void) { return 3; }' | ${CC:-cc} -static -x c - -o "$WORK/static3" 2> /dev/null ||
	fail "cannot build a static program (libc6-dev's libc.a)"
"$BUFTRACE" record -o "$WORK/st" -- "$WORK/static3" > "$WORK/st.out" 2> "$WORK/st.err"
rc=$?
[ $rc = 3 ] || fail "a static program: exit $rc, want its 3"
grep -q "^buftrace record: $WORK/static3 is statically linked: the recorder cannot be loaded into it" "$WORK/st.err" ||
	fail "a static program: record did not say: $(cat "$WORK/st.err")"
"$BUFTRACE" record -o "$WORK/st" -- "$FIX/gnu/host_dlopen" > /dev/null 2> "$WORK/dyn.err" || fail "host_dlopen under record"
! grep -q 'statically linked' "$WORK/dyn.err" || fail "a dynamic program called static"

# 2. -o DIR: created with its parents
"$BUFTRACE" record -o "$WORK/new/a/b" -- "$FIX/gnu/host_dlopen" > /dev/null 2> "$WORK/mk.err" ||
	fail "-o a new directory: $(cat "$WORK/mk.err")"
ls "$WORK"/new/a/b/buftrace.host_dlopen.*.zst > /dev/null 2>&1 || fail "-o new/a/b: no trace there"
[ -f "$WORK/new/a/b/buftrace.last" ] || fail "-o new/a/b: no buftrace.last"
: > "$WORK/afile"
for o in "$WORK/afile/sub/dir" "$WORK/afile"; do
	"$BUFTRACE" record -o "$o" -- "$FIX/gnu/host_dlopen" > "$WORK/mk.out" 2> "$WORK/mk.err"
	rc=$?
	[ $rc != 0 ] || fail "-o $o: exit 0"
	[ "$(grep -c . "$WORK/mk.err")" = 1 ] || fail "-o $o: want one line: $(cat "$WORK/mk.err")"
	grep -q "$o" "$WORK/mk.err" || fail "-o $o: the line does not name it: $(cat "$WORK/mk.err")"
	[ ! -s "$WORK/mk.out" ] || fail "-o $o: the program ran anyway"
done
echo "-o OK"

# 3. settings out of range: record refuses
mkdir -p "$WORK/set"
for bad in "--depth 1000" "--depth -1" "--depth 12x" "--flush-ms 5" "--flush-ms 100000" "--flush-ms ''"; do
	eval "set -- $bad"
	"$BUFTRACE" record -o "$WORK/set" "$@" -- "$FIX/gnu/host_dlopen" > "$WORK/set.out" 2> "$WORK/set.err"
	rc=$?
	[ $rc = 2 ] || fail "record $bad: exit $rc, want 2"
	[ "$(grep -c . "$WORK/set.err")" = 1 ] || fail "record $bad: want one line: $(cat "$WORK/set.err")"
	grep -q -- "$1" "$WORK/set.err" || fail "record $bad: the line does not name $1: $(cat "$WORK/set.err")"
	[ ! -s "$WORK/set.out" ] || fail "record $bad: the program ran anyway"
done
[ -z "$(ls "$WORK/set")" ] || fail "refused settings wrote $(ls "$WORK/set")"
# the bounds themselves are accepted and recorded as given
header() { "$BUFTRACE" dump "$1" | grep '^HEADER' | grep -o 'depth=[0-9]* flush_ms=[0-9]*'; }
for ok in "256 10" "0 60000"; do
	set -- $ok
	rm -rf "$WORK/set"; mkdir -p "$WORK/set"
	"$BUFTRACE" record -o "$WORK/set" --quiet --depth $1 --flush-ms $2 -- "$FIX/gnu/host_dlopen" > /dev/null ||
		fail "record --depth $1 --flush-ms $2 failed"
	[ "$(header "$WORK"/set/*.zst)" = "depth=$1 flush_ms=$2" ] || fail "bounds $ok: $(header "$WORK"/set/*.zst)"
done

# 4. the same settings in the environment: clamped, said once, by a process that records
envrun() { # NAME VAR=VALUE...: run host_dlopen under the bare preload
	n=$1; shift
	rm -rf "$WORK/$n"; mkdir -p "$WORK/$n"
	env LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/$n" "$@" "$FIX/gnu/host_dlopen" > "$WORK/$n.out" 2> "$WORK/$n.err" ||
		fail "$n: the program failed: $(cat "$WORK/$n.err")"
}
said() { # NAME TEXT
	[ "$(grep -c -- "$2" "$WORK/$1.err")" = 1 ] || fail "$1: not said once: '$2': $(cat "$WORK/$1.err")"
}
envrun high BUFTRACE_DEPTH=1000 BUFTRACE_FLUSH_MS=100000 BUFTRACE_ZSTD_LEVEL=99
said high "BUFTRACE_DEPTH=1000 is out of range 0..256; using 256"
said high "BUFTRACE_FLUSH_MS=100000 is out of range 10..60000; using 60000"
said high "BUFTRACE_ZSTD_LEVEL=99 is out of range 1..19; using 19"
[ "$(grep -c . "$WORK/high.err")" = 3 ] || fail "high: more said than the three settings: $(cat "$WORK/high.err")"
[ "$(header "$WORK"/high/*.zst)" = "depth=256 flush_ms=60000" ] || fail "high: $(header "$WORK"/high/*.zst)"
envrun low BUFTRACE_FLUSH_MS=5 BUFTRACE_DEPTH=-3
said low "BUFTRACE_FLUSH_MS=5 is out of range 10..60000; using 10"
said low "BUFTRACE_DEPTH=-3 is out of range 0..256; using 0"
[ "$(header "$WORK"/low/*.zst)" = "depth=0 flush_ms=10" ] || fail "low: $(header "$WORK"/low/*.zst)"
envrun junk BUFTRACE_DEPTH=lots
said junk "BUFTRACE_DEPTH=lots is not a number; using 64"
[ "$(header "$WORK"/junk/*.zst)" = "depth=64 flush_ms=1000" ] || fail "junk: $(header "$WORK"/junk/*.zst)"
# a process that never records says nothing
env LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK" BUFTRACE_DEPTH=1000 BUFTRACE_FLUSH_MS=5 sh -c 'ls / > /dev/null' 2> "$WORK/quiet.err"
[ ! -s "$WORK/quiet.err" ] || fail "a process that records nothing spoke: $(cat "$WORK/quiet.err")"
echo "settings OK"

# 5. a command that cannot be run: one line naming it, exit 127 (not found)
# or 126 (not runnable) as a shell's,
# nothing listed (not also "no trace written"), no manifest left behind
before=$(ls "${TMPDIR:-/tmp}" | grep -c '^buftrace-manifest-')
echo 'not a program' > "$WORK/not-executable"; chmod 644 "$WORK/not-executable"
for cmd in "$WORK/no-such-program:127" "$WORK/not-executable:126"; do
	want=${cmd##*:}; cmd=${cmd%:*}
	"$BUFTRACE" record -o "$WORK/norun" -- "$cmd" arg > "$WORK/norun.out" 2> "$WORK/norun.err"
	rc=$?
	[ $rc = $want ] || fail "cannot run $cmd: exit $rc, want $want"
	[ "$(grep -c . "$WORK/norun.err")" = 1 ] && grep -q "^buftrace record: cannot run $cmd: " "$WORK/norun.err" ||
		fail "cannot run $cmd: stderr: $(cat "$WORK/norun.err")"
done
[ "$(ls "${TMPDIR:-/tmp}" | grep -c '^buftrace-manifest-')" = "$before" ] || fail "cannot run: a manifest was left behind"
echo "cannot run: one line"

# 6. record's manifest: in $TMPDIR when set, and in DIR itself when /tmp
# cannot take it (read-only, in a mount namespace of its own; needs root)
mkdir -p "$WORK/tmpdir"
TMPDIR=$WORK/tmpdir "$BUFTRACE" record --quiet -o "$WORK/m1" -- sh -c 'echo "$BUFTRACE_MANIFEST"' > "$WORK/m1.out" ||
	fail "TMPDIR: record failed"
case $(cat "$WORK/m1.out") in "$WORK/tmpdir/buftrace-manifest-"*) ;; *) fail "TMPDIR: manifest at $(cat "$WORK/m1.out")" ;; esac
[ -z "$(ls "$WORK/tmpdir")" ] || fail "TMPDIR: left behind: $(ls "$WORK/tmpdir")"
# the output directory a tmpfs mounted inside the read-only /tmp, so that
# it is writable wherever the build is; what record said and what it left
# there are read inside the namespace (the tmpfs goes with it)
ro=$WORK/ro; mkdir -p "$ro"
if unshare -m sh -c 'mount -o bind,ro /tmp /tmp' 2>/dev/null; then
	env -u TMPDIR unshare -m sh -c 'mount -o bind,ro /tmp /tmp && mount -t tmpfs tmpfs "$1" || exit 9
		"$2" record -o "$1" -- "$3" > /dev/null 2> "$1/err" || { echo "record failed: $(cat "$1/err")"; exit 1; }
		echo "said: $(cat "$1/err")"; echo "left: $(ls -A "$1" | grep -v "^err$" | tr "\n" " ")"' sh \
		"$ro" "$BUFTRACE" "$FIX/gnu/host_dlopen" > "$WORK/ro.out" 2>&1 || fail "read-only /tmp: $(cat "$WORK/ro.out")"
	grep -q "^said: buftrace: trace $ro/buftrace.host_dlopen.[0-9]*.zst$" "$WORK/ro.out" &&
		grep -q "^left: buftrace.host_dlopen.[0-9]*.zst buftrace.last $" "$WORK/ro.out" ||
		fail "read-only /tmp: $(cat "$WORK/ro.out")"
	echo "manifest: in TMPDIR, and in the output directory when /tmp is read-only"
else
	echo "manifest: in TMPDIR (no mount namespace here for a read-only /tmp)"
fi

# 7. a trace removed before record lists it (the program, or anyone, rm'd
# it while the run went on): listed, and said to be gone
"$BUFTRACE" record -o "$WORK/gone" -- sh -c '"$1" > /dev/null; rm -f "$2"/buftrace.host_dlopen.*.zst' sh \
	"$FIX/gnu/host_dlopen" "$WORK/gone" 2> "$WORK/gone.err" || fail "gone: record failed"
grep -q "^buftrace: trace $WORK/gone/buftrace.host_dlopen.[0-9]*.zst (gone: removed while the program ran)$" \
	"$WORK/gone.err" || fail "gone: $(cat "$WORK/gone.err")"
echo "a removed trace: said gone"
