#!/bin/sh
# report --format html and --format perfetto on the demo, without a
# browser (tests/html/ opens the page in Chromium: make test-html):
# the page is one self-contained file whose data say what the text and
# JSON reports say (12288 bytes of L1 left on chip 0 after the close,
# the same survivor groups in the same order); the Perfetto file follows
# the trace-event rules and its slices last what the buffers lived; many
# processes make one page; the timeline stays bounded; -o to a bad path
# is one error line.
. "$TESTLIB/common.sh"
. "$TESTLIB/demo_record.sh"
need_fixture gnu
record_demo "$WORK/d" || fail "record of the demo failed"
T=$(ls "$WORK"/d/buftrace.*.zst)
"$BUFTRACE" report --format html -o "$WORK/page.html" "$T" || fail "report --format html failed"
"$BUFTRACE" report --format json "$T" > "$WORK/r.json"
"$BUFTRACE" report --format html "$T" > "$WORK/stdout.html" || fail "report --format html to stdout failed"
cmp -s "$WORK/page.html" "$WORK/stdout.html" || fail "-o FILE and stdout differ"
python3 - "$WORK/page.html" "$WORK/r.json" "$TESTLIB" <<'PY' || exit 1
import json, re, sys
page = open(sys.argv[1]).read()
rep = json.load(open(sys.argv[2]))
def die(msg):
    print("FAIL: " + msg); sys.exit(1)
if not page.startswith("<!DOCTYPE html>"):
    die("not an html document")
# self-contained: nothing fetched (the SVG namespace is a name, not a fetch)
for bad in ("<script src", "<link", "@import", "url(", "<img", "<iframe"):
    if bad in page:
        die("page refers to an outside resource: " + bad)
for u in re.findall(r"https?://[^\s\"'<>]+", page):
    if u != "http://www.w3.org/2000/svg":
        die("page names a URL: " + u)
sys.path.insert(0, sys.argv[3])
import htmlpage
data = htmlpage.data(sys.argv[1])
if not data:
    die("no data in the page")
p = data["processes"][0]
chip0 = [d for d in p["devices"] if d["label"] == "chip 0"]
if not chip0 or chip0[0]["surv_by_type"].get("L1") != 12288:
    die("chip 0's survivors are not 12288 bytes of L1: %s" % chip0)
d = chip0[0]
# the timeline value at the end of the close's bucket, the page's reading
val = htmlpage.at_close(p, d)
if val != 12288:
    die("timeline of chip 0 L1 after the close: %d, not 12288" % val)
# at the end everything is gone (destroyed at exit)
if d["tracks"]["L1"][-1][1] != 0:
    die("chip 0 L1 does not return to 0 at exit")
mesh = [x for x in p["devices"] if x["kind"] == "mesh"]
if not mesh or "L1" not in mesh[0]["tracks"]:
    die("no mesh timeline")
# the same groups as the JSON report, in the same order
js = rep["survivor_groups"]
if [(g["count"], g["bytes"]) for g in p["survivors"]] != [(g["count"], g["bytes"]) for g in js]:
    die("survivor groups differ from the JSON report")
for hg, jg in zip(p["survivors"], js):
    if [f[0] for f in hg["frames"]] != [f["function"] or "" for f in jg["stack"]][:len(hg["frames"])] and \
       len(hg["frames"]) != len(jg["stack"]):
        die("stack of a group differs from the JSON report")
    if [f[2] for f in hg["frames"]] != [1 if f["init_path"] else 0 for f in jg["stack"]]:
        die("init path marks differ from the JSON report")
    if hg["closed_by"] != jg["closed_by"] or hg["held_by"] != jg["held_by"]:
        die("verdict differs")
# all live bytes per creation stack, between the close and the exit:
# only the survivors, from their creation path
ls = p["live_stacks"]
mid = (d["closed_ns"] + p["duration_ns"]) // 2
j = mid // ls["bucket_ns"]
alive = []
for st in ls["stacks"]:
    v = 0
    for pt in st["series"]:
        if pt[0] <= j:
            v = pt[1]
    if v:
        alive.append((v, [f[0] for f in st["frames"]]))
if sum(v for v, _ in alive) != 12288 or not all(any("reserve_control_buffers" in f for f in fr) for _, fr in alive):
    die("live bytes by stack between close and exit: %s" % [(v, fr[:3]) for v, fr in alive])
