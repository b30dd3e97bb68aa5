// libdlcount.so: counts the loader calls (dl_iterate_phdr, dladdr,
// dladdr1) made while a signal handler of the program says it is running
// (t_rel_sigloader.sh).  LD_PRELOADed before libbuftrace.so, so that the
// recorder's calls come here first.  The program finds dlcount_in_handler
// and dlcount_calls with dlsym before it installs its handler.
#include <dlfcn.h>
#include <link.h>
#include <atomic>

extern "C" {
__attribute__((visibility("default"))) volatile int dlcount_in_handler;
__attribute__((visibility("default"))) std::atomic<long> dlcount_calls{0};

typedef int (*iterate_fn)(int (*)(struct dl_phdr_info*, size_t, void*), void*);
typedef int (*dladdr_fn)(const void*, Dl_info*);
typedef int (*dladdr1_fn)(const void*, Dl_info*, void**, int);

static void counted() {
    if (dlcount_in_handler) dlcount_calls++;
}

int dl_iterate_phdr(int (*cb)(struct dl_phdr_info*, size_t, void*), void* arg) {
    static iterate_fn real = (iterate_fn)dlvsym(RTLD_NEXT, "dl_iterate_phdr", "GLIBC_2.2.5");
    counted();
    return real(cb, arg);
}

int dladdr(const void* a, Dl_info* i) {
    static dladdr_fn real = (dladdr_fn)dlvsym(RTLD_NEXT, "dladdr", "GLIBC_2.34");
    counted();
    return real(a, i);
}

int dladdr1(const void* a, Dl_info* i, void** x, int f) {
    static dladdr1_fn real = (dladdr1_fn)dlvsym(RTLD_NEXT, "dladdr1", "GLIBC_2.34");
    counted();
    return real(a, i, x, f);
}
}
