/* thread.c - per-thread event chunks: the hot path.
 *
 * A runtime event costs one atomic increment (the global sequence number
 * that orders events across threads), one clock read, and a varint
 * encoding into this thread's own chunk, which only the flusher ever
 * takes from it (see "who may touch a thread's chunk").  A malloc probe
 * event is shorter still (see "compact probe events" below). */
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <linux/membarrier.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "recorder.h"
#include "varint.h"

struct bt_thread *_Atomic bt_all_threads;
static BT_TLS struct bt_thread *self;
static BT_TLS int starting;
static BT_TLS int busy;
static BT_TLS int exit_rounds;
static pthread_key_t exit_key;
static pthread_once_t key_once = PTHREAD_ONCE_INIT;

/* --- who may touch a thread's chunk ---------------------------------------
 *
 * The owner writes every event into its chunk; the flusher takes a partial
 * chunk from threads that are between events.  A lock per event would
 * cost an atomic read-modify-write on every malloc.  Instead the owner
 * marks itself `active` with a plain store and then reads `steal`; the
 * flusher sets `steal`, then reads `active`.  That is Dekker's pattern,
 * which needs a full fence on both sides; the owner's side is made free
 * by membarrier(2): the flusher's one system call per batch runs a fence
 * on every thread of the process at once.  Where membarrier is missing
 * (an old kernel, a sandbox, ThreadSanitizer which cannot see it) the
 * owner pays for a real fence.
 *
 * steal: 0 none; 1 the flusher asks for the chunk; 2 the flusher is taking
 * it.  The owner that finds 1 hands the chunk over itself (queues it); one
 * that finds 2 waits until the flusher is done. */

enum { STEAL_NONE, STEAL_ASKED, STEAL_TAKING };
static int use_membarrier;

#if defined(__SANITIZE_THREAD__)
#define BT_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define BT_TSAN 1
#endif
#endif

static long membarrier(int cmd)
{
	return syscall(__NR_membarrier, cmd, 0, 0);
}

