/* cmd_diff.c - `buftrace diff [--format text|json] BEFORE AFTER`
 *
 * The way to prove a fix: survivor groups of two runs matched by their
 * creation path (function names, not addresses): which disappeared,
 * which appeared, which changed.  Exit status 3 when AFTER has survivors
 * that BEFORE did not (a new group, or more of an old one). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buftrace.h"
#include "json.h"
#include "report.h"
#include "xalloc.h"

struct gsum { const char *key; uint64_t count, bytes; const struct group *g; };

/* A side's survivor groups summed by key (several processes may share a
 * path), each with the first group of that key to describe it.  Processes
 * are read one at a time; a model is kept only while such a group points
 * into it, so memory follows the distinct keys, not the traces. */
struct side {
	struct model **m; /* the models kept */
	int nm;
	struct gsum *sum;
	size_t n;
	uint64_t count, bytes;
	int bad;
	char **files;
	int nfiles;
	int depth, depths; /* the recorder's --depth (the first one), how many seen */
};

/* Add m's groups to s; 1 if one of them now describes its key (m is
 * kept), else 0 (the caller frees m). */
static int add_groups(struct side *s, struct model *m)
{
	size_t ng;
	struct group *g = groups_build(m, 0, &ng);
	int kept = 0;
	for (size_t k = 0; k < ng; k++) {
		size_t i;
		s->count += g[k].count;
		s->bytes += g[k].bytes;
		for (i = 0; i < s->n; i++)
			if (!strcmp(s->sum[i].key, g[k].key))
				break;
		if (i == s->n) {
			struct group *one = xcalloc(1, sizeof *one);
			*one = g[k];
			s->sum = xrealloc(s->sum, (s->n + 1) * sizeof *s->sum);
			s->sum[s->n++] = (struct gsum){ one->key, 0, 0, one };
			kept = 1;
		} else {
			free(g[k].bufs);
			free(g[k].key);
			free(g[k].line_key);
			free(g[k].open_call_buf);
		}
		s->sum[i].count += g[k].count;
		s->sum[i].bytes += g[k].bytes;
	}
	free(g); /* the kept groups were moved, their buffers stay owned by them */
	return kept;
}

static int load_side(const char *arg, struct side *s, struct symbolizer *sym)
{
	char **files;
	char *args[] = { (char *)arg };
	int n = collect_traces(1, args, &files);
	if (n <= 0)
		return -1;
	for (int i = 0; i < n; i++) {
		struct model_file f;
		struct model *m = xcalloc(1, sizeof *m);
		int rc;
		model_file_init(&f, files[i], sym);
		while ((rc = model_next(&f, m)) != 0) {
			int kept = 0;
			if (rc < 0 || m->error) {
				fprintf(stderr, "buftrace: %s\n", m->error);
				s->bad = 1;
			}
			if (rc > 0 && m->depth && m->depth != s->depth) {
				s->depths++;
				if (!s->depth)
					s->depth = m->depth;
			}
			if (rc > 0 && (!m->error || m->nrecords))
				kept = add_groups(s, m);
			if (kept) {
				s->m = xrealloc(s->m, (size_t)(s->nm + 1) * sizeof *s->m);
				s->m[s->nm++] = m;
				m = xcalloc(1, sizeof *m);
			} else {
				model_free(m);
			}
		}
		model_file_close(&f);
		free(m);
	}
	/* the paths stay until the end: the kept models name them */
	s->files = files;
	s->nfiles = n;
	return 0;
}

static void side_free(struct side *s)
{
	for (size_t k = 0; k < s->n; k++)
		groups_free((struct group *)s->sum[k].g, 1);
	free(s->sum);
	for (int k = 0; k < s->nm; k++) {
		model_free(s->m[k]);
		free(s->m[k]);
	}
	free(s->m);
	for (int k = 0; k < s->nfiles; k++)
		free(s->files[k]);
	free(s->files);
}

static const char *where(const struct group *g)
{
	/* the first frame with a name below the hooked call */
	for (int i = 1; i < g->nframes; i++)
		if (g->frames[i].function)
			return g->frames[i].function;
	return "??";
}

