// probes_exact: edge cases of every allocation function the malloc probes
// wrap (t_probes_exact.sh).  One line a call: whether it returned memory,
// its return code, errno after it (set to 1234 before), and whether the
// memory is aligned as asked.  The output must not change under the probes.
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <new>

static void show(const char* what, void* p, size_t align = 0) {
    printf("%-34s %s errno=%d", what, p ? "memory" : "NULL", errno);
    if (p && align && (align & (align - 1)) == 0) printf(" aligned=%d", (uintptr_t)p % align == 0);
    printf("\n");
}

#define CALL(expr, align)          \
    do {                           \
        errno = 1234;              \
        void* p_ = (expr);         \
        show(#expr, p_, (align));  \
        free(p_);                  \
    } while (0)

// out of the compiler's sight: it warns about sizes it can see are too big
static volatile size_t huge_v = SIZE_MAX, half_v = SIZE_MAX / 2 + 1;
#define HUGE_ ((size_t)huge_v)
#define HALF ((size_t)half_v)
// the compiler may not know that a failed realloc leaves the block alone
static char* volatile held;

int main() {
    // the first call starts the recorder: errno must not show it
    CALL(malloc(10), 0);
    CALL(malloc(0), 0);
    CALL(malloc(HUGE_), 0);
    CALL(malloc(HALF), 0);
    CALL(calloc(0, 0), 0);
    CALL(calloc(HUGE_, 2), 0);
    CALL(calloc(HALF >> 31, HALF >> 31), 0);
    CALL(calloc(HALF / 2, 2), 0);
    CALL(aligned_alloc(24, 48), 24);
    CALL(aligned_alloc(0, 64), 0);
    CALL(aligned_alloc(3, 10), 3);
    CALL(aligned_alloc(64, 100), 64);
    CALL(aligned_alloc(64, 10), 64);
    CALL(aligned_alloc(1, 1), 1);
    CALL(aligned_alloc(128, 0), 128);
    CALL(aligned_alloc((size_t)1 << 20, 10), (size_t)1 << 20);
    CALL(aligned_alloc(64, HUGE_), 64);
    CALL(aligned_alloc(HALF + 1, 10), 0);
    CALL(aligned_alloc(HALF, 10), 0);
    CALL(memalign(24, 48), 0);
    CALL(memalign(0, 10), 0);
    CALL(memalign(3, 5), 0);
    CALL(memalign(64, HUGE_), 64);
    CALL(memalign(HUGE_, 10), 0);
    CALL(memalign(HALF + 1, 10), 0);
    CALL(valloc(0), 4096);
    CALL(valloc(HUGE_), 0);
    CALL(pvalloc(0), 4096);
    CALL(pvalloc(1), 4096);
    CALL(pvalloc(HUGE_), 0);
    size_t aligns[] = {0, 4, 8, 16, 24, 48, 64, 4096, HALF, HALF + 8};
    size_t sizes[] = {8, 0, HUGE_};
    for (size_t a : aligns)
        for (size_t n : sizes) {
            void* p = (void*)0x5eed;
            char what[64];
            errno = 1234;
            int rc = posix_memalign(&p, a, n);
            snprintf(what, sizeof what, "posix_memalign(%zu, %zu)", a, n);
            printf("%-34s rc=%d errno=%d out=%s\n", what, rc, errno,
                   p == (void*)0x5eed ? "untouched" : p ? "memory" : "NULL");
            if (p != (void*)0x5eed) free(p);
        }
    // realloc and reallocarray
    errno = 1234;
    char* r = (char*)realloc(nullptr, 10);
    show("realloc(NULL, 10)", r);
    strcpy(r, "keep me");
    errno = 1234;
    held = r;
    void* q = realloc(held, HUGE_);
    printf("%-34s %s errno=%d old=%s\n", "realloc(p, SIZE_MAX)", q ? "memory" : "NULL", errno, held);
    errno = 1234;
    q = realloc(held, 0);
    show("realloc(p, 0)", q);
    free(q);
    errno = 1234;
    r = (char*)reallocarray(nullptr, 3, 4);
    show("reallocarray(NULL, 3, 4)", r);
    errno = 1234;
    held = r;
    q = reallocarray(held, HUGE_, 2);
    show("reallocarray(p, SIZE_MAX, 2)", q);
    errno = 1234;
    q = reallocarray(held, 0, 5);
    show("reallocarray(p, 0, 5)", q);
    free(q);
    errno = 1234;
    free(nullptr);
    printf("%-34s errno=%d\n", "free(NULL)", errno);
    r = (char*)malloc(100);
    errno = 1234;
    free(r);
    printf("%-34s errno=%d\n", "free(p)", errno);
    // C++: what libstdc++'s operators do
    struct { size_t n, al; } news[] = {{48, 24}, {64, 0}, {0, 64}, {100, 64}, {10, 3}, {HUGE_ - 100, 64}};
    for (auto& c : news) {
        char what[64];
        snprintf(what, sizeof what, "new(%zu, align %zu)", c.n, c.al);
        errno = 1234;
        try {
            void* p = ::operator new(c.n, std::align_val_t(c.al));
            show(what, p, c.al);
            ::operator delete(p, std::align_val_t(c.al));
        } catch (const std::bad_alloc&) {
            printf("%-34s bad_alloc\n", what);
        }
        snprintf(what, sizeof what, "new(%zu, align %zu, nothrow)", c.n, c.al);
        errno = 1234;
        void* p = ::operator new(c.n, std::align_val_t(c.al), std::nothrow);
        show(what, p, c.al);
        if (p) ::operator delete(p, std::align_val_t(c.al));
    }
    try {
        void* p = ::operator new(HUGE_);
        show("new(SIZE_MAX)", p);
    } catch (const std::bad_alloc&) {
        printf("%-34s bad_alloc\n", "new(SIZE_MAX)");
    }
    errno = 1234;
    show("new(SIZE_MAX, nothrow)", ::operator new(HUGE_, std::nothrow));
    errno = 1234;
    void* z = ::operator new(0);
    show("new(0)", z);
    ::operator delete(z);
    return 0;
}
