#!/bin/sh
# Run every tests/t_*.sh (or those named) against a build directory.
# Each test exits 0 (pass), 77 (skip: says why) or anything else (fail).
# Usage: tests/run.sh BUILD_DIR [TEST...]
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
BUILD=$(cd "${1:-$top/build}" && pwd) || exit 2
shift
export BUILD FIX="$BUILD/fixtures" BUFTRACE="$BUILD/bin/buftrace" \
	LIB="$BUILD/lib/buftrace/libbuftrace.so" TOP="$top" TESTLIB="$top/tests/lib"
tests=${*:-$(ls "$top"/tests/t_*.sh)}
pass=0 fail=0 skip=0 failed=""
for t in $tests; do
	case $t in /*) ;; *) t=$PWD/$t ;; esac
	name=$(basename "$t" .sh)
	work=$(mktemp -d "${TMPDIR:-/tmp}/buftrace-test.XXXXXX")
	start=$(date +%s)
	out=$(cd "$work" && WORK="$work" timeout "${TEST_TIMEOUT:-600}" sh "$t" 2>&1)
	rc=$?
	secs=$(( $(date +%s) - start ))
	case $rc in
	0) pass=$((pass + 1)); printf 'PASS %-32s %3ss\n' "$name" "$secs" ;;
	77) skip=$((skip + 1)); printf 'SKIP %-32s %s\n' "$name" "$(printf '%s\n' "$out" | tail -n 1)" ;;
	*) fail=$((fail + 1)); failed="$failed $name"
	   printf 'FAIL %-32s (exit %s)\n' "$name" "$rc"; printf '%s\n' "$out" | tail -n 25 | sed 's/^/    /' ;;
	esac
	rm -rf "$work"
done
echo "tests: $pass passed, $fail failed, $skip skipped"
[ $fail = 0 ] || { echo "failed:$failed"; exit 1; }
