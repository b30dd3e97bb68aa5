/* xalloc.h - allocation for the analyzer: running out of memory is the one
 * error it does not recover from, so it says so and exits 1. */
#ifndef BT_XALLOC_H
#define BT_XALLOC_H
#include <stddef.h>
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t size);
char *xstrndup(const void *s, size_t n);
/* Grow *arr (of *n elements of `size` bytes, zero-filled when new) so that
 * index `need` exists; capacities double. */
void grow_zeroed(void **arr, size_t *n, size_t need, size_t size, size_t first);
#endif
