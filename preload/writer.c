/* writer.c - the compressed record stream and the flusher thread.
 *
 * Threads fill 64 KiB chunks of events without any shared lock; a full
 * chunk is queued here and compressed by the flusher thread, which also
 * wakes every flush_ms to take partial chunks, so a SIGKILL loses at most
 * one interval.  Without the thread (clone refused) the hooked calls
 * themselves flush once an interval has passed.  Records that others
 * depend on (STACK, MODULE_LOAD) are compressed at once under the writer
 * lock, before any chunk that can refer to them is queued: a reader never
 * meets an id before its definition. */
#include <cpuid.h>
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "dynlib.h"
#include "recorder.h"
#include "varint.h"

static pthread_mutex_t wlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static atomic_int wlock_owner; /* tid holding wlock, for the signal path */
static ZSTD_CCtx *cctx;
static int wfd = -1;
static uint8_t outbuf[1 << 17];
static struct bt_chunk *qhead, *qtail, *freelist;
static int queued, allocated;
static int flusher_running;
static pthread_t flusher;

#define QUEUE_WAKE 4    /* wake the flusher when this many chunks wait */
#define MAX_CHUNKS 256  /* 16 MiB: beyond, producers compress themselves */

static int my_tid(void)
{
	static BT_TLS int tid;
	if (!tid)
		tid = (int)gettid();
	return tid;
}

/* Block SIGXFSZ around write: with RLIMIT_FSIZE its default action would
 * kill the traced program; EFBIG is reported instead, and the pending
 * signal is consumed. */
static void write_all(const uint8_t *p, size_t n)
{
	sigset_t xfsz, old;
	sigemptyset(&xfsz);
	sigaddset(&xfsz, SIGXFSZ);
	pthread_sigmask(SIG_BLOCK, &xfsz, &old);
	while (n && wfd >= 0) {
		/* never a descriptor the program has taken over (tracefd.c) */
		int fd = bt_tracefd_get();
		if (fd < 0) {
			wfd = -1;
			bt_give_up("the program took the trace's descriptor; cannot reopen", errno);
			break;
		}
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			int err = w < 0 ? errno : ENOSPC;
			struct timespec zero = { 0, 0 };
			if (!sigismember(&old, SIGXFSZ))
				while (sigtimedwait(&xfsz, NULL, &zero) == SIGXFSZ)
					;
			wfd = -1;
			bt_give_up("cannot write", err);
			break;
		}
		p += w;
		n -= (size_t)w;
	}
	pthread_sigmask(SIG_SETMASK, &old, NULL);
}

/* Compress under wlock; mode is ZSTD_e_continue, _flush or _end. */
static void compress_locked(const void *src, size_t n, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = { src, n, 0 };
	if (!cctx)
		return;
	for (;;) {
		ZSTD_outBuffer out = { outbuf, sizeof outbuf, 0 };
		size_t left = bt_zstd.compressStream2(cctx, &out, &in, mode);
		if (bt_zstd.isError(left)) {
			bt_give_up("compression failed for", EIO);
			return;
		}
		if (out.pos)
			write_all(outbuf, out.pos);
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return;
	}
}

static void wlock_take(void)
{
	pthread_mutex_lock(&wlock);
	atomic_store(&wlock_owner, my_tid());
}

static void wlock_drop(void)
{
	atomic_store(&wlock_owner, 0);
	pthread_mutex_unlock(&wlock);
}

int bt_writer_open(int fd)
{
	uint8_t magic[BT_MAGIC_LEN + 4];
	cctx = bt_zstd.createCCtx();
	if (!cctx)
		return -1;
	bt_zstd.CCtx_setParameter(cctx, ZSTD_c_compressionLevel, bt_cfg.zstd_level);
	bt_zstd.CCtx_setParameter(cctx, ZSTD_c_checksumFlag, 1);
	wfd = fd;
	memcpy(magic, BT_MAGIC, BT_MAGIC_LEN);
	magic[8] = BT_VERSION & 0xff;
	magic[9] = (BT_VERSION >> 8) & 0xff;
	magic[10] = magic[11] = 0;
	wlock_take();
	compress_locked(magic, sizeof magic, ZSTD_e_continue);
	wlock_drop();
	return 0;
}