if p["pid"] != rep["processes"][0]["pid"] or p["events"] != rep["processes"][0]["events"]:
    die("header differs from the JSON report")
print("html data OK")
PY
# Perfetto: the format's rules, and slices as long as the buffers lived
"$BUFTRACE" report --format perfetto -o "$WORK/p.json" "$T" || fail "report --format perfetto failed"
python3 "$TESTLIB/check_trace_events.py" "$WORK/p.json" || fail "perfetto output breaks the trace-event rules"
python3 - "$WORK/p.json" "$WORK/r.json" <<'PY' || exit 1
import json, sys
ev = json.load(open(sys.argv[1]))["traceEvents"]
rep = json.load(open(sys.argv[2]))
def die(msg):
    print("FAIL: " + msg); sys.exit(1)
want = sorted(b["destroyed_ns"] - b["created_ns"] for g in rep["survivor_groups"] + rep["dangling"] for b in g["buffers"])
got = sorted(round(e["dur"] * 1000) for e in ev if e["ph"] == "X")
if want != got:
    die("slice durations (ns) %s != buffer lifetimes %s" % (got, want))
close = [e for e in ev if e["ph"] == "i" and e["name"] == "close chip 0"]
exit_ = [e for e in ev if e["ph"] == "i" and e["name"] == "process exit"]
if not close or not exit_ or not [e for e in ev if e["ph"] == "i" and e["name"].startswith("open ")]:
    die("open/close/exit instants missing")
c = [e for e in ev if e["ph"] == "C" and e["name"] == "chip 0 L1 bytes"]
# the value in effect just after the close: the close's bucket ends
# after it (then that sample), else the last sample before it; it holds
# until the first kept buffer dies (at exit, a little before the
# process's last event: the "process exit" instant is no bound)
ends = [e["ts"] + e["dur"] for e in ev if e["ph"] == "X" and e["ts"] + e["dur"] > close[0]["ts"]]
first_death = min(ends) if ends else exit_[0]["ts"]
after = [e for e in c if close[0]["ts"] < e["ts"] < first_death]
before = [e for e in c if e["ts"] <= close[0]["ts"]]
v = after[0]["args"]["bytes"] if after else before[-1]["args"]["bytes"]
if v != 12288 or any(e["args"]["bytes"] != 12288 for e in after) or c[-1]["args"]["bytes"] != 0:
    die("chip 0 L1 counter: %d after the close, %s at the end" % (v, c[-1]["args"]))
if any(e["ts"] < f["ts"] for f, e in zip(c, c[1:])):
    die("counter samples out of order")
print("perfetto mapping OK")
PY
# a tensor still held at the close: one item, worded as the text report
(export TT_FIXTURE_HELD_TENSOR=1; record_demo "$WORK/t") || fail "record with a held tensor failed"
"$BUFTRACE" report --format html -o "$WORK/t.html" "$WORK"/t/buftrace.*.zst || fail "html with a held tensor failed"
want=$("$BUFTRACE" report "$WORK"/t/buftrace.*.zst | sed -n 's/^#[0-9]*  \(1 mesh buffer, .*\)$/\1/p')
[ -n "$want" ] || fail "the text report has no mesh-buffer item"
"$BUFTRACE" report "$WORK"/t/buftrace.*.zst | sed -n 's/^#[0-9]*  //p' > "$WORK/headings"
python3 - "$WORK/t.html" "$want" "$WORK/headings" <<'PY' || exit 1
import json, re, sys
page = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="bt-data">\n(.*?)\n</script>', page, re.S).group(1))
surv = data["processes"][0]["survivors"]
g = [x for x in surv if x.get("heading") == sys.argv[2]]
if len(g) != 1 or g[0]["held_by"] != "program" or g[0]["registered"]:
    print("FAIL: mesh-buffer item on the page: %s, text report: %s" % ([(x.get("heading"), x["held_by"], x["registered"]) for x in surv], sys.argv[2])); sys.exit(1)
# every item headed as the text report heads it, in its order
text = open(sys.argv[3]).read().splitlines()
if [x.get("heading") for x in surv] != text:
    print("FAIL: the page's headings %s, the text report's %s" % ([x.get("heading") for x in surv], text)); sys.exit(1)
