#!/bin/sh
# Process boundaries: a fork child traces into its own file, an exec'd
# image into another; a process that never reaches a hook writes nothing;
# exit statuses and fatal signals pass through `buftrace record`.
. "$TESTLIB/common.sh"
need_fixture gnu
out=$WORK/out; mkdir -p "$out"

# 1. no hooked call: no file, status passes through
"$BUFTRACE" record -o "$out" -- sh -c 'ls / >/dev/null; exit 7' 2>"$WORK/err"
[ $? = 7 ] || fail "exit status 7 not passed through"
[ -z "$(ls "$out")" ] || fail "a process without hooked calls wrote $(ls "$out")"
grep -q 'no trace written' "$WORK/err" || fail "record did not say that no trace was written"

# 2. death by signal is reproduced
"$BUFTRACE" record -o "$out" -- sh -c 'kill -TERM $$'
[ $? = 143 ] || fail "SIGTERM death not passed through"

# 3. fork + exec: three files, one per process image
"$BUFTRACE" record -o "$out" -- "$BUILD/tests/forkexec" "$FIX/gnu" 2>"$WORK/err"
rc=$?
[ $rc = 5 ] || fail "forkexec exit status $rc, expected 5"
n=$(ls "$out"/buftrace.*.zst | wc -l)
[ "$n" = 3 ] || fail "expected 3 trace files (parent, fork child, exec image), got $n: $(ls "$out")"
[ "$(grep -c zst "$WORK/err")" = 3 ] || fail "record did not list the 3 files: $(cat "$WORK/err")"
pids=""
for f in "$out"/buftrace.*.zst; do
	"$BUFTRACE" dump --json "$f" > "$WORK/d.json" || fail "dump $f failed"
	python3 - "$WORK/d.json" <<'PY' || fail "bad trace $f"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1])]
hdr = recs[0]
assert hdr["record"] == "HEADER", "first record is not HEADER"
ev = [r for r in recs if r["record"] == "EVENT"]
assert ev, "no events"
assert any(r["record"] == "END" for r in recs), "no END record"
print(hdr["pid"], hdr["ppid"], len(ev))
PY
done > "$WORK/pids"
# the fork child's ppid is the parent's pid; the exec image keeps the parent's pid
python3 - "$WORK/pids" <<'PY' || fail "process relations wrong: $(cat "$WORK/pids")"
import sys
rows = [tuple(map(int, l.split())) for l in open(sys.argv[1])]
pids = [r[0] for r in rows]
assert len(set(pids)) == 2, rows                      # parent and exec share a pid
child = [r for r in rows if pids.count(r[0]) == 1][0]
assert child[1] in pids, rows                          # child of the parent
PY
echo "process boundaries OK"
