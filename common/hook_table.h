/* hook_table.h - the hooks as data: ids, names, field lists, the exact
 * mangled aliases libbuftrace.so exports, and matching of any mangled name
 * by its demangled qualified name (so a renamed parameter type in a new
 * tt-metal release is still recognised).  Shared by the recorder and by
 * `buftrace hooks`. */
#ifndef BT_HOOK_TABLE_H
#define BT_HOOK_TABLE_H

#include <stddef.h>
#include "sigdecode.h"
#include "trace_format.h"

enum bt_hook_id {
#define HOOK(id, name, qual, flags, fields, decode) BT_HOOK_##id,
#define ALIAS(id, sym)
#include "hooks.def"
#undef HOOK
#undef ALIAS
	BT_HOOK_RUNTIME_COUNT,
	/* libc allocation probes (buftrace record --probes malloc) */
	BT_HOOK_MALLOC = BT_HOOK_RUNTIME_COUNT,
	BT_HOOK_FREE,
	BT_HOOK_COUNT
};

struct bt_hook_def {
	const char *name;      /* canonical name, used by the analyzer */
	const char *qualified; /* demangled qualified name */
	unsigned flags;        /* BT_HOOK_* */
	const char *fields;    /* comma-separated argument names */
	const char *decode;    /* where each field is, by type (hooks.def) */
};

struct bt_alias_def {
	enum bt_hook_id hook;
	const char *symbol;
};

extern const struct bt_hook_def bt_hooks[BT_HOOK_COUNT];
extern const struct bt_alias_def bt_aliases[];
extern const size_t bt_alias_count;

/* Which hook a mangled name belongs to, and where that symbol's
 * arguments put the hook's fields.  Exact aliases first; otherwise by
 * qualified name (inline namespaces dropped).  Either way the layout is
 * read from the symbol's own parameter list (common/sigdecode.c); a field
 * it cannot locate with certainty leaves layout->known 0 (record the call
 * without payload, never guess a register).  Runs once per symbol, not
 * per call.  Returns 0 and fills hook, layout and exact, or -1. */
int bt_match_symbol(const char *sym, enum bt_hook_id *hook, struct bt_layout *layout, int *exact);

#endif
