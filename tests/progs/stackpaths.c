/* stackpaths: many call paths into one malloc call site, each call's
 * stack taken independently with glibc's backtrace(), for
 * tests/t_stack_identity.sh (a stack id must stand for exactly one frame
 * sequence).
 *
 * usage: stackpaths OUT SEED THREADS EVENTS [HOOKLIB]
 *   1. main: 1024 calls through a 10-level recursion with two call sites
 *      per level, path k taking at level d the call site of bit d of k:
 *      1024 distinct stacks differing only in those return addresses.
 *   2. THREADS threads, EVENTS calls each: random depth (1..14) and a
 *      random one of three call sites per level (rand_r from SEED).
 * Call number i allocates BASE + i bytes (then frees it): the event's
 * size says which call it was.  With HOOKLIB (a library defining
 * tt::tt_metal::Buffer::deallocate(), loaded RTLD_GLOBAL), call i is
 * instead Buffer::deallocate on the pointer HOOK_BASE + i (OUT's sizes
 * become those pointers; libbtfake throws for 0xbad0, within BASE + i),
 * the name looked up as the program would find it (the recorder's, under
 * `buftrace record`): the same paths through the tt-metal hook path.
 * OUT gets "probe ADDR" then one line per call, "SIZE IP0 IP1 ...", the backtrace() taken right before malloc;
 * its first frame is in probe() at the backtrace call, the trace's at
 * the malloc call.  Exits 2 if the 1024 paths' backtraces are not all
 * distinct (the compiler merged call sites: the test would prove
 * nothing).  No stdio before the end: its buffers are allocations. */
#include <dlfcn.h>
#include <execinfo.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define BASE 40000
#define HOOK_BASE 0x100000
#define PATHS 1024
#define LEVELS 10
#define MAXDEPTH 14
#define MAXCALLS 32768
#define FRAMES 64

static void *bt[MAXCALLS][FRAMES];
static int nbt[MAXCALLS];

static void (*hooked)(void *);

__attribute__((noinline)) static void probe(unsigned idx)
{
	nbt[idx] = backtrace(bt[idx], FRAMES);
	if (hooked) {
		hooked((void *)(uintptr_t)(HOOK_BASE + idx));
		/* never a tail call: probe's frame stays on the stack, as
		 * backtrace() saw it */
		__asm__ volatile("" : : : "memory");
		return;
	}
	void *p = malloc(BASE + idx);
	__asm__ volatile("" : : "r"(p) : "memory");
	free(p);
}

/* Each branch's own asm before and after the call keeps the compiler
 * from merging the call sites or turning the call into a jump. */
__attribute__((noinline)) static void walk(const unsigned char *choice, int d, int depth, unsigned idx)
{
	if (d == depth) {
		probe(idx);
		return;
	}
	switch (choice[d]) {
	case 0:
		__asm__ volatile("nop");
		walk(choice, d + 1, depth, idx);
		__asm__ volatile("nop");
		break;
	case 1:
		__asm__ volatile("nop\n\tnop");
		walk(choice, d + 1, depth, idx);
		__asm__ volatile("nop\n\tnop");
		break;
	default:
		__asm__ volatile("nop\n\tnop\n\tnop");
		walk(choice, d + 1, depth, idx);
		__asm__ volatile("nop\n\tnop\n\tnop");
		break;
	}
}

static unsigned seed;
static int events;

struct job {
	int t;
	pthread_t th;
};

static void *thread_main(void *arg)
{
	struct job *j = arg;
	unsigned r = seed * 2654435761u + (unsigned)j->t;
	for (int i = 0; i < events; i++) {
		unsigned char choice[MAXDEPTH];
		int depth = 1 + rand_r(&r) % MAXDEPTH;
		for (int d = 0; d < depth; d++)
			choice[d] = (unsigned char)(rand_r(&r) % 3);
		walk(choice, 0, depth, (unsigned)(PATHS + j->t * events + i));
	}
	return NULL;
}

static int same_stack(int a, int b)
{
	return nbt[a] == nbt[b] && !memcmp(bt[a], bt[b], sizeof(void *) * (size_t)nbt[a]);
}

int main(int argc, char **argv)
{
	struct job jobs[16];
	int threads, total;
	void *warm[4];
	if (argc != 5 && argc != 6)
		return fprintf(stderr, "usage: stackpaths OUT SEED THREADS EVENTS [HOOKLIB]\n"), 1;
	if (argc == 6) {
		if (!dlopen(argv[5], RTLD_NOW | RTLD_GLOBAL))
			return fprintf(stderr, "stackpaths: %s\n", dlerror()), 1;
		hooked = (void (*)(void *))dlsym(RTLD_DEFAULT, "_ZN2tt8tt_metal6Buffer10deallocateEv");
		if (!hooked)
			return fprintf(stderr, "stackpaths: %s defines no Buffer::deallocate\n", argv[5]), 1;
	}
	seed = (unsigned)strtoul(argv[2], NULL, 10);
	threads = atoi(argv[3]);
	events = atoi(argv[4]);
	total = PATHS + threads * events;
	if (threads < 0 || threads > 16 || events < 0 || total > MAXCALLS)
		return fprintf(stderr, "stackpaths: at most 16 threads and %d calls\n", MAXCALLS), 1;
	backtrace(warm, 4); /* loads libgcc_s: its allocations come first */

	for (unsigned k = 0; k < PATHS; k++) {
		unsigned char choice[LEVELS];
		for (int d = 0; d < LEVELS; d++)
			choice[d] = (unsigned char)(k >> d & 1);
		walk(choice, 0, LEVELS, k);
	}
	for (int t = 0; t < threads; t++) {
		jobs[t].t = t;
		if (pthread_create(&jobs[t].th, NULL, thread_main, &jobs[t]))
			return fprintf(stderr, "stackpaths: pthread_create failed\n"), 1;
	}
	for (int t = 0; t < threads; t++)
		pthread_join(jobs[t].th, NULL);

	FILE *f = fopen(argv[1], "w");
	if (!f)
		return perror(argv[1]), 1;
	fprintf(f, "probe %p\n", (void *)probe);
	for (int i = 0; i < total; i++) {
		fprintf(f, "%d", (hooked ? HOOK_BASE : BASE) + i);
		for (int k = 0; k < nbt[i]; k++)
			fprintf(f, " %p", bt[i][k]);
		fputc('\n', f);
	}
	if (fclose(f))
		return perror(argv[1]), 1;
	/* the paths must differ in the frames, or the test proves nothing */
	for (int a = 0; a < PATHS; a++)
		for (int b = a + 1; b < PATHS; b++)
			if (same_stack(a, b))
				return fprintf(stderr, "stackpaths: paths %d and %d have one stack: call sites merged\n", a, b), 2;
	return 0;
}
