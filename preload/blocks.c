/* blocks.c - address -> block number, for the malloc probes.
 *
 * Every allocation the probes record gets a block number; a free is
 * recorded as the number of the block it releases.  The trace then holds
 * no addresses (what made heaptrack's files smaller than ours: it maps
 * addresses out of process), and matching a free to its allocation needs
 * no order across threads.
 *
 * The map is shared by all threads: a block is often freed by another
 * thread than the one that allocated it.  It is split into stripes, each
 * a linear-probing table under its own spinlock, so two threads meet on a
 * lock only when their addresses hash to the same stripe.  The allocator
 * already guarantees that an address is live in one block at a time, so
 * a lookup never races with the insertion of the same key.
 *
 * Memory comes from mmap: this code runs inside malloc. */
#include <string.h>
#include <sys/mman.h>
#include "recorder.h"

#define STRIPES 64
#define FIRST_CAP 1024 /* slots per stripe at first */

struct slot {
	uint64_t addr; /* 0 = empty */
	uint64_t block;
};

struct stripe {
	atomic_int lock;
	uint32_t used;
	uint32_t mask; /* capacity - 1, 0 before the first insertion */
	struct slot *slots;
} __attribute__((aligned(64)));

static struct stripe stripes[STRIPES];
static int broken; /* out of memory once: the map stays off */

static inline uint64_t mix(uint64_t a)
{
	a >>= 4; /* malloc's blocks are 16-byte aligned */
	a ^= a >> 31;
	a *= 0x7fb5d329728ea185ull;
	a ^= a >> 27;
	return a;
}

static void take(struct stripe *s)
{
	while (atomic_exchange_explicit(&s->lock, 1, memory_order_acquire))
		while (atomic_load_explicit(&s->lock, memory_order_relaxed))
			__builtin_ia32_pause();
}

static void drop(struct stripe *s)
{
	atomic_store_explicit(&s->lock, 0, memory_order_release);
}

static struct slot *map_slots(size_t n)
{
	void *m = mmap(NULL, n * sizeof(struct slot), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

/* The hash's upper bits pick the stripe, the lower ones the slot. */
static void place(struct stripe *s, uint64_t h, uint64_t addr, uint64_t block)
{
	uint32_t i = (uint32_t)h & s->mask;
	while (s->slots[i].addr && s->slots[i].addr != addr)
		i = (i + 1) & s->mask;
	if (!s->slots[i].addr)
		s->used++;
	s->slots[i].addr = addr;
	s->slots[i].block = block;
}

static int grow(struct stripe *s)
{
	uint32_t ocap = s->mask ? s->mask + 1 : 0, ncap = ocap ? ocap * 2 : FIRST_CAP;
	struct slot *old = s->slots, *n = map_slots(ncap);
	if (!n)
		return -1;
	s->slots = n;
	s->mask = ncap - 1;
	s->used = 0;
	for (uint32_t i = 0; i < ocap; i++)
		if (old[i].addr)
			place(s, mix(old[i].addr), old[i].addr, old[i].block);
	if (old)
		munmap(old, ocap * sizeof(struct slot));
	return 0;
}

int bt_blocks_put(uint64_t addr, uint64_t block)
{
	uint64_t h = mix(addr);
	struct stripe *s = &stripes[h >> 58 & (STRIPES - 1)];
	int rc = 0;
	if (broken)
		return -1;
	take(s);
	/* at most half full: short probe runs, and a miss ends soon */
	if ((s->used + 1) * 2 > s->mask + 1 && grow(s)) {
		broken = 1;
		rc = -1;
	} else {
		/* an address still mapped is one whose free we did not see (a
		 * free while the recorder was busy): the new block replaces it */
		place(s, h, addr, block);
	}
	drop(s);
	return rc;
}

int bt_blocks_take(uint64_t addr, uint64_t *block)
{
	uint64_t h = mix(addr);
	struct stripe *s = &stripes[h >> 58 & (STRIPES - 1)];
	uint32_t i, j;
	take(s);
	if (!s->mask) {
		drop(s);
		return 0;
	}
	for (i = (uint32_t)h & s->mask; s->slots[i].addr != addr; i = (i + 1) & s->mask)
		if (!s->slots[i].addr) {
			drop(s);
			return 0;
		}
	*block = s->slots[i].block;
	s->used--;
	/* backward-shift deletion: no tombstones, so churn never fills it */
	for (j = i;;) {
		uint32_t k;
		s->slots[i].addr = 0;
		do {
			j = (j + 1) & s->mask;
			if (!s->slots[j].addr) {
				drop(s);
				return 1;
			}
			k = (uint32_t)mix(s->slots[j].addr) & s->mask;
		} while (i <= j ? (i < k && k <= j) : (i < k || k <= j));
		s->slots[i] = s->slots[j];
		i = j;
	}
}

/* After fork, in the child: another thread may have held a stripe, and
 * the parent's blocks are not in the child's trace.  Start empty. */
void bt_blocks_reset(void)
{
	for (int i = 0; i < STRIPES; i++) {
		struct stripe *s = &stripes[i];
		if (s->slots)
			munmap(s->slots, (size_t)(s->mask + 1) * sizeof(struct slot));
		memset(s, 0, sizeof *s);
	}
	broken = 0;
}
