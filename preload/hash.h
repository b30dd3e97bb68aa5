/* hash.h - where to look for a sequence of words, not what it is.
 *
 * Contract: bt_hash_term(v, i) is word v's share at position i, and the
 * sequence's hash is bt_hash_final(n, sum of its terms).  Used by the stack
 * table (stacks.c) and the walk index (unwind.c), which both compare the
 * words themselves after the hash found them: equal hashes never stand for
 * equal sequences.  Each term depends only on its word and position, so
 * the multiplies of a sequence run in parallel instead of as one
 * dependency chain (this is on every event's path).  The terms are summed,
 * so none may be linear in the word: sequences that differ by a few bytes
 * at several positions (the call sites of a recursion) would cancel out to
 * one hash.  One multiply and an xor of its high bits into the low ones is
 * enough (1024 such paths: 1024 hashes, ~1010 slots); three rounds of it
 * cost 12% more per event on all-new stacks. */
#ifndef BT_HASH_H
#define BT_HASH_H
#include <stdint.h>

static inline uint64_t bt_hash_term(uint64_t v, int i)
{
	v = (v + (uint64_t)i * 0x632be59bd9b4e019ull) * 0xd6e8feb86659fd93ull;
	return v ^ (v >> 29);
}

static inline uint64_t bt_hash_final(int n, uint64_t sum)
{
	uint64_t h = sum + (uint64_t)n * 0x9e3779b97f4a7c15ull;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

#endif
