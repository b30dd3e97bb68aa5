// reenter: hooked calls from awkward places (t_rel_reenter.sh).
//   reenter STAGE...   stages: ctor (a static constructor before main,
//   always), signal N (N dlopen/dlclose rounds while another thread sends
//   signals whose handler makes hooked calls), dlclose (a library whose
//   destructors make hooked calls), exit (atexit handler and static
//   destructor make hooked calls).  Every hooked call passes a marker
//   value as `this`, which the test looks for in the trace.
#include <dlfcn.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "btfake.h"

static std::atomic<long> handler_calls{0};
static std::atomic<bool> stop{false};
static char libpath[4096];

namespace {
struct Early {
    Early() { btfake_deallocate((void*)0xc7002); }  // before main
    ~Early() { btfake_deallocate((void*)0xd7002); }  // static destructor, after main
} early;
}  // namespace

static void on_signal(int) {
    int saved = errno;
    btfake_deallocate((void*)0x5160);
    btfake_mesh_close((void*)0x5161);
    handler_calls++;
    errno = saved;
}

static void* pester(void* main_thread) {
    struct timespec ts = {0, 100000};
    while (!stop) {
        pthread_kill(*(pthread_t*)main_thread, SIGUSR1);
        nanosleep(&ts, nullptr);
    }
    return nullptr;
}

static void* load() {
    void* h = dlopen(libpath, RTLD_NOW | RTLD_LOCAL);
    if (!h) {
        fprintf(stderr, "reenter: %s\n", dlerror());
        exit(2);
    }
    int (*ping)() = (int (*)())dlsym(h, "btdtor_ping");
    if (!ping || ping() != 1) exit(2);
    return h;
}

static void at_exit() { btfake_deallocate((void*)0xa7e1); }

int main(int argc, char** argv) {
    snprintf(libpath, sizeof libpath, "%s", argv[0]);
    char* slash = strrchr(libpath, '/');
    strcpy(slash ? slash + 1 : libpath, "libbtdtor.so");
    btfake_deallocate((void*)0x3a1);
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "signal") && i + 1 < argc) {
            long rounds = atol(argv[++i]);
            struct sigaction sa;
            memset(&sa, 0, sizeof sa);
            sa.sa_handler = on_signal;
            sa.sa_flags = SA_RESTART;
            sigaction(SIGUSR1, &sa, nullptr);
            pthread_t self = pthread_self(), th;
            pthread_create(&th, nullptr, pester, &self);
            for (long r = 0; r < rounds; r++) {
                void* h = load();
                btfake_deallocate((void*)(0x100000 + r));
                dlclose(h);
            }
            stop = true;
            pthread_join(th, nullptr);
            signal(SIGUSR1, SIG_IGN);
            printf("reenter: %ld rounds, %ld handler calls\n", rounds, handler_calls.load());
        } else if (!strcmp(argv[i], "dlclose")) {
            dlclose(load());
            printf("reenter: dlclose done\n");
        } else if (!strcmp(argv[i], "exit")) {
            atexit(at_exit);
        } else {
            fprintf(stderr, "reenter: unknown stage %s\n", argv[i]);
            return 2;
        }
    }
    printf("reenter: %ld calls reached the runtime\n", btfake_calls.load());
    return 0;
}
