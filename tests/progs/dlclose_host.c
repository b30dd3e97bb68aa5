/* dlclose_host: the Python-style host, but it unloads the runtime before
 * exiting: the report must still symbolize frames of the unloaded objects.
 * usage: dlclose_host FIXTURE_DIR */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv)
{
	char path[4096];
	void *h;
	int (*open_mesh)(int), (*work)(int), (*close_mesh)(void);
	if (argc < 2)
		return 2;
	snprintf(path, sizeof path, "%s/_ttnn.so", argv[1]);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 1;
	open_mesh = (int (*)(int))dlsym(h, "ttnn_open_mesh");
	work = (int (*)(int))dlsym(h, "ttnn_run_workload");
	close_mesh = (int (*)(void))dlsym(h, "ttnn_close_mesh");
	if (!open_mesh || !work || !close_mesh || open_mesh(2) || work(1) || close_mesh())
		return 1;
	if (dlclose(h))
		return 1;
	printf("unloaded\n");
	return 0;
}