static void text_line(const char *what, const struct gsum *a, const struct gsum *b)
{
	const struct group *g = b ? b->g : a->g;
	const struct buffer *b0 = g->bufs[0];
	/* tt-metal's buffers; the other runtimes' objects in their words */
	const char *noun = b0->rt == BT_RT_TTMETAL ? "buffers" : group_kind(b0);
	printf("  %-9s ", what);
	if (a && b)
		printf("%" PRIu64 " -> %" PRIu64 " %s, %" PRIu64 " -> %" PRIu64 " bytes", a->count, b->count, noun, a->bytes,
		       b->bytes);
	else
		printf("%" PRIu64 " %s, %" PRIu64 " bytes", (a ? a : b)->count, noun, (a ? a : b)->bytes);
	if (b0->rt != BT_RT_TTMETAL)
		printf("\n            created by %s in %s\n", g->frames[0].function ? g->frames[0].function : "?", where(g));
	else
		printf("\n            created by %s%s%s", where(g), g->open_call ? " during " : "",
		       g->open_call ? g->open_call : "");
	/* the Python caller tells apart paths whose native frames are one */
	for (int i = 1; i < g->nframes; i++)
		if (g->frames[i].python && g->frames[i].function) {
			printf(", from Python %s (%s)", g->frames[i].function,
			       g->frames[i].file ? short_file(g->frames[i].file) : "?");
			break;
		}
	printf("\n");
}

static void json_item(int *first, const char *status, const struct gsum *a, const struct gsum *b)
{
	const struct group *g = b ? b->g : a->g;
	printf("%s{\"status\":\"%s\",\"key\":", *first ? "" : ",", status);
	json_cstr(stdout, g->key);
	printf(",\"before\":{\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 "},\"after\":{\"count\":%" PRIu64
	       ",\"bytes\":%" PRIu64 "},\"group\":",
	       a ? a->count : 0, a ? a->bytes : 0, b ? b->count : 0, b ? b->bytes : 0);
	json_group(stdout, g);
	fputs("}", stdout);
	*first = 0;
}

/* The two frames have the same name in diff's keys (functions, not lines) */
static int same_name(const struct frame *x, const struct frame *y)
{
	char a[1024], b[1024];
	group_frame_key(x, 0, a, sizeof a);
	group_frame_key(y, 0, b, sizeof b);
	return !strcmp(a, b);
}

/* Where a group's native frames end (past [0], the hooked call): at its
 * first Python frame or at the mark of a walk cut at --depth (*cut). */
static int native_end(const struct group *g, int *cut)
{
	*cut = 0;
	return g->nframes > 1 ? 1 + frames_native_end(g->frames + 1, g->nframes - 1, cut) : g->nframes;
}

/* One path, seen at two depths: at least one of x and y was cut at the
 * depth limit, the native frames of the cut one are the first of the
 * other's, and the Python frames after them are the same. */
static int same_cut_path(const struct group *x, const struct group *y)
{
	int cx, cy, nx = native_end(x, &cx), ny = native_end(y, &cy), n, px, py;
	if ((!cx && !cy) || x->cut || y->cut || !same_name(&x->frames[0], &y->frames[0]))
		return 0;
	if ((cx && !cy && nx > ny) || (cy && !cx && ny > nx))
		return 0; /* the cut one has frames the whole one lacks */
	n = nx < ny ? nx : ny;
	for (int i = 1; i < n; i++)
		if (!same_name(&x->frames[i], &y->frames[i]))
			return 0;
	px = nx + cx;
	py = ny + cy;
	if (x->nframes - px != y->nframes - py)
		return 0;
	for (; px < x->nframes; px++, py++)
		if (!same_name(&x->frames[px], &y->frames[py]))
			return 0;
	return 1;
}

static int uf_find(int *up, int i)
{
	while (up[i] != i)
		i = up[i] = up[up[i]];
	return i;
}

