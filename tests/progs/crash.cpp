// crash: dies after hooked calls (t_rel_signals.sh).
//   crash MODE   MODE: segv | abort | bus | handler (a SIGSEGV handler
//   installed before the first hooked call, which must still run) | sleep
//   (waits to be killed).  First 100 Buffer::deallocate calls, buffers
//   0x7000..0x7063.
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "btfake.h"

static void on_segv(int sig) {
    static const char msg[] = "crash: the program's own handler ran\n";
    if (write(1, msg, sizeof msg - 1) < 0) _exit(1);
    _exit(sig == SIGSEGV ? 42 : 1);
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "segv";
    if (!strcmp(mode, "handler")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_segv;
        sigaction(SIGSEGV, &sa, nullptr);
    }
    for (int i = 0; i < 100; i++) btfake_deallocate((void*)(uintptr_t)(0x7000 + i));
    printf("crash: ready\n");
    fflush(stdout);
    if (!strcmp(mode, "segv") || !strcmp(mode, "handler")) {
        *(volatile int*)(uintptr_t)8 = 1;
    } else if (!strcmp(mode, "abort")) {
        abort();
    } else if (!strcmp(mode, "bus")) {
        char path[] = "/tmp/crash-bus-XXXXXX";
        int fd = mkstemp(path);
        unlink(path);
        volatile char* p = (volatile char*)mmap(nullptr, 4096, PROT_READ, MAP_SHARED, fd, 0);
        if (p == MAP_FAILED) return 3;
        return p[0];  // past the end of an empty file
    } else if (!strcmp(mode, "sleep")) {
        sleep(30);
    }
    return 0;
}
