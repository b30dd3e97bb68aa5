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
#include "trace_format.h"

struct leak_slot {
	uint64_t key; /* 0 = empty; an address, or BLOCK_KEY(block number) */
	uint64_t size;
	uint32_t stack;
};

/* Block numbers (compact probe events) and addresses (version 1 traces,
 * FREE_RAW) share the table: a user-space address never has bit 63 set. */
#define BLOCK_KEY(n) ((n) | (1ull << 63))

static size_t slot_of(uint64_t p, size_t cap)
{
	p ^= p >> 33;
	p *= 0xff51afd7ed558ccdull;
	p ^= p >> 33;
	return (size_t)p & (cap - 1);
}

/* a key there already has its old entry replaced */
static void put(struct leak_table *t, uint64_t key, uint64_t size, uint32_t stack)
{
	size_t i = slot_of(key, t->cap);
	while (t->slots[i].key && t->slots[i].key != key)
		i = (i + 1) & (t->cap - 1);
	if (t->slots[i].key) {
		t->bytes -= t->slots[i].size;
		t->live--;
	}
	t->slots[i].key = key;
	t->slots[i].size = size;
	t->slots[i].stack = stack;
	t->live++;
	t->bytes += size;
}

static void grow(struct leak_table *t)
{
	struct leak_slot *old = t->slots;
	size_t oc = t->cap;
	t->cap = oc ? oc * 2 : 4096;
	t->slots = xcalloc(t->cap, sizeof *t->slots);
	t->live = 0;
	t->bytes = 0;
	for (size_t i = 0; i < oc; i++)
		if (old[i].key)
			put(t, old[i].key, old[i].size, old[i].stack);
	free(old);
}

static void add(struct leak_table *t, uint64_t key, uint64_t size, uint32_t stack)
{
	if ((t->live + 1) * 2 > t->cap)
		grow(t);
	put(t, key, size, stack);
}

/* Linear probing with backward-shift deletion: no tombstones, so a table
 * of churning blocks never fills up with dead slots. */
static int del(struct leak_table *t, uint64_t key)
{
	size_t i, j;
	if (!t->cap)
		return 0;
	for (i = slot_of(key, t->cap); t->slots[i].key != key; i = (i + 1) & (t->cap - 1))
		if (!t->slots[i].key)
			return 0;
	t->live--;
	t->bytes -= t->slots[i].size;
	for (j = i;;) {
		size_t k;
		t->slots[i].key = 0;
		do {
			j = (j + 1) & (t->cap - 1);
			if (!t->slots[j].key)
				return 1;
			k = slot_of(t->slots[j].key, t->cap);
		} while (i <= j ? (i < k && k <= j) : (i < k || k <= j));
		t->slots[i] = t->slots[j];
		i = j;
	}
}

void leaks_event(struct model *m, int hook, unsigned flags, uint32_t stack, const uint64_t *args, int nargs)
{
	struct leaks *l = m->leaks;
	if (!l)
		l = m->leaks = xcalloc(1, sizeof *l);
	if (hook == BT_HOOK_MALLOC && nargs >= 2 && args[0]) {
		uint64_t key = flags & BT_EV_BLOCK ? BLOCK_KEY(args[0]) : args[0];
		l->mallocs++;
		/* A block's free can be read before its allocation: the two
		 * threads' chunks reached the file in the other order. */
		if ((flags & BT_EV_BLOCK) && del(&l->pending, key))
			return;
		add(&l->live, key, args[1], stack);
		if (l->live.live > l->peak_live)
			l->peak_live = l->live.live;
	} else if (hook == BT_HOOK_FREE && nargs >= 1 && args[0]) {
		l->frees++;
		if (flags & BT_EV_BLOCK) {
			if (!del(&l->live, BLOCK_KEY(args[0])))
				add(&l->pending, BLOCK_KEY(args[0]), 0, 0);
		} else if (!del(&l->live, args[0])) {
			l->unknown_frees++;
		}
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
	struct leak_slot *slots;
	if (!l || l->groups)
		return;
	/* frees of blocks whose allocation never came */
	l->unknown_frees += l->pending.live;
	free(l->pending.slots);
	memset(&l->pending, 0, sizeof l->pending);
	/* compact the live blocks to the front and sort them by stack */
	slots = l->live.slots;
	for (size_t i = 0; i < l->live.cap; i++)
		if (slots[i].key)
			slots[n++] = slots[i];
	qsort(slots, n, sizeof *slots, by_stack);
	l->groups = xcalloc(n, sizeof *l->groups);
	for (size_t i = 0; i < n; i++) {
		struct leak_group *g = l->ngroups ? &l->groups[l->ngroups - 1] : NULL;
		if (!g || g->stack != slots[i].stack) {
			g = &l->groups[l->ngroups++];
			g->stack = slots[i].stack;
		}
		g->count++;
		g->bytes += slots[i].size;
	}
	qsort(l->groups, l->ngroups, sizeof *l->groups, by_bytes);
	free(slots);
	memset(&l->live, 0, sizeof l->live);
}

void leaks_free(struct model *m)
{
	if (!m->leaks)
		return;
	free(m->leaks->live.slots);
	free(m->leaks->pending.slots);
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
			char cut[128];
			if (frame_cut_text(&f[k], cut, sizeof cut)) {
				printf("      %s\n", cut);
				continue;
			}
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

void leaks_print_json(FILE *out, struct model *m, int *first)
{
	struct leaks *l = m->leaks;
	if (!l)
		return;
	leaks_finish(m);
	for (size_t i = 0; i < l->ngroups; i++) {
		struct frame f[GROUP_MAX_FRAMES];
		int n = model_frames(m, l->groups[i].stack, f, GROUP_MAX_FRAMES);
		fprintf(out, "%s{\"pid\":%" PRIu64 ",\"count\":%" PRIu64 ",\"bytes\":%" PRIu64 ",\"stack\":", *first ? "" : ",",
		       m->pid, l->groups[i].count, l->groups[i].bytes);
		json_frames(out, f, n, -1);
		fputs("}", out);
		*first = 0;
	}
}
