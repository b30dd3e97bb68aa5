/* cmd_record.c - `buftrace record [OPTIONS] -- CMD [ARGS...]`
 *
 * Runs CMD with libbuftrace.so (libbuftrace-malloc.so with --probes
 * malloc) preloaded and lists on stderr the trace files that CMD and all
 * of its children wrote: each traced process appends its file name to a
 * manifest that we create and remove.  The list is also left in
 * DIR/buftrace.last for a bare `buftrace report`.
 *
 * Like timeout(1), record stands between the caller and CMD: SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT, SIGUSR1 and SIGUSR2 sent to record are passed
 * on to CMD, and record goes on waiting for it, so the traces are listed
 * and the manifest removed whatever ends the run (but SIGKILL).  CMD's
 * exit status passes through unchanged; if a signal killed CMD, record
 * then kills itself with the same signal, as timeout does, so a shell
 * sees 128+N either way.  A signal ignored when record started stays
 * ignored, by record and by CMD. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include "buftrace.h"
#include "settings.h"
#include "hook_table.h"

static void usage(FILE *f)
{
	fprintf(f,
		"usage: buftrace record [-o DIR] [--depth N] [--flush-ms N] [--probes malloc]\n"
		"                       [--runtime LIST] [--no-python] [--quiet] -- CMD [ARGS...]\n"
		"  -o DIR         write traces into DIR, created if need be (default: current directory)\n"
		"  --depth N      frames per backtrace, 0 to %d (default %d, 0 = none)\n"
		"  --flush-ms N   flush interval, %d to %d: a killed process loses at most this\n"
		"                 (default %d)\n"
		"  --probes LIST  also trace libc allocations: malloc (malloc, free, new, delete...;\n"
		"                 preloads libbuftrace-malloc.so), malloc,free-stacks (stacks on free too)\n"
		"  --runtime LIST record only these runtimes' calls: tt-metal, opencl, vulkan\n"
		"                 (default: every runtime the program loads)\n"
		"  --no-python    native stacks only, no Python frames\n"
		"  --quiet        do not list the trace files\n",
		BT_MAX_DEPTH, BT_DEPTH_DEFAULT, BT_FLUSH_MS_MIN, BT_FLUSH_MS_MAX, BT_FLUSH_MS_DEFAULT);
}

/* The Vulkan profile's layer (preload/layer_vulkan.c): its manifest is
 * next to the recorder library, one per library (VkLayer_buftrace.json
 * for libbuftrace.so, VkLayer_buftrace_malloc.json for the malloc-probe
 * build), so the loader's dlopen finds the copy already preloaded.  The
 * directory is added to the loader's search (VK_ADD_LAYER_PATH keeps the
 * system's layers, the validation layer among them) and the layer enabled
 * first in VK_INSTANCE_LAYERS: nearest the application, it sees the
 * handles the application sees.  Without a manifest (an old install) the
 * program runs as it would, Vulkan unrecorded. */
static void vulkan_layer(const char *lib, int malloc_build)
{
	char dir[4096], manifest[4200], *slash;
	const char *name = malloc_build ? "VK_LAYER_BUFTRACE_MALLOC" : "VK_LAYER_BUFTRACE";
	const char *rts = getenv("BUFTRACE_RUNTIMES");
	if (rts && *rts && !strstr(rts, "vulkan"))
		return; /* --runtime without vulkan: no layer at all */
	snprintf(dir, sizeof dir, "%s", lib);
	slash = strrchr(dir, '/');
	if (!slash)
		return;
	*slash = 0;
	snprintf(manifest, sizeof manifest, "%s/%s", dir, malloc_build ? "VkLayer_buftrace_malloc.json" : "VkLayer_buftrace.json");
	if (access(manifest, R_OK))
		return;
	for (int k = 0; k < 2; k++) {
		const char *var = k ? "VK_INSTANCE_LAYERS" : "VK_ADD_LAYER_PATH";
		const char *add = k ? name : dir;
		const char *old = getenv(var);
		size_t n = strlen(add) + (old ? strlen(old) : 0) + 2;
		char *v = malloc(n);
		if (!v)
			return;
		snprintf(v, n, "%s%s%s", add, old && *old ? ":" : "", old && *old ? old : "");
		setenv(var, v, 1);
		free(v);
	}
}

