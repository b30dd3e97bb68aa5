/* probes_malloc.c - libc allocation probes: malloc and friends, C++ new
 * and delete.  Only in libbuftrace-malloc.so (the recorder + this file),
 * which `buftrace record --probes malloc` preloads instead of
 * libbuftrace.so: a process that did not ask for the probes never has an
 * interposed malloc at all.
 *
 * The real functions are glibc's __libc_* entry points, so there is no
 * dlsym bootstrap: a call that arrives before our constructor (the
 * loader, other constructors) or while the recorder itself allocates
 * (bt_thread_enter returns NULL when re-entered or starting) just goes
 * through.  Events (compact probe events, trace_format.h):
 *   malloc  (BT_HOOK_MALLOC, exit): size, with the caller's stack; the
 *           block gets a number, mapped from its address (blocks.c)
 *   free    (BT_HOOK_FREE, entry):  the number of the block it releases,
 *           taken from the map before the block is given back, so that a
 *           malloc returning the same address in another thread finds the
 *           address free in the map.  No stack unless BUFTRACE_PROBES also
 *           names "free-stacks".
 *   realloc = free(old) + malloc(new), calloc size = n * m.
 *
 * The blocks are those of the allocator the program would have had: the
 * next malloc after ours in the loader's order.  When that is glibc's
 * (almost always), its __libc_* entry points are called directly.  When
 * it is another (jemalloc or tcmalloc preloaded after us, or a shared
 * library the program links), every call goes to that one: the program
 * still gets its own allocator, and that allocator's other functions
 * (malloc_usable_size, mallocx...) only ever see its own blocks (glibc's
 * blocks handed to jemalloc's malloc_usable_size crashed Python).  Which
 * one is decided at the first call, before any block is made. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include <sched.h>
#include <stdatomic.h>
#include "recorder.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* --- the allocator under us ------------------------------------------ */

enum { NEXT_UNKNOWN, NEXT_RESOLVING, NEXT_GLIBC, NEXT_OTHER };
static atomic_int next_kind;
static struct {
	void *(*malloc)(size_t);
	void (*free)(void *);
	void *(*calloc)(size_t, size_t);
	void *(*realloc)(void *, size_t);
	void *(*memalign)(size_t, size_t);
	int (*posix_memalign)(void **, size_t, size_t);
	void *(*aligned_alloc)(size_t, size_t);
	void *(*valloc)(size_t);
	void *(*pvalloc)(size_t);
	size_t (*usable_size)(void *);
} nx;

/* Blocks for calls made while the next allocator is being looked up
 * (dlsym makes none when it finds its symbol, but a loader may): never
 * given back, never passed on. */
static _Alignas(64) char boot[64 * 1024];
static atomic_size_t boot_used;

static int in_boot(const void *p)
{
	return (const char *)p >= boot && (const char *)p < boot + sizeof boot;
}

/* The first call can come before a sanitizer's runtime has mapped its
 * shadow memory (a library's constructor that runs before it): the code
 * that runs then must not touch it (an ASan build's stack redzones). */
#define NO_SHADOW __attribute__((no_sanitize_address))

static NO_SHADOW void *boot_alloc(size_t align, size_t n)
{
	size_t cur = atomic_load(&boot_used), at, end;
	if (align < 16)
		align = 16;
	do {
		at = (cur + sizeof(size_t) + align - 1) & ~(align - 1);
		end = at + n;
		if (end > sizeof boot || end < at)
			return NULL;
	} while (!atomic_compare_exchange_weak(&boot_used, &cur, end));
	*(size_t *)(void *)(boot + at - sizeof(size_t)) = n; /* its size, for realloc (no memcpy: no shadow) */
	return boot + at;
}

