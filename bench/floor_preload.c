/* The floor of `make bench`: a preload whose malloc does nothing but
 * __libc_malloc and one unw_backtrace (per-thread libunwind cache, as the
 * recorder uses), free nothing but __libc_free: what a stack per
 * allocation costs before anything is recorded. */
#define UNW_LOCAL_ONLY
#include <libunwind.h>
#include <stddef.h>

extern void *__libc_malloc(size_t);
extern void __libc_free(void *);
/* initial-exec, as the recorder's own: a floor that paid __tls_get_addr
 * twice a malloc would flatter everything measured against it */
static _Thread_local int busy __attribute__((tls_model("initial-exec")));
static int set;
volatile unsigned long floor_frames;

void *malloc(size_t n)
{
	void *p = __libc_malloc(n);
	if (!busy) {
		void *ips[80];
		busy = 1;
		if (!set) {
			unw_set_caching_policy(unw_local_addr_space, UNW_CACHE_PER_THREAD);
			set = 1;
		}
		floor_frames += (unsigned long)unw_backtrace(ips, 80);
		busy = 0;
	}
	return p;
}

void free(void *p)
{
	__libc_free(p);
}
