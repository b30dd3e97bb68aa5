#!/bin/sh
# make install into a DESTDIR: the installed command finds its library
# relative to itself, with no environment, and records and reports.
. "$TESTLIB/common.sh"
need_fixture gnu
make -C "$TOP" -s install BUILD="$BUILD" PREFIX=/opt/bt DESTDIR="$WORK/root" > "$WORK/log" 2>&1 || { cat "$WORK/log"; fail "make install failed"; }
bin=$WORK/root/opt/bt/bin/buftrace
[ -x "$bin" ] || fail "no $bin"
[ -f "$WORK/root/opt/bt/lib/buftrace/libbuftrace.so" ] || fail "library not installed under lib/buftrace"
[ -f "$WORK/root/opt/bt/share/man/man1/buftrace.1" ] || fail "man page not installed"
mkdir -p "$WORK/t"
env -i PATH=/usr/bin:/bin ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "$bin" record -o "$WORK/t" --quiet -- "$FIX/gnu/host_dlopen" > /dev/null || fail "installed record failed"
env -i PATH=/usr/bin:/bin ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} "$bin" report --fail-on-survivors "$WORK/t" > /dev/null
[ $? = 3 ] || fail "installed report did not find the survivors"
echo "install OK"