static int set_num(const char *var, const char *val, const char *opt, long lo, long hi)
{
	char *end;
	long v;
	errno = 0;
	v = strtol(val, &end, 10);
	if (!*val || *end || errno || v < lo || v > hi) {
		fprintf(stderr, "buftrace record: %s takes a number from %ld to %ld, not '%s'\n", opt, lo, hi,
			val);
		return -1;
	}
	setenv(var, val, 1);
	return 0;
}

/* mkdir -p DIR: 0 when DIR is a directory at the end, else -1 and errno */
static int make_dirs(const char *dir)
{
	char p[PATH_MAX];
	struct stat st;
	size_t n = strlen(dir);
	if (n >= sizeof p) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(p, dir, n + 1);
	for (char *s = p + 1; s <= p + n; s++) {
		if (*s != '/' && *s)
			continue;
		*s = 0;
		if (mkdir(p, 0777) && errno != EEXIST)
			return -1;
		*s = s == p + n ? 0 : '/';
	}
	if (stat(dir, &st))
		return -1;
	if (!S_ISDIR(st.st_mode)) {
		errno = ENOTDIR;
		return -1;
	}
	return 0;
}

/* --- signals to CMD ---------------------------------------------------- */

static const int forwarded[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2 };
#define N_FORWARDED (int)(sizeof forwarded / sizeof forwarded[0])
static struct sigaction entry_action[N_FORWARDED];
static volatile sig_atomic_t child; /* 0: none to forward to */

/* The parent of pid, from /proc (open, read and close are
 * async-signal-safe); 0 when it cannot be read (gone already). */
static pid_t parent_of(pid_t pid)
{
	char path[32], buf[512], *p = path + sizeof path, *close_paren = NULL;
	long ppid = 0;
	int fd, n;
	unsigned v = (unsigned)pid;
	/* "/proc/PID/stat", the number written backwards without snprintf */
	*--p = 0;
	memcpy(p -= 5, "/stat", 5);
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	memcpy(p -= 6, "/proc/", 6);
	if ((fd = open(p, O_RDONLY | O_CLOEXEC)) < 0)
		return 0;
	n = (int)read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return 0;
	buf[n] = 0;
	/* "pid (comm) state ppid ...": comm may hold anything but is short */
	for (char *c = buf; *c; c++)
		if (*c == ')')
			close_paren = c;
	if (!close_paren || close_paren[1] != ' ' || !close_paren[2] || close_paren[3] != ' ')
		return 0;
	for (p = close_paren + 4; *p >= '0' && *p <= '9'; p++)
		ppid = ppid * 10 + (*p - '0');
	return (pid_t)ppid;
}

/* The program, or a process it made, reached us with a signal to its
 * process group (killpg(0), kill(0, ...): a program stopping its
 * workers), which reached the program too: sent again it would come
 * twice.  (Or it signalled its parent, which would not have been the
 * program either.)  A parent script's kill of record is still passed on. */
static int sent_by_the_program(pid_t sender)
{
	for (int i = 0; i < 64 && sender > 1 && sender != getpid(); i++) {
		if (sender == (pid_t)child)
			return 1;
		sender = parent_of(sender);
	}
	return 0;
}

/* A signal sent by a process (kill, sigqueue: si_code <= 0) was meant for
 * the run as a whole and CMD has not seen it: pass it on.  One the kernel
 * made for the terminal (^C, ^\, hangup: SI_KERNEL) went to the whole
 * foreground process group, CMD included: sending it again would deliver
 * it twice (a second ^C to a Python program interrupts its cleanup).  A
 * kill(1) of the whole process group also reaches CMD directly and again
 * through us: as with timeout --foreground. */
static void forward(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	(void)uc;
	if (si->si_code <= 0 && child > 0 && !sent_by_the_program(si->si_pid))
		kill((pid_t)child, sig);
	errno = saved;
}

static void forwarded_mask(sigset_t *set)
{
	sigemptyset(set);
	for (int i = 0; i < N_FORWARDED; i++)
		sigaddset(set, forwarded[i]);
}

