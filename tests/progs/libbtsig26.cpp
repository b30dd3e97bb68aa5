// libbtsig26.so: tt-metal's 2026 declarations (upstream a8c5af0f,
// libstdc++), written from ../shared/ttmetal-abi.md and the real headers
// (tt_metal/api/tt-metalium/buffer.hpp, mesh_buffer.hpp, mesh_device.hpp,
// tt_metal/impl/device/device_impl.hpp, ttnn device.hpp / distributed
// api.hpp), so that the compiler produces the real mangled names.  Each
// form prints the values it received (btsig.h); the recorder must decode
// the same from the symbol's own parameter list.  Plus two "next release"
// forms whose layout cannot be known (a by-value class of unknown ABI
// before the fields): those must be recorded as unknown.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include "btsig.h"

namespace ttsl {
template <typename T, typename Tag>
class StrongType {
public:
    constexpr explicit StrongType(T v) : v_(v) {}
    constexpr T operator*() const { return v_; }

private:
    T v_;
};
}  // namespace ttsl

namespace tt::tt_metal {
using DeviceAddr = uint64_t;
using ChipId = int;
enum class BufferType { DRAM = 0, L1 = 1, SYSTEM_MEMORY = 2, L1_SMALL = 3, TRACE = 4 };
struct SubDeviceIdTag {};
using SubDeviceId = ttsl::StrongType<uint8_t, SubDeviceIdTag>;
class BufferShardingArgs {
public:
    int layout = 0;
};
class DispatchCoreConfig {
public:
    int type = 0;
};
class MetalEnv;
class MetalContext;
// a future by-value argument of a size and class the recorder cannot know
class DeviceSpec {
public:
    uint64_t a, b, c;
};

class IDevice {
public:
    virtual ~IDevice();
    virtual int arch() const = 0;
    virtual ChipId id() const = 0;  // vtable slot 3
};
IDevice::~IDevice() = default;

class Device : public IDevice {
public:
    Device(MetalEnv* env, MetalContext* ctx, ChipId device_id, uint8_t num_hw_cqs, size_t l1_small_size,
           size_t trace_region_size, std::span<const uint32_t> l1_bank_remap, bool minimal,
           uint32_t worker_thread_core, uint32_t completion_queue_reader_core, size_t worker_l1_size);
    Device(MetalEnv* env, DeviceSpec spec, ChipId device_id);  // "next": layout unknown
    ~Device() override;
    int arch() const override;
    // inline and hidden in tt-metal: not in the dynamic symbol table
    __attribute__((visibility("hidden"))) ChipId id() const override;
    bool initialize(uint8_t num_hw_cqs, size_t l1_small_size, size_t trace_region_size, size_t worker_l1_size,
                    std::span<const uint32_t> l1_bank_remap, bool minimal);
    bool close();

private:
    ChipId id_;
};

Device::Device(MetalEnv* env, MetalContext*, ChipId device_id, uint8_t, size_t, size_t,
               std::span<const uint32_t> remap, bool, uint32_t, uint32_t, size_t worker_l1_size)
    : id_(device_id) {
    BTSIG("Device::Device", "device=%lu chip_id=%d", (unsigned long)this, device_id);
    // the stack arguments arrived intact through the recorder
    if (remap.size() != 3 || remap[2] != 7 || worker_l1_size != 1499136 || !env) printf("BAD stack arguments\n");
}
Device::Device(MetalEnv*, DeviceSpec spec, ChipId device_id) : id_(device_id) {
    BTSIG_UNKNOWN("Device::Device");
    if (spec.c != 3) printf("BAD DeviceSpec\n");
}
Device::~Device() = default;
int Device::arch() const { return 2; }
ChipId Device::id() const { return id_; }
bool Device::initialize(uint8_t, size_t, size_t, size_t, std::span<const uint32_t>, bool) {
    BTSIG("Device::initialize", "device=%lu chip_id=%d", (unsigned long)this, id_);
    return true;
}
bool Device::close() {
    BTSIG("Device::close", "device=%lu chip_id=%d", (unsigned long)this, id_);
    return true;
}

class Buffer {
public:
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr size, DeviceAddr page_size,
                                          BufferType buffer_type, const BufferShardingArgs& sharding_args = {},
                                          std::optional<bool> bottom_up = std::nullopt,
                                          std::optional<SubDeviceId> sub_device_id = std::nullopt);
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceAddr address, DeviceAddr size,
                                          DeviceAddr page_size, BufferType buffer_type,
                                          const BufferShardingArgs& sharding_args = {},
                                          std::optional<bool> bottom_up = std::nullopt,
                                          std::optional<SubDeviceId> sub_device_id = std::nullopt);
    // "next": a by-value spec of unknown class before the sizes
    static std::shared_ptr<Buffer> create(IDevice* device, DeviceSpec spec, DeviceAddr size, DeviceAddr page_size,
                                          BufferType buffer_type);
    ~Buffer();
    int tag = 0;
};

