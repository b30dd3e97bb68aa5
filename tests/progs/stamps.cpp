// stamps: hooked calls, each between two reads of CLOCK_MONOTONIC
// (t_rel_stamps.sh): the recorder's stamp of each must lie between them.
//   stamps LOG MS [notsc]
// For MS ms the main thread and a second thread each: read the clock,
// call Buffer::deallocate on buffer T<<28 | I (T: 1 main, 2 the other),
// read the clock, append "T I BEFORE AFTER" to LOG; 200 us apart.
// notsc: halfway through, the main thread turns RDTSC off for itself
// (prctl PR_SET_TSC, PR_TSC_SIGSEGV: RDTSC then faults in it) and goes on;
// the program must run to its end as without the recorder.  Its clock
// is then the system call: the vDSO's clock_gettime reads the TSC itself
// (tsc and kvm-clock clocksources) and would fault.
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>
#include "btfake.h"

static int logfd;
static long run_ms;
static bool notsc;

static thread_local bool tsc_off;

static unsigned long long now_ns() {
    struct timespec ts;
    if (tsc_off)
        syscall(SYS_clock_gettime, CLOCK_MONOTONIC, &ts);
    else
        clock_gettime(CLOCK_MONOTONIC, &ts);
    return (unsigned long long)ts.tv_sec * 1000000000ull + (unsigned long long)ts.tv_nsec;
}

static void calls(unsigned who) {
    unsigned long long start = now_ns(), end = start + (unsigned long long)run_ms * 1000000ull;
    bool off = false;
    for (unsigned i = 0;; i++) {
        unsigned long long before = now_ns();
        if (before >= end) break;
        if (notsc && who == 1 && !off && before >= start + (end - start) / 2) {
            if (prctl(PR_SET_TSC, PR_TSC_SIGSEGV, 0, 0, 0) != 0) {
                perror("stamps: prctl");
                exit(2);
            }
            off = tsc_off = true;
        }
        btfake_deallocate((void*)(uintptr_t)((uintptr_t)who << 28 | i));
        unsigned long long after = now_ns();
        char line[96];
        int n = snprintf(line, sizeof line, "%u %u %llu %llu\n", who, i, before, after);
        if (write(logfd, line, (size_t)n) != n) _exit(3);
        struct timespec gap = {0, 200000};
        nanosleep(&gap, nullptr);
    }
}

static void* other(void*) {
    calls(2);
    return nullptr;
}

int main(int argc, char** argv) {
    if (argc < 3) {
        fprintf(stderr, "usage: stamps LOG MS [notsc]\n");
        return 2;
    }
    logfd = open(argv[1], O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0644);
    if (logfd < 0) return 2;
    run_ms = atol(argv[2]);
    notsc = argc > 3 && !strcmp(argv[3], "notsc");
    pthread_t th;
    if (pthread_create(&th, nullptr, other, nullptr)) return 2;
    calls(1);
    pthread_join(th, nullptr);
    printf("stamps: done\n");
    return 0;
}
