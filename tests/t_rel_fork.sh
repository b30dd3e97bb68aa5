#!/bin/sh
# Reliability, process creation: fork from a process whose other threads
# are busy in hooked calls (the child must not deadlock on a lock one of
# them held), posix_spawn, vfork (+exec, +_exit), a daemon (double fork +
# setsid), exec.  Every process that made hooked calls has its own
# complete trace with exactly its own events; none of them deadlocks.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/forks
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
check() { # MODE CHILD-TRACES: traces holding exactly the 10 child events
	python3 - "$BUFTRACE" "$1" "$2" "$WORK"/out/*.zst <<'PY' || exit 1
import subprocess, sys
buftrace, mode, want, traces = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4:]
children = 0
for t in traces:
    p = subprocess.run([buftrace, "dump", t], capture_output=True, text=True)
    if p.returncode:
        sys.exit(f"FAIL: {mode}: {t}: {p.stderr.strip()}")
    ev = [l.split()[-1].split("=")[1] for l in p.stdout.splitlines() if l.startswith("EVENT ")]
    end = [l for l in p.stdout.splitlines() if l.startswith("END ")]
    if len(end) != 1 or f"events={len(ev)} " not in end[0] + " ":
        sys.exit(f"FAIL: {mode}: {t}: END missing or wrong ({end}, {len(ev)} events)")
    mine = [e for e in ev if e.startswith("0xc41d00")]
    if mine:
        children += 1
        if sorted(mine) != [f"0xc41d00{i}" for i in range(10)] or len(ev) != 10:
            sys.exit(f"FAIL: {mode}: child trace {t} holds {len(ev)} events, not its own 10: {ev[:12]}")
if children != want:
    sys.exit(f"FAIL: {mode}: {children} child traces, want {want}")
PY
}
run() {
	rm -f "$WORK"/out/*
	LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" timeout 120 "$prog" "$@" > "$WORK/out.txt" 2>&1
	rc=$?
	[ $rc = 0 ] || fail "$1: exit $rc: $(cat "$WORK/out.txt")"
}
run mtfork 100; check mtfork 100
run spawn; check spawn 1
run vfork; check vfork 1
run daemon "$WORK/daemon.done"
for i in $(seq 50); do [ -e "$WORK/daemon.done" ] && break; sleep 0.1; done
[ -e "$WORK/daemon.done" ] || fail "daemon did not finish"
sleep 0.2; check daemon 1
run exec; check exec 1
[ "$(ls "$WORK"/out/*.zst | wc -l)" = 2 ] || fail "exec: want 2 traces (before and after exec)"
echo "process creation OK"
