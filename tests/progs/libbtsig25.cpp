// libbtsig25.so: tt-metal's 2024-2025 declarations (libstdc++ builds),
// written from ../shared/ttmetal-abi.md ("Device ids", "older forms"):
// the Device(ChipId, ...) constructor (before 2026-03-17: chip id in
// esi), Buffer::create with TensorMemoryLayout (2025-03-28 .. 05-28,
// exact aliases), the forms with no alias (Device* instead of IDevice*,
// 2024-10-24 .. 2025-01-08; a trailing const
// std::optional<BufferDistributionSpec>&, 2025-05-13 .. 05-28;
// std::optional<std::variant<ShardSpecBuffer, BufferDistributionSpec>>,
// 2025-05-28 .. 06-23) and ttnn::device::close_device(IDevice&) (before
// 2025-11-25).  Each prints what it received (btsig.h).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <vector>
#include "btsig.h"

namespace tt::stl {
template <typename T>
class Span {  // not trivially copyable: the recorder cannot know its ABI class
public:
    Span() = default;
    Span(const Span& o) : data_(o.data_), size_(o.size_) {}
    const T* data_ = nullptr;
    size_t size_ = 0;
};
template <typename T, typename Tag>
class StrongType {
public:
    constexpr explicit StrongType(T v) : v_(v) {}
    constexpr T operator*() const { return v_; }

private:
    T v_;
};
}  // namespace tt::stl

namespace tt::tt_metal {
using DeviceAddr = uint64_t;
using ChipId = int;
enum class BufferType { DRAM = 0, L1 = 1, SYSTEM_MEMORY = 2, L1_SMALL = 3, TRACE = 4 };
enum class TensorMemoryLayout { INTERLEAVED = 0, HEIGHT_SHARDED = 2 };
struct SubDeviceIdTag {};
using SubDeviceId = tt::stl::StrongType<uint8_t, SubDeviceIdTag>;
// non-trivially-copyable, as the real ones (they hold vectors)
class ShardSpecBuffer {
public:
    std::vector<uint32_t> shape;
};
class BufferDistributionSpec {
public:
    std::vector<uint32_t> shape;
};

class IDevice {
public:
    virtual ~IDevice();
    virtual int arch() const = 0;
    virtual ChipId id() const = 0;  // vtable slot 3 (2025-01-08 on)
};
IDevice::~IDevice() = default;

class Device : public IDevice {
public:
    Device(ChipId device_id, uint8_t num_hw_cqs, size_t l1_small_size, size_t trace_region_size,
           std::span<const uint32_t> l1_bank_remap, bool minimal, uint32_t worker_core,
           uint32_t completion_queue_reader_core, size_t worker_l1_size);
    ~Device() override;
    int arch() const override;
    __attribute__((visibility("hidden"))) ChipId id() const override;
    // before 2025-07-28 with the tt::stl::Span class: no alias, by name
    bool initialize(uint8_t num_hw_cqs, size_t l1_small_size, size_t trace_region_size, size_t worker_l1_size,
                    tt::stl::Span<const uint32_t> l1_bank_remap, bool minimal);
    bool close();

private:
    ChipId id_;
};
Device::Device(ChipId device_id, uint8_t, size_t, size_t, std::span<const uint32_t>, bool, uint32_t, uint32_t,
               size_t)
    : id_(device_id) {
    BTSIG("Device::Device", "device=%lu chip_id=%d", (unsigned long)this, device_id);
}
Device::~Device() = default;
int Device::arch() const { return 1; }
ChipId Device::id() const { return id_; }
bool Device::initialize(uint8_t, size_t, size_t, size_t, tt::stl::Span<const uint32_t>, bool) {
    BTSIG("Device::initialize", "device=%lu chip_id=%d", (unsigned long)this, id_);
    return true;
}
bool Device::close() { return true; }

class Buffer {
public:
    // 2025-03-28 .. 05-28 (exact aliases)
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size,
                                          BufferType buffer_type, TensorMemoryLayout buffer_layout,
                                          const std::optional<ShardSpecBuffer>& shard_parameters,
                                          std::optional<bool> bottom_up, std::optional<SubDeviceId> sub_device_id);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size,
                                          DeviceAddr page_size, BufferType buffer_type,
                                          TensorMemoryLayout buffer_layout,
                                          const std::optional<ShardSpecBuffer>& shard_parameters,
                                          std::optional<bool> bottom_up, std::optional<SubDeviceId> sub_device_id);
    // 2024-10-24 .. 2025-01-08: Device* (no alias)
    static std::shared_ptr<Buffer> create(Device* device, DeviceAddr size, DeviceAddr page_size,
                                          BufferType buffer_type, TensorMemoryLayout buffer_layout,
                                          const std::optional<ShardSpecBuffer>& shard_parameters,
                                          std::optional<bool> bottom_up);
    static std::shared_ptr<Buffer> create(Device* device, DeviceAddr address, DeviceAddr size,
                                          DeviceAddr page_size, BufferType buffer_type,
                                          TensorMemoryLayout buffer_layout,
                                          const std::optional<ShardSpecBuffer>& shard_parameters,
                                          std::optional<bool> bottom_up);
    // 2025-05-13 .. 05-28: a trailing distribution spec (no alias)
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size,
                                          BufferType buffer_type, TensorMemoryLayout buffer_layout,
                                          const std::optional<ShardSpecBuffer>& shard_parameters,
                                          std::optional<bool> bottom_up, std::optional<SubDeviceId> sub_device_id,
                                          const std::optional<BufferDistributionSpec>& distribution_spec);
    // 2025-05-28 .. 06-23: shard spec or distribution spec (no alias)
    static std::shared_ptr<Buffer> create(
        IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size, BufferType buffer_type,
        std::optional<std::variant<ShardSpecBuffer, BufferDistributionSpec>> shard_parameters,
        std::optional<bool> bottom_up, std::optional<SubDeviceId> sub_device_id);
    ~Buffer();
    int tag = 0;
};

