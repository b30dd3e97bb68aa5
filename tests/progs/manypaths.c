/* manypaths: allocations from many call paths to one malloc, repeated in
 * random order (the walk index's case: tests/t_unwind_walker.sh).
 *
 * usage: manypaths THREADS ALLOCS [WAVES]
 * WAVES times (default 1), THREADS threads are started and joined; a later
 * wave's threads get the earlier ones' stacks (glibc keeps them), and the
 * recorder gives them the earlier ones' state, walk index included.
 * Each thread makes ALLOCS allocations through a chain of ten levels,
 * each calling the next from one of two call sites (1024 paths), with a
 * frame-pointer level on top that puts one of two alloca sizes below it;
 * it keeps 64 blocks alive in a ring and frees the rest.  Prints
 * "manypaths mallocs M". */
#include <alloca.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
static volatile int side;

__attribute__((noinline)) static void *leaf(size_t n, unsigned v)
{
	void *p = malloc(n);
	(void)v;
	ESCAPE(p);
	return p;
}
/* both call sites followed by a store: no tail call, a frame each level */
#define LEVEL(k, next) \
	__attribute__((noinline)) static void *l##k(size_t n, unsigned v) \
	{ \
		void *p; \
		if (v & 1) { \
			side = 1; \
			p = next(n, v >> 1); \
		} else { \
			p = next(n, v >> 1); \
			side = 2; \
		} \
		ESCAPE(p); \
		return p; \
	}
LEVEL(1, leaf)
LEVEL(2, l1)
LEVEL(3, l2)
LEVEL(4, l3)
LEVEL(5, l4)
LEVEL(6, l5)
LEVEL(7, l6)
LEVEL(8, l7)
LEVEL(9, l8)
LEVEL(10, l9)

__attribute__((noinline)) static void *top(size_t n, unsigned v)
{
	volatile char *pad = alloca(v & 1024 ? 80 : 16);
	void *p;
	pad[0] = 1;
	p = l10(n, v);
	ESCAPE(p);
	return p;
}

static long per_thread;
static long counts[64];

static void *run(void *arg)
{
	long idx = (long)(intptr_t)arg;
	uint64_t x = 0x9e3779b97f4a7c15ull * (uint64_t)(idx + 1);
	void *ring[64] = { 0 };
	for (long i = 0; i < per_thread; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		free(ring[i & 63]);
		ring[i & 63] = top(16 + (size_t)(x % 200), (unsigned)(x >> 32) & 2047);
		counts[idx]++;
	}
	for (int i = 0; i < 64; i++)
		free(ring[i]);
	return NULL;
}

int main(int argc, char **argv)
{
	int threads = argc > 1 ? atoi(argv[1]) : 2, waves = argc > 3 ? atoi(argv[3]) : 1;
	long total = 0;
	pthread_t t[64];
	per_thread = argc > 2 ? atol(argv[2]) : 20000;
	if (threads < 1 || threads > 64 || per_thread < 1 || waves < 1)
		return 2;
	for (int w = 0; w < waves; w++) {
		for (int i = 0; i < threads; i++)
			if (pthread_create(&t[i], NULL, run, (void *)(intptr_t)i))
				return 1;
		for (int i = 0; i < threads; i++) {
			pthread_join(t[i], NULL);
			total += counts[i];
			counts[i] = 0;
		}
	}
	printf("manypaths mallocs %ld\n", total);
	return 0;
}
