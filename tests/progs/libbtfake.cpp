// libbtfake.so: a stand-in runtime for the reliability tests.  It exports a
// few of the exact mangled names of common/hooks.def (so libbuftrace.so
// interposes them) with trivial bodies that are safe anywhere (signal
// handlers, static constructors, library destructors), and that throw
// when asked to: `this`/device == BTFAKE_THROW.
#include "btfake.h"
#include <dlfcn.h>
#include <cstdio>
#include <cstdlib>

std::atomic<long> btfake_calls{0};

// tt::tt_metal::Buffer::deallocate()
void btfake_deallocate(void* self) {
    btfake_calls++;
    if ((uintptr_t)self == BTFAKE_THROW) throw btfake_error(1001, "deallocate failed");
}

// tt::tt_metal::Buffer::create(IDevice*, size, page_size, BufferType, ...) -> shared_ptr<Buffer>
std::shared_ptr<int> btfake_create(void* device, uint64_t size, uint64_t page_size, int type, const void*, uint16_t,
                                   uint16_t) {
    btfake_calls++;
    if ((uintptr_t)device == BTFAKE_THROW) throw btfake_error(2002, "create failed");
    if ((uintptr_t)device == BTFAKE_THROW_INT) throw 77;
    return std::make_shared<int>((int)(size + page_size + (uint64_t)type));
}

// tt::tt_metal::distributed::MeshDevice::close()
bool btfake_mesh_close(void* self) {
    btfake_calls++;
    if ((uintptr_t)self == BTFAKE_THROW) throw btfake_error(3003, "close failed");
    return true;
}

// A hooked call from this library's own constructor: it may run before
// libbuftrace.so's constructor has read the environment.
__attribute__((constructor)) static void btfake_init() {
    if (getenv("BTFAKE_CTOR_CALL")) {
        // the loader's own calls, before libbuftrace.so's constructor ran
        if (!dlsym(RTLD_NEXT, "malloc") || !dlsym(RTLD_DEFAULT, "free")) abort();
        btfake_deallocate_fn((void*)0xc7001);
    }
}

// tt::tt_metal::distributed::MeshDevice::id() const: the recorder asks it
// for the mesh id of MeshDevice events.
int btfake_mesh_id(const void* self) { return (int)((uintptr_t)self & 0xff); }
