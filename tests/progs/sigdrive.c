/* sigdrive LIB.so: load a signature library (tests/progs/libbtsig*.cpp)
 * the way Python loads tt-metal (RTLD_NOW | RTLD_LOCAL) and run its
 * calls.  One library per process: they define the same mangled names. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	void *h;
	void (*run)(void);
	if (argc != 2) {
		fprintf(stderr, "usage: sigdrive LIB.so\n");
		return 2;
	}
	h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "sigdrive: %s\n", dlerror());
		return 1;
	}
	*(void **)&run = dlsym(h, "btsig_run");
	if (!run) {
		fprintf(stderr, "sigdrive: %s: no btsig_run\n", argv[1]);
		return 1;
	}
	run();
	return 0;
}
