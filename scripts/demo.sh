#!/bin/sh
# make demo: record the bundled look-alike tt-metal workload under the
# tracer, the way Python loads tt-metal (dlopen RTLD_LOCAL), and report.
set -eu
BUILD=${1:-build}
out=$BUILD/demo
rm -rf "$out"
mkdir -p "$out"
echo "== buftrace record -- host_dlopen (8-device mesh, open / workload / close_mesh_device)"
"$BUILD/bin/buftrace" record -o "$out" -- "$BUILD/fixtures/gnu/host_dlopen"
echo
echo "== buftrace report"
set +e
"$BUILD/bin/buftrace" report "$out"/buftrace.*.zst
rc=$?
set -e
# 3 means: survivors found, which is what the demo shows.
[ $rc = 0 ] || [ $rc = 3 ]
