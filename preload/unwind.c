/* unwind.c - the recorder's own x86-64 stack walker (contract: unwind.h).
 *
 * Three parts: the rule of a return address, read from the object's
 * .eh_frame through its .eh_frame_hdr search table (found with glibc's
 * lock-free _dl_find_object); a per-thread direct-mapped cache of those
 * rules; and the walk, which reuses the previous walk's outer frames when
 * the words it read are unchanged.  Anything unusual makes the walk give
 * up (-1) rather than guess: libunwind then does the whole walk. */
#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include "hash.h"
#include "recorder.h"
#include "unwind.h"
#include "varint.h"

/* --- rules ---------------------------------------------------------------
 * One 64-bit word per return address: flags, the CFA offset (bits 32-63)
 * and where RBP was saved relative to the CFA (bits 16-31). */
#define R_SET 1u        /* a cache entry (0 = empty) */
#define R_GIVE_UP 2u    /* a frame this walker does not model */
#define R_LAST 4u       /* return address undefined: the outermost frame */
#define R_CFA_RBP 8u    /* CFA = RBP + offset (else RSP + offset) */
#define R_RBP_SAVED 16u /* RBP restored from CFA + offset (else kept) */
#define R_SIGRETURN 64u /* the kernel's sigreturn trampoline: a signal frame */
/* A rule cache key with this bit is a PC looked up as it is (the
 * interrupted PC of a signal frame), not as a return address. */
#define K_EXACT (1ull << 63)

/* Where the interrupted registers are in the ucontext_t that the
 * trampoline's SP points at (struct rt_sigframe after its pretcode):
 * uc_mcontext.gregs[] starts at 40; REG_RBP 10, REG_RSP 15, REG_RIP 16.
 * (Numbers, not <ucontext.h>: its REG_ names clash with DWARF's here.) */
enum { UC_RBP = 40 + 10 * 8, UC_RSP = 40 + 15 * 8, UC_RIP = 40 + 16 * 8 };

/* glibc's __restore_rt, the sa_restorer every handler returns to:
 * mov $0xf,%rax (rt_sigreturn); syscall.  libunwind knows a signal frame
 * by these bytes too. */
static const uint8_t sigreturn_code[9] = { 0x48, 0xc7, 0xc0, 0x0f, 0x00, 0x00, 0x00, 0x0f, 0x05 };

static inline int32_t r_cfa_off(uint64_t r)
{
	return (int32_t)(uint32_t)(r >> 32);
}
static inline int16_t r_rbp_off(uint64_t r)
{
	return (int16_t)(uint16_t)(r >> 16);
}

/* DWARF register numbers on x86-64 */
enum { REG_RBP = 6, REG_RSP = 7, REG_RA = 16 };
enum how { H_SAME, H_OFFSET, H_UNDEF, H_OTHER };

struct cfi_row {
	int cfa_reg, cfa_expr;
	int64_t cfa_off;
	const uint8_t *expr, *expr_end; /* the CFA expression, when cfa_expr */
	enum how rbp, rsp, ra;
	int64_t rbp_off, ra_off;
};

struct cie {
	uint8_t fde_enc;
	int aug_z, signal;
	uint64_t code_align;
	int64_t data_align;
	const uint8_t *insn, *end;
};

/* Bounded readers: a malformed table makes the rule R_GIVE_UP, never a
 * read past the record. */
struct rd {
	const uint8_t *p, *end;
	int bad;
};

static uint64_t rd_uleb(struct rd *r)
{
	uint64_t v = 0;
	const uint8_t *q = bt_get_uvar(r->p, r->end, &v);
	if (!q) {
		r->bad = 1;
		return 0;
	}
	r->p = q;
	return v;
}

static int64_t rd_sleb(struct rd *r)
{
	uint64_t v = 0;
	unsigned shift = 0;
	while (r->p < r->end) {
		uint8_t b = *r->p++;
		if (shift < 64)
			v |= (uint64_t)(b & 0x7f) << shift;
		shift += 7;
		if (!(b & 0x80)) {
			if (shift < 64 && (b & 0x40))
				v |= ~0ull << shift;
			return (int64_t)v;
		}
	}
	r->bad = 1;
	return 0;
}

static uint64_t rd_fixed(struct rd *r, size_t n)
{
	uint64_t v = 0;
	if ((size_t)(r->end - r->p) < n) {
		r->bad = 1;
		return 0;
	}
	memcpy(&v, r->p, n); /* little-endian */
	r->p += n;
	return v;
}

static void rd_skip(struct rd *r, uint64_t n)
{
	if (n > (uint64_t)(r->end - r->p))
		r->bad = 1;
	else
		r->p += n;
}

/* A DW_EH_PE-encoded pointer: absolute or pc-relative, not indirect
 * (only personality routines are, and those are skipped). */
static uint64_t rd_encoded(struct rd *r, uint8_t enc)
{
	uint64_t base = (enc & 0x70) == 0x10 ? (uint64_t)(uintptr_t)r->p : 0, v;
	if ((enc & 0x70) != 0x00 && (enc & 0x70) != 0x10) {
		r->bad = 1;
		return 0;
	}
	switch (enc & 0x0f) {
	case 0x00: case 0x04: case 0x0c: v = rd_fixed(r, 8); break;
	case 0x01: v = rd_uleb(r); break;
	case 0x09: v = (uint64_t)rd_sleb(r); break;
	case 0x02: v = rd_fixed(r, 2); break;
	case 0x0a: v = (uint64_t)(int64_t)(int16_t)rd_fixed(r, 2); break;
	case 0x03: v = rd_fixed(r, 4); break;
	case 0x0b: v = (uint64_t)(int64_t)(int32_t)rd_fixed(r, 4); break;
	default: r->bad = 1; return 0;
	}
	return base + v;
}

