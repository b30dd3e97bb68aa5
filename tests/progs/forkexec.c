/* forkexec: drives the fixture through dlopen like host_dlopen, then
 * forks (the child keeps tracing into its own file) and execs itself
 * (the new image traces into another file).
 * usage: forkexec FIXTURE_DIR [stage]   stage: main (default) | exec */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int run(const char *dir, int iterations)
{
	char path[4096];
	void *h;
	int (*open_mesh)(int), (*work)(int), (*close_mesh)(void);
	snprintf(path, sizeof path, "%s/_ttnn.so", dir);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		fprintf(stderr, "forkexec: %s\n", dlerror());
		return 1;
	}
	open_mesh = (int (*)(int))dlsym(h, "ttnn_open_mesh");
	work = (int (*)(int))dlsym(h, "ttnn_run_workload");
	close_mesh = (int (*)(void))dlsym(h, "ttnn_close_mesh");
	if (!open_mesh || !work || !close_mesh)
		return 1;
	if (iterations == 1) {
		/* fork before the mesh exists: its dispatch threads would not
		 * survive into the child */
		pid_t pid = fork();
		int st;
		if (pid == 0)
			_exit(open_mesh(1) || work(1) || close_mesh() ? 1 : 0);
		waitpid(pid, &st, 0);
		if (!WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	if (open_mesh(2) || work(iterations))
		return 1;
	return close_mesh();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	if (argc > 2 && !strcmp(argv[2], "exec"))
		return run(argv[1], 3) ? 1 : 5;
	if (run(argv[1], 1))
		return 1;
	execl("/proc/self/exe", argv[0], argv[1], "exec", (char *)NULL);
	return 1;
}
