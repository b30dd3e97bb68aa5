/* hook_table.h - the hooks as data: ids, names, field lists, the exact
 * mangled aliases libbuftrace.so exports, and matching of any mangled name
 * by its demangled qualified name (so a renamed parameter type in a new
 * tt-metal release is still recognised).  Shared by the recorder and by
 * `buftrace hooks`. */
#ifndef BT_HOOK_TABLE_H
#define BT_HOOK_TABLE_H

#include <stddef.h>
#include "trace_format.h"

/* How the arguments of a hooked call are decoded (x86-64 SysV registers
 * a0..a9 in order; a0 is the hidden result pointer for functions that
 * return std::shared_ptr by value). */
enum bt_form {
	FORM_UNKNOWN,         /* layout unknown: record the call, no payload */
	FORM_THIS,            /* a0 */
	FORM_THIS_ARG,        /* a0, a1 */
	FORM_THIS_INT,        /* a0, (int)a1 */
	FORM_RESULT_THIS,     /* *(void **)a0 after the call, a1 */
	FORM_BUF_CREATE,      /* *(void **)a0, a1 dev, a2 size, a3 page, a4 type */
	FORM_BUF_CREATE_AT,   /* *(void **)a0, a1 dev, a2 addr, a3 size, a4 page, a5 type */
	FORM_MESH_RESULT,     /* *(void **)a0, MeshDevice::id() */
	FORM_MESH_RESULT_INT, /* *(void **)a0, id(), (int)a1 */
	FORM_MESH_THIS,       /* a0, MeshDevice::id() */
	FORM_SHARED_PTR_ARG,  /* *(void **)a0 */
};

enum bt_hook_id {
#define HOOK(id, name, qual, flags, fields, form) BT_HOOK_##id,
#define ALIAS(id, form, sym)
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
	enum bt_form form;     /* decoding when matched by name only */
};

struct bt_alias_def {
	enum bt_hook_id hook;
	enum bt_form form;
	const char *symbol;
};

extern const struct bt_hook_def bt_hooks[BT_HOOK_COUNT];
extern const struct bt_alias_def bt_aliases[];
extern const size_t bt_alias_count;

/* Demangle the qualified-name part of an Itanium mangled function name
 * ("_ZN2tt8tt_metal6Buffer6createE..." -> "tt::tt_metal::Buffer::create"),
 * dropping inline namespaces such as v0 and std::__1.  Returns a pointer
 * to the parameter encoding that follows, or NULL if `sym` is not such a
 * name.  `out` always gets a NUL-terminated string. */
const char *bt_demangle_qualified(const char *sym, char *out, size_t outsz);

/* Which hook a mangled name belongs to.  Exact aliases first; otherwise
 * by qualified name, choosing the form from the leading parameter types
 * when they are recognisable and FORM_UNKNOWN when they are not (never
 * guess a register layout).  Returns 0 and fills hook and form, or -1. */
int bt_match_symbol(const char *sym, enum bt_hook_id *hook, enum bt_form *form, int *exact);

#endif
