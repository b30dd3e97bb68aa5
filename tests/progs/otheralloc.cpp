// otheralloc: every allocation entry point the malloc probes interpose, each
// block then asked of malloc_usable_size (the allocator's own function, not
// interposed: it crashes on a block that is not its), and one block of 4242
// bytes leaked from leak_here().  Prints the usable sizes it saw, which
// tell one allocator from another (malloc(100): 104 with glibc, 112 with
// jemalloc and tcmalloc), so that a run under `record --probes malloc` can
// be compared with a plain one (t_probes_other_alloc).
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <new>

static size_t seen(void* p) { return p ? malloc_usable_size(p) : 0; }

__attribute__((noinline)) static void* leak_here() {
    void* p = malloc(4242);
    memset(p, 1, 4242);
    return p;
}

int main() {
    size_t s[12] = {0};
    void* a = malloc(100);
    s[0] = seen(a);
    void* b = calloc(10, 30);
    s[1] = seen(b);
    a = realloc(a, 5000);
    s[2] = seen(a);
    a = realloc(a, 70000);
    s[3] = seen(a);
    void* c = nullptr;
    if (posix_memalign(&c, 64, 200)) return 3;
    s[4] = seen(c);
    void* d = aligned_alloc(256, 512);
    s[5] = seen(d);
    void* e = memalign(128, 300);
    s[6] = seen(e);
    void* f = valloc(100);
    s[7] = seen(f);
    char* g = new char[333];
    s[8] = seen(g);
    int* h = new int(7);
    s[9] = seen(h);
    void* i = reallocarray(nullptr, 20, 20);
    s[10] = seen(i);
    volatile void* keep = leak_here();
    (void)keep;
    free(a); free(b); free(c); free(d); free(e); free(f); free(i);
    delete[] g;
    delete h;
    for (size_t k = 0; k < sizeof s / sizeof s[0] - 1; k++) printf("%zu ", s[k]);
    printf("\n");
    return 0;
}
