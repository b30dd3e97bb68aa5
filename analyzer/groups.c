/* groups.c - see groups.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <inttypes.h>
#include "groups.h"
#include "xalloc.h"

const char *short_file(const char *path)
{
	const char *p, *last = NULL, *prev = NULL;
	if (!path)
		return NULL;
	for (p = path; *p; p++)
		if (*p == '/') {
			prev = last;
			last = p;
		}
	return prev ? prev + 1 : path;
}

/* "ns::f(int, std::vector<...>) const" -> "ns::f": the parameter list is
 * the last balanced (...) group of the name. */
char *func_name_only(const char *fn)
{
	size_t n = strlen(fn);
	char *r = strdup(fn);
	if (!r)
		return NULL;
	if (n > 6 && !strcmp(r + n - 6, " const"))
		r[n -= 6] = 0;
	if (n && r[n - 1] == ')') {
		int depth = 0;
		for (size_t i = n; i-- > 0;) {
			if (r[i] == ')')
				depth++;
			else if (r[i] == '(' && --depth == 0) {
				if (i > 0)
					r[i] = 0;
				break;
			}
		}
	}
	return r;
}

static int contains(const char *fn, const char *what)
{
	return fn && strstr(fn, what) != NULL;
}

int stack_is_exit(struct model *m, uint32_t stack)
{
	struct frame f[GROUP_MAX_FRAMES];
	int n = model_frames(m, stack, f, GROUP_MAX_FRAMES);
	for (int i = 0; i < n; i++)
		if (contains(f[i].function, "__run_exit_handlers") || contains(f[i].function, "__cxa_finalize") ||
		    contains(f[i].function, "_dl_fini") || (f[i].function && !strcmp(f[i].function, "exit")))
			return 1;
	return 0;
}

/* Functions that open a device or a mesh, outermost wins. */
static int is_open_call(const char *fn)
{
	static const char *const names[] = { "open_mesh_device", "MeshDevice::create", "create_unit_mesh",
					     "open_device", "CreateDevice", "Device::Device", "Device::initialize",
					     NULL };
	for (int i = 0; fn && names[i]; i++)
		if (strstr(fn, names[i]))
			return 1;
	return 0;
}

/* The index of the mark of a native stack cut at the depth limit, or -1 */
static int native_cut(const struct group *g)
{
	int cut, end = g->nframes > 1 ? 1 + frames_native_end(g->frames + 1, g->nframes - 1, &cut) : 0;
	return end && cut ? end : -1;
}

static void describe(struct group *g, struct buffer *first)
{
	struct model *m = g->m;
	int hook = first->created_at ? BT_HOOK_BUFFER_CREATE_AT : BT_HOOK_BUFFER_CREATE;
	int n, cut;

	struct frame *f = xcalloc(GROUP_STACK_LIMIT + 1, sizeof *f);

	/* the hooked call itself: our frames were cut from the stack */
	g->frames = f;
	if (first->rt != BT_RT_TTMETAL) /* a profile runtime: its own entry point */
		g->frames[0].function = first->first_hook >= 0 ? bt_hooks[first->first_hook].qualified : "?";
	else if (first->create_seen)
		g->frames[0].function = hook == BT_HOOK_BUFFER_CREATE_AT ? "tt::tt_metal::Buffer::create (at an address)"
									 : "tt::tt_metal::Buffer::create";
	else /* the create call was not seen: name the hook that first showed it */
		g->frames[0].function = first->first_hook >= 0 ? bt_hooks[first->first_hook].qualified : "?";
	n = model_frames_py(m, g->stack, first->create_pystack, g->frames + 1, GROUP_STACK_LIMIT);
	g->nframes = n + 1;
	g->cut = n >= GROUP_STACK_LIMIT;
	g->frames = xrealloc(f, (size_t)g->nframes * sizeof *f); /* what it holds, no more */
	g->init_depth = -1;
	for (int i = g->nframes - 1; i >= 1; i--)
		if (is_open_call(g->frames[i].function)) {
			g->init_depth = i;
			g->open_call = g->open_call_buf = func_name_only(g->frames[i].function);
			break;
		}
	cut = native_cut(g);
	if (first->open_hook >= 0 &&
	    (g->init_depth < 0 || (cut >= 0 && !strstr(g->open_call, bt_hooks[first->open_hook].name)))) {
		/* The frames did not name it, or name an inner one than the
		 * outermost open call in progress (a hook scope: exact) because
		 * the walk stopped at the depth limit below it: every frame up
		 * to the cut is then on its path. */
		free(g->open_call_buf);
		g->open_call_buf = NULL;
		g->open_call = bt_hooks[first->open_hook].name;
		g->init_depth = cut;
	}
	g->phase = g->open_call ? "init" : "runtime";
	for (int i = g->nframes - 1; i >= 1 && !g->open_call; i--)
		if (g->frames[i].function && (!strncmp(g->frames[i].function, "tt::", 4) ||
					      !strncmp(g->frames[i].function, "ttnn::", 6))) {
			g->top_call = g->frames[i].function;
			break;
		}
	if (!g->top_call && first->top_hook >= 0 && !g->open_call)
		g->top_call = bt_hooks[first->top_hook].name;
}

