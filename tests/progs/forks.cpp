// forks: process creation around hooked calls (t_rel_fork.sh).
//   forks mtfork N  : 4 threads loop in hooked calls while main forks N
//                     children; each child makes 10 hooked calls and exits
//   forks spawn     : posix_spawn of `forks child`
//   forks vfork     : vfork + exec of `forks child`, and vfork + _exit
//   forks daemon F  : double fork + setsid; the daemon makes 10 hooked
//                     calls, then creates file F
//   forks exec      : hooked calls, then execv of `forks child`
//   forks child     : 10 hooked calls (0xc41d000..9), exit 0
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "btfake.h"

extern char** environ;
static std::atomic<bool> stop{false};

static void calls(uintptr_t base, int n) {
    for (int i = 0; i < n; i++) btfake_deallocate((void*)(base + i));
}

static void* busy(void* arg) {
    uintptr_t base = (uintptr_t)arg;
    while (!stop) {
        calls(base, 64);
        usleep(500);
    }
    return nullptr;
}

static int wait_ok(pid_t pid, const char* what) {
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
        printf("forks: %s: child status %#x%s\n", what, st,
               WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? " (deadlocked)" : "");
        return 1;
    }
    return 0;
}

int main(int argc, char** argv) {
    const char* mode = argc > 1 ? argv[1] : "child";
    char* child_argv[] = {argv[0], (char*)"child", nullptr};
    int bad = 0;
    if (!strcmp(mode, "child")) {
        calls(0xc41d000, 10);
        return 0;
    }
    calls(0x9a000, 5);
    if (!strcmp(mode, "mtfork")) {
        int n = argc > 2 ? atoi(argv[2]) : 20;
        pthread_t th[4];
        for (int i = 0; i < 4; i++) pthread_create(&th[i], nullptr, busy, (void*)(uintptr_t)(0x1000000 * (i + 1)));
        usleep(5000);
        for (int i = 0; i < n; i++) {
            pid_t pid = fork();
            if (pid == 0) {
                alarm(10);  // a deadlock becomes a SIGALRM death
                calls(0xc41d000, 10);
                exit(0);
            }
            bad |= wait_ok(pid, "fork");
        }
        stop = true;
        for (int i = 0; i < 4; i++) pthread_join(th[i], nullptr);
    } else if (!strcmp(mode, "spawn")) {
        pid_t pid;
        if (posix_spawn(&pid, argv[0], nullptr, nullptr, child_argv, environ)) return 2;
        bad |= wait_ok(pid, "posix_spawn");
    } else if (!strcmp(mode, "vfork")) {
        pid_t pid = vfork();
        if (pid == 0) {
            execve(argv[0], child_argv, environ);
            _exit(127);
        }
        bad |= wait_ok(pid, "vfork+exec");
        pid = vfork();
        if (pid == 0) _exit(0);
        bad |= wait_ok(pid, "vfork+_exit");
    } else if (!strcmp(mode, "daemon") && argc > 2) {
        pid_t pid = fork();
        if (pid == 0) {
            setsid();
            if (fork() != 0) _exit(0);
            alarm(10);
            calls(0xc41d000, 10);
            FILE* f = fopen(argv[2], "w");
            if (f) fclose(f);
            exit(0);
        }
        bad |= wait_ok(pid, "daemon parent");
    } else if (!strcmp(mode, "exec")) {
        execv(argv[0], child_argv);
        return 127;
    } else {
        return 2;
    }
    printf("forks: %s %s\n", mode, bad ? "FAILED" : "ok");
    return bad;
}
