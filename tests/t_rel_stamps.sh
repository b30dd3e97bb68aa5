#!/bin/sh
# Reliability, event stamps (preload/clock.c): every hooked call's stamp
# lies between the CLOCK_MONOTONIC readings the program took just before
# and just after it (tests/progs/stamps.cpp, two threads, 1.5 s), whether
# the stamp came from the TSC (the fit the flusher makes, which the
# debug line dates: events after it must exist) or from clock_gettime
# (BUFTRACE_CLOCK=system; a program that turns RDTSC off with prctl
# halfway, which must run to its end unharmed: from then on the
# recorder's clock_gettime is the system call, as the vDSO's reads the
# TSC).
. "$TESTLIB/common.sh"
prog=$BUILD/tests/stamps
[ -x "$prog" ] || fail "tests/progs not built"
tsc=0
grep -qw constant_tsc /proc/cpuinfo && grep -qw nonstop_tsc /proc/cpuinfo && tsc=1
san=0; sanitized && san=1
python3 - "$prog" "$LIB" "$BUFTRACE" "$WORK" "$tsc" "$san" <<'PY' || exit 1
import os, re, subprocess, sys
prog, lib, buftrace, work, tsc, san = sys.argv[1:7]
TOL = 20000  # ns: the fit's error is well under a microsecond

def die(m):
    print("FAIL: " + m); sys.exit(1)

def run(label, extra_env, args=()):
    out = os.path.join(work, label)
    os.makedirs(out, exist_ok=True)
    log = os.path.join(work, label + ".log")
    env = dict(os.environ, LD_PRELOAD=lib, BUFTRACE_OUTPUT=out, BUFTRACE_FLUSH_MS="50", BUFTRACE_DEBUG="1",
               **extra_env)
    p = subprocess.run([prog, log, "1500", *args], env=env, capture_output=True, text=True, timeout=60)
    if p.returncode != 0 or "stamps: done" not in p.stdout:
        die(f"{label}: the program failed ({p.returncode}): {p.stderr[-500:]}")
    traces = [f for f in os.listdir(out) if f.endswith(".zst")]
    if len(traces) != 1:
        die(f"{label}: {len(traces)} traces")
    d = subprocess.run([buftrace, "dump", os.path.join(out, traces[0])], capture_output=True, text=True)
    if d.returncode != 0:
        die(f"{label}: dump failed: {d.stderr}")
    ts = {}
    for line in d.stdout.splitlines():
        m = re.match(r"EVENT seq=\d+ ts=(\d+) tid=\d+ Buffer::deallocate enter .*buffer=(0x[0-9a-f]+)", line)
        if m:
            ts[int(m.group(2), 16)] = int(m.group(1))
    calls = [tuple(map(int, l.split())) for l in open(log)]
    if len(calls) < 1000:
        die(f"{label}: only {len(calls)} calls")
    worst = 0
    for who, i, before, after in calls:
        t = ts.get(who << 28 | i)
        if t is None:
            die(f"{label}: no event for call {who} {i}")
        if t < before - TOL or t > after + TOL:
            die(f"{label}: call {who} {i}: stamped {t}, made between {before} and {after}")
        worst = max(worst, before - t, t - after)
    m = re.search(r"event stamps from the TSC from (\d+) ns", p.stderr)
    fitted = int(m.group(1)) if m else None
    after_fit = sum(1 for c in calls if fitted is not None and c[2] > fitted)
    print(f"{label}: {len(calls)} calls, stamps within [before, after] (worst {worst} ns outside), "
          f"{after_fit} after the TSC fit" + ("" if fitted else " (no fit)"))
    return fitted, after_fit, len(calls)

fitted, after_fit, n = run("tsc", {})
if tsc == "1":
    if fitted is None:
        die("this CPU has an invariant TSC, but the recorder never fitted it")
    if after_fit < n // 2:
        die(f"only {after_fit} of {n} calls were made after the fit")
else:
    print("no invariant TSC here: every stamp came from clock_gettime")
fitted, _, _ = run("system", {"BUFTRACE_CLOCK": "system"})
if fitted is not None:
    die("BUFTRACE_CLOCK=system: the TSC was used")
# the program alone first: it must be a valid one (its own clock after
# the prctl is the system call; the vDSO's reads the TSC and faults)
p = subprocess.run([prog, os.path.join(work, "plain.log"), "300", "notsc"], capture_output=True, text=True, timeout=60)
if p.returncode != 0 and san == "1":
    # the sanitizer's allocator reads the clock through the vDSO itself
    print(f"notsc: not run: the sanitized program fails alone ({p.returncode})")
elif p.returncode != 0:
    die(f"notsc: the program fails without the recorder ({p.returncode})")
else:
    # with it: the recorder's clock after the prctl is the system call
    # too (it faulted here, under the tsc clocksource, through the vDSO)
    run("notsc", {}, ["notsc"])
PY
echo "event stamps OK"
