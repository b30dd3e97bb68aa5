/* leaks.c - see leaks.h. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "groups.h"
#include "hook_table.h"
#include "leaks.h"
#include "xalloc.h"
#include "model.h"
#include "report.h"

struct leak_slot {
	uint64_t ptr; /* 0 = empty */
	uint64_t size;
	uint32_t stack;
};

static size_t slot_of(uint64_t p, size_t cap)
{
	p ^= p >> 33;
	p *= 0xff51afd7ed558ccdull;
	p ^= p >> 33;
	return (size_t)p & (cap - 1);
}

static void put(struct leaks *l, uint64_t ptr, uint64_t size, uint32_t stack)
{
	size_t i = slot_of(ptr, l->cap);
	while (l->slots[i].ptr && l->slots[i].ptr != ptr)
		i = (i + 1) & (l->cap - 1);
	if (l->slots[i].ptr) {
		/* allocated twice without a free between: the free was not
		 * seen (a thread's last frees, before the probes were armed) */
		l->live_bytes -= l->slots[i].size;
		l->live--;
	}
	l->slots[i].ptr = ptr;
	l->slots[i].size = size;
	l->slots[i].stack = stack;
	l->live++;
	l->live_bytes += size;
}

static void grow(struct leaks *l)
{
	struct leak_slot *old = l->slots;
	size_t oc = l->cap;
	l->cap = oc ? oc * 2 : 4096;
	l->slots = xcalloc(l->cap, sizeof *l->slots);
	l->live = 0;
	l->live_bytes = 0;
	for (size_t i = 0; i < oc; i++)
		if (old[i].ptr)
			put(l, old[i].ptr, old[i].size, old[i].stack);
	free(old);
}

/* Linear probing with backward-shift deletion: no tombstones, so a table
 * of churning blocks never fills up with dead slots. */
static int del(struct leaks *l, uint64_t ptr)
{
	size_t i, j;
	if (!l->cap)
		return 0;
	for (i = slot_of(ptr, l->cap); l->slots[i].ptr != ptr; i = (i + 1) & (l->cap - 1))
		if (!l->slots[i].ptr)
			return 0;
	l->live--;
	l->live_bytes -= l->slots[i].size;
	for (j = i;;) {
		size_t k;
		l->slots[i].ptr = 0;
		do {
			j = (j + 1) & (l->cap - 1);
			if (!l->slots[j].ptr)
				return 1;
			k = slot_of(l->slots[j].ptr, l->cap);
		} while (i <= j ? (i < k && k <= j) : (i < k || k <= j));
		l->slots[i] = l->slots[j];
		i = j;
	}
}

void leaks_event(struct model *m, int hook, uint32_t stack, const uint64_t *args, int nargs)
{
	struct leaks *l = m->leaks;
	if (!l)
		l = m->leaks = xcalloc(1, sizeof *l);
	if (hook == BT_HOOK_MALLOC && nargs >= 2 && args[0]) {
		l->mallocs++;
		if ((l->live + 1) * 2 > l->cap)
			grow(l);
		put(l, args[0], args[1], stack);
		if (l->live > l->peak_live)
			l->peak_live = l->live;
	} else if (hook == BT_HOOK_FREE && nargs >= 1 && args[0]) {
		l->frees++;
		if (!del(l, args[0]))
			l->unknown_frees++;
	}
}

static int by_stack(const void *a, const void *b)
{
	const struct leak_slot *x = a, *y = b;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

static int by_bytes(const void *a, const void *b)
{
	const struct leak_group *x = a, *y = b;
	if (x->bytes != y->bytes)
		return x->bytes > y->bytes ? -1 : 1;
	if (x->count != y->count)
		return x->count > y->count ? -1 : 1;
	return x->stack < y->stack ? -1 : x->stack > y->stack;
}

void leaks_finish(struct model *m)
{
	struct leaks *l = m->leaks;
	size_t n = 0;
	if (!l || l->groups)
		return;
	/* compact the live blocks to the front and sort them by stack */
	for (size_t i = 0; i < l->cap; i++)
		if (l->slots[i].ptr)
			l->slots[n++] = l->slots[i];
	qsort(l->slots, n, sizeof *l->slots, by_stack);
	l->groups = xcalloc(n, sizeof *l->groups);
	for (size_t i = 0; i < n; i++) {
		struct leak_group *g = l->ngroups ? &l->groups[l->ngroups - 1] : NULL;
		if (!g || g->stack != l->slots[i].stack) {
			g = &l->groups[l->ngroups++];
			g->stack = l->slots[i].stack;
		}
		g->count++;
		g->bytes += l->slots[i].size;
	}
	qsort(l->groups, l->ngroups, sizeof *l->groups, by_bytes);
	free(l->slots);
	l->slots = NULL;
	l->cap = 0;
}

void leaks_free(struct model *m)
{
	if (!m->leaks)
		return;
	free(m->leaks->slots);
	free(m->leaks->groups);
	free(m->leaks);
	m->leaks = NULL;
}

#define TEXT_FRAMES 12

void leaks_print_text(struct model *m, const char *B, const char *R)
{
	struct leaks *l = m->leaks;
	uint64_t count = 0, bytes = 0;
	if (!l)
		return;
	leaks_finish(m);
	for (size_t i = 0; i < l->ngroups; i++) {
		count += l->groups[i].count;
		bytes += l->groups[i].bytes;
	}
	printf("%sHost memory never freed:%s %" PRIu64 " block%s, %" PRIu64 " bytes, from %zu allocation stack%s"
	       " (%" PRIu64 " allocations, %" PRIu64 " frees traced; at most %zu blocks alive at once)\n\n",
	       B, R, count, count == 1 ? "" : "s", bytes, l->ngroups, l->ngroups == 1 ? "" : "s", l->mallocs,
	       l->frees, l->peak_live);
	for (size_t i = 0; i < l->ngroups; i++) {
		struct frame f[TEXT_FRAMES];
		int n = model_frames(m, l->groups[i].stack, f, TEXT_FRAMES);
		printf("  %s#%zu  %" PRIu64 " block%s, %" PRIu64 " bytes%s\n", B, i + 1, l->groups[i].count,
		       l->groups[i].count == 1 ? "" : "s", l->groups[i].bytes, R);
		for (int k = 0; k < n; k++) {
			char *fn = f[k].function ? func_name_only(f[k].function) : NULL;
			printf("      %s", fn ? fn : f[k].function ? f[k].function : "??");
			free(fn);
			if (f[k].file)
				printf(" (%s:%d)", short_file(f[k].file), f[k].line);
			else if (!f[k].function)
				printf(" (%s+0x%" PRIx64 ")", f[k].module ? short_file(f[k].module) : "?", f[k].ip);
			printf("\n");
		}
		if (!n)
			printf("      (no stack)\n");
		printf("\n");
	}
}

void leaks_print_json(struct model *m, int *first)
{
	struct leaks *l = m->leaks;
	if (!l)
		return;
	leaks_finish(m);
	for (size_t i = 0; i < l->ngroups; i++) {
		struct frame f[GROUP_MAX_FRAMES];
		int n = model_frames(m, l->groups[i].stack, f, GROUP_MAX_FRAMES);
		printf("%s{\"pid\":%" PRIu64 ",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"stack\":", *first ? "" : ",",
		       m->pid, l->groups[i].count, l->groups[i].bytes);
		json_frames(f, n, -1);
		fputs("}", stdout);
		*first = 0;
	}
}
