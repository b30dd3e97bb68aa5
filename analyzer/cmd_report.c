/* cmd_report.c - `buftrace report [OPTIONS] [TRACE|DIR ...]`
 *
 * Which buffers were alive, their memory unreleased, when their device or
 * mesh closed; grouped by the path that created them, with the init path
 * (open call -> Buffer::create) marked.  Text for people, JSON for
 * machines (docs/report-schema.md), folded stacks for flame graphs, and
 * exit status 3 with --fail-on-survivors for CI gates. */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "buftrace.h"
#include "groups.h"
#include "json.h"
#include "leaks.h"
#include "report.h"
#include "report_html.h"
#include "trace_format.h"
#include "xalloc.h"

enum format { FMT_TEXT, FMT_JSON, FMT_FOLDED, FMT_HTML, FMT_PERFETTO };

struct opts {
	enum format format;
	int fail_on_survivors, color, width;
	const char *output; /* -o FILE, html and perfetto */
};

static const char *B = "", *Y = "", *D = "", *R = "";

static void usage(FILE *f)
{
	fprintf(f, "usage: buftrace report [--format text|json|folded|html|perfetto] [-o FILE]\n"
		   "                       [--fail-on-survivors] [--color auto|always|never] [TRACE|DIR ...]\n"
		   "  With no TRACE: the traces of the last `buftrace record` run in this directory\n"
		   "  (listed in ./buftrace.last), else every buftrace.*.zst here.\n"
		   "  Exit status: 0 ok, 1 bad input, 2 usage, 3 survivors (with --fail-on-survivors).\n");
}

/* --- collecting trace files ---------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int collect_traces(int argc, char **argv, char ***out)
{
	char **v = NULL;
	int n = 0;
	int any = 0;
	for (int i = 0; i < argc; i++) {
		struct stat st;
		any = 1;
		if (stat(argv[i], &st) == 0 && S_ISDIR(st.st_mode)) {
			DIR *d = opendir(argv[i]);
			struct dirent *de;
			int found = 0;
			while (d && (de = readdir(d))) {
				size_t l = strlen(de->d_name);
				if (strncmp(de->d_name, "buftrace.", 9) || l < 4 || strcmp(de->d_name + l - 4, ".zst"))
					continue;
				v = realloc(v, (size_t)(n + 1) * sizeof *v);
				v[n] = malloc(strlen(argv[i]) + l + 2);
				sprintf(v[n++], "%s/%s", argv[i], de->d_name);
				found = 1;
			}
			if (d)
				closedir(d);
			if (!found) {
				fprintf(stderr, "buftrace: %s: no buftrace.*.zst traces in this directory\n", argv[i]);
				n = -1;
				break;
			}
		} else {
			v = realloc(v, (size_t)(n + 1) * sizeof *v);
			v[n++] = strdup(argv[i]);
		}
	}
	if (!any) {
		/* no argument: the traces of the last `buftrace record` run here,
		 * else every trace in this directory */
		FILE *last = fopen("buftrace.last", "r");
		char line[4096];
		while (last && fgets(line, sizeof line, last)) {
			line[strcspn(line, "\n")] = 0;
			if (!line[0] || access(line, R_OK))
				continue;
			v = realloc(v, (size_t)(n + 1) * sizeof *v);
			v[n++] = strdup(line);
		}
		if (last)
			fclose(last);
		if (n) {
			*out = v;
			return n;
		}
		char *dot[] = { "." };
		return collect_traces(1, dot, out);
	}
	if (n > 1)
		qsort(v, (size_t)n, sizeof *v, cmp_str);
	*out = v;
	return n;
}

/* --- text ------------------------------------------------------------------ */

static double secs(const struct model *m, uint64_t ns)
{
	return ns > m->start_ns ? (double)(ns - m->start_ns) / 1e9 : 0.0;
}


static void by_type_line(char *buf, size_t n, const uint64_t *by_type)
{
	size_t o = 0;
	buf[0] = 0;
	for (int t = 0; t < 6; t++)
		if (by_type[t] && o < n)
			o += (size_t)snprintf(buf + o, n - o, ", %s: %" PRIu64 " bytes", t < 5 ? bt_buffer_type_name((uint64_t)t) : "?",
					      by_type[t]);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct device *x = *(struct device *const *)a, *y = *(struct device *const *)b;
	int64_t ix = x->chip_id >= 0 ? x->chip_id : 1000 + x->mesh_id, iy = y->chip_id >= 0 ? y->chip_id : 1000 + y->mesh_id;
	/* one chip opened again (a new device each time): in time order */
	if (ix == iy)
		return x->opened_ns < y->opened_ns ? -1 : x->opened_ns > y->opened_ns;
	return ix < iy ? -1 : ix > iy;
}

/* More than one mesh in the process: a chip's lines say which. */
static int meshes_many(struct model *m)
{
	int n = 0;
	for (struct device *d = m->devices; d; d = d->next)
		n += d->is_mesh;
	return n > 1;
}

static struct device **sorted_devices(struct model *m, size_t *n)
{
	size_t c = 0, i = 0;
	struct device **v;
	for (struct device *d = m->devices; d; d = d->next)
		c++;
	v = calloc(c + 1, sizeof *v);
	for (struct device *d = m->devices; d && v; d = d->next)
		v[i++] = d;
	if (v)
		qsort(v, c, sizeof *v, cmp_dev);
	*n = v ? c : 0;
	return v;
}

static int same_frame(const struct frame *a, const struct frame *b)
{
	return a->ip == b->ip && a->line == b->line && a->python == b->python && a->inlined == b->inlined &&
	       !strcmp(a->function ? a->function : "", b->function ? b->function : "") &&
	       !strcmp(a->file ? a->file : "", b->file ? b->file : "") &&
	       !strcmp(a->module ? a->module : "", b->module ? b->module : "");
}

static void print_frame_text(const struct opts *o, const struct frame *f, int mark);

/* A stack, innermost first; a frame repeated three times or more in a
 * row (recursion) is shown once, with its count. */
