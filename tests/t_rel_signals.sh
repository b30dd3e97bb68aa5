#!/bin/sh
# Reliability, fatal signals: SIGSEGV, SIGABRT, SIGBUS after 100 hooked
# calls.  The trace is readable and holds all 100 events; the death
# (signal, and WCOREDUMP under an unlimited core size) is the same as
# without the tracer; a SIGSEGV handler that the program installed before
# its first hooked call still runs.  SIGKILL: the trace holds what the
# periodic flush (BUFTRACE_FLUSH_MS=100) wrote before.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/crash
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out" "$WORK/cores"
all100() { # TRACE NAME: the 100 events are there
	"$BUFTRACE" dump "$1" > "$WORK/$2.dump" 2> "$WORK/$2.derr"
	n=$(grep -c 'Buffer::deallocate enter .* buffer=0x70[0-6][0-9a-f]$' "$WORK/$2.dump")
	[ "$n" = 100 ] || fail "$2: $n of the 100 events before the death in the trace: $(cat "$WORK/$2.derr")"
}
python3 - "$prog" "$LIB" "$WORK/out" "$WORK/cores" <<'PY' > "$WORK/deaths" || exit 1
import os, resource, subprocess, sys
prog, lib, out, cores = sys.argv[1:5]
def death(mode, traced):
    env = dict(os.environ)
    if traced:
        env.update(LD_PRELOAD=lib, BUFTRACE_OUTPUT=out)
    def pre():
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
    pid = os.fork()
    if pid == 0:
        os.chdir(cores); pre()
        fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1)
        os.execve(prog, [prog, mode], env)
    _, st = os.waitpid(pid, 0)
    for f in os.listdir(cores):
        os.unlink(os.path.join(cores, f))
    return (os.WTERMSIG(st) if os.WIFSIGNALED(st) else -os.WEXITSTATUS(st), bool(os.WCOREDUMP(st)))
pattern = open("/proc/sys/kernel/core_pattern").read().strip()
check_core = not pattern.startswith("|")
for mode, sig in (("segv", 11), ("abort", 6), ("bus", 7)):
    ref, tr = death(mode, False), death(mode, True)
    if ref[0] != sig:
        sys.exit(f"FAIL: {mode}: without tracer the program died with {ref}")
    if tr[0] != ref[0]:
        sys.exit(f"FAIL: {mode}: death {tr[0]} under the tracer, {ref[0]} without")
    if check_core and tr[1] != ref[1]:
        sys.exit(f"FAIL: {mode}: core dumped {tr[1]} under the tracer, {ref[1]} without")
    print(mode, tr)
if not check_core:
    print(f"core_pattern pipes to a program ({pattern}): WCOREDUMP not compared")
PY
cat "$WORK/deaths"
set -- $(ls -tr "$WORK"/out/*.zst)
[ $# = 3 ] || fail "expected 3 traces (segv, abort, bus), got $#"
all100 "$1" segv; all100 "$2" abort; all100 "$3" bus

# the program's own SIGSEGV handler
rm -f "$WORK"/out/*
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" "$prog" handler > "$WORK/h.out" 2>&1
rc=$?
[ $rc = 42 ] || fail "handler: exit $rc, the program's handler exits 42: $(cat "$WORK/h.out")"
grep -q "own handler ran" "$WORK/h.out" || fail "handler: the program's handler did not run"
all100 "$(only_trace)" handler

# SIGKILL after the periodic flush
rm -f "$WORK"/out/*
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" BUFTRACE_FLUSH_MS=100 "$prog" sleep > "$WORK/k.out" 2>&1 &
pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do grep -q ready "$WORK/k.out" && break; sleep 0.1; done
sleep 0.5
kill -9 $pid
wait $pid
[ $? = 137 ] || fail "kill: not killed"
all100 "$(only_trace)" kill
echo "fatal signals OK"