/* One length-prefixed .eh_frame record: its body between p and end. */
static int record_at(const uint8_t *at, struct rd *body)
{
	uint64_t len;
	memcpy(&len, at, 4);
	len &= 0xffffffffu;
	at += 4;
	if (len == 0xffffffffu) {
		memcpy(&len, at, 8);
		at += 8;
	}
	if (!len || len > (1u << 30))
		return -1;
	body->p = at;
	body->end = at + len;
	body->bad = 0;
	return 0;
}

static int parse_cie(const uint8_t *at, struct cie *c)
{
	struct rd r;
	const char *aug;
	if (record_at(at, &r) || rd_fixed(&r, 4) != 0) /* CIE id */
		return -1;
	uint8_t version = (uint8_t)rd_fixed(&r, 1);
	aug = (const char *)r.p;
	while (r.p < r.end && *r.p)
		r.p++;
	if (r.p++ >= r.end || (version != 1 && version != 3 && version != 4))
		return -1;
	if (version == 4 && rd_fixed(&r, 2) != 8) /* address size, segment size */
		return -1;
	c->code_align = rd_uleb(&r);
	c->data_align = rd_sleb(&r);
	if ((version == 1 ? rd_fixed(&r, 1) : rd_uleb(&r)) != REG_RA)
		return -1;
	c->fde_enc = 0;
	c->signal = 0;
	c->aug_z = aug[0] == 'z';
	if (c->aug_z) {
		uint64_t n = rd_uleb(&r);
		struct rd a = { r.p, r.p + n, 0 };
		if (n > (uint64_t)(r.end - r.p))
			return -1;
		for (const char *s = aug + 1; *s; s++) {
			if (*s == 'R')
				c->fde_enc = (uint8_t)rd_fixed(&a, 1);
			else if (*s == 'L')
				rd_fixed(&a, 1);
			else if (*s == 'P')
				rd_encoded(&a, (uint8_t)rd_fixed(&a, 1) & 0x7f);
			else if (*s == 'S')
				c->signal = 1;
			else if (*s != 'B' && *s != 'G')
				return -1;
		}
		if (a.bad)
			return -1;
		r.p += n;
	} else if (aug[0]) {
		return -1;
	}
	c->insn = r.p;
	c->end = r.end;
	return r.bad ? -1 : 0;
}

static void set_reg(struct cfi_row *row, uint64_t reg, enum how how, int64_t off)
{
	if (reg == REG_RBP) {
		row->rbp = how;
		row->rbp_off = off;
	} else if (reg == REG_RSP) {
		row->rsp = how;
	} else if (reg == REG_RA) {
		row->ra = how;
		row->ra_off = off;
	}
}

static void restore_reg(struct cfi_row *row, const struct cfi_row *init, uint64_t reg)
{
	if (reg == REG_RBP)
		set_reg(row, reg, init->rbp, init->rbp_off);
	else if (reg == REG_RSP)
		set_reg(row, reg, init->rsp, 0);
	else if (reg == REG_RA)
		set_reg(row, reg, init->ra, init->ra_off);
}

/* Runs a CFA program up to the row that covers target (loc is where it
 * starts); init is the CIE's row, for DW_CFA_restore.  -1: not modelled. */
static int run_cfa(struct rd *r, const struct cie *c, uint64_t loc, uint64_t target, struct cfi_row *row,
		   const struct cfi_row *init)
{
	struct cfi_row saved[8];
	int nsaved = 0;
	while (r->p < r->end && !r->bad) {
		uint8_t op = *r->p++;
		uint64_t reg, delta = 0;
		int advance = 0;
		switch (op >> 6) {
		case 1:
			delta = (op & 0x3f) * c->code_align;
			advance = 1;
			break;
		case 2:
			set_reg(row, op & 0x3f, H_OFFSET, (int64_t)rd_uleb(r) * c->data_align);
			continue;
		case 3:
			restore_reg(row, init, op & 0x3f);
			continue;
		}
		if (!advance) {
			switch (op) {
			case 0x00: /* nop */
				break;
			case 0x01: /* set_loc */
				loc = rd_encoded(r, c->fde_enc);
				if (loc > target)
					return r->bad ? -1 : 0;
				break;
			case 0x02: delta = rd_fixed(r, 1) * c->code_align; advance = 1; break;
			case 0x03: delta = rd_fixed(r, 2) * c->code_align; advance = 1; break;
			case 0x04: delta = rd_fixed(r, 4) * c->code_align; advance = 1; break;
			case 0x05: /* offset_extended */
				reg = rd_uleb(r);
				set_reg(row, reg, H_OFFSET, (int64_t)rd_uleb(r) * c->data_align);
				break;
			case 0x06: /* restore_extended */
				restore_reg(row, init, rd_uleb(r));
				break;
			case 0x07: /* undefined */
				set_reg(row, rd_uleb(r), H_UNDEF, 0);
				break;
			case 0x08: /* same_value */
				set_reg(row, rd_uleb(r), H_SAME, 0);
				break;
			case 0x09: /* register */
			case 0x14: /* val_offset */
				reg = rd_uleb(r);
				rd_uleb(r);
				set_reg(row, reg, H_OTHER, 0);
				break;
			case 0x0a: /* remember_state */
				if (nsaved == 8)
					return -1;
				saved[nsaved++] = *row;
				break;
			case 0x0b: /* restore_state */
				if (!nsaved)
					return -1;
				*row = saved[--nsaved];
				break;
			case 0x0c: /* def_cfa */
				row->cfa_reg = (int)rd_uleb(r);
				row->cfa_off = (int64_t)rd_uleb(r);
				row->cfa_expr = 0;
				break;
			case 0x0d: /* def_cfa_register */
				row->cfa_reg = (int)rd_uleb(r);
				break;
			case 0x0e: /* def_cfa_offset */
				row->cfa_off = (int64_t)rd_uleb(r);
				break;
			case 0x0f: /* def_cfa_expression */
				reg = rd_uleb(r);
				row->expr = r->p;
				rd_skip(r, reg);
				row->expr_end = r->p;
				row->cfa_expr = 1;
				break;
			case 0x10: /* expression */
			case 0x16: /* val_expression */
				reg = rd_uleb(r);
				rd_skip(r, rd_uleb(r));
				set_reg(row, reg, H_OTHER, 0);
				break;
			case 0x11: /* offset_extended_sf */
				reg = rd_uleb(r);
				set_reg(row, reg, H_OFFSET, rd_sleb(r) * c->data_align);
				break;
			case 0x12: /* def_cfa_sf */
				row->cfa_reg = (int)rd_uleb(r);
				row->cfa_off = rd_sleb(r) * c->data_align;
				row->cfa_expr = 0;
				break;
			case 0x13: /* def_cfa_offset_sf */
				row->cfa_off = rd_sleb(r) * c->data_align;
				break;
			case 0x15: /* val_offset_sf */
				reg = rd_uleb(r);
				rd_sleb(r);
				set_reg(row, reg, H_OTHER, 0);
				break;
			case 0x2e: /* GNU_args_size */
				rd_uleb(r);
				break;
			case 0x2f: /* GNU_negative_offset_extended */
				reg = rd_uleb(r);
				set_reg(row, reg, H_OFFSET, -(int64_t)rd_uleb(r) * c->data_align);
				break;
			default:
				return -1;
			}
		}
		if (advance) {
			if (loc + delta > target)
				break;
			loc += delta;
		}
	}
	return r->bad ? -1 : 0;
}

