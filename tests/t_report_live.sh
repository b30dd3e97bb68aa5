#!/bin/sh
# A report on a run that is still going (a long job, looked at half way):
# its trace has no END record yet and ends inside the zstd frame the
# recorder keeps open between flushes.  The report said "the process was
# killed", printed "truncated" as damage and exited 1.  Now: "still
# running", `running: true` in the JSON, exit 0, every flushed event read;
# and once the run ends, the same file is complete.
. "$TESTLIB/common.sh"
need_fixture gnu
python3 -c 'import sys' 2>/dev/null || skip "no python3"
python3 - "$BUFTRACE" "$TOP/tests/progs/py_live.py" "$FIX/gnu" "$WORK" <<'PY' || exit 1
import glob, json, os, subprocess, sys, time
bt, prog, fix, work = sys.argv[1:5]
def die(m): print("FAIL:", m); sys.exit(1)
env = dict(os.environ, BUFTRACE_FLUSH_MS="20")
run = subprocess.Popen([bt, "record", "-o", f"{work}/t", "--quiet", "--", "python3", prog, fix],
                       stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)
if run.stdout.readline() != b"ready\n":
    die("the program did not start")
trace = glob.glob(f"{work}/t/buftrace.*.zst")
if len(trace) != 1:
    die(f"traces: {trace}")
# the 5 tensors' MeshBuffer::create calls, once flushed (20 ms)
for _ in range(100):
    d = subprocess.run([bt, "dump", trace[0]], capture_output=True)
    if d.stdout.count(b" MeshBuffer::create ") >= 10:
        break
    time.sleep(0.05)
else:
    die("the events never reached the trace")
t = subprocess.run([bt, "report", trace[0]], capture_output=True, text=True)
j = subprocess.run([bt, "report", "--format", "json", trace[0]], capture_output=True, text=True)
if t.returncode != 0 or t.stderr or "(still running: what it has written so far)" not in t.stdout:
    die(f"report while it runs: exit {t.returncode}, stderr {t.stderr!r}, stdout {t.stdout[:400]!r}")
p = json.loads(j.stdout)["processes"][0]
if j.returncode != 0 or not p["running"] or p["complete"] or p["error"] is not None:
    die(f"json while it runs: exit {j.returncode}, {p}")
h = subprocess.run([bt, "report", "--format", "html", "-o", f"{work}/live.html", trace[0]], capture_output=True, text=True)
import re
page = open(f"{work}/live.html").read()
data = json.loads(re.search(r'id="bt-data">\n(.*?)\n</script>', page, re.S).group(1))
if h.returncode != 0 or data["processes"][0]["running"] != 1 or "still running" not in page:
    die(f"html while it runs: exit {h.returncode}, running {data['processes'][0].get('running')}")
run.stdin.write(b"go\n")
run.stdin.close()
if run.wait() != 0 or run.stdout.read() != b"closed\n":
    die("the program did not end well")
j = subprocess.run([bt, "report", "--format", "json", trace[0]], capture_output=True, text=True)
r = json.loads(j.stdout)
p = r["processes"][0]
if j.returncode != 0 or p["running"] or not p["complete"] or p["error"] is not None:
    die(f"json after the end: {p}")
if sum(g["mesh_buffers"] for g in r["survivor_groups"]) != 5:
    die(f"after the end: {[(g['mesh_buffers'], g['count']) for g in r['survivor_groups']]}, want the 5 tensors")
PY
