#!/bin/sh
# make bench: buftrace against heaptrack and the unw_backtrace floor, side
# by side on the same workloads.  Usage: bench/run.sh BUILD_DIR
# Environment: BENCH_N (workload A pairs, default 2000000), BENCH_RUNS
# (runs per figure, median, default 5), BENCH_B_PAIRS (workload B churn
# pairs, default 110000: over 1M buffer events), BENCH_BIG (pairs of the
# report's no-leak memory run, default BENCH_N; 50000000 = 100M events).
# Writes only under a temporary directory, removed at the end.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$top/build}" && pwd)
command -v heaptrack > /dev/null 2>&1 && command -v heaptrack_print > /dev/null 2>&1 ||
	"$top/scripts/deps.sh" heaptrack
command -v uftrace > /dev/null 2>&1 || "$top/scripts/deps.sh" uftrace || true
work=$(mktemp -d "${TMPDIR:-/tmp}/buftrace-bench.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
python3 "$top/bench/bench.py" "$BUILD" "$work"
