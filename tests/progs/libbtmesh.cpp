// libbtmesh.so: a stand-in for the MeshBuffer era (the real-shaped 2026
// declarations of libbtsig26.cpp): MeshDevice::create opens 8 chips, a
// MeshBuffer holds a backing buffer on the mesh and one address buffer per
// chip.  For t_report_mesh_standin.sh until the fixture has MeshBuffer.
#include <cstdlib>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <variant>
#include <cstdio>
#include <vector>
static inline void btsig_use(...) {}
#define BTSIG(hook, fmt, ...) btsig_use(__VA_ARGS__)
#define BTSIG_UNKNOWN(...) ((void)0)

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
    (void)remap; (void)worker_l1_size; (void)env;
}
Device::Device(MetalEnv*, DeviceSpec spec, ChipId device_id) : id_(device_id) {
    BTSIG_UNKNOWN("Device::Device");
    (void)spec;
}
Device::~Device() = default;
int Device::arch() const { return 2; }
ChipId Device::id() const { return id_; }
bool Device::initialize(uint8_t, size_t, size_t, size_t, std::span<const uint32_t>, bool) {
    BTSIG("Device::initialize", "device=%lu chip_id=%d", (unsigned long)this, id_);
    return true;
}
bool Device::close() { return true; }

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
    (void)sub;
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
static Device* g_chips[8];
std::shared_ptr<MeshDevice> MeshDevice::create(const MeshDeviceConfig&, size_t, size_t, size_t,
                                               const DispatchCoreConfig&, std::span<const uint32_t>, size_t) {
    static const uint32_t remap[3] = {1, 4, 7};
    for (int chip = 0; chip < 8; chip++) {
        g_chips[chip] = new Device(nullptr, nullptr, chip, 1, 65536, 0, std::span<const uint32_t>(remap, 3), false,
                                   1, 2, 1499136);
        g_chips[chip]->initialize(1, 65536, 0, 1499136, {}, false);
    }
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
bool MeshDevice::close() {
    for (Device* d : g_chips) d->close();
    return true;
}

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
    std::shared_ptr<Buffer> backing;
    std::vector<std::shared_ptr<Buffer>> chips;
};
std::shared_ptr<MeshBuffer> MeshBuffer::create(const MeshBufferConfig&, const DeviceLocalBufferConfig&,
                                               MeshDevice* mesh, std::optional<DeviceAddr> address) {
    auto mb = std::make_shared<MeshBuffer>();
    mb->backing = Buffer::create(mesh, 4096, 4096, BufferType::L1, {}, std::nullopt, SubDeviceId{0});
    for (Device* d : g_chips)
        mb->chips.push_back(Buffer::create(d, address ? *address : DeviceAddr{0x40000}, 4096, 4096, BufferType::L1));
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

// a small ttnn-like program: one tensor made and freed, one still held when
// the mesh is closed (BTMESH_HELD=1), freed after; or a plain Buffer on
// chip 0 held the same way (BTMESH_HELD_PLAIN=1).  Driven by sigdrive.
__attribute__((noinline)) static std::shared_ptr<distributed::MeshBuffer> make_tensor(distributed::MeshDevice* mesh) {
    return distributed::MeshBuffer::create(distributed::ReplicatedBufferConfig{4096}, {4096, BufferType::L1}, mesh,
                                           DeviceAddr{0x40000});
}

__attribute__((noinline)) static std::shared_ptr<Buffer> make_plain(void) {
    return Buffer::create(distributed::g_chips[0], DeviceAddr{0x60000}, 2048, 2048, BufferType::L1);
}

extern "C" void btsig_run(void) {
    auto mesh = distributed::MeshDevice::create({}, 65536, 0, 1, {}, {}, 0);
    std::shared_ptr<distributed::MeshBuffer> held;
    std::shared_ptr<Buffer> held_plain;
    if (getenv("BTMESH_HELD_PLAIN")) held_plain = make_plain();
    {
        auto t = make_tensor(mesh.get());
        t->deallocate();
    }
    if (getenv("BTMESH_HELD")) held = make_tensor(mesh.get());
    ttnn::distributed::close_mesh_device(mesh);
    mesh->close();
    held.reset();
    held_plain.reset();
}
