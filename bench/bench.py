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
    for mode in ("plain", "floor", "buftrace", "bt-libunwind", "heaptrack"):
        if (mode == "floor" and prog[0] != WA) or (mode == "heaptrack" and not heaptrack):
            continue
        walls = []
        for _ in range(RUNS):
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
            walls.append(w)
        modes[mode] = {"wall": statistics.median(walls), "dir": d, "out": out}
    return modes


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
# the report's memory must not grow with the number of events: workload A
# without its leaks (a live set of 256 blocks), N/4 pairs against BIG
def rss_of(pairs):
    d = fresh(f"{WORK}/rss{pairs}")
    run([BT, "record", "--quiet", "-o", d, "--probes", "malloc", "--", WA, str(pairs), "1", "0"])
    t = [f"{d}/{f}" for f in os.listdir(d) if f.endswith(".zst")][0]
    got = [run([BT, "report", t]) for _ in range(2)]
    ev = trace_events(t)
    subprocess.run(["rm", "-rf", d])
    return ev, min(x[0] for x in got), max(x[1] for x in got)
rss_runs = [rss_of(N // 4), rss_of(BIG or N)]

print(f"buftrace bench: BENCH_N={N} BENCH_RUNS={RUNS} BENCH_B_PAIRS={B_PAIRS}, "
      f"{os.cpu_count()} CPUs, medians; xht = ratio to heaptrack in the same run")
print()
print(f"{'workload':<13} {'events':>9} {'plain s':>7} | {'ns/event overhead (end to end)':^52} | {'trace bytes/event':^22}")
print(f"{'':<13} {'':>9} {'':>7} | {'floor':>6} {'buftrace':>9} {'(libunw)':>8} {'heaptrack':>9} {'xht':>6} {'xfloor':>7} | {'buftrace':>8} {'heaptrack':>9} {'xht':>6}")
for r in rows:
    fl = f"{r['floor_ns']:6.0f}" if r["floor_ns"] is not None else "     -"
    xf = ratio(r["bt_ns"], r["floor_ns"]) if r["floor_ns"] else "    - "
    print(f"{r['label']:<13} {r['bt_ev']:>9} {r['plain']:7.3f} | {fl} {r['bt_ns']:9.0f} {r['btl_ns']:8.0f} {fig(r['ht_ns'], '9.0f', 9)} "
          f"{ratio(r['bt_ns'], r['ht_ns']):>6} {xf:>7} | {r['bt_bytes']:8.2f} {fig(r['ht_bytes'], '9.2f', 9)} {ratio(r['bt_bytes'], r['ht_bytes']):>6}")
print()
print(f"{'workload':<13} | {'buftrace report':^17} | {'heaptrack_print':^17} | {'time':>6} {'RSS':>6}")
print(f"{'':<13} | {'s':>7} {'MiB':>9} | {'s':>7} {'MiB':>9} | {'xht':>6} {'xht':>6}")
for r in rows:
    print(f"{r['label']:<13} | {r['rep_t']:7.3f} {r['rep_rss'] / 1024:9.1f} | {fig(r['htp_t'], '7.3f', 7)} "
          f"{fig(r['htp_rss'] / 1024 if r['htp_rss'] else None, '9.1f', 9)} | "
          f"{ratio(r['rep_t'], r['htp_t']):>6} {ratio(r['rep_rss'], r['htp_rss']):>6}")
print()
print("buftrace report peak RSS, A 1 thread without leaks: " +
      ", ".join(f"{rss / 1024:.1f} MiB ({t:.2f} s) at {ev} events" for ev, t, rss in rss_runs))
print("(libunw): buftrace with BUFTRACE_UNWIND=libunwind, every stack walked by unw_backtrace.")
print("B: heaptrack events = 2 x its allocation calls; buftrace events = tt-metal hook events; no floor.")
