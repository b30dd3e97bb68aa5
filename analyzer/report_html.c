/* report_html.c - `report --format html`: see report_html.h and
 * docs/html-report.md.
 *
 * The page is three parts: the CSS and JS from analyzer/html/ (compiled
 * in as strings by the Makefile, so the binary needs no files at run
 * time and the page none from the network), and one JSON object with
 * every process's data, written here.  The JS draws everything from it. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "leaks.h"
#include "report_html.h"
#include "timeline.h"
#include "trace_format.h"
#include "xalloc.h"

/* generated from analyzer/html/page.css and page.js (Makefile) */
extern const char bt_page_css[], bt_page_js[];

#define MAX_BUFS_SHOWN 100

const char *pic_type_name(int t)
{
	return t >= 0 && t < 5 ? bt_buffer_type_name((uint64_t)t) : "UNKNOWN";
}

static struct picture *pic_new(void)
{
	struct picture *p = xcalloc(1, sizeof *p);
	p->f = open_memstream(&p->buf, &p->len);
	if (!p->f) {
		fprintf(stderr, "buftrace report: out of memory\n");
		exit(1);
	}
	return p;
}

struct picture *html_new(void)
{
	return pic_new();
}

static uint64_t rel(const struct model *m, uint64_t ns)
{
	return ns > m->start_ns ? ns - m->start_ns : 0;
}

static void frame_json(FILE *o, const struct frame *f, int init)
{
	char name[512], loc[300];
	if (f->function)
		snprintf(name, sizeof name, "%s", f->function);
	else
		snprintf(name, sizeof name, "%s+0x%" PRIx64, f->module ? short_file(f->module) : "??", f->ip);
	frame_cut_text(f, name, sizeof name);
	if (f->file && f->file[0])
		snprintf(loc, sizeof loc, "%s:%d", short_file(f->file), f->line);
	else if (f->module && f->function)
		snprintf(loc, sizeof loc, "(%s)", short_file(f->module));
	else
		loc[0] = 0;
	fputs("[", o);
	json_cstr(o, name);
	fputs(",", o);
	json_cstr(o, loc);
	fprintf(o, ",%d,%d]", init, f->python);
}

static void frames_json(FILE *o, const struct frame *f, int n, int init_depth)
{
	fputs("[", o);
	for (int i = 0; i < n; i++) {
		fputs(i ? "," : "", o);
		frame_json(o, &f[i], i <= init_depth);
	}
	fputs("]", o);
}