static void print_stack_text(const struct opts *o, const struct frame *f, int n, int init_depth)
{
	for (int i = 0; i < n;) {
		int j = i + 1;
		while (j < n && same_frame(&f[i], &f[j]))
			j++;
		print_frame_text(o, &f[i], i <= init_depth);
		if (j - i >= 3) {
			printf("      %s(the same frame %d more times)%s\n", D, j - i - 1, R);
			i = j;
		} else {
			i++;
		}
	}
}

static void print_frame_text(const struct opts *o, const struct frame *f, int mark)
{
	char fn[512], loc[300];
	const char *name = f->function;
	int room;
	if (frame_cut_text(f, fn, sizeof fn)) {
		printf("    %s%s%s %s%s%s\n", mark ? Y : "", mark ? ">" : " ", mark ? R : "", D, fn, R);
		return;
	}
	if (!name) {
		snprintf(fn, sizeof fn, "%s+0x%" PRIx64, f->module ? short_file(f->module) : "??", f->ip);
		name = fn;
	}
	if (f->file)
		snprintf(loc, sizeof loc, "%s:%d", short_file(f->file), f->line);
	else if (f->module && f->function)
		snprintf(loc, sizeof loc, "(%s)", short_file(f->module));
	else
		loc[0] = 0;
	/* fit 100 columns: elide the parameter list first, then the middle */
	room = o->width - 8 - (int)strlen(loc);
	if (room < 30)
		room = 30;
	char shown[512];
	snprintf(shown, sizeof shown, "%s", name);
	if ((int)strlen(shown) > room) {
		char *base = func_name_only(name);
		if (base && strcmp(base, name))
			snprintf(shown, sizeof shown, "%s(...)", base);
		free(base);
	}
	if ((int)strlen(shown) > room) {
		int keep = room - 3;
		memmove(shown + 3, shown + strlen(shown) - keep, (size_t)keep + 1);
		memcpy(shown, "...", 3);
	}
	if (loc[0])
		printf("    %s%s%s %-*s %s%s%s\n", mark ? Y : "", mark ? ">" : " ", mark ? R : "", room, shown, D, loc, R);
	else
		printf("    %s%s%s %s\n", mark ? Y : "", mark ? ">" : " ", mark ? R : "", shown);
	(void)f->inlined;
}

/* Was the buffer made on a mesh (a MeshBuffer's backing buffer)? */
static int is_mesh_dev(struct model *m, const struct buffer *b)
{
	struct device *d = model_buffer_device(m, b);
	return d && d->is_mesh;
}

/* "1 mesh buffer, 4 KiB of L1 on each of chips 0-7 (+ backing buffer on mesh 0)" */
static void print_mesh_head(struct group *g, int idx)
{
	char head[384];
	group_mesh_heading(g, head, sizeof head);
	printf("%s#%d  %s%s\n", B, idx, head, R);
}

/* An item of a profile runtime (OpenCL, Vulkan): its objects in the
 * runtime's words, the device by handle. */
static void print_group_text_rt(const struct opts *o, struct group *g, int idx)
{
	struct model *m = g->m;
	struct buffer *b0 = g->bufs[0];
	char head[384], held[256];

	group_rt_heading(g, head, sizeof head);
	group_rt_held(g, held, sizeof held);
	printf("%s#%d  %s%s\n", B, idx, head, R);
	if (b0->close_hook >= 0)
		printf("    %s at +%.3f s\n", held, secs(m, b0->close_ns));
	else
		printf("    %s\n", held);
	for (size_t i = 0; i < g->nbufs && i < 8; i++)
		if (g->bufs[i]->parent) {
			const struct buffer *pb = model_kept_find(m, g->bufs[i]->parent, g->bufs[i]->created_seq);
			printf("    part of %s 0x%" PRIx64 "%s\n", pb ? group_kind(pb) : "the object", g->bufs[i]->parent,
			       pb && pb->survivor ? ", itself still referenced" : "");
		}
	if (b0->mem_type >= 0)
		printf("    memory type %" PRId64 " (heap %" PRId64 ")\n", b0->mem_type, b0->heap);
	if (b0->usage >= 0)
		printf("    usage 0x%" PRIx64 "\n", (uint64_t)b0->usage);
	for (size_t i = 0; i < g->nbufs && i < 8; i++)
		if (g->bufs[i]->memory) {
			const struct buffer *mb = model_kept_find(m, g->bufs[i]->memory, UINT64_MAX);
			printf("    0x%" PRIx64 " bound to %s 0x%" PRIx64 "%s\n", g->bufs[i]->obj, mb ? group_kind(mb) : "memory",
			       g->bufs[i]->memory, mb && mb->survivor ? ", not freed either" : "");
		}
	printf("    fate: ");
	{
		const char *sep = "";
		if (g->fates[FATE_DESTROYED_AT_EXIT]) {
			printf("%" PRIu64 " %s at process exit", g->fates[FATE_DESTROYED_AT_EXIT], bt_runtimes[b0->rt].released);
			sep = ", ";
		}
		if (g->fates[FATE_DESTROYED]) {
			printf("%s%" PRIu64 " %s later", sep, g->fates[FATE_DESTROYED], bt_runtimes[b0->rt].released);
			sep = ", ";
		}
		if (g->fates[FATE_ALIVE_AT_END])
			printf("%s%" PRIu64 " never %s", sep, g->fates[FATE_ALIVE_AT_END], bt_runtimes[b0->rt].released);
		printf("\n");
	}
	printf("    creation stack:\n");
	print_stack_text(o, g->frames, g->nframes, -1);
	printf("    objects:");
	for (size_t i = 0; i < g->nbufs && i < 8; i++) {
		struct buffer *b = g->bufs[i];
		if (b->size_unknown)
			printf(" 0x%" PRIx64, b->obj);
		else
			printf(" 0x%" PRIx64 "(%" PRIu64 ")", b->obj, b->size);
	}
	if (g->nbufs > 8)
		printf(" ... %zu more", g->nbufs - 8);
	printf("\n\n");
}

