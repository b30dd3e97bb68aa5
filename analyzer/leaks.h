/* leaks.h - host memory never freed, from the libc allocation probes
 * (`buftrace record --probes malloc`).
 *
 * Live blocks are kept in an open-addressed table keyed by block number
 * (or address, in version 1 traces), so
 * memory grows with the blocks alive at one time, never with the number
 * of events.  What is still alive at the end of the trace is grouped by
 * the stack that allocated it. */
#ifndef BT_LEAKS_H
#define BT_LEAKS_H

#include <stdint.h>
#include <stdio.h>

struct model;

struct leak_group {
	uint32_t stack;
	uint64_t count, bytes;
};

struct leak_table {
	struct leak_slot *slots;
	size_t cap, live;
	uint64_t bytes;
};

struct leaks {
	struct leak_table live;    /* blocks allocated, not freed */
	struct leak_table pending; /* frees read before their block's allocation */
	size_t peak_live;
	uint64_t mallocs, frees, unknown_frees;
	struct leak_group *groups; /* after leaks_finish: by bytes, largest first */
	size_t ngroups;
};

/* An event of hook BT_HOOK_MALLOC (args: ptr or block, size) or
 * BT_HOOK_FREE (ptr or block); flags has BT_EV_BLOCK for block numbers.
 * Block events may come in any order across threads; address events
 * (version 1 traces) must come in sequence order. */
void leaks_event(struct model *m, int hook, unsigned flags, uint32_t stack, const uint64_t *args, int nargs);
/* Group what is alive (called by model_load at the end of the trace). */
void leaks_finish(struct model *m);
void leaks_free(struct model *m);

/* The report's "Host memory never freed" section; nothing when the trace
 * holds no probe events. */
void leaks_print_text(struct model *m, const char *bold, const char *reset);
/* JSON objects {pid,count,bytes,stack} of the leaks[] array; *first is
 * cleared once one is written. */
void leaks_print_json(FILE *out, struct model *m, int *first);

#endif
