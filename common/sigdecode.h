/* sigdecode.h - where a hook's fields are in a call, read from the hooked
 * symbol's own mangled parameter list (Itanium C++ ABI, x86-64 SysV).
 *
 * A hook says in common/hooks.def what each of its fields is *by type*
 * ("the IDevice* parameter", "the second unsigned long", "the BufferType",
 * "the result through the hidden pointer"); this module parses the
 * parameter types of one mangled name, assigns them to argument slots the
 * way the x86-64 SysV ABI does, and returns a layout: per field, which slot
 * holds it and how to read it.  It runs once per symbol, when the symbol
 * is resolved (recorder) or listed (`buftrace hooks`), never per call.
 *
 * A field whose place cannot be derived with certainty (an unknown
 * by-value class before it, a type the parser does not know) makes the
 * layout unknown: the recorder then records the call without a payload
 * (BT_EV_UNKNOWN), never a guessed register.
 *
 * Argument slots: 0..5 are rdi, rsi, rdx, rcx, r8, r9; 6.. are the
 * eightbytes of the caller's stack arguments, in order. */
#ifndef BT_SIGDECODE_H
#define BT_SIGDECODE_H

#include <stddef.h>
#include <stdint.h>

#define BT_LAYOUT_FIELDS 8
#define BT_ARG_SLOTS 16 /* 6 registers + 10 stack eightbytes */

enum bt_src {
	BT_SRC_NONE = 0, /* not located */
	BT_SRC_WORD,     /* a[slot] (pointer, reference, 64-bit integer) */
	BT_SRC_INT,      /* (int64_t)(int32_t)a[slot] (int, ChipId) */
	BT_SRC_U32,      /* (uint32_t)a[slot] (an enum) */
	BT_SRC_RESULT,   /* *(uint64_t *)a[slot] once the call returned (the
	                  * element pointer of a std::shared_ptr returned by
	                  * value through the hidden pointer); 0 before */
	BT_SRC_DEREF,    /* *(uint64_t *)a[slot]: the element pointer of a
	                  * `const std::shared_ptr<T>&` argument */
	BT_SRC_OPT_WORD, /* std::optional<uint64_t> in slots slot, slot+1:
	                  * the value when engaged, else UINT64_MAX */
	BT_SRC_MESH_ID,  /* MeshDevice::id() of field `arg` (the recorder asks
	                  * the runtime), UINT64_MAX when not asked */
	BT_SRC_CHIP_ID,  /* IDevice::id() of field `arg` through its vtable,
	                  * when that is safe; UINT64_MAX otherwise */
	/* C entry points (profiles/): */
	BT_SRC_RET,      /* the value returned (rax) once the call returned; 0 before */
	BT_SRC_RET_INT,  /* the same as an int (a cl_int status) */
	BT_SRC_DEREF_AT, /* *(uint64_t *)(a[slot] + arg): a word of a struct
	                  * passed by pointer, read at entry; 0 for NULL */
	BT_SRC_PRODUCT,  /* (uint32_t)a[slot] * (uint32_t)a[arg] */
	BT_SRC_UNKNOWN,  /* not provided by this entry point: UINT64_MAX */
};

struct bt_field_src {
	uint8_t src;  /* enum bt_src */
	uint8_t slot; /* argument slot */
	uint8_t arg;  /* MESH_ID/CHIP_ID: the field they apply to */
};

struct bt_layout {
	uint8_t nfields;
	uint8_t known;   /* every field located: the payload can be recorded */
	uint8_t picked;  /* the hook's `pick:` condition holds (or it has none) */
	/* every parameter read and placed: a trampoline may call the function
	 * itself (copying its nstack stack eightbytes) to see it return */
	uint8_t callable;
	uint8_t nstack;
	struct bt_field_src f[BT_LAYOUT_FIELDS];
	char why[96];    /* when !known: what could not be located, and why */
};


/* Build the layout of `spec` (a hook's decoding, see hooks.def) for the
 * mangled function name `sym`.  Returns 0 (layout filled, known or not),
 * or -1 when `sym` is not a mangled function name the parser reads at all
 * (out->why says so). */
int bt_layout_build(const char *spec, const char *sym, struct bt_layout *out);

/* The same for a C entry point: `spec` names its parameters (profiles/:
 * NAME, NAME:u32, NAME->OFFSET, A*B, return, return:int, unknown) in the
 * declaration `decl` ("cl_mem clCreateBuffer(cl_context context, ...)"),
 * every parameter of which is a pointer, handle or integer (one argument
 * slot each, in order); a float or double parameter, or a by-value
 * struct, makes the layout unknown.  Returns 0, or -1 when decl does not
 * parse. */
int bt_layout_build_c(const char *spec, const char *decl, struct bt_layout *out);

/* The qualified name of a mangled function ("tt::tt_metal::Buffer::create"),
 * inline namespaces dropped.  Returns 0, or -1 if it is not one. */
int bt_sig_qualified(const char *sym, char *out, size_t outsz);

/* The vtable symbol of the class `sym` is a member of ("_ZTVN2tt8tt_metal6DeviceE"
 * for any Device member).  Returns 0, or -1 when the class prefix cannot be spelled from `sym`. */
int bt_sig_vtable_name(const char *sym, char *out, size_t outsz);

/* One line saying where each field comes from ("device=rsi size=rdx ...")
 * or why the layout is unknown.  `fields` is the hook's field list;
 * entry_only: the symbol is matched by name (only its entry is seen, so
 * results are not). */
void bt_layout_describe(const struct bt_layout *l, const char *fields, int entry_only, char *out, size_t outsz);

#endif
