#!/bin/sh
# The look-alike runtime exports tt-metal's exact mangled names
# (tests/fixtures/abi-symbols.txt): a drifted declaration turns this red.
FIX=${FIX:-${BUILD:-build}/fixtures}
list=$(dirname "$0")/fixtures/abi-symbols.txt
command -v nm >/dev/null 2>&1 || { echo "nm not found"; exit 77; }
[ -f "$FIX/gnu/libtt_metal.so" ] || { echo "fixtures not built in $FIX"; exit 1; }
status=0 checked=0
for variant in gnu y2025 old bds libcxx next; do
	dir=$FIX/$variant
	if [ ! -f "$dir/libtt_metal.so" ]; then
		[ "$variant" = libcxx ] && continue  # skipped when libc++ headers were unavailable
		echo "$variant: not built"; status=1; continue
	fi
	exported=$(nm -D --defined-only "$dir/libtt_metal.so" "$dir/_ttnncpp.so" "$dir/_ttnn.so" | awk 'NF == 3 { print $3 }')
	missing=$(grep -v '^[[:space:]]*\(#\|$\)' "$list" | while read -r variants symbol; do
		case ",$variants," in ,all,|*",$variant,"*) ;; *) continue ;; esac
		printf '%s\n' "$exported" | grep -qxF "$symbol" || echo "  $symbol"
	done)
	if [ -n "$missing" ]; then
		echo "$variant: missing exported symbols:"; echo "$missing"; status=1
	fi
	checked=$((checked + 1))
done
# Every export of the 2026 build in a class the real export list covers
# (Buffer, Device, MeshDevice, MeshBuffer, AllocatorImpl, GraphTracker,
# SubDeviceManager, ...) is an export of a real libtt_metal.so built from
# upstream a8c5af0f: a fixture declaration that drifted (a parameter added,
# reordered, retyped) or a member tt-metal does not have shows up here.
real=$(dirname "$0")/fixtures/ttmetal-exports-a8c5af0f.txt
if ! command -v c++filt >/dev/null 2>&1; then
	echo "c++filt not found: real-export check skipped"
else
	drift=$(nm -D --defined-only "$FIX/gnu/libtt_metal.so" | awk 'NF == 3 && $2 ~ /[TW]/ { print $3 }' |
		grep '^_ZN\(K\)\?2tt8tt_metal' | python3 -c '
import subprocess, sys
real = [l.strip() for l in open(sys.argv[1]) if l.strip() and not l.startswith("#")]
mine = [l.strip() for l in sys.stdin if l.strip()]
dem = lambda names: subprocess.run(["c++filt"], input="\n".join(names), capture_output=True, text=True).stdout.splitlines()
def cls(d):
    head = d.split("(")[0]
    return head.rsplit("::", 1)[0]
covered = {cls(d) for d in dem(real)}
realset = set(real)
for sym, d in zip(mine, dem(mine)):
    if cls(d) in covered and sym not in realset:
        print("  " + d + "  [" + sym + "]")
' "$real")
	if [ -n "$drift" ]; then
		echo "gnu: exports that a real libtt_metal.so does not have:"; echo "$drift"; status=1
	fi
fi
[ $status = 0 ] && echo "fixture symbols: $checked variants OK, gnu's exports all real"
exit $status
