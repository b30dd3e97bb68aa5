// sigcalls: hooked calls from a signal handler (t_rel_lost.sh).
//   sigcalls N   the main thread makes Buffer::deallocate calls until the
//   handler ran N times, while another thread sends it SIGUSR1 every
//   50 us; the handler makes two
//   hooked calls, Buffer::deallocate(0x5160) and MeshDevice::close(0x5161).
//   Prints "N handler calls".  No dlopen here: a handler that interrupted
//   the dynamic loader is another story (t_rel_reenter).
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

static void on_signal(int) {
    int saved = errno;
    btfake_deallocate((void*)0x5160);
    btfake_mesh_close((void*)0x5161);
    handler_calls++;
    errno = saved;
}

static void* pester(void* main_thread) {
    struct timespec ts = {0, 50000};
    while (!stop) {
        pthread_kill(*(pthread_t*)main_thread, SIGUSR1);
        nanosleep(&ts, nullptr);
    }
    return nullptr;
}

int main(int argc, char** argv) {
    long n = argc > 1 ? atol(argv[1]) : 2000;
    btfake_deallocate((void*)0x3a1);  // the recorder starts before the signals
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, nullptr);
    pthread_t self = pthread_self(), th;
    pthread_create(&th, nullptr, pester, &self);
    for (long i = 0; handler_calls < n && i < 100000000; i++)
        btfake_deallocate((void*)(uintptr_t)(0x100000 + i % 0x100000));
    stop = true;
    pthread_join(th, nullptr);
    signal(SIGUSR1, SIG_IGN);
    printf("sigcalls: %ld handler calls\n", handler_calls.load());
    return 0;
}
