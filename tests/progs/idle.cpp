// idle: hooked calls, then a long pause (t_rel_flush.sh).
//   idle LOG PAUSE_MS [noclone]
// Two threads make 7000 Buffer::deallocate calls each while the main
// thread makes 7000 of its own; the threads exit; the main thread makes
// 100 more and then sits idle for PAUSE_MS.  Buffers are 0xT0000000 + i
// (T: 1 main, 2 and 3 the threads).  After every 100 calls a thread
// appends "T I NS" to LOG (I calls made, NS its CLOCK_MONOTONIC time), so
// that the test knows when each event was made; "idle NS" starts the
// pause.
// noclone: before its first hooked call the main thread installs a
// seccomp filter that refuses it new threads (clone with CLONE_THREAD:
// EAGAIN, clone3: ENOSYS), so the recorder cannot start its flusher;
// the workers were created before and wait for the first call.  The pause
// is then cut in two by one more hooked call, buffer 0x1fffffff.
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "btfake.h"

static int logfd;
static std::atomic<bool> go{false};

static unsigned long long now_ns() {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void note(const char* what) {
    char line[96];
    int n = snprintf(line, sizeof line, "%s %llu\n", what, now_ns());
    if (write(logfd, line, (size_t)n) != n) _exit(3);
}

static void calls(unsigned who, unsigned from, unsigned to) {
    for (unsigned i = from; i < to; i++) {
        btfake_deallocate((void*)(uintptr_t)((uintptr_t)who << 28 | i));
        if ((i + 1) % 100 == 0) {
            char what[32];
            snprintf(what, sizeof what, "%u %u", who, i + 1);
            note(what);
        }
        if ((i + 1) % 500 == 0) sched_yield();
    }
}

static void* worker(void* arg) {
    while (!go) sched_yield();
    calls((unsigned)(uintptr_t)arg, 0, 7000);
    return nullptr;
}

static void refuse_threads() {
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone3, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, __NR_clone, 0, 3),
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
        BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_THREAD, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EAGAIN),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {(unsigned short)(sizeof f / sizeof f[0]), f};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog)) {
        perror("idle: seccomp");
        exit(2);
    }
    pthread_t th;
    if (pthread_create(&th, nullptr, worker, nullptr) == 0) {
        fprintf(stderr, "idle: the seccomp filter lets threads be created\n");
        exit(2);
    }
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: idle LOG PAUSE_MS [noclone]\n");
        return 2;
    }
    logfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (logfd < 0) return 2;
    long pause_ms = atol(argv[2]);
    bool noclone = argc > 3 && !strcmp(argv[3], "noclone");
    pthread_t th[2];
    for (int k = 0; k < 2; k++)
        if (pthread_create(&th[k], nullptr, worker, (void*)(uintptr_t)(2 + k))) return 2;
    if (noclone) refuse_threads();
    calls(1, 0, 1);  // the first hooked call: the recorder starts here
    go = true;
    calls(1, 1, 7000);
    for (int k = 0; k < 2; k++) pthread_join(th[k], nullptr);
    calls(1, 7000, 7100);
    struct timespec half = {pause_ms / 2000, (pause_ms / 2 % 1000) * 1000000};
    note("idle");
    if (noclone) {
        // the recorder cannot flush on its own: one more call lets it
        nanosleep(&half, nullptr);
        btfake_deallocate((void*)0x1fffffff);
        note("call");
    }
    nanosleep(&half, nullptr);
    nanosleep(&half, nullptr);
    note("done");
    return 0;
}
