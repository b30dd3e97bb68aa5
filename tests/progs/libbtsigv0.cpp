// libbtsigv0.so: Buffer::create of the clang/libc++ builds with the
// inline namespace v0 (../shared/ttmetal-abi.md): 2025-01-08 .. 02-27
// with the SubDeviceId struct (exact aliases), and 2025-02-27 .. 03-12
// with tt::stl::StrongType (no alias: matched by demangled name).
#include "btsigcxx.h"

namespace tt::tt_metal {
typedef unsigned long DeviceAddr;
enum class BufferType { DRAM = 0, L1 = 1, SYSTEM_MEMORY = 2, L1_SMALL = 3, TRACE = 4 };
enum class TensorMemoryLayout { INTERLEAVED = 0 };
struct SubDeviceId {
    unsigned char id;
};
struct SubDeviceIdTag {};
class ShardSpecBuffer {};
inline namespace v0 {
class IDevice {};
class Buffer {
public:
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          TensorMemoryLayout layout, const std::optional<ShardSpecBuffer>& shard,
                                          std::optional<bool> bottom_up, std::optional<SubDeviceId> sub);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                          BufferType type, TensorMemoryLayout layout,
                                          const std::optional<ShardSpecBuffer>& shard, std::optional<bool> bottom_up,
                                          std::optional<SubDeviceId> sub);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          TensorMemoryLayout layout, const std::optional<ShardSpecBuffer>& shard,
                                          std::optional<bool> bottom_up,
                                          std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>> sub);
};

static std::shared_ptr<Buffer> made(const char* hook, IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p,
                                    BufferType t, int at) {
    std::shared_ptr<Buffer> r{new Buffer, nullptr};
    if (at)
        BTSIG(hook, "buffer=%lu device=%lu address=%lu size=%lu page_size=%lu type=%d", (unsigned long)r.ptr,
              (unsigned long)d, a, s, p, (int)t);
    else
        BTSIG(hook, "buffer=%lu device=%lu size=%lu page_size=%lu type=%d", (unsigned long)r.ptr, (unsigned long)d,
              s, p, (int)t);
    return r;
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<SubDeviceId>) {
    return made("Buffer::create", d, 0, s, p, t, 0);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       TensorMemoryLayout, const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<SubDeviceId>) {
    return made("Buffer::create@address", d, a, s, p, t, 1);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>>) {
    return made("Buffer::create", d, 0, s, p, t, 0);
}
}  // namespace v0
}  // namespace tt::tt_metal

using namespace tt::tt_metal;

extern "C" void btsig_run(void) {
    IDevice* d = reinterpret_cast<IDevice*>(0xe0000);
    std::optional<bool> nb{false, false};
    std::optional<SubDeviceId> s1{{2}, true};
    std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>> s2{{6}, true};
    std::optional<ShardSpecBuffer> ns{{}, false};
    Buffer::create(d, 2048, 2048, BufferType::L1, TensorMemoryLayout::INTERLEAVED, ns, nb, s1);
    Buffer::create(d + 1, 0x9000, 4096, 512, BufferType::DRAM, TensorMemoryLayout::INTERLEAVED, ns, nb, s1);
    Buffer::create(d + 2, 6144, 1024, BufferType::TRACE, TensorMemoryLayout::INTERLEAVED, ns, nb, s2);
}
