/* Workload A of `make bench`: N malloc/free pairs from a 12-deep call
 * chain (noinline frames, no sibling calls), sizes 16..4096, each thread
 * keeping a ring of 256 live blocks; about 1% of the blocks are never
 * freed.  Usage: workload_a N THREADS [LEAKS [VARY]], LEAKS 0: every block is
 * freed (the live set stays 256 blocks a thread however long it runs).
 * VARY 1: each level of the chain calls the next from one of two call
 * sites, chosen by a bit of the same xorshift: 2048 distinct stacks in
 * random order, so that a walk seldom repeats much of the one before.
 * Prints "events E" (mallocs + frees performed) on stdout. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RING 256
#define NOINL __attribute__((noinline))
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static long per_thread;
static int leaks = 1;

typedef void *(*level_fn)(size_t);
NOINL static void *l1(size_t n) { void *p = malloc(n); ESCAPE(p); return p; }
#define LEVEL(k, next) NOINL static void *l##k(size_t n) { void *p = next(n); ESCAPE(p); return p; }
LEVEL(2, l1) LEVEL(3, l2) LEVEL(4, l3) LEVEL(5, l4) LEVEL(6, l5) LEVEL(7, l6)
LEVEL(8, l7) LEVEL(9, l8) LEVEL(10, l9) LEVEL(11, l10) LEVEL(12, l11)

/* VARY: the same chain, each level with two call sites of the next (the
 * side effects keep them apart), bit k of v choosing at level k+2 */
static volatile int side;
NOINL static void *v1(size_t n, unsigned v) { void *p = malloc(n); ESCAPE(p); (void)v; return p; }
#define VLEVEL(k, next) NOINL static void *v##k(size_t n, unsigned v) { \
	void *p; \
	if (v & 1) { side = 1; p = next(n, v >> 1); } else { p = next(n, v >> 1); side = 2; } \
	ESCAPE(p); return p; }
VLEVEL(2, v1) VLEVEL(3, v2) VLEVEL(4, v3) VLEVEL(5, v4) VLEVEL(6, v5) VLEVEL(7, v6)
VLEVEL(8, v7) VLEVEL(9, v8) VLEVEL(10, v9) VLEVEL(11, v10) VLEVEL(12, v11)
static int vary;

struct result { long mallocs, frees; int idx; };

static void *run(void *arg)
{
	struct result *r = arg;
	void *ring[RING] = { 0 };
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(r->idx + 1); /* same blocks every run */
	for (long i = 0; i < per_thread; i++) {
		int slot = (int)(i % RING);
		x ^= x << 13; x ^= x >> 7; x ^= x << 17;
		size_t n = 16 + (size_t)(x % 4081);
		if (ring[slot]) {
			if (x >> 57 != 0 || !leaks) { /* 127 of 128: freed (about 1% leak) */
				free(ring[slot]);
				r->frees++;
			}
		}
		ring[slot] = vary ? v12(n, (unsigned)(x >> 20)) : l12(n);
		r->mallocs++;
	}
	for (int s = 0; s < RING; s++)
		if (ring[s]) {
			free(ring[s]);
			r->frees++;
		}
	return NULL;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 2000000;
	int threads = argc > 2 ? atoi(argv[2]) : 1;
	leaks = argc > 3 ? atoi(argv[3]) != 0 : 1;
	vary = argc > 4 && atoi(argv[4]) != 0;
	pthread_t t[64];
	struct result res[64] = { { 0, 0, 0 } };
	long ev = 0;
	if (threads < 1 || threads > 64 || n < 1)
		return 2;
	per_thread = n / threads;
	for (int i = 0; i < threads; i++)
		res[i].idx = i;
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, run, &res[i]))
			return 1;
	for (int i = 0; i < threads; i++) {
		pthread_join(t[i], NULL);
		ev += res[i].mallocs + res[i].frees;
	}
	printf("events %ld\n", ev);
	return 0;
}
