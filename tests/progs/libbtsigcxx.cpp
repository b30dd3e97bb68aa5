// libbtsigcxx.so: Buffer::create as a clang/libc++ build of tt-metal
// exports it (mangled with std::__1, ../shared/ttmetal-abi.md): the
// 2025-06 .. 2026 declaration, and the 2025-03-12 .. 03-28 one with
// TensorMemoryLayout.  Exact aliases, both overloads of each.
#include "btsigcxx.h"

namespace tt::tt_metal {
typedef unsigned long DeviceAddr;
enum class BufferType { DRAM = 0, L1 = 1, SYSTEM_MEMORY = 2, L1_SMALL = 3, TRACE = 4 };
enum class TensorMemoryLayout { INTERLEAVED = 0 };
struct SubDeviceIdTag {};
class BufferShardingArgs {};
class ShardSpecBuffer {};
class IDevice {};
class Buffer {
public:
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          const BufferShardingArgs& sharding, std::optional<bool> bottom_up,
                                          std::optional<ttsl::StrongType<unsigned char, SubDeviceIdTag>> sub);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                          BufferType type, const BufferShardingArgs& sharding,
                                          std::optional<bool> bottom_up,
                                          std::optional<ttsl::StrongType<unsigned char, SubDeviceIdTag>> sub);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                          TensorMemoryLayout layout, const std::optional<ShardSpecBuffer>& shard,
                                          std::optional<bool> bottom_up,
                                          std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>> sub);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                          BufferType type, TensorMemoryLayout layout,
                                          const std::optional<ShardSpecBuffer>& shard, std::optional<bool> bottom_up,
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
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, const BufferShardingArgs&,
                                       std::optional<bool>, std::optional<ttsl::StrongType<unsigned char, SubDeviceIdTag>>) {
    return made("Buffer::create", d, 0, s, p, t, 0);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       const BufferShardingArgs&, std::optional<bool>,
                                       std::optional<ttsl::StrongType<unsigned char, SubDeviceIdTag>>) {
    return made("Buffer::create@address", d, a, s, p, t, 1);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>>) {
    return made("Buffer::create", d, 0, s, p, t, 0);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       TensorMemoryLayout, const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>>) {
    return made("Buffer::create@address", d, a, s, p, t, 1);
}
}  // namespace tt::tt_metal

using namespace tt::tt_metal;

extern "C" void btsig_run(void) {
    IDevice* d = reinterpret_cast<IDevice*>(0xd0000);
    std::optional<bool> nb{false, false};
    std::optional<ttsl::StrongType<unsigned char, SubDeviceIdTag>> s1{{3}, true};
    std::optional<tt::stl::StrongType<unsigned char, SubDeviceIdTag>> s2{{4}, true};
    std::optional<ShardSpecBuffer> ns{{}, false};
    Buffer::create(d, 4096, 4096, BufferType::L1, BufferShardingArgs{}, nb, s1);
    Buffer::create(d + 1, 0x4000, 2048, 1024, BufferType::DRAM, BufferShardingArgs{}, nb, s1);
    Buffer::create(d + 2, 65536, 2048, BufferType::DRAM, TensorMemoryLayout::INTERLEAVED, ns, nb, s2);
    Buffer::create(d + 3, 0x8000, 96, 32, BufferType::L1_SMALL, TensorMemoryLayout::INTERLEAVED, ns, nb, s2);
}
