// sigloader: a signal handler that interrupts the dynamic loader makes
// hooked calls (t_rel_sigloader.sh).
//   sigloader LIB SECONDS   the main thread dlopens and dlcloses LIB in a
//   loop for SECONDS while a timer's SIGALRM, every 20 us, runs a handler
//   on it that makes a hooked call, Buffer::deallocate(0x5160): some land
//   inside dlopen/dlclose, with the loader's lock held or half taken.
//   Prints "N handler calls, M loops" and, when libdlcount.so is
//   preloaded, "K loader calls in handlers": the recorder must make none
//   there (dl_iterate_phdr would wait forever for that lock).
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include "btfake.h"

static std::atomic<long> handler_calls{0};
static volatile int* in_handler;
static volatile int dummy;

__attribute__((noinline)) static void on_alarm(int) {
    int saved = errno;
    *in_handler = 1;
    btfake_deallocate((void*)0x5160);
    *in_handler = 0;
    handler_calls++;
    errno = saved;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: sigloader LIB SECONDS\n");
        return 2;
    }
    double secs = atof(argv[2]);
    std::atomic<long>* counted = (std::atomic<long>*)dlsym(RTLD_DEFAULT, "dlcount_calls");
    in_handler = (volatile int*)dlsym(RTLD_DEFAULT, "dlcount_in_handler");
    if (!in_handler) in_handler = &dummy;
    btfake_deallocate((void*)0x3a1);  // the recorder starts before the signals
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_alarm;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGALRM, &sa, nullptr);
    struct itimerval it = {{0, 20}, {0, 20}};
    setitimer(ITIMER_REAL, &it, nullptr);
    struct timespec t0, t;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long loops = 0;
    do {
        void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
        if (!h) {
            fprintf(stderr, "sigloader: %s\n", dlerror());
            return 1;
        }
        dlclose(h);
        loops++;
        clock_gettime(CLOCK_MONOTONIC, &t);
    } while ((double)(t.tv_sec - t0.tv_sec) + (double)(t.tv_nsec - t0.tv_nsec) / 1e9 < secs);
    memset(&it, 0, sizeof it);
    setitimer(ITIMER_REAL, &it, nullptr);
    signal(SIGALRM, SIG_IGN);
    printf("sigloader: %ld handler calls, %ld loops\n", handler_calls.load(), loops);
    if (counted) printf("sigloader: %ld loader calls in handlers\n", counted->load());
    return 0;
}