/* k[len..] = part (n bytes), growing k; 0 when out of memory (k freed) */
static int key_add(char **k, size_t *len, size_t *cap, const char *part, int n)
{
	if (n <= 0)
		return 1;
	if (*len + (size_t)n + 1 > *cap) {
		char *nk;
		*cap = (*len + (size_t)n + 1) * 2;
		nk = realloc(*k, *cap);
		if (!nk) {
			free(*k);
			*k = NULL;
			return 0;
		}
		*k = nk;
	}
	memcpy(*k + *len, part, (size_t)n + 1);
	*len += (size_t)n;
	return 1;
}

int group_frame_key(const struct frame *f, int lines, char *buf, size_t n)
{
	/* for diff, functions and not lines: a fix that moves code keeps its
	 * key; within one report, lines tell call sites apart */
	if (f->function && lines)
		return snprintf(buf, n, "%s:%d|", f->function, f->line);
	if (f->function)
		return snprintf(buf, n, "%s|", f->function);
	return snprintf(buf, n, "%s+0x%llx|", f->module ? short_file(f->module) : "?", (unsigned long long)f->ip);
}

/* Code the program's author did not write, between a model and the
 * runtime: installed packages, the standard library, frozen modules, and
 * ttnn's own Python package in a tt-metal source tree (its wrappers:
 * ttnn.from_torch in ttnn/ttnn/operations/core.py, the operation
 * decorators in ttnn/ttnn/decorators.py) */
static int python_library_file(const char *f)
{
	return f[0] == '<' || strstr(f, "/site-packages/") || strstr(f, "/dist-packages/") ||
	       strstr(f, "/lib/python3.") || strstr(f, "/lib64/python3.") || strstr(f, "/ttnn/ttnn/") ||
	       !strncmp(f, "ttnn/ttnn/", 10);
}

int group_python_origin(const struct group *g)
{
	int first = -1;
	for (int i = 0; i < g->nframes; i++) {
		const struct frame *f = &g->frames[i];
		if (!f->python || !f->file || !f->file[0])
			continue;
		if (!python_library_file(f->file))
			return i;
		if (first < 0)
			first = i;
	}
	return first;
}

int group_python_origin_text(const struct group *g, char *buf, size_t n)
{
	int k = group_python_origin(g);
	const struct frame *f = k >= 0 ? &g->frames[k] : NULL;
	if (!f)
		return 0;
	snprintf(buf, n, "%s:%d (%s)", short_file(f->file), f->line, f->function ? f->function : "?");
	return 1;
}

