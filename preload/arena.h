/* arena.h - append-only memory for what an interning table keeps: each
 * distinct key stored once, never moved, all freed together.
 *
 * Contract: bt_arena_alloc(a, n) returns n bytes aligned to 8 that stay
 * put until bt_arena_reset(a), or NULL once the arena holds a->limit
 * bytes or mmap fails.  Not thread-safe: the caller serialises allocation
 * and reset (its insertion lock; a fork child is single-threaded).
 * Memory comes from mmap, never from malloc: the recorder may be the
 * malloc probe.  A zero-initialised struct with a limit set is ready. */
#ifndef BT_ARENA_H
#define BT_ARENA_H

#include <stddef.h>

struct bt_arena {
	size_t limit;       /* bytes at most, chunk headers included */
	void *chunk;        /* the newest chunk; each begins with a link to the one before */
	size_t used, cap;   /* in the newest chunk */
	size_t total;       /* bytes mapped */
};

void *bt_arena_alloc(struct bt_arena *a, size_t n);
void bt_arena_reset(struct bt_arena *a); /* unmaps every chunk */

#endif
