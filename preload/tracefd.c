/* tracefd.c - the trace file's descriptor, in a table the program owns.
 *
 * The program may close every descriptor (close_range, closefrom, a
 * daemon's loop), dup2 anything over any number, and open files of its
 * own that get the number the trace had.  Writing to that number then
 * writes into the program's file (or into /dev/null).  So:
 *   - the trace lives at a high number (F_DUPFD_CLOEXEC from 1000, lower
 *     under a low RLIMIT_NOFILE), out of the way of the low numbers
 *     programs dup2 over, and not the number the program's next open gets;
 *   - its device and inode are remembered, and before every use fstat
 *     says whether the number still holds the trace file;
 *   - when it does not, the number is the program's: it is never written,
 *     closed or otherwise touched again.  The trace is reopened by its
 *     path (O_APPEND: the stream goes on after the last byte written,
 *     nothing was lost) and must be the same file; else the caller gives
 *     up, and the file reads up to the last complete write.
 * What is left: a program thread that swaps the descriptor between our
 * fstat and our write.  Closing it takes a system call per write either
 * way; the window is the two system calls apart. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>
#include "recorder.h"

#define HIGH_FD 1000

static int cur = -1;         /* our descriptor, or -1 */
static dev_t cur_dev;
static ino_t cur_ino;
static char cur_path[PATH_MAX]; /* absolute: the program may chdir */

/* fd, ours, moved to a high number if one is free (the low one closed). */
static int move_high(int fd)
{
	struct rlimit rl;
	int from = HIGH_FD, nfd;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)HIGH_FD + 64)
		from = (int)(rl.rlim_cur / 4 * 3); /* the upper quarter */
	if (from <= fd)
		return fd;
	nfd = fcntl(fd, F_DUPFD_CLOEXEC, from);
	if (nfd < 0)
		return fd; /* the table is full up there: keep the low number */
	close(fd);
	return nfd;
}

static int is_ours(int fd)
{
	struct stat st;
	return fd >= 0 && fstat(fd, &st) == 0 && st.st_dev == cur_dev && st.st_ino == cur_ino;
}

int bt_tracefd_adopt(int fd, const char *path)
{
	struct stat st;
	if (fstat(fd, &st) != 0) {
		int err = errno;
		close(fd);
		errno = err;
		return -1;
	}
	cur_dev = st.st_dev;
	cur_ino = st.st_ino;
	cur_path[0] = 0;
	if (path[0] != '/') {
		static char cwd[PATH_MAX]; /* bt_start's, under its lock */
		if (getcwd(cwd, sizeof cwd) &&
		    (size_t)snprintf(cur_path, sizeof cur_path, "%s/%s", cwd, path) >= sizeof cur_path)
			cur_path[0] = 0; /* too long: no reopening */
	} else {
		snprintf(cur_path, sizeof cur_path, "%s", path);
	}
	cur = move_high(fd);
	return cur;
}

int bt_tracefd_get(void)
{
	struct stat st;
	int fd;
	if (is_ours(cur))
		return cur;
	/* closed, or another file at that number: the program's now */
	cur = -1;
	if (!cur_path[0]) {
		errno = ENAMETOOLONG;
		return -1;
	}
	fd = open(cur_path, O_WRONLY | O_APPEND | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (fstat(fd, &st) != 0 || st.st_dev != cur_dev || st.st_ino != cur_ino) {
		close(fd); /* ours: just opened */
		errno = ENOENT; /* the path names another file now */
		return -1;
	}
	cur = move_high(fd);
	if (bt_cfg.debug)
		bt_log("buftrace: the program took the trace's descriptor; reopened %s as %d", cur_path, cur);
	return cur;
}

void bt_tracefd_release(void)
{
	if (is_ours(cur))
		close(cur);
	cur = -1;
	cur_path[0] = 0;
}
