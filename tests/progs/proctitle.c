/* proctitle: a process whose name is not a file name (t_rel_names.sh).
 * usage: proctitle LIBBTFAKE title PAD...   rewrite argv in place like
 *                                            setproctitle (gunicorn, Ray,
 *                                            celery), then a hooked call
 *        proctitle LIBBTFAKE exec ARGV0      exec itself as ARGV0 (any
 *                                            bytes), which makes the call
 *        proctitle LIBBTFAKE call            just the hooked call
 * The hooked call is Buffer::deallocate(0x5ec) found through the dynamic
 * linker, so that a preloaded recorder sees it. */
#include <dlfcn.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int call(const char *lib)
{
	void (*f)(void *);
	if (!dlopen(lib, RTLD_NOW | RTLD_GLOBAL)) {
		fprintf(stderr, "proctitle: %s\n", dlerror());
		return 2;
	}
	*(void **)&f = dlsym(RTLD_DEFAULT, "_ZN2tt8tt_metal6Buffer10deallocateEv");
	if (!f)
		return 2;
	f((void *)0x5ec);
	printf("proctitle: called as '%s'\n", program_invocation_short_name);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	if (!strcmp(argv[2], "call"))
		return call(argv[1]);
	if (!strcmp(argv[2], "exec") && argc > 3) {
		char *args[] = { argv[3], argv[1], "call", NULL };
		execv("/proc/self/exe", args);
		return 2;
	}
	if (strcmp(argv[2], "title"))
		return 2;
	/* The title goes over the whole argv area, as setproctitle's does;
	 * glibc's short name (after argv[0]'s last '/') now points into it. */
	char *lib = strdup(argv[1]), *area = argv[0];
	size_t len = (size_t)(argv[argc - 1] + strlen(argv[argc - 1]) - area);
	size_t off = (size_t)(program_invocation_short_name - area);
	static const char title[] = "gunicorn: worker [app/x] ";
	if (!lib || len < off + 40)
		return 2; /* not enough padding to make the point */
	for (size_t i = 0; i < len; i++)
		area[i] = title[i % (sizeof title - 1)];
	area[len] = 0;
	if (!strchr(program_invocation_short_name, '/'))
		return 3;
	return call(lib);
}
