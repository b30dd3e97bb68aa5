/* settings.h - the recorder's numeric settings: defaults and the ranges
 * both sides enforce.  `buftrace record` refuses a flag outside its range
 * (exit 2); the recorder clamps an environment variable into it and says
 * so once (preload/config.c).  README's configuration table lists them. */
#ifndef BT_SETTINGS_H
#define BT_SETTINGS_H

#define BT_MAX_DEPTH 256          /* frames per backtrace: BUFTRACE_DEPTH, --depth */
#define BT_DEPTH_DEFAULT 64
#define BT_FLUSH_MS_MIN 10        /* BUFTRACE_FLUSH_MS, --flush-ms: below this the */
#define BT_FLUSH_MS_MAX 60000     /* flusher costs, above it a kill loses too much */
#define BT_FLUSH_MS_DEFAULT 1000
#define BT_ZSTD_LEVEL_MIN 1       /* BUFTRACE_ZSTD_LEVEL */
#define BT_ZSTD_LEVEL_MAX 19
#define BT_ZSTD_LEVEL_DEFAULT 1   /* on compact probe events faster and smaller than 3 */

#endif
