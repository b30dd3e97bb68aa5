/* dynlib.c - libzstd and libunwind, loaded when recording starts (dynlib.h). */
#include <dlfcn.h>
#include <stdio.h>
#include "dynlib.h"
#include "recorder.h"

struct bt_zstd_api bt_zstd;
struct bt_unw_api bt_unw;
int bt_unw_ok;

#ifdef BT_DYNLIB_LINKED
int bt_dynlibs_load(const char **why, const char **warn)
{
	(void)why;
	*warn = NULL;
	if (!bt_zstd.createCCtx) {
		bt_zstd = (struct bt_zstd_api){ ZSTD_createCCtx, ZSTD_freeCCtx, ZSTD_CCtx_setParameter,
						ZSTD_compressStream2, ZSTD_isError };
		bt_unw = (struct bt_unw_api){ unw_backtrace, unw_tdep_getcontext, unw_init_local, unw_step,
					      unw_get_reg, unw_flush_cache, unw_set_caching_policy,
					      &unw_local_addr_space };
		bt_unw_ok = 1;
	}
	return 0;
}
#else
/* dlsym into a table slot: a function's address, as a data pointer */
#define SYM(h, slot, name) (*(void **)&(slot) = dlsym(h, name))

int bt_dynlibs_load(const char **why, const char **warn)
{
	static int done;
	static char reason[512], unw_reason[512];
	void *z, *u;
	*warn = NULL;
	if (done)
		return 0;
	z = dlopen("libzstd.so.1", RTLD_NOW | RTLD_LOCAL);
	if (!z || !SYM(z, bt_zstd.createCCtx, "ZSTD_createCCtx") || !SYM(z, bt_zstd.freeCCtx, "ZSTD_freeCCtx") ||
	    !SYM(z, bt_zstd.CCtx_setParameter, "ZSTD_CCtx_setParameter") ||
	    !SYM(z, bt_zstd.compressStream2, "ZSTD_compressStream2") || !SYM(z, bt_zstd.isError, "ZSTD_isError")) {
		/* the loader's reason: not installed, too old, or a process
		 * with no descriptor left to open it with */
		const char *e = dlerror();
		snprintf(reason, sizeof reason, "cannot load libzstd.so.1 (1.4 or later) to compress: %s",
			 e ? e : "not found");
		*why = reason;
		return -1;
	}
	u = dlopen("libunwind.so.8", RTLD_NOW | RTLD_LOCAL);
	bt_unw_ok = u && SYM(u, bt_unw.backtrace, "unw_backtrace") &&
		    SYM(u, bt_unw.getcontext, "_Ux86_64_getcontext") &&
		    SYM(u, bt_unw.init_local, "_ULx86_64_init_local") && SYM(u, bt_unw.step, "_ULx86_64_step") &&
		    SYM(u, bt_unw.get_reg, "_ULx86_64_get_reg") && SYM(u, bt_unw.flush_cache, "_Ux86_64_flush_cache") &&
		    SYM(u, bt_unw.set_caching_policy, "_ULx86_64_set_caching_policy") &&
		    SYM(u, bt_unw.local_addr_space, "_ULx86_64_local_addr_space");
	if (!bt_unw_ok) {
		const char *e = dlerror();
		snprintf(unw_reason, sizeof unw_reason,
			 "cannot load libunwind.so.8 (%s): stacks are cut where the recorder's own walker stops",
			 e ? e : "not found");
		*warn = unw_reason;
	}
	done = 1; /* (said once: not loaded again) */
	return 0;
}
#endif
