/* reload_lib: built twice (libreload1.so, libreload2.so) with the same
 * code and a different frame size in pass(): the call in pass() sits at
 * the same offset in both, under a different unwind rule.  A walker that
 * kept the first library's rule after dlclose, with the second mapped at
 * the same address, would step pass()'s frame wrongly (dlreload.c). */
#ifndef FRAME
#define FRAME 1000
#endif

__attribute__((noinline)) int pass(int (*cb)(int), int v)
{
	volatile char buf[FRAME];
	buf[0] = (char)v;
	buf[FRAME - 1] = 1;
	v = cb(buf[0]);
	return v + buf[FRAME - 1];
}
