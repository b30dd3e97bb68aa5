/* trace_format.h - the on-disk buftrace trace, shared by writer and reader.
 *
 * A trace file is a sequence of zstd frames; their concatenated output is
 * the record stream specified in docs/trace-format.md:
 *
 *     "BUFTRACE"  u32le version  record*
 *     record  := u8 kind, uvar length, length bytes of payload
 *
 * Every integer inside a payload is a LEB128 varint (varint.h) unless the
 * table says otherwise; a string is uvar length + bytes (no NUL).  Readers
 * skip records of unknown kind by their length, so new kinds can be added
 * without a version bump; changing an existing payload bumps BT_VERSION.
 *
 * The tables in trace_format.c are the single source of truth for record
 * and field names: `buftrace dump` prints with them and
 * tests/t_trace_format_doc.sh checks that docs/trace-format.md agrees. */
#ifndef BT_TRACE_FORMAT_H
#define BT_TRACE_FORMAT_H

#include <stdint.h>

#define BT_MAGIC "BUFTRACE"
#define BT_MAGIC_LEN 8
#define BT_VERSION 3          /* 2: compact probe events (below); 3: delta-coded arguments */
/* Version 3: a hook event's arguments in an EVENTS record are zigzag
 * deltas from the previous value of the same hook's same argument in that
 * record (0 at its start): a pointer that repeats (a device, an allocator,
 * a buffer address malloc hands out again) takes one byte instead of six
 * or seven.  Hence at most BT_DELTA_HOOKS hook ids and BT_DELTA_ARGS
 * arguments an event. */
#define BT_DELTA_HOOKS 256
#define BT_DELTA_ARGS 8
#define BT_VERSION_MIN 1      /* oldest a reader still reads */
/* Largest payload a reader accepts: anything bigger is damage, not data. */
#define BT_MAX_RECORD (64u << 20)

enum bt_record_kind {
	BT_REC_HEADER = 1,       /* process identity, first record of a file */
	BT_REC_MODULE_LOAD = 2,  /* a loaded ELF object */
	BT_REC_MODULE_UNLOAD = 3,
	BT_REC_HOOK_INFO = 4,    /* a hook: id, name, payload field names */
	BT_REC_HOOK_RESOLVED = 5,/* a hook found in a loaded object */
	BT_REC_STACK = 6,        /* an interned native backtrace */
	BT_REC_EVENTS = 7,       /* a chunk of one thread's events */
	BT_REC_HOOK_STATS = 8,   /* per-hook fire counts, at the end */
	BT_REC_THREAD = 9,       /* thread id -> name */
	BT_REC_LOST = 10,        /* events dropped (tracer gave up) */
	BT_REC_PYSTACK = 11,     /* an interned Python stack */
	BT_REC_END = 12,         /* clean end of trace */
	BT_REC_UNRECORDED = 13,  /* hooked calls let through without an event */
	BT_REC_STACK_CUT = 14,   /* a STACK's walk stopped at the depth limit */
	BT_REC_KIND_MAX,
	/* never a record kind: 'B' where a record starts is the "BUFTRACE"
	 * of the next trace in a concatenated file */
	BT_REC_RESERVED_MAGIC = 'B'
};

/* Why calls went unrecorded (UNRECORDED cause). */
enum {
	BT_UNREC_SIGNAL = 1, /* made in a signal handler that interrupted the recorder on its thread */
};

/* Event flags (EVENTS chunk, per event). */
enum {
	BT_EV_EXIT = 1 << 0,     /* after the call returned (else: at entry) */
	BT_EV_FAILED = 1 << 1,   /* the call was left by a C++ exception */
	BT_EV_UNKNOWN = 1 << 2,  /* name matched but argument layout unknown: no payload */
	BT_EV_PYSTACK = 1 << 3,  /* a Python stack id follows the native one */
	BT_EV_ENTRY_ONLY = 1 << 4, /* matched by name: no exit event will follow */
	BT_EV_NO_GIL = 1 << 5,   /* a Python thread that had released the GIL: no Python stack */
	/* reader side only, never on disk: args[0] is a block number (compact
	 * probe events), not an address */
	BT_EV_BLOCK = 1 << 6,
};

