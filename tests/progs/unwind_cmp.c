/* unwind_cmp: the recorder's stack walker (preload/unwind.c) against
 * libunwind's unw_backtrace, frame for frame, on call trees that change
 * between walks the ways real programs do: other call sites at the same
 * depth, deeper and shallower stacks, frames with a frame pointer and
 * dynamic stack (alloca), walks cut at the depth limit, threads, signal
 * handlers (raised, and a timer's interrupting any instruction of the
 * walks, on the thread's stack and on an alternate one), a stack switch
 * (swapcontext).  Every walk of both is compared; the walker may give up
 * (-1) but never differ, in plain code and through signal frames it may
 * not give up (nor cut a walk: BT_UNWIND_CUT), and a walk from a handler
 * must say it went through a signal frame (BT_UNWIND_SIGNAL).
 * Usage: unwind_cmp [ROUNDS]; prints the counts of each phase, exits 1 on
 * a difference or a walk given up in plain code. */
#include <alloca.h>
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/time.h>
#include <ucontext.h>
#include <unistd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include "unwind.h"

atomic_uint bt_dl_epoch; /* the recorder's; nothing is loaded here */

#define MAXW 80
static _Thread_local struct bt_unwinder *uw;
static _Thread_local unsigned long seed;
/* The walks this test tagged (bt_unwind_tag), by tag: a walk the walker
 * says is a tagged one is checked against what is kept here of the walk
 * given that tag.  Every walk, new or found again, gets a new tag; the
 * walker may still return an older tag of the same walk (a copy of it in
 * the walk index that was not the one found and re-tagged: the
 * recorder's tags are stack ids, the same for the same frames), so the
 * ring holds a million walks, each as two independent hashes of its
 * frames: a test's check, not an identity. */
#define RING (1 << 20)
struct ring {
	unsigned long seq;
	struct {
		unsigned long seq;
		int n;
		uint64_t h1, h2;
	} e[RING];
};
static _Thread_local struct ring *ring;
static atomic_long walks, gave_up, reused_same, bad, sig_walks, sig_unflagged, indexed;
static volatile sig_atomic_t in_handler;
static volatile int sink;

static unsigned rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return (unsigned)seed;
}

static void report(const char *what, void **a, int na, void **b, int nb)
{
	if (atomic_fetch_add(&bad, 1) > 3)
		return;
	fprintf(stderr, "unwind_cmp: %s: unw_backtrace %d frames, bt_unwind %d\n", what, na, nb);
	for (int i = 0; i < na || i < nb; i++)
		fprintf(stderr, "  %2d %18p %18p%s\n", i, i < na ? a[i] : NULL, i < nb ? b[i] : NULL,
			i < na && i < nb && a[i] == b[i] ? "" : "  <--");
}

/* A walk through a signal frame given up: where libunwind went on (the
 * interrupted code and its callers), named, for the first few. */
static void report_given_up(void **a, int na, int max)
{
	static atomic_int shown;
	void *b[MAXW];
	int nb = bt_unwind(uw, b, max, NULL);
	if (atomic_fetch_add(&shown, 1) > 2)
		return;
	fprintf(stderr, "unwind_cmp: walk from a handler given up after %d frames (flags %#x); unw_backtrace:\n", nb,
		bt_unwind_flags(uw));
	for (int i = 0; i < na; i++) {
		Dl_info d;
		const char *name = dladdr(a[i], &d) && d.dli_sname ? d.dli_sname : "?";
		const char *obj = dladdr(a[i], &d) && d.dli_fname ? d.dli_fname : "?";
		fprintf(stderr, "  %2d %18p %s+%#lx (%s+%#lx)%s\n", i, a[i], name,
			d.dli_saddr ? (unsigned long)((char *)a[i] - (char *)d.dli_saddr) : 0ul, obj,
			(unsigned long)((char *)a[i] - (char *)d.dli_fbase), i == nb - 1 ? "  <-- the walker's last" : "");
	}
}

/* Frames 1..n-1 (frame 0 is check's own, at another call site), two ways */
static void frames_hash(void **ips, int n, uint64_t *h1, uint64_t *h2)
{
	uint64_t x = 0xcbf29ce484222325ull ^ (uint64_t)n, y = 0x84222325cbf29ce4ull + (uint64_t)n;
	for (int i = 1; i < n; i++) {
		uint64_t v = (uint64_t)(uintptr_t)ips[i];
		x = (x ^ v) * 0x100000001b3ull;
		x ^= x >> 31;
		y = (y + v) * 0xd6e8feb86659fd93ull;
		y ^= y >> 29;
	}
	*h1 = x;
	*h2 = y;
}