static char *make_key(struct group *g, int lines)
{
	size_t cap = 256, len = 0;
	char *k = malloc(cap), part[1024];
	if (!k)
		return NULL;
	k[0] = 0;
	for (int i = 0; i < g->nframes; i++) {
		int n = group_frame_key(&g->frames[i], lines, part, sizeof part);
		if (!key_add(&k, &len, &cap, part, n))
			return NULL;
	}
	/* a stack cut at the limit: the frames beyond are unseen, so only the
	 * same stack is the same path */
	if (g->cut && !key_add(&k, &len, &cap, part,
			       snprintf(part, sizeof part, "cut:%u:%u|", g->stack, g->bufs[0]->create_pystack)))
		return NULL;
	return k;
}

static int by_bytes(const void *a, const void *b)
{
	const struct group *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes < y->bytes ? 1 : -1;
	return x->count < y->count ? 1 : x->count > y->count ? -1 : 0;
}

static int by_addr_stack(const void *a, const void *b)
{
	const struct buffer *x = *(struct buffer *const *)a, *y = *(struct buffer *const *)b;
	if (x->address != y->address)
		return x->address < y->address ? -1 : 1;
	if (x->create_stack != y->create_stack)
		return x->create_stack < y->create_stack ? -1 : 1;
	if (x->create_pystack != y->create_pystack)
		return x->create_pystack < y->create_pystack ? -1 : 1;
	return x->created_seq < y->created_seq ? -1 : x->created_seq > y->created_seq;
}

/* MeshBuffer::create not seen (inlined): address buffers that share an
 * address and a creation stack, on different chips of one mesh, made one
 * right after another by one thread (one call's loop over its chips), are
 * taken as the per-chip buffers of one MeshBuffer (ids with the top bit
 * set, never a hook's).  Not so the control buffers each chip (or each
 * mesh opened again) reserves at the same addresses from the same code:
 * a chip's several buffers come between. */
