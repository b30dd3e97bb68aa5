/* cmd_record.c - `buftrace record [OPTIONS] -- CMD [ARGS...]`
 *
 * Runs CMD with libbuftrace.so (libbuftrace-malloc.so with --probes
 * malloc) preloaded, passes CMD's exit status (or
 * its fatal signal) through unchanged, and lists on stderr the trace files
 * that CMD and all of its children wrote: each traced process appends its
 * file name to a manifest that we create and remove. */
#include <errno.h>
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

static void usage(FILE *f)
{
	fprintf(f,
		"usage: buftrace record [-o DIR] [--depth N] [--flush-ms N] [--probes malloc]\n"
		"                       [--no-python] [--quiet] -- CMD [ARGS...]\n"
		"  -o DIR         write traces into DIR (default: current directory)\n"
		"  --depth N      frames per backtrace (default 64, 0 = none)\n"
		"  --flush-ms N   flush interval: a killed process loses at most this (default 1000)\n"
		"  --probes LIST  also trace libc allocations: malloc (malloc, free, new, delete...;\n"
		"                 preloads libbuftrace-malloc.so), malloc,free-stacks (stacks on free too)\n"
		"  --no-python    native stacks only, no Python frames\n"
		"  --quiet        do not list the trace files\n");
}

static int set_num(const char *var, const char *val, const char *opt)
{
	char *end;
	long v = strtol(val, &end, 10);
	if (!*val || *end || v < 0 || v > 1000000) {
		fprintf(stderr, "buftrace record: %s needs a number, got '%s'\n", opt, val);
		return -1;
	}
	setenv(var, val, 1);
	return 0;
}

int cmd_record(int argc, char **argv)
{
	const char *outdir = ".", *libdir, *libname = "libbuftrace.so", *probes = NULL;
	char lib[PATH_MAX], libpath[PATH_MAX], absout[PATH_MAX], manifest[] = "/tmp/buftrace-manifest-XXXXXX";
	int i, quiet = 0, status, mfd;
	pid_t pid;
	struct stat st;

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			usage(stdout);
			return EXIT_OK;
		} else if (!strcmp(a, "-o") && i + 1 < argc) {
			outdir = argv[++i];
		} else if (!strcmp(a, "--depth") && i + 1 < argc) {
			if (set_num("BUFTRACE_DEPTH", argv[++i], a))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--flush-ms") && i + 1 < argc) {
			if (set_num("BUFTRACE_FLUSH_MS", argv[++i], a))
				return EXIT_USAGE;
		} else if (!strcmp(a, "--probes") && i + 1 < argc) {
			probes = argv[++i];
			setenv("BUFTRACE_PROBES", probes, 1);
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
	if (stat(outdir, &st) || !S_ISDIR(st.st_mode) || !realpath(outdir, absout)) {
		fprintf(stderr, "buftrace record: %s: not a directory\n", outdir);
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
	mfd = mkstemp(manifest);
	if (mfd < 0) {
		fprintf(stderr, "buftrace record: cannot create %s: %s\n", manifest, strerror(errno));
		return EXIT_BAD_INPUT;
	}
	close(mfd);
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
	setenv("BUFTRACE_OUTPUT", absout, 1);
	setenv("BUFTRACE_MANIFEST", manifest, 1);

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	pid = fork();
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		execvp(argv[i], argv + i);
		fprintf(stderr, "buftrace record: cannot run %s: %s\n", argv[i], strerror(errno));
		_exit(127);
	}
	if (pid < 0) {
		fprintf(stderr, "buftrace record: fork: %s\n", strerror(errno));
		unlink(manifest);
		return EXIT_BAD_INPUT;
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	{
		/* list the traces, and remember them as the last run's for a
		 * bare `buftrace report` in that directory */
		FILE *m = fopen(manifest, "r"), *last = NULL;
		char line[PATH_MAX + 2], lastp[PATH_MAX + 32], tmp[PATH_MAX + 40];
		int n = 0;
		snprintf(lastp, sizeof lastp, "%s/buftrace.last", absout);
		snprintf(tmp, sizeof tmp, "%s.%d", lastp, (int)getpid());
		while (m && fgets(line, sizeof line, m)) {
			if (!quiet)
				fprintf(stderr, "%s %s", n ? "                " : "buftrace: trace", line);
			if (!n++)
				last = fopen(tmp, "w");
			if (last)
				fputs(line, last);
		}
		if (!n && !quiet)
			fprintf(stderr, "buftrace: no trace written (the program never reached a hooked function)\n");
		if (m)
			fclose(m);
		if (last && (fclose(last) != 0 || rename(tmp, lastp) != 0))
			unlink(tmp);
	}
	unlink(manifest);
	if (WIFSIGNALED(status)) {
		/* die the same way, so a caller sees what the shell would */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core); /* the child already dumped, if it could */
		signal(WTERMSIG(status), SIG_DFL);
		raise(WTERMSIG(status));
		return 128 + WTERMSIG(status);
	}
	return WEXITSTATUS(status);
}
