#!/bin/sh
# Reliability, deaths by a signal's default action (issue 13.9, 13.10):
# SIGTERM, SIGINT, SIGQUIT, SIGHUP, SIGUSR1 (sent), SIGPIPE (a write to a
# pipe nobody reads), SIGTRAP (int3), SIGXCPU (RLIMIT_CPU), SIGALRM (a
# timer) and a stack overflow (SIGSEGV with no stack left; and with an
# alternate signal stack of the program's, which is kept), each after
# 100 hooked calls on the main thread and 100 on a thread that is still
# alive (tests/progs/deaths.cpp).  The trace holds all 200 events; the
# death (signal, and WCOREDUMP under an unlimited core size) is the same
# as without the tracer.  A SIGTERM handler the program installs after
# its first hooked call runs (exit 42).  Then Python's multiprocessing.Pool.terminate():
# every worker's hooked calls are in its trace.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/deaths
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out" "$WORK/cores"
python3 - "$prog" "$LIB" "$BUFTRACE" "$WORK/out" "$WORK/cores" <<'PY' || exit 1
import os, re, resource, signal, subprocess, sys
prog, lib, buftrace, out, cores = sys.argv[1:6]
def die(m):
    print("FAIL: " + m); sys.exit(1)
def death(mode, traced):
    env = dict(os.environ)
    if traced:
        env.update(LD_PRELOAD=lib, BUFTRACE_OUTPUT=out, BUFTRACE_FLUSH_MS="60000")  # the death must flush
    pid = os.fork()
    if pid == 0:
        os.chdir(cores)
        for s in (signal.SIGPIPE, signal.SIGXFSZ):  # python ignores them, its children would too
            signal.signal(s, signal.SIG_DFL)
        resource.setrlimit(resource.RLIMIT_CORE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
        fd = os.open(os.devnull, os.O_WRONLY); os.dup2(fd, 1)
        os.execve(prog, [prog, mode], env)
    _, st = os.waitpid(pid, 0)
    for f in os.listdir(cores):
        os.unlink(os.path.join(cores, f))
    return (os.WTERMSIG(st) if os.WIFSIGNALED(st) else -os.WEXITSTATUS(st), bool(os.WCOREDUMP(st)))
check_core = not open("/proc/sys/kernel/core_pattern").read().startswith("|")
want = {"term": signal.SIGTERM, "int": signal.SIGINT, "quit": signal.SIGQUIT, "hup": signal.SIGHUP,
        "usr1": signal.SIGUSR1, "pipe": signal.SIGPIPE, "trap": signal.SIGTRAP, "xcpu": signal.SIGXCPU,
        "alrm": signal.SIGALRM, "overflow": signal.SIGSEGV, "ownstack": signal.SIGSEGV, "ownterm": -42}
bad = []
for mode, sig in want.items():
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    ref, tr = death(mode, False), death(mode, True)
    if ref[0] != sig:
        die(f"{mode}: without the tracer the program died with {ref}")
    if tr[0] != ref[0]:
        die(f"{mode}: death {tr[0]} under the tracer, {ref[0]} without")
    if check_core and tr[1] != ref[1]:
        die(f"{mode}: core dumped {tr[1]} under the tracer, {ref[1]} without")
    traces = os.listdir(out)
    if len(traces) != 1:
        die(f"{mode}: {len(traces)} traces")
    d = subprocess.run([buftrace, "dump", os.path.join(out, traces[0])], capture_output=True, text=True)
    bufs = re.findall(r"^EVENT .* Buffer::deallocate enter .* buffer=0x7([01])[0-6][0-9a-f]$", d.stdout, re.M)
    n = (bufs.count("0"), bufs.count("1"))
    print(f"{mode}: {signal.Signals(sig).name if sig > 0 else 'exit %d' % -sig} {tr}, events of main/thread {n}")
    if n != (100, 100):
        bad.append(f"{mode}: {n[0]} of the main thread's and {n[1]} of the other thread's 100 events in the trace "
                   f"({os.path.getsize(os.path.join(out, traces[0]))} bytes; {d.stderr.strip()})")
if bad:
    die("; ".join(bad))
PY

# multiprocessing.Pool.terminate(): SIGTERM to workers waiting for work
rm -rf "$WORK/out"; mkdir -p "$WORK/out"
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" timeout 60 python3 - "$BUILD/tests/libbtfake.so" > "$WORK/pool.out" 2>&1 <<'PY'
import ctypes, multiprocessing, os, sys
N = 500
def init(path):
    global dealloc
    ctypes.CDLL(path, mode=os.RTLD_GLOBAL)
    # through the global scope: libbuftrace.so's interposed name
    dealloc = ctypes.CDLL(None)["_ZN2tt8tt_metal6Buffer10deallocateEv"]
    dealloc.argtypes = [ctypes.c_void_p]
def work(i):
    for k in range(N):
        dealloc(0x5000000 + i * N + k)
    return os.getpid()
if __name__ == "__main__":
    pool = multiprocessing.get_context("fork").Pool(3, init, (sys.argv[1],))
    pids = pool.map(work, range(6), chunksize=1)
    pool.terminate()
    pool.join()
    print("pool: workers", len(set(pids)), "events", 6 * N)
PY
rc=$?
[ $rc = 0 ] || fail "pool: exit $rc: $(cat "$WORK/pool.out")"
grep -q '^pool: workers' "$WORK/pool.out" || fail "pool: $(cat "$WORK/pool.out")"
n=0
for t in "$WORK"/out/*.zst; do
	[ -f "$t" ] || fail "pool: no traces"
	c=$("$BUFTRACE" dump "$t" 2>/dev/null | grep -c 'Buffer::deallocate enter .* buffer=0x50')
	n=$((n + c))
done
[ "$n" = 3000 ] || fail "pool: $n of the workers' 3000 events in their traces ($(ls "$WORK/out" | wc -l) traces; $(cat "$WORK/pool.out"))"

# A deadly signal that comes while the process is already exiting, during
# the recorder's final flush (what Pool.terminate() does to workers that
# got their sentinel): every event stays, and _exit's status is the
# program's.  The flush is made slow on purpose (zstd level 19, 300k
# events) so the SIGTERM, sent 0.2 s after the child says it is exiting,
# lands inside it.
rm -rf "$WORK/out"; mkdir -p "$WORK/out"
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" BUFTRACE_ZSTD_LEVEL=19 timeout 120 python3 - "$BUILD/tests/libbtfake.so" > "$WORK/exiting.out" 2>&1 <<'PY'
import ctypes, os, signal, sys, time
N = 300000
r, w = os.pipe()
pid = os.fork()
if pid == 0:
    ctypes.CDLL(sys.argv[1], mode=os.RTLD_GLOBAL)
    d = ctypes.CDLL(None)["_ZN2tt8tt_metal6Buffer10deallocateEv"]
    d.argtypes = [ctypes.c_void_p]
    for k in range(N):
        d(0x5000000 + k)
    os.write(w, b"x")
    os._exit(7)
os.read(r, 1)
time.sleep(0.2)
try:
    os.kill(pid, signal.SIGTERM)
except ProcessLookupError:
    pass
_, st = os.waitpid(pid, 0)
print("exiting:", "exit %d" % os.WEXITSTATUS(st) if os.WIFEXITED(st) else "killed by %d" % os.WTERMSIG(st))
PY
grep -q '^exiting: exit 7$' "$WORK/exiting.out" || fail "a SIGTERM during the final flush changed the exit: $(cat "$WORK/exiting.out")"
n=0
for t in "$WORK"/out/*.zst; do
	[ -f "$t" ] || fail "exiting: no trace"
	c=$("$BUFTRACE" dump "$t" 2>/dev/null | grep -c 'Buffer::deallocate enter .* buffer=0x5')
	n=$((n + c))
done
[ "$n" = 300000 ] || fail "exiting: $n of 300000 events in the trace after a SIGTERM during the final flush"
echo "fatal signals OK: $(cat "$WORK/pool.out"); $(cat "$WORK/exiting.out"), every event kept"
