/* report_html.h - the pictures of `report`: `--format html` (one
 * self-contained page, docs/html-report.md) and `--format perfetto`
 * (Chrome trace-event JSON for ui.perfetto.dev and chrome://tracing).
 *
 * Both work one process at a time like the rest of `report`: *_add()
 * takes what the page needs from a loaded process (its timeline, groups,
 * symbolized stacks as strings) before the model is freed, and *_finish()
 * writes the whole file once every process has been read.  What is kept
 * between processes is compact: TL_BUCKETS points per track at most. */
#ifndef BT_REPORT_HTML_H
#define BT_REPORT_HTML_H
#include <stdio.h>
#include "groups.h"
#ifndef BUFTRACE_VERSION /* the Makefile sets it; builds of parts (fuzzing) may not */
#define BUFTRACE_VERSION "unknown"
#endif

struct picture;
struct picture *html_new(void);
struct picture *perfetto_new(void);
void html_add(struct picture *p, struct model *m, struct group *sg, size_t nsg, struct group *dg, size_t ndg);
void perfetto_add(struct picture *p, struct model *m, struct group *sg, size_t nsg, struct group *dg, size_t ndg);
/* Write the file to out and free p: 0, or -1 on a write error. */
int html_finish(struct picture *p, FILE *out);
int perfetto_finish(struct picture *p, FILE *out);

/* shared by both: a buffer type's name (UNKNOWN for 5) */
const char *pic_type_name(int t);
struct picture {
	FILE *f;     /* the processes' data, spooled */
	char *buf;
	size_t len;
	int n;       /* processes added */
};
#endif
