// Test input for tests/t_symbolize.sh (built into libsymlib.so by tests/tools/tools.mk).
// Every call the test symbolizes records its own return address; the line it must map to
// carries a LINE:<name> marker that the test greps, so no line number is hard-coded.
#include <cstddef>
#include <new>

extern "C" {
struct symdata_site {
    const char *name;
    void *ip;
};
static symdata_site g_sites[16];
static int g_nsites;

// Not inlined and followed by more work in every caller, so the return address it records
// lies inside the caller, right after the call on the marked line.
__attribute__((noinline)) void symdata_record(const char *name)
{
    if (g_nsites < 16) {
        g_sites[g_nsites].name = name;
        g_sites[g_nsites].ip = __builtin_return_address(0);
        g_nsites++;
    }
    __asm__ volatile("" ::: "memory");
}

const symdata_site *symdata_sites(int *n)
{
    *n = g_nsites;
    return g_sites;
}
}

namespace buft {

volatile int g_sink;

__attribute__((noinline)) void *alloc_site(std::size_t n)
{
    void *p = ::operator new(n);
    symdata_record("alloc_site"); /* LINE:alloc_site */
    g_sink = g_sink + 1;
    return p;
}

// Two levels of forced inlining: leaf inside mid inside outer_caller.
static inline __attribute__((always_inline)) int inline_leaf(int x)
{
    symdata_record("inline_leaf"); /* LINE:leaf_call */
    return x * 3 + g_sink;
}

static inline __attribute__((always_inline)) int inline_mid(int x)
{
    int r = inline_leaf(x + 1); /* LINE:mid_call */
    return r + g_sink;
}

__attribute__((noinline)) int outer_caller(int x)
{
    int r = inline_mid(x * 2); /* LINE:outer_call */
    g_sink = g_sink + r;
    return r;
}

struct Pool {
    int grabs = 0;
    void *grab(std::size_t n);
};

__attribute__((noinline)) void *Pool::grab(std::size_t n)
{
    symdata_record("member"); /* LINE:member */
    grabs = grabs + 1 + g_sink;
    return alloc_site(n);
}

void *run_pool(std::size_t n)
{
    Pool pool;
    return pool.grab(n);
}

} // namespace buft
