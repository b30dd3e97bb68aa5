# Sourced by tests: helpers that fail loudly with one line.
fail() { echo "FAIL: $*"; exit 1; }
skip() { echo "$*"; exit 77; }
need_fixture() { [ -x "$FIX/${1:-gnu}/host_dlopen" ] || fail "fixture ${1:-gnu} not built in $FIX"; }
# record VARIANT HOST [ARGS]: run a fixture host under the recorder in $WORK/out
record() {
	v=$1; h=$2; shift 2
	mkdir -p "$WORK/out"
	"$BUFTRACE" record -o "$WORK/out" -- "$FIX/$v/$h" "$@"
}
only_trace() {
	set -- "$WORK"/out/buftrace.*.zst
	[ $# = 1 ] && [ -f "$1" ] || fail "expected exactly one trace, found: $*"
	echo "$1"
}
# the build under test is sanitized (make test-sanitize)
sanitized() { ldd "$LIB" 2>/dev/null | grep -q 'libasan\|libtsan'; }
