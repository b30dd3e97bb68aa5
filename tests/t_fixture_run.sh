#!/bin/sh
# Every built fixture host runs the scenario, with and without the fix, and
# prints the expected summary: 3 control buffers (12288 bytes) outlive close
# unless TT_FIXTURE_FIXED=1.
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
	"fixture: mesh of 8 devices, 73 buffers created, $expected") ;;
	*) fail "'$*' printed '$out', expected '... 73 buffers created, $expected'" ;;
	esac
}
ran=0
for dir in "$FIX"/gnu "$FIX"/old "$FIX"/libcxx; do
	[ -x "$dir/host_linked" ] || continue
	hosts="$dir/host_linked $dir/host_dlopen"
	# A sanitized _ttnn.so cannot be loaded into an uninstrumented python3.
	if [ -n "$py" ] && ! nm -D --undefined-only "$dir/libtt_metal.so" | grep -q '__[atu]*san_'; then
		hosts="$hosts $py:$here/fixtures/host.py"
	fi
	for host in $hosts; do
		case $host in *:*) cmd="${host%%:*} ${host#*:} $dir" ;; *) cmd=$host ;; esac
		check "70 freed, 3 alive (12288 bytes)" env -u TT_FIXTURE_FIXED $cmd
		check "73 freed, 0 alive (0 bytes)" env TT_FIXTURE_FIXED=1 $cmd
		check "70 freed, 3 alive (12288 bytes)" env TT_FIXTURE_FIXED=1 $cmd --no-close
		ran=$((ran + 1))
	done
done
echo "fixture hosts: $ran OK"
