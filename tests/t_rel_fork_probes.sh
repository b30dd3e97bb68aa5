#!/bin/sh
# Reliability, fork under --probes malloc: four threads allocate and free
# without pause while the main thread forks (tests/progs/forkmalloc.c);
# each child allocates, keeps 7 blocks and exits.  No child may hang (a
# thread gone with the fork may have held its block map's lock or the
# writer's), three runs in a row; every child's trace is complete with
# exactly its own 1007 allocations and 1000 frees.  Then the same from
# Python: threads calling libc malloc/free through ctypes (the GIL let go)
# while the main thread calls os.fork.
. "$TESTLIB/common.sh"
prog=$BUILD/tests/forkmalloc
[ -x "$prog" ] || fail "tests/progs not built"
sanitized && skip "allocation probes are not used with a sanitized build (ASan replaces malloc)"
n=20
for round in 1 2 3; do
	rm -rf "$WORK/out"; mkdir -p "$WORK/out"
	timeout 120 "$BUFTRACE" record -o "$WORK/out" --probes malloc -- "$prog" $n > "$WORK/stdout" 2> "$WORK/stderr"
	rc=$?
	[ $rc = 124 ] && fail "round $round: hangs"
	[ $rc = 0 ] || fail "round $round: exit $rc: $(cat "$WORK/stdout" "$WORK/stderr")"
	[ "$(cat "$WORK/stdout")" = "forkmalloc: ok" ] || fail "round $round: $(cat "$WORK/stdout")"
	children=0
	for t in "$WORK"/out/*.zst; do
		"$BUFTRACE" dump --summary "$t" > "$WORK/sum" 2>&1 || fail "round $round: $t: $(cat "$WORK/sum")"
		if grep -q '^malloc .* 1007 ' "$WORK/sum" && grep -q '^free .* 1000 ' "$WORK/sum"; then
			grep -q ": 2007 events," "$WORK/sum" || fail "round $round: child $t: $(head -n 1 "$WORK/sum")"
			children=$((children + 1))
		fi
	done
	[ $children = $n ] || fail "round $round: $children complete child traces, want $n"
	echo "round $round: $n forks, no hang, $n complete child traces"
done

command -v python3 > /dev/null || { echo "no python3: Python variant skipped"; exit 0; }
rm -rf "$WORK/out"; mkdir -p "$WORK/out"
cat > "$WORK/pyfork.py" <<'PY'
import ctypes, os, sys, threading, time
libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.free.argtypes = [ctypes.c_void_p]
stop = False
def hammer():
    while not stop:
        for _ in range(200):
            libc.free(libc.malloc(100))
threads = [threading.Thread(target=hammer) for _ in range(3)]
for t in threads: t.start()
bad = 0
for i in range(20):
    pid = os.fork()
    if pid == 0:
        for _ in range(100):
            libc.free(libc.malloc(64))
        os._exit(0)
    for _ in range(1000):  # a child stuck inside fork never gets to exit
        done, st = os.waitpid(pid, os.WNOHANG)
        if done: break
        time.sleep(0.01)
    else:
        os.kill(pid, 9); os.waitpid(pid, 0); st = -1
    bad |= st != 0
stop = True
for t in threads: t.join()
print("pyfork:", "FAILED" if bad else "ok")
PY
timeout 120 "$BUFTRACE" record -o "$WORK/out" --probes malloc -- python3 "$WORK/pyfork.py" > "$WORK/stdout" 2> "$WORK/stderr"
rc=$?
[ $rc = 0 ] || fail "python: exit $rc: $(cat "$WORK/stdout" "$WORK/stderr")"
[ "$(cat "$WORK/stdout")" = "pyfork: ok" ] || fail "python: a child hung: $(cat "$WORK/stdout")"
ntr=0
for t in "$WORK"/out/*.zst; do
	"$BUFTRACE" dump --summary "$t" > "$WORK/sum" 2>&1 || fail "python: $t: $(cat "$WORK/sum")"
	case $t in */buftrace.python*) ntr=$((ntr + 1)) ;; esac
done
[ $ntr = 21 ] || fail "python: $ntr Python traces, want 21"
echo "python: 20 forks, no hang, 21 complete traces"
