/* forkstack: a fork child whose first allocation has exactly the stack of
 * its parent's last one (same call site, same depth): the child's trace
 * must still carry that stack (tests/t_unwind_walker.sh).  Each process
 * keeps the block it allocated last; both exit 0. */
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile kept[4];
static volatile int two = 2; /* a loop the compiler cannot unroll into two call sites */

__attribute__((noinline)) static void *alloc_here(size_t n)
{
	void *p = malloc(n);
	__asm__ volatile("" : : "r"(p) : "memory");
	return p;
}

int main(void)
{
	pid_t child = -1;
	for (int i = 0; i < two; i++) {
		kept[i] = alloc_here(40 + (size_t)i);
		if (i == 0) {
			child = fork();
			if (child < 0)
				return 1;
		}
	}
	if (child > 0) {
		int st;
		if (waitpid(child, &st, 0) != child || !WIFEXITED(st) || WEXITSTATUS(st))
			return 1;
	}
	return 0;
}
