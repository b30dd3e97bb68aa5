/* procname.c - the program's name in its trace file's name.
 *
 * glibc's program_invocation_short_name points into argv[0]'s memory: a
 * program that rewrites its argv in place (setproctitle: gunicorn, Ray,
 * celery) changes it under us, to anything, '/' and newlines included.
 * So the name is taken once, as early as the recorder runs (its
 * constructor, before main), and kept to characters that are safe in a
 * file name and in the manifest's one-path-a-line; a name with no letter
 * or digit left (empty, "..", all non-ASCII) gives way to the
 * executable's. */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include "recorder.h"

static char name[65];

/* 1 if s gave a usable name */
static int take(const char *s)
{
	size_t n = 0;
	int alnum = 0;
	for (; s && *s && n < sizeof name - 1; s++) {
		char c = *s;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		alnum |= ok;
		name[n++] = ok || c == '.' || c == '-' || c == '+' || c == '_' ? c : '_';
	}
	name[alnum ? n : 0] = 0;
	return alnum;
}

const char *bt_program_name(void)
{
	char exe[PATH_MAX];
	ssize_t n;
	if (name[0])
		return name;
	if (take(program_invocation_short_name))
		return name;
	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = 0;
	if (!take(strrchr(exe, '/') ? strrchr(exe, '/') + 1 : exe))
		strcpy(name, "program");
	return name;
}
