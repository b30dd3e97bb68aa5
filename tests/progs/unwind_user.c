/* unwind_user: an application with its own use of libunwind (linked
 * -lunwind: the same libunwind.so.8 as the recorder's), unwinding from
 * main and from threads around calls into the fixture runtime
 * (t_rel_unwind.sh).  usage: unwind_user FIXTURE_DIR */
#define UNW_LOCAL_ONLY
#include <dlfcn.h>
#include <libunwind.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static int depth_backtrace(void)
{
	void *ips[64];
	return unw_backtrace(ips, 64);
}

static int depth_steps(void)
{
	unw_context_t uc;
	unw_cursor_t c;
	int n = 0;
	unw_getcontext(&uc);
	if (unw_init_local(&c, &uc) < 0)
		return -1;
	while (n < 64 && unw_step(&c) > 0)
		n++;
	return n;
}

static __attribute__((noinline)) int nested(int k)
{
	return k ? nested(k - 1) + 0 * depth_steps() : depth_backtrace();
}

static void *worker(void *arg)
{
	int *ok = arg;
	for (int i = 0; i < 200; i++)
		if (nested(3) < 5 || depth_steps() < 2)
			*ok = 0;
	return NULL;
}

int main(int argc, char **argv)
{
	char path[4096];
	void *h;
	int (*open_mesh)(int), (*work)(int), (*close_mesh)(void), ok = 1, tok = 1;
	long (*churn)(long, int);
	pthread_t th;
	if (argc < 2)
		return 2;
	unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_GLOBAL);
	int d0 = nested(3), s0 = depth_steps();
	snprintf(path, sizeof path, "%s/_ttnn.so", argv[1]);
	h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return 2;
	*(void **)&open_mesh = dlsym(h, "ttnn_open_mesh");
	*(void **)&work = dlsym(h, "ttnn_run_workload");
	*(void **)&close_mesh = dlsym(h, "ttnn_close_mesh");
	*(void **)&churn = dlsym(h, "ttnn_churn");
	if (!open_mesh || !work || !close_mesh || !churn || open_mesh(2))
		return 2;
	pthread_create(&th, NULL, worker, &tok);
	for (int i = 0; i < 20; i++) {
		if (work(1) || churn(200, 2) != 200)
			return 3;
		if (nested(3) != d0 || depth_steps() != s0)
			ok = 0;
	}
	pthread_join(th, NULL);
	if (close_mesh())
		return 3;
	printf("unwind_user: depth %d/%d, %s\n", d0, s0, ok && tok ? "unwinding unchanged" : "UNWINDING BROKEN");
	return ok && tok ? 0 : 1;
}
