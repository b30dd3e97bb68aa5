/* handoff: blocks allocated in one thread and freed in another, for the
 * malloc probes' block numbers (tests/t_probes_threads.sh).
 *
 * usage: handoff PRODUCERS CONSUMERS BLOCKS
 * Each producer allocates BLOCKS blocks (sizes 1..1024 from a fixed
 * pattern) and hands them through a shared ring to the consumers, which
 * free them: nearly every free is of another thread's block, and blocks
 * are freed in an order unrelated to their allocation.  Every 1000th
 * block a producer allocates in keep_this() is never freed.  Prints
 * "handoff mallocs M frees F kept K bytes B" (no stdio before the end:
 * its buffers would be allocations too). */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define RING 4096
static void *ring[RING];
static size_t head, tail;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER, not_full = PTHREAD_COND_INITIALIZER;
static int producers_left;
static long per_producer;
static long mallocs, frees, kept, kept_bytes;
static void *volatile keep[100000];

__attribute__((noinline)) static void *keep_this(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

__attribute__((noinline)) static void *hand_over(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

static void *producer(void *arg)
{
	unsigned x = (unsigned)(uintptr_t)arg * 2654435761u + 1;
	long m = 0, k = 0, kb = 0;
	for (long i = 0; i < per_producer; i++) {
		size_t n;
		x = x * 1103515245u + 12345u;
		n = 1 + (x >> 8) % 1024;
		if (i % 1000 == 999) {
			pthread_mutex_lock(&mu);
			keep[kept + k < 100000 ? kept + k : 0] = keep_this(n);
			k++;
			kb += (long)n;
			pthread_mutex_unlock(&mu);
			m++;
			continue;
		}
		void *p = hand_over(n);
		m++;
		pthread_mutex_lock(&mu);
		while (head - tail == RING)
			pthread_cond_wait(&not_full, &mu);
		ring[head++ % RING] = p;
		pthread_cond_signal(&not_empty);
		pthread_mutex_unlock(&mu);
	}
	pthread_mutex_lock(&mu);
	mallocs += m;
	kept += k;
	kept_bytes += kb;
	if (--producers_left == 0)
		pthread_cond_broadcast(&not_empty);
	pthread_mutex_unlock(&mu);
	return NULL;
}

static void *consumer(void *arg)
{
	long f = 0;
	(void)arg;
	for (;;) {
		void *p;
		pthread_mutex_lock(&mu);
		while (head == tail && producers_left)
			pthread_cond_wait(&not_empty, &mu);
		if (head == tail) {
			pthread_mutex_unlock(&mu);
			break;
		}
		/* take from a varying end: frees out of allocation order */
		if ((head + tail) & 1)
			p = ring[--head % RING];
		else
			p = ring[tail++ % RING];
		pthread_cond_signal(&not_full);
		pthread_mutex_unlock(&mu);
		free(p);
		f++;
	}
	pthread_mutex_lock(&mu);
	frees += f;
	pthread_mutex_unlock(&mu);
	return NULL;
}

int main(int argc, char **argv)
{
	int np = argc > 1 ? atoi(argv[1]) : 2, nc = argc > 2 ? atoi(argv[2]) : 2;
	pthread_t t[128];
	if (np < 1 || nc < 1 || np + nc > 128)
		return 2;
	per_producer = argc > 3 ? atol(argv[3]) : 10000;
	producers_left = np;
	for (int i = 0; i < np; i++)
		if (pthread_create(&t[i], NULL, producer, (void *)(uintptr_t)(i + 1)))
			return 1;
	for (int i = 0; i < nc; i++)
		if (pthread_create(&t[np + i], NULL, consumer, NULL))
			return 1;
	for (int i = 0; i < np + nc; i++)
		pthread_join(t[i], NULL);
	printf("handoff mallocs %ld frees %ld kept %ld bytes %ld\n", mallocs, frees, kept, kept_bytes);
	return 0;
}
