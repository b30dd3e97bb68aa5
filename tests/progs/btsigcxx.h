// btsigcxx.h - just enough of libc++'s std::__1 for the mangled names of
// a clang/libc++ build of tt-metal (NSt3__1...), compiled by g++ without
// any libstdc++ header.  Layouts follow libc++: optional<T> is
// { T value; bool engaged; }, trivially copyable when T is; shared_ptr is
// returned through the hidden result pointer (non-trivial destructor).
#pragma once
#include "btsig.h"

namespace std {
inline namespace __1 {
template <class T>
struct optional {
    T value;
    bool engaged;
};
template <class T>
struct shared_ptr {
    T* ptr;
    void* ctl;
    ~shared_ptr() { delete ptr; }
    T* get() const { return ptr; }
};
}  // namespace __1
}  // namespace std

namespace tt::stl {
template <typename T, typename Tag>
struct StrongType {
    T v;
};
}  // namespace tt::stl
namespace ttsl {
template <typename T, typename Tag>
struct StrongType {
    T v;
};
}  // namespace ttsl
