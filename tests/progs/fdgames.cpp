// fdgames: a program that does what programs do with descriptors while the
// recorder traces it (t_rel_fds.sh).  Each mode makes 10 hooked calls
// (0xfd000..9), plays with descriptors, opens a file of its own (FILE),
// writes "mine\n" to it, makes 10 more calls (0xfd00a..13) and exits with
// the file still open, so the recorder's last flush happens after it.
//   fdgames close_range FILE   close_range(3, ~0U, 0)
//   fdgames closefrom FILE     closefrom(3)
//   fdgames closeloop FILE     close(fd) for every fd from 3 up, as a daemon does
//   fdgames dup2null FILE      dup2(/dev/null, fd) over every fd from 3 to 4095
//   fdgames moved FILE DIR     after a flush, every buftrace.* in DIR renamed
//                              to moved.*, then close_range (the trace is lost)
//   fdgames fork FILE          close_range, then fork: the child writes
//                              "child\n" to the file the parent opened
//   fdgames atlimit FILE       RLIMIT_NOFILE lowered so that one descriptor
//                              is free at the first 10 calls (the recorder's
//                              trace takes it), raised again after them
//   fdgames atzero FILE        the same with no descriptor free at all: the
//                              recorder can neither load libzstd nor make
//                              its file, and must say so once and go away
// Prints "fdgames: MODE ok" when every write to its own file worked.
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include <string>
#include "btfake.h"

static void calls(uintptr_t base, int n) {
    for (int i = 0; i < n; i++) btfake_deallocate((void*)(base + i));
}

static int fd_limit() {
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur > 4096) return 4096;
    return (int)rl.rlim_cur;
}

static int put(int fd, const char* s) {
    return write(fd, s, strlen(s)) == (ssize_t)strlen(s) ? 0 : 1;
}

int main(int argc, char** argv) {
    if (argc < 3) return 2;
    const char* mode = argv[1];
    int bad = 0;
    struct rlimit saved;
    getrlimit(RLIMIT_NOFILE, &saved);
    int atzero = !strcmp(mode, "atzero");
    if (!strcmp(mode, "atlimit") || atzero) {
        int lowest = open("/dev/null", O_RDONLY);  // the lowest free number
        if (lowest < 0) return 3;
        close(lowest);
        struct rlimit rl = saved;
        rl.rlim_cur = (rlim_t)lowest + !atzero;
        if (setrlimit(RLIMIT_NOFILE, &rl)) return 3;
    }
    calls(0xfd000, 10);
    if (!strcmp(mode, "close_range")) {
        close_range(3, ~0U, 0);
    } else if (!strcmp(mode, "closefrom")) {
        closefrom(3);
    } else if (!strcmp(mode, "closeloop")) {
        for (int fd = 3, n = fd_limit(); fd < n; fd++) close(fd);
    } else if (!strcmp(mode, "dup2null")) {
        int null = open("/dev/null", O_WRONLY);
        for (int fd = 3, n = fd_limit(); fd < n; fd++)
            if (fd != null) dup2(null, fd);
    } else if (!strcmp(mode, "moved") && argc > 3) {
        usleep(300000);  // a few flush intervals: the first calls are in the file
        DIR* d = opendir(argv[3]);
        for (struct dirent* e; d && (e = readdir(d));)
            if (!strncmp(e->d_name, "buftrace.", 9)) {
                std::string from = std::string(argv[3]) + "/" + e->d_name;
                std::string to = std::string(argv[3]) + "/moved." + (e->d_name + 9);
                rename(from.c_str(), to.c_str());
            }
        if (d) closedir(d);
        close_range(3, ~0U, 0);
    } else if (!strcmp(mode, "fork")) {
        close_range(3, ~0U, 0);
    } else if (!strcmp(mode, "atlimit") || atzero) {
        setrlimit(RLIMIT_NOFILE, &saved);
    } else {
        return 2;
    }
    int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) return 3;
    bad |= put(fd, "mine\n");
    if (!strcmp(mode, "fork")) {
        pid_t pid = fork();
        if (pid == 0) {
            alarm(10);
            int r = put(fd, "child\n");
            calls(0xfd100, 10);
            _exit(r);
        }
        int st;
        bad |= waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st);
        bad |= put(fd, "parent\n");
    }
    calls(0xfd00a, 10);
    usleep(50000);  // flushes happen while the file is open
    printf("fdgames: %s %s\n", mode, bad ? "FAILED" : "ok");
    return bad;
}
