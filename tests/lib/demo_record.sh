# Sourced by tests: record_demo DIR [RECORD OPTIONS]: the bundled demo
# (scripts/demo.sh's workload: tests/fixtures/host.py driving the fixture
# runtime through ctypes) into DIR, one trace; host_dlopen without python.
record_demo() {
	rd_dir=$1; shift
	mkdir -p "$rd_dir"
	# the interpreter itself, not a wrapper script that would be traced too
	rd_py=$(python3 -c 'import sys; print(sys.executable)' 2>/dev/null) || rd_py=
	if [ -n "$rd_py" ]; then
		"$BUFTRACE" record -o "$rd_dir" --quiet "$@" -- "$rd_py" "$TOP/tests/fixtures/host.py" "$FIX/gnu" > /dev/null
	else
		"$BUFTRACE" record -o "$rd_dir" --quiet "$@" -- "$FIX/gnu/host_dlopen" > /dev/null
	fi
}
