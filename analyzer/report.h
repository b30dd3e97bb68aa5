/* report.h - pieces of `report` that `diff` uses too. */
#ifndef BT_REPORT_H
#define BT_REPORT_H
#include <stdio.h>
#include "groups.h"
/* Expand arguments (files, directories of buftrace.*.zst; none = ".")
 * into a sorted list of trace paths. Returns the count, -1 on error. */
int collect_traces(int argc, char **argv, char ***out);
void json_frames(FILE *out, const struct frame *f, int n, int init_depth);
void json_group(FILE *out, const struct group *g);
#endif