static void infer_mesh_buffers(struct model *m, int dangling)
{
	size_t n = 0, i, k;
	struct buffer **v;
	for (struct buffer *b = m->kept; b; b = b->next)
		n += (dangling ? b->dangling : b->survivor) && b->created_at && !b->mesh_buffer;
	if (n < 2 || !(v = malloc(n * sizeof *v)))
		return;
	n = 0;
	for (struct buffer *b = m->kept; b; b = b->next)
		if ((dangling ? b->dangling : b->survivor) && b->created_at && !b->mesh_buffer)
			v[n++] = b;
	qsort(v, n, sizeof *v, by_addr_stack);
	for (i = 0; i < n; i = k) {
		int devs = 1;
		int64_t mesh = model_mesh_id(model_buffer_device(m, v[i]));
		for (k = i + 1; k < n && v[k]->address == v[i]->address && v[k]->create_stack == v[i]->create_stack &&
				v[k]->create_pystack == v[i]->create_pystack;
		     k++) {
			struct device *d = model_buffer_device(m, v[k]);
			int dup = 0;
			for (size_t j = i; j < k; j++)
				dup |= model_buffer_device(m, v[j]) == d;
			if (dup || !d)
				break; /* a second buffer on one chip: the next MeshBuffer */
			if (v[k]->create_tid != v[i]->create_tid || v[k]->made_after != v[k - 1]->created_seq + 1 ||
			    model_mesh_id(d) != mesh)
				break; /* not the next buffer of the same call */
			devs++;
		}
		if (devs < 2)
			continue;
		uint64_t id = (1ull << 63) | v[i]->created_seq, first = v[i]->created_seq;
		struct buffer *backing = NULL;
		for (size_t j = i; j < k; j++) {
			v[j]->mesh_buffer = id;
			if (v[j]->created_seq < first)
				first = v[j]->created_seq;
		}
		/* its backing buffer: the owning buffer on a mesh that the same
		 * thread made last before the first per-chip one, from the same
		 * Python line */
		for (struct buffer *b = m->kept; b; b = b->next) {
			struct device *d = model_buffer_device(m, b);
			if ((dangling ? b->dangling : b->survivor || b->dangling) && !b->created_at && !b->mesh_buffer && d &&
			    d->is_mesh && b->create_tid == v[i]->create_tid && b->create_pystack == v[i]->create_pystack &&
			    b->created_seq < first && (!backing || b->created_seq > backing->created_seq))
				backing = b;
		}
		if (backing) {
			backing->mesh_buffer = id;
			backing->mb_backing = 1;
		}
	}
	free(v);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* The MeshBuffers whose per-chip buffers outlived the close, sorted: a
 * backing buffer of one of them belongs to that item even when the
 * mesh's allocator teardown released its memory (dangling on its own),
 * so the item is one.  NULL when there are none. */
static uint64_t *surviving_mesh_buffers(const struct model *m, size_t *n)
{
	size_t k = 0;
	uint64_t *ids;
	for (const struct buffer *b = m->kept; b; b = b->next)
		k += b->mesh_buffer && b->survivor && !b->mb_backing;
	*n = 0;
	if (!k || !(ids = malloc(k * sizeof *ids)))
		return NULL;
	for (const struct buffer *b = m->kept; b; b = b->next)
		if (b->mesh_buffer && b->survivor && !b->mb_backing)
			ids[(*n)++] = b->mesh_buffer;
	qsort(ids, *n, sizeof *ids, cmp_u64);
	return ids;
}

static int backing_joins(const uint64_t *ids, size_t n, const struct buffer *b)
{
	return b->dangling && b->mb_backing && ids && bsearch(&b->mesh_buffer, ids, n, sizeof *ids, cmp_u64);
}

struct group *groups_build(struct model *m, int dangling, size_t *out_n)
{
	struct group *g = NULL;
	size_t n = 0;
	size_t nsurv;
	uint64_t *surv;
	infer_mesh_buffers(m, dangling);
	surv = surviving_mesh_buffers(m, &nsurv);
	for (struct buffer *b = m->kept; b; b = b->next) {
		struct group *x = NULL;
		int joins = backing_joins(surv, nsurv, b);
		if (dangling ? !b->dangling || joins : !b->survivor && !joins)
			continue;
		/* one MeshBuffer, one group: its backing buffer's stack differs
		 * from its address buffers' only inside MeshBuffer::create */
		for (size_t i = 0; b->mesh_buffer && i < n; i++)
			for (size_t k = 0; k < g[i].nbufs && !x; k++)
				if (g[i].bufs[k]->mesh_buffer == b->mesh_buffer)
					x = &g[i];
		for (size_t i = 0; !x && i < n; i++)
			if (g[i].stack == b->create_stack && g[i].bufs[0]->create_pystack == b->create_pystack &&
			    g[i].bufs[0]->created_at == b->created_at && !g[i].bufs[0]->mesh_buffer == !b->mesh_buffer &&
			    g[i].bufs[0]->create_nogil == b->create_nogil) {
				x = &g[i];
				break;
			}
		if (!x) {
			struct group *ng = realloc(g, (n + 1) * sizeof *g);
			if (!ng)
				break;
			g = ng;
			x = &g[n++];
			memset(x, 0, sizeof *x);
			x->m = m;
			x->dangling = dangling;
			x->stack = b->create_stack;
		}
		struct buffer **nb = realloc(x->bufs, (x->nbufs + 1) * sizeof *nb);
		if (!nb)
			break;
		x->bufs = nb;
		x->bufs[x->nbufs++] = b;
		/* its memory went with the mesh's allocator: listed, not counted */
		if (!joins) {
			x->count++;
			x->bytes += b->size;
		}
		if (b->fate == FATE_DESTROYED && b->destroy_stack && stack_is_exit(m, b->destroy_stack))
			b->fate = FATE_DESTROYED_AT_EXIT;
		if (!joins)
			x->fates[b->fate]++;
	}
	for (size_t i = 0; i < n; i++) {
		/* a MeshBuffer item is described by its per-chip buffers */
		for (size_t k = 1; g[i].bufs[0]->mb_backing && k < g[i].nbufs; k++)
			if (!g[i].bufs[k]->mb_backing) {
				struct buffer *t = g[i].bufs[0];
				g[i].bufs[0] = g[i].bufs[k];
				g[i].bufs[k] = t;
				g[i].stack = g[i].bufs[0]->create_stack;
			}
		describe(&g[i], g[i].bufs[0]);
		g[i].key = make_key(&g[i], 0);
		g[i].line_key = make_key(&g[i], 1);
	}
	/* Different return addresses, same source path (an unrolled loop, a
	 * duplicated tail): one group. */
	for (size_t i = 0; i < n; i++)
		for (size_t k = i + 1; k < n; k++) {
			struct buffer **nb;
			if (!g[i].line_key || !g[k].line_key || strcmp(g[i].line_key, g[k].line_key) ||
			    g[i].bufs[0]->created_at != g[k].bufs[0]->created_at ||
			    !g[i].bufs[0]->mesh_buffer != !g[k].bufs[0]->mesh_buffer)
				continue;
			nb = realloc(g[i].bufs, (g[i].nbufs + g[k].nbufs) * sizeof *nb);
			if (!nb)
				continue;
			g[i].bufs = nb;
			memcpy(g[i].bufs + g[i].nbufs, g[k].bufs, g[k].nbufs * sizeof *nb);
			g[i].nbufs += g[k].nbufs;
			g[i].count += g[k].count;
			g[i].bytes += g[k].bytes;
			for (int f = 0; f < 3; f++)
				g[i].fates[f] += g[k].fates[f];
			free(g[k].bufs);
			free(g[k].frames);
			free(g[k].key);
			free(g[k].line_key);
			free(g[k].open_call_buf);
			g[k--] = g[--n];
		}
	for (size_t i = 0; i < n; i++) {
		struct group *x = &g[i];
		for (size_t k = 0; k < x->nbufs; k++) {
			int dup = 0;
			uint64_t id = x->bufs[k]->mesh_buffer;
			for (size_t j = 0; id && j < k && !dup; j++)
				dup = x->bufs[j]->mesh_buffer == id;
			if (id && !dup)
				x->mesh_buffers++;
			if (id && !(id >> 63))
				x->by_hook = 1;
		}
		/* who holds it: what the runtime made for itself while opening
		 * the device (or released in bulk, a program cache) is the
		 * runtime's; what the program made after init (a tensor) and
		 * never let go before the close is the program's */
		x->held_by = x->dangling || (x->open_call && !x->mesh_buffers) ? "runtime" : "program";
	}
	free(surv);
	if (n > 1)
		qsort(g, n, sizeof *g, by_bytes);
	*out_n = n;
	return g;
}

void groups_free(struct group *g, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(g[i].bufs);
		free(g[i].frames);
		free(g[i].key);
		free(g[i].line_key);
		free(g[i].open_call_buf);
	}
	free(g);
}

