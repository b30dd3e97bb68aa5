// libbttramp.so: hooked names in forms buftrace has no alias for, so the
// recorder reaches them through its trampolines (matched by demangled
// name, called through): a Buffer::create with four stack eightbytes and
// a float argument, that throws for size 0; a scoped MeshDevice::close of
// a drifted form returning a 16-byte struct in rax:rdx, that throws when
// asked.  Each prints what it received; the driver prints what came back
// and what it caught.  Under the recorder the output must not change
// (t_rel_tramp.sh).  Driven by sigdrive.
#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <stdexcept>

namespace tt::tt_metal {
enum class BufferType { DRAM = 0, L1 = 1 };
class IDevice {
public:
    int tag = 7;
};
class Extra {
public:
    long v = 0;
};
class Buffer {
public:
    // a drifted form: an extra reference, optionals, two more sizes and a
    // double (xmm0) after the usual leading arguments
    static std::shared_ptr<Buffer> create(IDevice* device, unsigned long size, unsigned long page_size,
                                          BufferType type, const Extra& extra, std::optional<bool> bottom_up,
                                          std::optional<unsigned char> sub, unsigned long a, unsigned long b,
                                          double scale);
    unsigned long size = 0;
};
std::shared_ptr<Buffer> Buffer::create(IDevice* device, unsigned long size, unsigned long page_size, BufferType type,
                                       const Extra& extra, std::optional<bool> bottom_up,
                                       std::optional<unsigned char> sub, unsigned long a, unsigned long b,
                                       double scale) {
    std::printf("create got device=%d size=%lu page=%lu type=%d extra=%ld bottom_up=%d sub=%d a=%lu b=%lu scale=%.2f\n",
                device->tag, size, page_size, (int)type, extra.v, bottom_up.value_or(false) ? 1 : 0,
                sub ? (int)*sub : -1, a, b, scale);
    if (size == 0)
        throw std::runtime_error("size 0");
    auto buf = std::make_shared<Buffer>();
    buf->size = size;
    return buf;
}
namespace distributed {
struct Pair {
    long first, second;  // returned in rax:rdx
};
class MeshDevice {
public:
    Pair close(long how);  // drifted: close(long)
    long id = 3;
};
__attribute__((noinline)) Pair MeshDevice::close(long how) {
    if (how < 0)
        throw how;
    return Pair{id * 10 + how, -how};
}
}  // namespace distributed
}  // namespace tt::tt_metal

using namespace tt::tt_metal;

__attribute__((noinline)) static void deep(distributed::MeshDevice& m, int n) {
    if (n)
        return deep(m, n - 1);
    auto p = m.close(-5);  // throws through the trampoline and these frames
    std::printf("not reached %ld\n", p.first);
}

extern "C" void btsig_run(void) {
    IDevice dev;
    Extra extra;
    extra.v = -42;
    for (int i = 0; i < 3; i++) {
        auto b = Buffer::create(&dev, 4096 * (i + 1), 1024, BufferType::L1, extra, true, (unsigned char)(i + 1),
                                1000 + i, 2000 + i, 0.5 * i);
        std::printf("create returned size=%lu\n", b->size);
    }
    try {
        Buffer::create(&dev, 0, 1, BufferType::DRAM, extra, std::nullopt, std::nullopt, 1, 2, 3.0);
        std::printf("not reached\n");
    } catch (const std::runtime_error& e) {
        std::printf("caught %s\n", e.what());
    }
    distributed::MeshDevice m;
    auto p = m.close(4);
    std::printf("close returned %ld %ld\n", p.first, p.second);
    try {
        deep(m, 3);
    } catch (long v) {
        std::printf("caught %ld\n", v);
    }
    auto b = Buffer::create(&dev, 8192, 1024, BufferType::DRAM, extra, false, std::nullopt, 7, 8, 1.25);
    std::printf("after the throws: size=%lu\n", b->size);
    std::fflush(stdout);
}
