// Test driver for tests/t_symbolize.sh: calls the marked sites of libsymlib.so and of this
// executable, then prints "SITE MODULE VADDR" per recorded return address, where VADDR is
// what the buftrace recorder would store: ip - load bias - 1 (dl_iterate_phdr).
#include <climits>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <link.h>
#include <unistd.h>

extern "C" {
struct symdata_site {
    const char *name;
    void *ip;
};
void symdata_record(const char *name);
const symdata_site *symdata_sites(int *n);
}
namespace buft {
void *alloc_site(std::size_t n);
int outer_caller(int x);
void *run_pool(std::size_t n);
extern volatile int g_sink;
}

__attribute__((noinline)) static int main_site(int x)
{
    symdata_record("main_site"); /* LINE:main_site */
    return x + buft::g_sink;
}

struct lookup {
    uintptr_t ip;
    const char *name;
    uintptr_t bias;
    int found;
};

static int find_module(struct dl_phdr_info *info, size_t, void *arg)
{
    lookup *l = static_cast<lookup *>(arg);
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) &ph = info->dlpi_phdr[i];
        uintptr_t lo = info->dlpi_addr + ph.p_vaddr;
        if (ph.p_type == PT_LOAD && l->ip >= lo && l->ip < lo + ph.p_memsz) {
            l->name = info->dlpi_name;
            l->bias = info->dlpi_addr;
            l->found = 1;
            return 1;
        }
    }
    return 0;
}

int main()
{
    operator delete(buft::alloc_site(16));
    int r = buft::outer_caller(5);
    operator delete(buft::run_pool(8));
    r += main_site(r);

    static char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    int ns;
    const symdata_site *s = symdata_sites(&ns);
    for (int i = 0; i < ns; i++) {
        lookup l = {reinterpret_cast<uintptr_t>(s[i].ip), nullptr, 0, 0};
        dl_iterate_phdr(find_module, &l);
        if (!l.found)
            return 1;
        const char *mod = l.name && l.name[0] ? l.name : exe;
        std::printf("%s %s 0x%lx\n", s[i].name, mod,
                    static_cast<unsigned long>(l.ip - l.bias - 1));
    }
    return r == INT_MIN; // keep r alive
}
