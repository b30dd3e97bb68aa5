/* cmd_dump.c - `buftrace dump [--json] [--summary] TRACE...`
 *
 * Every record in stream order with raw addresses; the field names come
 * from the tables in common/trace_format.c, the event argument names from
 * the trace's own HOOK_INFO records. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "buftrace.h"
#include "json.h"
#include "trace_format.h"
#include "trace_reader.h"

#define MAX_HOOKS 1024

struct hookinfo {
	char *name;
	char *fields[16];
	int nfields;
	uint64_t flags, fired, events;
	uint64_t calls; /* events that start a call: a scoped hook's entry, an at-exit hook's one event */
	char *resolved; /* "symbol in module (how)" list */
};

struct dump {
	int json, summary;
	struct hookinfo hooks[MAX_HOOKS];
	char **modules;
	size_t nmodules;
	uint64_t nevents, nstacks, nrecords;
};

static int is_pointer_field(const char *f)
{
	static const char *const ptrs[] = { "buffer", "device", "mesh", "allocator", "tracker",
					    "parent", "manager", "address", "ptr", "mesh_buffer", NULL };
	for (int i = 0; ptrs[i]; i++)
		if (!strcmp(f, ptrs[i]))
			return 1;
	return 0;
}

static void print_value(struct dump *d, const char *name, uint64_t v)
{
	if (!strcmp(name, "type")) {
		if (d->json)
			fprintf(stdout, "\"%s\"", bt_buffer_type_name(v));
		else
			fputs(bt_buffer_type_name(v), stdout);
	} else if (is_pointer_field(name)) {
		fprintf(stdout, d->json ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64, v);
	} else if (!strcmp(name, "mesh_id") && v == UINT64_MAX) {
		fputs(d->json ? "null" : "?", stdout);
	} else {
		fprintf(stdout, "%" PRId64, (int64_t)v);
	}
}

static void key(struct dump *d, const char *k, int *first)
{
	if (d->json)
		fprintf(stdout, "%s\"%s\":", *first ? "" : ",", k);
	else
		fprintf(stdout, " %s=", k);
	*first = 0;
}

static char *dupn(const uint8_t *s, size_t n)
{
	char *r = malloc(n + 1);
	if (r) {
		memcpy(r, s, n);
		r[n] = 0;
	}
	return r;
}

/* Generic printing from the field table: HEADER, MODULE_*, HOOK_*, ... */
static int print_fields(struct dump *d, const struct tr_record *rec, int *first)
{
	const struct bt_field_desc *f = bt_records[rec->kind].fields;
	const uint8_t *p = rec->p;
	for (; f && f->name; f++) {
		uint64_t v;
		const uint8_t *s;
		size_t n;
		key(d, f->name, first);
		if (f->type == BT_F_UVAR) {
			if (tr_uvar(&p, rec->end, &v))
				return -1;
			if (!strcmp(f->name, "bias") || !strcmp(f->name, "lo") || !strcmp(f->name, "hi"))
				fprintf(stdout, d->json ? "\"0x%" PRIx64 "\"" : "0x%" PRIx64, v);
			else
				fprintf(stdout, "%" PRIu64, v);
		} else if (f->type == BT_F_STR) {
			if (tr_str(&p, rec->end, &s, &n))
				return -1;
			if (d->json)
				json_str(stdout, (const char *)s, n);
			else
				fprintf(stdout, "%.*s", (int)n, (const char *)s);
		} else if (f->type == BT_F_BYTES) {
			if (tr_str(&p, rec->end, &s, &n))
				return -1;
			if (!strcmp(f->name, "cmdline")) {
				char *c = dupn(s, n);
				for (size_t i = 0; c && i + 1 < n; i++)
					if (!c[i])
						c[i] = ' ';
				if (d->json)
					json_cstr(stdout, c ? c : "");
				else
					fprintf(stdout, "'%s'", c ? c : "");
				free(c);
			} else {
				fputs(d->json ? "\"" : "", stdout);
				for (size_t i = 0; i < n; i++)
					fprintf(stdout, "%02x", s[i]);
				fputs(d->json ? "\"" : "", stdout);
			}
		}
	}
	return 0;
}