/* Both walks from this one frame; their frame 0 differs (two call sites). */
__attribute__((noinline)) static void check(int max)
{
	void *a[MAXW], *b[MAXW];
	int na, nb;
	uint64_t tag = 0;
	if (!ring) {
		/* (mmap: this may be a signal handler's first walk) */
		void *m = mmap(NULL, sizeof *ring, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			abort();
		ring = m;
	}
	na = unw_backtrace(a, max);
	nb = bt_unwind(uw, b, max, &tag);
	atomic_fetch_add(&walks, 1);
	if (bt_unwind_flags(uw) & BT_UNWIND_INDEXED)
		atomic_fetch_add(&indexed, 1);
	if (in_handler) {
		atomic_fetch_add(&sig_walks, 1);
		/* (a walk cut at the depth limit before the frame is not flagged) */
		if (!(bt_unwind_flags(uw) & BT_UNWIND_SIGNAL) && nb == max)
			;
		else if (!(bt_unwind_flags(uw) & BT_UNWIND_SIGNAL) && nb >= 0)
			atomic_fetch_add(&sig_unflagged, 1);
	}
	if (nb >= 0 && (bt_unwind_flags(uw) & BT_UNWIND_CUT))
		nb = -1; /* a cut walk is one given up */
	if (nb < 0) {
		atomic_fetch_add(&gave_up, 1);
		if (in_handler)
			report_given_up(a, na, max);
		return;
	}
	uint64_t h1, h2;
	frames_hash(a, na, &h1, &h2);
	if (tag) {
		atomic_fetch_add(&reused_same, 1);
		if (ring->e[tag % RING].seq != tag) {
			report("a tag this test never gave (or one a million walks old)", a, na, b, 0);
			return;
		}
		if (ring->e[tag % RING].n != na || ring->e[tag % RING].h1 != h1 || ring->e[tag % RING].h2 != h2) {
			report("differs (the walk of a kept or indexed walk's tag; its frames not shown)", a, na, b, 0);
			return;
		}
	} else if (na != nb || (na > 1 && memcmp(a + 1, b + 1, sizeof(void *) * (size_t)(na - 1)))) {
		report("differs", a, na, b, nb);
		return;
	}
	unsigned long s = ++ring->seq;
	ring->e[s % RING].seq = s;
	ring->e[s % RING].n = na;
	ring->e[s % RING].h1 = h1;
	ring->e[s % RING].h2 = h2;
	bt_unwind_tag(uw, s);
}

static void tree(int depth, int max);

/* frames with a frame pointer: the CFA is RBP-based past the alloca */
__attribute__((noinline)) static void with_alloca(int depth, int max)
{
	volatile char *p = alloca(16 + (rnd() & 255));
	p[0] = 1;
	tree(depth, max);
	sink += p[0];
}

__attribute__((noinline)) static void site_a(int depth, int max)
{
	tree(depth, max);
	sink++;
}

__attribute__((noinline)) static void site_b(int depth, int max)
{
	volatile int pad[8];
	pad[0] = depth;
	tree(depth, max);
	tree(depth + (rnd() & 1), max);
	sink += pad[0];
}

static void tree(int depth, int max)
{
	if (depth <= 0) {
		for (int r = 1 + (int)(rnd() & 1); r > 0; r--)
			check(max); /* at times the same stack again */
		return;
	}
	switch (rnd() % 5) {
	case 0: with_alloca(depth - 1, max); break;
	case 1: site_b(depth - 1, max); break;
	case 2: site_a(depth - 2, max); break;
	default: site_a(depth - 1, max); break;
	}
	sink++;
}

static void rounds(long n)
{
	for (long i = 0; i < n; i++) {
		int max = (rnd() & 7) ? MAXW : 4 + (int)(rnd() % 20); /* some walks cut short */
		tree((int)(rnd() % 24), max);
	}
}

static void on_signal(int sig)
{
	(void)sig;
	in_handler = 1;
	tree(3, MAXW);
	in_handler = 0;
}

/* a timer's signal lands anywhere in the walks (in unw_backtrace, in the
 * walker, in a prologue): the interrupted PC is no return address */
static void on_timer(int sig)
{
	(void)sig;
	/* the handler has a walker of its own, as a hooked call from a
	 * handler that interrupted the recorder is not recorded: the one of
	 * the interrupted walk is left as it was */
	static _Thread_local struct bt_unwinder *huw;
	static _Thread_local struct ring *hring;
	struct bt_unwinder *keep = uw;
	struct ring *keep_ring = ring;
	if (in_handler)
		return;
	if (!huw)
		huw = bt_unwinder_new();
	in_handler = 1;
	uw = huw;
	ring = hring;
	tree(2, MAXW);
	hring = ring;
	uw = keep;
	ring = keep_ring;
	in_handler = 0;
}

static void timer_rounds(long n, int altstack)
{
	static char alt[1 << 16];
	struct sigaction sa;
	struct itimerval it = { { 0, 200 }, { 0, 200 } };
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_timer;
	sa.sa_flags = SA_RESTART | (altstack ? SA_ONSTACK : 0);
	if (altstack) {
		stack_t ss = { .ss_sp = alt, .ss_size = sizeof alt };
		sigaltstack(&ss, NULL);
	}
	sigaction(SIGPROF, &sa, NULL);
	setitimer(ITIMER_PROF, &it, NULL);
	rounds(n);
	memset(&it, 0, sizeof it);
	setitimer(ITIMER_PROF, &it, NULL);
}

/* A signal that interrupts a PLT stub: the CFA there is a DWARF
 * expression of the PC (before or after the stub's push).  Timers land
 * there too seldom to test, so the program single-steps itself: a
 * handler sets the trap flag, and every SIGTRAP until plt_phase_done()
 * looks at the interrupted PC; in a PLT entry or PLT0 (by their bytes:
 * jmp *GOT; push $n; jmp PLT0 and push GOT+8; jmp *GOT+16), it walks as
 * the timer's handler does.  The first call of getppid() goes through its
 * stub and, bound lazily, through PLT0 and the resolver. */
static long plt_steps, plt_walks;
__attribute__((noinline)) void plt_phase_done(void);
__attribute__((noinline)) void plt_phase_done(void)
{
	sink++;
}

static int in_plt(const uint8_t *pc)
{
	/* (the 16 bytes from pc & ~15 are on pc's page) */
	const uint8_t *e = (const uint8_t *)((uintptr_t)pc & ~(uintptr_t)15);
	if (e[0] == 0xff && e[1] == 0x25 && e[6] == 0x68 && e[11] == 0xe9)
		return 1;
	return e[0] == 0xff && e[1] == 0x35 && e[6] == 0xff && e[7] == 0x25;
}

static void on_timer(int sig);
static void on_trap(int sig, siginfo_t *si, void *ctx)
{
	greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	const uint8_t *pc = (const uint8_t *)g[REG_RIP];
	(void)si;
	if (pc == (const uint8_t *)(uintptr_t)plt_phase_done || ++plt_steps > 5000000) {
		g[REG_EFL] &= ~(greg_t)0x100;
		return;
	}
	if (in_plt(pc)) {
		plt_walks++;
		on_timer(sig);
	}
}

static void start_stepping(int sig, siginfo_t *si, void *ctx)
{
	(void)sig;
	(void)si;
	((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EFL] |= 0x100;
}

static void plt_walks_phase(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
	sa.sa_sigaction = start_stepping;
	sigaction(SIGUSR2, &sa, NULL);
	raise(SIGUSR2);
	sink += getppid() > 0;
	plt_phase_done();
	printf("plt: steps %ld walks %ld\n", plt_steps, plt_walks);
}

static void *thread_main(void *arg)
{
	uw = bt_unwinder_new();
	seed = (unsigned long)(uintptr_t)arg * 2654435761u + 1;
	rounds(4000);
	return NULL;
}

static ucontext_t main_ctx, side_ctx;
static void side(void)
{
	rounds(500);
}

/* The walk index's case (workload A varied's): one place reached by 512
 * paths in random order, too many for the kept walks, each repeated.
 * Level k calls the next from one of two call sites (bit 9 - k of v); the
 * outermost, with a frame pointer, puts one of two alloca sizes below it
 * (bit 0 too): two starting SPs, two groups.  A quarter of the walks are
 * cut short by a smaller depth limit: groups of their own, ending in the
 * middle of the stack. */
__attribute__((noinline)) static void vleaf(unsigned v, int max)
{
	check(max);
	sink += (int)v;
}
#define VLEVEL(k, next) \
	__attribute__((noinline)) static void vl##k(unsigned v, int max) \
	{ \
		if (v & 1) { \
			sink = 1; \
			next(v >> 1, max); \
			sink += 3; /* no tail call: a frame each level */ \
		} else { \
			next(v >> 1, max); \
			sink = 2; \
		} \
	}
VLEVEL(1, vleaf)
VLEVEL(2, vl1)
VLEVEL(3, vl2)
VLEVEL(4, vl3)
VLEVEL(5, vl4)
VLEVEL(6, vl5)
VLEVEL(7, vl6)
VLEVEL(8, vl7)
VLEVEL(9, vl8)
__attribute__((noinline)) static void vtop(unsigned v, int max)
{
	volatile char *p = alloca(v & 1 ? 64 : 16);
	p[0] = 1;
	vl9(v, max);
	sink += p[0];
}

static void varied_rounds(long n)
{
	for (long i = 0; i < n; i++) {
		unsigned v = rnd();
		if ((v >> 8) & 3)
			vtop(v & 511, MAXW);
		else
			vtop(v & 3, 9);
	}
}

static long phase_walks, phase_gave_up;
static void phase(const char *name)
{
	long w = (long)walks - phase_walks, g = (long)gave_up - phase_gave_up;
	printf("%s: walks %ld gave_up %ld\n", name, w, g);
	phase_walks = (long)walks;
	phase_gave_up = (long)gave_up;
}

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 20000, plain_gave_up;
	pthread_t th[3];
	static char side_stack[1 << 18];

	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
	uw = bt_unwinder_new();
	seed = 88172645463325252ull;
	rounds(n);
	phase("main");
	for (int i = 0; i < 3; i++)
		pthread_create(&th[i], NULL, thread_main, (void *)(uintptr_t)(i + 1));
	for (int i = 0; i < 3; i++)
		pthread_join(th[i], NULL);
	phase("threads");
	long indexed_before = (long)indexed;
	varied_rounds(n);
	long varied_indexed = (long)indexed - indexed_before;
	printf("varied: indexed %ld\n", varied_indexed);
	phase("varied");
	plain_gave_up = (long)gave_up;
	/* a signal handler's walks go through the kernel's signal frame */
	signal(SIGUSR1, on_signal);
	for (int i = 0; i < 50; i++) {
		raise(SIGUSR1);
		rounds(10);
	}
	timer_rounds(n / 8, 0);
	timer_rounds(n / 8, 1);
	plt_walks_phase();
	phase("signals");
	long sig_gave_up = (long)gave_up - plain_gave_up;
	/* another stack: the previous walk's frames are elsewhere */
	getcontext(&side_ctx);
	side_ctx.uc_stack.ss_sp = side_stack;
	side_ctx.uc_stack.ss_size = sizeof side_stack;
	side_ctx.uc_link = &main_ctx;
	makecontext(&side_ctx, side, 0);
	swapcontext(&main_ctx, &side_ctx);
	rounds(100);
	phase("makecontext");
	printf("walks %ld gave_up %ld same %ld indexed %ld differences %ld in_handlers %ld\n", (long)walks,
	       (long)gave_up, (long)reused_same, (long)indexed, (long)bad, (long)sig_walks);
	if (sig_gave_up)
		fprintf(stderr, "unwind_cmp: %ld walks through signal frames given up or cut\n", sig_gave_up);
	if (sig_unflagged)
		fprintf(stderr, "unwind_cmp: %ld walks from a handler not flagged BT_UNWIND_SIGNAL\n", (long)sig_unflagged);
	if (sig_walks < 50)
		fprintf(stderr, "unwind_cmp: only %ld walks from signal handlers\n", (long)sig_walks);
	if (plain_gave_up)
		fprintf(stderr, "unwind_cmp: %ld walks of plain code given up\n", plain_gave_up);
	if (!plt_walks)
		fprintf(stderr, "unwind_cmp: no walk from a handler that interrupted a PLT stub\n");
	/* most of the varied phase's walks repeat one of its 516 stacks */
	if (varied_indexed < n / 2)
		fprintf(stderr, "unwind_cmp: only %ld of %ld varied walks found in the walk index\n", varied_indexed, n);
	return bad || plain_gave_up || sig_gave_up || sig_unflagged || sig_walks < 50 || !plt_walks ||
			       varied_indexed < n / 2
		       ? 1
		       : 0;
}
