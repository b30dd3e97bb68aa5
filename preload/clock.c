/* clock.c - event timestamps: CLOCK_MONOTONIC nanoseconds, cheaper.
 *
 * Every hooked call is stamped.  clock_gettime is a vDSO call, but under
 * a paravirtual clock (kvm-clock, Xen, Hyper-V) it costs 30 ns or more:
 * measured here, the largest single part of a recorded hook event once its
 * stack is found again.  Where the CPU's time-stamp counter is invariant
 * (it ticks at one rate whatever the core's power state, and the kernel
 * keeps the cores' counters in step), an event reads the TSC (about half
 * that) and converts it with a line fitted to CLOCK_MONOTONIC by the
 * flusher thread, which re-fits it as it wakes (at least every flush
 * interval).  Until the first fit, without a flusher, where the TSC is
 * not invariant or the program disabled RDTSC (PR_SET_TSC), or with
 * BUFTRACE_CLOCK=system, events read clock_gettime itself.  A program
 * that turns RDTSC off through prctl(PR_SET_TSC) turns it off for the
 * recorder first (our prctl below), and the recorder's clock_gettime then
 * is the system call (the vDSO's reads the TSC too); one that makes the
 * raw system call after its first recorded event is not seen, and would
 * fault.
 *
 * What a stamp promises: CLOCK_MONOTONIC to within a few microseconds (a
 * fit that strays by more than 1 ms, say after a VM migration, is thrown
 * away and events go back to clock_gettime until the next).  Order is not
 * taken from stamps: events carry sequence numbers, and a chunk's stamps
 * are kept non-decreasing by the writer (thread.c). */
#include <cpuid.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include <time.h>
#include <x86intrin.h>
#include "recorder.h"

/* The fit, published by the flusher: ns = ns0 + (tsc - tsc0) * mult / 2^32.
 * A sequence lock: odd while the flusher writes it. */
static struct {
	atomic_uint seq;
	_Atomic uint64_t tsc0, ns0, mult; /* mult 0: no fit */
} fit;
static atomic_int tsc_usable; /* set at start; the flusher may clear it */
static uint64_t base_tsc, base_ns;       /* the flusher's: where the fit's baseline starts */
static uint64_t last_fit_ns;             /* the flusher's */

#define FIT_MIN_NS 20000000ull  /* a baseline shorter than 20 ms is not fitted */
#define FIT_EVERY_NS 100000000ull
#define FIT_STRAY_NS 1000000ll  /* a fit off by more than this is dropped */

/* RDTSC is off in a thread of the program (prctl PR_SET_TSC): the vDSO's
 * clock_gettime reads the TSC itself under the tsc and kvm-clock
 * clocksources, and would fault there.  The system call then, in every
 * thread (which threads have it off is not known).  (A process cannot
 * start with it off: glibc's loader reads the TSC before main.) */
static atomic_int clock_by_syscall;

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;
	if (atomic_load_explicit(&clock_by_syscall, memory_order_relaxed))
		syscall(SYS_clock_gettime, id, &ts);
	else
		clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t bt_now_ns(void)
{
	return clock_ns(CLOCK_MONOTONIC);
}

uint64_t bt_realtime_ns(void)
{
	return clock_ns(CLOCK_REALTIME);
}

void bt_clock_init(void)
{
	unsigned a, b, c, d;
	atomic_store_explicit(&tsc_usable, 0, memory_order_relaxed);
	if (bt_cfg.clock_system)
		return;
	/* invariant TSC: CPUID 0x80000007, EDX bit 8 */
	unsigned top = (unsigned)__get_cpuid_max(0x80000000u, NULL);
	if (top < 0x80000007u || !__get_cpuid(0x80000007u, &a, &b, &c, &d) || !(d & (1u << 8)))
		return;
	if (prctl(PR_GET_TSC, (unsigned long)&a, 0, 0, 0) != 0 || a != PR_TSC_ENABLE)
		return;
	atomic_store_explicit(&tsc_usable, 1, memory_order_relaxed);
}

uint64_t bt_event_ns(void)
{
	if (atomic_load_explicit(&tsc_usable, memory_order_relaxed)) {
		unsigned s = atomic_load_explicit(&fit.seq, memory_order_acquire);
		uint64_t t0 = atomic_load_explicit(&fit.tsc0, memory_order_relaxed);
		uint64_t n0 = atomic_load_explicit(&fit.ns0, memory_order_relaxed);
		uint64_t m = atomic_load_explicit(&fit.mult, memory_order_relaxed);
		atomic_thread_fence(memory_order_acquire);
		if (m && !(s & 1) && atomic_load_explicit(&fit.seq, memory_order_relaxed) == s) {
			uint64_t t = __rdtsc();
			if (t >= t0)
				return n0 + (uint64_t)(((unsigned __int128)(t - t0) * m) >> 32);
		}
	}
	return bt_now_ns();
}

