/* forkmalloc: fork while other threads allocate (t_rel_fork_probes.sh).
 * 4 threads malloc and free without pause while main forks N children
 * (default 50); each child allocates and frees 1000 blocks, keeps 7
 * (keep_in_child, 7 x 77 bytes) and exits 0.  A child that deadlocks is
 * killed by its alarm and reported.  Prints "forkmalloc: ok". */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_int stop;
static void *volatile sink;

static void *hammer(void *arg)
{
	size_t base = (size_t)arg;
	void *held[64] = { 0 };
	for (unsigned i = 0; !atomic_load(&stop); i++) {
		unsigned k = i % 64;
		free(held[k]);
		held[k] = malloc(base + i % 300);
		sink = held[k];
	}
	for (int k = 0; k < 64; k++)
		free(held[k]);
	return NULL;
}

__attribute__((noinline)) static void keep_in_child(void)
{
	for (int i = 0; i < 7; i++)
		sink = malloc(77);
}

int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 50, bad = 0;
	pthread_t th[4];
	for (int i = 0; i < 4; i++)
		pthread_create(&th[i], NULL, hammer, (void *)(size_t)(16 + 8 * i));
	usleep(2000);
	for (int i = 0; i < n; i++) {
		pid_t pid = fork();
		if (pid == 0) {
			alarm(10); /* a deadlock becomes a SIGALRM death */
			for (int j = 0; j < 1000; j++) {
				void *p = malloc((size_t)j + 1);
				sink = p;
				free(p);
			}
			keep_in_child();
			exit(0);
		}
		/* a child stuck inside fork() never reaches its alarm */
		int st = 0, w = 0;
		for (int t = 0; pid > 0 && t < 1000 && (w = waitpid(pid, &st, WNOHANG)) == 0; t++)
			usleep(10000);
		if (pid > 0 && w == 0) {
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			printf("forkmalloc: child %d deadlocked in fork\n", i);
			bad = 1;
		} else if (pid < 0 || w != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
			printf("forkmalloc: child %d status %#x%s\n", i, st,
			       WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM ? " (deadlocked)" : "");
			bad = 1;
		}
	}
	atomic_store(&stop, 1);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	printf("forkmalloc: %s\n", bad ? "FAILED" : "ok");
	return bad;
}