/* Compact probe events (version 2).  An event inside an EVENTS chunk whose
 * first varint is one of these opcodes, instead of a hook id, is a libc
 * allocation probe event in a short form.  They carry no sequence number:
 * each allocation gets a block number instead, and a free names the block
 * it releases, so that matching frees to allocations needs no order across
 * threads.  State is per chunk and starts empty: the first probe event of
 * a chunk is preceded by BT_OP_BLOCKS.
 *
 *   BT_OP_MALLOC       stack, size     block = next++
 *   BT_OP_MALLOC_SAME  size            stack = this chunk's previous malloc's
 *   BT_OP_FREE         zigzag(next - block)
 *   BT_OP_FREE_RAW     address         a block the recorder never saw allocated
 *   BT_OP_FREE_STACK   stack, zigzag(next - block)    (free-stacks)
 *   BT_OP_FREE_RAW_STACK stack, address
 *   BT_OP_BLOCKS       next            the thread's next block number
 *   BT_OP_TIME         dts             the chunk's clock moves on
 *   BT_OP_FREE_NEAR + h, one byte l     FREE of block next - (h << 8 | l) - 1
 *                                      (the 2048 newest blocks: 2 bytes)
 *   BT_OP_MALLOC_SMALL + h, one byte l  MALLOC_SAME of size h << 8 | l
 *                                      (under 4 KiB: 2 bytes)
 *
 * Hook ids stay below BT_OP_FIRST (a reader treats an id in the opcode
 * range as an opcode). */
enum bt_op {
	BT_OP_FIRST = 0x60,
	BT_OP_MALLOC = BT_OP_FIRST,
	BT_OP_MALLOC_SAME,
	BT_OP_FREE,
	BT_OP_FREE_RAW,
	BT_OP_FREE_STACK,
	BT_OP_FREE_RAW_STACK,
	BT_OP_BLOCKS,
	BT_OP_TIME,
	BT_OP_FREE_NEAR = 0x68,    /* 8 opcodes: 0x68..0x6f */
	BT_OP_MALLOC_SMALL = 0x70, /* 16 opcodes: 0x70..0x7f */
	BT_OP_END_ = 0x80
};

/* Hook flags (HOOK_INFO). */
enum {
	BT_HOOK_SCOPED = 1 << 0, /* records an entry and an exit event */
	BT_HOOK_PROBE = 1 << 1,  /* a libc allocation probe, not a runtime hook */
	BT_HOOK_AT_EXIT = 1 << 2,/* recorded once, after the call returned */
};

/* How a HOOK_RESOLVED hook is reached. */
enum {
	BT_RESOLVE_INTERPOSED = 1, /* our exported symbol of the same name wins */
	BT_RESOLVE_PATCHED = 2,    /* matched by demangled name, slots rewritten */
};

enum bt_field_type { BT_F_UVAR, BT_F_SVAR, BT_F_STR, BT_F_BYTES, BT_F_U32LE, BT_F_IPS };

struct bt_field_desc {
	const char *name;
	enum bt_field_type type;
	const char *doc;
};

struct bt_record_desc {
	const char *name;
	const char *doc;
	const struct bt_field_desc *fields; /* NULL-name terminated */
};

/* Indexed by enum bt_record_kind; entries of unused kinds have name NULL. */
extern const struct bt_record_desc bt_records[BT_REC_KIND_MAX];

/* The fields of one event inside an EVENTS chunk, in order. */
extern const struct bt_field_desc bt_event_fields[];

/* The compact probe opcodes, indexed by op - BT_OP_FIRST: name and layout. */
struct bt_op_desc {
	const char *name;
	const char *fields;
	const char *doc;
};
extern const struct bt_op_desc bt_ops[BT_OP_END_ - BT_OP_FIRST]; /* names NULL: not in use */

/* Buffer types as tt-metal numbers them. */
const char *bt_buffer_type_name(uint64_t type);

#endif