static void publish(uint64_t t0, uint64_t n0, uint64_t m)
{
	/* (odd here only in a fork child of a flusher caught writing) */
	unsigned s = atomic_load_explicit(&fit.seq, memory_order_relaxed) | 1u;
	s++;
	atomic_store_explicit(&fit.seq, s + 1, memory_order_relaxed);
	atomic_thread_fence(memory_order_release);
	atomic_store_explicit(&fit.tsc0, t0, memory_order_relaxed);
	atomic_store_explicit(&fit.ns0, n0, memory_order_relaxed);
	atomic_store_explicit(&fit.mult, m, memory_order_relaxed);
	atomic_store_explicit(&fit.seq, s + 2, memory_order_release);
}

/* A TSC reading and the clock's at the same moment: the tightest of a few
 * tries (a preemption between the reads makes a wide pair). */
static void pair(uint64_t *t, uint64_t *n)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 4; i++) {
		uint64_t a = __rdtsc(), ns = bt_now_ns(), b = __rdtsc();
		if (b >= a && b - a < best) {
			best = b - a;
			*t = a + (b - a) / 2;
			*n = ns;
		}
	}
}

/* The flusher, at each wake: fit the TSC to the clock over the whole
 * baseline since the first pair (a longer baseline, a better rate). */
void bt_clock_calibrate(void)
{
	uint64_t t = 0, n = 0, m;
	unsigned a;
	if (!atomic_load_explicit(&tsc_usable, memory_order_relaxed))
		return;
	if (prctl(PR_GET_TSC, (unsigned long)&a, 0, 0, 0) != 0 || a != PR_TSC_ENABLE) {
		/* the program turned RDTSC off: it would fault */
		atomic_store_explicit(&tsc_usable, 0, memory_order_relaxed);
		publish(0, 0, 0);
		return;
	}
	pair(&t, &n);
	if (!base_ns || t <= base_tsc || n <= base_ns) {
		base_tsc = t;
		base_ns = n;
		return;
	}
	if (n - base_ns < FIT_MIN_NS || (last_fit_ns && n - last_fit_ns < FIT_EVERY_NS))
		return;
	m = atomic_load_explicit(&fit.mult, memory_order_relaxed);
	if (m) {
		uint64_t t0 = atomic_load_explicit(&fit.tsc0, memory_order_relaxed);
		uint64_t n0 = atomic_load_explicit(&fit.ns0, memory_order_relaxed);
		int64_t stray = (int64_t)(n0 + (uint64_t)(((unsigned __int128)(t - t0) * m) >> 32) - n);
		if (stray > FIT_STRAY_NS || stray < -FIT_STRAY_NS) {
			/* the counter jumped or changed rate: start over */
			if (bt_cfg.debug)
				bt_log("buftrace: TSC fit off by %lld ns: event stamps from clock_gettime until the next",
				       (long long)stray);
			publish(0, 0, 0);
			base_tsc = t;
			base_ns = n;
			last_fit_ns = 0;
			return;
		}
	}
	m = (uint64_t)(((unsigned __int128)(n - base_ns) << 32) / (t - base_tsc));
	if (m) {
		if (bt_cfg.debug && !atomic_load_explicit(&fit.mult, memory_order_relaxed))
			bt_log("buftrace: event stamps from the TSC from %llu ns (%llu kHz)", (unsigned long long)n,
			       (unsigned long long)((1000000ull << 32) / m));
		publish(t, n, m);
	}
	last_fit_ns = n;
}

/* prctl(2), passed through unchanged; PR_SET_TSC other than "enable"
 * stops every thread's event stamps from reading the TSC, and the
 * recorder's clock from going through the vDSO, before the call can make
 * RDTSC fault in the calling thread. */
__attribute__((visibility("default"))) int prctl(int option, ...)
{
	va_list ap;
	unsigned long a[4];
	va_start(ap, option);
	for (int i = 0; i < 4; i++)
		a[i] = va_arg(ap, unsigned long);
	va_end(ap);
	if (option == PR_SET_TSC && a[0] != PR_TSC_ENABLE) {
		atomic_store_explicit(&tsc_usable, 0, memory_order_relaxed);
		atomic_store_explicit(&clock_by_syscall, 1, memory_order_relaxed);
	}
	return (int)syscall(SYS_prctl, option, a[0], a[1], a[2], a[3]);
}
