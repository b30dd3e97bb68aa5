"""Checks a text `buftrace dump` of a churn run (stdin) for t_rel_threads:
every event exactly once, counts against HOOK_STATS/END and the host's
summary line, payloads intact.  argv: host-stdout summary dump-stderr name"""
import re, sys

out, summ, dumperr, name = sys.argv[1:5]
def die(msg):
    print(f"FAIL: {name}: {msg}")
    sys.exit(1)

seqs = bytearray()
nev = 0
per_hook = {}
last_seq_by_tid = {}
end = None
stats_seen = False
tids = set()
threads = set()
creates = {"Buffer::create": 0, "Buffer::create@address": 0}
dtor_enter = 0
maxseq = -1
seen = set()
for line in sys.stdin:
    if line.startswith("EVENT "):
        f = line.split()
        seq = int(f[1][4:]); tid = int(f[3][4:]); hook = f[4]; phase = f[5]
        nev += 1
        if seq >= len(seqs):
            seqs.extend(b"\0" * (seq + 1 - len(seqs) + 4096))
        if seqs[seq]:
            die(f"event seq={seq} appears twice")
        seqs[seq] = 1
        maxseq = max(maxseq, seq)
        if last_seq_by_tid.get(tid, -1) >= seq:
            die(f"thread {tid}: seq {seq} after {last_seq_by_tid[tid]}: order broken")
        last_seq_by_tid[tid] = seq
        tids.add(tid)
        per_hook[hook] = per_hook.get(hook, 0) + 1
        if hook in creates and phase == "exit":
            creates[hook] += 1
            if hook == "Buffer::create":
                a = dict(kv.split("=", 1) for kv in f[7:])
                # churn: 32 KiB DRAM / 4 KiB L1; workload: 64 KiB DRAM / 16 KiB L1;
                # tensors' backing buffers: 32 KiB DRAM, 4 and 8 KiB L1
                ok = (a["size"], a["type"]) in (("32768", "DRAM"), ("4096", "L1"), ("65536", "DRAM"),
                                                ("16384", "L1"), ("8192", "L1")) and a["page_size"] in ("1024", "2048")
                if not ok or a["buffer"] == "0x0" or a["device"] == "0x0":
                    die(f"corrupted Buffer::create payload: {line.strip()}")
        elif hook == "Buffer::~Buffer" and phase == "enter":
            dtor_enter += 1
    elif line.startswith("END "):
        end = dict(kv.split("=", 1) for kv in line.split()[1:])
    elif line.startswith("HOOK_STATS"):
        stats_seen = True
    elif line.startswith("THREAD "):
        threads.add(int(line.split()[1][4:]))

err = open(dumperr).read().strip()
if err:
    die(f"dump complained: {err}")
if nev < 1000000:
    die(f"only {nev} events, the test wants >= 1M")
if end is None or not stats_seen:
    die("no HOOK_STATS/END record: the trace was not finished")
if int(end["events"]) != nev:
    die(f"END says {end['events']} events, the trace holds {nev}")
if int(end["last_seq"]) != nev or maxseq != nev - 1 or seqs.count(1) != nev:
    die(f"sequence numbers are not exactly 0..{int(end['last_seq']) - 1}: lost or duplicated events")
if len(tids) < 17:
    die(f"events from {len(tids)} threads, expected >= 17 (main + 16 churners)")
if not tids <= threads:
    die(f"events from threads without a THREAD record: {sorted(tids - threads)}")
# HOOK_STATS, as `dump --summary` prints it
fired = {}
for l in open(summ):
    # hook, calls, events (HOOK_STATS)
    m = re.match(r"^(\S+)\s+(?:\(probe\)\s+)?(\d+)\s+(\d+)\s", l)
    if m:
        fired[m.group(1)] = int(m.group(3))
for h, n in per_hook.items():
    if fired.get(h) != n:
        die(f"{h}: {n} events in the trace, HOOK_STATS says {fired.get(h)}")
# the host's own summary
m = re.search(r"(\d+) buffers created, (\d+) freed, (\d+) alive", open(out).read())
if not m:
    die("host printed no summary")
created, freed, alive = map(int, m.groups())
if creates["Buffer::create"] + creates["Buffer::create@address"] != created:
    die(f"host created {created} buffers, trace has {creates}")
# the 3 control buffers die at exit, after the summary: every buffer is destroyed
if dtor_enter != created:
    die(f"host destroyed {created} buffers in all, trace has {dtor_enter} ~Buffer")
print(f"{name}: {nev} events from {len(tids)} threads, each exactly once")
