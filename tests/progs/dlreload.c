/* dlreload: a stack through a library that was dlclose'd and replaced by
 * another at (most likely) the same address (tests/t_unwind_walker.sh).
 * usage: dlreload DIR: loads DIR/libreload1.so, calls its pass() with a
 * callback that allocates a block kept forever (keep_block), unloads it,
 * loads DIR/libreload2.so and does the same.  Prints the two load
 * addresses of pass(). */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>

static void *volatile kept[2];
static int nkept;

__attribute__((noinline)) static int keep_block(int v)
{
	kept[nkept++] = malloc(64 + (size_t)(v & 1));
	return 1;
}

static void *round_of(const char *dir, const char *name)
{
	char path[4096];
	void *h, *fn;
	snprintf(path, sizeof path, "%s/%s", dir, name);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "dlreload: %s\n", dlerror());
		exit(1);
	}
	fn = dlsym(h, "pass");
	if (!fn || ((int (*)(int (*)(int), int))fn)(keep_block, 3) != 2)
		exit(1);
	if (dlclose(h))
		exit(1);
	return fn;
}

int main(int argc, char **argv)
{
	void *a, *b;
	if (argc < 2)
		return 2;
	a = round_of(argv[1], "libreload1.so");
	b = round_of(argv[1], "libreload2.so");
	printf("pass %p %p\n", a, b);
	return 0;
}
