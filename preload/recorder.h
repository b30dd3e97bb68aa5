/* recorder.h - internal contract between the modules of libbuftrace.so.
 *
 *   config.c    environment -> bt_cfg, secure-exec check
 *   session.c   lazy start at the first hooked event, file creation,
 *               exit/_exit/exec/fork/fatal-signal handling
 *   procname.c  the program's name in the trace file's name
 *   writer.c    the zstd stream, records, the flusher thread
 *   tracefd.c   the trace's descriptor: checked before each use, reopened
 *   thread.c    per-thread event chunks (the hot path)
 *   stacks.c    native backtraces and their interning
 *   arena.c     memory for what interning keeps (contract: arena.h)
 *   unwind.c    the stack walker (contract: unwind.h), libunwind behind it
 *   blocks.c    address -> block number for the malloc probes
 *   modules.c   the module map, dlopen/dlclose, ELF dynamic tables
 *   resolve.c   finding the real functions; name matching; slot patching
 *   hooks_ttmetal.c  the exported tt-metal entry points
 *
 * Nothing here is exported: the library is built -fvisibility=hidden and
 * only BT_EXPORT symbols (the hooked names) are visible. */
#ifndef BT_RECORDER_H
#define BT_RECORDER_H

#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include "hook_table.h"
#include "settings.h"
#include "trace_format.h"

#define BT_EXPORT __attribute__((visibility("default")))
#define BT_TLS _Thread_local __attribute__((tls_model("initial-exec")))
#define BT_CHUNK_SIZE (64 * 1024)

/* pthread_once whose result, once done, is read without a call (on the
 * path of every event).  The flag is set after pthread_once returns, so a
 * thread that reads it set knows the function has finished. */
struct bt_once {
	pthread_once_t once;
	atomic_int done;
};
#define BT_ONCE_INIT { PTHREAD_ONCE_INIT, 0 }
static inline void bt_once(struct bt_once *o, void (*fn)(void))
{
	if (!atomic_load_explicit(&o->done, memory_order_acquire)) {
		pthread_once(&o->once, fn);
		atomic_store_explicit(&o->done, 1, memory_order_release);
	}
}

/* A shortcut that keeps failing (stacks that seldom repeat: workload A
 * varied), where trying it costs each event something: after
 * BT_SKIP_MISSES tries in a row that missed, only one in BT_SKIP_SAMPLE
 * tries it, until one hits again.  bt_skip_try says whether to try;
 * bt_skip_hit and bt_skip_missed report how a try went. */
#define BT_SKIP_MISSES 64
#define BT_SKIP_SAMPLE 8
struct bt_skip {
	unsigned misses, tick;
};
static inline int bt_skip_try(struct bt_skip *s)
{
	return s->misses < BT_SKIP_MISSES || !(++s->tick & (BT_SKIP_SAMPLE - 1));
}
static inline void bt_skip_hit(struct bt_skip *s)
{
	s->misses = 0;
}
static inline void bt_skip_missed(struct bt_skip *s)
{
	if (s->misses < BT_SKIP_MISSES)
		s->misses++;
}

struct bt_config {
	char outdir[PATH_MAX];
	char manifest[PATH_MAX]; /* BUFTRACE_MANIFEST: append each trace path here */
	int depth;               /* frames per backtrace */
	int flush_ms;            /* periodic flush interval */
	int zstd_level;
	int python;              /* record Python stacks */
	int probe_malloc;        /* libc allocation probes */
	int disabled;            /* BUFTRACE_DISABLE, secure-exec */
	int debug;               /* BUFTRACE_DEBUG: say what happens */
	int unwind_global;       /* BUFTRACE_UNWIND_CACHE=global */
	int unwind_libunwind;    /* BUFTRACE_UNWIND=libunwind: not our walker */
	int clock_system;        /* BUFTRACE_CLOCK=system: no TSC (clock.c) */
	unsigned char hook_off[BT_HOOK_COUNT]; /* BUFTRACE_HOOKS_OFF: pass through unrecorded */
};
extern struct bt_config bt_cfg;
void bt_config_load(void);
void bt_config_say(void); /* the settings clamped at load, once: by bt_start */

enum bt_state { BT_IDLE, BT_ON, BT_DEAD };
extern _Atomic int bt_state;
/* global event order: every event of every thread takes a number, so it
 * has a cache line of its own, away from bt_state (read by every call) */
extern struct bt_seq_line {
	_Alignas(64) atomic_uint_least64_t n;
	char pad[56];
} bt_seq_line;
#define bt_seq (bt_seq_line.n)

