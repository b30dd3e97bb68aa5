/* trace_format.c - names and documentation of every record and field.
 * The writer and reader code follow these tables; the doc is checked
 * against them by tests/t_trace_format_doc.sh. */
#include "trace_format.h"

#define END { 0, 0, 0 }

static const struct bt_field_desc header_fields[] = {
	{ "pid", BT_F_UVAR, "process id" },
	{ "ppid", BT_F_UVAR, "parent process id" },
	{ "start_realtime_ns", BT_F_UVAR, "CLOCK_REALTIME at trace start, ns since the epoch" },
	{ "start_monotonic_ns", BT_F_UVAR, "CLOCK_MONOTONIC at trace start; event timestamps use this clock" },
	{ "clock", BT_F_STR, "name of the event clock (\"CLOCK_MONOTONIC\")" },
	{ "exe", BT_F_STR, "path of the executable (/proc/self/exe)" },
	{ "cmdline", BT_F_BYTES, "command line, arguments separated by NUL bytes" },
	{ "hostname", BT_F_STR, "host name" },
	{ "tracer_version", BT_F_STR, "buftrace version that wrote the trace" },
	{ "depth", BT_F_UVAR, "maximum backtrace depth" },
	{ "flush_ms", BT_F_UVAR, "periodic flush interval in ms" },
	END
};

static const struct bt_field_desc module_load_fields[] = {
	{ "module_id", BT_F_UVAR, "id, unique within the trace" },
	{ "bias", BT_F_UVAR, "load bias: runtime address minus ELF virtual address" },
	{ "lo", BT_F_UVAR, "lowest runtime address of its PT_LOAD segments" },
	{ "hi", BT_F_UVAR, "one past the highest runtime address" },
	{ "build_id", BT_F_BYTES, "GNU build-id (may be empty)" },
	{ "path", BT_F_STR, "file path as the loader reports it (executable: /proc/self/exe target)" },
	{ "seq", BT_F_UVAR, "global event sequence number when it was seen" },
	END
};

static const struct bt_field_desc module_unload_fields[] = {
	{ "module_id", BT_F_UVAR, "id of a MODULE_LOAD record" },
	{ "seq", BT_F_UVAR, "global event sequence number when it was seen gone" },
	END
};

static const struct bt_field_desc hook_info_fields[] = {
	{ "hook_id", BT_F_UVAR, "id used by events" },
	{ "flags", BT_F_UVAR, "1 = scoped (entry and exit events), 2 = libc probe, 4 = recorded after the call returned (else at entry)" },
	{ "name", BT_F_STR, "canonical name, e.g. \"Buffer::create@address\"" },
	{ "fields", BT_F_STR, "comma-separated names of the event arguments" },
	END
};

static const struct bt_field_desc hook_resolved_fields[] = {
	{ "hook_id", BT_F_UVAR, "id of a HOOK_INFO record" },
	{ "module_id", BT_F_UVAR, "object that defines the function" },
	{ "how", BT_F_UVAR, "1 = interposed by symbol name, 2 = matched by demangled name, relocation slots rewritten" },
	{ "symbol", BT_F_STR, "mangled symbol name" },
	END
};

static const struct bt_field_desc stack_fields[] = {
	{ "stack_id", BT_F_UVAR, "id used by events; ids start at 1, 0 means no stack" },
	{ "ips", BT_F_IPS, "uvar count, then each return address as a zigzag delta from the previous one (the first from 0), innermost first" },
	END
};

static const struct bt_field_desc events_fields[] = {
	{ "tid", BT_F_UVAR, "kernel thread id of every event in the chunk" },
	{ "first_seq", BT_F_UVAR, "sequence number of the first event" },
	{ "first_ts", BT_F_UVAR, "CLOCK_MONOTONIC ns of the first event" },
	{ "events", BT_F_BYTES, "events to the end of the payload, each as in the event table" },
	END
};

static const struct bt_field_desc hook_stats_fields[] = {
	{ "count", BT_F_UVAR, "number of pairs that follow" },
	{ "pairs", BT_F_BYTES, "count times: uvar hook_id, uvar times the hook fired" },
	END
};

static const struct bt_field_desc thread_fields[] = {
	{ "tid", BT_F_UVAR, "kernel thread id" },
	{ "name", BT_F_STR, "thread name (comm) when first seen" },
	END
};

static const struct bt_field_desc lost_fields[] = {
	{ "count", BT_F_UVAR, "events dropped" },
	{ "reason", BT_F_STR, "why" },
	END
};

static const struct bt_field_desc pystack_fields[] = {
	{ "pystack_id", BT_F_UVAR, "id used by events with the PYSTACK flag" },
	{ "frames", BT_F_BYTES,
	  "uvar count, then per frame innermost first: str file, str function, uvar line; a stack the recorder cut "
	  "(at 128 frames) ends with a frame of empty file, function `...` and line 0" },
	END
};

static const struct bt_field_desc end_fields[] = {
	{ "events", BT_F_UVAR, "events written by this process" },
	{ "last_seq", BT_F_UVAR, "next unused sequence number" },
	END
};

static const struct bt_field_desc unrecorded_fields[] = {
	{ "cause", BT_F_UVAR, "1 = made in a signal handler that interrupted the recorder on the same thread (it cannot record them: they would wait for itself)" },
	{ "count", BT_F_UVAR, "calls of this cause since the previous UNRECORDED record of it" },
	END
};

