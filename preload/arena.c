/* arena.c - see arena.h. */
#include <stdint.h>
#include <sys/mman.h>
#include "arena.h"

#define CHUNK (1u << 20)

struct chunk_head {
	void *prev;
	size_t size;
};

void *bt_arena_alloc(struct bt_arena *a, size_t n)
{
	void *p;
	n = (n + 7) & ~(size_t)7;
	if (!a->chunk || a->cap - a->used < n) {
		size_t size = n + sizeof(struct chunk_head) > CHUNK ? n + sizeof(struct chunk_head) : CHUNK;
		struct chunk_head *h;
		if (size > a->limit || a->total > a->limit - size)
			return NULL;
		h = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (h == MAP_FAILED)
			return NULL;
		h->prev = a->chunk;
		h->size = size;
		a->chunk = h;
		a->used = sizeof *h;
		a->cap = size;
		a->total += size;
	}
	p = (char *)a->chunk + a->used;
	a->used += n;
	return p;
}

void bt_arena_reset(struct bt_arena *a)
{
	while (a->chunk) {
		struct chunk_head *h = a->chunk;
		a->chunk = h->prev;
		munmap(h, h->size);
	}
	a->used = a->cap = a->total = 0;
}
