#!/bin/sh
# Reliability, C++ exceptions: thrown by the runtime (tests/progs/
# libbtfake.so) through hooked calls, they reach the caller unchanged
# (type, value, catch by base, catch (...) + rethrow); the trace records
# each such call as FAILED; later calls work and are recorded normally.
# Buffer::deallocate is recorded at entry; when it throws, an exit event
# marked FAILED follows (a normal return writes none).
. "$TESTLIB/common.sh"
prog=$BUILD/tests/excepts
[ -x "$prog" ] || fail "tests/progs not built"
mkdir -p "$WORK/out"
"$prog" > "$WORK/ref" || fail "excepts fails without the tracer: $(cat "$WORK/ref")"
LD_PRELOAD="$LIB" BUFTRACE_OUTPUT="$WORK/out" "$prog" > "$WORK/out.txt" 2>&1
rc=$?
[ $rc = 0 ] || fail "exit $rc under the tracer: $(cat "$WORK/out.txt")"
cmp -s "$WORK/ref" "$WORK/out.txt" || fail "output changed: $(cat "$WORK/out.txt")"
"$BUFTRACE" dump "$(ls "$WORK"/out/*.zst)" > "$WORK/dump" || fail "dump failed"
grep EVENT "$WORK/dump" | sed 's/ seq=[0-9]* ts=[0-9]* tid=[0-9]*//; s/ stack=[0-9]*//; s/buffer=0x[0-9a-f]* device=0x1000/buffer=P device=0x1000/' \
	> "$WORK/events"
cat > "$WORK/want" <<'X'
EVENT Buffer::create exit FAILED buffer=0x0 device=0xbad0 size=4096 page_size=1024 type=L1
EVENT Buffer::create exit FAILED buffer=0x0 device=0xbad1 size=1 page_size=1 type=DRAM
EVENT MeshDevice::close enter mesh=0xbad0 mesh_id=208
EVENT MeshDevice::close exit FAILED mesh=0xbad0 mesh_id=?
EVENT Buffer::deallocate enter buffer=0xbad0
EVENT Buffer::deallocate exit FAILED buffer=0xbad0
EVENT Buffer::create exit buffer=P device=0x1000 size=4096 page_size=1024 type=L1
EVENT MeshDevice::close enter mesh=0x2000 mesh_id=0
EVENT MeshDevice::close exit mesh=0x2000 mesh_id=?
EVENT Buffer::deallocate enter buffer=0x3000
X
diff "$WORK/want" "$WORK/events" || fail "trace events differ from the expected (above)"
echo "exceptions OK"
