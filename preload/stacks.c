/* stacks.c - native backtraces, each distinct one written once.
 *
 * heaptrack interns a backtrace as a path in a trie of instruction
 * pointers: one hash lookup per frame per event.  We hash the whole frame
 * array once and probe an open-addressed table that readers search
 * without a lock.  The hash only says where to look: each slot keeps its
 * stack's frames (stored once, in an arena), and a stack is the slot's
 * only if its frames compare equal; a slot whose hash matches but whose
 * frames differ is passed over like any other.  So an id stands for
 * exactly one frame sequence, whatever the hash does.  Only the insertion
 * of a new stack takes a lock, and writes the STACK record and the frames
 * before publishing the slot.  The shortcuts in front of the table (a
 * thread's recent stacks, the walker's "the same as the last walk") are
 * exact too: both compare every frame. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "dynlib.h"
#include "arena.h"
#include "hash.h"
#include "recorder.h"
#include "unwind.h"
#include "varint.h"

/* The table starts small and grows fourfold when three quarters full, up
 * to 1 << TABLE_MAX_BITS slots.  Size matters on the path of every event that
 * misses the shortcuts: a few thousand stacks spread over a table made
 * for a million touch a page each, and a lookup that misses the TLB costs
 * more than hashing and comparing the frames (workload A varied). */
#define TABLE_FIRST_BITS 14
#define TABLE_MAX_BITS 20
#define TABLES (1 + (TABLE_MAX_BITS - TABLE_FIRST_BITS + 1) / 2)

struct slot {
	atomic_uint_least64_t h; /* 0 = empty; published last */
	void *const *ips;        /* the frames, in frames_kept */
	uint32_t id, n;
};

struct table {
	uint32_t mask; /* slots - 1 */
	struct slot s[];
};

/* Published once made (release), read lock-free.  A grown table replaces
 * it; the old one stays mapped (a reader may still be searching it: a miss
 * there sends it to the lock, which searches the current one), until a
 * fork child, alone, unmaps them all. */
static struct table *_Atomic table;
static struct table *tables[TABLES];
static int ntables;
static pthread_mutex_t insert_lock = PTHREAD_MUTEX_INITIALIZER;
static uint32_t next_id = 1, count;
/* 8 bytes a frame, once per distinct stack: as much as a full table of
 * 64-frame stacks holds */
static struct bt_arena frames_kept = { .limit = 512u << 20 };
static int said_full;
static struct bt_once caching_once = BT_ONCE_INIT;

/* Per-thread caches are fastest; BUFTRACE_UNWIND_CACHE=global avoids
 * libunwind's thread-exit destructors (needed under TSan). */
static void set_caching(void)
{
	if (bt_unw_ok)
		bt_unw.set_caching_policy(*bt_unw.local_addr_space,
					  bt_cfg.unwind_global ? UNW_CACHE_GLOBAL : UNW_CACHE_PER_THREAD);
}

/* In front of the table, each thread remembers its last few stacks: an
 * allocation in a loop repeats the stack of the one before, and one
 * compare of the frames is cheaper than hashing them.  An entry is valid
 * for one generation of the table (a fork child starts a new one). */
#define RECENT_BITS 4
#define RECENT (1 << RECENT_BITS) /* a buffer's life is ~10 hooked calls, each its own stack */
#define RECENT_DEPTH 96
struct recent {
	uint32_t gen, id, n;
	void *ips[RECENT_DEPTH];
};
static uint32_t generation = 1;

/* Kept with the thread's state (reused by later threads: the ids stay
 * right), not in TLS: a dlopen'ed recorder has little static TLS. */
static struct recent *recent_of_thread(struct bt_thread *t)
{
	if (!t)
		return NULL;
	if (!t->recent_stacks) {
		void *m = mmap(NULL, sizeof(struct recent) * RECENT, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED)
			return NULL;
		t->recent_stacks = m;
	}
	return t->recent_stacks;
}

/* ips[0] is our own frame; the caller's is the next */
static inline unsigned recent_slot(void *const *ips, int n)
{
	uint64_t k = (uint64_t)(uintptr_t)ips[n > 1] ^ ((uint64_t)(uintptr_t)ips[n - 1] << 7) ^ (uint64_t)n;
	k *= 0x9e3779b97f4a7c15ull;
	return (unsigned)(k >> (64 - RECENT_BITS)) & (RECENT - 1);
}

/* Where to look for a stack (hash.h); never 0, the empty slot's mark */
static uint64_t hash_ips(void *const *ips, int n)
{
	uint64_t sum = 0;
	for (int i = 0; i < n; i++)
		sum += bt_hash_term((uint64_t)(uintptr_t)ips[i], i);
	return bt_hash_final(n, sum) | 1;
}