/* The FDE whose range holds pc, by the binary search table of
 * .eh_frame_hdr (the form GNU ld and lld write: datarel sdata4 pairs). */
static const uint8_t *find_fde(uint64_t pc)
{
	struct dl_find_object obj;
	const uint8_t *hdr;
	struct rd r;
	uint64_t count;
	if (_dl_find_object((void *)(uintptr_t)pc, &obj) != 0 || !obj.dlfo_eh_frame)
		return NULL;
	hdr = obj.dlfo_eh_frame;
	if (hdr[0] != 1 || hdr[3] != 0x3b || hdr[2] == 0xff)
		return NULL;
	r.p = hdr + 4;
	r.end = hdr + 4 + 32;
	r.bad = 0;
	rd_encoded(&r, hdr[1]);
	count = rd_encoded(&r, hdr[2]);
	if (r.bad || !count)
		return NULL;
	const int32_t *tab = (const int32_t *)(const void *)r.p;
	size_t lo = 0, hi = count;
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)(uintptr_t)(hdr + tab[2 * mid]) <= pc)
			lo = mid;
		else
			hi = mid;
	}
	if ((uint64_t)(uintptr_t)(hdr + tab[2 * lo]) > pc)
		return NULL;
	return hdr + tab[2 * lo + 1];
}

/* A CFA expression that comes to RSP + a constant, given the frame's RIP:
 * the PLT's, where the CFA depends on how far into its stub the PC is
 * (the push done or not): rsp + 8 + ((rip & 15) >= 11) << 3.  A stack
 * machine over (RSP coefficient, constant) pairs with the few operators
 * such expressions use; anything else, or a result that is not RSP plus a
 * constant, is -1 (not modelled).  libunwind evaluates these too, with
 * RIP the frame's IP, as here. */
static int cfa_expr_rsp(const uint8_t *p, const uint8_t *end, uint64_t rip, int64_t *off)
{
	struct { uint64_t k, c; } st[8];
	int n = 0;
	struct rd r = { p, end, 0 };
	while (r.p < r.end && !r.bad) {
		uint8_t op = *r.p++;
		if (op >= 0x30 && op <= 0x4f) { /* lit0..31 */
			if (n == 8)
				return -1;
			st[n].k = 0;
			st[n++].c = op - 0x30u;
			continue;
		}
		switch (op) {
		case 0x77: /* breg7 (rsp) */
		case 0x80: /* breg16 (rip) */
			if (n == 8)
				return -1;
			st[n].k = op == 0x77;
			st[n++].c = (op == 0x77 ? 0 : rip) + (uint64_t)rd_sleb(&r);
			continue;
		case 0x08: /* const1u */
			if (n == 8)
				return -1;
			st[n].k = 0;
			st[n++].c = rd_fixed(&r, 1);
			continue;
		case 0x23: /* plus_uconst */
			if (!n)
				return -1;
			st[n - 1].c += rd_uleb(&r);
			continue;
		}
		if (n < 2)
			return -1;
		n--;
		uint64_t a = st[n - 1].c, b = st[n].c;
		if (op == 0x22) { /* plus */
			st[n - 1].k += st[n].k;
			st[n - 1].c = a + b;
			continue;
		}
		if (op == 0x1c) { /* minus */
			if (st[n].k)
				return -1;
			st[n - 1].c = a - b;
			continue;
		}
		if (st[n - 1].k || st[n].k)
			return -1; /* RSP's value itself is not known here */
		switch (op) {
		case 0x1a: st[n - 1].c = a & b; break;                        /* and */
		case 0x2a: st[n - 1].c = (int64_t)a >= (int64_t)b; break;     /* ge */
		case 0x24: st[n - 1].c = b < 64 ? a << b : 0; break;          /* shl */
		default: return -1;
		}
	}
	if (r.bad || n != 1 || st[0].k != 1)
		return -1;
	*off = (int64_t)st[0].c;
	return 0;
}

/* The rule of the frame whose return address is ra: the row that covers
 * the call instruction, ra - 1; with K_EXACT in key, the row of the PC
 * itself (a signal frame's interrupted PC has not made a call). */