int bt_writer_is_open(void)
{
	return cctx != NULL;
}

void bt_rec_begin(struct bt_rec *r, uint8_t *buf, size_t cap)
{
	r->p = r->base = buf;
	r->cap = cap;
}

void bt_rec_uvar(struct bt_rec *r, uint64_t v)
{
	if ((size_t)(r->p - r->base) + BT_UVAR_MAX <= r->cap)
		r->p = bt_put_uvar(r->p, v);
}

/* Fields that do not fit are cut short, never overflow the record. */
void bt_rec_bytes(struct bt_rec *r, const void *p, size_t n)
{
	size_t room = r->cap - (size_t)(r->p - r->base);
	if (room < BT_UVAR_MAX)
		return;
	if (n > room - BT_UVAR_MAX)
		n = room - BT_UVAR_MAX;
	r->p = bt_put_uvar(r->p, n);
	memcpy(r->p, p, n);
	r->p += n;
}

static void put_record_locked(int kind, const void *hdr, size_t hn, const void *body, size_t bn)
{
	uint8_t pre[1 + BT_UVAR_MAX];
	uint8_t *e = bt_put_uvar(pre + 1, hn + bn);
	pre[0] = (uint8_t)kind;
	compress_locked(pre, (size_t)(e - pre), ZSTD_e_continue);
	compress_locked(hdr, hn, ZSTD_e_continue);
	if (bn)
		compress_locked(body, bn, ZSTD_e_continue);
}

void bt_write_record(int kind, const struct bt_rec *r)
{
	wlock_take();
	put_record_locked(kind, r->base, (size_t)(r->p - r->base), NULL, 0);
	wlock_drop();
}

/* The calls counted since the last UNRECORDED record (thread.c), under wlock. */
static uint64_t unrecorded_written;
static void put_unrecorded_locked(void)
{
	uint64_t n = atomic_load(&bt_unrecorded_signal);
	uint8_t body[2 * BT_UVAR_MAX], *e = body;
	if (n == unrecorded_written)
		return;
	e = bt_put_uvar(e, BT_UNREC_SIGNAL);
	e = bt_put_uvar(e, n - unrecorded_written);
	put_record_locked(BT_REC_UNRECORDED, body, (size_t)(e - body), NULL, 0);
	unrecorded_written = n;
}

static void put_chunk_locked(const struct bt_chunk *c)
{
	uint8_t hdr[3 * BT_UVAR_MAX], *e = hdr;
	e = bt_put_uvar(e, c->tid);
	e = bt_put_uvar(e, c->first_seq);
	e = bt_put_uvar(e, c->first_ts);
	put_record_locked(BT_REC_EVENTS, hdr, (size_t)(e - hdr), c->data, c->len);
}

/* --- the chunk pool and queue ------------------------------------------ */

/* qlock's owner, like wlock's: a fatal signal's flush must not wait for
 * the lock its own thread holds (the flusher, which takes no signal,
 * does not mark it). */
static atomic_int qlock_owner;

static void qlock_take(void)
{
	pthread_mutex_lock(&qlock);
	atomic_store(&qlock_owner, my_tid());
}

static void qlock_drop(void)
{
	atomic_store(&qlock_owner, 0);
	pthread_mutex_unlock(&qlock);
}

