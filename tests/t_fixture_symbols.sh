#!/bin/sh
# The look-alike runtime exports tt-metal's exact mangled names
# (tests/fixtures/abi-symbols.txt): a drifted declaration turns this red.
FIX=${FIX:-${BUILD:-build}/fixtures}
list=$(dirname "$0")/fixtures/abi-symbols.txt
command -v nm >/dev/null 2>&1 || { echo "nm not found"; exit 77; }
[ -f "$FIX/gnu/libtt_metal.so" ] || { echo "fixtures not built in $FIX"; exit 1; }
status=0 checked=0
for variant in gnu old libcxx; do
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
[ $status = 0 ] && echo "fixture symbols: $checked variants OK"
exit $status
