/* dltrace: loads the recorder with dlopen (LD_PRELOAD is ignored for a
 * secure-exec program) and makes one hooked call (t_rel_secure.sh).
 * usage: dltrace LIBBUFTRACE LIBBTFAKE */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/auxv.h>

int main(int argc, char **argv)
{
	void (*f)(void *);
	if (argc < 3)
		return 2;
	if (!dlopen(argv[1], RTLD_NOW | RTLD_GLOBAL) || !dlopen(argv[2], RTLD_NOW | RTLD_LOCAL)) {
		fprintf(stderr, "dltrace: %s\n", dlerror());
		return 2;
	}
	*(void **)&f = dlsym(RTLD_DEFAULT, "_ZN2tt8tt_metal6Buffer10deallocateEv");
	if (!f)
		return 2;
	f((void *)0x5ec);
	printf("dltrace: called, AT_SECURE=%lu\n", getauxval(AT_SECURE));
	return 0;
}