struct bt_chunk *bt_chunk_get(void)
{
	struct bt_chunk *c;
	qlock_take();
	c = freelist;
	if (c) {
		freelist = c->next;
	} else {
		allocated++;
	}
	qlock_drop();
	if (!c) {
		/* mmap, not malloc: the malloc probes must not see our buffers. */
		void *m = mmap(NULL, sizeof *c, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (m == MAP_FAILED) {
			qlock_take();
			allocated--;
			qlock_drop();
			return NULL;
		}
		c = m;
	}
	c->next = NULL;
	c->len = 0;
	return c;
}

void bt_chunk_put(struct bt_chunk *c)
{
	qlock_take();
	c->next = freelist;
	freelist = c;
	qlock_drop();
}

static void drain_queue_locked_w(void);

void bt_chunk_queue(struct bt_chunk *c)
{
	int n, wake = 0;
	qlock_take();
	c->next = NULL;
	if (qtail)
		qtail->next = c;
	else
		qhead = c;
	qtail = c;
	n = ++queued;
	wake = n >= QUEUE_WAKE;
	if (wake)
		pthread_cond_signal(&qcond);
	qlock_drop();
	/* Back-pressure: the flusher cannot keep up, so this producer pays. */
	if (n > MAX_CHUNKS || (!flusher_running && n >= QUEUE_WAKE)) {
		wlock_take();
		drain_queue_locked_w();
		wlock_drop();
	}
}

struct bt_chunk *bt_chunk_dequeue_all(void)
{
	struct bt_chunk *c;
	qlock_take();
	c = qhead;
	qhead = qtail = NULL;
	queued = 0;
	qlock_drop();
	return c;
}

/* The flusher, once it compressed a chunk: its lines out of this CPU's
 * caches.  The recording thread writes the chunk again next, on another
 * CPU, and each of its stores had to take the line back from here first:
 * on B1 of `make bench` (2 CPUs) that was 10 of some 62 ns an event, and
 * evicting costs the flusher alone (docs/performance.md, fifth pass).
 * CLFLUSHOPT only, where the CPU has it (CPUID 7: EBX bit 23): a hint,
 * nothing depends on it being done. */
static BT_TLS int evict_chunks; /* the flusher's, where CLFLUSHOPT is */

__attribute__((target("clflushopt"))) static void evict(const struct bt_chunk *c)
{
	for (size_t o = 0; o < c->len; o += 64)
		__builtin_ia32_clflushopt((void *)(uintptr_t)(c->data + o));
	__builtin_ia32_clflushopt((void *)(uintptr_t)(c->data + c->len - (c->len > 0)));
}

static void drain_queue_locked_w(void)
{
	struct bt_chunk *c = bt_chunk_dequeue_all();
	while (c) {
		struct bt_chunk *next = c->next;
		put_chunk_locked(c);
		if (evict_chunks)
			evict(c);
		bt_chunk_put(c);
		c = next;
	}
}

static void flush_with(int how, int end_frame)
{
	bt_threads_detach_chunks(how);
	wlock_take();
	drain_queue_locked_w();
	put_unrecorded_locked();
	compress_locked(NULL, 0, end_frame ? ZSTD_e_end : ZSTD_e_flush);
	wlock_drop();
}

void bt_writer_flush(int end_frame)
{
	flush_with(BT_DETACH_WAIT, end_frame);
}

/* Fatal signal: the interrupted code may hold any of our locks.  Try each
 * for a bounded time (another thread will let go); if this very thread
 * holds the writer, give up rather than corrupt the stream. */
void bt_writer_emergency(void)
{
	int tries;
	if (atomic_load(&wlock_owner) == my_tid() || atomic_load(&qlock_owner) == my_tid())
		return;
	for (tries = 0; tries < 2000 && pthread_mutex_trylock(&wlock) != 0; tries++)
		usleep(100);
	if (tries == 2000)
		return;
	atomic_store(&wlock_owner, my_tid());
	bt_threads_detach_chunks(BT_DETACH_SKIP);
	if (pthread_mutex_trylock(&qlock) == 0) {
		pthread_mutex_unlock(&qlock);
		drain_queue_locked_w();
	}
	put_unrecorded_locked();
	compress_locked(NULL, 0, ZSTD_e_end);
	wlock_drop();
}

static uint64_t interval_ns(void)
{
	return (uint64_t)bt_cfg.flush_ms * 1000000u;
}

static void *flusher_main(void *arg)
{
	/* The deadline is absolute: wake-ups for full chunks do not put the
	 * periodic flush off, so no event waits longer than one interval. */
	uint64_t due = bt_now_ns() + interval_ns();
	(void)arg;
	bt_thread_never_record(); /* its allocations are ours, not the program's */
	{
		unsigned a, b, cc, d;
		evict_chunks = __get_cpuid_count(7, 0, &a, &b, &cc, &d) && (b & (1u << 23));
	}
	bt_clock_calibrate();
	pthread_mutex_lock(&qlock);
	while (atomic_load(&bt_state) == BT_ON) {
		if (queued < QUEUE_WAKE) {
			struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
			pthread_cond_clockwait(&qcond, &qlock, CLOCK_MONOTONIC, &ts);
		}
		pthread_mutex_unlock(&qlock);
		if (atomic_load(&bt_state) != BT_ON) {
			pthread_mutex_lock(&qlock);
			break;
		}
		uint64_t now = bt_now_ns();
		bt_clock_calibrate();
		if (now >= due) {
			/* the periodic flush: partial chunks too, and out to the file */
			flush_with(BT_DETACH_BRIEF, 0);
			due = now + interval_ns();
		} else {
			/* Take the other threads' partial chunks along with the full
			 * ones: an idle thread's few old events would otherwise reach
			 * the file a whole flush interval late, and a reader would
			 * have to hold everything written meanwhile to put events
			 * back in order.  This keeps the file ordered to within about
			 * a chunk per thread.  Threads in the middle of an event are
			 * not waited for: their chunks come with the next batch. */
			bt_threads_detach_chunks(BT_DETACH_SKIP);
			wlock_take();
			drain_queue_locked_w();
			wlock_drop();
		}
		pthread_mutex_lock(&qlock);
	}
	pthread_mutex_unlock(&qlock);
	return NULL;
}

/* Without a flusher thread the hooked calls flush: the first to see the
 * interval passed does what the flusher would have (bt_writer_due). */
atomic_uint_least64_t bt_flush_due;

void bt_writer_due(uint64_t now)
{
	uint64_t due = atomic_load_explicit(&bt_flush_due, memory_order_relaxed);
	if (!due || now < due || !atomic_compare_exchange_strong(&bt_flush_due, &due, now + interval_ns()))
		return;
	flush_with(BT_DETACH_SKIP, 0);
}

void bt_flusher_start(void)
{
	pthread_attr_t attr;
	sigset_t all, old;
	int err;
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	pthread_attr_setstacksize(&attr, 256 * 1024);
	/* The flusher must never take a signal meant for the program. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	err = pthread_create(&flusher, &attr, flusher_main, NULL);
	flusher_running = err == 0;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	pthread_attr_destroy(&attr);
	if (flusher_running) {
		pthread_setname_np(flusher, "buftrace-flush");
		atomic_store(&bt_flush_due, 0);
	} else {
		/* clone refused (seccomp, a pids limit): the program goes on,
		 * and its own hooked calls write the trace */
		bt_log("buftrace: cannot start the flusher thread: %s; hooked calls write the trace every %d ms "
		       "instead, and a SIGKILL loses what was recorded since the last",
		       strerror(err), bt_cfg.flush_ms);
		atomic_store(&bt_flush_due, bt_now_ns() + interval_ns());
	}
}