print("mesh buffer item OK")
PY
# several processes (two traces, and malloc probes): one page
record_demo "$WORK/m" --probes malloc || fail "record --probes malloc failed"
M=$(ls "$WORK"/m/buftrace.*.zst)
"$BUFTRACE" report --format html -o "$WORK/two.html" "$T" "$M" || fail "html over two traces failed"
"$BUFTRACE" report --format perfetto -o "$WORK/two.json" "$T" "$M" || fail "perfetto over two traces failed"
python3 "$TESTLIB/check_trace_events.py" "$WORK/two.json" > /dev/null || fail "perfetto over two traces breaks the rules"
python3 - "$WORK/two.html" <<'PY' || exit 1
import json, re, sys
page = open(sys.argv[1]).read()
data = json.loads(re.search(r'id="bt-data">\n(.*?)\n</script>', page, re.S).group(1))
ps = data["processes"]
if len(ps) != 2:
    print("FAIL: %d processes on the page, not 2" % len(ps)); sys.exit(1)
lk = [p for p in ps if p["leaks"]]
if len(lk) != 1 or not lk[0]["host_heap"] or lk[0]["leaks"]["mallocs"] <= 0:
    print("FAIL: the malloc-probe trace has no host memory section"); sys.exit(1)
print("two processes OK")
PY
# a long run: the timeline is downsampled to a bounded number of points
mkdir -p "$WORK/c"
"$BUFTRACE" record -o "$WORK/c" --quiet -- "$FIX/gnu/host_dlopen" --churn 20000 > /dev/null || fail "churn record failed"
"$BUFTRACE" report --format html -o "$WORK/churn.html" "$WORK"/c/buftrace.*.zst || fail "html of the churn run failed"
python3 - "$WORK/churn.html" <<'PY' || exit 1
import json, re, sys
page = open(sys.argv[1]).read()
p = json.loads(re.search(r'id="bt-data">\n(.*?)\n</script>', page, re.S).group(1))["processes"][0]
if p["events"] < 100000:
    print("FAIL: churn run too small: %d events" % p["events"]); sys.exit(1)
if not 0 < p["nb"] <= 2048 or any(len(s) > 2048 for d in p["devices"] for s in d["tracks"].values()):
    print("FAIL: timeline not bounded to 2048 points per track"); sys.exit(1)
if len(page) > 2000000:
    print("FAIL: page of %d bytes for %d events" % (len(page), p["events"])); sys.exit(1)
print("churn page OK: %d bytes for %d events" % (len(page), p["events"]))
PY
# devices never seen made (neither Device::Device nor initialize hooked):
# the buffers made on one before it shows itself are on its chip's track,
# not on a track of their own ("device ?", until the close adopted them).
# Not in a sanitized build: its IDevice::id() is instrumented, no plain
# getter the recorder will call at Device::close, so no chip id is known
# without those hooks.
if sanitized; then
	echo "devices not seen made: not checked in a sanitized build"
else
BUFTRACE_HOOKS_OFF=Device::Device,Device::initialize record_demo "$WORK/nodev" || fail "record without the device hooks failed"
"$BUFTRACE" report --format html -o "$WORK/nodev.html" "$WORK"/nodev/buftrace.*.zst || fail "html without the device hooks failed"
python3 - "$WORK/nodev.html" "$TESTLIB" <<'PY' || exit 1
import sys
sys.path.insert(0, sys.argv[2])
import htmlpage
p = htmlpage.data(sys.argv[1])["processes"][0]
labels = [d["label"] for d in p["devices"]]
if "device ?" in labels or sorted(l for l in labels if l.startswith("chip")) != ["chip %d" % i for i in range(8)]:
    print("FAIL: device tracks without the device hooks: %s" % labels); sys.exit(1)
d = [d for d in p["devices"] if d["label"] == "chip 0"][0]
val = htmlpage.at_close(p, d)
if val != 12288:
    print("FAIL: without the device hooks, chip 0 L1 after the close: %d, not 12288" % val); sys.exit(1)
print("devices not seen made: on their own tracks")
PY
fi
# bad output path: one line naming it, exit 1
"$BUFTRACE" report --format html -o "$WORK/no/such/dir/x.html" "$T" 2> "$WORK/err"
rc=$?
[ $rc = 1 ] && grep -q "no/such/dir/x.html" "$WORK/err" && [ "$(wc -l < "$WORK/err")" = 1 ] || fail "bad -o: exit $rc, $(cat "$WORK/err")"
"$BUFTRACE" report --format text -o "$WORK/x.txt" "$T" 2> /dev/null
[ $? = 2 ] || fail "-o with --format text is not a usage error"
echo "html and perfetto reports OK"
