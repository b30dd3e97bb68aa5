/* config.c - read the BUFTRACE_* environment once, at load time.
 * getenv is all we do here: a process that never reaches a hook must pay
 * nothing, so files, threads and handlers wait for bt_start().  A number
 * out of its range (common/settings.h) is clamped into it, one that is no
 * number gives the default; bt_config_say tells which, once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include "recorder.h"

struct bt_config bt_cfg;

/* What was wrong with the environment, said by bt_config_say once the
 * process records: a process that never does stays silent. */
static char bad_setting[8][160];
static int n_bad;
static atomic_int said;

static int env_int(const char *name, int def, int lo, int hi)
{
	const char *s = getenv(name);
	char *end;
	long v;
	if (!s || !*s)
		return def;
	v = strtol(s, &end, 10);
	if (*end || end == s) {
		if (n_bad < 8)
			snprintf(bad_setting[n_bad++], sizeof bad_setting[0],
				 "buftrace: %s=%.32s is not a number; using %d", name, s, def);
		return def;
	}
	if (v >= lo && v <= hi)
		return (int)v;
	if (n_bad < 8)
		snprintf(bad_setting[n_bad++], sizeof bad_setting[0],
			 "buftrace: %s=%.32s is out of range %d..%d; using %d", name, s, lo, hi,
			 v < lo ? lo : hi);
	return v < lo ? lo : hi;
}

void bt_config_say(void)
{
	if (atomic_exchange(&said, 1))
		return;
	for (int i = 0; i < n_bad; i++)
		bt_log("%s", bad_setting[i]);
}

static void env_str(const char *name, char *out, size_t n, const char *def)
{
	const char *s = getenv(name);
	if (!s || !*s)
		s = def;
	if (strlen(s) >= n)
		s = def;
	strcpy(out, s);
}

void bt_config_load(void)
{
	const char *probes = getenv("BUFTRACE_PROBES");

	/* Secure-exec (setuid/setgid/capabilities): never write files on
	 * behalf of a privileged image. */
	bt_cfg.disabled = getauxval(AT_SECURE) != 0 || env_int("BUFTRACE_DISABLE", 0, 0, 1);
	env_str("BUFTRACE_OUTPUT", bt_cfg.outdir, sizeof bt_cfg.outdir, ".");
	env_str("BUFTRACE_MANIFEST", bt_cfg.manifest, sizeof bt_cfg.manifest, "");
	bt_cfg.depth = env_int("BUFTRACE_DEPTH", BT_DEPTH_DEFAULT, 0, BT_MAX_DEPTH);
	bt_cfg.flush_ms = env_int("BUFTRACE_FLUSH_MS", BT_FLUSH_MS_DEFAULT, BT_FLUSH_MS_MIN, BT_FLUSH_MS_MAX);
	bt_cfg.zstd_level = env_int("BUFTRACE_ZSTD_LEVEL", BT_ZSTD_LEVEL_DEFAULT, BT_ZSTD_LEVEL_MIN,
				    BT_ZSTD_LEVEL_MAX);
	bt_cfg.python = env_int("BUFTRACE_PYTHON", 1, 0, 1);
	bt_cfg.debug = env_int("BUFTRACE_DEBUG", 0, 0, 1);
	bt_cfg.unwind_global = getenv("BUFTRACE_UNWIND_CACHE") && !strcmp(getenv("BUFTRACE_UNWIND_CACHE"), "global");
	bt_cfg.unwind_libunwind = getenv("BUFTRACE_UNWIND") && !strcmp(getenv("BUFTRACE_UNWIND"), "libunwind");
	bt_cfg.clock_system = getenv("BUFTRACE_CLOCK") && !strcmp(getenv("BUFTRACE_CLOCK"), "system");
	bt_cfg.probe_malloc = probes && strstr(probes, "malloc") != NULL;
	/* Hooks to leave unrecorded, by canonical name: to reproduce what a
	 * build that inlines those calls shows, and to narrow a trace. */
	const char *off = getenv("BUFTRACE_HOOKS_OFF");
	/* BUFTRACE_RUNTIMES (record --runtime): the other runtimes' hooks off */
	const char *rts = getenv("BUFTRACE_RUNTIMES");
	if (rts && *rts) {
		unsigned char want[BT_RT_COUNT] = { 0 };
		for (const char *p = rts;;) {
			const char *e = strchr(p, ',');
			size_t n = e ? (size_t)(e - p) : strlen(p);
			int rt = bt_runtime_by_name(p, n);
			if (rt >= 0)
				want[rt] = 1;
			if (!e)
				break;
			p = e + 1;
		}
		for (int h = 0; h < BT_HOOK_RUNTIME_COUNT; h++)
			if (!want[bt_hooks[h].runtime])
				bt_cfg.hook_off[h] = 1;
	}
	for (int h = 0; off && h < BT_HOOK_COUNT; h++) {
		size_t n = strlen(bt_hooks[h].name);
		for (const char *p = off; (p = strstr(p, bt_hooks[h].name)); p += n)
			if ((p == off || p[-1] == ',') && (p[n] == ',' || p[n] == 0))
				bt_cfg.hook_off[h] = 1;
	}
}