static uint64_t compute_rule(uint64_t key)
{
	const uint64_t ra = key & ~K_EXACT, give_up = R_SET | R_GIVE_UP, target = (key & K_EXACT) ? ra : ra - 1;
	const uint8_t *fde = find_fde(target);
	struct rd r;
	struct cie c;
	struct cfi_row row = { .cfa_reg = -1 }, init;
	uint64_t begin, range, rule;
	uint32_t cie_off;

	if (!fde || record_at(fde, &r))
		return give_up;
	cie_off = (uint32_t)rd_fixed(&r, 4);
	if (!cie_off || parse_cie(r.p - 4 - cie_off, &c))
		return give_up;
	begin = rd_encoded(&r, c.fde_enc);
	range = rd_encoded(&r, c.fde_enc & 0x0f);
	if (r.bad || target < begin || target - begin >= range)
		return give_up;
	if (c.signal) {
		/* a signal frame ('S'): modelled when it is the trampoline
		 * itself (its FDE, from __restore_rt - 1, covers the bytes) */
		if (range - (ra - begin) >= sizeof sigreturn_code &&
		    !memcmp((const void *)(uintptr_t)ra, sigreturn_code, sizeof sigreturn_code))
			return R_SET | R_SIGRETURN;
		return give_up;
	}
	if (c.aug_z)
		rd_skip(&r, rd_uleb(&r));
	struct rd ci = { c.insn, c.end, 0 };
	if (run_cfa(&ci, &c, begin, UINT64_MAX, &row, &row))
		return give_up;
	init = row;
	if (r.bad || run_cfa(&r, &c, begin, target, &row, &init))
		return give_up;

	if (row.cfa_expr) {
		if (cfa_expr_rsp(row.expr, row.expr_end, ra, &row.cfa_off))
			return give_up;
		row.cfa_expr = 0;
		row.cfa_reg = REG_RSP;
	}
	/* the forms of libunwind's fast trace, which unw_backtrace uses */
	if (row.ra == H_UNDEF)
		return R_SET | R_LAST;
	if (row.ra != H_OFFSET || row.ra_off != -8 || row.cfa_expr || row.rsp == H_OTHER)
		return give_up;
	if (row.cfa_reg == REG_RSP) {
		if (row.cfa_off < 8 || row.cfa_off >= (1 << 29))
			return give_up;
		rule = R_SET;
	} else if (row.cfa_reg == REG_RBP) {
		if (row.cfa_off < INT32_MIN || row.cfa_off > INT32_MAX)
			return give_up;
		rule = R_SET | R_CFA_RBP;
	} else {
		return give_up;
	}
	if (row.rbp == H_OTHER)
		return give_up;
	if (row.rbp == H_OFFSET) {
		if (row.rbp_off <= -(1 << 14) || row.rbp_off >= (1 << 14))
			return give_up;
		rule |= R_RBP_SAVED | (uint64_t)(uint16_t)(int16_t)row.rbp_off << 16;
	}
	return rule | (uint64_t)(uint32_t)(int32_t)row.cfa_off << 32;
}

/* --- the per-thread state ------------------------------------------------ */
#define RULES 4096
#define FRAMES (BT_WALK_MAX + 1)
#define R_CHECK_RBP 32u /* in a kept walk: a rule above uses the RBP this frame restored */
#define R_LIVE 128u     /* in a kept walk: the walk from this frame on uses its RBP */
/* Kept walks.  A thread's calls into the recorder come from a handful of
 * places that repeat (the hooked calls of one buffer's life nest inside
 * each other: each walk starts at another depth), so one kept walk would
 * be the right one only for a call repeated back to back.  A walk that
 * starts at the same frame as a kept one (PC, SP, live RBP) is compared
 * with at most TRIES of them; the rest are not looked at. */
#define WALKS 16
#ifndef TRIES
#define TRIES 4
#endif
/* Where the shortcuts keep failing (workload A varied), their compares
 * cost a mispredicted branch or two each and the copy of every walk: a
 * walk tries them (and is kept) as bt_skip_try says (recorder.h).  A
 * skipped walk is the plain walk: the same frames. */

struct rule_slot {
	uint64_t ra, rule;
};
/* A frame as the walk reached it.  The words read to step out of frame h
 * follow from the frame above it (h - 1 in a kept walk): the return
 * address at its SP - 8 (its SP is h's CFA) holds its PC, and a saved RBP
 * at its SP + the offset in h's rule holds its RBP. */
struct frame {
	uint64_t pc, sp, bp, rule;
};
/* The words read to step out of the outermost frame kept (a return
 * address below 0x4000 ended the walk, or the depth limit did).  A word
 * not read is a read of `nothing`, which holds 0. */
struct end_reads {
	uint64_t ra_at, ra, bp_at, bp;
};
static const uint64_t nothing;
#define NOTHING ((uint64_t)(uintptr_t)&nothing)

/* A whole walk, by height: f[0] is the outermost frame, so that a walk
 * that reuses the outer part rewrites only the inner one.  Its innermost
 * frame's PC and SP are also in the unwinder's inner_* arrays, which the
 * search at the start of a walk reads. */
struct walk {
	int n, max, truncated;
	uint64_t tag, used;
	struct end_reads end;
	struct frame f[FRAMES];
};

/* The index of tagged walks (below, "the walk index"). */
#define IX_GROUPS 8
#define IX_WORDS 48               /* at most this many words read: walks of up to 46 frames */
#define IX_SLOTS 4096             /* a group's table, probed IX_WAYS slots at a time */
#define IX_WAYS 4
#define IX_SPAN (1u << 20)        /* a layout's words lie this close above its SP */
/* A slot is its key (probed: dense, so that a probe seldom misses the
 * cache) and its walk's words, the group's m of them at slot * m in the
 * group's words (read once the key matched; packed, and found from the
 * slot's number, so both loads go at once).  A slot is the group's only
 * if its key has the group's gen: the slots of an earlier group in the
 * same place, at another m, are never compared. */
struct ix_key {
	uint64_t h, gen, tag;
};
struct ix_group {
	uint64_t gen;             /* this incarnation (unique in the unwinder's life) */
	uint64_t bp, self;        /* RBP where live at the start; the thread (pthread_self) that made it */
	uint64_t used;
	int live, max, n, m;
	uint64_t at[IX_WORDS];    /* the words its walks read, in the order read */
	struct ix_key *keys;      /* IX_SLOTS of each, mapped (MAP_NORESERVE) when first used */
	uint64_t *words;
};
#define IX_REGION (sizeof(struct ix_key) * IX_SLOTS + sizeof(uint64_t) * IX_WORDS * IX_SLOTS)