/* id added to ids (n of at most max) if it is not there yet and there is
 * room: 1 if it was */
static int id_add(int64_t *ids, int *n, int max, int64_t id)
{
	for (int k = 0; k < *n; k++)
		if (ids[k] == id)
			return 0;
	if (*n >= max)
		return 0;
	ids[(*n)++] = id;
	return 1;
}

/* types[] (cap bytes, *to used) gets buffer type t's name, "+" between,
 * the first time t is seen (seen[6]; 5: unknown, "?") */
static void type_add(int *seen, char *types, size_t cap, size_t *to, int t)
{
	if (seen[t])
		return;
	seen[t] = 1;
	*to += (size_t)snprintf(types + *to, cap - *to, "%s%s", *to ? "+" : "", t < 5 ? bt_buffer_type_name((uint64_t)t) : "?");
}

/* "0-7", "0,2,5": sorted ids, runs folded */
static void id_list(char *buf, size_t n, int64_t *ids, int nid)
{
	size_t o = 0;
	buf[0] = 0;
	for (int i = 1; i < nid; i++)
		for (int k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
			int64_t t = ids[k];
			ids[k] = ids[k - 1];
			ids[k - 1] = t;
		}
	for (int i = 0; i < nid && o < n; i++) {
		int k = i;
		while (k + 1 < nid && ids[k + 1] == ids[k] + 1)
			k++;
		if (ids[i] < 0)
			o += (size_t)snprintf(buf + o, n - o, "%s?", o ? "," : "");
		else if (k > i + 1)
			o += (size_t)snprintf(buf + o, n - o, "%s%" PRId64 "-%" PRId64, o ? "," : "", ids[i], ids[k]);
		else {
			o += (size_t)snprintf(buf + o, n - o, "%s%" PRId64, o ? "," : "", ids[i]);
			k = i;
		}
		i = k;
	}
}

