"""The measurements behind `make bench` (see docs/performance.md)."""
import json, os, re, statistics, subprocess, sys

BUILD, WORK = sys.argv[1], sys.argv[2]
N = int(os.environ.get("BENCH_N", "2000000"))
RUNS = max(1, int(os.environ.get("BENCH_RUNS", "5")))
B_PAIRS = int(os.environ.get("BENCH_B_PAIRS", "110000"))
BIG = int(os.environ.get("BENCH_BIG", "0"))  # pairs of the no-leak RSS run beside N/4 (0: N)
BT = f"{BUILD}/bin/buftrace"
RU = f"{BUILD}/bench/rusage"
WA = f"{BUILD}/bench/workload_a"
FLOOR = f"{BUILD}/bench/libfloor.so"
HOST = f"{BUILD}/fixtures/gnu/host_dlopen"


def run(cmd, env=None, cwd=None):
    """(wall seconds, peak RSS KiB, stdout) of one run of cmd."""
    e = dict(os.environ)
    e.update(env or {})
    p = subprocess.run([RU] + cmd, env=e, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    m = re.search(r"RUSAGE (\S+) (\d+)", p.stderr)
    if p.returncode != 0 or not m:
        sys.exit(f"bench: {' '.join(cmd)} failed ({p.returncode}):\n{p.stderr[-2000:]}")
    return float(m.group(1)), int(m.group(2)), p.stdout


def fresh(d):
    subprocess.run(["rm", "-rf", d])
    os.makedirs(d)
    return d


def measure(name, prog, heaptrack=True):
    """Median wall time of RUNS runs of prog in each mode; the last run's
    trace files are kept for size and report figures."""
    modes = {}
    walls = {}
    # run by run, each mode in turn: a machine whose speed drifts (other
    # jobs, a busy host) moves every mode's median alike
    names = [m for m in ("plain", "floor", "buftrace", "bt-libunwind", "heaptrack")
             if not ((m == "floor" and prog[0] != WA) or (m == "heaptrack" and not heaptrack))]
    for _ in range(RUNS):
        for mode in names:
            d = fresh(f"{WORK}/{name}/{mode}")
            if mode == "plain":
                w, _, out = run(prog)
            elif mode == "floor":
                w, _, out = run(["env", f"LD_PRELOAD={FLOOR}"] + prog)
            elif mode in ("buftrace", "bt-libunwind"):
                # bt-libunwind: the recorder with libunwind walking every stack
                probes = ["--probes", "malloc"] if prog[0] == WA else []
                env = {"BUFTRACE_UNWIND": "libunwind"} if mode == "bt-libunwind" else None
                w, _, out = run([BT, "record", "--quiet", "-o", d] + probes + ["--"] + prog, env)
            else:
                w, _, out = run(["heaptrack", "-o", f"{d}/ht"] + prog)
            walls.setdefault(mode, []).append(w)
            modes[mode] = {"dir": d, "out": out}
    for mode in names:
        modes[mode]["wall"] = statistics.median(walls[mode])
    return modes


def trace_in(d):
    """The trace a one-process `buftrace record -o d` wrote."""
    return [f"{d}/{f}" for f in os.listdir(d) if f.endswith(".zst")][0]


def trace_events(path):
    p = subprocess.run([BT, "report", "--format", "json", path], stdout=subprocess.PIPE, text=True)
    return json.loads(p.stdout)["processes"][0]["events"]


def report_figures(bt_trace, ht_file):
    bt = [run([BT, "report", bt_trace]) for _ in range(RUNS)]
    ht = [run(["heaptrack_print", ht_file]) for _ in range(RUNS)] if ht_file else [(None, None, "")]
    return (statistics.median(x[0] for x in bt), max(x[1] for x in bt),
            ht[len(ht) // 2][0] if ht_file else None, max(x[1] for x in ht) if ht_file else None, ht[-1][2])


def ht_calls(text):
    m = re.search(r"calls to allocation functions: (\d+)", text)
    return int(m.group(1)) if m else 0


rows = []


def workload(label, name, prog, heaptrack=True):
    print(f"bench: {label} ...", file=sys.stderr, flush=True)
    m = measure(name, prog, heaptrack)
    bt_trace = [f for f in os.listdir(m["buftrace"]["dir"]) if f.startswith("buftrace.") and f.endswith(".zst")]
    bt_trace = sorted(bt_trace, key=lambda f: -os.path.getsize(f"{m['buftrace']['dir']}/{f}"))[0]
    bt_trace = f"{m['buftrace']['dir']}/{bt_trace}"
    ht_file = f"{m['heaptrack']['dir']}/ht.zst" if heaptrack else None
    bt_ev = trace_events(bt_trace)
    rt, rrss, ht_t, ht_rss, ht_text = report_figures(bt_trace, ht_file)
    if prog[0] == WA:
        ht_ev = int(re.search(r"events (\d+)", m["plain"]["out"]).group(1))
    else:
        ht_ev = 2 * ht_calls(ht_text)  # allocations, and about as many frees
    plain = m["plain"]["wall"]
    r = {"label": label, "plain": plain, "bt_ev": bt_ev, "ht_ev": ht_ev}
    r["bt_ns"] = (m["buftrace"]["wall"] - plain) / bt_ev * 1e9
    r["btl_ns"] = (m["bt-libunwind"]["wall"] - plain) / bt_ev * 1e9
    r["ht_ns"] = (m["heaptrack"]["wall"] - plain) / ht_ev * 1e9 if heaptrack else None
    r["floor_ns"] = (m["floor"]["wall"] - plain) / bt_ev * 1e9 if "floor" in m else None
    r["bt_bytes"] = os.path.getsize(bt_trace) / bt_ev
    r["ht_bytes"] = os.path.getsize(ht_file) / ht_ev if heaptrack else None
    r.update(bt_wall=m["buftrace"]["wall"], ht_wall=m["heaptrack"]["wall"] if heaptrack else None,
             floor_wall=m["floor"]["wall"] if "floor" in m else None,
             rep_t=rt, rep_rss=rrss, htp_t=ht_t, htp_rss=ht_rss)
    rows.append(r)
    return bt_trace


def ratio(a, b):
    return f"{a / b:5.2f}x" if b else "   - "


def fig(v, fmt, width):
    return format(v, fmt) if v is not None else "-".rjust(width)


a1 = workload(f"A 1 thread", "a1", [WA, str(N), "1"])
workload(f"A 4 threads", "a4", [WA, str(N), "4"])
# the walker's worst case: 2048 stacks in random order, few walks repeating
# much of the one before.  No heaptrack: its interpreter grew past 18 GB
# and died of bad_alloc on it (heaptrack 1.4.0).
workload(f"A varied", "av", [WA, str(N // 4), "1", "1", "1"], heaptrack=False)
workload(f"B churn", "b", [HOST, "--churn", str(B_PAIRS), "--threads", "4"])

# --- workload B: the tt-metal hook path ---------------------------------
# The fixture's buffer churn through the real hook path (create, allocate,
# GraphTracker, deallocate, destroy), from the C host and from the Python
# host (GIL held: Python stacks captured), at 1 and 4 threads, and the
# MeshBuffer tensor churn; uftrace (Debian's) tracing the same hooked
# functions is the outside anchor.
PY = "python3"
HOSTPY = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures", "host.py")
HOOKED = ("Buffer::create|Buffer::~Buffer|Buffer::deallocate|Buffer::allocate_impl|AllocatorImpl::"
          "|GraphTracker::track|DeallocateBuffer|MeshBuffer::")
UFT = subprocess.run(["sh", "-c", "command -v uftrace"], stdout=subprocess.PIPE, text=True).stdout.strip()


def uftrace_calls(d):
    p = subprocess.run(["uftrace", "report", "-d", d, "--no-pager"], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, text=True)
    n = 0
    for line in p.stdout.splitlines():
        m = re.match(r"\s*[\d.]+ \w+\s+[\d.]+ \w+\s+(\d+)\s+(.*)$", line)
        if m and re.search(HOOKED, m.group(2)):
            n += int(m.group(1))
    return n


brows = []


def workload_b(label, name, prog, env=None, nopy=False, uft=False):
    print(f"bench: {label} ...", file=sys.stderr, flush=True)
    # a_plain, a_buftrace: A 1 thread in the same rounds, the row's own
    # anchor for xA (this VM's speed drifts between minutes apart)
    modes = ["plain", "buftrace"] + (["nopy"] if nopy else []) + (["uftrace"] if uft and UFT else []) + \
        ["a_plain", "a_buftrace"]
    walls = {m: [] for m in modes}
    for _ in range(RUNS):
        for mode in modes:  # interleaved: load drifts hit every mode alike
            d = fresh(f"{WORK}/{name}/{mode}")
            if mode == "plain":
                w, _, _ = run(prog, env)
            elif mode == "a_plain":
                w, _, _ = run([WA, str(N), "1"])
            elif mode == "a_buftrace":
                w, _, _ = run([BT, "record", "--quiet", "-o", d, "--probes", "malloc", "--", WA, str(N), "1"])
            elif mode in ("buftrace", "nopy"):
                w, _, _ = run([BT, "record", "--quiet", "-o", d] + (["--no-python"] if mode == "nopy" else []) +
                              ["--"] + prog, env)
            else:
                w, _, _ = run(["uftrace", "record", "--nest-libcall", "-F", HOOKED, "-d", f"{d}/uft"] + prog, env,
                              cwd=d)
            walls[mode].append(w)
    med = {m: statistics.median(v) for m, v in walls.items()}
    t = trace_in(f"{WORK}/{name}/buftrace")
    ev = trace_events(t)
    rt = [run([BT, "report", t]) for _ in range(RUNS)]
    r = {"label": label, "plain": med["plain"], "ev": ev, "bt_ns": (med["buftrace"] - med["plain"]) / ev * 1e9,
         "bytes": os.path.getsize(t) / ev, "rep_t": statistics.median(x[0] for x in rt),
         "rep_rss": max(x[1] for x in rt), "nopy_ns": None, "uft_ns": None}
    r["a_ns"] = (med["a_buftrace"] - med["a_plain"]) / trace_events(trace_in(f"{WORK}/{name}/a_buftrace")) * 1e9
    if "nopy" in med:
        r["nopy_ns"] = (med["nopy"] - med["plain"]) / ev * 1e9
    if "uftrace" in med:
        calls = uftrace_calls(f"{WORK}/{name}/uftrace/uft")
        r["uft_calls"] = calls
        r["uft_ns"] = (med["uftrace"] - med["plain"]) / calls * 1e9 if calls else None
        # buftrace per hooked call: events over calls (scoped hooks write two)
        s = subprocess.run([BT, "dump", "--summary", t], stdout=subprocess.PIPE, text=True).stdout
        bt_calls = sum(int(m.group(1)) for m in re.finditer(r"^\S.*?\s{2,}(\d+)\s+\d+\s{2,}\S", s, re.M))
        r["bt_call_ns"] = (med["buftrace"] - med["plain"]) / bt_calls * 1e9 if bt_calls else None
    brows.append(r)


# host_linked: uftrace's --nest-libcall does not reach into dlopen'ed objects
workload_b("B1 C 1 thr", "b1", [HOST.replace("host_dlopen", "host_linked"), "--churn", str(B_PAIRS), "--threads", "1"],
           uft=True)
workload_b("B1 C 4 thr", "b4", [HOST, "--churn", str(B_PAIRS), "--threads", "4"])
workload_b("B1 py 1 thr", "bp", [PY, HOSTPY, f"{BUILD}/fixtures/gnu", "--churn", str(B_PAIRS), "--threads", "1"],
           nopy=True)
workload_b("B2 tensors", "bt", [HOST, "--churn", str(B_PAIRS // 8), "--threads", "1"],
           env={"TT_FIXTURE_CHURN_TENSORS": "1"})
# --- workload C: the OpenCL and Vulkan profiles -----------------------------
# Our programs on the real runtimes (PoCL, lavapipe): buffers created and
# released in a loop, every call recorded (one event each).  The cost per
# recorded call over the plain run, in the same table as B.
C_N = int(os.environ.get("BENCH_C_N", "300000"))
os.environ.setdefault("XDG_RUNTIME_DIR", WORK)
crows = []
for label, name, prog in (("C1 OpenCL", "c1", [f"{BUILD}/tests/cl_prog", "churn", str(C_N)]),
                          ("C2 Vulkan", "c2", [f"{BUILD}/tests/vk_prog", "churn", str(C_N)])):
    if not os.access(prog[0], os.X_OK):
        print(f"bench: {prog[0]} not built (make runtime-progs): {label} skipped", file=sys.stderr)
        continue
    n0 = len(brows)
    workload_b(label, name, prog)
    crows.append(brows.pop(n0))
# the report's memory must not grow with the number of events: workload A
# without its leaks (a live set of 256 blocks), N/4 pairs against BIG
def rss_of(pairs):
    d = fresh(f"{WORK}/rss{pairs}")
    run([BT, "record", "--quiet", "-o", d, "--probes", "malloc", "--", WA, str(pairs), "1", "0"])
    t = trace_in(d)
    got = [run([BT, "report", t]) for _ in range(2)]
    ev = trace_events(t)
    subprocess.run(["rm", "-rf", d])
    return ev, min(x[0] for x in got), max(x[1] for x in got)
rss_runs = [rss_of(N // 4), rss_of(BIG or N)]

def machine():
    """The CPU and the clock source: the hook path's ratio to A moves with
    both (docs/performance.md, the ninth pass: RDTSC's cost, the vDSO's)."""
    def first(path, key=None):
        try:
            for line in open(path):
                if key is None:
                    return line.strip()
                if line.startswith(key):
                    return line.split(":", 1)[1].strip()
        except OSError:
            pass
        return "?"
    return (f"{first('/proc/cpuinfo', 'model name')}, clocksource "
            f"{first('/sys/devices/system/clocksource/clocksource0/current_clocksource')}")


print(f"buftrace bench: BENCH_N={N} BENCH_RUNS={RUNS} BENCH_B_PAIRS={B_PAIRS}, "
      f"{os.cpu_count()} CPUs, medians; xht = ratio to heaptrack in the same run")
print(f"machine: {machine()}")
print()
print(f"{'workload':<13} {'events':>9} {'plain s':>7} | {'ns/event overhead (end to end)':^52} | {'trace bytes/event':^22}")
print(f"{'':<13} {'':>9} {'':>7} | {'floor':>6} {'buftrace':>9} {'(libunw)':>8} {'heaptrack':>9} {'xht':>6} {'xfloor':>7} | {'buftrace':>8} {'heaptrack':>9} {'xht':>6}")
for r in rows:
    fl = f"{r['floor_ns']:6.0f}" if r["floor_ns"] is not None else "     -"
    xf = ratio(r["bt_ns"], r["floor_ns"]) if r["floor_ns"] else "    - "
    print(f"{r['label']:<13} {r['bt_ev']:>9} {r['plain']:7.3f} | {fl} {r['bt_ns']:9.0f} {r['btl_ns']:8.0f} {fig(r['ht_ns'], '9.0f', 9)} "
          f"{ratio(r['bt_ns'], r['ht_ns']):>6} {xf:>7} | {r['bt_bytes']:8.2f} {fig(r['ht_bytes'], '9.2f', 9)} {ratio(r['bt_bytes'], r['ht_bytes']):>6}")
# workload B in the same table: the hook path has no floor, libunwind or
# heaptrack figure of its own (heaptrack traces mallocs, not these calls)
for r in brows:
    print(f"{r['label']:<13} {r['ev']:>9} {r['plain']:7.3f} | {'-':>6} {r['bt_ns']:9.0f} {'-':>8} {'-':>9} "
          f"{'-':>6} {'-':>7} | {r['bytes']:8.2f} {'-':>9} {'-':>6}")
print()
print(f"{'workload':<13} | {'buftrace report':^17} | {'heaptrack_print':^17} | {'time':>6} {'RSS':>6}")
print(f"{'':<13} | {'s':>7} {'MiB':>9} | {'s':>7} {'MiB':>9} | {'xht':>6} {'xht':>6}")
for r in rows:
    print(f"{r['label']:<13} | {r['rep_t']:7.3f} {r['rep_rss'] / 1024:9.1f} | {fig(r['htp_t'], '7.3f', 7)} "
          f"{fig(r['htp_rss'] / 1024 if r['htp_rss'] else None, '9.1f', 9)} | "
          f"{ratio(r['rep_t'], r['htp_t']):>6} {ratio(r['rep_rss'], r['htp_rss']):>6}")
for r in brows:
    print(f"{r['label']:<13} | {r['rep_t']:7.3f} {r['rep_rss'] / 1024:9.1f} | {'-':>7} {'-':>9} | {'-':>6} {'-':>6}")
print()
print("buftrace report peak RSS, A 1 thread without leaks: " +
      ", ".join(f"{rss / 1024:.1f} MiB ({t:.2f} s) at {ev} events" for ev, t, rss in rss_runs))
print()
b1 = brows[0]
print("workload B: the tt-metal hook path (B1 buffer churn, B2 MeshBuffer tensors); A ns = the malloc probes' "
      "ns/event on A 1 thread, run in the same rounds as the row; xA = ns/event over it (target <= 1.5)")
print(f"{'workload':<13} {'events':>9} {'plain s':>7} | {'ns/event':>8} {'A ns':>5} {'xA':>6} {'x1thr':>6} {'no-py':>6} "
      f"{'xnopy':>6} | {'bytes/ev':>8} | {'report s':>8} {'MiB':>6}")
for r in brows:
    x1 = ratio(r["bt_ns"], b1["bt_ns"]) if r is not b1 else "   - "
    npy = f"{r['nopy_ns']:6.0f}" if r["nopy_ns"] is not None else "     -"
    xn = ratio(r["bt_ns"], r["nopy_ns"]) if r["nopy_ns"] else "   - "
    print(f"{r['label']:<13} {r['ev']:>9} {r['plain']:7.3f} | {r['bt_ns']:8.0f} {r['a_ns']:5.0f} "
          f"{ratio(r['bt_ns'], r['a_ns']):>6} {x1:>6} {npy} {xn:>6} | {r['bytes']:8.2f} | {r['rep_t']:8.3f} "
          f"{r['rep_rss'] / 1024:6.1f}")
if b1.get("uft_ns"):
    print(f"per hooked call, B1 C 1 thr: buftrace {b1['bt_call_ns']:.0f} ns, uftrace {b1['uft_ns']:.0f} ns "
          f"({b1['uft_calls']} calls traced): {ratio(b1['bt_call_ns'], b1['uft_ns'])} of uftrace (target <= 0.25)")
else:
    print("no uftrace figure this run (not installed, or it traced none of the hooked calls)")
if crows:
    print()
    print("workload C: the OpenCL (C1, PoCL) and Vulkan (C2, lavapipe) profiles, buffers made and released in a loop; "
          "one event per recorded call; xA as above")
    print(f"{'workload':<13} {'events':>9} {'plain s':>7} | {'ns/call':>8} {'A ns':>5} {'xA':>6} | {'bytes/ev':>8} | "
          f"{'report s':>8} {'MiB':>6}")
    for r in crows:
        print(f"{r['label']:<13} {r['ev']:>9} {r['plain']:7.3f} | {r['bt_ns']:8.0f} {r['a_ns']:5.0f} "
              f"{ratio(r['bt_ns'], r['a_ns']):>6} | "
              f"{r['bytes']:8.2f} | {r['rep_t']:8.3f} {r['rep_rss'] / 1024:6.1f}")
print(f"varied-stack worst case (A varied): {ratio(rows[2]['bt_ns'], rows[2]['floor_ns'])} the unw_backtrace floor "
      "(target <= 1.5)")
print("(libunw): buftrace with BUFTRACE_UNWIND=libunwind, every stack walked by unw_backtrace.")
print("B: heaptrack events = 2 x its allocation calls; buftrace events = tt-metal hook events; no floor.")