static void group_json(FILE *o, const struct group *g)
{
	struct model *m = g->m;
	struct buffer *b0 = g->bufs[0];
	char types[128] = "", devs[256] = "";
	size_t to = 0, dof = 0;
	int seen_t[6] = { 0 }, reg = 0;
	for (size_t i = 0; i < g->nbufs; i++) {
		struct buffer *b = g->bufs[i];
		int t = b->type >= 0 && b->type < 5 ? b->type : 5;
		int64_t d = model_device_id(model_buffer_device(m, b));
		int dup = 0;
		if (!seen_t[t] && to < sizeof types) {
			seen_t[t] = 1;
			to += (size_t)snprintf(types + to, sizeof types - to, "%s%s", to ? "+" : "", pic_type_name(t));
		}
		for (size_t k = 0; k < i && !dup; k++)
			dup = model_device_id(model_buffer_device(m, g->bufs[k])) == d;
		if (!dup && dof < sizeof devs - 24)
			dof += (size_t)snprintf(devs + dof, sizeof devs - dof, "%s%s%" PRId64, dof ? "," : "", d < 0 ? "?" : "",
						d < 0 ? (int64_t)0 : d);
	}
	fprintf(o, "{\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"types\":", g->count, g->bytes);
	json_cstr(o, types);
	fputs(",\"devices\":", o);
	json_cstr(o, devs);
	reg = group_registered(g);
	fprintf(o, ",\"mesh\":%" PRId64 ",\"closed_by\":\"%s\",\"close_ns\":%" PRIu64 ",\"owns_data\":%d,\"registered\":%d",
		model_mesh_id(model_buffer_device(m, b0)), model_close_name(b0->close_hook), rel(m, b0->close_ns), b0->owns_data, reg);
	if (g->mesh_buffers) {
		/* one item per MeshBuffer, worded as the text report */
		char head[384];
		group_mesh_heading(g, head, sizeof head);
		fputs(",\"heading\":", o);
		json_cstr(o, head);
	} else if (b0->rt != BT_RT_TTMETAL) {
		/* OpenCL, Vulkan: in the runtime's words, as the text report */
		char head[384], held[256];
		group_rt_heading(g, head, sizeof head);
		group_rt_held(g, held, sizeof held);
		fputs(",\"heading\":", o);
		json_cstr(o, head);
		fputs(",\"held_text\":", o);
		json_cstr(o, held);
	} else {
		/* worded as the text report, the meshes of a chip opened again too */
		char head[512];
		group_tt_heading(g, head, sizeof head);
		fputs(",\"heading\":", o);
		json_cstr(o, head);
	}
	fprintf(o, ",\"mesh_buffers\":%" PRIu64 ",\"gil_released\":%d,\"held_by\":\"%s\",\"made_at\":", g->mesh_buffers,
		b0->create_nogil, g->held_by);
	{
		char at[600]; /* the Python line that made it, as the text report words it */
		json_cstr(o, group_python_origin_text(g, at, sizeof at) ? at : NULL);
	}
	fputs(",\"phase\":", o);
	json_cstr(o, g->phase);
	fputs(",\"open_call\":", o);
	json_cstr(o, g->open_call);
	fputs(",\"top_call\":", o);
	json_cstr(o, g->top_call);
	fprintf(o, ",\"fates\":[%" PRIu64 ",%" PRIu64 ",%" PRIu64 "],\"frames\":", g->fates[FATE_DESTROYED_AT_EXIT],
		g->fates[FATE_DESTROYED], g->fates[FATE_ALIVE_AT_END]);
	frames_json(o, g->frames, g->nframes, g->init_depth);
	fprintf(o, ",\"nbufs\":%zu,\"buffers\":[", g->nbufs);
	for (size_t i = 0; i < g->nbufs && i < MAX_BUFS_SHOWN; i++) {
		struct buffer *b = g->bufs[i];
		fprintf(o, "%s[%" PRId64 ",\"%s\",", i ? "," : "", model_device_id(model_buffer_device(m, b)), pic_type_name(b->type));
		if (b->has_address)
			fprintf(o, "\"0x%" PRIx64 "\"", b->address);
		else
			fputs("null", o);
		fprintf(o, ",%" PRIu64 ",%" PRIu64 ",", b->size, rel(m, b->created_ns));
		if (b->fate != FATE_ALIVE_AT_END)
			fprintf(o, "%" PRIu64, rel(m, b->destroyed_ns));
		else
			fputs("null", o);
		{
			struct device *d = model_buffer_device(m, b);
			fprintf(o, ",%d,%d]", (int)b->fate, d && d->is_mesh); /* on a mesh (a backing buffer) */
		}
	}
	fputs("]}", o);
}

/* A track's buckets, sparse: [bucket, value at its end, peak inside]
 * where something changed; the page carries values forward. */
static void series_json(FILE *o, const int64_t *last, const int64_t *peak, const int64_t *count, int n)
{
	int64_t carry = 0, ccarry = 0;
	int first = 1;
	fputs("[", o);
	for (int i = 0; i < n; i++) {
		if (last[i] == carry && peak[i] == carry && count[i] == ccarry)
			continue;
		fprintf(o, "%s[%d,%" PRId64 ",%" PRId64 ",%" PRId64 "]", first ? "" : ",", i, last[i], peak[i], count[i]);
		first = 0;
		carry = last[i];
		ccarry = count[i];
	}
	fputs("]", o);
}

static int cmp_dev(const void *a, const void *b)
{
	const struct device *x = *(struct device *const *)a, *y = *(struct device *const *)b;
	int64_t ix = x->is_mesh ? 100000 + x->mesh_id : x->chip_id, iy = y->is_mesh ? 100000 + y->mesh_id : y->chip_id;
	/* one chip opened again (a new device each time): in time order */
	if (ix == iy)
		return x->opened_ns < y->opened_ns ? -1 : x->opened_ns > y->opened_ns;
	return ix < iy ? -1 : ix > iy;
}