struct bt_unwinder {
	unsigned epoch;
	unsigned flags; /* BT_UNWIND_* of the last walk */
	int last;       /* the walk made or matched last: where a new walk looks for outer frames */
	int kept;       /* the walk the last call made or matched, for bt_unwind_tag; -1: none */
	uint64_t clock; /* for the least recently used walk */
	struct bt_skip skip; /* the shortcuts, where they keep failing */
	unsigned ix_misses, ix_tick; /* the walk index, where it keeps failing (ix_try) */
	int ix_want;         /* this walk, once kept and tagged, goes into the index */
	struct ix_key *ix_hit; /* the index slot this walk was found in, for bt_unwind_tag */
	uint64_t ix_gen;     /* the last group incarnation given */
	/* for BUFTRACE_DEBUG: walks made, found in the index (the thread's
	 * own; read at the end by another, hence atomic but not locked) */
	atomic_uint_least64_t n_walks, n_indexed;
	uint64_t ix_pc[IX_GROUPS], ix_sp[IX_GROUPS]; /* where each group's walks start; ix_sp 0: none */
	struct ix_group ix[IX_GROUPS];
	uint64_t inner_pc[WALKS], inner_sp[WALKS]; /* inner_sp 0: the walk is not valid */
	/* this walk's new frames, innermost first */
	struct frame nf[FRAMES];
	struct rule_slot rules[RULES];
	struct walk w[WALKS];
};