static inline int slot_holds(const struct slot *s, void *const *ips, int n)
{
	return s->n == (uint32_t)n && !memcmp(s->ips, ips, (size_t)n * sizeof *ips);
}

/* Under insert_lock: its buffer is the lock's, not the caller's stack. */
static void write_stack(uint32_t id, void *const *ips, int n)
{
	static uint8_t buf[(BT_MAX_DEPTH + 3) * BT_UVAR_MAX];
	uint8_t *p = buf;
	uint64_t prev = 0;
	struct bt_rec r;

	/* a NULL last frame: the walk stopped at its limit (filter_and_intern),
	 * said by a STACK_CUT record after the frames */
	int cut = n > 0 && !ips[n - 1];
	n -= cut;
	p = bt_put_uvar(p, id);
	p = bt_put_uvar(p, (uint64_t)n);
	for (int i = 0; i < n; i++) {
		uint64_t v = (uint64_t)(uintptr_t)ips[i];
		p = bt_put_uvar(p, bt_zigzag((int64_t)(v - prev)));
		prev = v;
	}
	r.base = buf;
	r.p = p;
	r.cap = sizeof buf;
	bt_write_record(BT_REC_STACK, &r);
	if (cut) {
		r.p = bt_put_uvar(buf, id);
		bt_write_record(BT_REC_STACK_CUT, &r);
	}
}

static size_t table_bytes(uint32_t slots)
{
	return sizeof(struct table) + sizeof(struct slot) * slots;
}

/* stacks tb holds before it is full: three quarters of its slots */
static uint32_t table_room(const struct table *tb)
{
	return (tb->mask + 1) / 4 * 3;
}

/* The id of the stack ips[0..n) in tb, or 0 with *at its empty slot. */
static uint32_t lookup(const struct table *tb, uint64_t h, void *const *ips, int n, uint32_t *at)
{
	uint32_t i;
	for (i = (uint32_t)h & tb->mask;; i = (i + 1) & tb->mask) {
		uint64_t k = atomic_load_explicit(&tb->s[i].h, memory_order_acquire);
		if (!k)
			break;
		if (k == h && slot_holds(&tb->s[i], ips, n))
			return tb->s[i].id;
	}
	*at = i;
	return 0;
}

/* Under insert_lock: a table four times tb's size (the first when tb is
 * NULL) holding tb's stacks, published; tb itself when tb is the largest
 * or no memory is left. */
static struct table *grow(struct table *tb)
{
	uint32_t slots = tb ? (tb->mask + 1) * 4 : 1u << TABLE_FIRST_BITS;
	struct table *nt;
	void *m;
	if (ntables == TABLES || slots > 1u << TABLE_MAX_BITS)
		return tb;
	m = mmap(NULL, table_bytes(slots), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1,
		 0);
	if (m == MAP_FAILED)
		return tb;
	nt = m;
	nt->mask = slots - 1;
	for (uint32_t j = 0; tb && j <= tb->mask; j++) {
		uint64_t k = atomic_load_explicit(&tb->s[j].h, memory_order_relaxed);
		uint32_t i;
		if (!k)
			continue;
		for (i = (uint32_t)k & nt->mask; atomic_load_explicit(&nt->s[i].h, memory_order_relaxed);
		     i = (i + 1) & nt->mask)
			;
		nt->s[i].ips = tb->s[j].ips;
		nt->s[i].n = tb->s[j].n;
		nt->s[i].id = tb->s[j].id;
		atomic_store_explicit(&nt->s[i].h, k, memory_order_relaxed);
	}
	tables[ntables++] = nt;
	atomic_store_explicit(&table, nt, memory_order_release);
	return nt;
}

static uint32_t intern(void *const *ips, int n)
{
	uint64_t h = hash_ips(ips, n);
	uint32_t i = 0, id;
	struct table *tb = atomic_load_explicit(&table, memory_order_acquire);

	if (tb && (id = lookup(tb, h, ips, n, &i)))
		return id;
	pthread_mutex_lock(&insert_lock);
	tb = atomic_load_explicit(&table, memory_order_relaxed);
	if (!tb || count >= table_room(tb))
		tb = grow(tb);
	/* Frames in an object we have not recorded yet: a dlopen we did not
	 * see finish.  Record the module map before the stack. */
	for (int f = 0; f < n; f++)
		if (ips[f] && !bt_modules_contains((uint64_t)(uintptr_t)ips[f])) {
			bt_modules_scan();
			bt_resolve_report();
			break;
		}
	id = tb ? lookup(tb, h, ips, n, &i) : 0;
	if (!id) {
		void **kept = NULL;
		id = next_id++;
		write_stack(id, ips, n);
		/* A full table stops interning: new stacks are written each time. */
		if (tb && count < table_room(tb))
			kept = bt_arena_alloc(&frames_kept, (size_t)n * sizeof *ips);
		if (kept) {
			memcpy(kept, ips, (size_t)n * sizeof *ips);
			tb->s[i].ips = kept;
			tb->s[i].n = (uint32_t)n;
			tb->s[i].id = id;
			atomic_store_explicit(&tb->s[i].h, h, memory_order_release);
			count++;
		} else if (!said_full) {
			said_full = 1;
			bt_log("buftrace: %u distinct stacks kept, no room for more: each new one is written with every event",
			       count);
		}
	}
	pthread_mutex_unlock(&insert_lock);
	return id;
}