static void learn(struct dump *d, const struct tr_record *rec)
{
	const uint8_t *p = rec->p, *s;
	uint64_t id, v, how, mod;
	size_t n;

	if (rec->kind == BT_REC_HOOK_INFO) {
		uint64_t flags;
		const uint8_t *fs;
		size_t fn;
		if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &flags) || tr_str(&p, rec->end, &s, &n) ||
		    tr_str(&p, rec->end, &fs, &fn) || id >= MAX_HOOKS)
			return;
		struct hookinfo *h = &d->hooks[id];
		free(h->name);
		h->name = dupn(s, n);
		h->flags = flags;
		for (int i = 0; i < h->nfields; i++)
			free(h->fields[i]);
		h->nfields = 0;
		for (size_t a = 0, b = 0; b <= fn && h->nfields < 16; b++)
			if (b == fn || fs[b] == ',') {
				if (b > a)
					h->fields[h->nfields++] = dupn(fs + a, b - a);
				a = b + 1;
			}
	} else if (rec->kind == BT_REC_MODULE_LOAD) {
		uint64_t skip;
		const uint8_t *bid;
		size_t bn;
		if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &skip) || tr_uvar(&p, rec->end, &skip) ||
		    tr_uvar(&p, rec->end, &skip) || tr_str(&p, rec->end, &bid, &bn) || tr_str(&p, rec->end, &s, &n))
			return;
		if (id >= d->nmodules && id < 1000000) {
			char **nm = realloc(d->modules, (id + 1) * sizeof *nm);
			if (!nm)
				return;
			memset(nm + d->nmodules, 0, (id + 1 - d->nmodules) * sizeof *nm);
			d->modules = nm;
			d->nmodules = id + 1;
		}
		if (id < d->nmodules) {
			free(d->modules[id]);
			d->modules[id] = dupn(s, n);
		}
	} else if (rec->kind == BT_REC_HOOK_RESOLVED) {
		if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &mod) || tr_uvar(&p, rec->end, &how) ||
		    tr_str(&p, rec->end, &s, &n) || id >= MAX_HOOKS)
			return;
		struct hookinfo *h = &d->hooks[id];
		const char *mname = mod < d->nmodules && d->modules[mod] ? d->modules[mod] : "?";
		const char *base = strrchr(mname, '/') ? strrchr(mname, '/') + 1 : mname;
		size_t old = h->resolved ? strlen(h->resolved) : 0;
		char *r = realloc(h->resolved, old + strlen(base) + 48);
		if (!r)
			return;
		snprintf(r + old, strlen(base) + 48, "%s%s%s", old ? ", " : "", base,
			 how != BT_RESOLVE_PATCHED ? "" : h->name && h->name[0] == 'c' && h->name[1] == 'l' ? " (by C name)" : " (by demangled name)");
		h->resolved = r;
	} else if (rec->kind == BT_REC_HOOK_STATS) {
		uint64_t cnt;
		if (tr_uvar(&p, rec->end, &cnt))
			return;
		for (uint64_t i = 0; i < cnt; i++) {
			if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &v))
				return;
			if (id < MAX_HOOKS)
				d->hooks[id].fired = v;
		}
	}
}

