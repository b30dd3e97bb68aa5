/* blocks.c - address -> block number, for the malloc probes.
 *
 * Every allocation the probes record gets a block number; a free is
 * recorded as the number of the block it releases.  The trace then holds
 * no addresses (what made heaptrack's files smaller than ours: it maps
 * addresses out of process), and matching a free to its allocation needs
 * no order across threads.
 *
 * Each thread keeps the blocks it allocated, in a front array and a
 * linear-probing table behind it, of its own under its own spinlock: that lock and that table stay in the
 * owner's cache, where a map shared by all threads had every allocation
 * pull cache lines from the other cores (on two cores with four threads
 * that doubled the recorder's cost).  A free looks in its own thread's
 * table first, then in the table where its last foreign block was found,
 * then in the others.  The allocator guarantees that an address belongs
 * to one live block at a time, so it is in at most one table.
 *
 * Memory comes from mmap: this code runs inside malloc. */
#include <string.h>
#include <sys/mman.h>
#include "recorder.h"

#define FIRST_CAP 1024 /* slots of the table at first */
#define FRONT 4096     /* slots of the front, direct-mapped */

struct bt_block_slot {
	uint64_t addr; /* 0 = empty */
	uint64_t block;
};

static inline uint64_t mix(uint64_t a)
{
	a >>= 4; /* malloc's blocks are 16-byte aligned */
	a ^= a >> 31;
	a *= 0x7fb5d329728ea185ull;
	a ^= a >> 27;
	return a;
}

static void take(struct bt_blockmap *s)
{
	while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&s->lock, memory_order_relaxed))
			__builtin_ia32_pause();
}

static void drop(struct bt_blockmap *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static struct bt_block_slot *map_slots(size_t n)
{
	void *m = mmap(NULL, n * sizeof(struct bt_block_slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static void place(struct bt_blockmap *s, uint64_t addr, uint64_t block)
{
	struct bt_block_slot *sl = s->slots;
	uint32_t i = (uint32_t)mix(addr) & s->mask;
	while (sl[i].addr && sl[i].addr != addr)
		i = (i + 1) & s->mask;
	if (!sl[i].addr)
		s->used++;
	sl[i].addr = addr;
	sl[i].block = block;
}

static int grow(struct bt_blockmap *s)
{
	uint32_t ocap = s->mask ? s->mask + 1 : 0, ncap = ocap ? ocap * 2 : FIRST_CAP;
	struct bt_block_slot *old = s->slots, *n;
	if (ncap < ocap)
		return -1;
	n = map_slots(ncap);
	if (!n)
		return -1;
	s->slots = n;
	s->mask = ncap - 1;
	s->used = 0;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].addr)
			place(s, old[i].addr, old[i].block);
	if (old)
		munmap(old, ocap * sizeof(struct bt_block_slot));
	return 0;
}

/* A block goes to the front slot of its address; the block there before
 * it, still live, moves to the table.  Most blocks die young, in the
 * front: a churn of allocations touches a small, cached array instead of
 * a table the size of every live block (on workload A of `make bench`
 * that was 45 ns an allocation, in cache misses). */
int bt_blocks_put(struct bt_blockmap *s, uint64_t addr, uint64_t block)
{
	struct bt_block_slot *f;
	int rc = 0;
	take(s);
	if (!s->front) {
		s->front = map_slots(FRONT);
		if (!s->front) {
			drop(s);
			return -1;
		}
	}
	f = &s->front[mix(addr) & (FRONT - 1)];
	if (f->addr) {
		/* at most half full: short probe runs, and a miss ends soon */
		if ((s->used + 1) * 2 > s->mask + 1 && grow(s))
			rc = -1;
		else
			place(s, f->addr, f->block);
	}
	/* an address mapped already is one whose free was not seen (a free
	 * while the recorder was busy): the new block is the one found */
	f->addr = addr;
	f->block = block;
	drop(s);
	return rc;
}

/* 1 and the entry removed if addr is in s */
static int take_from(struct bt_blockmap *s, uint64_t addr, uint64_t *block)
{
	struct bt_block_slot *sl, *f;
	uint32_t i, j;
	take(s);
	if (!s->front) {
		drop(s);
		return 0;
	}
	f = &s->front[mix(addr) & (FRONT - 1)];
	if (f->addr == addr) {
		*block = f->block;
		f->addr = 0;
		drop(s);
		return 1;
	}
	sl = s->slots;
	if (!s->mask) {
		drop(s);
		return 0;
	}
	for (i = (uint32_t)mix(addr) & s->mask; sl[i].addr != addr; i = (i + 1) & s->mask)
		if (!sl[i].addr) {
			drop(s);
			return 0;
		}
	*block = sl[i].block;
	s->used--;
	/* backward-shift deletion: no tombstones, so churn never fills it */
	for (j = i;;) {
		uint32_t k;
		sl[i].addr = 0;
		do {
			j = (j + 1) & s->mask;
			if (!sl[j].addr) {
				drop(s);
				return 1;
			}
			k = (uint32_t)mix(sl[j].addr) & s->mask;
		} while (i <= j ? (i < k && k <= j) : (i < k || k <= j));
		sl[i] = sl[j];
		i = j;
	}
}

int bt_blocks_take(struct bt_thread *self, uint64_t addr, uint64_t *block)
{
	struct bt_thread *hint = self->free_hint;
	if (take_from(&self->blocks, addr, block))
		return 1;
	if (hint && hint != self && take_from(&hint->blocks, addr, block))
		return 1;
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next)
		if (t != self && t != hint && take_from(&t->blocks, addr, block)) {
			self->free_hint = t;
			return 1;
		}
	return 0;
}

/* After fork, in the child: another thread may have held a table, and
 * the parent's blocks are not in the child's trace.  Start empty. */
void bt_blocks_reset(void)
{
	for (struct bt_thread *t = atomic_load(&bt_all_threads); t; t = t->next) {
		struct bt_blockmap *s = &t->blocks;
		if (s->slots)
			munmap(s->slots, (size_t)(s->mask + 1) * sizeof(struct bt_block_slot));
		if (s->front)
			munmap(s->front, FRONT * sizeof(struct bt_block_slot));
		memset(s, 0, sizeof *s);
		t->free_hint = NULL;
	}
}