static void print_group_text_tt(const struct opts *o, struct group *g, int idx)
{
	struct model *m = g->m;
	struct buffer *b0 = g->bufs[0];
	char head[512];

	if (g->mesh_buffers) {
		print_mesh_head(g, idx);
	} else {
		group_tt_heading(g, head, sizeof head);
		printf("%s#%d  %s%s\n", B, idx, head, R);
	}
	if (!strcmp(g->held_by, "program")) {
		/* from Python, the line that made it where one looks first (the
		 * stack below has every frame) */
		char at[600];
		printf("    held by the program: %s", g->mesh_buffers ? "a tensor (MeshBuffer)" : "a buffer it created");
		if (group_python_origin_text(g, at, sizeof at))
			printf(" made at %s,", at);
		printf(" still referenced when %s closed it\n", model_close_name(b0->close_hook));
	} else
		printf("    held by the runtime: %s\n", g->dangling ? "an object the runtime keeps (program cache) past the close"
							   : "a control buffer it made while opening the device");
	printf("    %s %s at +%.3f s\n", g->dangling ? "memory released in bulk by allocator teardown, object alive after"
					     : "alive after",
	       model_close_name(b0->close_hook), secs(m, b0->close_ns));
	if (b0->owns_data == 0)
		printf("    created at pre-existing addresses (owns_data=false)");
	else if (b0->owns_data == 1)
		printf("    owning buffers (owns_data=true)");
	else
		printf("    owns_data unknown (the create call was not seen)");
	int bulk = 0, backing = 0;
	/* a MeshBuffer's backing buffer is told of on its own line */
	for (size_t i = 0; g->mesh_buffers && i < g->nbufs; i++)
		if (g->bufs[i]->mb_backing) {
			backing++;
			bulk |= g->bufs[i]->released_bulk;
		}
	printf("; %s\n", group_registered(g) ? "registered with an allocator" : "never registered with an allocator");
	if (backing)
		printf("    backing buffer%s: owning, placed by the mesh's allocator%s\n", backing == 1 ? "" : "s",
		       bulk ? "; its memory released in bulk when the mesh closed" : "");
	if (g->open_call)
		printf("    created during %s: %s\n", strstr(g->open_call, "Mesh") || strstr(g->open_call, "mesh") ? "mesh init" : "device init",
		       g->open_call);
	else
		printf("    created after init%s%s\n", g->top_call ? ", under " : "", g->top_call ? g->top_call : "");
	printf("    fate: ");
	{
		const char *sep = "";
		if (g->fates[FATE_DESTROYED_AT_EXIT]) {
			printf("%" PRIu64 " destroyed at process exit", g->fates[FATE_DESTROYED_AT_EXIT]);
			sep = ", ";
		}
		if (g->fates[FATE_DESTROYED]) {
			printf("%s%" PRIu64 " destroyed later", sep, g->fates[FATE_DESTROYED]);
			sep = ", ";
		}
		if (g->fates[FATE_ALIVE_AT_END])
			printf("%s%" PRIu64 " never seen to die", sep, g->fates[FATE_ALIVE_AT_END]);
		printf("\n");
	}
	if (b0->create_nogil)
		printf("    made from Python with the GIL released (ctypes.CDLL, a binding's gil_scoped_release): "
		       "its Python callers cannot be read\n");
	printf("    %s:\n", g->init_depth > 0 ? "creation stack, init path marked > (open call -> Buffer::create)"
					    : "creation stack");
	print_stack_text(o, g->frames, g->nframes, g->init_depth);
	printf("    buffers:");
	/* a MeshBuffer's backing buffer first, then its chips' buffers,
	 * each named by where it lives */
	size_t shown = 0;
	int several = 0; /* devices: each buffer says its chip */
	for (size_t i = 1; i < g->nbufs; i++)
		several |= model_device_id(model_buffer_device(m, g->bufs[i])) != model_device_id(model_buffer_device(m, b0));
	for (int pass = g->mesh_buffers ? 0 : 1; pass < 2; pass++)
		for (size_t i = 0; i < g->nbufs && shown < 8; i++) {
			struct buffer *b = g->bufs[i];
			int64_t id = model_device_id(model_buffer_device(m, b));
			if (g->mesh_buffers && b->mb_backing != !pass)
				continue;
			printf("%s", shown++ ? ", " : " ");
			if (g->mesh_buffers && b->mb_backing)
				printf("mesh %" PRId64 " backing: ", id);
			else if (g->mesh_buffers || several)
				printf("chip %" PRId64 ": ", id);
			if (b->has_address)
				printf("0x%" PRIx64 "(%" PRIu64 ")", b->address, b->size);
			else
				printf("address unknown(%" PRIu64 ")", b->size);
		}
	if (g->nbufs > shown)
		printf(" ... %zu more", g->nbufs - shown);
	printf("\n\n");
}

static void print_group_text(const struct opts *o, struct group *g, int idx)
{
	if (g->bufs[0]->rt != BT_RT_TTMETAL)
		print_group_text_rt(o, g, idx);
	else
		print_group_text_tt(o, g, idx);
}

