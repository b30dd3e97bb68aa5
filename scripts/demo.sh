#!/bin/sh
# make demo: record the bundled look-alike tt-metal workload under the
# tracer, the way Python loads tt-metal (dlopen RTLD_LOCAL), and report.
set -eu
BUILD=${1:-build}
out=$BUILD/demo
rm -rf "$out"
mkdir -p "$out"
# model.py's stand-in: tests/fixtures/host.py drives the runtime through
# ctypes like `import ttnn` does (GIL held, RTLD_LOCAL)
if command -v python3 >/dev/null 2>&1; then
	set -- python3 tests/fixtures/host.py "$BUILD/fixtures/gnu"
else
	set -- "$BUILD/fixtures/gnu/host_dlopen"
fi
# the 2026 scenario: tensors are MeshBuffers, and the script still holds one
# (made at host.py:33) when it closes the mesh
export TT_FIXTURE_HELD_TENSOR=1
echo "== buftrace record -- $* (8-device mesh: open, workload, close_mesh_device with a tensor held)"
"$BUILD/bin/buftrace" record -o "$out" -- "$@"
echo
echo "== buftrace report"
set +e
"$BUILD/bin/buftrace" report "$out"/buftrace.*.zst
rc=$?
set -e
# 3 means: survivors found, which is what the demo shows.
[ $rc = 0 ] || [ $rc = 3 ]
echo
echo "== buftrace report --format html"
"$BUILD/bin/buftrace" report --format html -o "$out/report.html" "$out"/buftrace.*.zst
echo "open $out/report.html in a browser"
