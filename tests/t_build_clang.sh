#!/bin/sh
# The recorder and the analyzer build clean (-Wall -Wextra -Werror) with
# clang as well as gcc, and the clang-built pair finds the survivors.
. "$TESTLIB/common.sh"
need_fixture gnu
command -v clang >/dev/null || skip "clang not installed"
make -C "$TOP" -s CC=clang BUILD="$WORK/b" "$WORK/b/bin/buftrace" "$WORK/b/lib/buftrace/libbuftrace.so" > "$WORK/log" 2>&1 || { tail -20 "$WORK/log"; fail "clang build failed"; }
mkdir -p "$WORK/t"
"$WORK/b/bin/buftrace" record -o "$WORK/t" --quiet -- "$FIX/gnu/host_dlopen" > /dev/null || fail "clang-built record failed"
"$WORK/b/bin/buftrace" report --fail-on-survivors "$WORK/t" > "$WORK/r.txt"
[ $? = 3 ] && grep -q '3 buffers (12 KiB) outlived' "$WORK/r.txt" || fail "clang-built report differs"
echo "clang build OK"
