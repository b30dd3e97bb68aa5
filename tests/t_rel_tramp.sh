#!/bin/sh
# Reliability, the trampolines of hooks matched by demangled name (no
# alias): a form with stack arguments, optionals and a double argument,
# one returning a 16-byte struct in rax:rdx, C++ exceptions thrown through
# them (one through three more frames above).  The program's output is the
# same under the recorder; each call that returned is recorded with its
# result (Buffer::create's buffer), a call that threw records no exit.
. "$TESTLIB/common.sh"
T=$BUILD/tests
[ -f "$T/libbttramp.so" ] || fail "libbttramp.so not built"
mkdir -p "$WORK/out"
"$T/sigdrive" "$T/libbttramp.so" > "$WORK/ref" 2>&1 || fail "sigdrive libbttramp fails alone: $(cat "$WORK/ref")"
"$BUFTRACE" hooks "$T/libbttramp.so" > "$WORK/hooks" || fail "hooks failed"
grep -q '^Buffer::create  *by name' "$WORK/hooks" || fail "Buffer::create not matched by name: $(cat "$WORK/hooks")"
grep -q 'buffer=result via rdi' "$WORK/hooks" || fail "the drifted create's result is not read at its return"
"$BUFTRACE" record -o "$WORK/out" -- "$T/sigdrive" "$T/libbttramp.so" > "$WORK/got" 2> "$WORK/err" ||
	fail "under the recorder: exit $? $(cat "$WORK/err")"
cmp -s "$WORK/ref" "$WORK/got" || fail "output changed under the recorder: $(diff "$WORK/ref" "$WORK/got" | head -5)"
"$BUFTRACE" dump "$(only_trace)" > "$WORK/dump" || fail "dump failed"
# four creates returned (sizes 4096, 8192, 12288, 8192), one threw
n=$(grep -c 'EVENT.* Buffer::create exit ' "$WORK/dump")
[ "$n" = 4 ] || fail "$n Buffer::create exits recorded, expected 4: $(grep Buffer::create "$WORK/dump")"
grep 'EVENT.* Buffer::create exit ' "$WORK/dump" | grep -q 'buffer=0x0 ' && fail "a returned create without its buffer"
[ "$(grep 'EVENT.* Buffer::create exit ' "$WORK/dump" | sed -n 's/.* size=\([0-9]*\).*/\1/p' | tr '\n' ' ')" = "4096 8192 12288 8192 " ] ||
	fail "create sizes: $(grep 'Buffer::create exit' "$WORK/dump")"
# MeshDevice::close: two entries, one exit (the throwing one left none)
[ "$(grep -c 'EVENT.* MeshDevice::close enter' "$WORK/dump")" = 2 ] || fail "MeshDevice::close entries"
[ "$(grep -c 'EVENT.* MeshDevice::close exit' "$WORK/dump")" = 1 ] || fail "MeshDevice::close exits"
echo "trampolines OK"
