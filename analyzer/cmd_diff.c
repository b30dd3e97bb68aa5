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

struct side {
	struct model *m;
	struct group **g; /* all groups of all traces */
	size_t n;
	int nm;
	uint64_t count, bytes;
	int bad;
};

struct gsum { const char *key; uint64_t count, bytes; const struct group *g; };

static int load_side(const char *arg, struct side *s)
{
	char **files;
	char *args[] = { (char *)arg };
	int n = collect_traces(1, args, &files);
	if (n <= 0)
		return -1;
	s->m = calloc((size_t)n, sizeof *s->m);
	s->nm = n;
	for (int i = 0; i < n; i++) {
		size_t ng;
		struct group *g;
		if (model_load(&s->m[i], files[i]) < 0 || s->m[i].error) {
			fprintf(stderr, "buftrace: %s\n", s->m[i].error);
			s->bad = 1;
			if (!s->m[i].nrecords)
				continue;
		}
		g = groups_build(&s->m[i], 0, &ng);
		for (size_t k = 0; k < ng; k++) {
			struct group *one = malloc(sizeof *one);
			*one = g[k];
			s->g = realloc(s->g, (s->n + 1) * sizeof *s->g);
			s->g[s->n++] = one;
			s->count += g[k].count;
			s->bytes += g[k].bytes;
		}
		free(g); /* the groups were moved, their buffers stay owned by them */
	}
	return 0;
}

/* Sum a side's groups by key: several processes may share a path. */
static size_t sums(const struct side *s, struct gsum *out)
{
	size_t n = 0;
	for (size_t i = 0; i < s->n; i++) {
		size_t k;
		for (k = 0; k < n; k++)
			if (!strcmp(out[k].key, s->g[i]->key))
				break;
		if (k == n) {
			out[n].key = s->g[i]->key;
			out[n].count = out[n].bytes = 0;
			out[n].g = s->g[i];
			n++;
		}
		out[k].count += s->g[i]->count;
		out[k].bytes += s->g[i]->bytes;
	}
	return n;
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
	printf("  %-9s ", what);
	if (a && b)
		printf("%" PRIu64 " -> %" PRIu64 " buffers, %" PRIu64 " -> %" PRIu64 " bytes", a->count, b->count, a->bytes,
		       b->bytes);
	else
		printf("%" PRIu64 " buffers, %" PRIu64 " bytes", (a ? a : b)->count, (a ? a : b)->bytes);
	printf("\n            created by %s%s%s\n", where(g), g->open_call ? " during " : "",
	       g->open_call ? g->open_call : "");
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

int cmd_diff(int argc, char **argv)
{
	struct side s[2];
	const char *paths[2] = { NULL, NULL };
	int np = 0, json = 0, worse = 0, first = 1;
	struct gsum *A, *Bs;
	size_t na, nb;

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
	for (int i = 0; i < 2; i++)
		if (load_side(paths[i], &s[i]) < 0)
			return EXIT_BAD_INPUT;
	A = calloc(s[0].n + 1, sizeof *A);
	Bs = calloc(s[1].n + 1, sizeof *Bs);
	na = sums(&s[0], A);
	nb = sums(&s[1], Bs);
	if (json)
		printf("{\"schema\":\"buftrace-diff/1\",\"groups\":[");
	else
		printf("buftrace diff: %s (%" PRIu64 " survivors, %" PRIu64 " bytes) -> %s (%" PRIu64 " survivors, %" PRIu64
		       " bytes)\n",
		       paths[0], s[0].count, s[0].bytes, paths[1], s[1].count, s[1].bytes);
	for (size_t i = 0; i < na; i++) {
		const struct gsum *b = NULL;
		for (size_t k = 0; k < nb; k++)
			if (!strcmp(A[i].key, Bs[k].key))
				b = &Bs[k];
		if (!b) {
			if (json)
				json_item(&first, "gone", &A[i], NULL);
			else
				text_line("gone", &A[i], NULL);
		} else if (b->count != A[i].count || b->bytes != A[i].bytes) {
			worse |= b->count > A[i].count || b->bytes > A[i].bytes;
			if (json)
				json_item(&first, "changed", &A[i], b);
			else
				text_line("changed", &A[i], b);
		} else if (json) {
			json_item(&first, "same", &A[i], b);
		} else {
			text_line("same", &A[i], b);
		}
	}
	for (size_t k = 0; k < nb; k++) {
		int found = 0;
		for (size_t i = 0; i < na; i++)
			found |= !strcmp(A[i].key, Bs[k].key);
		if (found)
			continue;
		worse = 1;
		if (json)
			json_item(&first, "appeared", NULL, &Bs[k]);
		else
			text_line("appeared", NULL, &Bs[k]);
	}
	if (json)
		printf("],\"before\":{\"survivors\":%" PRIu64 ",\"bytes\":%" PRIu64 "},\"after\":{\"survivors\":%" PRIu64
		       ",\"bytes\":%" PRIu64 "},\"worse\":%s}\n",
		       s[0].count, s[0].bytes, s[1].count, s[1].bytes, worse ? "true" : "false");
	else if (!na && !nb)
		printf("  no survivors on either side\n");
	fflush(stdout);
	for (int i = 0; i < 2; i++) {
		for (size_t k = 0; k < s[i].n; k++) {
			groups_free(s[i].g[k], 1);
		}
		free(s[i].g);
		for (int k = 0; k < s[i].nm; k++)
			model_free(&s[i].m[k]);
		free(s[i].m);
	}
	free(A);
	free(Bs);
	if (s[0].bad || s[1].bad)
		return EXIT_BAD_INPUT;
	return worse ? EXIT_SURVIVORS : EXIT_OK;
}
