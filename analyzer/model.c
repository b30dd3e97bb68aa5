/* model.c - see model.h. */
#include <dirent.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include "leaks.h"
#include "settings.h"
#include "timeline.h"
#include "model.h"
#include "model_internal.h"
#include "xalloc.h"
#include "trace_format.h"
#include "trace_reader.h"

#define REORDER_MAX (4u << 20) /* events held back waiting for a missing seq */
#define MAX_SCOPES 32

struct ev {
	uint64_t seq, ts;
	uint32_t tid, stack, pystack;
	uint16_t hook;
	uint8_t flags, nargs;
	uint64_t args[6];
};

struct tq {
	uint32_t tid;
	struct ev *ev;
	size_t head, tail, cap;
	size_t active; /* its place in priv.active + 1 while it holds events, else 0 */
};

/* Thread id -> its state (open addressing): a process may have tens of
 * thousands of threads over its life (one per request), and each event
 * finds its own by id. */
struct tidmap {
	struct tidslot {
		uint32_t tid;
		void *v; /* NULL: empty */
	} *s;
	size_t cap, n;
};

struct scope {
	int hook;
	uint64_t obj;
};

struct thread {
	uint32_t tid;
	int depth;
	struct scope scopes[MAX_SCOPES];
	/* a Buffer::create seen without its result (matched by name only) */
	int pending;
	struct buffer pending_buf;
	/* MeshBuffer::create calls in progress: the id of the innermost */
	uint64_t mb_stack[8];
	int mb_depth;
	uint64_t last_made;     /* created_seq + 1 of the last buffer it showed */
	struct thread *next;
};

struct priv {
	struct tq **tq;           /* per-thread FIFOs of events held back */
	size_t ntq, tq_cap, held;
	struct tidmap tq_by_tid;
	struct tq **active;       /* the FIFOs holding events: drain looks at these only */
	size_t nactive;
	uint64_t next_seq;
	int seq_started;
	struct thread *threads;
	struct tidmap thread_by_tid;
	uint64_t records;
	uint64_t pending_devices[256];
	int npending_devices;
	int have_header;
};

/* --- small helpers ------------------------------------------------------- */

static uint64_t hash_ptr(uint64_t p)
{
	p ^= p >> 33;
	p *= 0xff51afd7ed558ccdull;
	p ^= p >> 33;
	return p;
}

struct device *model_device(struct model *m, uint64_t ptr)
{
	for (struct device *d = m->devices; d; d = d->next)
		if (d->ptr == ptr)
			return d;
	return NULL;
}

static struct device *device_new(struct model *m, uint64_t ptr)
{
	struct device *d = xcalloc(1, sizeof *d);
	d->ptr = ptr;
	d->chip_id = d->mesh_id = -1;
	d->next = m->devices; /* first: model_device finds the latest */
	m->devices = d;
	return d;
}

static struct device *device_get(struct model *m, uint64_t ptr)
{
	struct device *d = model_device(m, ptr);
	return d ? d : device_new(m, ptr);
}

/* A device object made (or opened) at ptr: a closed record there was an
 * earlier device, whose memory the runtime gave again, or this one's last
 * open; either way its close stays its own. */
static struct device *device_made(struct model *m, uint64_t ptr)
{
	struct device *d = model_device(m, ptr);
	return d && !d->closed ? d : device_new(m, ptr);
}

struct device *model_buffer_device(struct model *m, const struct buffer *b)
{
	/* the device made known only after the buffer (a close of one
	 * created before recording): the latest record is the only one */
	return b->dev ? b->dev : b->device ? model_device(m, b->device) : NULL;
}

int64_t model_device_id(const struct device *d)
{
	if (!d)
		return -1;
	return d->chip_id >= 0 ? d->chip_id : d->mesh_id;
}

const struct buffer *model_kept_find(const struct model *m, uint64_t obj, uint64_t seq)
{
	const struct buffer *found = NULL;
	for (const struct buffer *b = m->kept; b && b->created_seq < seq; b = b->next)
		if (b->obj == obj)
			found = b;
	return found;
}

const char *model_close_name(int close_hook)
{
	return close_hook >= 0 && close_hook < BT_HOOK_COUNT ? bt_hooks[close_hook].name : "process exit";
}

int64_t model_mesh_id(const struct device *d)
{
	if (!d)
		return -1;
	if (d->is_mesh)
		return d->mesh_id;
	return d->mesh ? d->mesh->mesh_id : -1;
}

