#!/bin/sh
# make install into a DESTDIR: the installed command finds its library
# relative to itself, with no environment, and records and reports; the
# Vulkan layer's manifests are installed with it and work from there.
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
# the Vulkan layer's manifests beside the libraries they name: the
# installed command enables the layer from there
for m in VkLayer_buftrace.json VkLayer_buftrace_malloc.json; do
	[ -f "$WORK/root/opt/bt/lib/buftrace/$m" ] || fail "$m not installed beside the libraries"
done
if [ -x "$BUILD/tests/vk_prog" ]; then
	mkdir -p "$WORK/vk"
	env -i PATH=/usr/bin:/bin XDG_RUNTIME_DIR="$WORK" ${ASAN_OPTIONS:+ASAN_OPTIONS=$ASAN_OPTIONS} \
		"$bin" record -o "$WORK/vk" --quiet -- "$BUILD/tests/vk_prog" leak > /dev/null || fail "installed record (Vulkan) failed"
	"$bin" report "$WORK/vk" | grep -q "VkBuffer, 8 KiB on VkDevice" || fail "installed layer recorded no Vulkan call"
fi
echo "install OK"
