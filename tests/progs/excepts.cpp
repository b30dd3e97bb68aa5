// excepts: C++ exceptions thrown by the runtime (libbtfake.so) through
// hooked calls reach the caller unchanged (t_rel_exceptions.sh).
#include <cstdio>
#include <cstring>
#include "btfake.h"

static int failures;
static void check(bool ok, const char* what) {
    if (!ok) {
        printf("excepts: FAILED %s\n", what);
        failures++;
    }
}

int main() {
    // Buffer::create (recorded after it returns): a typed exception, by reference
    try {
        btfake_create((void*)BTFAKE_THROW, 4096, 1024, 1, nullptr, 0, 0);
        check(false, "create did not throw");
    } catch (const btfake_error& e) {
        check(e.code == 2002 && !strcmp(e.what(), "create failed"), "create: exception changed");
    }
    // a non-class exception, caught by catch (...) and rethrown
    try {
        try {
            btfake_create((void*)BTFAKE_THROW_INT, 1, 1, 0, nullptr, 0, 0);
        } catch (...) {
            throw;
        }
    } catch (int v) {
        check(v == 77, "create: int exception changed");
    }
    // MeshDevice::close (scoped: entry and exit events), caught as a base class
    try {
        btfake_mesh_close((void*)BTFAKE_THROW);
        check(false, "close did not throw");
    } catch (const std::runtime_error& e) {
        check(!strcmp(e.what(), "close failed"), "close: exception changed");
    }
    // Buffer::deallocate (recorded at entry only)
    try {
        btfake_deallocate((void*)BTFAKE_THROW);
    } catch (const btfake_error& e) {
        check(e.code == 1001, "deallocate: exception changed");
    }
    // the same calls succeed afterwards
    auto p = btfake_create((void*)0x1000, 4096, 1024, 1, nullptr, 0, 0);
    check(p && *p == 4096 + 1024 + 1, "create after a throw: wrong result");
    check(btfake_mesh_close((void*)0x2000), "close after a throw: wrong result");
    btfake_deallocate((void*)0x3000);
    printf("excepts: %d failures, %ld calls\n", failures, btfake_calls.load());
    return failures ? 1 : 0;
}
