/* trace_reader.h - stream the records of one trace file.
 *
 * Contract: memory stays bounded by the largest record; every record
 * before the first damaged byte is delivered; damage (truncation, a bad
 * zstd frame, an impossible length, a newer format) ends the stream with
 * a one-line message "FILE: offset N: what" available from tr_error().
 * A truncated EVENTS chunk is delivered with `partial` set so that the
 * events it still holds are not lost. */
#ifndef BT_TRACE_READER_H
#define BT_TRACE_READER_H

#include <stddef.h>
#include <stdint.h>
#include "hook_table.h"
#include "trace_format.h"

struct tr_record {
	int kind;
	const uint8_t *p, *end; /* payload */
	uint64_t offset;        /* of the record in the decompressed stream */
	int partial;            /* payload cut short by damage */
	unsigned version;       /* the format version of the trace it is in */
};

struct tr_event {
	uint32_t tid;
	uint64_t seq, ts;
	uint32_t hook;
	unsigned flags;
	uint32_t stack, pystack;
	int nargs;
	uint64_t args[16];
};

struct tr_events {
	const uint8_t *p, *end;
	uint32_t tid;
	uint64_t seq, ts;
	int started;
	/* compact probe events: the chunk's block numbering */
	int have_blocks;
	uint64_t next_block;
	uint32_t malloc_stack;
	/* version 3's argument deltas: each hook's last arguments in this
	 * record, a row valid once its drow is set (cleared by tr_events_begin) */
	int delta;
	uint8_t drow[BT_DELTA_HOOKS];
	uint64_t dprev[BT_DELTA_HOOKS][BT_DELTA_ARGS];
};

/* Compact probe events are delivered with hook = BT_TR_PROBE_HOOK + the
 * analyzer's own hook id (BT_HOOK_MALLOC, BT_HOOK_FREE), not a trace hook
 * id, and with BT_EV_BLOCK in flags when args[0] is a block number.  They
 * carry the seq of the chunk's previous event: their order across threads
 * is not recorded and not needed. */
#define BT_TR_PROBE_HOOK 0x8000u

struct trace_reader;

/* NULL on failure with the message in err. */
struct trace_reader *tr_open(const char *path, char *err, size_t errlen);
/* 1: a record; 0: clean end of file; -1: damage (see tr_error);
 * TR_NEXT_TRACE: the stream holds another trace from here on (files
 * concatenated, `cat a.zst b.zst > c.zst`): its "BUFTRACE" and version
 * were read and checked, rec->offset is where they start, and the records
 * that follow are the next process's.  A caller never merges the two. */
#define TR_NEXT_TRACE 2
int tr_next(struct trace_reader *r, struct tr_record *rec);
const char *tr_error(const struct trace_reader *r);
/* The error is only that the file ends inside a zstd frame, after whole
 * records: a trace cut short, or one its process is still writing (the
 * recorder flushes, but ends the frame only when the process ends). */
int tr_cut_at_end(const struct trace_reader *r);
/* Report damage found while decoding a record's payload. */
void tr_fail(struct trace_reader *r, uint64_t offset, const char *what);
/* compressed bytes read so far and the file size, for progress lines */
void tr_progress(const struct trace_reader *r, uint64_t *done, uint64_t *total);
void tr_close(struct trace_reader *r);

/* Payload field helpers: return 0 on success, -1 if the payload is short. */
int tr_uvar(const uint8_t **p, const uint8_t *end, uint64_t *v);
int tr_str(const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *n);

/* Check a record whose payload is the flat field list of its table entry
 * in common/trace_format.c: 0 if every field parses, -1 if not; 0 for
 * kinds with other layouts (EVENTS, STACK, ...) and unknown kinds. */
int tr_validate(const struct tr_record *rec);

/* Events of an EVENTS record. 1: an event, 0: end, -1: malformed. */
int tr_events_begin(struct tr_events *it, const struct tr_record *rec);
int tr_events_next(struct tr_events *it, struct tr_event *ev);

#endif