static void *next_fn(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

static atomic_int resolver; /* the thread deciding */

/* The next definition of name, if it is in the object of `in` */
static NO_SHADOW void *next_in(const char *name, const Dl_info *in)
{
	Dl_info i;
	void *f = next_fn(name);
	return f && dladdr(f, &i) && i.dli_fbase == in->dli_fbase ? f : NULL;
}

/* Decide once, at the first call of any of ours: glibc's, or another's. */
static NO_SHADOW void resolve_next(void)
{
	int k = NEXT_UNKNOWN;
	Dl_info a, b;
	void *m;
	if (!atomic_compare_exchange_strong(&next_kind, &k, NEXT_RESOLVING))
		return; /* another thread decides (kind waits) */
	atomic_store(&resolver, (int)gettid());
	m = next_fn("malloc");
	if (!m || !dladdr(m, &a) || (dladdr((void *)__libc_malloc, &b) && a.dli_fbase == b.dli_fbase)) {
		atomic_store(&next_kind, NEXT_GLIBC);
		return;
	}
	/* each from the object that has that malloc: a name it lacks (jemalloc
	 * has no pvalloc) would be found further on, in glibc, whose block
	 * the allocator cannot take back */
	nx.malloc = (void *(*)(size_t))m;
	nx.free = (void (*)(void *))next_in("free", &a);
	nx.calloc = (void *(*)(size_t, size_t))next_in("calloc", &a);
	nx.realloc = (void *(*)(void *, size_t))next_in("realloc", &a);
	nx.memalign = (void *(*)(size_t, size_t))next_in("memalign", &a);
	nx.posix_memalign = (int (*)(void **, size_t, size_t))next_in("posix_memalign", &a);
	nx.aligned_alloc = (void *(*)(size_t, size_t))next_in("aligned_alloc", &a);
	nx.valloc = (void *(*)(size_t))next_in("valloc", &a);
	nx.pvalloc = (void *(*)(size_t))next_in("pvalloc", &a);
	nx.usable_size = (size_t(*)(void *))next_in("malloc_usable_size", &a);
	/* an allocator without free or realloc is no allocator: stay with glibc */
	atomic_store(&next_kind, nx.free && nx.realloc && nx.calloc ? NEXT_OTHER : NEXT_GLIBC);
}

static NO_SHADOW __attribute__((noinline)) int kind_slow(void)
{
	for (;;) {
		int k = atomic_load(&next_kind);
		if (k == NEXT_UNKNOWN)
			resolve_next();
		else if (k != NEXT_RESOLVING)
			return k;
		else if (atomic_load(&resolver) == (int)gettid())
			return k;
		else
			sched_yield(); /* another thread decides: a few microseconds */
	}
}

/* NEXT_GLIBC or NEXT_OTHER; NEXT_RESOLVING only in the calls made while
 * deciding, by the thread deciding (the boot blocks then). */
static inline int kind(void)
{
	int k = atomic_load_explicit(&next_kind, memory_order_acquire);
	return LIKELY(k >= NEXT_GLIBC) ? k : kind_slow();
}

/* An aligned block of the next allocator (memalign, valloc, pvalloc,
 * aligned_alloc where it lacks them: posix_memalign, which all have). */
static void *other_aligned(void *(*f)(size_t, size_t), size_t align, size_t n)
{
	void *p = NULL;
	if (f)
		return f(align, n);
	if (align < sizeof(void *))
		align = sizeof(void *);
	if (!nx.posix_memalign || nx.posix_memalign(&p, align, n))
		return NULL;
	return p;
}

static void *a_malloc(size_t n)
{
	int k = kind();
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_malloc(n);
	return k == NEXT_OTHER ? nx.malloc(n) : boot_alloc(16, n);
}

static void a_free(void *p)
{
	int k = kind();
	if (UNLIKELY(in_boot(p)))
		return;
	if (LIKELY(k == NEXT_GLIBC))
		__libc_free(p);
	else if (k == NEXT_OTHER)
		nx.free(p);
	/* (while deciding no block but the boot ones exists) */
}

static void *a_calloc(size_t n, size_t m)
{
	int k = kind();
	size_t t;
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_calloc(n, m);
	if (k == NEXT_OTHER)
		return nx.calloc(n, m);
	return __builtin_mul_overflow(n, m, &t) ? NULL : boot_alloc(16, t); /* zeroes: never used before */
}

static void *a_realloc(void *old, size_t n)
{
	int k = kind();
	if (UNLIKELY(in_boot(old))) {
		size_t was;
		void *p = a_malloc(n);
		memcpy(&was, (char *)old - sizeof was, sizeof was);
		if (p)
			memcpy(p, old, was < n ? was : n);
		return p;
	}
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_realloc(old, n);
	return k == NEXT_OTHER ? nx.realloc(old, n) : NULL;
}

static size_t a_usable_size(void *p)
{
	int k = kind();
	if (in_boot(p))
		return 0;
	if (LIKELY(k == NEXT_GLIBC))
		return malloc_usable_size(p);
	return k == NEXT_OTHER && nx.usable_size ? nx.usable_size(p) : 0;
}

static void *a_memalign(size_t align, size_t n)
{
	int k = kind();
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_memalign(align, n);
	return k == NEXT_OTHER ? other_aligned(nx.memalign, align, n) : boot_alloc(align, n);
}

static void *a_valloc(size_t n)
{
	int k = kind();
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_valloc(n);
	if (k == NEXT_OTHER && nx.valloc)
		return nx.valloc(n);
	return a_memalign((size_t)sysconf(_SC_PAGESIZE), n);
}

static void *a_pvalloc(size_t n)
{
	size_t page;
	int k = kind();
	if (LIKELY(k == NEXT_GLIBC))
		return __libc_pvalloc(n);
	if (k == NEXT_OTHER && nx.pvalloc)
		return nx.pvalloc(n);
	page = (size_t)sysconf(_SC_PAGESIZE);
	return a_memalign(page, (n + page - 1) & ~(page - 1));
}

static int armed;       /* BUFTRACE_PROBES names malloc, and the recorder is initialised */
static int free_stacks; /* BUFTRACE_PROBES names free-stacks */
/* glibc's own aligned_alloc: it has no __libc_ name, and is not memalign
 * everywhere (2.38 refuses an alignment that is not a power of two) */
static void *(*libc_aligned_alloc)(size_t, size_t);

/* Runs after bt_init (session.c): this object is linked last, and plain
 * constructors of one object file run in link order. */
__attribute__((constructor)) static void probes_init(void)
{
	const char *p = getenv("BUFTRACE_PROBES");
	/* libc's, not another allocator's preloaded after us (its blocks
	 * are not __libc_free's to take back): the next aligned_alloc only if
	 * it lives in the object that holds __libc_memalign. */
	void *f = dlvsym(RTLD_NEXT, "aligned_alloc", "GLIBC_2.16");
	Dl_info in_f, in_libc;
	if (f && dladdr(f, &in_f) && dladdr((void *)__libc_memalign, &in_libc) &&
	    in_f.dli_fbase == in_libc.dli_fbase)
		libc_aligned_alloc = (void *(*)(size_t, size_t))f;
	if (!bt_cfg.outdir[0]) {
		bt_log("buftrace: malloc probes initialised before the recorder; probes off");
		return;
	}
	free_stacks = p && strstr(p, "free-stacks") != NULL;
	armed = bt_cfg.probe_malloc && !bt_cfg.disabled;
	/* an allocator found before ours (LD_PRELOAD=libjemalloc.so.2:ours by
	 * hand, or one in the executable): the program never calls ours */
	void *first = dlsym(RTLD_DEFAULT, "malloc");
	Dl_info in_first, in_us;
	if (armed && first && dladdr(first, &in_first) && dladdr((void *)probes_init, &in_us) &&
	    in_first.dli_fbase != in_us.dli_fbase)
		bt_log("buftrace: malloc is %s's, found before the malloc probes: allocations are not recorded",
		       in_first.dli_fname ? in_first.dli_fname : "another object");
}

/* The recorder runs system calls: the program's errno must not see them
 * (glibc's malloc leaves errno alone on success, free always). */

/* Called as a tail call from the wrappers, so the stack is walked from
 * the frame that replaced the wrapper's: as many frames to unwind as a
 * bare unw_backtrace in malloc would have. */
__attribute__((noinline)) static void *rec_alloc(void *p, size_t n)
{
	int err = errno;
	struct bt_thread *t = bt_thread_enter();
	if (t) {
		bt_emit_malloc(t, bt_stack_capture_t(t), (uint64_t)(uintptr_t)p, (uint64_t)n);
		bt_thread_leave(t);
	}
	errno = err;
	return p;
}

__attribute__((noinline)) static void rec_free(void *p)
{
	int err = errno;
	struct bt_thread *t = bt_thread_enter();
	if (t) {
		bt_emit_free(t, free_stacks ? bt_stack_capture_t(t) : 0, (uint64_t)(uintptr_t)p);
		bt_thread_leave(t);
	}
	errno = err;
}

static inline void *on_alloc(void *p, size_t n)
{
	if (UNLIKELY(armed) && LIKELY(p != NULL))
		return rec_alloc(p, n);
	return p;
}

static inline void on_free(void *p)
{
	if (UNLIKELY(armed) && p)
		rec_free(p);
}

BT_EXPORT void *malloc(size_t n)
{
	return on_alloc(a_malloc(n), n);
}

BT_EXPORT void free(void *p)
{
	on_free(p);
	a_free(p);
}

BT_EXPORT void cfree(void *p)
{
	free(p);
}

BT_EXPORT void *calloc(size_t n, size_t m)
{
	return on_alloc(a_calloc(n, m), n * m);
}

BT_EXPORT void *realloc(void *old, size_t n)
{
	void *p;
	if (!old)
		return malloc(n);
	/* The free first: once realloc returns, another thread may already
	 * have the old address back from malloc. */
	if (UNLIKELY(armed)) {
		size_t oldn = a_usable_size(old);
		rec_free(old);
		p = a_realloc(old, n);
		if (p)
			return rec_alloc(p, n);
		if (n)
			rec_alloc(old, oldn); /* failed: the old block lives on */
		return p;
	}
	return a_realloc(old, n);
}

BT_EXPORT void *reallocarray(void *old, size_t n, size_t m)
{
	size_t t;
	if (__builtin_mul_overflow(n, m, &t)) {
		errno = ENOMEM;
		return NULL;
	}
	return realloc(old, t);
}

BT_EXPORT void *memalign(size_t align, size_t n)
{
	return on_alloc(a_memalign(align, n), n);
}

/* Whatever glibc's does with the alignment (2.36: memalign's rounding up,
 * so aligned_alloc(24, 48) is memory).  Before our constructor, memalign. */
BT_EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *(*f)(size_t, size_t) = libc_aligned_alloc;
	if (UNLIKELY(kind() != NEXT_GLIBC))
		return on_alloc(next_kind == NEXT_OTHER ? other_aligned(nx.aligned_alloc, align, n) : a_memalign(align, n), n);
	return on_alloc(f ? f(align, n) : __libc_memalign(align, n), n);
}

