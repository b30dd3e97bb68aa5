/* trace_reader.c - see trace_reader.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>
#include "trace_format.h"
#include "trace_reader.h"
#include "varint.h"

struct trace_reader {
	char *path;
	int fd;
	ZSTD_DCtx *dctx;
	uint8_t *in;
	size_t in_pos, in_len, in_cap;
	uint64_t file_off;   /* compressed bytes consumed so far */
	uint64_t file_size;
	uint8_t *buf;        /* decompressed window */
	size_t start, len, cap;
	uint64_t base_off;   /* stream offset of buf[0] */
	int eof, failed, frame_open;
	unsigned version;    /* of the trace being read (files concatenated: each its own) */
	int out_full;        /* the last call filled the output: zstd may hold more */
	int cut_at_end;      /* the only damage: the file ends inside a frame */
	char err[512];
};

static void set_err(struct trace_reader *r, uint64_t off, const char *what)
{
	if (!r->failed)
		snprintf(r->err, sizeof r->err, "%s: offset %llu: %s", r->path, (unsigned long long)off, what);
	r->failed = 1;
}

void tr_fail(struct trace_reader *r, uint64_t offset, const char *what)
{
	set_err(r, offset, what);
}

int tr_cut_at_end(const struct trace_reader *r)
{
	return r->cut_at_end;
}

const char *tr_error(const struct trace_reader *r)
{
	return r->err[0] ? r->err : NULL;
}

void tr_progress(const struct trace_reader *r, uint64_t *done, uint64_t *total)
{
	*done = r->file_off;
	*total = r->file_size;
}

/* Decompress until `need` bytes are available from r->start or the input
 * ends.  Returns the bytes available. */
static size_t fill(struct trace_reader *r, size_t need)
{
	while (r->len - r->start < need && !r->eof && !r->failed) {
		ZSTD_outBuffer out;
		ZSTD_inBuffer in;
		size_t ret;

		if (r->start > 0 && (r->start > r->cap / 2 || r->cap - r->len < ZSTD_DStreamOutSize())) {
			memmove(r->buf, r->buf + r->start, r->len - r->start);
			r->len -= r->start;
			r->base_off += r->start;
			r->start = 0;
		}
		if (r->cap - r->len < ZSTD_DStreamOutSize() || r->cap < need + ZSTD_DStreamOutSize()) {
			size_t nc = r->cap * 2 > need * 2 ? r->cap * 2 : need * 2 + ZSTD_DStreamOutSize();
			uint8_t *nb = realloc(r->buf, nc);
			if (!nb) {
				set_err(r, r->base_off + r->len, "out of memory");
				break;
			}
			r->buf = nb;
			r->cap = nc;
		}
		/* All input may be taken in while decoded bytes still wait in
		 * zstd for room: read on only when none are left, else the end
		 * of the file would be met with a block or more undelivered. */
		if (r->in_pos == r->in_len && !r->out_full) {
			ssize_t n = read(r->fd, r->in, r->in_cap);
			if (n < 0) {
				char m[128];
				snprintf(m, sizeof m, "read error: %s", strerror(errno));
				set_err(r, r->file_off, m);
				break;
			}
			if (n == 0) {
				r->eof = 1;
				if (r->frame_open) {
					r->cut_at_end = !r->failed;
					set_err(r, r->base_off + r->len, "truncated: the file ends inside a zstd frame");
				}
				break;
			}
			r->in_pos = 0;
			r->in_len = (size_t)n;
		}
		in.src = r->in;
		in.size = r->in_len;
		in.pos = r->in_pos;
		out.dst = r->buf;
		out.size = r->cap;
		out.pos = r->len;
		ret = ZSTD_decompressStream(r->dctx, &out, &in);
		r->file_off += in.pos - r->in_pos;
		r->in_pos = in.pos;
		r->len = out.pos;
		r->out_full = out.pos == out.size;
		if (ZSTD_isError(ret)) {
			char m[200];
			snprintf(m, sizeof m, "corrupt compressed data near file byte %llu: %s",
				 (unsigned long long)r->file_off, ZSTD_getErrorName(ret));
			set_err(r, r->base_off + r->len, m);
			break;
		}
		r->frame_open = ret != 0;
	}
	return r->len - r->start;
}

/* The version after a "BUFTRACE" at buf[r->start + at]: 0 if readable,
 * else -1 with the message in err. */