/* After fork, in the child: a chunk the thread state held.  A thread gone
 * with the fork may have queued it without yet letting go of it (or the
 * flusher may have been taking it): it may be in the pool already, and
 * must not be twice.  Called after bt_writer_reset_after_fork. */
void bt_chunk_reclaim_after_fork(struct bt_chunk *c)
{
	int n = 0;
	for (struct bt_chunk *f = freelist; f && n <= allocated; f = f->next, n++)
		if (f == c)
			return;
	c->next = freelist;
	freelist = c;
}

void bt_writer_reset_after_fork(void)
{
	pthread_mutex_init(&wlock, NULL);
	pthread_mutex_init(&qlock, NULL);
	atomic_store(&qlock_owner, 0);
	pthread_cond_init(&qcond, NULL);
	atomic_store(&wlock_owner, 0);
	if (cctx)
		bt_zstd.freeCCtx(cctx);
	cctx = NULL;
	wfd = -1;
	/* The parent's queued chunks are the parent's: recycle them. */
	while (qhead) {
		struct bt_chunk *n = qhead->next;
		qhead->next = freelist;
		freelist = qhead;
		qhead = n;
	}
	qtail = NULL;
	queued = 0;
	flusher_running = 0;
	atomic_store(&bt_flush_due, 0);
	unrecorded_written = 0;
}