static void print_text(const struct opts *o, struct model *m, struct group *sg, size_t nsg, struct group *dg,
		       size_t ndg)
{
	size_t nd;
	struct device **devs = sorted_devices(m, &nd);
	uint64_t count = 0, bytes = 0;
	char hb[64];

	printf("%sbuftrace report%s: %s", B, R, m->path);
	if (m->of_many) /* files concatenated: never one process */
		printf(" (trace %d of a concatenated file, at stream offset %" PRIu64 ")", m->index, m->offset);
	printf("\n");
	printf("  pid %" PRIu64 ", %s, %" PRIu64 " events over %.3f s%s\n", m->pid, m->cmdline ? m->cmdline : "?",
	       m->nevents, secs(m, m->end_ns),
	       m->complete  ? ""
	       : m->running ? " (still running: what it has written so far)"
			    : " (trace incomplete: the process was killed, or its recorder stopped early)");
	if (m->lost)
		printf("  %" PRIu64 " events missing from the trace\n", m->lost);
	if (m->unrecorded_signal)
		printf("  %" PRIu64 " hooked calls made inside signal handlers were not recorded\n", m->unrecorded_signal);
	/* closes, in order, with the monitor-style statistics */
	int many = meshes_many(m);
	for (size_t i = 0; i < nd; i++) {
		struct device *d = devs[i];
		char line[256];
		if (!d->closed || (d->is_mesh && !d->surv_count))
			continue;
		if (d->is_mesh) {
			/* a mesh's own buffers (MeshBuffer backing buffers): never a chip */
			by_type_line(line, sizeof line, d->surv_by_type);
			printf("  close at +%.3f s (%s): Mesh %" PRId64 ": Buffers: %" PRIu64 "%s\n", secs(m, d->closed_ns),
			       model_close_name(d->close_hook), d->mesh_id, d->surv_count, line);
			continue;
		}
		if (d->rt != BT_RT_TTMETAL) {
			/* a profile runtime's device, by handle, in its words */
			const struct bt_runtime_def *rt = &bt_runtimes[d->rt];
			if (d->close_hook < 0)
				printf("  at exit: %s 0x%" PRIx64 " (never %s): %" PRIu64 " %s%s %s, %" PRIu64 " bytes\n",
				       rt->device_word, d->ptr, rt->closed, d->surv_count, rt->object_word,
				       d->surv_count == 1 ? "" : "s", rt->still, d->surv_bytes);
			else
				printf("  close at +%.3f s (%s): %s 0x%" PRIx64 ": %" PRIu64 " %s%s %s, %" PRIu64 " bytes\n",
				       secs(m, d->closed_ns), model_close_name(d->close_hook), rt->device_word, d->ptr,
				       d->surv_count, rt->object_word, d->surv_count == 1 ? "" : "s", rt->still, d->surv_bytes);
			continue;
		}
		by_type_line(line, sizeof line, d->surv_by_type);
		printf("  close at +%.3f s (%s): Device %" PRId64, secs(m, d->closed_ns), model_close_name(d->close_hook),
		       d->chip_id);
		if (d->mesh && many)
			printf(" (mesh %" PRId64 ")", d->mesh->mesh_id);
		printf(": Buffers: %" PRIu64 "%s\n", d->surv_count, line);
	}
	{
		/* at exit: the survivors still alive when the process began to exit */
		uint64_t ec[256] = { 0 }, eb[256][6];
		memset(eb, 0, sizeof eb);
		for (size_t i = 0; i < nsg; i++)
			for (size_t k = 0; k < sg[i].nbufs; k++) {
				struct buffer *b = sg[i].bufs[k];
				int64_t id = model_device_id(model_buffer_device(m, b));
				if (b->fate == FATE_DESTROYED || id < 0 || id > 255 || is_mesh_dev(m, b) ||
				    b->rt != BT_RT_TTMETAL)
					continue;
				ec[id]++;
				eb[id][b->type >= 0 && b->type < 5 ? b->type : 5] += b->size;
			}
		for (int id = 0; id < 256; id++)
			if (ec[id]) {
				char line[256];
				by_type_line(line, sizeof line, eb[id]);
				printf("  at exit: Device %d: Buffers: %" PRIu64 "%s\n", id, ec[id], line);
			}
	}
	printf("\n");
	for (size_t i = 0; i < nsg; i++) {
		count += sg[i].count;
		bytes += sg[i].bytes;
	}
	group_bytes_human(hb, sizeof hb, bytes);
	{
		/* in the runtime's words when every item is of one runtime */
		int rt = nsg ? sg[0].bufs[0]->rt : BT_RT_TTMETAL;
		for (size_t i = 0; i < nsg; i++)
			if (sg[i].bufs[0]->rt != rt)
				rt = -1;
		for (struct device *d = m->devices; !nsg && d; d = d->next)
			if (d->rt != BT_RT_TTMETAL)
				rt = d->rt;
		if (rt <= BT_RT_TTMETAL && !nsg)
			printf("%sNo buffer outlived the close of its device.%s\n\n", B, R);
		else if (rt <= BT_RT_TTMETAL)
			printf("%s%" PRIu64 " buffer%s (%s) outlived the close of their device, from %zu creation path%s:%s\n\n",
			       B, count, count == 1 ? "" : "s", hb, nsg, nsg == 1 ? "" : "s", R);
		else if (!nsg)
			printf("%sNo %s was %s when its %s was %s, or at exit.%s\n\n", B, bt_runtimes[rt].object_word,
			       bt_runtimes[rt].still, bt_runtimes[rt].device_word, bt_runtimes[rt].closed, R);
		else
			printf("%s%" PRIu64 " %s%s (%s) %s when their %s was %s, or at exit, from %zu creation path%s:%s\n\n",
			       B, count, bt_runtimes[rt].object_word, count == 1 ? "" : "s", hb, bt_runtimes[rt].still,
			       bt_runtimes[rt].device_word, bt_runtimes[rt].closed, nsg, nsg == 1 ? "" : "s", R);
	}
	for (size_t i = 0, mb = 0; i < nsg; i++)
		if ((mb += sg[i].mesh_buffers) && i + 1 == nsg)
			printf("%s(of them, %zu mesh buffer%s: one item each below)%s\n\n", B, mb, mb == 1 ? "" : "s", R);
	for (size_t i = 0; i < nsg; i++)
		print_group_text(o, &sg[i], (int)i + 1);
	if (ndg) {
		printf("%sDangling: buffer objects alive after close whose memory the allocator teardown released "
		       "(use-after-close risk):%s\n\n",
		       B, R);
		for (size_t i = 0; i < ndg; i++)
			print_group_text(o, &dg[i], (int)i + 1);
	}
	for (int i = 0; i < m->nwarnings; i++)
		printf("note: %s\n", m->warnings[i]);
	if (m->anomalies) {
		printf("%sAnomalies:%s\n", B, R);
		for (struct anomaly *a = m->anomalies; a; a = a->next) {
			struct frame f[4];
			int n = model_frames(m, a->stack, f, 4);
			printf("  %-22s x%-5" PRIu64 " %s", a->kind, a->count, a->message);
			for (int i = 0; i < n && i < 2; i++)
				printf("%s %s", i ? " <-" : "  at", f[i].function ? f[i].function : "??");
			printf("\n");
		}
		printf("\n");
	}
	leaks_print_text(m, B, R);
	free(devs);
}