static const char *mesh_label(char *buf, size_t n, int64_t mesh)
{
	snprintf(buf, n, " (mesh %" PRId64 ")", mesh);
	return buf;
}

/* Each device's (or mesh's: its chips' summed) tracks by buffer type. */
static void devices_json(FILE *o, struct model *m)
{
	struct timeline *tl = m->timeline;
	int nb = tl ? tl->hi : 0;
	int64_t *last = xcalloc((size_t)nb + 1, sizeof *last), *peak = xcalloc((size_t)nb + 1, sizeof *peak);
	int64_t *sl = xcalloc((size_t)nb + 1, sizeof *sl), *sp = xcalloc((size_t)nb + 1, sizeof *sp);
	int64_t *cnt = xcalloc((size_t)nb + 1, sizeof *cnt), *sc = xcalloc((size_t)nb + 1, sizeof *sc);
	size_t nd = 0, k = 0;
	struct device **v;
	int unknown = 0, many = 0;
	char ml[48];
	for (struct device *d = m->devices; d; d = d->next) {
		nd++;
		many += d->is_mesh;
	}
	many = many > 1;
	v = xcalloc(nd + 1, sizeof *v);
	for (struct device *d = m->devices; d; d = d->next)
		v[k++] = d;
	qsort(v, nd, sizeof *v, cmp_dev);
	for (struct tl_track *t = tl ? tl->tracks : NULL; t; t = t->next)
		unknown |= !t->dev; /* buffers on a device never seen */
	fputs("[", o);
	for (size_t i = 0; i <= nd; i++) {
		struct device *d = i < nd ? v[i] : NULL;
		int first = 1;
		if (!d && !unknown)
			break;
		fputs(i ? "," : "", o);
		if (d) {
			if (d->rt != BT_RT_TTMETAL) /* a context or VkDevice: by handle, laid out as a chip */
				fprintf(o, "{\"label\":\"%s 0x%" PRIx64 "\",\"kind\":\"chip\",\"mesh_id\":-1,\"opened_ns\":",
					bt_runtimes[d->rt].device_word, d->ptr);
			else
				fprintf(o, "{\"label\":\"%s %" PRId64 "%s\",\"kind\":\"%s\",\"mesh_id\":%" PRId64 ",\"opened_ns\":",
					d->is_mesh ? "mesh" : "chip", d->is_mesh ? d->mesh_id : d->chip_id,
					/* a chip opened again in another mesh: which one */
					!d->is_mesh && many && d->mesh ? mesh_label(ml, sizeof ml, d->mesh->mesh_id) : "",
					d->is_mesh ? "mesh" : "chip", d->is_mesh ? d->mesh_id : model_mesh_id(d));
			if (d->opened_ns)
				fprintf(o, "%" PRIu64, rel(m, d->opened_ns));
			else
				fputs("null", o);
			fputs(",\"closed_ns\":", o);
			if (d->closed)
				fprintf(o, "%" PRIu64 ",\"closed_by\":\"%s\"", rel(m, d->closed_ns), model_close_name(d->close_hook));
			else
				fputs("null", o);
			fprintf(o, ",\"surv_count\":%" PRIu64 ",\"surv_bytes\":%" PRIu64 ",\"surv_by_type\":{", d->surv_count, d->surv_bytes);
			for (int t = 0, f = 1; t < 6; t++)
				if (d->surv_by_type[t]) {
					fprintf(o, "%s\"%s\":%" PRIu64, f ? "" : ",", pic_type_name(t), d->surv_by_type[t]);
					f = 0;
				}
			fputs("}", o);
		} else {
			fputs("{\"label\":\"device ?\",\"kind\":\"unknown\",\"mesh_id\":-1,\"opened_ns\":null,\"closed_ns\":null,"
			      "\"surv_count\":0,\"surv_bytes\":0,\"surv_by_type\":{}",
			      o);
		}
		fputs(",\"tracks\":{", o);
		for (int type = 0; type < 6; type++) {
			int any = 0;
			memset(sl, 0, (size_t)nb * sizeof *sl);
			memset(sp, 0, (size_t)nb * sizeof *sp);
			memset(sc, 0, (size_t)nb * sizeof *sc);
			for (struct tl_track *t = tl ? tl->tracks : NULL; t; t = t->next) {
				struct device *td = t->dev != TL_HOST_HEAP ? model_track_device(t->dev) : NULL;
				int mine = d ? (td == d || (d->is_mesh && td && td->mesh == d)) : !t->dev;
				if (t->type != type || !mine)
					continue;
				timeline_series(t, nb, last, peak, cnt);
				for (int b = 0; b < nb; b++) {
					sl[b] += last[b];
					sc[b] += cnt[b];
					sp[b] += peak[b]; /* a mesh's peak: at most this */
				}
				any = 1;
			}
			if (!any)
				continue;
			fprintf(o, "%s\"%s\":", first ? "" : ",", pic_type_name(type));
			series_json(o, sl, sp, sc, nb);
			first = 0;
		}
		fputs("}}", o);
	}
	fputs("],\"host_heap\":", o);
	{
		struct tl_track *t = tl ? tl->tracks : NULL;
		while (t && t->dev != TL_HOST_HEAP)
			t = t->next;
		if (t) {
			timeline_series(t, nb, last, peak, cnt);
			series_json(o, last, peak, cnt, nb);
		} else {
			fputs("null", o);
		}
	}
	free(cnt);
	free(sc);
	free(v);
	free(last);
	free(peak);
	free(sl);
	free(sp);
}