static int check_version(struct trace_reader *r, size_t at, char *err, size_t errlen)
{
	const uint8_t *v = r->buf + at + BT_MAGIC_LEN;
	uint32_t ver = (uint32_t)v[0] | (uint32_t)v[1] << 8 | (uint32_t)v[2] << 16 | (uint32_t)v[3] << 24;
	if (ver >= BT_VERSION_MIN && ver <= BT_VERSION) {
		r->version = ver;
		return 0;
	}
	snprintf(err, errlen, "%s: offset %llu: trace format version %u, this buftrace reads versions %u to %u%s",
		 r->path, (unsigned long long)(r->base_off + at + BT_MAGIC_LEN), ver, BT_VERSION_MIN, BT_VERSION,
		 ver > BT_VERSION ? " (upgrade buftrace)" : "");
	return -1;
}

struct trace_reader *tr_open(const char *path, char *err, size_t errlen)
{
	struct trace_reader *r = calloc(1, sizeof *r);
	struct stat st;
	uint8_t head[BT_MAGIC_LEN + 4];

	if (!r) {
		snprintf(err, errlen, "%s: out of memory", path);
		return NULL;
	}
	r->path = strdup(path);
	/* O_NONBLOCK: a FIFO would wait here for a writer; it is refused
	 * below (for a regular file the flag changes nothing) */
	r->fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (r->fd < 0) {
		snprintf(err, errlen, "%s: cannot open: %s", path, strerror(errno));
		goto fail;
	}
	if (fstat(r->fd, &st) == 0 && !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		goto fail;
	}
	r->file_size = (uint64_t)st.st_size;
	/* (a /proc file says 0 and has bytes: the zstd check below says what it is) */
	if (st.st_size == 0 && pread(r->fd, head, 1, 0) != 1) {
		snprintf(err, errlen, "%s: offset 0: empty file", path);
		goto fail;
	}
	r->in_cap = ZSTD_DStreamInSize();
	r->in = malloc(r->in_cap);
	r->dctx = ZSTD_createDCtx();
	if (!r->in || !r->dctx || !r->path) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto fail;
	}
	if (pread(r->fd, head, 4, 0) != 4 || memcmp(head, "\x28\xb5\x2f\xfd", 4)) {
		snprintf(err, errlen, "%s: offset 0: not a buftrace trace (no zstd frame)", path);
		goto fail;
	}
	if (fill(r, sizeof head) < sizeof head || memcmp(r->buf, BT_MAGIC, BT_MAGIC_LEN)) {
		if (r->failed)
			snprintf(err, errlen, "%s", r->err);
		else
			snprintf(err, errlen, "%s: offset 0: not a buftrace trace (bad magic)", path);
		goto fail;
	}
	if (check_version(r, 0, err, errlen))
		goto fail;
	r->start = sizeof head;
	return r;
fail:
	tr_close(r);
	return NULL;
}

int tr_next(struct trace_reader *r, struct tr_record *rec)
{
	uint8_t hdr[1 + BT_UVAR_MAX];
	size_t avail, hlen;
	uint64_t len;
	const uint8_t *p;

	if (r->failed)
		return -1;
	avail = fill(r, sizeof hdr);
	if (avail == 0)
		return r->failed ? -1 : 0;
	rec->offset = r->base_off + r->start;
	rec->version = r->version;
	/* "BUFTRACE" where a record starts: the next trace of a concatenated
	 * file (kind 'B' is reserved for this, trace_format.h) */
	if (r->buf[r->start] == BT_MAGIC[0] && fill(r, BT_MAGIC_LEN + 4) >= BT_MAGIC_LEN + 4 &&
	    !memcmp(r->buf + r->start, BT_MAGIC, BT_MAGIC_LEN)) {
		if (check_version(r, r->start, r->err, sizeof r->err)) {
			r->failed = 1;
			return -1;
		}
		r->start += BT_MAGIC_LEN + 4;
		rec->version = r->version;
		rec->kind = 0;
		rec->p = rec->end = r->buf + r->start;
		rec->partial = 0;
		return TR_NEXT_TRACE;
	}
	avail = r->len - r->start;
	memcpy(hdr, r->buf + r->start, avail < sizeof hdr ? avail : sizeof hdr);
	rec->kind = hdr[0];
	p = bt_get_uvar(hdr + 1, hdr + (avail < sizeof hdr ? avail : sizeof hdr), &len);
	if (!p) {
		set_err(r, rec->offset, avail < sizeof hdr ? "truncated record header" : "malformed record length");
		return -1;
	}
	if (rec->kind == 0) {
		set_err(r, rec->offset, "invalid record kind 0");
		return -1;
	}
	if (len > BT_MAX_RECORD) {
		char m[128];
		snprintf(m, sizeof m, "record length %llu is absurd (limit %u)", (unsigned long long)len,
			 BT_MAX_RECORD);
		set_err(r, rec->offset, m);
		return -1;
	}
	hlen = (size_t)(p - hdr);
	avail = fill(r, hlen + len);
	rec->partial = avail < hlen + len;
	rec->p = r->buf + r->start + hlen;
	rec->end = rec->partial ? r->buf + r->len : rec->p + len;
	if (rec->partial) {
		if (!r->failed)
			set_err(r, rec->offset, "truncated record");
		r->start = r->len;
		/* only event chunks are worth delivering in part */
		return rec->kind == BT_REC_EVENTS ? 1 : -1;
	}
	r->start += hlen + len;
	return 1;
}