/* --- json ------------------------------------------------------------------ */

static void json_u64_or_null(FILE *out, int64_t v)
{
	if (v < 0)
		fputs("null", out);
	else
		fprintf(out, "%" PRId64, v);
}

static void json_rel_ns(FILE *out, const struct model *m, uint64_t ns, int valid)
{
	if (!valid)
		fputs("null", out);
	else
		fprintf(out, "%" PRIu64, ns > m->start_ns ? ns - m->start_ns : 0);
}

void json_frames(FILE *out, const struct frame *f, int n, int init_depth)
{
	fputs("[", out);
	for (int i = 0; i < n; i++) {
		fprintf(out, "%s{\"function\":", i ? "," : "");
		json_cstr(out, f[i].function);
		fputs(",\"file\":", out);
		json_cstr(out, f[i].file);
		fprintf(out, ",\"line\":");
		if (f[i].line)
			fprintf(out, "%d", f[i].line);
		else
			fputs("null", out);
		fputs(",\"module\":", out);
		json_cstr(out, f[i].module);
		fprintf(out, ",\"offset\":\"0x%" PRIx64 "\",\"inlined\":%s,\"init_path\":%s,\"language\":\"%s\"}", f[i].ip,
		       f[i].inlined ? "true" : "false", i <= init_depth ? "true" : "false", f[i].python ? "python" : "native");
	}
	fputs("]", out);
}

static const char *fate_name(enum fate f)
{
	return f == FATE_DESTROYED ? "destroyed_later" : f == FATE_DESTROYED_AT_EXIT ? "destroyed_at_exit" : "never_died";
}

void json_group(FILE *out, const struct group *g)
{
	struct model *m = g->m;
	struct buffer *b0 = g->bufs[0];
	int reg = 0, first;
	fprintf(out, "{\"pid\":%" PRIu64 ",\"runtime\":\"%s\",\"key\":", m->pid, bt_runtimes[b0->rt].name);
	json_cstr(out, g->key);
	fprintf(out, ",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"device_ids\":[", g->count, g->bytes);
	first = 1;
	/* chips here; meshes (a backing buffer's device) in mesh_ids */
	for (int want_mesh = 0; want_mesh < 2; want_mesh++) {
		for (size_t i = 0; i < g->nbufs; i++) {
			int64_t d = model_device_id(model_buffer_device(m, g->bufs[i]));
			int dup = 0;
			if (is_mesh_dev(m, g->bufs[i]) != want_mesh)
				continue;
			for (size_t k = 0; k < i; k++)
				dup |= model_device_id(model_buffer_device(m, g->bufs[k])) == d &&
				       is_mesh_dev(m, g->bufs[k]) == want_mesh;
			if (dup)
				continue;
			fprintf(out, "%s", first ? "" : ",");
			json_u64_or_null(out, d);
			first = 0;
		}
		if (!want_mesh) {
			fputs("],\"mesh_ids\":[", out);
			first = 1;
		}
	}
	fprintf(out, "],\"mesh_buffers\":%" PRIu64 ",\"mesh_buffer_source\":%s,\"held_by\":\"%s\"", g->mesh_buffers,
		!g->mesh_buffers ? "null" : g->by_hook ? "\"hook\"" : "\"shared_address\"", g->held_by);
	fputs(",\"buffer_types\":[", out);
	first = 1;
	for (int t = -1; t < 5; t++) {
		int has = 0;
		for (size_t i = 0; i < g->nbufs; i++)
			has |= g->bufs[i]->type == t || (t == -1 && (g->bufs[i]->type < 0 || g->bufs[i]->type > 4));
		if (has) {
			fprintf(out, "%s\"%s\"", first ? "" : ",", t >= 0 ? bt_buffer_type_name((uint64_t)t) : "UNKNOWN");
			first = 0;
		}
	}
	reg = group_registered(g);
	fprintf(out, "],\"owns_data\":%s,\"allocator_registered\":%s,\"phase\":\"%s\",\"open_call\":",
	       b0->owns_data < 0 ? "null" : b0->owns_data ? "true" : "false", reg ? "true" : "false", g->phase);
	json_cstr(out, g->open_call);
	fputs(",\"top_call\":", out);
	json_cstr(out, g->top_call);
	fprintf(out, ",\"closed_by\":\"%s\",\"mesh_id\":", model_close_name(b0->close_hook));
	json_u64_or_null(out, model_mesh_id(model_buffer_device(m, b0)));
	fprintf(out, ",\"fates\":{\"destroyed_at_exit\":%" PRIu64 ",\"destroyed_later\":%" PRIu64 ",\"never_died\":%" PRIu64 "}",
	       g->fates[FATE_DESTROYED_AT_EXIT], g->fates[FATE_DESTROYED], g->fates[FATE_ALIVE_AT_END]);
	fprintf(out, ",\"python_gil_released\":%s", b0->create_nogil ? "true" : "false");
	{
		int o = group_python_origin(g);
		fputs(",\"python_origin\":", out);
		if (o < 0) {
			fputs("null", out);
		} else {
			fputs("{\"function\":", out);
			json_cstr(out, g->frames[o].function);
			fputs(",\"file\":", out);
			json_cstr(out, g->frames[o].file);
			fprintf(out, ",\"line\":%d}", g->frames[o].line);
		}
	}
	fputs(",\"stack\":", out);
	json_frames(out, g->frames, g->nframes, g->init_depth);
	fputs(",\"buffers\":[", out);
	for (size_t i = 0; i < g->nbufs; i++) {
		struct buffer *b = g->bufs[i];
		fprintf(out, "%s{\"runtime\":\"%s\",\"kind\":\"%s\",\"handle\":\"0x%" PRIx64 "\",\"parent\":", i ? "," : "",
			bt_runtimes[b->rt].name, b->rt != BT_RT_TTMETAL ? group_kind(b) : "Buffer", b->obj);
		if (b->parent)
			fprintf(out, "\"0x%" PRIx64 "\"", b->parent);
		else
			fputs("null", out);
		fputs(",\"device_handle\":", out);
		if (b->device)
			fprintf(out, "\"0x%" PRIx64 "\"", b->device);
		else
			fputs("null", out);
		fputs(",\"usage\":", out);
		json_u64_or_null(out, b->usage);
		fputs(",\"memory_type\":", out);
		json_u64_or_null(out, b->mem_type);
		fputs(",\"heap\":", out);
		json_u64_or_null(out, b->heap);
		fputs(",\"bound_memory\":", out);
		if (b->memory)
			fprintf(out, "\"0x%" PRIx64 "\"", b->memory);
		else
			fputs("null", out);
		fprintf(out, ",\"size_known\":%s", b->size_unknown ? "false" : "true");
		fprintf(out, ",\"device_kind\":\"%s\",\"device_id\":",
			b->rt != BT_RT_TTMETAL ? bt_runtimes[b->rt].device_word : is_mesh_dev(m, b) ? "mesh" : "device");
		json_u64_or_null(out, model_device_id(model_buffer_device(m, b)));
		fprintf(out, ",\"mesh_buffer\":%s,\"backing\":%s", b->mesh_buffer ? "true" : "false",
			b->mesh_buffer && (b->mb_backing || is_mesh_dev(m, b)) ? "true" : "false");
		fprintf(out, ",\"buffer_type\":\"%s\",\"address\":", b->type >= 0 ? bt_buffer_type_name((uint64_t)b->type) : "UNKNOWN");
		if (b->has_address)
			fprintf(out, "%" PRIu64, b->address);
		else
			fputs("null", out);
		fprintf(out, ",\"size\":%" PRIu64 ",\"page_size\":%" PRIu64 ",\"created_ns\":", b->size, b->page_size);
		json_rel_ns(out, m, b->created_ns, 1);
		fputs(",\"closed_ns\":", out);
		json_rel_ns(out, m, b->close_ns, 1);
		fputs(",\"destroyed_ns\":", out);
		json_rel_ns(out, m, b->destroyed_ns, b->fate != FATE_ALIVE_AT_END);
		fprintf(out, ",\"fate\":\"%s\"}", fate_name(b->fate));
	}
	fputs("]}", out);
}

