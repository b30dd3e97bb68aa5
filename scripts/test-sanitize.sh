#!/bin/sh
# `make test-sanitize`: the suite again with the recorder, the analyzer,
# the fixtures and the test programs built under ASan+UBSan (build-asan/),
# and threaded runs of the recorder under TSan (build-tsan/; TSAN=0 skips).
#
# How the sanitized preload library is loaded: `buftrace record` puts
# libbuftrace.so first in LD_PRELOAD, but ASan wants its runtime first.
# Every traced program here is itself ASan-built (the fixtures and test
# programs get SAN too), so the runtime is in the initial library list
# anyway; ASAN_OPTIONS=verify_asan_link_order=0 accepts the order.  Leak
# checking is off: the recorder keeps its module table for the life of
# the process on purpose, and the fixture leaks its mesh (--no-close).
# usage: scripts/test-sanitize.sh [TEST...]     (default: the whole suite)
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
jobs=$(nproc 2>/dev/null || echo 2)
SAN_A='-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined'
SAN_T='-fsanitize=thread'
rc=0

echo "== ASan+UBSan: build-asan/"
make -s -j"$jobs" BUILD=build-asan SAN="$SAN_A" all fixtures test-progs runtime-progs symtools fixtures-zdebug || exit 2
ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0:abort_on_error=1:handle_segv=0:handle_abort=0:handle_sigbus=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
	tests/run.sh build-asan "$@" || rc=1

# TSan (TSAN=0 skips it): the recorder and the hosts under
# -fsanitize=thread, 16 threads creating and destroying buffers.  The TSan
# runtime must come first in LD_PRELOAD, and libunwind's per-thread caches
# must stay off (BUFTRACE_UNWIND_CACHE=global): their thread-exit
# destructors run after TSan has finished the thread.
if [ "${TSAN:-1}" = 1 ]; then
	echo "== TSan: build-tsan/ (16-thread churn, libtsan preloaded first)"
	make -s -j"$jobs" BUILD=build-tsan SAN="$SAN_T" all fixtures || exit 2
	tsan=$(readlink -f "$(gcc -print-file-name=libtsan.so)")
	out=$top/build-tsan/out
	for host in host_linked host_dlopen; do
		mkdir -p "$out" && rm -f "$out"/*
		if LD_PRELOAD="$tsan:$top/build-tsan/lib/buftrace/libbuftrace.so" BUFTRACE_OUTPUT="$out" \
		   BUFTRACE_UNWIND_CACHE=global TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0 \
		   build-tsan/fixtures/gnu/$host --churn 20000 --threads 16 > "$out.log" 2>&1 &&
		   build-tsan/bin/buftrace report --fail-on-survivors "$out"/buftrace.*.zst > /dev/null; [ $? = 3 ]; then
			echo "PASS tsan $host"
		else
			echo "FAIL tsan $host"; tail -30 "$out.log"; rc=1
		fi
	done
	# the OpenCL and Vulkan profiles on their real runtimes (PoCL,
	# lavapipe): 4 threads each, driver threads and LLVM compiles beside
	# them; the programs themselves are the plain build's
	make -s -j"$jobs" runtime-progs || exit 2
	for prog in cl_prog vk_prog; do
		mkdir -p "$out" && rm -f "$out"/*
		if LD_PRELOAD="$tsan:$top/build-tsan/lib/buftrace/libbuftrace.so" BUFTRACE_OUTPUT="$out" \
		   BUFTRACE_UNWIND_CACHE=global TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0 \
		   VK_ADD_LAYER_PATH="$top/build-tsan/lib/buftrace" VK_INSTANCE_LAYERS=VK_LAYER_BUFTRACE \
		   XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-$out}" build/tests/$prog threads 4 > "$out.log" 2>&1 &&
		   build-tsan/bin/buftrace report --fail-on-survivors "$out"/buftrace.*.zst > /dev/null; then
			echo "PASS tsan $prog threads"
		else
			echo "FAIL tsan $prog threads"; tail -30 "$out.log"; rc=1
		fi
	done
	# Python stacks from 4 threads of python3 (tests/progs/py_threads.py):
	# the last chain's seqlock, the interning and the scopes, each thread's
	# events with its own Python stack
	mkdir -p "$out" && rm -f "$out"/*
	if LD_PRELOAD="$tsan:$top/build-tsan/lib/buftrace/libbuftrace.so" BUFTRACE_OUTPUT="$out" \
	   BUFTRACE_UNWIND_CACHE=global TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0 \
	   python3 tests/progs/py_threads.py build-tsan/fixtures/gnu > "$out.log" 2>&1 &&
	   build-tsan/bin/buftrace dump --json "$out"/buftrace.*.zst | python3 -c '
import json, sys
tids = {}
for l in sys.stdin:
    x = json.loads(l)
    if x["record"] == "EVENT" and x.get("pystack"):
        tids[x["tid"]] = tids.get(x["tid"], 0) + 1
sys.exit(0 if sum(1 for n in tids.values() if n >= 1000) == 4 else 1)'; then
		echo "PASS tsan python threads"
	else
		echo "FAIL tsan python threads"; tail -30 "$out.log"; rc=1
	fi
	# some 15000 distinct stacks from 4 threads into a hooked name
	# (tests/progs/stackpaths): the stack table grows while the threads
	# look stacks up without a lock
	make -s -j"$jobs" test-progs || exit 2
	mkdir -p "$out" && rm -f "$out"/*
	if LD_PRELOAD="$tsan:$top/build-tsan/lib/buftrace/libbuftrace.so" BUFTRACE_OUTPUT="$out" \
	   BUFTRACE_UNWIND_CACHE=global TSAN_OPTIONS=halt_on_error=1:report_signal_unsafe=0 \
	   build/tests/stackpaths "$out/paths" 1 4 6000 build/tests/libbtfake.so > "$out.log" 2>&1 &&
	   n=$(build-tsan/bin/buftrace dump --json "$out"/buftrace.*.zst | grep -c '"hook": *"Buffer::deallocate"') &&
	   [ "$n" = 25024 ]; then
		echo "PASS tsan stackpaths (growing stack table)"
	else
		echo "FAIL tsan stackpaths: ${n:-no} Buffer::deallocate events of 25024"; tail -30 "$out.log"; rc=1
	fi
fi
exit $rc