/* Catch the forwarded signals, except those ignored on entry. */
static void catch_signals(void)
{
	for (int i = 0; i < N_FORWARDED; i++) {
		struct sigaction sa;
		sigaction(forwarded[i], NULL, &entry_action[i]);
		if (entry_action[i].sa_handler == SIG_IGN)
			continue;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = forward;
		sa.sa_flags = SA_SIGINFO;
		sigfillset(&sa.sa_mask);
		sigaction(forwarded[i], &sa, NULL);
	}
}

/* In the child, before exec: CMD starts with what record was given. */
static void restore_signals(const sigset_t *mask)
{
	for (int i = 0; i < N_FORWARDED; i++)
		sigaction(forwarded[i], &entry_action[i], NULL);
	sigprocmask(SIG_SETMASK, mask, NULL);
}

/* --- the list of traces -------------------------------------------------- */

/* List the traces in the manifest, and leave them in DIR/buftrace.last:
 * written to a new file of our own (mkstemp: O_EXCL, so never through a
 * planted link) and renamed over the old list.  The manifest is gone
 * before the first line is printed (a closed stderr's SIGPIPE must not
 * leave it behind). */
static void list_traces(const char *manifest, const char *absout, int quiet)
{
	FILE *m = fopen(manifest, "r"), *last = NULL;
	char line[PATH_MAX + 2], lastp[PATH_MAX + 32], tmp[PATH_MAX + 40];
	int n = 0, fd, err = 0;
	unlink(manifest);
	snprintf(lastp, sizeof lastp, "%s/buftrace.last", absout);
	snprintf(tmp, sizeof tmp, "%s.XXXXXX", lastp);
	while (m && fgets(line, sizeof line, m)) {
		if (!n++ && ((fd = mkstemp(tmp)) < 0 || !(last = fdopen(fd, "w")))) {
			err = errno;
			if (fd >= 0) {
				close(fd);
				unlink(tmp);
			}
		}
		if (last)
			fputs(line, last);
		if (!quiet) {
			struct stat st;
			size_t len = strlen(line);
			if (len && line[len - 1] == '\n')
				line[--len] = 0;
			/* a trace its process wrote on after someone removed it */
			fprintf(stderr, "%s %s%s\n", n > 1 ? "                " : "buftrace: trace", line,
				stat(line, &st) ? " (gone: removed while the program ran)" : "");
		}
	}
	if (!n && !quiet)
		fprintf(stderr, "buftrace: no trace written (the program never reached a hooked function, or its recorder "
				"could not write: then it said why above)\n");
	if (m)
		fclose(m);
	if (last && (fclose(last) != 0 || rename(tmp, lastp) != 0)) {
		err = errno;
		unlink(tmp);
	}
	if (err)
		fprintf(stderr, "buftrace record: cannot write %s: %s\n", lastp, strerror(err));
}

/* The manifest, made empty: in $TMPDIR or /tmp (a local file system,
 * where O_APPEND from many processes is atomic), else in DIR itself (a
 * read-only /tmp, say).  0, or -1 with errno. */
static int make_manifest(char *path, size_t size, const char *absout)
{
	const char *tmp = getenv("TMPDIR");
	const char *dirs[3] = { tmp && *tmp ? tmp : NULL, "/tmp", absout };
	int err = ENOENT;
	for (int k = 0; k < 3; k++) {
		int fd;
		if (!dirs[k] ||
		    (size_t)snprintf(path, size, "%s/%sbuftrace-manifest-XXXXXX", dirs[k], k == 2 ? "." : "") >= size)
			continue;
		fd = mkstemp(path);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		err = errno;
	}
	errno = err;
	return -1;
}

/* The file execvp would run for cmd (PATH searched as it does), in buf. */
static int find_command(const char *cmd, char *buf, size_t n)
{
	const char *path = getenv("PATH"), *p, *end;
	if (strchr(cmd, '/'))
		return snprintf(buf, n, "%s", cmd) < (int)n ? 0 : -1;
	for (p = path && *path ? path : "/bin:/usr/bin"; ; p = end + 1) {
		struct stat st;
		end = strchr(p, ':');
		if (!end)
			end = p + strlen(p);
		if (snprintf(buf, n, "%.*s%s%s", (int)(end - p), p, end > p ? "/" : "", cmd) < (int)n &&
		    !stat(buf, &st) && S_ISREG(st.st_mode) && !access(buf, X_OK))
			return 0;
		if (!*end)
			return -1;
	}
}

