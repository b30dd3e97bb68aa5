// libbtsigdrift.so: a Device whose vtable does not have IDevice::id() in
// slot 3 (id() in slot 2, is_initialized() in slot 3: the order of a
// look-alike that drifted from the real headers).  The recorder must not
// take slot 3 for id(): Device::initialize's chip_id stays unknown (-1),
// never the value of another function.
#include <cstddef>
#include <cstdint>
#include <span>
#include "btsig.h"

namespace tt::tt_metal {
using ChipId = int;
class IDevice {
public:
    virtual ~IDevice();
    virtual ChipId id() const = 0;
    virtual bool is_initialized() const = 0;
};
IDevice::~IDevice() = default;
class Device final : public IDevice {
public:
    Device(ChipId device_id, uint8_t num_hw_cqs);
    ~Device() override;
    ChipId id() const override;
    bool is_initialized() const override;
    bool initialize(uint8_t num_hw_cqs, size_t l1_small_size, size_t trace_region_size, size_t worker_l1_size,
                    std::span<const uint32_t> l1_bank_remap, bool minimal);

private:
    ChipId id_;
    bool initialized_ = false;
};
Device::Device(ChipId device_id, uint8_t) : id_(device_id) {
    BTSIG("Device::Device", "device=%lu chip_id=%d", (unsigned long)this, device_id);
}
Device::~Device() = default;
ChipId Device::id() const { return id_; }
bool Device::is_initialized() const { return initialized_; }
bool Device::initialize(uint8_t, size_t, size_t, size_t, std::span<const uint32_t>, bool) {
    initialized_ = true;
    // expected: unknown
    BTSIG("Device::initialize", "device=%lu chip_id=%d", (unsigned long)this, -1);
    return true;
}
}  // namespace tt::tt_metal

extern "C" void btsig_run(void) {
    for (int chip = 0; chip < 3; chip++) {
        auto* d = new tt::tt_metal::Device(chip, 1);
        d->initialize(1, 0, 0, 0, {}, false);
        d->initialize(1, 0, 0, 0, {}, false);
        delete d;
    }
}
