#!/bin/sh
# Reliability, the periodic flush (issue 13.8): two threads make 7000
# hooked calls each while the main thread makes 7000; the threads exit;
# the main thread makes 100 more and sits idle (tests/progs/idle.cpp).
# Killed with SIGKILL at several points of the pause, the trace holds
# every event made more than BUFTRACE_FLUSH_MS (+ slack) before the kill,
# idle and exited threads' included.  Then the same with the flusher
# thread refused by a seccomp filter (clone of a thread: EAGAIN): one line
# on stderr says so, and a hooked call made after the interval writes
# everything before it.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/idle
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
python3 - "$prog" "$LIB" "$BUFTRACE" "$WORK" <<'PY' || exit 1
import os, re, signal, subprocess, sys, time
prog, lib, buftrace, work = sys.argv[1:5]
out = os.path.join(work, "out")
FLUSH_MS = 250
SLACK_MS = 250  # scheduling on a loaded machine

def die(m):
    print("FAIL: " + m); sys.exit(1)

def run(label, pause_ms, kill_after_ms, extra=(), wait_for="idle"):
    for f in os.listdir(out):
        os.unlink(os.path.join(out, f))
    log = os.path.join(work, label + ".log")
    env = dict(os.environ, LD_PRELOAD=lib, BUFTRACE_OUTPUT=out, BUFTRACE_FLUSH_MS=str(FLUSH_MS))
    err = open(os.path.join(work, label + ".err"), "w+")
    p = subprocess.Popen([prog, log, str(pause_ms), *extra], env=env, stdout=subprocess.DEVNULL, stderr=err)
    start = None
    deadline = time.monotonic() + 30
    while start is None and time.monotonic() < deadline and p.poll() is None:
        time.sleep(0.01)
        m = re.search(r"^%s (\d+)$" % wait_for, open(log).read() if os.path.exists(log) else "", re.M)
        if m:
            start = int(m.group(1))
    if start is None:
        p.kill(); die(f"{label}: the program never reached '{wait_for}' (exit {p.poll()})")
    target = start / 1e9 + kill_after_ms / 1000
    time.sleep(max(0, target - time.monotonic()))
    killed_at = time.monotonic_ns()
    p.send_signal(signal.SIGKILL)
    if p.wait() != -signal.SIGKILL:
        die(f"{label}: the program ended before the kill ({p.returncode})")
    # when each event was made: the time of its batch of 100 in the log
    made = {}
    prev = {}
    for line in open(log):
        f = line.split()
        if len(f) == 3:
            who, n, ns = int(f[0]), int(f[1]), int(f[2])
            for i in range(prev.get(who, 0), n):
                made[who << 28 | i] = ns
            prev[who] = n
        elif f[0] == "call":
            made[0x1fffffff] = int(f[1])
    traces = os.listdir(out)
    if len(traces) != 1:
        die(f"{label}: {len(traces)} traces")
    d = subprocess.run([buftrace, "dump", os.path.join(out, traces[0])], capture_output=True, text=True)
    have = set(int(b, 16) for b in re.findall(r"^EVENT .* Buffer::deallocate enter .* buffer=(0x[0-9a-f]+)$",
                                              d.stdout, re.M))
    old = [b for b, ns in made.items() if ns < killed_at - (FLUSH_MS + SLACK_MS) * 1000000]
    missing = [b for b in old if b not in have]
    if missing:
        by = {}
        for b in missing:
            by[b >> 28] = by.get(b >> 28, 0) + 1
        die(f"{label}: killed {(killed_at - start) / 1e6:.0f} ms into the pause, {len(missing)} of the {len(old)} "
            f"events older than {FLUSH_MS}+{SLACK_MS} ms are missing (per thread {by}); trace: {len(have)} events")
    print(f"{label}: killed {(killed_at - start) / 1e6:.0f} ms into the pause: {len(old)} old events there, "
          f"{len(have)} in all")
    return open(os.path.join(work, label + ".err")).read()

for ms in (100, 600, 1000, 1500):
    e = run(f"idle{ms}", 2500, ms)
    if e:
        die(f"idle{ms}: stderr: {e}")
# the flusher thread refused: the hooked call 2 intervals into the pause
# writes everything before it
e = run("noclone", 2 * 2 * (FLUSH_MS + SLACK_MS), 2 * (FLUSH_MS + SLACK_MS) + 300, ("noclone",))
lines = e.splitlines()
if len(lines) != 1 or "flusher" not in lines[0]:
    die(f"noclone: want one line on stderr about the flusher thread, got {lines}")
print("noclone:", lines[0])
PY
echo "periodic flush OK"