#define MAX_LIVE_STACKS 300

struct peak_of {
	struct tl_track *t;
	int64_t peak;
};

static int by_peak(const void *a, const void *b)
{
	const struct peak_of *x = a, *y = b;
	return x->peak != y->peak ? (x->peak > y->peak ? -1 : 1) : 0;
}

/* Live bytes per creation stack (the coarse by_stack timeline): the page's
 * flame graph of everything alive at a picked time.  The stacks that ever
 * held the most, at most MAX_LIVE_STACKS. */
static void live_stacks_json(FILE *o, struct model *m)
{
	struct timeline *tl = m->by_stack;
	struct frame f[GROUP_MAX_FRAMES];
	struct peak_of *v;
	size_t n = 0;
	int nb = tl ? tl->hi : 0;
	int64_t *last, *peak, *cnt;
	if (!tl || !tl->ntracks) {
		fputs("null", o);
		return;
	}
	v = xcalloc(tl->ntracks, sizeof *v);
	last = xcalloc((size_t)nb + 1, sizeof *last);
	peak = xcalloc((size_t)nb + 1, sizeof *peak);
	cnt = xcalloc((size_t)nb + 1, sizeof *cnt);
	for (struct tl_track *t = tl->tracks; t; t = t->next) {
		int64_t pk = 0;
		timeline_series(t, nb, last, peak, NULL);
		for (int i = 0; i < nb; i++)
			if (peak[i] > pk)
				pk = peak[i];
		if (pk > 0) {
			v[n].t = t;
			v[n++].peak = pk;
		}
	}
	qsort(v, n, sizeof *v, by_peak);
	fprintf(o, "{\"bucket_ns\":%" PRIu64 ",\"nb\":%d,\"more\":%zu,\"stacks\":[", tl->width, nb,
		n > MAX_LIVE_STACKS ? n - MAX_LIVE_STACKS : 0);
	for (size_t k = 0; k < n && k < MAX_LIVE_STACKS; k++) {
		struct tl_track *t = v[k].t;
		int nf = model_frames_py(m, (uint32_t)t->dev, (uint32_t)(t->dev >> 32), f, GROUP_MAX_FRAMES);
		fprintf(o, "%s{\"frames\":", k ? "," : "");
		frames_json(o, f, nf, -1);
		fputs(",\"series\":", o);
		timeline_series(t, nb, last, peak, cnt);
		series_json(o, last, peak, cnt, nb);
		fputs("}", o);
	}
	fputs("]}", o);
	free(v);
	free(last);
	free(peak);
	free(cnt);
}