int cmd_diff(int argc, char **argv)
{
	struct side s[2];
	const char *paths[2] = { NULL, NULL };
	int np = 0, json = 0, worse = 0, first = 1;
	struct gsum *A, *Bs;
	size_t na, nb;
	struct symbolizer *sym;

	memset(s, 0, sizeof s);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--format") && i + 1 < argc) {
			json = !strcmp(argv[++i], "json");
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: buftrace diff [--format text|json] BEFORE AFTER   (traces or directories)\n");
			return EXIT_OK;
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "buftrace diff: unknown option '%s'\n", argv[i]);
			return EXIT_USAGE;
		} else if (np < 2) {
			paths[np++] = argv[i];
		} else {
			np++;
		}
	}
	if (np != 2) {
		fprintf(stderr, "usage: buftrace diff [--format text|json] BEFORE AFTER\n");
		return EXIT_USAGE;
	}
	sym = sym_new(); /* both sides: mostly the same binaries */
	for (int i = 0; i < 2; i++)
		if (load_side(paths[i], &s[i], sym) < 0) {
			if (i)
				side_free(&s[0]);
			sym_free(sym);
			return EXIT_BAD_INPUT;
		}
	A = s[0].sum;
	Bs = s[1].sum;
	na = s[0].n;
	nb = s[1].n;
	if (json)
		printf("{\"schema\":\"buftrace-diff/1\",\"groups\":[");
	else
		printf("buftrace diff: %s (%" PRIu64 " survivors, %" PRIu64 " bytes) -> %s (%" PRIu64 " survivors, %" PRIu64
		       " bytes)\n",
		       paths[0], s[0].count, s[0].bytes, paths[1], s[1].count, s[1].bytes);
	if (s[0].depths > 1 || s[1].depths > 1 || s[0].depth != s[1].depth) {
		/* keys differ where one side's walks stopped sooner: such paths
		 * are matched by the frames both have (same_cut_path) */
		if (s[0].depths > 1 || s[1].depths > 1)
			fprintf(stderr, "buftrace diff: note: traces recorded with different --depth on one side\n");
		else if (!json)
			printf("  (recorded with --depth %d before, %d after: a path cut at the depth limit is matched by "
			       "the frames both sides have)\n",
			       s[0].depth, s[1].depth);
	}
	/* Paths of both sides in sets: one key, or one path seen cut at one
	 * side's depth and whole (or cut later) at the other's.  A set is
	 * one line, its counts summed per side. */
	int *up = xcalloc(na + nb + 1, sizeof *up);
	for (size_t i = 0; i < na + nb; i++)
		up[i] = (int)i;
	for (size_t i = 0; i < na; i++)
		for (size_t k = 0; k < nb; k++)
			if (!strcmp(A[i].key, Bs[k].key) || same_cut_path(A[i].g, Bs[k].g))
				up[uf_find(up, (int)i)] = uf_find(up, (int)(na + k));
	char *done = xcalloc(na + nb + 1, 1);
	for (size_t j = 0; j < na + nb; j++) {
		int root = uf_find(up, (int)j);
		struct gsum a = { 0 }, b = { 0 };
		int has_a = 0, has_b = 0;
		if (done[root])
			continue;
		done[root] = 1;
		for (size_t x = j; x < na + nb; x++) {
			struct gsum *g = x < na ? &A[x] : &Bs[x - na], *sum = x < na ? &a : &b;
			int *has = x < na ? &has_a : &has_b;
			if (uf_find(up, (int)x) != root)
				continue;
			if (!*has) {
				*sum = *g; /* the first describes the set */
				*has = 1;
			} else {
				sum->count += g->count;
				sum->bytes += g->bytes;
			}
		}
		const char *status = !has_b ? "gone" : !has_a ? "appeared"
					 : a.count != b.count || a.bytes != b.bytes ? "changed" : "same";
		worse |= !has_a || (has_b && (b.count > a.count || b.bytes > a.bytes));
		if (json)
			json_item(&first, status, has_a ? &a : NULL, has_b ? &b : NULL);
		else
			text_line(status, has_a ? &a : NULL, has_b ? &b : NULL);
	}
	free(up);
	free(done);
	if (json)
		printf("],\"before\":{\"survivors\":%" PRIu64 ",\"bytes\":%" PRIu64 "},\"after\":{\"survivors\":%" PRIu64
		       ",\"bytes\":%" PRIu64 "},\"worse\":%s}\n",
		       s[0].count, s[0].bytes, s[1].count, s[1].bytes, worse ? "true" : "false");
	else if (!na && !nb)
		printf("  no survivors on either side\n");
	fflush(stdout);
	for (int i = 0; i < 2; i++)
		side_free(&s[i]);
	sym_free(sym);
	if (s[0].bad || s[1].bad)
		return EXIT_BAD_INPUT;
	return worse ? EXIT_SURVIVORS : EXIT_OK;
}