/* --- the run: one process at a time ---------------------------------------
 *
 * Each process is loaded, printed and freed before the next one is read,
 * so memory holds one process plus the symbolizer's caches (shared by all:
 * a program's debug info is indexed once, not once per trace), whatever
 * the number of traces.  JSON lists each section across all processes:
 * `processes` goes straight to stdout, the later sections are spooled to
 * temporary files and copied out at the end. */

enum { SEC_DEVICES, SEC_GROUPS, SEC_DANGLING, SEC_ANOMALIES, SEC_LEAKS, NSEC };
static const char *const sec_names[NSEC] = { "devices", "survivor_groups", "dangling", "anomalies", "leaks" };

struct run {
	const struct opts *o;
	FILE *sec[NSEC];
	char *mem[NSEC];  /* open_memstream buffers when no temporary file */
	size_t memlen[NSEC];
	int is_mem[NSEC];
	int first[NSEC];
	int nproc;        /* processes listed (json) or printed (text) */
	uint64_t count, bytes, ngroups, ndang, nanom;
	int survivors;
	struct picture *pic; /* html or perfetto: written at the end */
	char **errors;    /* damage, said after the output */
	size_t nerrors;
};

static int run_open(struct run *r)
{
	for (int k = 0; k < NSEC; k++) {
		r->first[k] = 1;
		r->sec[k] = tmpfile();
		if (!r->sec[k]) {
			r->sec[k] = open_memstream(&r->mem[k], &r->memlen[k]);
			r->is_mem[k] = 1;
		}
		if (!r->sec[k]) {
			fprintf(stderr, "buftrace report: cannot spool the JSON output: out of memory\n");
			return -1;
		}
	}
	printf("{\"schema\":\"buftrace-report/1\",\"processes\":[");
	return 0;
}

/* Copy the spooled sections to stdout, after the processes. */
static void run_close(struct run *r)
{
	char buf[1 << 16];
	for (int k = 0; k < NSEC; k++) {
		printf("],\"%s\":[", sec_names[k]);
		if (r->is_mem[k]) {
			fclose(r->sec[k]);
			fwrite(r->mem[k], 1, r->memlen[k], stdout);
			free(r->mem[k]);
		} else {
			size_t n;
			rewind(r->sec[k]);
			while ((n = fread(buf, 1, sizeof buf, r->sec[k])) > 0)
				fwrite(buf, 1, n, stdout);
			fclose(r->sec[k]);
		}
		r->sec[k] = NULL;
	}
	printf("],\"summary\":{\"processes\":%d,\"survivors\":%" PRIu64 ",\"survivor_bytes\":%" PRIu64
	       ",\"survivor_groups\":%" PRIu64 ",\"dangling\":%" PRIu64 ",\"anomalies\":%" PRIu64 "}}\n",
	       r->nproc, r->count, r->bytes, r->ngroups, r->ndang, r->nanom);
}

static const char *sep(struct run *r, int k)
{
	const char *s = r->first[k] ? "" : ",";
	r->first[k] = 0;
	return s;
}