struct bt_unwinder *bt_unwinder_new(void)
{
	void *m = mmap(NULL, sizeof(struct bt_unwinder), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return m == MAP_FAILED ? NULL : m;
}

static inline uint64_t rule_of(struct bt_unwinder *u, uint64_t ra)
{
	struct rule_slot *s = &u->rules[(((ra ^ (ra >> 60)) * 0x9e3779b97f4a7c15ull) >> 52) & (RULES - 1)];
	if (__builtin_expect(s->ra == ra && s->rule, 1))
		return s->rule;
	s->rule = compute_rule(ra);
	s->ra = ra;
	return s->rule;
}

/* Stack words, read as the fresh walk would read them: not through
 * AddressSanitizer's checks (libunwind's reads are not either). */
__attribute__((no_sanitize("address"))) static inline uint64_t word(uint64_t addr)
{
	return *(const uint64_t *)(uintptr_t)addr;
}

/* Do the words walk w read from height h down still hold?
 * (Both words of a frame are compared at once: the fresh walk reads both
 * once the frames below are the same.) */
__attribute__((no_sanitize("address"))) static int still_read(const struct walk *w, int h)
{
	for (; h > 0; h--) {
		const struct frame *up = &w->f[h - 1];
		uint64_t rule = w->f[h].rule, d = word(up->sp - 8) ^ up->pc;
		if (rule & R_CHECK_RBP)
			d |= word(up->sp + (uint64_t)(int64_t)r_rbp_off(rule)) ^ up->bp;
		if (d)
			return 0;
	}
	return !((word(w->end.ra_at) ^ w->end.ra) | (word(w->end.bp_at) ^ w->end.bp));
}

static inline int uses_rbp(uint64_t rule, int above)
{
	if (rule & (R_LAST | R_SIGRETURN))
		return 0;
	return (rule & R_CFA_RBP) || (!(rule & R_RBP_SAVED) && above);
}

/* The new frames 0..k-1 go on top of w's kept heights 0..base-1; live
 * (of frame k) is the liveness above them.  A saved RBP that no rule
 * above uses is not compared: a function that keeps a pointer in RBP
 * (the malloc probe's, for one) saves a new value in each call. */
static void keep_new(struct bt_unwinder *u, int s, int k, int base, int live)
{
	struct walk *w = &u->w[s];
	int n = base + k;
	for (int i = k - 1; i >= 0; i--) {
		int h = n - 1 - i;
		uint64_t rule = u->nf[i].rule;
		w->f[h] = u->nf[i];
		if (live && (rule & R_RBP_SAVED))
			rule |= R_CHECK_RBP;
		live = uses_rbp(u->nf[i].rule, live);
		w->f[h].rule = rule | (live ? R_LIVE : 0);
	}
	w->n = n; /* n > 0: an empty walk is never kept */
	w->used = ++u->clock;
	u->inner_pc[s] = w->f[n - 1].pc;
	u->inner_sp[s] = w->f[n - 1].sp;
	u->last = u->kept = s;
}

/* As unw_backtrace (libunwind 1.6): the return addresses themselves. */
static void put_ips(const struct walk *w, void **ips, int n)
{
	for (int i = 0; i < n; i++)
		ips[i] = (void *)(uintptr_t)w->f[n - 1 - i].pc;
}

/* The walk to overwrite: one not valid, else the least recently used
 * other than `keep` (the one whose outer frames the new walk may take). */
static int victim(const struct bt_unwinder *u, int keep)
{
	int best = -1;
	for (int s = 0; s < WALKS; s++) {
		if (s == keep)
			continue;
		if (!u->inner_sp[s])
			return s;
		if (best < 0 || u->w[s].used < u->w[best].used)
			best = s;
	}
	return best;
}

/* A kept walk that starts at this very frame and whose words all still
 * hold: it is this walk, frame for frame.  Its index, or -1. */
__attribute__((no_sanitize("address"))) static int find_kept(struct bt_unwinder *u, int max, uint64_t pc,
							     uint64_t sp, uint64_t bp)
{
	int tries = 0;
	for (int s = 0; s < WALKS && tries < TRIES; s++) {
		if (u->inner_sp[s] != sp || u->inner_pc[s] != pc)
			continue;
		struct walk *w = &u->w[s];
		struct frame *o = &w->f[w->n - 1];
		if (w->max != max || ((o->rule & R_LIVE) && o->bp != bp))
			continue;
		tries++;
		if (still_read(w, w->n - 1)) {
			o->bp = bp;
			w->used = ++u->clock;
			u->last = u->kept = s;
			return s;
		}
	}
	return -1;
}

/* --- the walk index ------------------------------------------------------
 * Where the kept walks miss, the thread's calls come from more places
 * than WALKS holds (workload A varied: 2048 paths to one malloc, in
 * random order).  Most such places still repeat, and a walk is a pure
 * function of its start (PC, SP, live RBP, the depth limit) and of the
 * words it reads.  So walks that start at one frame and read their words
 * at the same addresses (a layout: the same frame sizes) form a group,
 * and each tagged walk of the group is kept in the group's hash table as
 * the values it read.  A new walk from that frame reads the words at the
 * layout's addresses, all at once instead of one frame after another,
 * and a slot holding exactly those values (the hash only says where to
 * look) is its walk: a fresh walk would read the same first word, so the
 * same second address, and so on.  Its tag is the walk's: no frame
 * stepped, nothing interned.
 *
 * Unlike the kept walks' compare, these reads are not made in the order
 * a fresh walk would make them, stopping at the first difference: a
 * word is read even where the stack now differs below it.  So they must
 * be readable whatever the stack holds: a layout is used only by the
 * thread that made it (glibc gives a new thread a new descriptor, or a
 * cached stack with its descriptor), from the same SP, and only when all
 * its addresses lie above that SP within IX_SPAN: the part of the
 * thread's stack that its callers' frames occupied when the layout was
 * walked, which the stack keeps mapped while that thread runs.  A walk
 * that switched stacks (a signal frame) is never kept, so never indexed.
 * (Every one of those addresses was read, from that SP on that thread,
 * by the walk that made the layout.  What this does not cover is a
 * program that unmaps a stack of its own making, maps a smaller one
 * whose top is at the same place, and reaches the same SP in it.)
 *
 * The index is looked in after the kept walks missed, and each walk kept
 * after it missed too goes in, with its tag.  Where it keeps missing (no
 * place repeats) it is tried one walk in IX_SAMPLE (ix_try).  A group
 * holds up to IX_SLOTS walks (a new one may take an old one's slot);
 * IX_GROUPS groups, the least recently used replaced; walks of more than
 * IX_WORDS words are not indexed (they are walked). */
static int ix_layout(const struct walk *w, uint64_t *at, uint64_t *val)
{
	int m = 0;
	uint64_t sp = w->f[w->n - 1].sp;
	for (int h = w->n - 1; h > 0; h--) {
		const struct frame *up = &w->f[h - 1];
		uint64_t rule = w->f[h].rule;
		if (m + 2 > IX_WORDS)
			return -1;
		at[m] = up->sp - 8;
		val[m++] = up->pc;
		if (rule & R_CHECK_RBP) {
			at[m] = up->sp + (uint64_t)(int64_t)r_rbp_off(rule);
			val[m++] = up->bp;
		}
	}
	if (m + 2 > IX_WORDS)
		return -1;
	if (w->end.ra_at != NOTHING) {
		at[m] = w->end.ra_at;
		val[m++] = w->end.ra;
	}
	if (w->end.bp_at != NOTHING) {
		at[m] = w->end.bp_at;
		val[m++] = w->end.bp;
	}
	for (int i = 0; i < m; i++)
		if (at[i] < sp || at[i] - sp > IX_SPAN - 8)
			return -1;
	return m;
}

static inline uint64_t ix_hash(const uint64_t *val, int m)
{
	uint64_t sum = 0;
	for (int i = 0; i < m; i++)
		sum += bt_hash_term(val[i], i);
	return bt_hash_final(m, sum);
}

static inline size_t ix_slot(uint64_t h, int way)
{
	return (size_t)((h + (uint64_t)way) & (IX_SLOTS - 1));
}

static int ix_same(const uint64_t *a, const uint64_t *b, int m)
{
	uint64_t d = 0;
	for (int i = 0; i < m; i++)
		d |= a[i] ^ b[i];
	return !d;
}

/* Do group g's walks start at this frame, on this thread, with this
 * depth limit?  (RBP, where live, is checked by the caller.) */
static inline int ix_starts_at(const struct bt_unwinder *u, int g, uint64_t pc, uint64_t sp, int max,
			       uint64_t self)
{
	return u->ix_sp[g] == sp && u->ix_pc[g] == pc && u->ix[g].max == max && u->ix[g].self == self;
}

/* The walk from this frame, if the index holds it: its frame count, with
 * *tag its tag; else -1. */
__attribute__((no_sanitize("address"))) static int ix_find(struct bt_unwinder *u, uint64_t pc, uint64_t sp,
							   uint64_t bp, int max, uint64_t *tag)
{
	uint64_t self = (uint64_t)pthread_self();
	for (int g = 0; g < IX_GROUPS; g++) {
		struct ix_group *x = &u->ix[g];
		uint64_t val[IX_WORDS], h;
		if (!ix_starts_at(u, g, pc, sp, max, self) || (x->live && x->bp != bp))
			continue;
		for (int i = 0; i < x->m; i++)
			val[i] = word(x->at[i]);
		h = ix_hash(val, x->m);
		for (int way = 0; way < IX_WAYS; way++) {
			size_t i = ix_slot(h, way);
			struct ix_key *k = &x->keys[i];
			if (k->h == h && k->gen == x->gen && ix_same(x->words + i * (size_t)x->m, val, x->m)) {
				*tag = k->tag;
				x->used = ++u->clock;
				u->ix_hit = k;
				return x->n;
			}
		}
	}
	return -1;
}

/* Where the index keeps missing (the walks that miss the kept ones do not
 * repeat, or repeat with other words: a pointer kept in RBP), a lookup and
 * the insertion of each new walk cost more than they find: after
 * IX_MISSES misses in a row it is tried one walk in IX_SAMPLE, until a try
 * finds one. */
#define IX_MISSES 64
#define IX_SAMPLE 64
static inline int ix_try(struct bt_unwinder *u)
{
	return u->ix_misses < IX_MISSES || !(++u->ix_tick & (IX_SAMPLE - 1));
}

/* Walk w, just tagged: into its group's table (the group made if new). */
static void ix_insert(struct bt_unwinder *u, const struct walk *w, uint64_t tag)
{
	uint64_t at[IX_WORDS], val[IX_WORDS], h;
	size_t s = IX_SLOTS;
	const struct frame *o = &w->f[w->n - 1];
	uint64_t self = (uint64_t)pthread_self();
	int live = (o->rule & R_LIVE) != 0, m = ix_layout(w, at, val), g, pick = 0;
	struct ix_group *x;
	if (m <= 0)
		return;
	for (g = 0; g < IX_GROUPS; g++) {
		x = &u->ix[g];
		if (ix_starts_at(u, g, o->pc, o->sp, w->max, self) && x->live == live && (!live || x->bp == o->bp) &&
		    x->n == w->n && x->m == m && !memcmp(x->at, at, sizeof *at * (size_t)m))
			break;
		if (!u->ix_sp[g] || (u->ix_sp[pick] && x->used < u->ix[pick].used))
			pick = g;
	}
	if (g == IX_GROUPS) {
		/* a new group, in place of the least recently used: the slots
		 * it leaves have an older gen, so none is taken for the new.
		 * Its table is mapped when first used, and stays for the
		 * groups after it (a thread whose walks start at one or two
		 * places reserves one or two, not IX_GROUPS). */
		x = &u->ix[pick];
		if (!x->keys) {
			void *mm = mmap(NULL, IX_REGION, PROT_READ | PROT_WRITE,
					MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
			if (mm == MAP_FAILED)
				return;
			x->keys = mm;
			x->words = (uint64_t *)((char *)mm + sizeof(struct ix_key) * IX_SLOTS);
		}
		x->gen = ++u->ix_gen;
		x->bp = live ? o->bp : 0;
		x->self = self;
		x->live = live;
		x->max = w->max;
		x->n = w->n;
		x->m = m;
		memcpy(x->at, at, sizeof *at * (size_t)m);
		u->ix_pc[pick] = o->pc;
		u->ix_sp[pick] = o->sp;
	}
	x->used = ++u->clock;
	h = ix_hash(val, m);
	for (int way = 0; way < IX_WAYS; way++) {
		size_t i = ix_slot(h, way);
		struct ix_key *k = &x->keys[i];
		if (k->gen == x->gen && k->h == h && ix_same(x->words + i * (size_t)m, val, m)) {
			k->tag = tag;
			return;
		}
		if (s == IX_SLOTS && k->gen != x->gen)
			s = i;
	}
	if (s == IX_SLOTS)
		s = ix_slot(h, (int)(h >> 40) & (IX_WAYS - 1));
	x->keys[s].h = h;
	x->keys[s].gen = x->gen;
	x->keys[s].tag = tag;
	memcpy(x->words + s * (size_t)m, val, sizeof *val * (size_t)m);
}

__attribute__((no_sanitize("address"), used, visibility("hidden"))) int
bt_unwind_from(struct bt_unwinder *u, void **ips, int max, uint64_t *tag, const uint64_t *regs)
{
	/* one load each: the entry stub has just stored them one by one, and
	 * a wider load of two (which the vectoriser makes) would wait for
	 * both stores to retire instead of taking their values forwarded */
	const volatile uint64_t *r = regs;
	uint64_t pc = r[0], sp = r[1], bp = r[2];
	unsigned epoch = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);
	int k = 0, j = 0, pn = 0, reuse, truncated = 0, s;
	uint64_t exact = 0; /* K_EXACT for the PC a signal interrupted */
	struct end_reads end = { NOTHING, 0, NOTHING, 0 };
	struct walk *src, *dst;

	atomic_store_explicit(&u->n_walks, atomic_load_explicit(&u->n_walks, memory_order_relaxed) + 1,
			      memory_order_relaxed);
	u->flags = 0;
	u->kept = -1;
	u->ix_hit = NULL;
	u->ix_want = 0;
	if (tag)
		*tag = 0;
	if (max > FRAMES - 1)
		max = FRAMES - 1;
	if (u->epoch != epoch) {
		/* objects came or went: their rules and old frames may be stale */
		memset(u->rules, 0, sizeof u->rules);
		memset(u->inner_sp, 0, sizeof u->inner_sp);
		memset(u->ix_sp, 0, sizeof u->ix_sp);
		u->epoch = epoch;
	}
	int shortcuts = bt_skip_try(&u->skip);
	s = shortcuts ? find_kept(u, max, pc, sp, bp) : -1;
	if (s >= 0) {
		struct walk *w = &u->w[s];
		bt_skip_hit(&u->skip);
		if (tag && w->tag) {
			*tag = w->tag;
		} else {
			put_ips(w, ips, w->n);
		}
		return w->n;
	}
	/* Else the walk index (tried one walk in IX_SAMPLE where it keeps
	 * missing too) */
	if (ix_try(u)) {
		int n;
		u->ix_want = 1;
		if (tag && (n = ix_find(u, pc, sp, bp, max, tag)) >= 0) {
			/* the kept walks missed, if tried: where the index keeps
			 * finding what they miss, they are tried less */
			if (shortcuts)
				bt_skip_missed(&u->skip);
			u->ix_misses = 0;
			u->flags = BT_UNWIND_INDEXED;
			atomic_store_explicit(&u->n_indexed,
					      atomic_load_explicit(&u->n_indexed, memory_order_relaxed) + 1,
					      memory_order_relaxed);
			return n;
		}
		u->ix_misses += u->ix_misses < IX_MISSES;
	}
	/* Else the outer frames of the last walk, where this one reaches
	 * one of them with the same words (one try). */
	src = &u->w[u->last];
	reuse = shortcuts && u->inner_sp[u->last] && src->max == max;
	if (reuse)
		pn = src->n;
	for (;;) {
		if (reuse) {
			/* the last walk's frames by ascending SP: innermost is height pn-1 */
			while (j < pn && src->f[pn - 1 - j].sp < sp)
				j++;
			if (j >= pn) {
				reuse = 0;
			} else {
				const struct frame *o = &src->f[pn - 1 - j];
				if (o->sp == sp && o->pc == pc && (!(o->rule & R_LIVE) || o->bp == bp)) {
					int n = k + pn - j, base = pn - j;
					reuse = 0; /* one try a walk: a failed compare costs up to a walk */
					if (n <= max && (!src->truncated || k == j) && still_read(src, base - 1)) {
						int same = 0, d;
						bt_skip_hit(&u->skip);
						if (k == j) {
							int i = 0;
							while (i < k && u->nf[i].pc == src->f[pn - 1 - i].pc)
								i++;
							same = i == k;
						}
						/* the new walk goes elsewhere, the last one stays */
						d = victim(u, u->last);
						dst = &u->w[d];
						memcpy(dst->f, src->f, sizeof(struct frame) * (size_t)base);
						dst->end = src->end;
						dst->truncated = src->truncated;
						dst->max = max;
						dst->tag = same ? src->tag : 0;
						dst->f[base - 1].bp = bp;
						keep_new(u, d, k, base, (dst->f[base - 1].rule & R_LIVE) != 0);
						if (same && tag && dst->tag)
							*tag = dst->tag;
						else
							put_ips(dst, ips, n);
						return n;
					}
				}
			}
		}
		if (k == max) {
			truncated = 1;
			break;
		}
		uint64_t rule = rule_of(u, pc | exact);
		if (rule & R_GIVE_UP)
			goto give_up;
		struct frame *f = &u->nf[k++];
		f->pc = pc;
		f->sp = sp;
		f->bp = bp;
		f->rule = rule;
		exact = 0;
		if (rule & R_SIGRETURN) {
			/* The trampoline's frame is one (as in unw_backtrace);
			 * the next is the interrupted code, at its own registers,
			 * perhaps on another stack (sigaltstack).  The walk no
			 * longer climbs a stack by its words, so nothing from here
			 * on is compared with or kept for another walk. */
			u->flags |= BT_UNWIND_SIGNAL;
			reuse = 0;
			pc = word(sp + UC_RIP);
			bp = word(sp + UC_RBP);
			sp = word(sp + UC_RSP);
			exact = K_EXACT;
			if (pc < 0x4000 || !sp)
				goto give_up;
			continue;
		}
		if (rule & R_LAST) {
			end.ra_at = NOTHING;
			end.ra = 0;
			end.bp_at = NOTHING;
			end.bp = 0;
			break;
		}
		uint64_t cfa = ((rule & R_CFA_RBP) ? bp : sp) + (uint64_t)(int64_t)r_cfa_off(rule);
		if (cfa <= sp || cfa - sp > (1u << 30))
			goto give_up;
		end.ra_at = cfa - 8;
		end.ra = pc = word(cfa - 8);
		if (rule & R_RBP_SAVED) {
			end.bp_at = cfa + (uint64_t)(int64_t)r_rbp_off(rule);
			end.bp = bp = word(end.bp_at);
		} else {
			end.bp_at = NOTHING;
			end.bp = 0;
		}
		sp = cfa;
		if (pc < 0x4000)
			break;
	}
	if (shortcuts)
		bt_skip_missed(&u->skip);
	if ((u->flags & BT_UNWIND_SIGNAL) || !k || !(shortcuts || u->ix_want)) {
		/* not kept: frames past a signal frame are not climbed by words;
		 * a walk that tried no shortcut keeps none */
		for (int i = 0; i < k; i++)
			ips[i] = (void *)(uintptr_t)u->nf[i].pc;
		return k;
	}
	/* a whole walk, kept.  Above its last frame there is nothing, unless
	 * it was cut short: then RBP may matter. */
	s = victim(u, -1);
	dst = &u->w[s];
	dst->max = max;
	dst->truncated = truncated;
	dst->tag = 0;
	if (!truncated) {
		end.bp_at = NOTHING;
		end.bp = 0;
	}
	dst->end = end;
	keep_new(u, s, k, 0, truncated);
	put_ips(dst, ips, k);
	return k;
give_up:
	if (!(u->flags & BT_UNWIND_SIGNAL))
		return -1;
	/* beyond a signal frame: the frames up to here, cut */
	u->flags |= BT_UNWIND_CUT;
	for (int i = 0; i < k; i++)
		ips[i] = (void *)(uintptr_t)u->nf[i].pc;
	return k;
}

void bt_unwind_tag(struct bt_unwinder *u, uint64_t tag)
{
	if (u->ix_hit) {
		u->ix_hit->tag = tag;
	} else if (u->kept >= 0) {
		u->w[u->kept].tag = tag;
		if (u->ix_want)
			ix_insert(u, &u->w[u->kept], tag);
	}
}

unsigned bt_unwind_flags(const struct bt_unwinder *u)
{
	return u->flags;
}

void bt_unwind_counts(struct bt_unwinder *u, uint64_t *walks, uint64_t *indexed)
{
	*walks += atomic_load_explicit(&u->n_walks, memory_order_relaxed);
	*indexed += atomic_load_explicit(&u->n_indexed, memory_order_relaxed);
}

/* Entry: the caller's PC (our return address), SP (just above it) and RBP
 * (untouched) are the state of frame 0. */
__asm__(".text\n"
	".globl bt_unwind\n"
	".hidden bt_unwind\n"
	".type bt_unwind, @function\n"
	"bt_unwind:\n"
	"\t.cfi_startproc\n"
	"\tmovq (%rsp), %r10\n"
	"\tleaq 8(%rsp), %r11\n"
	"\tsubq $24, %rsp\n"
	"\t.cfi_adjust_cfa_offset 24\n"
	"\tmovq %r10, (%rsp)\n"
	"\tmovq %r11, 8(%rsp)\n"
	"\tmovq %rbp, 16(%rsp)\n"
	"\tmovq %rsp, %r8\n"
	"\tcall bt_unwind_from\n"
	"\taddq $24, %rsp\n"
	"\t.cfi_adjust_cfa_offset -24\n"
	"\tret\n"
	"\t.cfi_endproc\n"
	".size bt_unwind, .-bt_unwind\n");
