/* timeline.h - live device memory over time, downsampled as it streams.
 *
 * The model reports every change of a buffer's counted memory (its size
 * while allocated, on its device and buffer type) with timeline_add().
 * All tracks of one process share one grid of at most TL_BUCKETS buckets
 * starting at the process start; when an event falls past the grid the
 * bucket width doubles and neighbouring buckets merge.  So memory is
 * TL_BUCKETS per track whatever the number of events, the value at every
 * bucket end is exact, and each bucket keeps the peak reached inside it.
 * Tracks of the same grid add up bucket by bucket (a mesh's chips).
 * A timeline may have fewer buckets (the per-stack one: many tracks). */
#ifndef BT_TIMELINE_H
#define BT_TIMELINE_H

#include <stdint.h>

#define TL_BUCKETS 2048
#define TL_STACK_BUCKETS 128 /* per creation stack: "what was alive when" */

struct tl_track {
	uint64_t dev;        /* device object, 0 unknown */
	int type;            /* BufferType 0..4, 5 unknown */
	int64_t cur, ncur;   /* live bytes and buffers now */
	int64_t *last, *peak; /* per bucket: value at its end, highest inside */
	int64_t *count;      /* per bucket: live buffers at its end */
	unsigned char *touched;
	struct tl_track *next, *hnext; /* all tracks in creation order; hash chain */
};

struct timeline {
	uint64_t t0, width;  /* grid: bucket i covers [t0 + i*width, +width) */
	int hi;              /* highest bucket touched + 1 */
	int nb;              /* buckets per track, at most TL_BUCKETS */
	struct tl_track *tracks, **tail;
	struct tl_track *hash[256];
	size_t ntracks;
};

void timeline_init(struct timeline *tl, uint64_t t0, int nb);
/* the host heap (malloc probes) is the track of this pseudo device */
#define TL_HOST_HEAP UINT64_MAX
/* delta bytes and buffers on (dev, type) at time ts (ns, same clock as t0) */
void timeline_add(struct timeline *tl, uint64_t dev, int type, uint64_t ts, int64_t delta, int64_t dcount);
/* the same, given the new values */
void timeline_set(struct timeline *tl, uint64_t dev, int type, uint64_t ts, int64_t bytes, int64_t count);
/* the first n buckets: value at each end and peak inside (carried from
 * the last touched bucket); count may be NULL */
void timeline_series(const struct tl_track *t, int n, int64_t *last, int64_t *peak, int64_t *count);
void timeline_free(struct timeline *tl);

#endif
