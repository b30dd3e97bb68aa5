#!/bin/sh
# Allocation probes (record --probes malloc): libbuftrace-malloc.so is
# preloaded instead of libbuftrace.so; the report lists exactly the blocks
# tests/progs/leaker.c never frees, grouped by the function that allocated
# them, with their count and bytes, in text and JSON (schema-checked).
# Without --probes nothing of it is loaded and no malloc is traced.
. "$TESTLIB/common.sh"
prog="$BUILD/tests/leaker"
mlib="$BUILD/lib/buftrace/libbuftrace-malloc.so"
[ -x "$prog" ] || fail "$prog not built (make test-progs)"
[ -f "$mlib" ] || fail "$mlib not built"
# ASan owns malloc in a sanitized build: probes of ours cannot sit beside it
sanitized && skip "allocation probes are not used with a sanitized build (ASan replaces malloc)"

# libbuftrace.so itself exports no allocation function
nm -D --defined-only "$LIB" | grep -Eqw 'malloc|free|calloc|realloc|_Znwm|_ZdlPv' &&
	fail "libbuftrace.so exports an allocation function"

# which library each mode preloads (sh -c: the shell's own maps)
"$BUFTRACE" record --quiet -o "$WORK" -- sh -c 'grep -o "libbuftrace[-a-z]*\.so" /proc/$$/maps | sort -u' > "$WORK/maps.plain" ||
	fail "record without probes failed"
[ "$(cat "$WORK/maps.plain")" = libbuftrace.so ] || fail "without --probes, loaded: $(cat "$WORK/maps.plain")"
mkdir -p "$WORK/p"
"$BUFTRACE" record --quiet -o "$WORK/p" --probes malloc -- sh -c 'grep -o "libbuftrace[-a-z]*\.so" /proc/$$/maps | sort -u' > "$WORK/maps.probes" ||
	fail "record with probes failed"
[ "$(cat "$WORK/maps.probes")" = libbuftrace-malloc.so ] || fail "with --probes malloc, loaded: $(cat "$WORK/maps.probes")"

# without probes: the program reaches no hook, so no trace at all
mkdir -p "$WORK/none"
"$BUFTRACE" record -o "$WORK/none" -- "$prog" > /dev/null 2> "$WORK/none.err" || fail "leaker failed without probes"
ls "$WORK"/none/buftrace.*.zst > /dev/null 2>&1 && fail "a trace was written without probes"
# the malloc library preloaded by hand but not asked for probes: passes through
LD_PRELOAD="$mlib" BUFTRACE_OUTPUT="$WORK/none" "$prog" > /dev/null || fail "leaker failed under an unarmed libbuftrace-malloc.so"
ls "$WORK"/none/buftrace.*.zst > /dev/null 2>&1 && fail "unarmed probes wrote a trace"

check() { # $1: extra leaker args; $2: allowed extra groups (a frame name), or ""
	rm -rf "$WORK/out"; mkdir -p "$WORK/out"
	"$BUFTRACE" record -o "$WORK/out" --probes malloc -- "$prog" $1 > "$WORK/stdout" 2> "$WORK/stderr" ||
		fail "leaker $1 failed under record: $(cat "$WORK/stderr")"
	grep -q "leaker done" "$WORK/stdout" || fail "leaker output changed"
	trace=$(only_trace)
	"$BUFTRACE" report "$trace" > "$WORK/r.txt" || fail "report failed"
	grep -q "^Host memory never freed" "$WORK/r.txt" || fail "no 'Host memory never freed' section: $(cat "$WORK/r.txt")"
	"$BUFTRACE" report --format json "$trace" > "$WORK/r.json" || fail "report --format json failed"
	python3 "$TESTLIB/schema.py" "$TOP/docs/report-schema.md" report "$WORK/r.json" ||
		fail "JSON does not match docs/report-schema.md"
	python3 - "$WORK/r.json" "$2" <<'PY' || fail "leaks wrong (args: $1)"
import json, sys
r = json.load(open(sys.argv[1]))
allowed = sys.argv[2]
want = {"leak_realloc": (1, 7000), "leak_calloc": (2, 1000), "leak_small": (3, 300)}
got = {}
for g in r["leaks"]:
    fns = [f["function"] or "" for f in g["stack"]]
    mine = [f for f in fns if f in want or f in ("churn", "worker")]
    if not mine:
        if allowed and any(allowed in f for f in fns):
            continue
        sys.exit(f"unexpected leak group {g['count']} x {g['bytes']} bytes: {fns}")
    if mine[0] in got: sys.exit(f"{mine[0]}: two groups")
    if fns[0] != mine[0]: sys.exit(f"{mine[0]}: innermost frame is {fns[0]}")
    got[mine[0]] = (g["count"], g["bytes"])
if got != want: sys.exit(f"leaks {got}, expected {want}")
ev = r["processes"][0]["events"]
if ev < 2 * 5 * 2000: sys.exit(f"only {ev} events traced")
print(f"leaks OK ({ev} events)")
PY
	grep -q "leak_small (progs/leaker.c:" "$WORK/r.txt" || fail "text report lacks the leak_small frame"
}
check "" ""
check --thread pthread_create