static void anomaly(struct model *m, const char *kind, uint32_t stack, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void anomaly(struct model *m, const char *kind, uint32_t stack, const char *fmt, ...)
{
	char msg[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	/* one entry per kind and stack, counted */
	for (struct anomaly *a = m->anomalies; a; a = a->next)
		if (a->kind == kind && a->stack == stack) {
			a->count++;
			return;
		}
	struct anomaly *a = xcalloc(1, sizeof *a);
	a->kind = kind;
	a->message = xstrndup(msg, strlen(msg));
	a->stack = stack;
	a->count = 1;
	a->next = m->anomalies;
	m->anomalies = a;
}

/* --- live buffers -------------------------------------------------------- */

static struct buffer *live_find(struct model *m, uint64_t obj)
{
	if (!m->live_cap)
		return NULL;
	for (struct buffer *b = m->live[hash_ptr(obj) & (m->live_cap - 1)]; b; b = b->hnext)
		if (b->obj == obj)
			return b;
	return NULL;
}

static void live_insert(struct model *m, struct buffer *b)
{
	if (m->live_count * 2 >= m->live_cap) {
		size_t nc = m->live_cap ? m->live_cap * 2 : 1024;
		struct buffer **nl = xcalloc(nc, sizeof *nl);
		for (size_t i = 0; i < m->live_cap; i++)
			for (struct buffer *x = m->live[i], *nx; x; x = nx) {
				nx = x->hnext;
				x->hnext = nl[hash_ptr(x->obj) & (nc - 1)];
				nl[hash_ptr(x->obj) & (nc - 1)] = x;
			}
		free(m->live);
		m->live = nl;
		m->live_cap = nc;
	}
	b->hnext = m->live[hash_ptr(b->obj) & (m->live_cap - 1)];
	m->live[hash_ptr(b->obj) & (m->live_cap - 1)] = b;
	if (++m->live_count > m->live_peak)
		m->live_peak = m->live_count;
}

static void live_remove(struct model *m, struct buffer *b)
{
	struct buffer **pp = &m->live[hash_ptr(b->obj) & (m->live_cap - 1)];
	for (; *pp; pp = &(*pp)->hnext)
		if (*pp == b) {
			*pp = b->hnext;
			m->live_count--;
			return;
		}
}

static void keep(struct model *m, struct buffer *b)
{
	/* kept list in creation order: append */
	struct buffer **pp = &m->kept;
	while (*pp && (*pp)->created_seq <= b->created_seq)
		pp = &(*pp)->next;
	b->next = *pp;
	*pp = b;
}

static struct timeline *timeline_of(struct model *m)
{
	if (!m->timeline) {
		m->timeline = xcalloc(1, sizeof *m->timeline);
		timeline_init(m->timeline, m->start_ns, TL_BUCKETS);
		m->by_stack = xcalloc(1, sizeof *m->by_stack);
		timeline_init(m->by_stack, m->start_ns, TL_STACK_BUCKETS);
	}
	return m->timeline;
}

/* Heap size over time (malloc probes).  Probe events come in arrival
 * order, not time order across threads: a sample is as close as that. */
static void heap_sample(struct model *m, uint64_t ts)
{
	if (m->leaks)
		timeline_set(timeline_of(m), TL_HOST_HEAP, 5, ts, (int64_t)m->leaks->live.bytes, (int64_t)m->leaks->live.live);
}

/* The timeline counts a buffer's size on its device and type while its
 * memory is allocated (the survivors' rule: not deallocated). */
static void tl_sync(struct model *m, struct buffer *b, uint64_t ts, int gone)
{
	int64_t want = gone || b->deallocated ? 0 : (int64_t)b->size;
	uint64_t stack = (uint64_t)b->create_pystack << 32 | b->create_stack;
	uint64_t dev = model_track_key(b->dev);
	if (b->tl_bytes &&
	    (b->tl_dev != dev || b->tl_type != b->type || b->tl_stack != stack || want != b->tl_bytes)) {
		timeline_add(m->timeline, b->tl_dev, b->tl_type, ts, -b->tl_bytes, -1);
		timeline_add(m->by_stack, b->tl_stack, 0, ts, -b->tl_bytes, -1);
		b->tl_bytes = 0;
	}
	if (want && !b->tl_bytes) {
		timeline_add(timeline_of(m), dev, b->type, ts, want, 1);
		timeline_add(m->by_stack, stack, 0, ts, want, 1);
		b->tl_bytes = want;
		b->tl_dev = dev;
		b->tl_type = b->type;
		b->tl_stack = stack;
	}
}

/* The object is gone: keep it if it outlived its device, else forget it. */
static void finish(struct model *m, struct buffer *b, enum fate fate, uint64_t ts, uint32_t stack)
{
	tl_sync(m, b, ts, 1);
	live_remove(m, b);
	b->fate = fate;
	b->destroyed_ns = ts;
	b->destroy_stack = stack;
	if (b->survivor || b->dangling)
		keep(m, b);
	else
		free(b);
}

static size_t tid_slot(uint32_t tid, size_t cap)
{
	return (size_t)(((uint64_t)tid * 0x9e3779b97f4a7c15ull) >> 32) & (cap - 1);
}

static void *tidmap_get(const struct tidmap *mp, uint32_t tid)
{
	if (!mp->cap)
		return NULL;
	for (size_t i = tid_slot(tid, mp->cap);; i = (i + 1) & (mp->cap - 1)) {
		if (!mp->s[i].v)
			return NULL;
		if (mp->s[i].tid == tid)
			return mp->s[i].v;
	}
}

/* tid is not in the map yet */
static void tidmap_put(struct tidmap *mp, uint32_t tid, void *v)
{
	size_t i;
	if ((mp->n + 1) * 2 > mp->cap) {
		struct tidmap g = { NULL, mp->cap ? mp->cap * 2 : 64, 0 };
		g.s = xcalloc(g.cap, sizeof *g.s);
		for (size_t k = 0; k < mp->cap; k++)
			if (mp->s[k].v)
				tidmap_put(&g, mp->s[k].tid, mp->s[k].v);
		free(mp->s);
		*mp = g;
	}
	for (i = tid_slot(tid, mp->cap); mp->s[i].v; i = (i + 1) & (mp->cap - 1))
		;
	mp->s[i].tid = tid;
	mp->s[i].v = v;
	mp->n++;
}

static void tidmap_free(struct tidmap *mp)
{
	free(mp->s);
	memset(mp, 0, sizeof *mp);
}

static struct thread *thread_get(struct priv *p, uint32_t tid)
{
	struct thread *t = tidmap_get(&p->thread_by_tid, tid);
	if (t)
		return t;
	t = xcalloc(1, sizeof *t);
	t->tid = tid;
	t->next = p->threads;
	p->threads = t;
	tidmap_put(&p->thread_by_tid, tid, t);
	return t;
}

static int is_open_hook(int h)
{
	return h == BT_HOOK_MESH_CREATE || h == BT_HOOK_MESH_CREATE_UNIT || h == BT_HOOK_TTNN_OPEN_MESH ||
	       h == BT_HOOK_DEVICE_CREATE || h == BT_HOOK_DEVICE_INITIALIZE;
}

/* A buffer object seen for the first time, by whichever event came
 * first: with unity builds any of them may be the only one we get. */
static struct buffer *buffer_for(struct model *m, struct thread *t, const struct ev *e, uint64_t obj)
{
	struct buffer *b = live_find(m, obj);
	if (b)
		return b;
	b = xcalloc(1, sizeof *b);
	b->obj = obj;
	b->type = -1;
	b->usage = b->mem_type = b->heap = -1;
	b->owns_data = -1;
	b->open_hook = b->top_hook = -1;
	b->first_hook = m->hookmap[e->hook < 1024 ? e->hook : 0];
	b->created_ns = e->ts;
	b->created_seq = e->seq;
	b->create_stack = e->stack;
	b->create_pystack = e->pystack;
	b->create_nogil = (e->flags & BT_EV_NO_GIL) != 0;
	b->create_tid = e->tid;
	b->made_after = t->last_made;
	t->last_made = e->seq + 1;
	for (int i = 0; i < t->depth && i < MAX_SCOPES; i++) {
		if (b->open_hook < 0 && is_open_hook(t->scopes[i].hook))
			b->open_hook = t->scopes[i].hook;
		if (b->top_hook < 0)
			b->top_hook = t->scopes[i].hook;
	}
	if (t->pending) {
		/* bind the create we saw without its result */
		struct buffer *pb = &t->pending_buf;
		b->device = pb->device;
		b->dev = pb->dev;
		b->address = pb->address;
		b->has_address = pb->has_address;
		b->created_at = pb->created_at;
		b->size = pb->size;
		b->page_size = pb->page_size;
		b->type = pb->type;
		b->owns_data = pb->owns_data;
		b->mesh_buffer = pb->mesh_buffer;
		b->mb_backing = pb->mb_backing;
		b->create_stack = pb->create_stack;
		b->create_pystack = pb->create_pystack;
		b->create_nogil = pb->create_nogil;
		b->created_ns = pb->created_ns;
		b->create_seen = 1;
		t->pending = 0;
	}
	if (t->mb_depth > 0 && !b->mesh_buffer)
		b->mesh_buffer = t->mb_stack[t->mb_depth - 1 < 8 ? t->mb_depth - 1 : 7];
	live_insert(m, b);
	tl_sync(m, b, e->ts, 0);
	return b;
}

/* Memory and object verdict when a device (or a mesh) closes. */
static void close_check(struct model *m, struct device *d, uint64_t ts, int hook)
{
	for (size_t i = 0; i < m->live_cap; i++)
		for (struct buffer *b = m->live[i]; b; b = b->hnext) {
			struct device *bd;
			if (b->checked)
				continue;
			/* on it: made on this record, or on its handle before the
			 * device was known (it is the first record then) */
			if (!b->dev && b->device && b->device == d->ptr)
				b->dev = d;
			bd = b->dev;
			if (bd ? bd != d && !(bd->mesh == d && d->is_mesh) : b->device != d->ptr)
				continue;
			b->checked = 1;
			b->close_ns = ts;
			b->close_obj = d->ptr;
			b->close_hook = hook;
			if (!b->deallocated) {
				/* counted on the buffer's own chip (or mesh), as the
				 * runtime's per-device statistics would */
				struct device *sd = bd ? bd : d;
				b->survivor = 1;
				sd->surv_count++;
				sd->surv_bytes += b->size;
				sd->surv_by_type[b->type >= 0 && b->type < 5 ? b->type : 5] += b->size;
			} else if (b->released_bulk) {
				b->dangling = 1;
			}
		}
}

static int is_close_hook(int h)
{
	return h == BT_HOOK_TTNN_CLOSE_MESH || h == BT_HOOK_TTNN_CLOSE_DEVICE || h == BT_HOOK_MESH_CLOSE ||
	       h == BT_HOOK_MESH_DESTROY || h == BT_HOOK_DEVICE_CLOSE;
}

static void close_device(struct model *m, struct device *d, uint64_t ts, int hook)
{
	if (d->closed)
		return;
	d->closed = 1;
	d->closed_ns = ts;
	d->close_hook = hook;
	close_check(m, d, ts, hook);
	if (d->is_mesh)
		for (struct device *x = m->devices; x; x = x->next)
			if (x->mesh == d && !x->closed)
				close_device(m, x, ts, hook);
	/* Buffers whose device we never learnt (their create call was not
	 * seen): judged when no device is left open. */
	for (struct device *x = m->devices; x; x = x->next)
		if (!x->closed)
			return;
	struct device nodev;
	memset(&nodev, 0, sizeof nodev);
	nodev.chip_id = nodev.mesh_id = -1;
	close_check(m, &nodev, ts, hook);
}

/* --- for the profile runtimes' object model (model_internal.h) --- */
struct buffer *model_live_find(struct model *m, uint64_t obj)
{
	return live_find(m, obj);
}

struct buffer *model_buffer_new(struct model *m, uint64_t obj, int hook, uint64_t ts, uint64_t seq, uint32_t tid,
				uint32_t stack, uint32_t pystack)
{
	struct buffer *b = xcalloc(1, sizeof *b);
	b->obj = obj;
	b->type = -1;
	b->owns_data = 1;
	b->open_hook = b->top_hook = -1;
	b->first_hook = hook;
	b->created_ns = ts;
	b->created_seq = seq;
	b->create_stack = stack;
	b->create_pystack = pystack;
	b->create_tid = tid;
	b->create_seen = 1;
	b->rt = bt_hooks[hook].runtime;
	b->usage = b->mem_type = b->heap = -1;
	live_insert(m, b);
	return b;
}

void model_finish(struct model *m, struct buffer *b, enum fate fate, uint64_t ts, uint32_t stack)
{
	finish(m, b, fate, ts, stack);
}

void model_sync(struct model *m, struct buffer *b, uint64_t ts)
{
	tl_sync(m, b, ts, 0);
}

struct device *model_device_get(struct model *m, uint64_t ptr)
{
	return device_get(m, ptr);
}

struct device *model_device_made(struct model *m, uint64_t ptr)
{
	return device_made(m, ptr);
}

void model_close(struct model *m, uint64_t ptr, uint64_t ts, int hook)
{
	close_device(m, device_get(m, ptr), ts, hook);
}

void model_anomaly(struct model *m, const char *kind, uint32_t stack, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	anomaly(m, kind, stack, "%s", msg);
}

/* Was the buffer's device closed? */
static int device_closed(struct model *m, const struct buffer *b)
{
	struct device *d = model_buffer_device(m, b);
	return d && d->closed;
}

static int in_scope(const struct thread *t, int hook)
{
	for (int i = 0; i < t->depth && i < MAX_SCOPES; i++)
		if (t->scopes[i].hook == hook)
			return 1;
	return 0;
}

static void release(struct model *m, struct thread *t, const struct ev *e, uint64_t obj, int hook)
{
	struct buffer *b = live_find(m, obj);
	if (!b) {
		anomaly(m, "release-unknown", e->stack, "%s on a buffer never seen created",
			bt_hooks[hook].name);
		return;
	}
	if (hook == BT_HOOK_ALLOC_DEALLOCATE || hook == BT_HOOK_OLD_ALLOC_DEALLOCATE ||
	    hook == BT_HOOK_BUFFER_DEALLOCATE_IMPL) {
		int *n = hook == BT_HOOK_BUFFER_DEALLOCATE_IMPL ? &b->impl_frees : &b->alloc_frees;
		if ((++*n == 2 || (*n == 1 && b->released_bulk)) && !device_closed(m, b))
			anomaly(m, "double-deallocate", e->stack, "%s on a buffer already deallocated",
				bt_hooks[hook].name);
	}
	if (hook == BT_HOOK_ALLOC_DEALLOCATE || hook == BT_HOOK_OLD_ALLOC_DEALLOCATE) {
		if (device_closed(m, b))
			anomaly(m, "allocator-after-close", e->stack,
				"allocator deallocate_buffer for a device that was closed");
	} else if (device_closed(m, b) && !(b->checked && in_scope(t, BT_HOOK_BUFFER_DESTROY)) &&
		   !(hook == BT_HOOK_BUFFER_MARK_DEALLOCATED && in_scope(t, BT_HOOK_MESH_BUFFER_DESTROY)) &&
		   !(hook == BT_HOOK_BUFFER_MARK_DEALLOCATED && in_scope(t, BT_HOOK_MESH_BUFFER_DEALLOCATE))) {
		/* survivors and dangling buffers die after the close by
		 * definition and are reported as such; only an explicit release
		 * outside their destructor is an anomaly too (not ~MeshBuffer
		 * marking its backing buffer deallocated once the mesh is gone:
		 * that is the runtime doing it right) */
		anomaly(m, "release-after-close", e->stack, "%s after the buffer's device was closed",
			bt_hooks[hook].name);
	}
	/* Buffer::deallocate returns at once when owns_data is false */
	if (hook != BT_HOOK_BUFFER_DEALLOCATE || b->owns_data == 1)
		b->deallocated = 1;
	tl_sync(m, b, e->ts, 0);
}

static void on_event(struct model *m, const struct ev *e)
{
	struct priv *p = m->priv;
	int hook = e->hook < 1024 ? m->hookmap[e->hook] : -1;
	int exit = e->flags & BT_EV_EXIT, failed = e->flags & BT_EV_FAILED;
	struct thread *t;
	const uint64_t *a = e->args;
	struct buffer *b;

	m->nevents++;
	if (hook < 0)
		return;
	if (hook == BT_HOOK_MALLOC || hook == BT_HOOK_FREE) {
		leaks_event(m, hook, e->flags, e->stack, a, e->nargs);
		heap_sample(m, e->ts);
		return;
	}
	if (bt_hooks[hook].action != BT_ACT_NONE) {
		objects_event(m, hook, e->flags, e->ts, e->seq, e->tid, e->stack, e->pystack, a, e->nargs);
		return;
	}
	/* a hook recorded at entry has an exit event only when an exception
	 * left it: nothing changed hands */
	if (exit && !(bt_hooks[hook].flags & (BT_HOOK_SCOPED | BT_HOOK_AT_EXIT)))
		return;
	t = thread_get(p, e->tid);
	if ((bt_hooks[hook].flags & BT_HOOK_SCOPED) && !(e->flags & BT_EV_ENTRY_ONLY)) {
		if (!exit) {
			if (t->depth < MAX_SCOPES) {
				t->scopes[t->depth].hook = hook;
				t->scopes[t->depth].obj = e->nargs ? a[0] : 0;
			}
			t->depth++;
		} else if (t->depth > 0) {
			t->depth--;
		}
	}
	if (e->flags & BT_EV_UNKNOWN && hook != BT_HOOK_DEVICE_CREATE)
		return; /* a call we saw but cannot read */
	switch (hook) {
	case BT_HOOK_DEVICE_CREATE:
	case BT_HOOK_DEVICE_INITIALIZE:
		/* chip_id: the constructor's, or IDevice::id() asked at
		 * initialize's entry (the constructor may have been inlined, or
		 * the device is being reopened) */
		if (e->nargs >= 2 && !exit && (hook == BT_HOOK_DEVICE_CREATE || (int64_t)a[1] >= 0)) {
			struct device *d = device_made(m, a[0]);
			int i, outer, pending = 0;
			d->chip_id = (int64_t)a[1];
			/* inside a mesh being created: it will own this device (the
			 * scopes below our own, which an entry-only event has not) */
			for (i = 0; i < p->npending_devices; i++)
				pending |= p->pending_devices[i] == a[0];
			outer = t->depth - !(e->flags & BT_EV_ENTRY_ONLY);
			for (i = 0; !pending && i < outer && i < MAX_SCOPES; i++)
				if (t->scopes[i].hook == BT_HOOK_MESH_CREATE || t->scopes[i].hook == BT_HOOK_MESH_CREATE_UNIT) {
					if (p->npending_devices < 256)
						p->pending_devices[p->npending_devices++] = a[0];
					break;
				}
		}
		if (hook == BT_HOOK_DEVICE_INITIALIZE && exit && e->nargs >= 1)
			device_made(m, a[0])->opened_ns = e->ts;
		break;
	case BT_HOOK_MESH_CREATE:
	case BT_HOOK_MESH_CREATE_UNIT:
		if (exit && !failed && e->nargs >= 2 && a[0]) {
			struct device *mesh = device_made(m, a[0]);
			mesh->is_mesh = 1;
			mesh->mesh_id = (int64_t)a[1];
			mesh->opened_ns = e->ts;
			for (int i = 0; i < p->npending_devices; i++) {
				struct device *d = device_get(m, p->pending_devices[i]);
				d->mesh = mesh;
				d->mesh_id = mesh->mesh_id;
			}
			p->npending_devices = 0;
		}
		break;
	case BT_HOOK_DEVICE_CLOSE:
	case BT_HOOK_MESH_CLOSE:
	case BT_HOOK_TTNN_CLOSE_MESH:
	case BT_HOOK_TTNN_CLOSE_DEVICE:
		/* chip_id at Device::close's entry too: where a build calls
		 * neither the constructor nor initialize through a hook */
		if (hook == BT_HOOK_DEVICE_CLOSE && !exit && e->nargs >= 2 && (int64_t)a[1] >= 0 && a[0])
			device_get(m, a[0])->chip_id = (int64_t)a[1];
		if (exit && e->nargs >= 1 && a[0]) {
			int by = hook;
			/* name the call the user made: close_mesh_device, not the
			 * Device::close deep inside it */
			for (int i = 0; i < t->depth && i < MAX_SCOPES; i++)
				if (is_close_hook(t->scopes[i].hook)) {
					by = t->scopes[i].hook;
					break;
				}
			/* a mesh, but close_device(IDevice&) (before 2025-11-25) is
			 * given a chip: a device known by its chip id stays one */
			if (hook != BT_HOOK_DEVICE_CLOSE &&
			    !(hook == BT_HOOK_TTNN_CLOSE_DEVICE && device_get(m, a[0])->chip_id >= 0))
				device_get(m, a[0])->is_mesh = 1;
			close_device(m, device_get(m, a[0]), e->ts, by);
		}
		break;
	case BT_HOOK_MESH_DESTROY:
		if (exit && e->nargs >= 1 && a[0])
			close_device(m, device_get(m, a[0]), e->ts, hook);
		break;
	case BT_HOOK_MESH_BUFFER_CREATE:
		/* its Buffer::create calls follow on this thread until the exit */
		if (e->flags & BT_EV_ENTRY_ONLY)
			break;
		if (!exit) {
			if (t->mb_depth < 8)
				t->mb_stack[t->mb_depth] = e->seq + 1;
			t->mb_depth++;
		} else if (t->mb_depth > 0) {
			t->mb_depth--;
		}
		break;
	case BT_HOOK_BUFFER_CREATE:
	case BT_HOOK_BUFFER_CREATE_AT: {
		int at = hook == BT_HOOK_BUFFER_CREATE_AT;
		struct buffer tmp;
		if (failed || e->nargs < 5)
			break;
		memset(&tmp, 0, sizeof tmp);
		if (a[0]) {
			b = live_find(m, a[0]);
			if (b && b->create_seen) {
				/* the object at this address died unseen: a new buffer */
				finish(m, b, FATE_DESTROYED, e->ts, 0);
				b = NULL;
			}
			b = buffer_for(m, t, e, a[0]);
		} else {
			b = &tmp; /* result unknown: bind to the next buffer this thread shows */
		}
		b->device = a[1];
		/* a device not seen made (its constructor not hooked): its record
		 * from here, filled in when it shows itself (timeline tracks too) */
		b->dev = a[1] ? device_get(m, a[1]) : NULL;
		/* an owning buffer's address comes from its allocate_buffer,
		 * whose exit (nested in this call) came first */
		if (at || !(b->registered && b->has_address)) {
			b->has_address = at;
			b->address = at ? a[2] : 0;
		}
		b->created_at = at;
		b->size = a[2 + at];
		b->page_size = a[3 + at];
		b->type = (int)a[4 + at];
		b->owns_data = !at;
		if (t->mb_depth > 0) {
			b->mesh_buffer = t->mb_stack[t->mb_depth - 1 < 8 ? t->mb_depth - 1 : 7];
			b->mb_backing = !at;
		}
		b->create_stack = e->stack;
		b->create_pystack = e->pystack;
		b->create_nogil = (e->flags & BT_EV_NO_GIL) != 0;
		b->create_seen = 1;
		if (!a[0]) {
			tmp.created_ns = e->ts;
			t->pending_buf = tmp;
			t->pending = 1;
		} else {
			tl_sync(m, b, e->ts, 0);
		}
		break;
	}
	case BT_HOOK_BUFFER_VIEW:
		if (exit && !failed && e->nargs >= 2 && a[0]) {
			struct buffer *parent = live_find(m, a[1]);
			b = buffer_for(m, t, e, a[0]);
			b->owns_data = 0;
			b->create_seen = 1;
			if (parent) {
				b->device = parent->device;
				b->dev = parent->dev;
				b->type = parent->type;
				b->address = parent->address;
				b->has_address = parent->has_address;
				b->created_at = parent->created_at;
			}
		}
		break;
	case BT_HOOK_ALLOC_ALLOCATE:
	case BT_HOOK_OLD_ALLOC_ALLOCATE:
		if (exit && !failed && e->nargs >= 2) {
			b = live_find(m, a[1]);
			if (b && b->create_seen && b->registered) {
				finish(m, b, FATE_DESTROYED, e->ts, 0);
			}
			b = buffer_for(m, t, e, a[1]);
			b->registered = 1;
			b->allocator = a[0];
			/* the address it placed the buffer at (traces before
			 * 2026-12-04 do not have it) */
			if (e->nargs >= 3) {
				b->address = a[2];
				b->has_address = 1;
			}
			if (b->owns_data < 0)
				b->owns_data = 1;
			if (b->device && device_closed(m, b))
				anomaly(m, "allocator-after-close", e->stack,
					"allocate_buffer for a device that was closed");
		}
		break;
	case BT_HOOK_GT_TRACK_ALLOCATE:
		if (e->nargs >= 2 && a[1])
			buffer_for(m, t, e, a[1]);
		break;
	case BT_HOOK_BUFFER_ALLOCATE_IMPL:
		if (e->nargs >= 1 && a[0] && !failed)
			buffer_for(m, t, e, a[0]);
		break;
	case BT_HOOK_BUFFER_DEALLOCATE:
	case BT_HOOK_BUFFER_DEALLOCATE_IMPL:
	case BT_HOOK_BUFFER_MARK_DEALLOCATED:
	case BT_HOOK_DEALLOCATE_BUFFER:
		if (e->nargs >= 1)
			release(m, t, e, a[0], hook);
		break;
	case BT_HOOK_ALLOC_DEALLOCATE:
	case BT_HOOK_OLD_ALLOC_DEALLOCATE:
	case BT_HOOK_GT_TRACK_DEALLOCATE:
		if (e->nargs >= 2)
			release(m, t, e, a[1], hook);
		break;
	case BT_HOOK_ALLOC_DEALLOCATE_ALL:
	case BT_HOOK_OLD_ALLOC_DEALLOCATE_ALL:
	case BT_HOOK_ALLOC_CLEAR:
	case BT_HOOK_ALLOC_DESTROY:
		/* bank memory freed wholesale: no per-buffer callback exists */
		for (size_t i = 0; e->nargs >= 1 && i < m->live_cap; i++)
			for (b = m->live[i]; b; b = b->hnext)
				if (b->registered && b->allocator == a[0] && !b->deallocated) {
					b->deallocated = 1;
					b->released_bulk = 1;
					tl_sync(m, b, e->ts, 0);
				}
		break;
	case BT_HOOK_BUFFER_DESTROY:
		/* the destructor deallocates first: the object is gone on exit */
		if (e->nargs >= 1) {
			b = live_find(m, a[0]);
			if (!b) {
				if (!exit)
					anomaly(m, "release-unknown", e->stack,
						"Buffer::~Buffer on a buffer never seen created");
				break;
			}
			if (exit || failed)
				finish(m, b, FATE_DESTROYED, e->ts, e->stack);
		}
		break;
	default:
		break;
	}
}

/* --- putting events back in order ---------------------------------------
 *
 * Each thread's events arrive in seq order; only the interleaving of
 * threads is lost.  So instead of a heap, one FIFO per thread: the next
 * event is at the head of one of them (seqs are contiguous), found by
 * looking at the few non-empty heads.  A seq that never comes (events the
 * recorder dropped) is skipped once too much is held back, and at the end. */

static struct tq *tq_for(struct priv *p, uint32_t tid)
{
	struct tq *q = tidmap_get(&p->tq_by_tid, tid);
	if (q)
		return q;
	if (p->ntq == p->tq_cap) {
		p->tq_cap = p->tq_cap ? p->tq_cap * 2 : 16;
		p->tq = xrealloc(p->tq, p->tq_cap * sizeof *p->tq);
		p->active = xrealloc(p->active, p->tq_cap * sizeof *p->active);
	}
	q = xcalloc(1, sizeof *q);
	q->tid = tid;
	p->tq[p->ntq++] = q;
	tidmap_put(&p->tq_by_tid, tid, q);
	return q;
}

/* q's last held event is gone: it leaves the active set, and a large
 * buffer goes with it (a process of many threads holds few at a time) */
static void tq_idle(struct priv *p, struct tq *q)
{
	struct tq *last = p->active[--p->nactive];
	p->active[q->active - 1] = last;
	last->active = q->active;
	q->active = 0;
	q->head = q->tail = 0;
	if (q->cap > 4096) {
		free(q->ev);
		q->ev = NULL;
		q->cap = 0;
	}
}

static void tq_push(struct priv *p, const struct ev *e)
{
	struct tq *q = tq_for(p, e->tid);
	if (!q->active) {
		p->active[p->nactive++] = q;
		q->active = p->nactive;
	}
	if (q->tail == q->cap) {
		if (q->head > q->cap / 2) {
			memmove(q->ev, q->ev + q->head, (q->tail - q->head) * sizeof *q->ev);
			q->tail -= q->head;
			q->head = 0;
		} else {
			q->cap = q->cap ? q->cap * 2 : 64;
			q->ev = xrealloc(q->ev, q->cap * sizeof *q->ev);
		}
	}
	q->ev[q->tail++] = *e;
	p->held++;
}

static void drain(struct model *m, int all)
{
	struct priv *p = m->priv;
	while (p->held) {
		struct tq *best = NULL;
		for (size_t i = 0; i < p->nactive; i++) {
			struct tq *q = p->active[i];
			if (q->ev[q->head].seq == p->next_seq) {
				best = q;
				break;
			}
			if (!best || q->ev[q->head].seq < best->ev[best->head].seq)
				best = q;
		}
		/* a trace need not start at seq 0 (a tracer that gave up and
		 * restarted): the first seq is found once a window is held */
		if (best->ev[best->head].seq != p->next_seq && !all && p->held <= REORDER_MAX &&
		    (p->seq_started || p->held <= 65536))
			break; /* the next one is still on its way */
		struct ev *e = &best->ev[best->head++];
		p->held--;
		if (e->seq != p->next_seq && p->seq_started && e->seq > p->next_seq)
			m->lost += e->seq - p->next_seq;
		p->next_seq = e->seq + 1;
		p->seq_started = 1;
		on_event(m, e);
		if (best->head == best->tail)
			tq_idle(p, best);
	}
}

/* Does process pid have the file at path open (the same file: device and
 * inode)?  Only a process that is running does; another one that got the
 * pid since, or one in another pid namespace, has another file there.  0
 * where /proc cannot say (another user's process). */
static int trace_open_by(const char *path, uint64_t pid)
{
	struct dirent *e;
	char dir[64], fd[64 + sizeof e->d_name];
	struct stat t, s;
	DIR *d;
	int found = 0;
	if (!pid || pid > INT32_MAX || stat(path, &t) != 0)
		return 0;
	snprintf(dir, sizeof dir, "/proc/%llu/fd", (unsigned long long)pid);
	if (!(d = opendir(dir)))
		return 0;
	while (!found && (e = readdir(d)))
		if (e->d_name[0] != '.') {
			snprintf(fd, sizeof fd, "%s/%s", dir, e->d_name);
			found = stat(fd, &s) == 0 && s.st_dev == t.st_dev && s.st_ino == t.st_ino;
		}
	closedir(d);
	return found;
}

/* --- records -------------------------------------------------------------- */

static int on_record(struct model *m, const struct tr_record *rec, const struct ev *evs, size_t nev, int ev_bad)
{
	struct priv *p = m->priv;
	const uint8_t *q = rec->p, *s;
	size_t n;
	uint64_t id, v;

	if (tr_validate(rec))
		return -1;
	switch (rec->kind) {
	case BT_REC_HEADER: {
		const uint8_t *cl;
		size_t cn;
		/* From version 3 a trace numbers its events from 0 (a fork
		 * child's too): the order starts there.  Before, the first seq
		 * was guessed from the first 65536 events held, and a thread's
		 * first chunk written later than that (an idle thread's, when
		 * the flusher had fallen behind) was taken for events out of
		 * order: "3000000 events missing" of a complete trace. */
		if (rec->version >= 3 && !p->seq_started && !p->held) {
			p->seq_started = 1;
			p->next_seq = 0;
		}
		if (tr_uvar(&q, rec->end, &m->pid) || tr_uvar(&q, rec->end, &m->ppid) ||
		    tr_uvar(&q, rec->end, &m->start_realtime_ns) || tr_uvar(&q, rec->end, &m->start_ns) ||
		    tr_str(&q, rec->end, &s, &n) || tr_str(&q, rec->end, &s, &n))
			return -1;
		free(m->exe);
		m->exe = xstrndup(s, n);
		if (tr_str(&q, rec->end, &cl, &cn))
			return -1;
		free(m->cmdline);
		m->cmdline = xstrndup(cl, cn);
		for (size_t i = 0; i + 1 < cn; i++)
			if (!m->cmdline[i])
				m->cmdline[i] = ' ';
		/* hostname, tracer version, then the depth limit */
		if (!tr_str(&q, rec->end, &s, &n) && !tr_str(&q, rec->end, &s, &n) && !tr_uvar(&q, rec->end, &id))
			m->depth = id <= BT_MAX_DEPTH ? (int)id : 0;
		break;
	}
	case BT_REC_HOOK_INFO: {
		uint64_t flags;
		if (tr_uvar(&q, rec->end, &id) || tr_uvar(&q, rec->end, &flags) || tr_str(&q, rec->end, &s, &n))
			return -1;
		if (id < 1024)
			for (int h = 0; h < BT_HOOK_COUNT; h++)
				if (strlen(bt_hooks[h].name) == n && !memcmp(bt_hooks[h].name, s, n))
					m->hookmap[id] = h;
		break;
	}
	case BT_REC_MODULE_LOAD: {
		struct module mod;
		memset(&mod, 0, sizeof mod);
		if (tr_uvar(&q, rec->end, &id) || tr_uvar(&q, rec->end, &mod.bias) || tr_uvar(&q, rec->end, &mod.lo) ||
		    tr_uvar(&q, rec->end, &mod.hi) || tr_str(&q, rec->end, &s, &n))
			return -1;
		mod.id = (uint32_t)id;
		mod.build_id_len = n < sizeof mod.build_id ? n : sizeof mod.build_id;
		memcpy(mod.build_id, s, mod.build_id_len);
		if (tr_str(&q, rec->end, &s, &n))
			return -1;
		mod.path = xstrndup(s, n);
		mod.loaded_at = p->records;
		m->mods = realloc(m->mods, (m->nmods + 1) * sizeof *m->mods);
		if (!m->mods)
			return -1;
		m->mods[m->nmods++] = mod;
		break;
	}
	case BT_REC_MODULE_UNLOAD:
		if (tr_uvar(&q, rec->end, &id))
			return -1;
		for (size_t i = 0; i < m->nmods; i++)
			if (m->mods[i].id == id && !m->mods[i].unloaded_at)
				m->mods[i].unloaded_at = p->records;
		break;
	case BT_REC_STACK: {
		uint64_t cnt, z, ip = 0;
		/* The recorder numbers stacks 1, 2, 3... and writes each at its
		 * numbering, under one lock: id N has N STACK records up to here.
		 * A larger id is damage, and would size the table by it. */
		if (tr_uvar(&q, rec->end, &id) || tr_uvar(&q, rec->end, &cnt) || cnt > 4096 || id > p->records)
			return -1;
		grow_zeroed((void **)&m->stacks, &m->nstacks, id, sizeof *m->stacks, 256);
		struct stack *st = &m->stacks[id];
		free(st->ips);
		st->ips = xcalloc(cnt, sizeof *st->ips);
		st->n = (uint32_t)cnt;
		st->cut = 0;
		st->defined_at = p->records;
		for (uint64_t i = 0; i < cnt; i++) {
			if (tr_uvar(&q, rec->end, &z))
				return -1;
			ip += (uint64_t)((int64_t)(z >> 1) ^ -(int64_t)(z & 1));
			st->ips[i] = ip;
		}
		break;
	}
	case BT_REC_STACK_CUT:
		/* after its STACK (stacks.c, write_stack): one not read is damage */
		if (tr_uvar(&q, rec->end, &id) || id >= m->nstacks || !m->stacks[id].ips)
			return -1;
		m->stacks[id].cut = 1;
		break;
	case BT_REC_EVENTS:
		for (size_t i = 0; i < nev; i++) {
			const struct ev *e = &evs[i];
			if (e->ts > m->end_ns)
				m->end_ns = e->ts;
			if (e->hook >= BT_TR_PROBE_HOOK) {
				/* compact probe events: no seq, no order needed */
				m->nevents++;
				leaks_event(m, e->hook - BT_TR_PROBE_HOOK, e->flags, e->stack, e->args, e->nargs);
				heap_sample(m, e->ts);
				continue;
			}
			if (!p->held && p->seq_started && e->seq == p->next_seq) {
				/* in order already: nothing to hold back */
				p->next_seq = e->seq + 1;
				on_event(m, e);
			} else {
				tq_push(p, e);
			}
		}
		drain(m, 0);
		if (ev_bad && !rec->partial)
			return -1;
		break;
	case BT_REC_PYSTACK: {
		uint64_t cnt, line;
		/* numbered as STACK records are (pystack.c): at most one id a record */
		if (tr_uvar(&q, rec->end, &id) || tr_uvar(&q, rec->end, &cnt) || cnt > 4096 || id > p->records)
			return -1;
		grow_zeroed((void **)&m->pystacks, &m->npystacks, id, sizeof *m->pystacks, 64);
		struct pystack *ps = &m->pystacks[id];
		if (ps->frames)
			break; /* defined twice: keep the first */
		ps->frames = xcalloc(cnt, sizeof *ps->frames);
		for (uint64_t i = 0; i < cnt; i++) {
			const uint8_t *f, *fn;
			size_t flen, fnlen;
			if (tr_str(&q, rec->end, &f, &flen) || tr_str(&q, rec->end, &fn, &fnlen) ||
			    tr_uvar(&q, rec->end, &line))
				return -1;
			ps->frames[i].file = xstrndup(f, flen);
			ps->frames[i].function = xstrndup(fn, fnlen);
			ps->frames[i].line = (int)line;
			ps->n = (uint32_t)i + 1;
		}
		break;
	}
	case BT_REC_LOST:
		if (tr_uvar(&q, rec->end, &v))
			return -1;
		m->lost += v;
		break;
	case BT_REC_UNRECORDED: {
		uint64_t cause;
		if (tr_uvar(&q, rec->end, &cause) || tr_uvar(&q, rec->end, &v))
			return -1;
		if (cause == BT_UNREC_SIGNAL)
			m->unrecorded_signal += v;
		break;
	}
	case BT_REC_END:
		m->complete = 1;
		break;
	default:
		break;
	}
	return 0;
}

/* --- the reading thread ------------------------------------------------------
 *
 * Decompression and event decoding run in a thread of their own, a bounded
 * queue of records ahead of the state machine: on two cores the report takes
 * about the time of the slower half instead of the sum. */

#define PIPE_MAX 16 /* records in flight: bounds memory to a few chunks */
/* and decoded events in flight (a chunk of compact probe events holds
 * 20,000 of them, 1.6 MB decoded): about 5 MB */
#define PIPE_EVENTS_MAX (64u << 10)
/* compressed bytes left under which the thread is not worth starting */
#define SYNC_MAX (256u << 10)

struct item {
	struct item *next;
	struct tr_record rec;   /* payload copied into data */
	uint8_t *data;
	size_t data_cap;
	struct ev *evs;         /* EVENTS: decoded */
	size_t nev, ev_cap;
	int ev_bad;             /* EVENTS: malformed */
};

struct pipe {
	pthread_mutex_t mu;
	pthread_cond_t cv_put, cv_get;
	struct item *head, *tail;
	struct item *spare;     /* used items, buffers kept: no page faults per record */
	int count, done, stop;
	size_t events;          /* decoded events in the queue */
	struct trace_reader *r;
	const char *path;
	int progress;
	int next_trace;         /* the reader stopped at the next process's header */
	uint64_t next_offset;
	uint64_t records;
	int sync;               /* small input: read in the calling thread */
};

static void decode_events(struct item *it)
{
	struct tr_events ti;
	struct tr_event te;
	int rc;
	if (tr_events_begin(&ti, &it->rec)) {
		it->ev_bad = 1;
		return;
	}
	while ((rc = tr_events_next(&ti, &te)) == 1) {
		struct ev *e;
		if (it->nev == it->ev_cap) {
			it->ev_cap = it->ev_cap ? it->ev_cap * 2 : 1024;
			it->evs = xrealloc(it->evs, it->ev_cap * sizeof *it->evs);
		}
		e = &it->evs[it->nev++];
		e->seq = te.seq;
		e->ts = te.ts;
		e->tid = te.tid;
		e->stack = te.stack;
		e->pystack = te.pystack;
		e->hook = (uint16_t)te.hook;
		e->flags = (uint8_t)te.flags;
		e->nargs = (uint8_t)(te.nargs < 6 ? te.nargs : 6);
		memcpy(e->args, te.args, sizeof e->args);
	}
	it->ev_bad = rc < 0;
}

static void item_free(struct item *it)
{
	free(it->data);
	free(it->evs);
	free(it);
}

static const uint8_t empty_payload[1];

/* The next record, copied and decoded into an item; NULL at the end of
 * this process (the end of the file, damage, or the next process's
 * header: then next_trace is set). */
static struct item *read_item(struct pipe *pp)
{
	struct tr_record rec;
	struct item *it;
	size_t len;
	int rc = tr_next(pp->r, &rec);
	if (rc != 1) {
		if (rc == TR_NEXT_TRACE) {
			pp->next_trace = 1;
			pp->next_offset = rec.offset;
		}
		return NULL;
	}
	len = (size_t)(rec.end - rec.p);
	pthread_mutex_lock(&pp->mu);
	it = pp->spare;
	if (it)
		pp->spare = it->next;
	pthread_mutex_unlock(&pp->mu);
	if (!it)
		it = xcalloc(1, sizeof *it);
	it->next = NULL;
	it->nev = 0;
	it->ev_bad = 0;
	if (len > it->data_cap) {
		it->data_cap = len;
		it->data = xrealloc(it->data, len);
	}
	if (len) /* an empty payload has no buffer to copy into */
		memcpy(it->data, rec.p, len);
	it->rec = rec;
	it->rec.p = len ? it->data : empty_payload;
	it->rec.end = it->rec.p + len;
	if (rec.kind == BT_REC_EVENTS)
		decode_events(it);
	/* long runs: say how far we are, on a terminal only */
	if (pp->progress && (++pp->records & 0xffff) == 0) {
		uint64_t done, total;
		tr_progress(pp->r, &done, &total);
		if (total > (8u << 20))
			fprintf(stderr, "\rbuftrace: reading %s: %d%%\033[K", pp->path,
				(int)(total ? done * 100 / total : 0));
	}
	return it;
}

static void *reader_main(void *arg)
{
	struct pipe *pp = arg;
	struct item *it;
	while ((it = read_item(pp))) {
		int partial = it->rec.partial;
		pthread_mutex_lock(&pp->mu);
		while ((pp->count >= PIPE_MAX || (pp->count && pp->events + it->nev > PIPE_EVENTS_MAX)) && !pp->stop)
			pthread_cond_wait(&pp->cv_put, &pp->mu);
		if (pp->stop) {
			pthread_mutex_unlock(&pp->mu);
			item_free(it);
			break;
		}
		if (pp->tail)
			pp->tail->next = it;
		else
			pp->head = it;
		pp->tail = it;
		pp->count++;
		pp->events += it->nev;
		pthread_cond_signal(&pp->cv_get);
		pthread_mutex_unlock(&pp->mu);
		if (partial)
			break;
	}
	pthread_mutex_lock(&pp->mu);
	pp->done = 1;
	pthread_cond_signal(&pp->cv_get);
	pthread_mutex_unlock(&pp->mu);
	return NULL;
}

static struct item *pipe_get(struct pipe *pp)
{
	struct item *it;
	if (pp->sync) {
		/* no reading thread: one record at a time, here */
		if (pp->done || pp->stop)
			return NULL;
		it = read_item(pp);
		pp->done = !it || it->rec.partial;
		return it;
	}
	pthread_mutex_lock(&pp->mu);
	while (!pp->head && !pp->done)
		pthread_cond_wait(&pp->cv_get, &pp->mu);
	it = pp->head;
	if (it) {
		pp->head = it->next;
		if (!pp->head)
			pp->tail = NULL;
		pp->count--;
		pp->events -= it->nev;
		pthread_cond_signal(&pp->cv_put);
	}
	pthread_mutex_unlock(&pp->mu);
	return it;
}

/* One process, from where f's reader stands to the end of the file, the
 * next "BUFTRACE" header, or damage. */
static void load_process(struct model_file *f, struct model *m)
{
	char damage[700] = "";
	const char *path = f->path;
	struct pipe pp;
	struct item *it;
	pthread_t th;
	struct priv *p;

	memset(&pp, 0, sizeof pp);
	memset(&th, 0, sizeof th);
	pp.r = f->r;
	p = m->priv = xcalloc(1, sizeof *p);
	pp.path = path;
	pp.progress = isatty(2);
	pthread_mutex_init(&pp.mu, NULL);
	pthread_cond_init(&pp.cv_put, NULL);
	pthread_cond_init(&pp.cv_get, NULL);
	{
		/* A small trace takes less time to read than handing its
		 * records across threads does: thousands of short processes
		 * (a multiprocessing run) are read without a thread each. */
		uint64_t done, total;
		tr_progress(pp.r, &done, &total);
		pp.sync = total - done < SYNC_MAX;
	}
	if (!pp.sync && pthread_create(&th, NULL, reader_main, &pp) != 0) {
		fprintf(stderr, "buftrace: cannot start a thread\n");
		exit(1);
	}
	while ((it = pipe_get(&pp))) {
		p->records++;
		m->nrecords++;
		if (!damage[0] && it->rec.kind == BT_REC_HEADER && p->have_header) {
			/* a process is one trace: never two identities merged */
			snprintf(damage, sizeof damage,
				 "%s: offset %llu: a second HEADER record in one trace (a next process starts with \"BUFTRACE\")",
				 path, (unsigned long long)it->rec.offset);
			pthread_mutex_lock(&pp.mu);
			pp.stop = 1;
			pthread_cond_signal(&pp.cv_put);
			pthread_mutex_unlock(&pp.mu);
		}
		p->have_header |= it->rec.kind == BT_REC_HEADER;
		if (!damage[0] && on_record(m, &it->rec, it->evs, it->nev, it->ev_bad)) {
			/* the reader is ahead of us: this damage comes first */
			const struct tr_record *rec = &it->rec;
			snprintf(damage, sizeof damage, "%s: offset %llu: malformed %s record", path,
				 (unsigned long long)rec->offset,
				 rec->kind < BT_REC_KIND_MAX && bt_records[rec->kind].name ? bt_records[rec->kind].name : "?");
			pthread_mutex_lock(&pp.mu);
			pp.stop = 1;
			pthread_cond_signal(&pp.cv_put);
			pthread_mutex_unlock(&pp.mu);
		}
		pthread_mutex_lock(&pp.mu);
		it->next = pp.spare;
		pp.spare = it;
		pthread_mutex_unlock(&pp.mu);
	}
	if (!pp.sync)
		pthread_join(th, NULL);
	while ((it = pp.spare)) {
		pp.spare = it->next;
		item_free(it);
	}
	pthread_mutex_destroy(&pp.mu);
	pthread_cond_destroy(&pp.cv_put);
	pthread_cond_destroy(&pp.cv_get);
	drain(m, 1);
	objects_end(m, m->end_ns);
	if (pp.progress && p->records > 0xffff)
		fprintf(stderr, "\r\033[K");
	/* whatever is still alive at the end of the trace */
	for (size_t i = 0; i < m->live_cap; i++)
		for (struct buffer *b = m->live[i], *nb; b; b = nb) {
			nb = b->hnext;
			b->fate = FATE_ALIVE_AT_END;
			b->hnext = NULL;
			if (b->survivor || b->dangling)
				keep(m, b);
			else
				free(b);
		}
	m->live_count = 0;
	free(m->live);
	m->live = NULL;
	m->live_cap = 0;
	/* a trace its process is still writing ends inside a frame: not
	 * damage, what it has flushed so far */
	m->running = !m->complete && !damage[0] && (!tr_error(pp.r) || tr_cut_at_end(pp.r)) &&
		     trace_open_by(path, m->pid);
	if (damage[0])
		m->error = xstrndup(damage, strlen(damage));
	else if (tr_error(pp.r) && !m->running)
		m->error = xstrndup(tr_error(pp.r), strlen(tr_error(pp.r)));
	/* the next process, if any, is read by the next call; damage ends
	 * the file (nothing after it can be trusted to be a record) */
	f->more = pp.next_trace && !m->error;
	f->next_offset = pp.next_offset;
	for (size_t i = 0; i < p->ntq; i++) {
		free(p->tq[i]->ev);
		free(p->tq[i]);
	}
	free(p->tq);
	free(p->active);
	p->tq = p->active = NULL;
	p->ntq = p->tq_cap = p->nactive = 0;
	tidmap_free(&p->tq_by_tid);
	for (struct thread *t = p->threads, *n; t; t = n) {
		n = t->next;
		free(t);
	}
	p->threads = NULL;
	tidmap_free(&p->thread_by_tid);
}

void model_file_init(struct model_file *f, const char *path, struct symbolizer *sym)
{
	memset(f, 0, sizeof *f);
	f->path = path;
	f->sym = sym;
}

int model_next(struct model_file *f, struct model *m)
{
	char err[600];
	memset(m, 0, sizeof *m);
	if (f->done)
		return 0;
	m->path = f->path;
	m->sym = f->sym;
	for (int i = 0; i < 1024; i++)
		m->hookmap[i] = -1;
	if (!f->r) {
		f->r = tr_open(f->path, err, sizeof err);
		if (!f->r) {
			f->done = 1;
			m->error = xstrndup(err, strlen(err));
			return -1;
		}
	}
	m->index = ++f->n;
	m->offset = f->n > 1 ? f->next_offset : 0;
	load_process(f, m);
	m->of_many = f->n > 1 || f->more;
	if (!f->more)
		model_file_close(f);
	return 1;
}

void model_file_close(struct model_file *f)
{
	tr_close(f->r);
	f->r = NULL;
	f->done = 1;
}

int model_load(struct model *m, const char *path)
{
	struct model_file f;
	int rc;
	model_file_init(&f, path, NULL);
	rc = model_next(&f, m);
	model_file_close(&f);
	return rc < 0 ? -1 : 0;
}

void model_free(struct model *m)
{
	struct priv *p = m->priv;
	free(m->error);
	free(m->exe);
	free(m->cmdline);
	for (size_t i = 0; i < m->nmods; i++)
		free(m->mods[i].path);
	free(m->mods);
	for (size_t i = 0; i < m->nstacks; i++)
		free(m->stacks[i].ips);
	free(m->stacks);
	for (size_t i = 0; i < m->npystacks; i++) {
		for (uint32_t k = 0; k < m->pystacks[i].n; k++) {
			free(m->pystacks[i].frames[k].file);
			free(m->pystacks[i].frames[k].function);
		}
		free(m->pystacks[i].frames);
	}
	free(m->pystacks);
	for (struct device *d = m->devices, *n; d; d = n) {
		n = d->next;
		free(d);
	}
	for (struct buffer *b = m->kept, *n; b; b = n) {
		n = b->next;
		free(b);
	}
	for (struct anomaly *a = m->anomalies, *n; a; a = n) {
		n = a->next;
		free(a->message);
		free(a);
	}
	if (p) {
		for (struct thread *t = p->threads, *n; t; t = n) {
			n = t->next;
			free(t);
		}
		tidmap_free(&p->thread_by_tid);
		free(p);
	}
	if (m->sym && m->own_sym)
		sym_free(m->sym);
	leaks_free(m);
	if (m->timeline)
		timeline_free(m->timeline);
	if (m->by_stack)
		timeline_free(m->by_stack);
	free(m->timeline);
	free(m->by_stack);
	memset(m, 0, sizeof *m);
}

/* --- symbolization -------------------------------------------------------- */

static const struct module *module_at(const struct model *m, uint64_t ip, uint64_t when)
{
	const struct module *best = NULL;
	for (size_t i = 0; i < m->nmods; i++) {
		const struct module *x = &m->mods[i];
		if (ip >= x->lo && ip < x->hi && x->loaded_at <= when && (!x->unloaded_at || x->unloaded_at > when))
			best = x;
	}
	return best;
}

static void warn_module(struct model *m, const char *path, const char *what)
{
	char buf[4200];
	/* the vDSO and friends have no file: nothing to say */
	if (!path || path[0] != '/')
		return;
	snprintf(buf, sizeof buf, "%s: %s", path, what);
	for (int i = 0; i < m->nwarnings; i++)
		if (!strcmp(m->warnings[i], buf))
			return;
	if (m->nwarnings < 32)
		m->warnings[m->nwarnings++] = xstrndup(buf, strlen(buf));
}

int model_frames(struct model *m, uint32_t stack, struct frame *out, int max)
{
	const struct stack *st;
	int n = 0;
	if (stack >= m->nstacks || !m->stacks[stack].ips)
		return 0;
	st = &m->stacks[stack];
	if (!m->sym) {
		m->sym = sym_new();
		m->own_sym = 1;
	}
	for (uint32_t i = 0; i < st->n && n < max; i++) {
		uint64_t ip = st->ips[i];
		const struct module *mod = module_at(m, ip, st->defined_at);
		struct sym_frame sf[16];
		enum sym_status ss = SYM_NO_FILE;
		int k = 0;
		/* return addresses: look up the call instruction, one byte before */
		if (mod && m->sym)
			k = sym_resolve(m->sym, mod->path, mod->build_id, mod->build_id_len, ip - 1 - mod->bias, sf, 16,
					&ss);
		if (mod && (ss == SYM_BUILD_ID_MISMATCH || ss == SYM_NO_FILE))
			warn_module(m, mod->path, ss == SYM_BUILD_ID_MISMATCH
							  ? "changed since the run (build-id differs): frames shown as module+offset"
							  : "cannot be read: frames shown as module+offset");
		if (k <= 0) {
			out[n].function = NULL;
			out[n].file = NULL;
			out[n].line = 0;
			out[n].inlined = 0;
			out[n].python = 0;
			out[n].cut_depth = 0;
			out[n].module = mod ? mod->path : NULL;
			out[n].ip = mod ? ip - mod->bias : ip;
			n++;
			continue;
		}
		for (int j = 0; j < k && n < max; j++) {
			out[n].function = sf[j].function;
			out[n].file = sf[j].file;
			out[n].line = sf[j].line;
			out[n].inlined = sf[j].inlined;
			out[n].python = 0;
			out[n].cut_depth = 0;
			out[n].module = mod->path;
			out[n].ip = ip - mod->bias;
			n++;
		}
	}
	if (st->cut && n < max) {
		memset(&out[n], 0, sizeof out[n]);
		out[n].function = "...";
		out[n].file = "";
		out[n].cut_depth = m->depth;
		n++;
	}
	return n;
}

/* The interpreter and the glue that calls C from Python. */
static int interpreter_module(const struct model *m, const char *path)
{
	const char *base = path ? strrchr(path, '/') : NULL;
	base = base ? base + 1 : path;
	if (!base)
		return 0;
	if (!strncmp(base, "libpython", 9) || !strncmp(base, "_ctypes", 7) || !strncmp(base, "libffi", 6))
		return 1;
	/* the python executable itself (static interpreter) */
	return !strncmp(base, "python", 6) && m->exe && !strcmp(path, m->exe);
}

int frame_cut_text(const struct frame *f, char *buf, size_t n)
{
	if (!f->function || strcmp(f->function, "...") || !f->file || f->file[0])
		return 0;
	if (f->python)
		snprintf(buf, n, "(the outer Python frames: the recorder keeps the innermost 128)");
	else if (f->cut_depth > 0)
		snprintf(buf, n, "(the outer native frames: the walk stopped at --depth %d)", f->cut_depth);
	else
		snprintf(buf, n, "(the outer native frames: the walk stopped at its depth limit)");
	return 1;
}

int frames_native_end(const struct frame *f, int n, int *cut)
{
	char text[128];
	*cut = 0;
	for (int i = 0; i < n; i++) {
		if (f[i].python)
			return i;
		if (frame_cut_text(&f[i], text, sizeof text)) {
			*cut = 1;
			return i;
		}
	}
	return n;
}

int model_frames_py(struct model *m, uint32_t stack, uint32_t pystack, struct frame *out, int max)
{
	int n = model_frames(m, stack, out, max), k;
	const struct pystack *ps;
	if (!pystack || pystack >= m->npystacks || !m->pystacks[pystack].frames)
		return n;
	ps = &m->pystacks[pystack];
	/* native frames down to where the interpreter starts, then Python's */
	for (k = 0; k < n; k++)
		if (interpreter_module(m, out[k].module))
			break;
	for (uint32_t i = 0; i < ps->n && k < max; i++, k++) {
		memset(&out[k], 0, sizeof out[k]);
		out[k].function = ps->frames[i].function;
		out[k].file = ps->frames[i].file;
		out[k].line = ps->frames[i].line;
		out[k].python = 1;
	}
	return k;
}