void tr_close(struct trace_reader *r)
{
	if (!r)
		return;
	if (r->fd >= 0)
		close(r->fd);
	ZSTD_freeDCtx(r->dctx);
	free(r->in);
	free(r->buf);
	free(r->path);
	free(r);
}

int tr_uvar(const uint8_t **p, const uint8_t *end, uint64_t *v)
{
	const uint8_t *q = bt_get_uvar(*p, end, v);
	if (!q)
		return -1;
	*p = q;
	return 0;
}

int tr_str(const uint8_t **p, const uint8_t *end, const uint8_t **s, size_t *n)
{
	uint64_t len;
	if (tr_uvar(p, end, &len) || len > (uint64_t)(end - *p))
		return -1;
	*s = *p;
	*n = (size_t)len;
	*p += len;
	return 0;
}

int tr_events_begin(struct tr_events *it, const struct tr_record *rec)
{
	uint64_t tid;
	it->p = rec->p;
	it->end = rec->end;
	it->started = 0;
	it->have_blocks = 0;
	it->next_block = 0;
	it->malloc_stack = 0;
	it->delta = rec->version >= 3;
	/* no row is this record's yet (256 bytes, not the 16 KiB of rows) */
	memset(it->drow, 0, sizeof it->drow);
	if (tr_uvar(&it->p, it->end, &tid) || tr_uvar(&it->p, it->end, &it->seq) ||
	    tr_uvar(&it->p, it->end, &it->ts))
		return -1;
	it->tid = (uint32_t)tid;
	return 0;
}

/* One varint of an event: most are a single byte, which this takes
 * without the general loop (the report spends much of its time here). */
#define EV_UVAR(p, end, out)                                        \
	do {                                                        \
		if ((p) < (end) && *(p) < 0x80) {                   \
			(out) = *(p)++;                             \
		} else if (!((p) = bt_get_uvar((p), (end), &(out)))) \
			return -1;                                  \
	} while (0)

/* A compact probe event (trace_format.h); its first varint, the opcode,
 * is read.  BLOCKS and TIME change the chunk's state and deliver nothing:
 * the caller reads on. */
static void probe_malloc(struct tr_events *it, struct tr_event *ev, uint64_t size)
{
	ev->hook = BT_TR_PROBE_HOOK + BT_HOOK_MALLOC;
	ev->flags = BT_EV_EXIT | BT_EV_BLOCK;
	ev->stack = it->malloc_stack;
	ev->args[0] = it->next_block++;
	ev->args[1] = size;
	ev->nargs = 2;
}

/* flags: BT_EV_BLOCK when what is a block number, 0 for an address */
static void probe_free(struct tr_event *ev, uint64_t what, unsigned flags)
{
	ev->hook = BT_TR_PROBE_HOOK + BT_HOOK_FREE;
	ev->flags = flags;
	ev->args[0] = what;
	ev->nargs = 1;
}