static void json_process(struct run *r, struct model *m, struct group *sg, size_t nsg, struct group *dg,
			 size_t ndg)
{
	size_t nd;
	struct device **devs = sorted_devices(m, &nd);
	FILE *out;
	printf("%s{\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"trace\":", r->nproc ? "," : "", m->pid, m->ppid);
	json_cstr(stdout, m->path);
	if (m->of_many) /* one of several processes in a concatenated file */
		printf(",\"trace_index\":%d,\"trace_offset\":%" PRIu64, m->index, m->offset);
	fputs(",\"exe\":", stdout);
	json_cstr(stdout, m->exe);
	fputs(",\"cmdline\":", stdout);
	json_cstr(stdout, m->cmdline);
	printf(",\"events\":%" PRIu64 ",\"lost_events\":%" PRIu64 ",\"unrecorded_in_signal_handlers\":%" PRIu64
	       ",\"complete\":%s,\"running\":%s,\"error\":",
	       m->nevents, m->lost, m->unrecorded_signal, m->complete ? "true" : "false", m->running ? "true" : "false");
	json_cstr(stdout, m->error);
	fputs(",\"warnings\":[", stdout);
	for (int w = 0; w < m->nwarnings; w++) {
		fputs(w ? "," : "", stdout);
		json_cstr(stdout, m->warnings[w]);
	}
	fputs("]}", stdout);
	r->nproc++;

	out = r->sec[SEC_DEVICES];
	for (size_t k = 0; k < nd; k++) {
		struct device *d = devs[k];
		fprintf(out, "%s{\"pid\":%" PRIu64 ",\"runtime\":\"%s\",\"handle\":\"0x%" PRIx64 "\",\"kind\":\"%s\",\"device_id\":",
			sep(r, SEC_DEVICES), m->pid, bt_runtimes[d->rt].name, d->ptr,
			d->rt != BT_RT_TTMETAL ? bt_runtimes[d->rt].device_word : d->is_mesh ? "mesh" : "device");
		json_u64_or_null(out, d->is_mesh ? -1 : d->chip_id);
		fputs(",\"mesh_id\":", out);
		json_u64_or_null(out, d->is_mesh ? d->mesh_id : model_mesh_id(d));
		fputs(",\"opened_ns\":", out);
		json_rel_ns(out, m, d->opened_ns, d->opened_ns != 0);
		fputs(",\"closed_ns\":", out);
		json_rel_ns(out, m, d->closed_ns, d->closed);
		fprintf(out, ",\"survivors\":{\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"by_type\":{", d->surv_count,
			d->surv_bytes);
		int f2 = 1;
		for (int t = 0; t < 6; t++)
			if (d->surv_by_type[t]) {
				fprintf(out, "%s\"%s\":%" PRIu64, f2 ? "" : ",",
					t < 5 ? bt_buffer_type_name((uint64_t)t) : "UNKNOWN", d->surv_by_type[t]);
				f2 = 0;
			}
		fputs("}}}", out);
	}
	free(devs);
	for (size_t k = 0; k < nsg; k++) {
		fputs(sep(r, SEC_GROUPS), r->sec[SEC_GROUPS]);
		json_group(r->sec[SEC_GROUPS], &sg[k]);
		r->count += sg[k].count;
		r->bytes += sg[k].bytes;
		r->ngroups++;
	}
	for (size_t k = 0; k < ndg; k++) {
		fputs(sep(r, SEC_DANGLING), r->sec[SEC_DANGLING]);
		json_group(r->sec[SEC_DANGLING], &dg[k]);
		r->ndang += dg[k].count;
	}
	out = r->sec[SEC_ANOMALIES];
	for (struct anomaly *a = m->anomalies; a; a = a->next) {
		struct frame f[GROUP_MAX_FRAMES];
		int nf = model_frames(m, a->stack, f, GROUP_MAX_FRAMES);
		fprintf(out, "%s{\"pid\":%" PRIu64 ",\"kind\":\"%s\",\"count\":%" PRIu64 ",\"message\":", sep(r, SEC_ANOMALIES),
			m->pid, a->kind, a->count);
		json_cstr(out, a->message);
		fputs(",\"stack\":", out);
		json_frames(out, f, nf, -1);
		fputs("}", out);
		r->nanom++;
	}
	leaks_print_json(r->sec[SEC_LEAKS], m, &r->first[SEC_LEAKS]);
}

static void print_folded(struct group *sg, size_t nsg)
{
	for (size_t k = 0; k < nsg; k++) {
		struct group *g = &sg[k];
		for (int f = g->nframes - 1; f >= 0; f--) {
			const struct frame *fr = &g->frames[f];
			char buf[512];
			if (frame_cut_text(fr, buf, sizeof buf)) {
				/* the mark of a cut stack, in its words */
			} else if (fr->function) {
				char *short_name = func_name_only(fr->function);
				snprintf(buf, sizeof buf, "%s", short_name ? short_name : fr->function);
				free(short_name);
			}
			else
				snprintf(buf, sizeof buf, "%s+0x%" PRIx64, fr->module ? short_file(fr->module) : "??", fr->ip);
			for (char *c = buf; *c; c++)
				if (*c == ';' || *c == '\n')
					*c = ',';
			printf("%s%s", buf, f ? ";" : "");
		}
		printf(" %" PRIu64 "\n", g->bytes);
	}
}

/* One loaded process: printed, counted, and its groups freed. */
static void one_process(struct run *r, struct model *m, int opened)
{
	struct group *sg = NULL, *dg = NULL;
	size_t nsg = 0, ndg = 0;
	if (opened) {
		sg = groups_build(m, 0, &nsg);
		dg = groups_build(m, 1, &ndg);
		r->survivors |= nsg > 0;
	}
	if (r->o->format == FMT_JSON) {
		json_process(r, m, sg, nsg, dg, ndg);
	} else if (r->o->format == FMT_FOLDED) {
		print_folded(sg, nsg);
	} else if (r->o->format == FMT_HTML || r->o->format == FMT_PERFETTO) {
		if (opened && (m->pid || !m->error || m->nrecords))
			(r->o->format == FMT_HTML ? html_add : perfetto_add)(r->pic, m, sg, nsg, dg, ndg);
	} else if (opened && (m->pid || !m->error || m->nrecords)) {
		print_text(r->o, m, sg, nsg, dg, ndg);
		r->nproc++;
		for (size_t k = 0; k < nsg; k++) {
			r->count += sg[k].count;
			r->bytes += sg[k].bytes;
		}
	}
	if (opened && m->error) {
		r->errors = xrealloc(r->errors, (r->nerrors + 1) * sizeof *r->errors);
		r->errors[r->nerrors++] = m->error;
		m->error = NULL;
	}
	groups_free(sg, nsg);
	groups_free(dg, ndg);
}