static int print_event(struct dump *d, const struct tr_event *ev)
{
	struct hookinfo *h = ev->hook < MAX_HOOKS ? &d->hooks[ev->hook] : NULL;
	const char *name = h && h->name ? h->name : "?";
	/* compact probe events: the analyzer's hook ids, their own fields */
	static const char *const malloc_fields[] = { "block", "size" }, *const free_fields[] = { "block" },
				 *const free_raw_fields[] = { "ptr" };
	const char *const *pfields = NULL;
	if (ev->hook >= BT_TR_PROBE_HOOK && ev->hook - BT_TR_PROBE_HOOK < BT_HOOK_COUNT) {
		unsigned id = ev->hook - BT_TR_PROBE_HOOK;
		name = bt_hooks[id].name;
		pfields = id == BT_HOOK_MALLOC ? malloc_fields : ev->flags & BT_EV_BLOCK ? free_fields : free_raw_fields;
		for (int i = 0; i < MAX_HOOKS; i++)
			if (d->hooks[i].name && !strcmp(d->hooks[i].name, name)) {
				h = &d->hooks[i];
				break;
			}
	}
	const char *phase = ev->flags & BT_EV_EXIT ? "exit" : "enter";
	int first = 1;

	if (h) {
		h->events++;
		/* a call is one entry (a scoped hook also writes an exit; an
		 * entry hook's exit only says an exception left it) or, for a
		 * hook recorded after the call, its one exit event */
		if (!(ev->flags & BT_EV_EXIT) || ((h->flags & BT_HOOK_AT_EXIT) && !(h->flags & BT_HOOK_SCOPED)))
			h->calls++;
	}
	d->nevents++;
	if (d->summary)
		return 0;
	if (d->json) {
		fprintf(stdout, "{\"record\":\"EVENT\",\"seq\":%" PRIu64 ",\"ts\":%" PRIu64 ",\"tid\":%u,\"hook\":",
			ev->seq, ev->ts, ev->tid);
		json_cstr(stdout, name);
		fprintf(stdout, ",\"phase\":\"%s\",\"entry_only\":%s,\"failed\":%s,\"unknown_layout\":%s,\"stack\":%u", phase,
			ev->flags & BT_EV_ENTRY_ONLY ? "true" : "false", ev->flags & BT_EV_FAILED ? "true" : "false", ev->flags & BT_EV_UNKNOWN ? "true" : "false",
			ev->stack);
		if (ev->flags & BT_EV_PYSTACK)
			fprintf(stdout, ",\"pystack\":%u", ev->pystack);
		fputs(",\"args\":{", stdout);
	} else {
		fprintf(stdout, "EVENT seq=%" PRIu64 " ts=%" PRIu64 " tid=%u %s %s%s%s%s stack=%u", ev->seq, ev->ts,
			ev->tid, name, phase, ev->flags & BT_EV_ENTRY_ONLY ? " ENTRY-ONLY" : "", ev->flags & BT_EV_FAILED ? " FAILED" : "",
			ev->flags & BT_EV_UNKNOWN ? " UNKNOWN-LAYOUT" : "", ev->stack);
		if (ev->flags & BT_EV_PYSTACK)
			fprintf(stdout, " pystack=%u", ev->pystack);
	}
	for (int i = 0; i < ev->nargs; i++) {
		char fallback[16];
		const char *fname = pfields ? pfields[i] : h && i < h->nfields ? h->fields[i] : NULL;
		if (!fname) {
			snprintf(fallback, sizeof fallback, "arg%d", i);
			fname = fallback;
		}
		key(d, fname, &first);
		print_value(d, fname, ev->args[i]);
	}
	fputs(d->json ? "}}\n" : "\n", stdout);
	return 0;
}

static int print_stack(struct dump *d, const struct tr_record *rec)
{
	const uint8_t *p = rec->p;
	uint64_t id, n, z, ip = 0;
	if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &n) || n > 4096)
		return -1;
	d->nstacks++;
	if (d->summary)
		return 0;
	if (d->json)
		fprintf(stdout, "{\"record\":\"STACK\",\"stack_id\":%" PRIu64 ",\"ips\":[", id);
	else
		fprintf(stdout, "STACK stack_id=%" PRIu64 " ips=", id);
	for (uint64_t i = 0; i < n; i++) {
		if (tr_uvar(&p, rec->end, &z))
			return -1;
		ip += (uint64_t)((int64_t)(z >> 1) ^ -(int64_t)(z & 1));
		fprintf(stdout, d->json ? "%s\"0x%" PRIx64 "\"" : "%s0x%" PRIx64, i ? (d->json ? "," : " ") : "", ip);
	}
	fputs(d->json ? "]}\n" : "\n", stdout);
	return 0;
}

