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
echo "fatal signals OK: $(cat "$WORK/pool.out")"