BT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;
	if (align % sizeof(void *) || !align || (align & (align - 1)))
		return EINVAL;
	p = a_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = on_alloc(p, n);
	return 0;
}

BT_EXPORT void *valloc(size_t n)
{
	return on_alloc(a_valloc(n), n);
}

BT_EXPORT void *pvalloc(size_t n)
{
	return on_alloc(a_pvalloc(n), n);
}

/* --- C++ operator new and delete (Itanium names, x86-64) -----------------
 * Allocation failure hands over to libstdc++'s own operator for the
 * new_handler loop and std::bad_alloc (it allocates through our malloc,
 * which records the block). */

typedef void *(*new_fn)(size_t);
typedef void *(*new_al_fn)(size_t, size_t);

#define NEW_PLAIN(sym, nothrow)                                                   \
	BT_EXPORT void *sym(size_t n)                                             \
	{                                                                         \
		void *p = a_malloc(n ? n : 1);                                    \
		if (UNLIKELY(!p)) {                                               \
			new_fn real = (new_fn)next_fn(#sym);                     \
			(void)(nothrow);                                          \
			return real ? real(n) : NULL;                             \
		}                                                                 \
		return on_alloc(p, n);                                            \
	}
/* An alignment that is not a power of two is libstdc++'s to refuse
 * (bad_alloc, or NULL for nothrow), not memalign's to round up. */
#define NEW_ALIGNED(sym, nothrow)                                                 \
	BT_EXPORT void *sym(size_t n, size_t al)                                  \
	{                                                                         \
		void *p = al && !(al & (al - 1)) ? a_memalign(al, n ? n : 1) : NULL;   \
		if (UNLIKELY(!p)) {                                               \
			new_al_fn real = (new_al_fn)next_fn(#sym);               \
			(void)(nothrow);                                          \
			return real ? real(n, al) : NULL;                         \
		}                                                                 \
		return on_alloc(p, n);                                            \
	}
#define U __attribute__((unused))
#define DELETE(sym, ...)                                                          \
	BT_EXPORT void sym(void *p, ##__VA_ARGS__)                                \
	{                                                                         \
		on_free(p);                                                       \
		a_free(p);                                                        \
	}

/* The nothrow forms take a second (reference) argument we ignore: passed
 * in a register, so a one-argument definition is call-compatible. */
NEW_PLAIN(_Znwm, 0)                           /* operator new(size_t) */
NEW_PLAIN(_Znam, 0)                           /* operator new[](size_t) */
NEW_PLAIN(_ZnwmRKSt9nothrow_t, 1)             /* operator new(size_t, nothrow_t const&) */
NEW_PLAIN(_ZnamRKSt9nothrow_t, 1)
NEW_ALIGNED(_ZnwmSt11align_val_t, 0)          /* operator new(size_t, align_val_t) */
NEW_ALIGNED(_ZnamSt11align_val_t, 0)
NEW_ALIGNED(_ZnwmSt11align_val_tRKSt9nothrow_t, 1)
NEW_ALIGNED(_ZnamSt11align_val_tRKSt9nothrow_t, 1)
DELETE(_ZdlPv)                                /* operator delete(void*) */
DELETE(_ZdaPv)
DELETE(_ZdlPvm, size_t n U)                     /* sized */
DELETE(_ZdaPvm, size_t n U)
DELETE(_ZdlPvRKSt9nothrow_t, const void *nt U)
DELETE(_ZdaPvRKSt9nothrow_t, const void *nt U)
DELETE(_ZdlPvSt11align_val_t, size_t al U)
DELETE(_ZdaPvSt11align_val_t, size_t al U)
DELETE(_ZdlPvmSt11align_val_t, size_t n U, size_t al U)
DELETE(_ZdaPvmSt11align_val_t, size_t n U, size_t al U)
DELETE(_ZdlPvSt11align_val_tRKSt9nothrow_t, size_t al U, const void *nt U)
DELETE(_ZdaPvSt11align_val_tRKSt9nothrow_t, size_t al U, const void *nt U)