static int print_other(struct dump *d, const struct tr_record *rec)
{
	const struct bt_record_desc *rd = rec->kind < BT_REC_KIND_MAX ? &bt_records[rec->kind] : NULL;
	int first = 1;
	if (d->summary)
		return 0;
	if (!rd || !rd->name) {
		/* a newer writer's record: skipped by length, as the format says */
		if (d->json)
			fprintf(stdout, "{\"record\":\"UNKNOWN\",\"kind\":%d,\"length\":%zu}\n", rec->kind,
				(size_t)(rec->end - rec->p));
		else
			fprintf(stdout, "UNKNOWN kind=%d length=%zu\n", rec->kind, (size_t)(rec->end - rec->p));
		return 0;
	}
	if (rec->kind == BT_REC_PYSTACK) {
		const uint8_t *p = rec->p, *f, *fn;
		size_t fl, fnl;
		uint64_t id, n, line;
		if (tr_uvar(&p, rec->end, &id) || tr_uvar(&p, rec->end, &n))
			return -1;
		if (d->json)
			fprintf(stdout, "{\"record\":\"PYSTACK\",\"pystack_id\":%" PRIu64 ",\"frames\":[", id);
		else
			fprintf(stdout, "PYSTACK pystack_id=%" PRIu64 " frames=", id);
		for (uint64_t i = 0; i < n; i++) {
			if (tr_str(&p, rec->end, &f, &fl) || tr_str(&p, rec->end, &fn, &fnl) || tr_uvar(&p, rec->end, &line))
				return -1;
			if (d->json) {
				fputs(i ? ",{\"file\":" : "{\"file\":", stdout);
				json_str(stdout, (const char *)f, fl);
				fputs(",\"function\":", stdout);
				json_str(stdout, (const char *)fn, fnl);
				fprintf(stdout, ",\"line\":%" PRIu64 "}", line);
			} else {
				fprintf(stdout, "%s%.*s@%.*s:%" PRIu64, i ? " " : "", (int)fnl, (const char *)fn, (int)fl,
					(const char *)f, line);
			}
		}
		fputs(d->json ? "]}\n" : "\n", stdout);
		return 0;
	}
	if (rec->kind == BT_REC_HOOK_STATS) {
		/* variable-length bodies: shown by --summary / the report */
		if (d->json)
			fprintf(stdout, "{\"record\":\"%s\"}\n", rd->name);
		else
			fprintf(stdout, "%s\n", rd->name);
		return 0;
	}
	if (d->json)
		fprintf(stdout, "{\"record\":\"%s\",", rd->name);
	else
		fputs(rd->name, stdout);
	first = 1;
	if (print_fields(d, rec, &first))
		return -1;
	fputs(d->json ? "}\n" : "\n", stdout);
	return 0;
}

static void print_summary(struct dump *d, const char *path)
{
	printf("%s: %" PRIu64 " events, %" PRIu64 " distinct stacks\n", path, d->nevents, d->nstacks);
	/* calls: what the program did (a scoped hook writes two events a
	 * call); events: what the trace holds, HOOK_STATS's count */
	printf("%-40s %-10s %10s %10s  %s\n", "hook", "", "calls", "events", "resolved in");
	for (int i = 0; i < MAX_HOOKS; i++) {
		struct hookinfo *h = &d->hooks[i];
		if (!h->name)
			continue;
		printf("%-40s %-10s %10" PRIu64 " %10" PRIu64 "  %s\n", h->name, h->flags & BT_HOOK_PROBE ? "(probe)" : "",
		       h->calls ? h->calls : (h->flags & BT_HOOK_SCOPED) ? (h->fired + 1) / 2 : h->fired,
		       h->fired ? h->fired : h->events, h->resolved ? h->resolved : "-");
	}
}

static void reset(struct dump *d);

static int dump_one(struct dump *d, const char *path)
{
	char err[600];
	struct trace_reader *r = tr_open(path, err, sizeof err);
	struct tr_record rec;
	int rc, bad = 0, ntraces = 1, headers = 0;
	char label[4200];

	snprintf(label, sizeof label, "%s", path);
	if (!r) {
		fprintf(stderr, "buftrace: %s\n", err);
		return EXIT_BAD_INPUT;
	}
	while ((rc = tr_next(r, &rec)) > 0) {
		if (rc == TR_NEXT_TRACE) {
			/* concatenated traces: the next process, with ids of its
			 * own (its HEADER record follows) */
			if (d->summary)
				print_summary(d, label);
			reset(d);
			headers = 0;
			snprintf(label, sizeof label, "%s (trace %d of a concatenated file, at stream offset %" PRIu64 ")",
				 path, ++ntraces, rec.offset);
			continue;
		}
		if (rec.kind == BT_REC_HEADER && headers++) {
			/* never two identities in one process */
			tr_fail(r, rec.offset,
				"a second HEADER record in one trace (a next process starts with \"BUFTRACE\")");
			break;
		}
		d->nrecords++;
		learn(d, &rec);
		if (rec.kind == BT_REC_EVENTS) {
			struct tr_events it;
			struct tr_event ev;
			int e;
			if (tr_events_begin(&it, &rec)) {
				if (!rec.partial)
					tr_fail(r, rec.offset, "malformed EVENTS chunk header");
				break;
			}
			while ((e = tr_events_next(&it, &ev)) == 1)
				print_event(d, &ev);
			if (e < 0 && !rec.partial) {
				tr_fail(r, rec.offset, "malformed event in EVENTS chunk");
				break;
			}
		} else if (rec.kind == BT_REC_STACK) {
			if (print_stack(d, &rec)) {
				tr_fail(r, rec.offset, "malformed STACK record");
				break;
			}
		} else if (print_other(d, &rec)) {
			tr_fail(r, rec.offset, "malformed record payload");
			break;
		}
		if (rec.partial)
			break;
	}
	if (d->summary)
		print_summary(d, label);
	if (tr_error(r)) {
		fflush(stdout);
		fprintf(stderr, "buftrace: %s\n", tr_error(r));
		bad = 1;
	}
	tr_close(r);
	return bad ? EXIT_BAD_INPUT : EXIT_OK;
}

