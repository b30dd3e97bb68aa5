#!/bin/sh
# Reliability, file names:
#  - a program whose name is no file name (argv rewritten in place like
#    setproctitle does: gunicorn, Ray, celery; an argv[0] with spaces and a
#    newline; an empty one) still gets its trace, under a safe name, and
#    `record` lists it;
#  - symlinks planted at every name record or the recorder writes in the
#    output directory (buftrace.last, buftrace.last.<pid>, the trace) are
#    neither followed nor written through: the victim is unchanged.
. "$TESTLIB/common.sh"
need_fixture gnu
prog=$BUILD/tests/proctitle
fake=$BUILD/tests/libbtfake.so
[ -x "$prog" ] || fail "tests/progs not built"

# named NAME WANT ARGS...: record proctitle ARGS; one trace, named
# buftrace.WANT.<pid>.zst, listed by record and in buftrace.last
named() {
	n=$1 want=$2; shift 2
	d=$WORK/$n; mkdir -p "$d"
	"$BUFTRACE" record -o "$d" -- "$prog" "$fake" "$@" > "$d.out" 2> "$d.err"
	rc=$?
	[ $rc = 0 ] || fail "$n: exit $rc: $(cat "$d.err")"
	grep -q "proctitle: called" "$d.out" || fail "$n: the program did not make its call"
	set -- "$d"/*
	for f; do
		case ${f#$d/} in buftrace.last) ;; "buftrace.$want".[0-9]*.zst) t=$f ;;
		*) fail "$n: unexpected file '$f' (want buftrace.$want.<pid>.zst)" ;; esac
	done
	[ -n "${t:-}" ] || fail "$n: no trace written: $(cat "$d.err")"
	[ $# = 2 ] || fail "$n: want a trace and buftrace.last, found: $*"
	grep -qx "buftrace: trace $t" "$d.err" || fail "$n: record did not list $t: $(cat "$d.err")"
	[ "$(cat "$d/buftrace.last")" = "$t" ] || fail "$n: buftrace.last: $(cat "$d/buftrace.last")"
	"$BUFTRACE" dump "$t" | grep -q 'buffer=0x5ec$' || fail "$n: the hooked call is not in $t"
	t=
}

# 1. names
named title proctitle title "$(printf '%0200d' 0)"
named spaces odd_name_with_newline exec "$(printf 'odd name\twith\nnewline')"
named empty proctitle exec ""
named dots proctitle exec ".."
echo "names OK"

# 2. planted symlinks.  The shell's pid is record's after exec; its
# program is one of the next pids.
mkdir -p "$WORK/plant"
echo precious > "$WORK/victim"
echo precious > "$WORK/victim2"
sh -c '
	d=$1; shift
	ln -s "$d/../victim" "$d/buftrace.last.$$"
	ln -s "$d/../victim2" "$d/buftrace.last"
	i=1; while [ $i -le 40 ]; do ln -s "$d/../victim" "$d/buftrace.host_dlopen.$(($$ + i)).zst"; i=$((i + 1)); done
	exec "$@"' sh "$WORK/plant" "$BUFTRACE" record -o "$WORK/plant" -- "$FIX/gnu/host_dlopen" \
	> "$WORK/plant.out" 2> "$WORK/plant.err" || fail "planted: record failed: $(cat "$WORK/plant.err")"
[ "$(cat "$WORK/victim")" = precious ] || fail "planted: a symlink was followed: victim now $(head -c 200 "$WORK/victim")"
[ "$(cat "$WORK/victim2")" = precious ] || fail "planted: buftrace.last was written through"
[ -f "$WORK/plant/buftrace.last" ] && [ ! -L "$WORK/plant/buftrace.last" ] || fail "planted: buftrace.last is not a file of ours"
t=$(cat "$WORK/plant/buftrace.last")
[ -f "$t" ] && [ ! -L "$t" ] || fail "planted: buftrace.last lists '$t'"
"$BUFTRACE" dump "$t" > /dev/null || fail "planted: the trace is bad"
echo "planted links OK"
