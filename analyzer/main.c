/* main.c - `buftrace SUBCOMMAND ...`: dispatch only. */
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buftrace.h"

const char *bt_prog = "buftrace";

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *help;
} cmds[] = {
	{ "record", cmd_record, "run a command under the recorder" },
	{ "report", cmd_report, "buffers alive after their device closed, and who created them" },
	{ "diff", cmd_diff, "compare the survivors of two runs" },
	{ "dump", cmd_dump, "every record of a trace, raw" },
	{ "hooks", cmd_hooks, "which hooks resolve in a tt-metal build" },
};

static void usage(FILE *f)
{
	fprintf(f, "usage: buftrace COMMAND [ARGS]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		fprintf(f, "  %-8s %s\n", cmds[i].name, cmds[i].help);
	fprintf(f, "\n`buftrace COMMAND --help` for each; see also man buftrace.\n");
}

/* The library lives in ../lib/buftrace relative to bin/buftrace, both in
 * the build tree and in an installed prefix. */
const char *bt_libdir(void)
{
	static char dir[PATH_MAX];
	char exe[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return NULL;
	exe[n] = 0;
	snprintf(dir, sizeof dir, "%.*s/../lib/buftrace", PATH_MAX - 20, dirname(exe));
	return dir;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return EXIT_OK;
	}
	if (!strcmp(argv[1], "--version")) {
		printf("buftrace %s\n", BUFTRACE_VERSION);
		return EXIT_OK;
	}
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
		if (!strcmp(argv[1], cmds[i].name))
			return cmds[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "buftrace: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return EXIT_USAGE;
}