/* session.c */
int bt_start(void);          /* 0 when recording; idempotent */
void bt_finish(int clean);   /* final flush; clean adds HOOK_STATS + END */
void bt_give_up(const char *what, int err); /* one line on stderr, stop */
uint64_t bt_now_ns(void); /* clock.c: CLOCK_MONOTONIC, from the system */
uint64_t bt_realtime_ns(void); /* clock.c: CLOCK_REALTIME, likewise */
/* clock.c: the same clock for event stamps, from the TSC where it can be
 * (to within microseconds); the flusher fits it at each wake */
uint64_t bt_event_ns(void);
void bt_clock_init(void);
void bt_clock_calibrate(void);
void bt_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* procname.c: the program's name for its trace file, safe as a file name
 * whatever argv holds; taken at the first call (the constructor's) */
const char *bt_program_name(void);

/* writer.c */
struct bt_rec { uint8_t *p, *base; size_t cap; };
int bt_writer_open(int fd);
int bt_writer_is_open(void);
void bt_rec_begin(struct bt_rec *r, uint8_t *buf, size_t cap);
void bt_rec_uvar(struct bt_rec *r, uint64_t v);
void bt_rec_bytes(struct bt_rec *r, const void *p, size_t n);  /* uvar len + bytes */
void bt_write_record(int kind, const struct bt_rec *r);   /* takes the writer lock */
void bt_writer_flush(int end_frame);  /* drain all threads, compress, write */
void bt_writer_emergency(void);       /* async-signal path, never blocks long */
void bt_writer_reset_after_fork(void);
void bt_flusher_start(void);   /* says so on stderr when it cannot */
/* Nonzero only without a flusher thread: when the next hooked call must
 * flush (bt_writer_due, from the calling thread, outside an event). */
extern atomic_uint_least64_t bt_flush_due;
void bt_writer_due(uint64_t now);

/* tracefd.c: the trace file's descriptor, in a table the program owns */
int bt_tracefd_adopt(int fd, const char *path); /* just created: moved high; -1 if unusable */
int bt_tracefd_get(void);     /* still the trace file, or reopened; -1 (errno): lost */
void bt_tracefd_release(void); /* closed if still ours, forgotten (fork child) */

/* thread.c: the per-thread state */
struct bt_chunk {
	struct bt_chunk *next;
	uint32_t tid;
	uint64_t first_seq, first_ts, last_seq, last_ts;
	size_t len;
	int probe_started;        /* compact probe events: BLOCKS written */
	uint32_t malloc_stack;    /* stack of the chunk's last compact MALLOC */
	uint8_t data[BT_CHUNK_SIZE];
};
/* blocks.c: the live blocks a thread allocated, address -> block number */
struct bt_blockmap {
	atomic_int lock;
	uint32_t used, mask; /* mask: capacity - 1, 0 before the first block */
	struct bt_block_slot *slots;
	struct bt_block_slot *front; /* the young blocks, direct-mapped */
};

/* frames a walk may return: the depth asked, plus our own (stacks.c) */
#define BT_WALK_MAX (BT_MAX_DEPTH + 16)
struct bt_thread {
	atomic_int active;        /* the owner is writing an event (thread.c) */
	atomic_int steal;         /* the flusher wants the chunk (thread.c) */
	int in_hook;              /* re-entrancy guard */
	int registered;
	uint32_t tid;
	struct bt_chunk *chunk;
	uint64_t counts[BT_HOOK_COUNT];
	uint64_t block_next, block_end; /* malloc probes: this thread's block numbers */
	int block_jump;           /* a new range: BLOCKS before the next probe event */
	unsigned probe_clock;     /* probe events since the last clock reading */
	/* thread.c: each hook's last arguments in the current chunk, the base
	 * of the next event's deltas (trace_format.h, version 3); a row is
	 * the chunk's when its dgen is chunk_gen, else all 0 */
	uint32_t chunk_gen;
	uint32_t dgen[BT_HOOK_COUNT];
	uint64_t dprev[BT_HOOK_COUNT][BT_DELTA_ARGS];
	void *recent_stacks;      /* stacks.c: the thread's last stacks */
	void *walk_ips[BT_WALK_MAX]; /* stacks.c: the walk in progress, off the program's stack */
	struct bt_unwinder *unwinder; /* stacks.c: the walker's state (unwind.h) */
	int no_loader;            /* stacks.c: its last walk met a signal frame (unwind.h) */
	struct bt_skip recent_skip; /* stacks.c: the last stacks, where they keep missing */
	struct bt_blockmap blocks __attribute__((aligned(64))); /* blocks.c */
	struct bt_thread *free_hint; /* blocks.c: where the last foreign free was found */
	struct bt_thread *next;   /* all threads, for the flusher */
	atomic_int exited;
	void *alt_stack;          /* thread.c: our signal stack, kept with the state from thread to thread */
	/* resolve.c: calls made through a trampoline that waits for their
	 * return (innermost last), by the trampoline's frame address */
	struct { uint64_t frame; uint32_t stack, pystack; } tramp[16];
	int ntramp;
	/* pystack.c: the Python scope of the outermost hooked call in
	 * progress on this thread (bt_pystack_capture_t) */
	struct bt_pyscope { void *frame; uintptr_t sp; uint32_t id, gen; } py_scope;
	/* pystack.c: the slow walk's buffers (23 KiB), made at its first use:
	 * not on the program's stack, which may be Python's 32 KiB minimum */
	void *py_scratch;
};
void bt_threads_init(void);              /* at start, before the state is ON */
struct bt_thread *bt_thread_enter(void); /* NULL: do not record here */
/* bt_thread_enter for a hooked runtime call: one that cannot be recorded
 * because it was made inside the recorder's work on its thread (only a
 * signal handler can do that) is counted in bt_unrecorded_signal, for the
 * UNRECORDED record (writer.c).  Not the malloc probes: the recorder's own
 * allocations re-enter those all the time. */
struct bt_thread *bt_thread_enter_call(void);
extern atomic_uint_least64_t bt_unrecorded_signal;
void bt_thread_leave(struct bt_thread *t);
void bt_thread_busy(int delta);          /* +1/-1 around recorder work outside a hook */
int bt_thread_reentered(void);           /* inside the recorder already (signal handler) */
/* The calling thread's current hooked call runs in a signal handler (its
 * walk went through a signal frame), which may have interrupted the
 * loader holding its lock: no dl_iterate_phdr, dlsym, dladdr, libunwind. */
int bt_thread_no_loader(void);
void bt_thread_never_record(void);       /* the calling thread, for good */
void bt_emit_event(struct bt_thread *t, enum bt_hook_id hook, unsigned flags, uint32_t stack,
		   uint32_t pystack, const uint64_t *args, int nargs);
/* The malloc probes' compact events (trace_format.h): an allocation gets
 * the next block number, which is mapped from its address until the free
 * that names it.  Both take the calling thread's state from bt_thread_enter. */
void bt_emit_malloc(struct bt_thread *t, uint32_t stack, uint64_t addr, uint64_t size);
void bt_emit_free(struct bt_thread *t, uint32_t stack, uint64_t addr);
struct bt_chunk *bt_chunk_get(void);
void bt_chunk_put(struct bt_chunk *c);
void bt_chunk_reclaim_after_fork(struct bt_chunk *c); /* back to the pool, once */
void bt_chunk_queue(struct bt_chunk *c);       /* hand a filled chunk to the writer */
struct bt_chunk *bt_chunk_dequeue_all(void);  /* FIFO list */
/* Queue every thread's partial chunk.  A thread in the middle of an event
 * is skipped (SKIP: the signal path, where that may be the interrupted
 * caller itself), waited for (WAIT: the final flush), or waited for a
 * moment (BRIEF: the periodic flush, which must not leave it a whole
 * interval more). */
enum { BT_DETACH_SKIP, BT_DETACH_WAIT, BT_DETACH_BRIEF };
void bt_threads_detach_chunks(int how);
void bt_threads_sum_counts(uint64_t *out);
void bt_threads_reset_after_fork(void); /* the calling thread stays busy... */
void bt_threads_fork_prepare(void);     /* the forking thread busy: see thread.c */
void bt_threads_fork_done(void);        /* ...until this, in parent and child */
extern struct bt_thread *_Atomic bt_all_threads;

/* stacks.c */
/* The caller's stack, own frames cut, interned; 0 when none.  t: the
 * calling thread's state, inside the re-entrancy guard (bt_thread_enter):
 * the walker keeps per-thread state in it. */
uint32_t bt_stack_capture_t(struct bt_thread *t);
void bt_stacks_say(void); /* BUFTRACE_DEBUG: how the walks went */
void bt_stacks_reset(void);

/* blocks.c: address -> block number of the live blocks (malloc probes) */
int bt_blocks_put(struct bt_blockmap *m, uint64_t addr, uint64_t block); /* -1: no memory */
/* 1 and removed from whichever thread's map holds it, or 0 */
int bt_blocks_take(struct bt_thread *self, uint64_t addr, uint64_t *block);
void bt_blocks_reset(void);                         /* after fork */
extern atomic_uint_least64_t bt_block_ranges;       /* next unused range */

/* modules.c */
struct bt_module {
	uint32_t id;
	uint64_t bias, lo, hi;
	const void *dynamic;          /* PT_DYNAMIC, runtime address */
	uint64_t relro_lo, relro_hi;  /* PT_GNU_RELRO: read-only after relocation */
	char path[PATH_MAX];
	unsigned char build_id[64];
	size_t build_id_len;
	int alive, self, scanned, recorded;
	int recorder; /* ours, or another copy of the recorder (exports buftrace_recorder) */
	int patch_scanned, patched_upto; /* resolve.c: names matched, slots patched */
};
void bt_modules_scan(void);          /* record loads/unloads since last scan */
int bt_modules_contains(uint64_t ip);/* a known module covers ip */
int bt_module_is_self(uint64_t ip);
extern uint64_t bt_self_base, bt_self_span;
/* the hot-path form: one compare once the range is known */
static inline int bt_is_self_fast(uint64_t ip)
{
	return bt_self_span ? ip - bt_self_base < bt_self_span : bt_module_is_self(ip);
}
int bt_modules_unmapping(void);     /* this thread is in dlclose, objects half gone */
void bt_modules_reset(void);
extern atomic_uint bt_dl_epoch;      /* bumped by dlopen/dlclose */
extern atomic_uint bt_dl_unloads;    /* bumped by dlclose */
extern unsigned bt_unload_epoch;
/* Iterate the alive modules under the module lock. */
void bt_modules_foreach(void (*fn)(struct bt_module *, void *), void *arg);

/* elfdyn.c: the dynamic tables of a loaded object */
const void *bt_dyn_lookup(const struct bt_module *m, const char *name); /* defined symbol */
/* a data symbol (a vtable), and its size */
const void *bt_dyn_lookup_object(const struct bt_module *m, const char *name, size_t *size);
void bt_dyn_foreach_symbol(const struct bt_module *m,
			   void (*fn)(const struct bt_module *, const char *name, uint64_t addr, void *),
			   void *arg);
int bt_dyn_patch_slots(const struct bt_module *m, const char *name, void *to);

/* resolve.c */
/* IDevice::id() through an object's vtable: vptr is the class vtable's
 * address point, fn its id() slot; both 0 until found safe. */
struct bt_vcall {
	_Atomic uint64_t vptr, fn;
};
struct bt_target {
	const char *symbol;
	void *_Atomic real;
	unsigned epoch;
	enum bt_hook_id hook;
	unsigned missing;  /* 1 + bt_dl_epoch when last looked for in vain */
	struct bt_layout layout; /* the fields' places, from `symbol` itself */
	struct bt_vcall vcall;   /* for a chipid field: set when resolved */
};
void *bt_resolve(struct bt_target *t);
/* Find the vtable of the class `sym` is a member of, in the object that
 * defines `real`, and check that its slot 3 is IDevice::id() (2025-01-08
 * on): destructors in slots 0 and 1, slot 3 in that object's code and, if
 * it has a name, an `id() const`. */
void bt_vcall_setup(struct bt_vcall *vc, const char *sym, uint64_t real);
void bt_resolve_report(void);        /* HOOK_RESOLVED records, name matching */
void *bt_find_symbol(const char *name);
/* The same for a data object (STT_OBJECT), such as libpython's None. */
void *bt_find_object(const char *name);
void bt_resolve_reset(void);

/* pystack.c: the Python stack of a hooked call of thread t (its state
 * held, bt_thread_enter), interned; 0 if none.  sp: an address in the
 * call's frame (a call nested in it is deeper).
 * Where `opened` is given and no scope is open on t, a call that finds a
 * Python stack opens one: until the call closes it
 * (bt_pystack_scope_close, on return and when an exception leaves), a
 * call nested in it whose interpreter frame is still the one it was made
 * from has its Python stack without a walk.  *opened says whether it
 * did. */
uint32_t bt_pystack_capture_t(struct bt_thread *t, const void *sp, int *opened);
/* what bt_pystack_capture_t returns for a Python thread that released the
 * GIL (its stack cannot be read without it); bt_emit_event writes it as
 * the event flag BT_EV_NO_GIL */
#define BT_PY_NOGIL UINT32_MAX
void bt_pystack_scope_close(struct bt_thread *t, const void *sp);
void bt_pystack_reset(void);

/* resolve.c: what our dlsym returns for `name` the loader found at
 * `found`: the trampoline of a patched C entry point, else found. */
void *bt_resolve_dlsym(const char *name, void *found);

/* hooks_ttmetal.c */
uint64_t bt_call(struct bt_target *t, const uint64_t a[BT_ARG_SLOTS]);
/* The fields of one call (a: argument slots, see sigdecode.h); returns
 * their count, 0 when the layout is unknown. */
int bt_decode(const struct bt_layout *l, const struct bt_vcall *vc, const uint64_t *a, int after, int exit,
	      uint64_t ret,
	      uint64_t *out);

#endif