void html_add(struct picture *p, struct model *m, struct group *sg, size_t nsg, struct group *dg, size_t ndg)
{
	FILE *o = p->f;
	fprintf(o, "%s{\"pid\":%" PRIu64 ",\"ppid\":%" PRIu64 ",\"trace\":", p->n ? "," : "", m->pid, m->ppid);
	json_cstr(o, m->path);
	fputs(",\"exe\":", o);
	json_cstr(o, m->exe);
	fputs(",\"cmdline\":", o);
	json_cstr(o, m->cmdline);
	fprintf(o, ",\"events\":%" PRIu64 ",\"lost\":%" PRIu64 ",\"complete\":%d,\"running\":%d,\"start_realtime_ns\":%" PRIu64
		   ",\"duration_ns\":%" PRIu64 ",\"bucket_ns\":%" PRIu64 ",\"nb\":%d,\"error\":",
		m->nevents, m->lost, m->complete, m->running, m->start_realtime_ns, rel(m, m->end_ns),
		m->timeline ? m->timeline->width : 1000, m->timeline ? m->timeline->hi : 0);
	json_cstr(o, m->error);
	fputs(",\"warnings\":[", o);
	for (int w = 0; w < m->nwarnings; w++) {
		fputs(w ? "," : "", o);
		json_cstr(o, m->warnings[w]);
	}
	fputs("],\"devices\":", o);
	devices_json(o, m);
	fputs(",\"live_stacks\":", o);
	live_stacks_json(o, m);
	fputs(",\"survivors\":[", o);
	for (size_t i = 0; i < nsg; i++) {
		fputs(i ? "," : "", o);
		group_json(o, &sg[i]);
	}
	fputs("],\"dangling\":[", o);
	for (size_t i = 0; i < ndg; i++) {
		fputs(i ? "," : "", o);
		group_json(o, &dg[i]);
	}
	fputs("],\"anomalies\":[", o);
	for (struct anomaly *a = m->anomalies; a; a = a->next) {
		struct frame f[4];
		int n = model_frames(m, a->stack, f, 4);
		fprintf(o, "%s{\"kind\":\"%s\",\"count\":%" PRIu64 ",\"message\":", a == m->anomalies ? "" : ",", a->kind, a->count);
		json_cstr(o, a->message);
		fputs(",\"frames\":", o);
		frames_json(o, f, n < 3 ? n : 3, -1);
		fputs("}", o);
	}
	fputs("],\"leaks\":", o);
	leaks_finish(m);
	if (m->leaks) {
		struct frame f[GROUP_MAX_FRAMES];
		fprintf(o, "{\"mallocs\":%" PRIu64 ",\"frees\":%" PRIu64 ",\"groups\":[", m->leaks->mallocs, m->leaks->frees);
		for (size_t i = 0; i < m->leaks->ngroups && i < 200; i++) {
			struct leak_group *g = &m->leaks->groups[i];
			int n = model_frames(m, g->stack, f, GROUP_MAX_FRAMES);
			fprintf(o, "%s{\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"frames\":", i ? "," : "", g->count, g->bytes);
			frames_json(o, f, n, -1);
			fputs("}", o);
		}
		fprintf(o, "],\"ngroups\":%zu}", m->leaks->ngroups);
	} else {
		fputs("null", o);
	}
	fputs("}", o);
	p->n++;
}

/* JSON inside <script>: "</" would end the element early. */
static void put_script_safe(FILE *out, const char *s, size_t n)
{
	size_t run = 0;
	for (size_t i = 0; i + 1 < n; i++)
		if (s[i] == '<' && s[i + 1] == '/') {
			fwrite(s + run, 1, i + 1 - run, out);
			fputs("\\", out);
			run = i + 1;
		}
	fwrite(s + run, 1, n - run, out);
}

int html_finish(struct picture *p, FILE *out)
{
	int rc;
	fclose(p->f);
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width\">\n"
	      "<title>buftrace report</title>\n<style>\n",
	      out);
	fputs(bt_page_css, out);
	fputs("</style></head>\n<body>\n<div id=\"app\">Loading the report...</div>\n"
	      "<script type=\"application/json\" id=\"bt-data\">\n",
	      out);
	fprintf(out, "{\"schema\":\"buftrace-html/1\",\"version\":\"%s\",\"processes\":[", BUFTRACE_VERSION);
	put_script_safe(out, p->buf, p->len);
	fputs("]}\n</script>\n<script>\n", out);
	fputs(bt_page_js, out);
	fputs("</script>\n</body></html>\n", out);
	free(p->buf);
	free(p);
	rc = fflush(out);
	return rc || ferror(out) ? -1 : 0;
}
