// btfake.h - the names libbtfake.so exports, as tt-metal mangles them.
#pragma once
#include <atomic>
#include <cstdint>
#include <memory>
#include <stdexcept>

#define BTFAKE_THROW 0xbad0u
#define BTFAKE_THROW_INT 0xbad1u

struct btfake_error : std::runtime_error {
    int code;
    btfake_error(int c, const char* what) : std::runtime_error(what), code(c) {}
};

extern std::atomic<long> btfake_calls;

void btfake_deallocate(void* self) __asm__("_ZN2tt8tt_metal6Buffer10deallocateEv");
std::shared_ptr<int> btfake_create(void* device, uint64_t size, uint64_t page_size, int type, const void* shard,
                                   uint16_t opt_bool, uint16_t opt_subdev) __asm__(
    "_ZN2tt8tt_metal6Buffer6createEPNS0_7IDeviceEmmNS0_10BufferTypeERKNS0_18BufferShardingArgsESt8optionalIbES8_IN4ttsl10StrongTypeIhNS0_14SubDeviceIdTagEEEE");
bool btfake_mesh_close(void* self) __asm__("_ZN2tt8tt_metal11distributed10MeshDevice5closeEv");
int btfake_mesh_id(const void* self) __asm__("_ZNK2tt8tt_metal11distributed10MeshDevice2idEv");

// Called through a pointer read at run time, so that the call goes through
// the dynamic linker (and libbuftrace.so) even from inside libbtfake.so.
static inline void btfake_deallocate_fn(void* self) {
    void (*volatile f)(void*) = btfake_deallocate;
    f(self);
}
