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
# the CPython interpreters to try, one path each (the same executable
# once): python3, Debian's /usr/bin/python3 (static libpython), and every
# other CPython 3.8+ this machine has (pyenv keeps several)
pythons() {
	seen=""
	for p in python3 /usr/bin/python3 "$HOME"/.pyenv/versions/3.*/bin/python3; do
		[ -x "$p" ] || command -v "$p" >/dev/null 2>&1 || continue
		"$p" -c 'import sys; sys.exit(sys.version_info < (3, 8))' 2>/dev/null || continue
		real=$("$p" -c 'import sys; print(sys.executable)' 2>/dev/null) || continue
		case " $seen " in *" $real "*) continue ;; esac
		seen="$seen $real"
	done
	echo $seen
}
# unchanged_under_record CMD [ARGS]: CMD (a Python program run by an
# interpreter of `pythons`, say) exits 0 and writes the same output with
# and without `record -o $WORK/t`; $WORK/r.json is then the JSON report.
unchanged_under_record() {
	"$@" > "$WORK/plain" 2>&1 || fail "$1: the program fails without buftrace"
	rm -rf "$WORK/t"
	"$BUFTRACE" record -o "$WORK/t" --quiet -- "$@" > "$WORK/rec" 2>&1
	rc=$?
	[ $rc = 0 ] || { cat "$WORK/rec"; fail "$1: exit $rc under record (0 without)"; }
	cmp -s "$WORK/plain" "$WORK/rec" || { diff "$WORK/plain" "$WORK/rec"; fail "$1: output changed under record"; }
	"$BUFTRACE" report --format json "$WORK/t" > "$WORK/r.json" || fail "$1: report failed"
}
