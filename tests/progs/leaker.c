/* leaker: known host-memory leaks for the malloc probes
 * (tests/t_probes_malloc.sh).  Never freed, by the function that
 * allocated them:
 *   leak_small    3 blocks x 100 bytes (malloc)
 *   leak_calloc   2 blocks x 500 bytes (calloc 10 x 50)
 *   leak_realloc  1 block of 7000 bytes (malloc 10, then realloc)
 * and everything else freed: a churn of malloc/calloc/realloc/
 * posix_memalign/aligned_alloc/memalign/valloc, and blocks allocated by a
 * thread and freed by main.  No stdio: its buffers would be leaks too. */
#include <malloc.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *volatile keep[16];
static int nkeep;
static volatile int two = 2, three = 3; /* loops the compiler cannot unroll into two call sites */

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

__attribute__((noinline)) void leak_small(void)
{
	for (int i = 0; i < three; i++)
		keep[nkeep++] = malloc(100);
}

__attribute__((noinline)) void leak_calloc(void)
{
	for (int i = 0; i < two; i++)
		keep[nkeep++] = calloc(10, 50);
}

__attribute__((noinline)) void leak_realloc(void)
{
	char *p = malloc(10);
	memset(p, 1, 10);
	p = realloc(p, 7000);
	keep[nkeep++] = p;
}

__attribute__((noinline)) void churn(int n)
{
	for (int i = 0; i < n; i++) {
		void *p = malloc((size_t)(i % 512) + 1), *q = calloc(3, (size_t)(i % 64) + 1), *a = NULL;
		p = realloc(p, (size_t)(i % 2048) + 16);
		if (posix_memalign(&a, 64, 200))
			abort();
		void *b = aligned_alloc(128, 256), *c = memalign(32, 40), *d = valloc(100);
		ESCAPE(p);
		ESCAPE(q);
		ESCAPE(a);
		ESCAPE(b);
		ESCAPE(c);
		ESCAPE(d);
		free(p);
		free(q);
		free(a);
		free(b);
		free(c);
		free(d);
	}
	free(realloc(NULL, 10)); /* realloc as malloc */
}

static void *worker(void *arg)
{
	void **out = arg;
	for (int i = 0; i < 50; i++)
		out[i] = malloc(64);
	return NULL;
}

int main(int argc, char **argv)
{
	void *blocks[50];
	int threads = argc > 1 && !strcmp(argv[1], "--thread");
	churn(2000);
	leak_small();
	leak_calloc();
	leak_realloc();
	if (threads) {
		pthread_t t;
		if (pthread_create(&t, NULL, worker, blocks) || pthread_join(t, NULL))
			abort();
		for (int i = 0; i < 50; i++)
			free(blocks[i]);
	}
	if (write(1, "leaker done\n", 12) != 12)
		return 1;
	return 0;
}
