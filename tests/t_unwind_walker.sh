#!/bin/sh
# The recorder's own stack walker (preload/unwind.c) takes the same stacks
# as libunwind's unw_backtrace, which it replaces on the hot path:
#  1. tests/progs/unwind_cmp, built four ways (gcc -O2, -O0, frame
#     pointers, clang), compares both walkers at every walk of changing
#     call trees, threads, signal handlers (raised, and a timer's landing
#     anywhere, also on an alternate signal stack; single-stepping a
#     lazily bound PLT call, from each of its stub's and PLT0's
#     instructions), a makecontext stack and 512 paths to one place in
#     random order (most of them must be found in the walk index):
#     no difference, no walk of plain code or through a signal frame given
#     up, every handler's walk flagged as such, and walks that repeat
#     the previous stack are recognised as such (the reuse path runs).
#  2. End to end: the same programs recorded with the walker and with
#     BUFTRACE_UNWIND=libunwind, address randomisation off, give every
#     event the same stack: the runtime fixture (4 threads of churn, the
#     field scenario, name-matched hooks entered through trampolines, the
#     clang/libc++ build), the Python host, and the malloc probes (leaker,
#     handoff between threads, and manypaths: 1024 paths to one malloc,
#     where most walks must be found in the walk index).
#  3. A library unloaded and another mapped at its address with the same
#     code and another frame size: the stack through it is still right.
#  4. A fork child's first stack, the same as its parent's last.
. "$TESTLIB/common.sh"
for v in unwind_cmp unwind_cmp_O0 unwind_cmp_fp unwind_cmp_clang; do
	p=$BUILD/tests/$v
	if [ ! -x "$p" ]; then
		[ $v = unwind_cmp_clang ] && ! command -v clang > /dev/null && continue
		fail "$p not built (make test-progs)"
	fi
	"$p" 20000 > "$WORK/$v.out" 2> "$WORK/$v.err" || fail "$v: $(cat "$WORK/$v.err" "$WORK/$v.out" | head -20)"
	same=$(sed -n 's/.* same \([0-9]*\) .*/\1/p' "$WORK/$v.out")
	echo "$v: $(tail -n 1 "$WORK/$v.out")"
	case $v in unwind_cmp_O0 | unwind_cmp_clang) [ "${same:-0}" -gt 10000 ] ||
		fail "$v: only ${same:-0} walks found the previous stack unchanged" ;; esac
done

command -v setarch > /dev/null || skip "no setarch: cannot turn address randomisation off"
setarch -R true 2> /dev/null || skip "setarch -R not permitted here"
# stacks WALKER NAME CMD...: the events' stacks of one recorded run, as
# "hook phase ips" lines, sorted (threads interleave differently each run)
stacks() {
	w=$1 name=$2
	shift 2
	d=$WORK/$name.$w
	mkdir -p "$d"
	BUFTRACE_UNWIND=$w setarch -R "$BUFTRACE" record --quiet -o "$d" "$@" > /dev/null 2> "$d.err" ||
		fail "$name ($w): record failed: $(cat "$d.err")"
	for t in "$d"/buftrace.*.zst; do
		"$BUFTRACE" dump --json "$t" || fail "$name ($w): dump failed"
	done | python3 -c '
import json, sys
stacks, out = {}, []
for line in sys.stdin:
    r = json.loads(line)
    if r["record"] == "STACK":
        stacks[r["stack_id"]] = " ".join(r["ips"])
    elif r["record"] == "EVENT":
        out.append("%s %s %s" % (r["hook"], r["phase"], stacks.get(r["stack"], "-") if r.get("stack") else "-"))
print("\n".join(sorted(out)))
' > "$d.stacks" || fail "$name ($w): bad dump"
}
compare() {
	name=$1
	shift
	stacks ours "$name" "$@"
	stacks libunwind "$name" "$@"
	n=$(grep -c ' 0x' "$WORK/$name.ours.stacks")
	[ "$n" -gt 0 ] || fail "$name: no event has a stack"
	cmp -s "$WORK/$name.ours.stacks" "$WORK/$name.libunwind.stacks" || {
		diff "$WORK/$name.ours.stacks" "$WORK/$name.libunwind.stacks" | head -10
		fail "$name: the walker's stacks differ from libunwind's"
	}
	echo "$name: $n events with a stack, the same with both walkers"
}
need_fixture gnu
compare churn -- "$FIX/gnu/host_dlopen" --churn 3000 --threads 4
compare scenario -- "$FIX/gnu/host_linked"
# name-matched hooks: calls come through the recorder's entry trampolines
[ -x "$FIX/next/host_dlopen" ] && compare next -- "$FIX/next/host_dlopen" --churn 300
# clang and libc++ code, LLVM's libunwind.so.1 loaded beside ours
if ! sanitized && [ -x "$FIX/libcxx/host_dlopen" ]; then
	compare libcxx -- "$FIX/libcxx/host_dlopen" --churn 300