std::shared_ptr<Buffer> Buffer::create(IDevice* device, DeviceAddr size, DeviceAddr page_size, BufferType type,
                                       const BufferShardingArgs&, std::optional<bool>,
                                       std::optional<SubDeviceId> sub) {
    auto b = std::make_shared<Buffer>();
    BTSIG("Buffer::create", "buffer=%lu device=%lu size=%lu page_size=%lu type=%d", (unsigned long)b.get(),
          (unsigned long)device, (unsigned long)size, (unsigned long)page_size, (int)type);
    if (!sub || **sub != 5) printf("BAD sub_device_id\n");
    return b;
}
std::shared_ptr<Buffer> Buffer::create(IDevice* device, DeviceAddr address, DeviceAddr size, DeviceAddr page_size,
                                       BufferType type, const BufferShardingArgs&, std::optional<bool>,
                                       std::optional<SubDeviceId>) {
    auto b = std::make_shared<Buffer>();
    BTSIG("Buffer::create@address", "buffer=%lu device=%lu address=%lu size=%lu page_size=%lu type=%d",
          (unsigned long)b.get(), (unsigned long)device, (unsigned long)address, (unsigned long)size,
          (unsigned long)page_size, (int)type);
    return b;
}
std::shared_ptr<Buffer> Buffer::create(IDevice*, DeviceSpec, DeviceAddr, DeviceAddr, BufferType) {
    BTSIG_UNKNOWN("Buffer::create");
    return std::make_shared<Buffer>();
}
Buffer::~Buffer() = default;

namespace distributed {
class MeshDeviceConfig {
public:
    int rows = 1, cols = 8;
};
class MeshDevice : public IDevice {
public:
    static std::shared_ptr<MeshDevice> create(const MeshDeviceConfig& config, size_t l1_small_size,
                                              size_t trace_region_size, size_t num_command_queues,
                                              const DispatchCoreConfig& dispatch_core_config,
                                              std::span<const uint32_t> l1_bank_remap = {},
                                              size_t worker_l1_size = 0);
    static std::shared_ptr<MeshDevice> create_unit_mesh(int device_id, size_t l1_small_size,
                                                        size_t trace_region_size, size_t num_command_queues,
                                                        const DispatchCoreConfig& dispatch_core_config,
                                                        std::span<const uint32_t> l1_bank_remap = {},
                                                        size_t worker_l1_size = 0);
    explicit MeshDevice(int id) : id_(id) {}
    ~MeshDevice() override;
    int arch() const override;
    int id() const override;  // out of line, exported (the recorder calls it)
    bool close();

private:
    int id_;
};
std::shared_ptr<MeshDevice> MeshDevice::create(const MeshDeviceConfig&, size_t, size_t, size_t,
                                               const DispatchCoreConfig&, std::span<const uint32_t>, size_t) {
    auto m = std::make_shared<MeshDevice>(0);
    BTSIG("MeshDevice::create", "mesh=%lu mesh_id=%d", (unsigned long)m.get(), m->id());
    return m;
}
std::shared_ptr<MeshDevice> MeshDevice::create_unit_mesh(int device_id, size_t, size_t, size_t,
                                                         const DispatchCoreConfig&, std::span<const uint32_t>,
                                                         size_t) {
    auto m = std::make_shared<MeshDevice>(3);
    BTSIG("MeshDevice::create_unit_mesh", "mesh=%lu mesh_id=%d device_id=%d", (unsigned long)m.get(), m->id(),
          device_id);
    return m;
}
MeshDevice::~MeshDevice() = default;
int MeshDevice::arch() const { return 2; }
int MeshDevice::id() const { return id_; }
bool MeshDevice::close() { return true; }

class ReplicatedBufferConfig {
public:
    DeviceAddr size = 0;
};
class ShardedBufferConfig {
public:
    DeviceAddr global_size = 0;
};
using MeshBufferConfig = std::variant<ReplicatedBufferConfig, ShardedBufferConfig>;
class DeviceLocalBufferConfig {
public:
    DeviceAddr page_size = 0;
    BufferType buffer_type = BufferType::DRAM;
};
class MeshBuffer {
public:
    static std::shared_ptr<MeshBuffer> create(const MeshBufferConfig& mesh_buffer_config,
                                              const DeviceLocalBufferConfig& device_local_config,
                                              MeshDevice* mesh_device,
                                              std::optional<DeviceAddr> address = std::nullopt);
    ~MeshBuffer();
    void deallocate();
};
std::shared_ptr<MeshBuffer> MeshBuffer::create(const MeshBufferConfig&, const DeviceLocalBufferConfig&,
                                               MeshDevice* mesh, std::optional<DeviceAddr> address) {
    auto mb = std::make_shared<MeshBuffer>();
    BTSIG("MeshBuffer::create", "mesh_buffer=%lu mesh=%lu address=%lu", (unsigned long)mb.get(),
          (unsigned long)mesh, (unsigned long)(address ? *address : UINT64_MAX));
    return mb;
}
MeshBuffer::~MeshBuffer() { BTSIG("MeshBuffer::~MeshBuffer", "mesh_buffer=%lu", (unsigned long)this); }
void MeshBuffer::deallocate() { BTSIG("MeshBuffer::deallocate", "mesh_buffer=%lu", (unsigned long)this); }
}  // namespace distributed
}  // namespace tt::tt_metal

