// deaths: dies of a signal's default action after hooked calls
// (t_rel_fatal.sh).
//   deaths MODE   MODE: term | int | quit | hup | usr1 (kill(2) of itself),
//   pipe (writes to a pipe nobody reads), trap (int3), xcpu (spins past
//   RLIMIT_CPU), alrm (an interval timer), overflow (endless recursion:
//   SIGSEGV on a stack with no room left), ownstack (the same with an
//   alternate signal stack of the program's own, which must stay: exit 4
//   if it was replaced), ownterm (a SIGTERM handler installed after the
//   first hooked call, which must run: exit 42).
// First a second thread makes 100 Buffer::deallocate calls (buffers
// 0x7100..0x7163) and then blocks for good; then the main thread makes
// 100 (0x7000..0x7063) and dies.
#include <atomic>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <pthread.h>
#include <unistd.h>
#include "btfake.h"

static std::atomic<bool> helper_done{false};

static void* helper(void*) {
    for (int i = 0; i < 100; i++) btfake_deallocate((void*)(uintptr_t)(0x7100 + i));
    helper_done = true;
    for (;;) pause();
    return nullptr;
}

static volatile int bottom = -1;  // never reached: the stack runs out first
__attribute__((noinline)) static int recurse(int depth) {
    volatile char pad[512];
    pad[depth % sizeof pad] = (char)depth;
    if (depth == bottom) return 0;
    return recurse(depth + 1) + pad[0];
}

static char own_stack[256 * 1024];

static void on_term(int) { _exit(42); }

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "term";
    if (!strcmp(mode, "ownstack")) {
        stack_t ss = {};
        ss.ss_sp = own_stack;
        ss.ss_size = sizeof own_stack;
        if (sigaltstack(&ss, nullptr)) return 3;
    }
    static const struct { const char* name; int sig; } kills[] = {
        {"term", SIGTERM}, {"int", SIGINT}, {"quit", SIGQUIT}, {"hup", SIGHUP}, {"usr1", SIGUSR1}};
    pthread_t th;
    if (pthread_create(&th, nullptr, helper, nullptr)) return 2;
    while (!helper_done) usleep(1000);
    for (int i = 0; i < 100; i++) btfake_deallocate((void*)(uintptr_t)(0x7000 + i));
    if (!strcmp(mode, "ownstack")) {
        stack_t cur;
        if (sigaltstack(nullptr, &cur) || cur.ss_sp != own_stack) return 4;
        return recurse(0);
    }
    if (!strcmp(mode, "ownterm")) {
        signal(SIGTERM, on_term);
        kill(getpid(), SIGTERM);
        for (;;) pause();
    }
    printf("deaths: ready\n");
    fflush(stdout);
    for (auto& k : kills)
        if (!strcmp(mode, k.name)) {
            kill(getpid(), k.sig);
            for (;;) pause();
        }
    if (!strcmp(mode, "pipe")) {
        int fd[2];
        if (pipe(fd)) return 3;
        close(fd[0]);
        if (write(fd[1], "x", 1) < 0) return 3;
    } else if (!strcmp(mode, "trap")) {
        __asm__ volatile("int3");
    } else if (!strcmp(mode, "xcpu")) {
        struct rlimit rl = {1, RLIM_INFINITY};
        setrlimit(RLIMIT_CPU, &rl);
        for (volatile unsigned long n = 0;; n++) {
        }
    } else if (!strcmp(mode, "alrm")) {
        struct itimerval it = {{0, 20000}, {0, 20000}};
        setitimer(ITIMER_REAL, &it, nullptr);
        for (;;) pause();
    } else if (!strcmp(mode, "overflow")) {
        return recurse(0);
    }
    printf("deaths: %s: still alive\n", mode);
    return 0;
}
