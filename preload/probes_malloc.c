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
 *   realloc = free(old) + malloc(new), calloc size = n * m. */
#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <dlfcn.h>
#include "recorder.h"

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void *__libc_valloc(size_t);
extern void *__libc_pvalloc(size_t);

static int armed;       /* BUFTRACE_PROBES names malloc, and the recorder is initialised */
static int free_stacks; /* BUFTRACE_PROBES names free-stacks */
/* glibc's own aligned_alloc: it has no __libc_ name, and is not memalign
 * everywhere (2.38 refuses an alignment that is not a power of two) */
static void *(*libc_aligned_alloc)(size_t, size_t);

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

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
	return on_alloc(__libc_malloc(n), n);
}

BT_EXPORT void free(void *p)
{
	on_free(p);
	__libc_free(p);
}

BT_EXPORT void cfree(void *p)
{
	free(p);
}

BT_EXPORT void *calloc(size_t n, size_t m)
{
	return on_alloc(__libc_calloc(n, m), n * m);
}

BT_EXPORT void *realloc(void *old, size_t n)
{
	void *p;
	if (!old)
		return malloc(n);
	/* The free first: once realloc returns, another thread may already
	 * have the old address back from malloc. */
	if (UNLIKELY(armed)) {
		size_t oldn = malloc_usable_size(old);
		rec_free(old);
		p = __libc_realloc(old, n);
		if (p)
			return rec_alloc(p, n);
		if (n)
			rec_alloc(old, oldn); /* failed: the old block lives on */
		return p;
	}
	return __libc_realloc(old, n);
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
	return on_alloc(__libc_memalign(align, n), n);
}

/* Whatever glibc's does with the alignment (2.36: memalign's rounding up,
 * so aligned_alloc(24, 48) is memory).  Before our constructor, memalign. */
BT_EXPORT void *aligned_alloc(size_t align, size_t n)
{
	void *(*f)(size_t, size_t) = libc_aligned_alloc;
	return on_alloc(f ? f(align, n) : __libc_memalign(align, n), n);
}

BT_EXPORT int posix_memalign(void **out, size_t align, size_t n)
{
	void *p;
	if (align % sizeof(void *) || !align || (align & (align - 1)))
		return EINVAL;
	p = __libc_memalign(align, n);
	if (!p)
		return ENOMEM;
	*out = on_alloc(p, n);
	return 0;
}

BT_EXPORT void *valloc(size_t n)
{
	return on_alloc(__libc_valloc(n), n);
}

BT_EXPORT void *pvalloc(size_t n)
{
	return on_alloc(__libc_pvalloc(n), n);
}

/* --- C++ operator new and delete (Itanium names, x86-64) -----------------
 * Allocation failure hands over to libstdc++'s own operator for the
 * new_handler loop and std::bad_alloc (it allocates through our malloc,
 * which records the block). */

typedef void *(*new_fn)(size_t);
typedef void *(*new_al_fn)(size_t, size_t);

static void *next_sym(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

#define NEW_PLAIN(sym, nothrow)                                                   \
	BT_EXPORT void *sym(size_t n)                                             \
	{                                                                         \
		void *p = __libc_malloc(n ? n : 1);                               \
		if (UNLIKELY(!p)) {                                               \
			new_fn real = (new_fn)next_sym(#sym);                     \
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
		void *p = al && !(al & (al - 1)) ? __libc_memalign(al, n ? n : 1) : NULL; \
		if (UNLIKELY(!p)) {                                               \
			new_al_fn real = (new_al_fn)next_sym(#sym);               \
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
		__libc_free(p);                                                   \
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