void group_bytes_human(char *buf, size_t n, uint64_t b)
{
	if (b >= 1 << 20 && b % (1 << 20) == 0)
		snprintf(buf, n, "%" PRIu64 " MiB", b >> 20);
	else if (b >= 1024 && b % 1024 == 0)
		snprintf(buf, n, "%" PRIu64 " KiB", b >> 10);
	else
		snprintf(buf, n, "%" PRIu64 " bytes", b);
}

void group_mesh_heading(const struct group *g, char *buf, size_t n)
{
	struct model *m = g->m;
	int64_t chips[64], meshes[8];
	int nc = 0, nm = 0, seen_t[6] = { 0 };
	uint64_t lo = 0, hi = 0, nper = 0, backing = 0;
	char hl[64], hh[64], size[160], types[64] = "", cl[256], ml[64];
	size_t o, to = 0;
	for (size_t i = 0; i < g->nbufs; i++) {
		struct buffer *b = g->bufs[i];
		struct device *d = model_buffer_device(m, b);
		int64_t id = model_device_id(d);
		int t = b->type >= 0 && b->type < 5 ? b->type : 5;
		if ((d && d->is_mesh) || b->mb_backing) {
			backing++;
			id_add(meshes, &nm, 8, model_mesh_id(d));
			continue;
		}
		/* the per-chip buffers: their sizes and types as they are, not
		 * the first one's for all */
		if (!nper++ || b->size < lo)
			lo = b->size;
		if (b->size > hi)
			hi = b->size;
		type_add(seen_t, types, sizeof types, &to, t);
		id_add(chips, &nc, 64, id);
	}
	group_bytes_human(hl, sizeof hl, lo);
	group_bytes_human(hh, sizeof hh, hi);
	if (lo == hi)
		snprintf(size, sizeof size, "%s", hl);
	else
		snprintf(size, sizeof size, "%s to %s", hl, hh);
	id_list(cl, sizeof cl, chips, nc);
	/* "each of" only where every MeshBuffer has a buffer on every chip */
	o = (size_t)snprintf(buf, n, "%" PRIu64 " mesh buffer%s, %s of %s on %schip%s %s", g->mesh_buffers,
			     g->mesh_buffers == 1 ? "" : "s", size, to ? types : "?",
			     nc > 1 && nper == g->mesh_buffers * (uint64_t)nc ? "each of " : "", nc == 1 ? "" : "s", cl);
	if (backing && o < n) {
		id_list(ml, sizeof ml, meshes, nm);
		snprintf(buf + o, n - o, " (+ backing buffer%s on mesh%s %s)", backing == 1 ? "" : "s", nm == 1 ? "" : "es", ml);
	}
}

