#!/bin/sh
# Reliability, output trouble: an unwritable directory, a missing one, a
# full disk (RLIMIT_FSIZE, and a tiny tmpfs where mount works), a file or
# a symlink already at the trace path.  Each time: at most one clear line
# on stderr, the program's output and exit status unchanged, a planted
# file or link never overwritten or followed, traces created mode 0600.
. "$TESTLIB/common.sh"
need_fixture gnu
host=$FIX/gnu/host_linked
args="--devices 2 --churn 30000 --threads 2"
"$host" $args > "$WORK/ref.out" 2> "$WORK/ref.err"
ref_rc=$?
[ $ref_rc = 0 ] || fail "host fails without the tracer"

# traced OUTDIR NAME [sh prefix]: run the host under the preload, compare
traced() {
	dir=$1; name=$2; pre=${3:-}
	sh -c "$pre
		LD_PRELOAD='$LIB' BUFTRACE_OUTPUT='$dir' BUFTRACE_FLUSH_MS=50 exec ${RUNAS:-} '$host' $args" \
		> "$WORK/$name.out" 2> "$WORK/$name.err"
	rc=$?
	[ $rc = $ref_rc ] || fail "$name: exit status $rc, without tracer $ref_rc: $(cat "$WORK/$name.err")"
	cmp -s "$WORK/$name.out" "$WORK/ref.out" || fail "$name: program output changed: $(cat "$WORK/$name.out")"
	n=$(grep -c . "$WORK/$name.err")
	[ "$n" -le 1 ] || fail "$name: $n lines on stderr, want at most one: $(cat "$WORK/$name.err")"
}
say() { grep -q "$2" "$WORK/$1.err" || fail "$1: stderr does not say '$2': $(cat "$WORK/$1.err")"; }

# 1. a directory that does not exist, and one that is not a directory
traced "$WORK/nonexistent" missing
say missing "buftrace: cannot create a trace file in $WORK/nonexistent: No such file"
: > "$WORK/afile"
traced "$WORK/afile" notdir
say notdir "Not a directory"

# 2. a directory we may not write (as an unprivileged user: root writes anywhere)
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p "$WORK/ro"; chmod 755 "$WORK/ro"; chmod 755 "$WORK"
	RUNAS="setpriv --reuid=65534 --regid=65534 --clear-groups"
	traced "$WORK/ro" unwritable
	RUNAS=
	say unwritable "Permission denied"
	[ -z "$(ls "$WORK/ro")" ] || fail "unwritable: something was written: $(ls "$WORK/ro")"
elif [ "$(id -u)" != 0 ]; then
	mkdir -p "$WORK/ro"; chmod 555 "$WORK/ro"
	traced "$WORK/ro" unwritable
	say unwritable "Permission denied"
else
	echo "unwritable directory: no setpriv to drop root, sub-check skipped"
fi

# 3. the file size limit (SIGXFSZ must not kill the program)
mkdir -p "$WORK/fsz"
traced "$WORK/fsz" fsize "ulimit -f 64"
say fsize "buftrace: cannot write $WORK/fsz/buftrace.host_linked.*: File too large; tracing stopped"
t=$(ls "$WORK"/fsz/*.zst)
"$BUFTRACE" dump --summary "$t" > /dev/null 2> "$WORK/fsz.dump"
[ $? = 1 ] || fail "fsize: the cut trace reads as complete"
grep -q "offset" "$WORK/fsz.dump" || fail "fsize: dump of the cut trace: $(cat "$WORK/fsz.dump")"

# 4. a full file system
mkdir -p "$WORK/tiny"
if mount -t tmpfs -o size=32k tmpfs "$WORK/tiny" 2>/dev/null; then
	traced "$WORK/tiny" enospc
	umount "$WORK/tiny"
	say enospc "No space left on device; tracing stopped"
else
	echo "no tmpfs mount here: ENOSPC sub-check skipped"
fi

# 5. things planted at the trace path (the shell's pid is the host's after exec)
mkdir -p "$WORK/plant"
echo precious > "$WORK/target"
planted() { ls "$WORK"/plant/buftrace.*.zst | grep -v '\.[0-9]\.zst$'; }
plant() { # NAME COMMANDS-creating-$P
	rm -rf "$WORK"/plant/*
	traced "$WORK/plant" "$1" "P=$WORK/plant/buftrace.host_linked.\$\$.zst; $2"
}
plant link "ln -s '$WORK/target' \$P"
say link "already exists and is not ours; not touching it"
[ "$(cat "$WORK/target")" = precious ] || fail "link: the symlink's target was written"
[ -L "$(planted)" ] || fail "link: the planted link was replaced"
t=$(ls "$WORK"/plant/buftrace.*.1.zst) || fail "link: no trace beside the planted link"
"$BUFTRACE" dump "$t" > /dev/null || fail "link: the trace beside it is bad"
[ "$(stat -c %a "$t")" = 600 ] || fail "trace mode $(stat -c %a "$t"), want 600"

plant dangling "ln -s '$WORK/created-by-follow' \$P"
say dangling "already exists and is not ours"
[ ! -e "$WORK/created-by-follow" ] || fail "dangling: the link was followed"

plant file "echo mine > \$P"
[ "$(cat "$(planted)")" = mine ] || fail "file: an existing file was overwritten"
ls "$WORK"/plant/buftrace.*.1.zst > /dev/null || fail "file: no trace beside the existing file"

plant foreign "echo theirs > \$P; chown 65534 \$P"
say foreign "already exists and is not ours"
[ "$(cat "$(planted)")" = theirs ] || fail "foreign: overwritten"

plant alltaken "for i in '' .1 .2 .3 .4 .5 .6 .7 .8 .9; do ln -s '$WORK/target' \${P%.zst}\$i.zst; done"
grep -q "cannot create a trace file in $WORK/plant: File exists; tracing stopped" "$WORK/alltaken.err" ||
	fail "alltaken: $(cat "$WORK/alltaken.err")"
[ "$(cat "$WORK/target")" = precious ] || fail "alltaken: the symlink's target was written"
echo "output trouble OK"
