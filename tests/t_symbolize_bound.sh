#!/bin/sh
# The symbolizer one report shares across all its traces holds at most
# SYM_MAX_MODULES (128) module files open: with 200 copies of a library
# at 200 paths the least recently used ones are closed, and the first,
# asked again after that, gives the same answer (the same strings: they
# belong to the symbolizer, not to the module closed).
. "$TESTLIB/common.sh"
need_fixture gnu
T=$BUILD/tools/symtest
[ -x "$T" ] || fail "symtest not built (make symtools)"
lib=$FIX/gnu/libtt_metal.so
addr=$(nm -S --defined-only "$lib" | awk '$3 == "T" && $2 !~ /^0+$/ { print $1; exit }')
[ -n "$addr" ] || fail "no sized function symbol in $lib"
mkdir -p "$WORK/libs"
i=0
while [ $i -lt 200 ]; do
	cp "$lib" "$WORK/libs/lib$i.so"
	i=$((i + 1))
done
"$T" -each "0x$addr" $(i=0; while [ $i -lt 200 ]; do echo "$WORK/libs/lib$i.so"; i=$((i + 1)); done) \
	> "$WORK/out" 2> "$WORK/err" || fail "symtest -each: exit $?: $(cat "$WORK/err")"
[ ! -s "$WORK/err" ] || fail "symtest said: $(cat "$WORK/err")"
mapped=$(sed -n 's/^mapped: \([0-9]*\) of 200$/\1/p' "$WORK/out")
[ -n "$mapped" ] && [ "$mapped" -le 128 ] && [ "$mapped" -gt 0 ] || fail "$(tail -1 "$WORK/out"): more than 128 modules held open"
sed -i '$d' "$WORK/out"
[ "$(wc -l < "$WORK/out")" = 200 ] || fail "expected 200 answers"
[ "$(cut -d' ' -f2- "$WORK/out" | sort -u | wc -l)" = 1 ] || fail "copies of one library answer differently: $(cut -d' ' -f2- "$WORK/out" | sort -u | head -3)"
grep -q ' ?? ' "$WORK/out" && fail "not symbolized: $(head -1 "$WORK/out")"
exit 0
