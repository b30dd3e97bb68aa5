/* stackleft: a thread with little stack left makes runtime calls
 * (t_rel_smallstack.sh).  The thread (256 KiB) eats all of its stack but
 * LEFT bytes, then makes 50 create/destroy pairs through the fixture's
 * _ttnn.so (FIXTURE, dlopen'ed).  With "first" the thread also opens the
 * mesh: its call is the one that starts the recorder.
 *   stackleft FIXTURE LEFT [first]     prints "stackleft: ok"
 * The fixture's own calls need about 2 KiB of it (4 KiB with first). */
#include <alloca.h>
#include <dlfcn.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int (*open_mesh)(int);
static int (*churn)(long, int);
static size_t left;
static int first;

static void *body(void *arg)
{
	pthread_attr_t a;
	void *lo;
	size_t size;
	char here;
	(void)arg;
	if (pthread_getattr_np(pthread_self(), &a) || pthread_attr_getstack(&a, &lo, &size))
		return (void *)1;
	pthread_attr_destroy(&a);
	size_t used = (size_t)((char *)lo + size - &here);
	char *eat = alloca(size - used - left);
	memset(eat, 0, 64);
	__asm__ volatile("" ::"r"(eat) : "memory");
	if (first && open_mesh(1))
		return (void *)1;
	return churn(50, 1) == 50 ? NULL : (void *)1;
}

int main(int argc, char **argv)
{
	pthread_attr_t a;
	pthread_t t;
	void *r = (void *)1;
	void *h = argc > 2 ? dlopen(argv[1], RTLD_NOW) : NULL;
	if (!h)
		return 2;
	open_mesh = (int (*)(int))(uintptr_t)dlsym(h, "ttnn_open_mesh");
	churn = (int (*)(long, int))(uintptr_t)dlsym(h, "ttnn_churn");
	left = strtoul(argv[2], NULL, 0);
	first = argc > 3 && !strcmp(argv[3], "first");
	if (!open_mesh || !churn || left < 1024 || (!first && open_mesh(1)))
		return 2;
	pthread_attr_init(&a);
	pthread_attr_setstacksize(&a, 256 * 1024);
	if (pthread_create(&t, &a, body, NULL) || pthread_join(t, &r) || r)
		return 3;
	puts("stackleft: ok");
	return 0;
}
