// libbtdtor.so: dlopen'ed and dlclose'd by tests/progs/reenter.cpp; its
// destructors call a hooked function while the library is being unloaded.
#include "btfake.h"

namespace {
struct Global {
    ~Global() { btfake_deallocate((void*)0xd1c2); }  // C++ static destructor (__cxa_finalize)
} global;
}  // namespace

__attribute__((destructor)) static void btdtor_fini() { btfake_deallocate((void*)0xd1c1); }

extern "C" int btdtor_ping() { return 1; }