namespace ttnn::device {
void close_device(tt::tt_metal::distributed::MeshDevice& device) {
    BTSIG("ttnn::device::close_device", "mesh=%lu", (unsigned long)&device);
}
}  // namespace ttnn::device
namespace ttnn::distributed {
void close_mesh_device(const std::shared_ptr<tt::tt_metal::distributed::MeshDevice>& mesh_device) {
    BTSIG("ttnn::distributed::close_mesh_device", "mesh=%lu", (unsigned long)mesh_device.get());
}
}  // namespace ttnn::distributed

using namespace tt::tt_metal;

extern "C" void btsig_run(void) {
    static const uint32_t remap[3] = {1, 4, 7};
    MetalEnv* env = reinterpret_cast<MetalEnv*>(0x1e0);
    // chips 0..7, constructed and initialized the 2026 way
    Device* devs[8];
    for (int chip = 0; chip < 8; chip++) {
        devs[chip] = new Device(env, nullptr, chip, 2, 65536, 0, std::span<const uint32_t>(remap, 3), false, 1, 2,
                                1499136);
        devs[chip]->initialize(2, 65536, 0, 1499136, {}, false);
    }
    // a closed device reopened: initialize again, no constructor
    devs[5]->close();
    devs[5]->initialize(2, 65536, 0, 1499136, {}, false);
    Device* next = new Device(env, DeviceSpec{1, 2, 3}, 9);

    auto mesh = distributed::MeshDevice::create({}, 65536, 0, 1, {}, {}, 0);
    auto unit = distributed::MeshDevice::create_unit_mesh(6, 65536, 0, 1, {}, {}, 0);
    {
        auto b1 = Buffer::create(devs[1], 8192, 2048, BufferType::DRAM, {}, true, SubDeviceId{5});
        auto b2 = Buffer::create(mesh.get(), 4096, 4096, BufferType::L1, {}, std::nullopt, SubDeviceId{5});
        auto b3 = Buffer::create(devs[7], 0x200000, 12288, 1024, BufferType::L1_SMALL);
        auto b4 = Buffer::create(devs[2], DeviceSpec{1, 2, 3}, 64, 64, BufferType::TRACE);
        auto mb1 = distributed::MeshBuffer::create(distributed::ReplicatedBufferConfig{4096}, {4096, BufferType::L1},
                                                   mesh.get());
        auto mb2 = distributed::MeshBuffer::create(distributed::ReplicatedBufferConfig{4096},
                                                   {4096, BufferType::DRAM}, mesh.get(), DeviceAddr{0x7000});
        mb1->deallocate();
    }
    ttnn::device::close_device(*unit);
    ttnn::distributed::close_mesh_device(mesh);
    mesh->close();
    unit->close();
    delete next;
    for (Device* d : devs) delete d;
}