void bt_threads_init(void)
{
	const char *e = getenv("BUFTRACE_MEMBARRIER");
	use_membarrier = 0;
#ifndef BT_TSAN
	long cmds = e && !strcmp(e, "0") ? 0 : membarrier(MEMBARRIER_CMD_QUERY);
	if (cmds > 0 && (cmds & MEMBARRIER_CMD_PRIVATE_EXPEDITED) &&
	    membarrier(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0)
		use_membarrier = 1;
#else
	(void)e;
#endif
	if (bt_cfg.debug)
		bt_log("buftrace: event ownership by %s", use_membarrier ? "membarrier" : "fences");
}

static void detach_locked(struct bt_thread *t);

static void owner_yield(struct bt_thread *t)
{
	for (;;) {
		int s = atomic_load_explicit(&t->steal, memory_order_acquire);
		if (s == STEAL_NONE)
			return;
		if (s == STEAL_ASKED) {
			if (atomic_compare_exchange_strong_explicit(&t->steal, &s, STEAL_NONE, memory_order_acq_rel,
								    memory_order_acquire)) {
				detach_locked(t);
				return;
			}
			continue;
		}
		__builtin_ia32_pause();
	}
}

static inline void lock(struct bt_thread *t)
{
	int s;
	if (use_membarrier) {
		atomic_store_explicit(&t->active, 1, memory_order_relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		s = atomic_load_explicit(&t->steal, memory_order_acquire);
	} else {
		/* both sequentially consistent: their single total order is
		 * the fence (one locked instruction on x86) */
		atomic_store_explicit(&t->active, 1, memory_order_seq_cst);
		s = atomic_load_explicit(&t->steal, memory_order_seq_cst);
	}
	if (__builtin_expect(s != STEAL_NONE, 0))
		owner_yield(t);
}

static inline void unlock(struct bt_thread *t)
{
	atomic_store_explicit(&t->active, 0, memory_order_release);
}

/* 0 when the owners' side of the pattern cannot be trusted this round.
 * Without membarrier nothing to do: the flusher's stores of `steal` and
 * loads of `active` are sequentially consistent, like the owners'. */
static int flusher_fence(void)
{
	if (use_membarrier && membarrier(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
		/* never seen after a registration that worked; owners fence
		 * for themselves from their next event on */
		use_membarrier = 0;
		return 0;
	}
	return 1;
}

/* Queue the thread's chunk (if it holds events); caller owns the chunk. */
static void detach_locked(struct bt_thread *t)
{
	if (t->chunk && t->chunk->len) {
		bt_chunk_queue(t->chunk);
		t->chunk = NULL;
	}
}

/* --- an alternate signal stack ---------------------------------------------
 *
 * The recorder's fatal-signal handlers run on the alternate stack
 * (SA_ONSTACK), or a stack overflow's SIGSEGV could not flush anything.
 * A recording thread without one of the program's gets one of ours, with
 * a guard page below; the program may replace it at will.  At the
 * thread's exit ours is switched off and kept with the thread's state for
 * the next thread that takes it: a mapping made and unmapped per thread
 * cost a program of short-lived threads three system calls each, and an
 * unmap stops every CPU running the process (a TLB shootdown). */
#define ALT_STACK (64 * 1024)
#define ALT_GUARD 4096

/* t->alt_stack: the mapping that goes with this thread state, NULL if
 * none; installed only while its thread has no alternate stack of its own */
static void give_alt_stack(struct bt_thread *t)
{
	stack_t cur, ss;
	void *m = t->alt_stack; /* kept by the state's last thread */
	if (sigaltstack(NULL, &cur) != 0 || !(cur.ss_flags & SS_DISABLE))
		return; /* the program's own (or inherited over fork) */
	if (!m) {
		m = mmap(NULL, ALT_GUARD + ALT_STACK, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return;
		mprotect(m, ALT_GUARD, PROT_NONE);
		t->alt_stack = m;
	}
	memset(&ss, 0, sizeof ss);
	ss.ss_sp = (char *)m + ALT_GUARD;
	ss.ss_size = ALT_STACK;
	sigaltstack(&ss, NULL);
}

static void drop_alt_stack(struct bt_thread *t)
{
	stack_t cur;
	char *ours = (char *)t->alt_stack + ALT_GUARD;
	if (!t->alt_stack || sigaltstack(NULL, &cur) != 0)
		return;
	if (cur.ss_sp == ours && !(cur.ss_flags & SS_DISABLE)) {
		stack_t off;
		memset(&off, 0, sizeof off);
		off.ss_flags = SS_DISABLE;
		/* exiting from a handler, on it (it cannot be switched off
		 * then): it stays this thread's to the end, not the next one's */
		if ((cur.ss_flags & SS_ONSTACK) || sigaltstack(&off, NULL) != 0)
			t->alt_stack = NULL;
	}
}

static void on_thread_exit(void *arg)
{
	struct bt_thread *t = arg;
	/* Other keys' destructors may still free memory (malloc probes):
	 * stay registered until the last round glibc runs.  Only then: a
	 * sanitizer runtime finishes the thread before that last round. */
	if (bt_cfg.probe_malloc && ++exit_rounds < PTHREAD_DESTRUCTOR_ITERATIONS) {
		pthread_setspecific(exit_key, t);
		return;
	}
	starting = 1; /* this thread records nothing more */
	lock(t);
	detach_locked(t);
	unlock(t);
	drop_alt_stack(t);
	self = NULL;
	atomic_store(&t->exited, 1);
}

static void make_key(void)
{
	pthread_key_create(&exit_key, on_thread_exit);
}

static void write_thread_record(struct bt_thread *t)
{
	uint8_t buf[64];
	char name[17] = "";
	struct bt_rec r;
	prctl(PR_GET_NAME, name);
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, t->tid);
	bt_rec_bytes(&r, name, strlen(name));
	bt_write_record(BT_REC_THREAD, &r);
}

/* A thread's state is reused after the thread exits: long-running
 * programs with short-lived threads keep a bounded set. */
static struct bt_thread *register_thread(void)
{
	struct bt_thread *t;
	for (t = atomic_load(&bt_all_threads); t; t = t->next) {
		int one = 1;
		if (atomic_load(&t->exited) && atomic_compare_exchange_strong(&t->exited, &one, 0))
			break;
	}
	if (!t) {
		void *m = mmap(NULL, sizeof *t, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		t = m;
		t->next = atomic_load(&bt_all_threads);
		while (!atomic_compare_exchange_weak(&bt_all_threads, &t->next, t))
			;
	}
	t->tid = (uint32_t)gettid();
	t->in_hook = 0;
	t->registered = 1;
	t->py_scope.frame = NULL; /* a call its last thread left by longjmp */
	give_alt_stack(t);
	pthread_once(&key_once, make_key);
	pthread_setspecific(exit_key, t);
	self = t;
	write_thread_record(t);
	return t;
}

/* The recorder's own threads (the flusher) never record. */
void bt_thread_never_record(void)
{
	starting = 1;
}

/* Recorder work outside a hook (dlclose's rescan, the final flush, exec)
 * holds locks that a hooked call from a signal handler on this thread
 * would wait for forever: such calls are let through unrecorded. */
void bt_thread_busy(int delta)
{
	busy += delta;
}

int bt_thread_reentered(void)
{
	return busy || (self && self->in_hook);
}

/* --- fork ----------------------------------------------------------------
 *
 * From our prepare handler to our parent or child handler the forking
 * thread is busy (FORK_BUSY): in the child, until every lock and map is
 * reset, nothing records, so a free there (the parent's zstd context, or
 * another library's child handler) never takes a lock that a thread gone
 * with the fork held, such as its block map's spinlock.  In the parent
 * nothing is held that recording needs (only the session's start lock,
 * which a registered thread never takes), so it records as usual. */
#define FORK_BUSY (1 << 20)
static BT_TLS pid_t fork_pid;

void bt_threads_fork_prepare(void)
{
	fork_pid = getpid();
	busy += FORK_BUSY;
}

void bt_threads_fork_done(void)
{
	busy -= FORK_BUSY;
	fork_pid = 0;
}

/* busy, but perhaps only with a fork, and still in the parent */
static int fork_window_in_parent(void)
{
	return busy == FORK_BUSY && self && getpid() == fork_pid;
}

int bt_thread_no_loader(void)
{
	return self && self->no_loader;
}

struct bt_thread *bt_thread_enter(void)
{
	struct bt_thread *t = self;
	if (__builtin_expect(busy, 0) && !fork_window_in_parent())
		return NULL;
	if (t) {
		if (t->in_hook || atomic_load_explicit(&bt_state, memory_order_relaxed) != BT_ON)
			return NULL;
		t->in_hook = 1;
		return t;
	}
	if (starting)
		return NULL;
	starting = 1;
	if (bt_start() == 0)
		t = register_thread();
	starting = 0;
	if (t)
		t->in_hook = 1;
	return t;
}

atomic_uint_least64_t bt_unrecorded_signal;

struct bt_thread *bt_thread_enter_call(void)
{
	struct bt_thread *t = bt_thread_enter();
	/* a lock-free increment: async-signal-safe */
	if (!t && bt_thread_reentered() && atomic_load_explicit(&bt_state, memory_order_relaxed) == BT_ON)
		atomic_fetch_add_explicit(&bt_unrecorded_signal, 1, memory_order_relaxed);
	return t;
}

void bt_thread_leave(struct bt_thread *t)
{
	t->in_hook = 0;
}

#define EVENT_MAX ((7 + 10) * BT_UVAR_MAX)

/* No flusher thread: the thread whose event finds the interval passed
 * flushes, outside its event and inside the hook (a signal handler's
 * hooked call meanwhile is let through). */
static inline void flush_if_due(uint64_t now)
{
	if (__builtin_expect(atomic_load_explicit(&bt_flush_due, memory_order_relaxed) != 0, 0))
		bt_writer_due(now ? now : bt_now_ns());
}

/* The thread's chunk with room for one more event, the owner active; NULL
 * when no memory is left (the event is dropped). */
static struct bt_chunk *chunk_for_event(struct bt_thread *t, uint64_t seq, uint64_t ts)
{
	struct bt_chunk *c = t->chunk;
	if (c && c->len + EVENT_MAX > BT_CHUNK_SIZE) {
		detach_locked(t);
		c = NULL;
	}
	if (!c) {
		c = t->chunk = bt_chunk_get();
		if (!c)
			return NULL;
	}
	if (c->len == 0) {
		/* the deltas of the new chunk start from 0 */
		if (++t->chunk_gen == 0) {
			memset(t->dgen, 0, sizeof t->dgen);
			t->chunk_gen = 1;
		}
		c->tid = t->tid;
		c->first_seq = c->last_seq = seq;
		c->first_ts = c->last_ts = ts;
		c->probe_started = 0;
		c->malloc_stack = 0;
	}
	return c;
}

_Static_assert(BT_HOOK_COUNT <= BT_DELTA_HOOKS && BT_LAYOUT_FIELDS <= BT_DELTA_ARGS,
	       "hook ids and arguments beyond what version 3's deltas cover");

void bt_emit_event(struct bt_thread *t, enum bt_hook_id hook, unsigned flags, uint32_t stack,
		   uint32_t pystack, const uint64_t *args, int nargs)
{
	uint64_t seq = atomic_fetch_add_explicit(&bt_seq, 1, memory_order_relaxed);
	uint64_t ts = bt_event_ns();
	struct bt_chunk *c;
	uint8_t *p;

	t->counts[hook]++;
	lock(t);
	c = chunk_for_event(t, seq, ts);
	if (!c) {
		unlock(t);
		return;
	}
	if (ts < c->last_ts)
		ts = c->last_ts;
	/* seq and ts only grow within one thread, so the deltas are unsigned. */
	p = c->data + c->len;
	p = bt_put_uvar(p, hook);
	if (pystack == BT_PY_NOGIL) {
		flags |= BT_EV_NO_GIL;
		pystack = 0;
	}
	p = bt_put_uvar(p, flags | (pystack ? BT_EV_PYSTACK : 0));
	p = bt_put_uvar(p, seq - c->last_seq);
	p = bt_put_uvar(p, ts - c->last_ts);
	p = bt_put_uvar(p, stack);
	if (pystack)
		p = bt_put_uvar(p, pystack);
	p = bt_put_uvar(p, (uint64_t)nargs);
	if (nargs) {
		uint64_t *prev = t->dprev[hook];
		if (t->dgen[hook] != t->chunk_gen) {
			memset(prev, 0, sizeof t->dprev[hook]);
			t->dgen[hook] = t->chunk_gen;
		}
		for (int i = 0; i < nargs; i++) {
			p = bt_put_uvar(p, bt_zigzag((int64_t)(args[i] - prev[i])));
			prev[i] = args[i];
		}
	}
	c->len = (size_t)(p - c->data);
	c->last_seq = seq;
	c->last_ts = ts;
	unlock(t);
	flush_if_due(ts);
}

/* --- compact probe events -------------------------------------------------
 *
 * Millions a second: no sequence number (block numbers make the order of
 * threads irrelevant), the clock read at every PROBE_CLOCK_EVERY-th event,
 * the stack id left out when it repeats the chunk's previous malloc's. */

#define PROBE_CLOCK_EVERY 64
#define BLOCK_RANGE (1u << 16)
atomic_uint_least64_t bt_block_ranges = 1; /* block 0 means none */

/* The chunk and the prefix every compact event needs: BLOCKS at the start
 * of a chunk and at a new range, TIME now and then.  The owner active. */
static inline uint8_t *probe_begin(struct bt_thread *t, struct bt_chunk **cp)
{
	struct bt_chunk *c = t->chunk;
	uint8_t *p;
	int clock = ++t->probe_clock >= PROBE_CLOCK_EVERY;
	if (!c || c->len == 0 || c->len + EVENT_MAX > BT_CHUNK_SIZE || clock) {
		uint64_t now = bt_event_ns();
		t->probe_clock = 0;
		c = chunk_for_event(t, atomic_load_explicit(&bt_seq, memory_order_relaxed), now);
		if (!c)
			return NULL;
		if (now > c->last_ts) {
			p = c->data + c->len;
			*p++ = BT_OP_TIME;
			p = bt_put_uvar(p, now - c->last_ts);
			c->len = (size_t)(p - c->data);
			c->last_ts = now;
		}
	}
	p = c->data + c->len;
	if (!c->probe_started || t->block_jump) {
		*p++ = BT_OP_BLOCKS;
		p = bt_put_uvar(p, t->block_next);
		c->probe_started = 1;
		t->block_jump = 0;
	}
	*cp = c;
	return p;
}

void bt_emit_malloc(struct bt_thread *t, uint32_t stack, uint64_t addr, uint64_t size)
{
	struct bt_chunk *c;
	uint8_t *p;
	uint64_t block;

	if (t->block_next == t->block_end) {
		t->block_next = atomic_fetch_add_explicit(&bt_block_ranges, BLOCK_RANGE, memory_order_relaxed);
		t->block_end = t->block_next + BLOCK_RANGE;
		t->block_jump = 1;
	}
	block = t->block_next;
	if (bt_blocks_put(&t->blocks, addr, block)) {
		bt_give_up("no memory for the malloc probes' block map; writing", ENOMEM);
		return;
	}
	t->counts[BT_HOOK_MALLOC]++;
	lock(t);
	p = probe_begin(t, &c);
	if (p) {
		if (stack == c->malloc_stack && stack && size < 4096) {
			/* the common case in two bytes */
			*p++ = (uint8_t)(BT_OP_MALLOC_SMALL + (size >> 8));
			*p++ = (uint8_t)size;
		} else {
			if (stack == c->malloc_stack && stack) {
				*p++ = BT_OP_MALLOC_SAME;
			} else {
				*p++ = BT_OP_MALLOC;
				p = bt_put_uvar(p, stack);
				c->malloc_stack = stack;
			}
			p = bt_put_uvar(p, size);
		}
		c->len = (size_t)(p - c->data);
	}
	/* numbered whether or not the event made it: the next chunk's
	 * BLOCKS says where numbering stands */
	t->block_next = block + 1;
	unlock(t);
	flush_if_due(0);
}

void bt_emit_free(struct bt_thread *t, uint32_t stack, uint64_t addr)
{
	struct bt_chunk *c;
	uint8_t *p;
	uint64_t block;
	int known = bt_blocks_take(t, addr, &block);

	t->counts[BT_HOOK_FREE]++;
	lock(t);
	p = probe_begin(t, &c);
	if (p) {
		uint64_t back = t->block_next - block - 1; /* 0: the newest block */
		if (known && !stack && block < t->block_next && back < 2048) {
			/* the common case in two bytes */
			*p++ = (uint8_t)(BT_OP_FREE_NEAR + (back >> 8));
			*p++ = (uint8_t)back;
		} else {
			*p++ = (uint8_t)(known ? (stack ? BT_OP_FREE_STACK : BT_OP_FREE)
					       : (stack ? BT_OP_FREE_RAW_STACK : BT_OP_FREE_RAW));
			if (stack)
				p = bt_put_uvar(p, stack);
			p = bt_put_uvar(p, known ? bt_zigzag((int64_t)(t->block_next - block)) : addr);
		}
		c->len = (size_t)(p - c->data);
	}
	unlock(t);
	flush_if_due(0);
}

/* Queue the partial chunks of the threads between events (how: see
 * recorder.h).  A thread in an event is not waited for long: it is
 * producing, and its chunk will fill and be queued soon.  (Asking it to
 * hand the chunk over at its next event made every batch queue a handful
 * of tiny chunks, which woke the flusher for the next batch at once.)
 * The periodic flush waits a moment for it, yielding: on a busy machine
 * the owner may have been preempted inside its event. */
void bt_threads_detach_chunks(int how)
{
	long limit = how == BT_DETACH_WAIT ? 100000000 : how == BT_DETACH_BRIEF ? 20000 : 0;
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next) {
		int none = STEAL_NONE;
		atomic_compare_exchange_strong(&t->steal, &none, STEAL_ASKED);
	}
	/* untrusted: the owners' side of the pattern cannot be counted on this
	 * round, so nothing is taken */
	int trusted = flusher_fence();
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next) {
		int asked = STEAL_ASKED;
		long tries = 0;
		while (trusted && atomic_load(&t->active) && t != self && ++tries < limit) {
			__builtin_ia32_pause();
			if (how == BT_DETACH_BRIEF && tries % 1024 == 0)
				sched_yield();
		}
		if (!trusted || atomic_load(&t->active)) {
			/* withdraw the request, unless the owner took it up already */
			atomic_compare_exchange_strong(&t->steal, &asked, STEAL_NONE);
			continue;
		}
		if (!atomic_compare_exchange_strong(&t->steal, &asked, STEAL_TAKING))
			continue; /* handed over by the owner already */
		detach_locked(t);
		atomic_store_explicit(&t->steal, STEAL_NONE, memory_order_release);
	}
}

void bt_threads_sum_counts(uint64_t *out)
{
	memset(out, 0, sizeof(uint64_t) * BT_HOOK_COUNT);
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next)
		for (int h = 0; h < BT_HOOK_COUNT; h++)
			out[h] += t->counts[h];
}

/* After fork only the calling thread exists.  Every other thread's state
 * is marked free; all buffered events are the parent's and are dropped.
 * Every chunk goes back to the pool: one that a thread was handing to the
 * queue at the fork is in both places, and a chunk owned twice is written
 * over and over (after bt_writer_reset_after_fork). */
void bt_threads_reset_after_fork(void)
{
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next) {
		atomic_store(&t->active, 0);
		atomic_store(&t->steal, STEAL_NONE);
		if (t->chunk)
			bt_chunk_reclaim_after_fork(t->chunk);
		t->chunk = NULL;
		memset(t->counts, 0, sizeof t->counts);
		t->in_hook = 0;
		atomic_store(&t->exited, 1);
	}
	self = NULL;
	starting = 0;
	busy = FORK_BUSY; /* until bt_threads_fork_done */
	atomic_store(&bt_unrecorded_signal, 0);
	key_once = (pthread_once_t)PTHREAD_ONCE_INIT;
}
