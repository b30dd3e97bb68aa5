/* report_perfetto.c - `report --format perfetto`: Chrome trace-event
 * JSON (docs/html-report.md has the mapping).
 *
 * Times are microseconds on the process's wall clock (start_realtime_ns
 * plus the monotonic offset), so several processes line up; they are
 * printed from integers (us.nnn) to keep nanoseconds exact.  Counter
 * tracks come from the downsampled timeline (timeline.h): a bucket's
 * peak, then its end value.  Survivor slices are "X" events laid out on
 * lanes (one thread id each) so slices on a lane never overlap. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "json.h"
#include "report_html.h"
#include "timeline.h"
#include "trace_format.h"
#include "xalloc.h"

#define LANE_TID0 1000 /* lanes of slices: tids 1000, 1001, ... */
#define MAX_LANES 256

struct picture *perfetto_new(void)
{
	struct picture *p = xcalloc(1, sizeof *p);
	p->f = open_memstream(&p->buf, &p->len);
	if (!p->f) {
		fprintf(stderr, "buftrace report: out of memory\n");
		exit(1);
	}
	return p;
}

/* wall-clock microseconds of a trace timestamp */
static void put_ts(FILE *o, const struct model *m, uint64_t ns)
{
	uint64_t w = m->start_realtime_ns + (ns > m->start_ns ? ns - m->start_ns : 0);
	fprintf(o, "%" PRIu64 ".%03u", w / 1000, (unsigned)(w % 1000));
}

static void put_dur(FILE *o, uint64_t ns)
{
	fprintf(o, "%" PRIu64 ".%03u", ns / 1000, (unsigned)(ns % 1000));
}

static const char *sep(struct picture *p)
{
	const char *s = p->n ? ",\n" : "";
	p->n++;
	return s;
}

static void dev_label(char *buf, size_t n, const struct device *d, int host_heap)
{
	if (host_heap)
		snprintf(buf, n, "host heap");
	else if (!d)
		snprintf(buf, n, "device ?");
	else if (d->is_mesh)
		snprintf(buf, n, "mesh %" PRId64, d->mesh_id);
	else
		snprintf(buf, n, "chip %" PRId64, d->chip_id);
}