static int compact_event(struct tr_events *it, const uint8_t **pp, uint64_t op, struct tr_event *ev)
{
	const uint8_t *p = *pp, *end = it->end;
	uint64_t a = 0, b = 0;
	ev->nargs = 0;
	ev->stack = 0;
	ev->pystack = 0;
	switch (op) {
	case BT_OP_BLOCKS:
		EV_UVAR(p, end, a);
		it->next_block = a;
		it->have_blocks = 1;
		*pp = p;
		return 0;
	case BT_OP_TIME:
		EV_UVAR(p, end, a);
		it->ts += a;
		*pp = p;
		return 0;
	case BT_OP_MALLOC:
		EV_UVAR(p, end, a);
		if (a > UINT32_MAX)
			return -1;
		it->malloc_stack = (uint32_t)a;
		/* fall through */
	case BT_OP_MALLOC_SAME:
		EV_UVAR(p, end, b);
		if (!it->have_blocks)
			return -1;
		probe_malloc(it, ev, b);
		break;
	case BT_OP_FREE_STACK:
	case BT_OP_FREE_RAW_STACK:
		EV_UVAR(p, end, a);
		if (a > UINT32_MAX)
			return -1;
		ev->stack = (uint32_t)a;
		/* fall through */
	case BT_OP_FREE:
	case BT_OP_FREE_RAW:
		EV_UVAR(p, end, b);
		if (!it->have_blocks)
			return -1;
		if (op == BT_OP_FREE || op == BT_OP_FREE_STACK)
			probe_free(ev, it->next_block - (uint64_t)bt_unzigzag(b), BT_EV_BLOCK);
		else
			probe_free(ev, b, 0);
		break;
	default:
		if (op >= BT_OP_MALLOC_SMALL || (op >= BT_OP_FREE_NEAR && op < BT_OP_FREE_NEAR + 8)) {
			if (p >= end || !it->have_blocks)
				return -1;
			a = (op & (op >= BT_OP_MALLOC_SMALL ? 15 : 7)) << 8 | *p++;
			if (op >= BT_OP_MALLOC_SMALL)
				probe_malloc(it, ev, a);
			else
				probe_free(ev, it->next_block - a - 1, BT_EV_BLOCK);
			break;
		}
		return -1;
	}
	ev->tid = it->tid;
	ev->seq = it->seq;
	ev->ts = it->ts;
	*pp = p;
	return 1;
}

int tr_events_next(struct tr_events *it, struct tr_event *ev)
{
	uint64_t hook, flags, dseq, dts, stack, py = 0, nargs;
	const uint8_t *p = it->p, *end = it->end;
again:
	if (p >= end) {
		it->p = p;
		return 0;
	}
	EV_UVAR(p, end, hook);
	if (hook >= BT_OP_FIRST && hook < 0x80) {
		int rc = compact_event(it, &p, hook, ev);
		if (rc < 0)
			return -1;
		it->p = p;
		if (rc == 0)
			goto again;
		return 1;
	}
	EV_UVAR(p, end, flags);
	EV_UVAR(p, end, dseq);
	EV_UVAR(p, end, dts);
	EV_UVAR(p, end, stack);
	if (flags & BT_EV_PYSTACK)
		EV_UVAR(p, end, py);
	EV_UVAR(p, end, nargs);
	if (nargs > 16 || hook >= BT_TR_PROBE_HOOK || stack > UINT32_MAX)
		return -1;
	ev->nargs = (int)nargs;
	for (uint64_t i = 0; i < nargs; i++)
		EV_UVAR(p, end, ev->args[i]);
	if (it->delta && nargs) {
		/* version 3: deltas from the hook's previous arguments in this
		 * record (trace_format.h) */
		uint64_t *prev;
		if (hook >= BT_DELTA_HOOKS || nargs > BT_DELTA_ARGS)
			return -1;
		prev = it->dprev[hook];
		if (!it->drow[hook]) {
			memset(prev, 0, sizeof it->dprev[hook]);
			it->drow[hook] = 1;
		}
		for (uint64_t i = 0; i < nargs; i++)
			prev[i] = ev->args[i] = prev[i] + (uint64_t)bt_unzigzag(ev->args[i]);
	}
	it->seq += dseq;
	it->ts += dts;
	ev->tid = it->tid;
	ev->seq = it->seq;
	ev->ts = it->ts;
	ev->hook = (uint32_t)hook;
	ev->flags = (unsigned)(flags & ~(uint64_t)BT_EV_BLOCK);
	ev->stack = (uint32_t)stack;
	ev->pystack = (uint32_t)py;
	it->p = p;
	return 1;
}

int tr_validate(const struct tr_record *rec)
{
	const struct bt_field_desc *f;
	const uint8_t *p = rec->p, *s;
	size_t n;
	uint64_t v;
	if (rec->kind >= BT_REC_KIND_MAX || !bt_records[rec->kind].fields)
		return 0;
	/* bodies that run to the end of the payload have parsers of their own */
	if (rec->kind == BT_REC_EVENTS || rec->kind == BT_REC_STACK || rec->kind == BT_REC_HOOK_STATS ||
	    rec->kind == BT_REC_PYSTACK)
		return 0;
	for (f = bt_records[rec->kind].fields; f->name; f++)
		if (f->type == BT_F_UVAR ? tr_uvar(&p, rec->end, &v) : tr_str(&p, rec->end, &s, &n))
			return -1;
	return 0;
}
