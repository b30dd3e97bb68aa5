/* execargs: the execl family with many arguments (t_rel_exec_args.sh).
 *   execargs execl|execlp|execle  exec `execargs count x x ... x` (5000 x)
 *                                 through that function; execle with the
 *                                 environment {EXECARGS_ENV=execle}
 *   execargs count ARGS...        print argc, EXECARGS_ENV and how many
 *                                 arguments after "count" are not "x" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define X10 "x", "x", "x", "x", "x", "x", "x", "x", "x", "x"
#define X100 X10, X10, X10, X10, X10, X10, X10, X10, X10, X10
#define X1000 X100, X100, X100, X100, X100, X100, X100, X100, X100, X100
#define X5000 X1000, X1000, X1000, X1000, X1000

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";
	if (!strcmp(mode, "count")) {
		int bad = 0;
		const char *env = getenv("EXECARGS_ENV");
		for (int i = 2; i < argc; i++)
			bad += strcmp(argv[i], "x") != 0;
		printf("argc=%d env=%s bad=%d\n", argc, env ? env : "(none)", bad);
		return 0;
	}
	/* make the recorder start first, where a hooked call starts it */
	free(malloc(100));
	if (!strcmp(mode, "execl")) {
		execl(argv[0], argv[0], "count", X5000, (char *)NULL);
	} else if (!strcmp(mode, "execlp")) {
		execlp(argv[0], argv[0], "count", X5000, (char *)NULL);
	} else if (!strcmp(mode, "execle")) {
		char *envp[] = { "EXECARGS_ENV=execle", NULL };
		execle(argv[0], argv[0], "count", X5000, (char *)NULL, envp);
	} else {
		return 2;
	}
	perror("exec");
	return 127;
}