static void counters(struct picture *p, struct model *m)
{
	struct timeline *tl = m->timeline;
	FILE *o = p->f;
	if (!tl)
		return;
	int64_t *last = xcalloc((size_t)tl->hi + 1, sizeof *last), *peak = xcalloc((size_t)tl->hi + 1, sizeof *peak);
	for (struct tl_track *t = tl->tracks; t; t = t->next) {
		char name[96], dev[48];
		int64_t carry = 0;
		dev_label(dev, sizeof dev, t->dev != TL_HOST_HEAP ? model_track_device(t->dev) : NULL, t->dev == TL_HOST_HEAP);
		if (t->dev == TL_HOST_HEAP)
			snprintf(name, sizeof name, "host heap bytes");
		else
			snprintf(name, sizeof name, "%s %s bytes", dev, pic_type_name(t->type));
		timeline_series(t, tl->hi, last, peak, NULL);
		/* start at zero at the process start */
		fprintf(o, "%s{\"name\":\"%s\",\"ph\":\"C\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", sep(p), name, m->pid, m->pid);
		put_ts(o, m, m->start_ns);
		fputs(",\"args\":{\"bytes\":0}}", o);
		for (int i = 0; i < tl->hi; i++) {
			uint64_t b0 = m->start_ns + (uint64_t)i * tl->width;
			if (last[i] == carry && peak[i] == carry)
				continue;
			if (peak[i] > last[i] && peak[i] > carry) {
				/* a spike inside the bucket, above both its ends (the
				 * peak only counts values after the bucket's own events,
				 * so a fall from carry has peak < carry: no sample, or
				 * the fall would show before it happened).  Placed at the
				 * bucket's start, just after the previous end sample: a
				 * mid-bucket sample could land after a close in the
				 * same bucket and show bytes the close had released. */
				fprintf(o, "%s{\"name\":\"%s\",\"ph\":\"C\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", sep(p), name, m->pid, m->pid);
				put_ts(o, m, b0 + 1);
				fprintf(o, ",\"args\":{\"bytes\":%" PRId64 "}}", peak[i]);
			}
			fprintf(o, "%s{\"name\":\"%s\",\"ph\":\"C\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":", sep(p), name, m->pid, m->pid);
			put_ts(o, m, b0 + tl->width - 1);
			fprintf(o, ",\"args\":{\"bytes\":%" PRId64 "}}", last[i]);
			carry = last[i];
		}
	}
	free(last);
	free(peak);
}

static void instants(struct picture *p, struct model *m)
{
	FILE *o = p->f;
	for (struct device *d = m->devices; d; d = d->next) {
		char dev[48];
		dev_label(dev, sizeof dev, d, 0);
		if (d->opened_ns) {
			fprintf(o, "%s{\"name\":\"open %s\",\"cat\":\"device\",\"ph\":\"i\",\"s\":\"p\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":",
				sep(p), dev, m->pid, m->pid);
			put_ts(o, m, d->opened_ns);
			fputs("}", o);
		}
		if (d->closed) {
			fprintf(o, "%s{\"name\":\"close %s\",\"cat\":\"device\",\"ph\":\"i\",\"s\":\"p\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":",
				sep(p), dev, m->pid, m->pid);
			put_ts(o, m, d->closed_ns);
			fprintf(o, ",\"args\":{\"by\":\"%s\",\"survivors\":%" PRIu64 ",\"survivor_bytes\":%" PRIu64 "}}",
				model_close_name(d->close_hook), d->surv_count, d->surv_bytes);
		}
	}
}

static const char *site(const struct group *g, char *buf, size_t n)
{
	/* the first frame above Buffer::create that is the user's, else the call */
	const struct frame *f = g->nframes > 1 ? &g->frames[1] : g->nframes ? &g->frames[0] : NULL;
	char *fn = f && f->function ? func_name_only(f->function) : NULL;
	if (f && f->file)
		snprintf(buf, n, "%s (%s:%d)", fn ? fn : "??", short_file(f->file), f->line);
	else
		snprintf(buf, n, "%s", fn ? fn : "??");
	free(fn);
	return buf;
}

static int lane_for(uint64_t *lane_end, int *nlanes, uint64_t start, uint64_t end)
{
	for (int i = 0; i < *nlanes; i++)
		if (lane_end[i] <= start) {
			lane_end[i] = end;
			return i;
		}
	if (*nlanes < MAX_LANES) {
		lane_end[*nlanes] = end;
		return (*nlanes)++;
	}
	return -1; /* more overlap than lanes: left out */
}

static void slices(struct picture *p, struct model *m, struct group *sg, size_t nsg, struct group *dg, size_t ndg,
		   int *nlanes_out)
{
	FILE *o = p->f;
	uint64_t lane_end[MAX_LANES];
	int nlanes = 0;
	/* kept buffers in creation order (lanes need start order) */
	for (struct buffer *b = m->kept; b; b = b->next) {
		struct group *g = NULL;
		char name[600], dev[48];
		uint64_t end = b->fate == FATE_ALIVE_AT_END ? m->end_ns : b->destroyed_ns;
		int lane;
		for (size_t i = 0; i < nsg + ndg && !g; i++) {
			struct group *c = i < nsg ? &sg[i] : &dg[i - nsg];
			for (size_t k = 0; k < c->nbufs && !g; k++)
				if (c->bufs[k] == b)
					g = c;
		}
		if (!g)
			continue;
		if (end < b->created_ns)
			end = b->created_ns;
		lane = lane_for(lane_end, &nlanes, b->created_ns, end + 1);
		if (lane < 0)
			continue;
		dev_label(dev, sizeof dev, model_buffer_device(m, b), 0);
		fprintf(o, "%s{\"name\":", sep(p));
		json_cstr(o, site(g, name, sizeof name));
		fprintf(o, ",\"cat\":\"%s\",\"ph\":\"X\",\"pid\":%" PRIu64 ",\"tid\":%d,\"ts\":", b->dangling ? "dangling" : "survivor",
			m->pid, LANE_TID0 + lane);
		put_ts(o, m, b->created_ns);
		fputs(",\"dur\":", o);
		put_dur(o, end - b->created_ns);
		fprintf(o, ",\"args\":{\"device\":\"%s\",\"buffer_type\":\"%s\",\"size\":%" PRIu64 ",\"fate\":\"%s\",\"closed_by\":\"%s\"}}",
			dev, pic_type_name(b->type), b->size,
			b->fate == FATE_DESTROYED ? "destroyed_later" : b->fate == FATE_DESTROYED_AT_EXIT ? "destroyed_at_exit" : "never_died",
			model_close_name(b->close_hook));
	}
	*nlanes_out = nlanes;
}

void perfetto_add(struct picture *p, struct model *m, struct group *sg, size_t nsg, struct group *dg, size_t ndg)
{
	FILE *o = p->f;
	int nlanes = 0;
	char label[300];
	snprintf(label, sizeof label, "%s (pid %" PRIu64 ")", m->exe ? short_file(m->exe) : "?", m->pid);
	fprintf(o, "%s{\"name\":\"process_name\",\"ph\":\"M\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":0,\"args\":{\"name\":",
		sep(p), m->pid, m->pid);
	json_cstr(o, label);
	fputs("}}", o);
	fprintf(o, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64
		   ",\"ts\":0,\"args\":{\"name\":\"devices\"}}",
		sep(p), m->pid, m->pid);
	counters(p, m);
	instants(p, m);
	fprintf(o, "%s{\"name\":\"process exit\",\"cat\":\"process\",\"ph\":\"i\",\"s\":\"p\",\"pid\":%" PRIu64 ",\"tid\":%" PRIu64 ",\"ts\":",
		sep(p), m->pid, m->pid);
	put_ts(o, m, m->end_ns);
	fputs("}", o);
	slices(p, m, sg, nsg, dg, ndg, &nlanes);
	for (int i = 0; i < nlanes; i++)
		fprintf(o, "%s{\"name\":\"thread_name\",\"ph\":\"M\",\"pid\":%" PRIu64 ",\"tid\":%d,\"ts\":0,"
			   "\"args\":{\"name\":\"kept buffers %d\"}}",
			sep(p), m->pid, LANE_TID0 + i, i + 1);
}

int perfetto_finish(struct picture *p, FILE *out)
{
	int rc;
	fclose(p->f);
	fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"generator\":\"buftrace " BUFTRACE_VERSION "\"},\"traceEvents\":[\n", out);
	fwrite(p->buf, 1, p->len, out);
	fputs("\n]}\n", out);
	free(p->buf);
	free(p);
	rc = fflush(out);
	return rc || ferror(out) ? -1 : 0;
}
