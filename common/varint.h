/* varint.h - LEB128 integers, the unit of every buftrace record.
 *
 * Contract: bt_put_uvar writes 1..10 bytes; bt_get_uvar never reads past
 * `end` and returns NULL on a truncated or over-long (> 10 byte) encoding,
 * so a reader can stop cleanly at the first damaged byte. */
#ifndef BT_VARINT_H
#define BT_VARINT_H

#include <stddef.h>
#include <stdint.h>

#define BT_UVAR_MAX 10

static inline uint8_t *bt_put_uvar(uint8_t *p, uint64_t v)
{
	while (v >= 0x80) {
		*p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*p++ = (uint8_t)v;
	return p;
}

/* Signed values (deltas) are zigzag-mapped so that small magnitudes stay short. */
static inline uint64_t bt_zigzag(int64_t v)
{
	return ((uint64_t)v << 1) ^ (uint64_t)(v >> 63);
}

static inline int64_t bt_unzigzag(uint64_t v)
{
	return (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
}

static inline const uint8_t *bt_get_uvar(const uint8_t *p, const uint8_t *end, uint64_t *out)
{
	uint64_t v = 0;
	for (unsigned shift = 0; shift < 70 && p < end; shift += 7) {
		uint8_t b = *p++;
		if (shift == 63 && b > 1)
			return NULL;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			*out = v;
			return p;
		}
	}
	return NULL;
}

#endif
