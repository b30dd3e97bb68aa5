/* xalloc.c - see xalloc.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "xalloc.h"

static void oom(void)
{
	fprintf(stderr, "buftrace: out of memory\n");
	exit(1);
}

void *xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		oom();
	return p;
}

char *xstrndup(const void *s, size_t n)
{
	char *r = xcalloc(1, n + 1);
	memcpy(r, s, n);
	return r;
}

void grow_zeroed(void **arr, size_t *n, size_t need, size_t size, size_t first)
{
	size_t nc = *n ? *n : first;
	if (need < *n)
		return;
	while (nc <= need)
		nc *= 2;
	*arr = xrealloc(*arr, nc * size);
	memset((char *)*arr + *n * size, 0, (nc - *n) * size);
	*n = nc;
}
