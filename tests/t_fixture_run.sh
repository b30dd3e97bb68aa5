#!/bin/sh
# Every built fixture host of every variant runs the scenario, with and
# without the fix, and prints the expected summary: 3 control buffers (12288
# bytes) outlive close unless TT_FIXTURE_FIXED=1.  Per iteration: 2 owning
# buffers per chip from the main thread and 2 from a dispatch thread (32),
# 3 tensors (MeshBuffers: a backing buffer + 8 per-chip buffers, 27), a view
# (1) and 3 re-wraps of the control regions: 63; twice, plus the 3 control
# buffers: 129.  A held tensor (TT_FIXTURE_HELD_TENSOR=1) adds 9, freed after
# the close; a unit mesh (TT_FIXTURE_UNIT_MESH=1) is one chip.
FIX=${FIX:-${BUILD:-build}/fixtures}
here=$(dirname "$0")
[ -x "$FIX/gnu/host_linked" ] || { echo "fixtures not built in $FIX"; exit 1; }
line=$(sed -n 212p "$here/fixtures/ttmetal/dispatch/system_memory_manager.cpp")
case $line in *Buffer::create*) ;; *) echo "system_memory_manager.cpp:212 is no longer the control-buffer Buffer::create"; exit 1 ;; esac

py=$(command -v python3)
fail() { echo "$*"; exit 1; }
check() {  # check EXPECTED-TAIL COMMAND...
	expected=$1; shift
	out=$("$@" 2>&1) || fail "'$*' exited $?: $(echo "$out" | tail -1)"
	case $out in
	"fixture: mesh of $expected") ;;
	*) fail "'$*' printed '$out', expected 'fixture: mesh of $expected'" ;;
	esac
}
ran=0
for dir in "$FIX"/*; do
	[ -x "$dir/host_linked" ] || continue
	hosts="$dir/host_linked $dir/host_dlopen"
	# A sanitized _ttnn.so cannot be loaded into an uninstrumented python3.
	if [ -n "$py" ] && ! nm -D --undefined-only "$dir/libtt_metal.so" | grep -q '__[atu]*san_'; then
		hosts="$hosts $py:$here/fixtures/host.py"
	fi
	for host in $hosts; do
		case $host in *:*) cmd="${host%%:*} ${host#*:} $dir" ;; *) cmd=$host ;; esac
		check "8 devices, 129 buffers created, 126 freed, 3 alive (12288 bytes)" env -u TT_FIXTURE_FIXED $cmd
		check "8 devices, 129 buffers created, 129 freed, 0 alive (0 bytes)" env TT_FIXTURE_FIXED=1 $cmd
		check "8 devices, 129 buffers created, 126 freed, 3 alive (12288 bytes)" env TT_FIXTURE_FIXED=1 $cmd --no-close
		check "8 devices, 138 buffers created, 135 freed, 3 alive (12288 bytes)" env TT_FIXTURE_HELD_TENSOR=1 $cmd
		check "8 devices, 129 buffers created, 126 freed, 3 alive (12288 bytes)" env TT_FIXTURE_PATCHED_GT=1 $cmd
		check "1 devices, 31 buffers created, 28 freed, 3 alive (12288 bytes)" env TT_FIXTURE_UNIT_MESH=1 $cmd
		ran=$((ran + 1))
	done
done
echo "fixture hosts: $ran OK"