/* The plain unw_step walk: slower than unw_backtrace, but without its
 * per-thread trace cache, whose thread-exit destructor runs after a
 * ThreadSanitizer runtime has already finished the thread. */
static __attribute__((noinline)) int walk_step(void **ips, int max)
{
	unw_context_t ctx;
	unw_cursor_t cur;
	int n = 0;
	if (bt_unw.getcontext(&ctx) || bt_unw.init_local(&cur, &ctx))
		return 0;
	while (n < max && bt_unw.step(&cur) > 0) {
		unw_word_t ip;
		if (bt_unw.get_reg(&cur, UNW_REG_IP, &ip))
			break;
		ips[n++] = (void *)(uintptr_t)ip;
	}
	return n;
}

static int walk_ok(int unmapping)
{
	/* A hooked call from a signal handler that interrupted dlclose while
	 * it unmaps: the unwinder would read objects that are gone. */
	if (bt_cfg.depth <= 0 || unmapping)
		return 0;
	/* once, whichever thread walks first (threads that start together
	 * all come here at once: TSan saw two set it) */
	bt_once(&caching_once, set_caching);
	return 1;
}

/* ips[0..n): a walk of at most bt_cfg.depth + 16 frames (bt_stack_capture_t),
 * our own among them.  A walk that reached its limit, or left more than
 * --depth frames once ours are cut, is cut short: it is interned with a
 * NULL frame after its last, so that it is never one stack with a whole
 * walk of the same frames, and its STACK record is followed by a
 * STACK_CUT (docs/trace-format.md).  ips has room for that frame. */
static uint32_t filter_and_intern(void **ips, int n)
{
	int skip = 0, cut = n >= bt_cfg.depth + 16;
	/* Cut our own frames, whatever inlining made of them: the leading
	 * ones, and those of outer hooked calls still in progress (a
	 * Buffer::create inside MeshDevice::create runs under two of our
	 * wrappers). */
	if (bt_self_span) {
		uint64_t base = bt_self_base, span = bt_self_span;
		for (int i = 0; i < n; i++)
			if ((uint64_t)(uintptr_t)ips[i] - base >= span)
				ips[skip++] = ips[i];
	} else {
		for (int i = 0; i < n; i++)
			if (!bt_module_is_self((uint64_t)(uintptr_t)ips[i]))
				ips[skip++] = ips[i];
	}
	n = skip;
	if (n > bt_cfg.depth) {
		n = bt_cfg.depth;
		cut = 1;
	}
	if (n <= 0)
		return 0;
	if (cut)
		ips[n++] = NULL;
	return intern(ips, n);
}

/* The recent-stacks cache holds the frames as walked, our own included:
 * a hit costs one compare, no filtering. */
static inline int same_frames(void *const *a, void *const *b, int n)
{
	/* innermost first: where two stacks of one thread differ */
	for (int i = 0; i < n; i++)
		if (a[i] != b[i])
			return 0;
	return 1;
}

/* own frames cut, interned; t: the calling thread's state (or NULL) */
static uint32_t intern_t(struct bt_thread *t, void **ips, int n)
{
	struct recent *r = recent_of_thread(t);
	uint32_t id;
	if (n <= 0 || n > RECENT_DEPTH || !r)
		return filter_and_intern(ips, n);
	/* where they keep missing (A varied), their compare and the copy into
	 * them cost a tenth of such an event: tried as bt_skip_try says */
	if (!bt_skip_try(&t->recent_skip))
		return filter_and_intern(ips, n);
	r += recent_slot(ips, n);
	if (r->gen == generation && r->n == (uint32_t)n && same_frames(r->ips, ips, n)) {
		bt_skip_hit(&t->recent_skip);
		return r->id;
	}
	bt_skip_missed(&t->recent_skip);
	/* a word at a time: for ~20 frames GCC's inline `rep movsq` costs
	 * more than the copy (a third of this function on all-new stacks) */
	for (int i = 0; i < n; i++)
		__atomic_store_n(&r->ips[i], ips[i], __ATOMIC_RELAXED);
	id = filter_and_intern(ips, n);
	r->gen = generation;
	r->id = id;
	r->n = (uint32_t)n;
	return id;
}