static void reset(struct dump *d)
{
	for (int i = 0; i < MAX_HOOKS; i++) {
		free(d->hooks[i].name);
		free(d->hooks[i].resolved);
		for (int j = 0; j < d->hooks[i].nfields; j++)
			free(d->hooks[i].fields[j]);
	}
	for (size_t i = 0; i < d->nmodules; i++)
		free(d->modules[i]);
	free(d->modules);
	int json = d->json, summary = d->summary;
	memset(d, 0, sizeof *d);
	d->json = json;
	d->summary = summary;
}

static const char *type_name(enum bt_field_type t)
{
	switch (t) {
	case BT_F_UVAR: return "uvar";
	case BT_F_SVAR: return "svar";
	case BT_F_STR: return "string";
	case BT_F_BYTES: return "bytes";
	case BT_F_U32LE: return "u32le";
	case BT_F_IPS: return "ips";
	}
	return "?";
}

/* The record tables of docs/trace-format.md, generated from the code's
 * own tables (tests/t_trace_format_doc.sh compares the two). */
static void print_spec(void)
{
	for (int k = 1; k < BT_REC_KIND_MAX; k++) {
		const struct bt_record_desc *r = &bt_records[k];
		if (!r->name)
			continue;
		printf("### %d %s\n\n%s.\n\n| field | type | meaning |\n|---|---|---|\n", k, r->name, r->doc);
		for (const struct bt_field_desc *f = r->fields; f && f->name; f++)
			printf("| `%s` | %s | %s |\n", f->name, type_name(f->type), f->doc);
		printf("\n");
	}
	printf("### Event (inside EVENTS)\n\n| field | type | meaning |\n|---|---|---|\n");
	for (const struct bt_field_desc *f = bt_event_fields; f->name; f++)
		printf("| `%s` | %s | %s |\n", f->name, type_name(f->type), f->doc);
	printf("\n### Compact probe event (inside EVENTS, version 2)\n\n"
	       "An event whose first uvar is an opcode (0x%02x to 0x%02x) instead of a hook id; "
	       "0x%02x to 0x%02x are unused.\n\n"
	       "| opcode | name | fields after the opcode | meaning |\n|---|---|---|---|\n",
	       BT_OP_FIRST, BT_OP_END_ - 1, BT_OP_TIME + 1, BT_OP_FREE_NEAR - 1);
	for (int i = 0; i < BT_OP_END_ - BT_OP_FIRST; i++)
		if (bt_ops[i].name)
			printf("| 0x%02x | `%s` | %s | %s |\n", BT_OP_FIRST + i, bt_ops[i].name, bt_ops[i].fields,
			       bt_ops[i].doc);
}

int cmd_dump(int argc, char **argv)
{
	static struct dump d;
	int rc = EXIT_OK, nfiles = 0;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json")) {
			d.json = 1;
		} else if (!strcmp(argv[i], "--spec")) {
			print_spec();
			return EXIT_OK;
		} else if (!strcmp(argv[i], "--summary")) {
			d.summary = 1;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: buftrace dump [--json] [--summary] TRACE...\n");
			return EXIT_OK;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "buftrace dump: unknown option '%s'\n", argv[i]);
			return EXIT_USAGE;
		}
	}
	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && argv[i][1])
			continue;
		nfiles++;
		if (dump_one(&d, argv[i]) != EXIT_OK)
			rc = EXIT_BAD_INPUT;
		reset(&d);
	}
	if (!nfiles) {
		fprintf(stderr, "usage: buftrace dump [--json] [--summary] TRACE...\n");
		return EXIT_USAGE;
	}
	return rc;
}