void group_tt_heading(const struct group *g, char *buf, size_t n)
{
	struct model *m = g->m;
	char hb[64], types[128] = "", devs[256] = "", ml[64];
	size_t to = 0, dof = 0, o;
	int seen_t[6] = { 0 };
	int64_t seen_d[64], meshes[8];
	int nd = 0, nchip = 0, nm = 0, mesh_unknown = 0;

	group_bytes_human(hb, sizeof hb, g->bytes);
	for (size_t i = 0; i < g->nbufs; i++) {
		struct buffer *b = g->bufs[i];
		struct device *dv = model_buffer_device(m, b);
		int t = b->type >= 0 && b->type < 5 ? b->type : 5;
		int ism = dv && dv->is_mesh;
		/* meshes and chips apart: a mesh's id is not a chip's */
		int64_t d = ism ? -2 - model_device_id(dv) : model_device_id(dv), mid = model_mesh_id(dv);
		type_add(seen_t, types, sizeof types, &to, t);
		if (!ism) {
			/* the meshes its chips were in */
			if (mid < 0)
				mesh_unknown = 1;
			else
				id_add(meshes, &nm, 8, mid);
		}
		if (id_add(seen_d, &nd, 64, d)) {
			if (ism && d <= -2)
				dof += (size_t)snprintf(devs + dof, sizeof devs - dof, "%smesh %" PRId64, dof ? "," : "", -2 - d);
			else if (ism)
				dof += (size_t)snprintf(devs + dof, sizeof devs - dof, "%smesh ?", dof ? "," : "");
			else if (d >= 0)
				dof += (size_t)snprintf(devs + dof, sizeof devs - dof, "%s%" PRId64, dof ? "," : "", d);
			else
				dof += (size_t)snprintf(devs + dof, sizeof devs - dof, "%s?", dof ? "," : "");
			nchip += !ism;
		}
	}
	o = (size_t)snprintf(buf, n, "%" PRIu64 " buffer%s, %s of %s on %s%s", g->count, g->count == 1 ? "" : "s", hb,
			     types, nchip ? (nd == 1 ? "device " : "devices ") : "", devs);
	if (nm && !mesh_unknown && o < n) {
		id_list(ml, sizeof ml, meshes, nm);
		snprintf(buf + o, n - o, " (mesh%s %s)", nm == 1 ? "" : "es", ml);
	}
}

int group_registered(const struct group *g)
{
	int reg = 0;
	for (size_t i = 0; i < g->nbufs; i++)
		reg |= g->bufs[i]->registered && !(g->mesh_buffers && g->bufs[i]->mb_backing);
	return reg;
}

const char *group_kind(const struct buffer *b)
{
	return b->first_hook >= 0 && b->first_hook < BT_HOOK_COUNT && bt_hooks[b->first_hook].kind
		       ? bt_hooks[b->first_hook].kind
		       : "object";
}

void group_rt_heading(const struct group *g, char *buf, size_t n)
{
	const struct buffer *b0 = g->bufs[0];
	const struct bt_runtime_def *rt = &bt_runtimes[b0->rt];
	const char *kind = group_kind(b0);
	char hb[64];
	size_t unknown = 0, o;
	int mixed = 0, ndev = 1;
	for (size_t i = 0; i < g->nbufs; i++) {
		mixed |= strcmp(group_kind(g->bufs[i]), kind) != 0;
		unknown += (size_t)g->bufs[i]->size_unknown;
		ndev += g->bufs[i]->device != b0->device && ndev == 1;
	}
	group_bytes_human(hb, sizeof hb, g->bytes);
	o = (size_t)snprintf(buf, n, "%" PRIu64 " %s%s, %s%s on ", g->count, mixed ? "object" : kind,
			     /* "3 cl_mem", as OpenCL programmers write it; "2 VkBuffers" */
			     g->count == 1 || (!mixed && strchr(kind, '_') && !strchr(kind, ' ')) ? "" : "s",
			     unknown == g->nbufs ? "size not given by the call" : hb,
			     unknown && unknown < g->nbufs ? " + objects of unknown size" : "");
	if (o >= n)
		return;
	if (ndev > 1)
		snprintf(buf + o, n - o, "several %ss", rt->device_word);
	else if (b0->device)
		snprintf(buf + o, n - o, "%s 0x%" PRIx64, rt->device_word, b0->device);
	else
		snprintf(buf + o, n - o, "an unknown %s", rt->device_word);
}

void group_rt_held(const struct group *g, char *buf, size_t n)
{
	const struct buffer *b0 = g->bufs[0];
	const struct bt_runtime_def *rt = &bt_runtimes[b0->rt];
	if (b0->close_hook >= 0)
		snprintf(buf, n, "held by the program: %s when %s %s its %s", rt->still, model_close_name(b0->close_hook),
			 rt->closing, rt->device_word);
	else
		snprintf(buf, n, "held by the program: %s at process exit (its %s was never %s)", rt->still,
			 rt->device_word, rt->closed);
}