static const struct bt_field_desc stack_cut_fields[] = {
	{ "stack_id", BT_F_UVAR, "the STACK written just before: its walk reached the depth limit (--depth, BUFTRACE_DEPTH), "
				 "so outer frames may be missing; a cut stack never shares its id with a whole one of the same frames" },
	END
};

const struct bt_record_desc bt_records[BT_REC_KIND_MAX] = {
	[BT_REC_HEADER] = { "HEADER", "first record: who was traced", header_fields },
	[BT_REC_MODULE_LOAD] = { "MODULE_LOAD", "an ELF object mapped into the process", module_load_fields },
	[BT_REC_MODULE_UNLOAD] = { "MODULE_UNLOAD", "an object seen unmapped", module_unload_fields },
	[BT_REC_HOOK_INFO] = { "HOOK_INFO", "one hook the tracer knows", hook_info_fields },
	[BT_REC_HOOK_RESOLVED] = { "HOOK_RESOLVED", "a hook's function found in a loaded object", hook_resolved_fields },
	[BT_REC_STACK] = { "STACK", "an interned native backtrace, written once before its first use", stack_fields },
	[BT_REC_EVENTS] = { "EVENTS", "a chunk of consecutive events of one thread", events_fields },
	[BT_REC_HOOK_STATS] = { "HOOK_STATS", "how often each hook fired", hook_stats_fields },
	[BT_REC_THREAD] = { "THREAD", "a thread's name", thread_fields },
	[BT_REC_LOST] = { "LOST", "events the tracer could not record", lost_fields },
	[BT_REC_PYSTACK] = { "PYSTACK", "an interned Python stack", pystack_fields },
	[BT_REC_END] = { "END", "the process finished writing: the trace is complete", end_fields },
	[BT_REC_UNRECORDED] = { "UNRECORDED", "hooked calls let through without an event: their number, written with the flushes", unrecorded_fields },
	[BT_REC_STACK_CUT] = { "STACK_CUT", "a stack cut short: the frames beyond the depth limit were not recorded", stack_cut_fields },
};

const struct bt_field_desc bt_event_fields[] = {
	{ "hook_id", BT_F_UVAR, "hook that fired (HOOK_INFO)" },
	{ "flags", BT_F_UVAR, "1 = exit (after return), 2 = failed (exception), 4 = unknown argument layout, 8 = Python stack follows, 16 = entry-only (a hook matched by demangled name: no exit event follows), 32 = made by a Python thread that had released the GIL (ctypes.CDLL, a binding's gil_scoped_release): its Python stack cannot be read" },
	{ "dseq", BT_F_UVAR, "sequence number minus the previous event's in the chunk (first: minus first_seq)" },
	{ "dts", BT_F_UVAR, "timestamp minus the previous event's in the chunk (first: minus first_ts)" },
	{ "stack_id", BT_F_UVAR, "STACK id, 0 if none" },
	{ "pystack_id", BT_F_UVAR, "PYSTACK id; present only with flag 8" },
	{ "nargs", BT_F_UVAR, "number of arguments that follow" },
	{ "args", BT_F_UVAR, "nargs values named by the hook's fields, pointers as integers; from version 3 each is written as svar(value - the previous value of the same argument of the same hook in this EVENTS record, 0 at its start), versions 1 and 2 wrote the value itself (version 1 wrote malloc and free probe events this way: ptr,size and ptr)" },
	END
};

const struct bt_op_desc bt_ops[BT_OP_END_ - BT_OP_FIRST] = {
	{ "MALLOC", "uvar stack_id, uvar size", "an allocation; its block number is the chunk's next, which then grows by one" },
	{ "MALLOC_SAME", "uvar size", "as MALLOC, with the stack of this chunk's previous MALLOC" },
	{ "FREE", "uvar zigzag(next - block)", "a free of the block numbered next - delta (next: the chunk's next block number)" },
	{ "FREE_RAW", "uvar address", "a free of an address the recorder never saw allocated (before the start, in another process)" },
	{ "FREE_STACK", "uvar stack_id, uvar zigzag(next - block)", "FREE with the caller's stack (BUFTRACE_PROBES=malloc,free-stacks)" },
	{ "FREE_RAW_STACK", "uvar stack_id, uvar address", "FREE_RAW with the caller's stack" },
	{ "BLOCKS", "uvar next", "the thread's next block number; first in a chunk before any other probe event, and where the thread starts a new range" },
	{ "TIME", "uvar dts", "the chunk's clock moves on by dts ns (probe events read the clock every 64th event of a thread)" },
	[BT_OP_FREE_NEAR - BT_OP_FIRST] = { "FREE_NEAR", "opcode 0x68 + h (h < 8), one byte l", "FREE of block next - (h * 256 + l) - 1: one of the chunk's 2048 newest, in 2 bytes" },
	[BT_OP_MALLOC_SMALL - BT_OP_FIRST] = { "MALLOC_SMALL", "opcode 0x70 + h (h < 16), one byte l", "MALLOC_SAME of size h * 256 + l (under 4096), in 2 bytes" },
};

const char *bt_buffer_type_name(uint64_t type)
{
	static const char *const names[] = { "DRAM", "L1", "SYSTEM_MEMORY", "L1_SMALL", "TRACE" };
	return type < sizeof names / sizeof names[0] ? names[type] : "UNKNOWN";
}
