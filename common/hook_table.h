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

/* The runtimes buftrace knows (a profile each): tt-metal's hooks are
 * hooks.def with its own model; every other runtime is a profile file of
 * C entry points (profiles/NAME.def) or a layer (Vulkan), whose calls the
 * model reads through each hook's action alone. */
enum bt_runtime { BT_RT_TTMETAL, BT_RT_OPENCL, BT_RT_VULKAN, BT_RT_COUNT };

struct bt_runtime_def {
	const char *name;        /* --runtime NAME: "tt-metal", "opencl", "vulkan" */
	const char *device_word; /* what a device is called: "chip", "cl_context", "VkDevice" */
	const char *object_word; /* its objects: "buffer", "memory object", "object" */
	/* the report's words: an object the program did not let go of is
	 * `still` ("still referenced", "not destroyed") when the close call
	 * `closing` the device ("released the last reference to",
	 * "destroyed"); a device never closed was never `closed`; an object
	 * let go of later was `released` */
	const char *still, *closing, *closed, *released;
};
extern const struct bt_runtime_def bt_runtimes[BT_RT_COUNT];
/* The runtime named (case-insensitive, "ttmetal" too), or -1. */
int bt_runtime_by_name(const char *name, size_t len);

/* What a profile hook's call means to the model.  Fields by name: obj,
 * device, size, parent, status (a call whose status is not 0 changed
 * nothing), memory (BIND: the memory object bound). */
enum bt_action {
	BT_ACT_NONE,        /* tt-metal's hooks: the model knows each by id */
	BT_ACT_DEV_OPEN,    /* a device (context) made, count 1 */
	BT_ACT_DEV_RETAIN,  /* its count + 1 */
	BT_ACT_DEV_RELEASE, /* its count - 1; at 0 the program let go of it: closed */
	BT_ACT_DEV_DESTROY, /* closed at once */
	BT_ACT_OBJ_CREATE,  /* an object made on device (or on parent's), count 1 */
	BT_ACT_OBJ_RETAIN,
	BT_ACT_OBJ_RELEASE, /* count - 1; at 0 released */
	BT_ACT_OBJ_DESTROY, /* released at once */
	BT_ACT_OBJ_BIND,    /* obj is bound to the memory object `memory` */
	BT_ACT_OBJ_SIZE,    /* obj's size learnt later (`size`), where its create
	                     * did not give it: kept when it was unknown */
	BT_ACT_LOOKUP,      /* returns the entry point named `name` (an extension
	                     * function): the recorder hands out its trampoline
	                     * when a profile records that name */
};

enum bt_hook_id {
#define HOOK(id, name, qual, flags, fields, decode) BT_HOOK_##id,
#define ALIAS(id, sym)
#include "hooks.def"
#undef HOOK
#undef ALIAS
#define CHOOK(id, name, flags, action, kind, fields, decode, decl) BT_HOOK_##id,
#include "profiles/opencl.def"
#undef CHOOK
#define LHOOK(id, name, flags, action, kind, fields) BT_HOOK_##id,
#include "profiles/vulkan.def"
#undef LHOOK
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
	const char *decode;    /* where each field is, by type (hooks.def) or
	                        * by parameter name (profiles/) */
	int runtime;           /* enum bt_runtime */
	int action;            /* enum bt_action */
	const char *kind;      /* the runtime's word for what it makes, or NULL */
	const char *decl;      /* a C entry point's declaration, or NULL */
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

/* A profile's C entry point named exactly `sym`: its hook, or -1.  Cheap
 * enough to ask of every exported name of every loaded object. */
int bt_c_hook(const char *sym);

/* The field of hook h named `name` ("obj", "size"...): its index, or -1. */
int bt_hook_field(int h, const char *name);

#endif
