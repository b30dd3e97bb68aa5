/* timeline.c - see timeline.h */
#include <stdlib.h>
#include <string.h>
#include "timeline.h"
#include "xalloc.h"

void timeline_init(struct timeline *tl, uint64_t t0, int nb)
{
	memset(tl, 0, sizeof *tl);
	tl->t0 = t0;
	tl->nb = nb > 1 && nb <= TL_BUCKETS ? nb & ~1 : TL_BUCKETS;
	tl->tail = &tl->tracks;
	tl->width = 1000; /* 1 us; doubles as the trace grows */
}

/* Halve the resolution: bucket i takes buckets 2i and 2i+1. */
static void compact(struct timeline *tl)
{
	for (struct tl_track *t = tl->tracks; t; t = t->next)
		for (int i = 0; i < tl->nb / 2; i++) {
			int a = 2 * i, b = 2 * i + 1;
			int64_t last = t->touched[b] ? t->last[b] : t->last[a];
			int64_t peak = t->touched[a] ? t->peak[a] : INT64_MIN;
			if (t->touched[b] && t->peak[b] > peak)
				peak = t->peak[b];
			unsigned char touched = t->touched[a] | t->touched[b];
			t->count[i] = t->touched[b] ? t->count[b] : t->count[a];
			t->last[i] = last;
			t->peak[i] = peak;
			t->touched[i] = touched;
		}
	for (struct tl_track *t = tl->tracks; t; t = t->next) {
		memset(t->touched + tl->nb / 2, 0, tl->nb / 2);
	}
	tl->width *= 2;
	tl->hi = (tl->hi + 1) / 2;
}

static struct tl_track *track(struct timeline *tl, uint64_t dev, int type)
{
	uint64_t h = (dev * 0x9e3779b97f4a7c15ull + (uint64_t)type) >> 56;
	for (struct tl_track *t = tl->hash[h]; t; t = t->hnext)
		if (t->dev == dev && t->type == type)
			return t;
	struct tl_track *t = xcalloc(1, sizeof *t);
	t->dev = dev;
	t->type = type;
	t->last = xcalloc((size_t)tl->nb, sizeof *t->last);
	t->peak = xcalloc((size_t)tl->nb, sizeof *t->peak);
	t->count = xcalloc((size_t)tl->nb, sizeof *t->count);
	t->touched = xcalloc((size_t)tl->nb, 1);
	t->hnext = tl->hash[h];
	tl->hash[h] = t;
	*tl->tail = t;
	tl->tail = &t->next;
	tl->ntracks++;
	return t;
}

static void add(struct timeline *tl, struct tl_track *t, uint64_t ts, int64_t delta, int64_t dcount)
{
	uint64_t rel = ts > tl->t0 ? ts - tl->t0 : 0;
	uint64_t i;
	while ((i = rel / tl->width) >= (uint64_t)tl->nb)
		compact(tl);
	if (!t->touched[i]) {
		t->touched[i] = 1;
		t->peak[i] = t->cur; /* the bucket starts at the value carried in */
	}
	t->cur += delta;
	t->ncur += dcount;
	t->last[i] = t->cur;
	t->count[i] = t->ncur;
	if (t->cur > t->peak[i])
		t->peak[i] = t->cur;
	if ((int)i + 1 > tl->hi)
		tl->hi = (int)i + 1;
}

void timeline_add(struct timeline *tl, uint64_t dev, int type, uint64_t ts, int64_t delta, int64_t dcount)
{
	if (!delta && !dcount)
		return;
	if (type < 0 || type > 4)
		type = 5;
	add(tl, track(tl, dev, type), ts, delta, dcount);
}

void timeline_set(struct timeline *tl, uint64_t dev, int type, uint64_t ts, int64_t bytes, int64_t count)
{
	struct tl_track *t;
	if (type < 0 || type > 4)
		type = 5;
	t = track(tl, dev, type);
	if (bytes != t->cur || count != t->ncur)
		add(tl, t, ts, bytes - t->cur, count - t->ncur);
}

void timeline_series(const struct tl_track *t, int n, int64_t *last, int64_t *peak, int64_t *count)
{
	int64_t carry = 0, ccarry = 0;
	for (int i = 0; i < n && i < TL_BUCKETS; i++) { /* n <= the timeline's nb */
		if (t->touched[i]) {
			carry = t->last[i];
			ccarry = t->count[i];
			last[i] = carry;
			peak[i] = t->peak[i];
		} else {
			last[i] = peak[i] = carry;
		}
		if (count)
			count[i] = ccarry;
	}
}

void timeline_free(struct timeline *tl)
{
	struct tl_track *t = tl->tracks, *n;
	for (; t; t = n) {
		n = t->next;
		free(t->last);
		free(t->peak);
		free(t->count);
		free(t->touched);
		free(t);
	}
	tl->tracks = NULL;
	tl->tail = &tl->tracks;
	memset(tl->hash, 0, sizeof tl->hash);
}