static std::shared_ptr<Buffer> made(const char* hook, void* device, DeviceAddr address, DeviceAddr size,
                                    DeviceAddr page_size, BufferType type) {
    auto b = std::make_shared<Buffer>();
    if (address == ~0ull)
        BTSIG(hook, "buffer=%lu device=%lu size=%lu page_size=%lu type=%d", (unsigned long)b.get(),
              (unsigned long)device, (unsigned long)size, (unsigned long)page_size, (int)type);
    else
        BTSIG(hook, "buffer=%lu device=%lu address=%lu size=%lu page_size=%lu type=%d", (unsigned long)b.get(),
              (unsigned long)device, (unsigned long)address, (unsigned long)size, (unsigned long)page_size,
              (int)type);
    return b;
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<SubDeviceId>) {
    return made("Buffer::create", d, ~0ull, s, p, t);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       TensorMemoryLayout, const std::optional<ShardSpecBuffer>&,
                                       std::optional<bool>, std::optional<SubDeviceId>) {
    return made("Buffer::create@address", d, a, s, p, t);
}
std::shared_ptr<Buffer> Buffer::create(Device* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>) {
    return made("Buffer::create", d, ~0ull, s, p, t);
}
std::shared_ptr<Buffer> Buffer::create(Device* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       TensorMemoryLayout, const std::optional<ShardSpecBuffer>&,
                                       std::optional<bool>) {
    return made("Buffer::create@address", d, a, s, p, t);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr s, DeviceAddr p, BufferType t, TensorMemoryLayout,
                                       const std::optional<ShardSpecBuffer>&, std::optional<bool>,
                                       std::optional<SubDeviceId>, const std::optional<BufferDistributionSpec>&) {
    return made("Buffer::create", d, ~0ull, s, p, t);
}
std::shared_ptr<Buffer> Buffer::create(IDevice* d, DeviceAddr a, DeviceAddr s, DeviceAddr p, BufferType t,
                                       std::optional<std::variant<ShardSpecBuffer, BufferDistributionSpec>> sp,
                                       std::optional<bool>, std::optional<SubDeviceId>) {
    if (!sp || sp->index() != 1) printf("BAD shard parameters\n");
    return made("Buffer::create@address", d, a, s, p, t);
}
Buffer::~Buffer() = default;