/* The html page or Perfetto JSON, to -o FILE or stdout. */
static int write_picture(const struct opts *o, struct picture *pic)
{
	FILE *out = o->output && strcmp(o->output, "-") ? fopen(o->output, "w") : stdout;
	int rc;
	if (!out) {
		fprintf(stderr, "buftrace report: %s: cannot write: %s\n", o->output, strerror(errno));
		return -1;
	}
	rc = (o->format == FMT_HTML ? html_finish : perfetto_finish)(pic, out);
	if (out != stdout && fclose(out))
		rc = -1;
	if (rc)
		fprintf(stderr, "buftrace report: %s: write failed\n", o->output ? o->output : "stdout");
	return rc;
}

int cmd_report(int argc, char **argv)
{
	struct opts o = { FMT_TEXT, 0, -1, 100, NULL };
	char **files = NULL, **args = calloc((size_t)argc + 1, sizeof *args);
	int nargs = 0, nfiles, bad = 0, progress;
	struct run run;
	struct symbolizer *sym;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			free(args);
			return EXIT_OK;
		} else if (!strcmp(a, "--format") && i + 1 < argc) {
			const char *f = argv[++i];
			if (!strcmp(f, "text"))
				o.format = FMT_TEXT;
			else if (!strcmp(f, "json"))
				o.format = FMT_JSON;
			else if (!strcmp(f, "folded"))
				o.format = FMT_FOLDED;
			else if (!strcmp(f, "html"))
				o.format = FMT_HTML;
			else if (!strcmp(f, "perfetto"))
				o.format = FMT_PERFETTO;
			else {
				fprintf(stderr, "buftrace report: unknown format '%s' (text, json, folded, html, perfetto)\n", f);
				free(args);
				return EXIT_USAGE;
			}
		} else if ((!strcmp(a, "-o") || !strcmp(a, "--output")) && i + 1 < argc) {
			o.output = argv[++i];
		} else if (!strcmp(a, "--fail-on-survivors")) {
			o.fail_on_survivors = 1;
		} else if (!strcmp(a, "--color") && i + 1 < argc) {
			const char *c = argv[++i];
			o.color = !strcmp(c, "always") ? 1 : !strcmp(c, "never") ? 0 : -1;
		} else if (a[0] == '-' && a[1]) {
			fprintf(stderr, "buftrace report: unknown option '%s'\n", a);
			usage(stderr);
			free(args);
			return EXIT_USAGE;
		} else {
			args[nargs++] = argv[i];
		}
	}
	if (o.output && o.format != FMT_HTML && o.format != FMT_PERFETTO) {
		fprintf(stderr, "buftrace report: -o is for --format html and perfetto\n");
		free(args);
		return EXIT_USAGE;
	}
	nfiles = collect_traces(nargs, args, &files);
	free(args);
	if (nfiles <= 0) {
		if (nfiles == 0)
			fprintf(stderr, "buftrace report: no trace given and no buftrace.*.zst in the current directory\n");
		return nfiles == 0 ? EXIT_USAGE : EXIT_BAD_INPUT;
	}
	if (o.color < 0)
		o.color = isatty(1) && getenv("NO_COLOR") == NULL;
	if (o.color && o.format == FMT_TEXT) {
		B = "\033[1m";
		Y = "\033[33m";
		D = "\033[2m";
		R = "\033[0m";
	}
	memset(&run, 0, sizeof run);
	run.o = &o;
	if (o.format == FMT_JSON && run_open(&run))
		return EXIT_BAD_INPUT;
	if (o.format == FMT_HTML || o.format == FMT_PERFETTO)
		run.pic = o.format == FMT_HTML ? html_new() : perfetto_new();
	/* one symbolizer for the whole run; NULL (libelf unusable): each
	 * model tries its own */
	sym = sym_new();
	progress = isatty(2) && nfiles > 1;
	for (int i = 0; i < nfiles; i++) {
		struct model_file f;
		struct model m;
		int rc;
		if (progress)
			fprintf(stderr, "\rbuftrace: reading %d/%d %s\033[K", i + 1, nfiles, files[i]);
		model_file_init(&f, files[i], sym);
		while ((rc = model_next(&f, &m)) != 0) {
			if (progress)
				fprintf(stderr, "\r\033[K");
			if (rc < 0) {
				fprintf(stderr, "buftrace: %s\n", m.error);
				bad = 1;
			}
			bad |= m.error != NULL;
			one_process(&run, &m, rc > 0);
			model_free(&m);
		}
		model_file_close(&f);
		free(files[i]);
	}
	free(files);
	if (o.format == FMT_JSON)
		run_close(&run);
	else if (o.format == FMT_TEXT && run.nproc > 1)
		printf("%sAll %d processes:%s %" PRIu64 " buffers (%" PRIu64 " bytes) outlived their device\n", B, run.nproc, R,
		       run.count, run.bytes);
	if (run.pic && write_picture(&o, run.pic))
		bad = 1;
	fflush(stdout);
	for (size_t i = 0; i < run.nerrors; i++) {
		fprintf(stderr, "buftrace: %s\n", run.errors[i]);
		free(run.errors[i]);
	}
	free(run.errors);
	sym_free(sym);
	if (bad)
		return EXIT_BAD_INPUT;
	return o.fail_on_survivors && run.survivors ? EXIT_SURVIVORS : EXIT_OK;
}