fi
if command -v python3 > /dev/null; then
	compare python -- python3 "$TOP/tests/fixtures/host.py" "$FIX/gnu"
fi
if ! sanitized; then
	compare leaker --probes malloc -- "$BUILD/tests/leaker"
	compare handoff --probes malloc -- "$BUILD/tests/handoff" 2 2 20000
	# 1024 paths to one malloc in random order, two threads: most walks
	# are found in the walk index (BUFTRACE_DEBUG says how many), and
	# every event's stack is still libunwind's
	compare manypaths --probes malloc -- "$BUILD/tests/manypaths" 2 20000
	# threads in waves: the later ones take the earlier ones' stacks and
	# recorder state (the index's groups are the thread's that made them)
	compare manypaths-waves --probes malloc -- "$BUILD/tests/manypaths" 2 4000 4
	mkdir -p "$WORK/manypaths.debug"
	BUFTRACE_DEBUG=1 "$BUFTRACE" record --quiet -o "$WORK/manypaths.debug" --probes malloc -- \
		"$BUILD/tests/manypaths" 2 20000 > /dev/null 2> "$WORK/manypaths.debug.err" ||
		fail "manypaths: $(cat "$WORK/manypaths.debug.err")"
	set -- $(sed -n 's/.* \([0-9]*\) stacks walked by .*, \([0-9]*\) of them found in its walk index.*/\1 \2/p' \
		"$WORK/manypaths.debug.err")
	[ $# = 2 ] || fail "manypaths: BUFTRACE_DEBUG said nothing of the walks: $(cat "$WORK/manypaths.debug.err")"
	[ "$2" -gt $(($1 / 2)) ] || fail "manypaths: only $2 of $1 walks found in the walk index"
	echo "manypaths: $2 of $1 walks found in the walk index"

	# 3. A library dlclose'd and another loaded at its address, the same
	# code with another frame size: its frame must be stepped with the new
	# library's rule.  The walker clears its caches at dlclose; libunwind's
	# unw_backtrace never empties its own, so after a dlclose libunwind
	# walks (where the walker gives up) are plain unw_step ones.
	for w in ours libunwind; do
		mkdir -p "$WORK/reload.$w"
		BUFTRACE_UNWIND=$w "$BUFTRACE" record --quiet -o "$WORK/reload.$w" --probes malloc -- \
			"$BUILD/tests/dlreload" "$BUILD/tests" > "$WORK/reload.out" 2> "$WORK/reload.err" ||
			fail "dlreload ($w): $(cat "$WORK/reload.err")"
		"$BUFTRACE" report --format json "$WORK"/reload.$w/buftrace.*.zst > "$WORK/reload.json" ||
			fail "dlreload ($w): no report"
		python3 - "$WORK/reload.json" "$(cat "$WORK/reload.out")" $w <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
kept = [[f["function"] for f in g["stack"]] for g in r["leaks"] if g["stack"] and g["stack"][0]["function"] == "keep_block"]
want = ["keep_block", "pass", "round_of", "main"]
if len(kept) != 2 or any(k[:4] != want for k in kept):
    sys.exit("FAIL: dlreload (%s): the blocks' stacks are %s, expected both to start %s" % (sys.argv[3], kept, want))
a = sys.argv[2].split()
same = len(a) == 3 and a[1] == a[2]
print("dlreload (%s): both stacks right%s" % (sys.argv[3], "; the second library was at the first's address" if same else
      " (note: the second library was loaded elsewhere, %s)" % sys.argv[2]))
PY
	done

	# 4. A fork child whose first allocation repeats its parent's last
	# stack exactly: the walker says "the same as the last walk", but the
	# child's table of stacks is new, so the frames must be interned again.
	mkdir -p "$WORK/fork"
	"$BUFTRACE" record --quiet -o "$WORK/fork" --probes malloc -- "$BUILD/tests/forkstack" 2> "$WORK/fork.err" ||
		fail "forkstack: $(cat "$WORK/fork.err")"
	set -- "$WORK"/fork/buftrace.*.zst
	[ $# = 2 ] || fail "forkstack: expected 2 traces, found $#"
	for t in "$@"; do
		"$BUFTRACE" report --format json "$t" > "$WORK/fork.json" || fail "forkstack: no report of $t"
		python3 - "$WORK/fork.json" <<'PY' || exit 1
import json, sys
r = json.load(open(sys.argv[1]))
got = [[f["function"] for f in g["stack"]][:2] for g in r["leaks"]]
if not got or any(g != ["alloc_here", "main"] for g in got):
    sys.exit("FAIL: forkstack: leak stacks %s, expected alloc_here <- main" % got)
PY
	done
	echo "forkstack: parent and child stacks right"
fi
echo "stack walker OK"
