/* dynlib.h - libzstd and libunwind, reached through these tables.
 *
 * libbuftrace.so is preloaded into every process of a recorded run, most
 * of which never call a runtime (a shell, a compiler, pyenv's shims):
 * mapping libzstd, libunwind and liblzma into each cost 0.6 ms of its
 * start (docs/performance.md, the eighth pass), and put their names in the
 * program's global scope.  So libbuftrace.so loads them (RTLD_LOCAL) when
 * a process starts recording, in bt_start under its lock, where the
 * loader is already used (the module scan).  libbuftrace-malloc.so, whose
 * every process records from its first allocation (perhaps one the loader
 * makes, where no dlopen may run), links them and fills the tables from
 * its own references (built with BT_DYNLIB_LINKED). */
#ifndef BT_DYNLIB_H
#define BT_DYNLIB_H
#include <zstd.h>
#define UNW_LOCAL_ONLY
#include <libunwind.h>

struct bt_zstd_api {
	ZSTD_CCtx *(*createCCtx)(void);
	size_t (*freeCCtx)(ZSTD_CCtx *);
	size_t (*CCtx_setParameter)(ZSTD_CCtx *, ZSTD_cParameter, int);
	size_t (*compressStream2)(ZSTD_CCtx *, ZSTD_outBuffer *, ZSTD_inBuffer *, ZSTD_EndDirective);
	unsigned (*isError)(size_t);
};
struct bt_unw_api {
	int (*backtrace)(void **, int);
	int (*getcontext)(unw_context_t *);
	int (*init_local)(unw_cursor_t *, unw_context_t *);
	int (*step)(unw_cursor_t *);
	int (*get_reg)(unw_cursor_t *, unw_regnum_t, unw_word_t *);
	void (*flush_cache)(unw_addr_space_t, unw_word_t, unw_word_t);
	int (*set_caching_policy)(unw_addr_space_t, unw_caching_policy_t);
	unw_addr_space_t *local_addr_space;
};
/* Filled (every pointer) once bt_dynlibs_load returned 0; libunwind's
 * only if bt_unw_ok (without it, walks our walker gives up on are cut
 * where it gave up). */
extern struct bt_zstd_api bt_zstd;
extern struct bt_unw_api bt_unw;
extern int bt_unw_ok;
/* 0, or -1 with the reason in *why (libzstd missing: no trace can be
 * written).  On the first success *warn says why libunwind could not be
 * loaded, or is NULL: the caller says it once its trace is made (a
 * process with no descriptor left would otherwise hear two reasons, one
 * of them for a recording that never started).  Idempotent. */
int bt_dynlibs_load(const char **why, const char **warn);
#endif