/* A 64-bit ELF program with no interpreter (static, or static-pie): the
 * loader that would preload the recorder never runs in it. */
static int statically_linked(const char *file)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int fd = open(file, O_RDONLY | O_CLOEXEC), interp = 0, ok;
	if (fd < 0)
		return 0;
	ok = pread(fd, &eh, sizeof eh, 0) == (ssize_t)sizeof eh && !memcmp(eh.e_ident, ELFMAG, SELFMAG) &&
	     eh.e_ident[EI_CLASS] == ELFCLASS64 && (eh.e_type == ET_EXEC || eh.e_type == ET_DYN) &&
	     eh.e_phentsize == sizeof ph && eh.e_phnum > 0 && eh.e_phnum < 4096;
	for (int i = 0; ok && i < eh.e_phnum; i++) {
		if (pread(fd, &ph, sizeof ph, (off_t)(eh.e_phoff + (uint64_t)i * sizeof ph)) != (ssize_t)sizeof ph)
			ok = 0;
		else if (ph.p_type == PT_INTERP)
			interp = 1;
	}
	close(fd);
	/* (a shared library, run by hand, has none either: it has a PT_DYNAMIC
	 * but no entry a user runs; not worth telling apart) */
	return ok && !interp;
}

int cmd_record(int argc, char **argv)
{
	const char *outdir = ".", *libdir, *libname = "libbuftrace.so", *probes = NULL;
	char lib[PATH_MAX], libpath[PATH_MAX], absout[PATH_MAX], manifest[PATH_MAX];
	int i, quiet = 0, status, execpipe[2];
	pid_t pid;
	sigset_t fwd, entry_mask;
	siginfo_t si;
	struct stat st;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		int has_value = i + 1 < argc;
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!has_value && (!strcmp(a, "-o") || !strcmp(a, "--depth") ||
					  !strcmp(a, "--flush-ms") || !strcmp(a, "--probes") ||
					  !strcmp(a, "--runtime"))) {
			fprintf(stderr, "buftrace record: %s needs a value\n", a);
			return EXIT_USAGE;
		} else if (!strcmp(a, "-o")) {
			outdir = argv[++i];
		} else if (!strcmp(a, "--depth")) {
			if (set_num("BUFTRACE_DEPTH", argv[++i], a, 0, BT_MAX_DEPTH))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--flush-ms")) {
			if (set_num("BUFTRACE_FLUSH_MS", argv[++i], a, BT_FLUSH_MS_MIN, BT_FLUSH_MS_MAX))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--probes")) {
			probes = argv[++i];
			setenv("BUFTRACE_PROBES", probes, 1);
		} else if (!strcmp(a, "--runtime")) {
			const char *v = argv[++i];
			for (const char *p = v;;) {
				const char *e = strchr(p, ',');
				size_t n = e ? (size_t)(e - p) : strlen(p);
				if (bt_runtime_by_name(p, n) < 0) {
					fprintf(stderr, "buftrace record: --runtime: unknown runtime '%.*s' (tt-metal, opencl, vulkan)\n",
						(int)n, p);
					return EXIT_USAGE;
				}
				if (!e)
					break;
				p = e + 1;
			}
			setenv("BUFTRACE_RUNTIMES", v, 1);
		} else if (!strcmp(a, "--no-python")) {
			setenv("BUFTRACE_PYTHON", "0", 1);
		} else if (!strcmp(a, "--quiet")) {
			quiet = 1;
		} else if (a[0] == '-') {
			fprintf(stderr, "buftrace record: unknown option '%s'\n", a);
			usage(stderr);
			return EXIT_USAGE;
		} else {
			break;
		}
	}
	if (i >= argc) {
		fprintf(stderr, "buftrace record: no command to run\n");
		usage(stderr);
		return EXIT_USAGE;
	}
	/* like uftrace record -d: the directory and its parents */
	if (make_dirs(outdir) || !realpath(outdir, absout)) {
		if (errno == ENOTDIR && !stat(outdir, &st))
			fprintf(stderr, "buftrace record: %s: not a directory\n", outdir);
		else
			fprintf(stderr, "buftrace record: cannot create directory %s: %s\n", outdir, strerror(errno));
		return EXIT_USAGE;
	}
	libdir = bt_libdir();
	/* Allocation probes live in a library of their own, so that a
	 * process recorded without them has no interposed malloc at all. */
	if (probes && strstr(probes, "malloc"))
		libname = "libbuftrace-malloc.so";
	snprintf(libpath, sizeof libpath, "%s/%s", libdir ? libdir : ".", libname);
	if (access(libpath, R_OK) || !realpath(libpath, lib)) {
		fprintf(stderr, "buftrace record: %s: recorder library not found\n", libpath);
		return EXIT_BAD_INPUT;
	}
	{
		const char *old = getenv("LD_PRELOAD");
		size_t n = strlen(lib) + (old ? strlen(old) : 0) + 2;
		char *pre = malloc(n);
		if (!pre)
			return EXIT_BAD_INPUT;
		snprintf(pre, n, "%s%s%s", lib, old && *old ? ":" : "", old && *old ? old : "");
		setenv("LD_PRELOAD", pre, 1);
		free(pre);
	}
	vulkan_layer(lib, probes && strstr(probes, "malloc"));
	/* From here on every way out removes the manifest.  The signals we
	 * pass on wait, blocked, until there is a child to pass them to. */
	forwarded_mask(&fwd);
	sigprocmask(SIG_BLOCK, &fwd, &entry_mask);
	if (make_manifest(manifest, sizeof manifest, absout) != 0) {
		fprintf(stderr, "buftrace record: cannot create a file in $TMPDIR, /tmp or %s: %s\n", absout,
			strerror(errno));
		return EXIT_BAD_INPUT;
	}
	setenv("BUFTRACE_OUTPUT", absout, 1);
	setenv("BUFTRACE_MANIFEST", manifest, 1);
	/* the child's word that exec failed (the pipe closes at a good exec):
	 * then that is the one line, not also "no trace written" */
	if (pipe2(execpipe, O_CLOEXEC) != 0) {
		fprintf(stderr, "buftrace record: pipe: %s\n", strerror(errno));
		unlink(manifest);
		return EXIT_BAD_INPUT;
	}
	{
		char file[PATH_MAX];
		if (!find_command(argv[i], file, sizeof file) && statically_linked(file))
			fprintf(stderr, "buftrace record: %s is statically linked: the recorder cannot be loaded into "
					"it, and nothing it does is recorded (programs it runs still are)\n", file);
	}
	catch_signals();
	pid = fork();
	if (pid == 0) {
		int err;
		close(execpipe[0]);
		restore_signals(&entry_mask);
		execvp(argv[i], argv + i);
		err = errno;
		fprintf(stderr, "buftrace record: cannot run %s: %s\n", argv[i], strerror(err));
		if (write(execpipe[1], &err, sizeof err) < 0)
			err = errno;
		_exit(err == ENOENT ? 127 : 126); /* as a shell: not found, or found and not runnable */
	}
	close(execpipe[1]);
	if (pid < 0) {
		fprintf(stderr, "buftrace record: fork: %s\n", strerror(errno));
		close(execpipe[0]);
		unlink(manifest);
		return EXIT_BAD_INPUT;
	}
	child = pid;
	sigprocmask(SIG_SETMASK, &entry_mask, NULL);
	/* Wait without reaping: while CMD is a zombie its pid cannot be
	 * reused, so a signal forwarded late still reaches nothing else. */
	while (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOWAIT) < 0 && errno == EINTR)
		;
	sigprocmask(SIG_BLOCK, &fwd, NULL);
	child = 0;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	{
		int err;
		ssize_t n;
		while ((n = read(execpipe[0], &err, sizeof err)) < 0 && errno == EINTR)
			;
		close(execpipe[0]);
		if (n == (ssize_t)sizeof err)
			unlink(manifest); /* CMD never ran: nothing to list */
		else
			list_traces(manifest, absout, quiet);
	}
	if (WIFSIGNALED(status)) {
		/* die the same way, so a caller sees what the shell would */
		struct rlimit no_core = { 0, 0 };
		sigset_t one;
		setrlimit(RLIMIT_CORE, &no_core); /* the child already dumped, if it could */
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		sigemptyset(&one);
		sigaddset(&one, WTERMSIG(status));
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