/* libunwind's walk, where ours gives up.  unw_backtrace keeps what it
 * learnt of each address in a per-thread cache that nothing flushes: once
 * a library was unloaded, another mapped at its address would be walked
 * with the old one's rules (t_unwind_walker, dlreload).  So after the
 * first dlclose, the plain unw_step walk, whose caches unw_flush_cache
 * does empty. */
static __attribute__((noinline)) int walk_libunwind(void **ips, int max)
{
	static atomic_uint flushed;
	unsigned unloads = atomic_load_explicit(&bt_dl_unloads, memory_order_relaxed);
	if (!bt_unw_ok)
		return 0; /* (said once at start) */
	if (!unloads && !bt_cfg.unwind_global)
		return bt_unw.backtrace(ips, max);
	if (atomic_load_explicit(&flushed, memory_order_relaxed) != unloads) {
		atomic_store_explicit(&flushed, unloads, memory_order_relaxed);
		bt_unw.flush_cache(*bt_unw.local_addr_space, 0, 0);
	}
	return walk_step(ips, max);
}

static struct bt_unwinder *unwinder_of(struct bt_thread *t)
{
	if (!t || bt_cfg.unwind_libunwind)
		return NULL;
	if (!t->unwinder)
		t->unwinder = bt_unwinder_new();
	return t->unwinder;
}

/* Our walker first (unwind.h); libunwind where it gives up.  A walk that
 * is frame for frame the thread's previous one has its id already.  A
 * walk through a signal frame marks the thread's call as one made in a
 * handler (no_loader: see bt_thread_no_loader); where our walker gives up
 * beyond such a frame it returns the stack cut there, as libunwind there
 * could wait forever for the loader's lock, held by the code the signal
 * interrupted.  With libunwind alone (BUFTRACE_UNWIND=libunwind), or
 * where our walker gives up before any signal frame, a handler is not
 * recognised. */
/* Without a thread's state (never, from the hooks): a walk on the stack. */
static __attribute__((noinline)) uint32_t capture_stateless(int max)
{
	void *ips[BT_WALK_MAX];
	return intern_t(NULL, ips, walk_libunwind(ips, max));
}

/* The frames go to the thread's own buffer, not the program's stack,
 * which may be a small thread's (README, "What it cannot see"). */
uint32_t bt_stack_capture_t(struct bt_thread *t)
{
	void **ips;
	struct bt_unwinder *u;
	int n, max = bt_cfg.depth + 16;
	uint32_t id;
	/* inside dlclose while it unmaps (no walk then): a handler that
	 * interrupted it, or a destructor it runs; a scan can wait either way */
	int unmapping = bt_modules_unmapping();
	if (t)
		t->no_loader = unmapping;
	if (!walk_ok(unmapping))
		return 0;
	if (!t)
		return capture_stateless(max);
	ips = t->walk_ips;
	u = unwinder_of(t);
	if (u) {
		/* a kept walk's tag is its id, of this generation of the table
		 * (a fork child starts a new one: then the frames are needed) */
		uint64_t tag;
		n = bt_unwind(u, ips, max, &tag);
		if (n >= 0 && tag && (uint32_t)(tag >> 32) != generation) {
			n = bt_unwind(u, ips, max, NULL);
			tag = 0;
		}
		t->no_loader = (bt_unwind_flags(u) & BT_UNWIND_SIGNAL) != 0;
		if (n >= 0) {
			if (tag)
				return (uint32_t)tag;
			id = intern_t(t, ips, n);
			if (id)
				bt_unwind_tag(u, (uint64_t)generation << 32 | id);
			return id;
		}
	}
	n = walk_libunwind(ips, max);
	return intern_t(t, ips, n);
}

/* BUFTRACE_DEBUG, at the end: how the walks went (the threads' walkers;
 * a thread that exited left its state, and walker, to the next) */
void bt_stacks_say(void)
{
	uint64_t walks = 0, indexed = 0;
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next)
		if (t->unwinder)
			bt_unwind_counts(t->unwinder, &walks, &indexed);
	bt_log("buftrace: %llu stacks walked by the recorder's walker, %llu of them found in its walk index, %u distinct",
	       (unsigned long long)walks, (unsigned long long)indexed, count);
}

void bt_stacks_reset(void)
{
	pthread_mutex_init(&insert_lock, NULL);
	/* The child re-creates the table on demand; clearing it would touch
	 * every page of it.  It is alone: no reader is left in the old ones. */
	for (int t = 0; t < ntables; t++)
		munmap(tables[t], table_bytes(tables[t]->mask + 1));
	ntables = 0;
	atomic_store_explicit(&table, NULL, memory_order_relaxed);
	bt_arena_reset(&frames_kept);
	said_full = 0;
	count = 0;
	next_id = 1;
	generation++;
}