class DispatchCoreConfig {
public:
    int type = 0;
};
namespace distributed {
class MeshDeviceConfig {
public:
    int rows = 1, cols = 4;
};
// before 2025-07-28 the span was tt::stl::Span, a class of its own (boost
// based): MeshDevice::create has no alias then, matched by name
class MeshDevice {
public:
    static std::shared_ptr<MeshDevice> create(const MeshDeviceConfig& config, size_t l1_small_size,
                                              size_t trace_region_size, size_t num_command_queues,
                                              const DispatchCoreConfig& dispatch_core_config,
                                              tt::stl::Span<const uint32_t> l1_bank_remap, size_t worker_l1_size);
    static std::shared_ptr<MeshDevice> create_unit_mesh(int device_id, size_t l1_small_size,
                                                        size_t trace_region_size, size_t num_command_queues,
                                                        const DispatchCoreConfig& dispatch_core_config,
                                                        tt::stl::Span<const uint32_t> l1_bank_remap,
                                                        size_t worker_l1_size);
    int id_ = 0;
};
std::shared_ptr<MeshDevice> MeshDevice::create(const MeshDeviceConfig&, size_t, size_t, size_t,
                                               const DispatchCoreConfig&, tt::stl::Span<const uint32_t>, size_t) {
    auto m = std::make_shared<MeshDevice>();
    BTSIG("MeshDevice::create", "mesh=%lu mesh_id=%d", (unsigned long)m.get(), m->id_);
    return m;
}
std::shared_ptr<MeshDevice> MeshDevice::create_unit_mesh(int device_id, size_t, size_t, size_t,
                                                         const DispatchCoreConfig&, tt::stl::Span<const uint32_t>,
                                                         size_t) {
    auto m = std::make_shared<MeshDevice>();
    m->id_ = 1;
    BTSIG("MeshDevice::create_unit_mesh", "mesh=%lu mesh_id=%d device_id=%d", (unsigned long)m.get(), m->id_,
          device_id);
    return m;
}
}  // namespace distributed
}  // namespace tt::tt_metal

namespace ttnn::device {
void close_device(tt::tt_metal::IDevice& device) {
    BTSIG("ttnn::device::close_device", "mesh=%lu", (unsigned long)&device);
}
}  // namespace ttnn::device

using namespace tt::tt_metal;

extern "C" void btsig_run(void) {
    Device* devs[4];
    for (int chip = 0; chip < 4; chip++) {
        devs[chip] = new Device(chip, 1, 32768, 0, {}, false, 0, 0, 0);
        devs[chip]->initialize(1, 32768, 0, 0, {}, false);
    }
    IDevice* i1 = devs[1];
    {
        auto a = Buffer::create(i1, 4096, 1024, BufferType::L1, TensorMemoryLayout::INTERLEAVED, std::nullopt,
                                std::nullopt, SubDeviceId{0});
        auto b = Buffer::create(devs[2], 0x10000, 2048, 512, BufferType::DRAM, TensorMemoryLayout::INTERLEAVED,
                                std::nullopt, true, std::nullopt);
        auto c = Buffer::create(devs[3], 12288, 4096, BufferType::DRAM, TensorMemoryLayout::HEIGHT_SHARDED,
                                std::nullopt, false);
        auto d = Buffer::create(devs[0], 0x22000, 8192, 2048, BufferType::L1, TensorMemoryLayout::INTERLEAVED,
                                std::nullopt, std::nullopt);
        auto e = Buffer::create(i1, 1 << 20, 32, BufferType::SYSTEM_MEMORY, TensorMemoryLayout::INTERLEAVED,
                                std::nullopt, std::nullopt, std::nullopt, BufferDistributionSpec{});
        auto f = Buffer::create(devs[3], 0x30000, 640, 64, BufferType::L1_SMALL,
                                std::variant<ShardSpecBuffer, BufferDistributionSpec>(BufferDistributionSpec{}),
                                std::nullopt, SubDeviceId{1});
    }
    auto mesh = distributed::MeshDevice::create({}, 0, 0, 1, {}, {}, 0);
    auto unit = distributed::MeshDevice::create_unit_mesh(3, 0, 0, 1, {}, {}, 0);
    ttnn::device::close_device(*devs[2]);
    for (Device* d : devs) delete d;
}
