/* fuzz_reader.c - libFuzzer target for the trace reader (issue 5).
 *
 * An input is either a whole trace file (it starts with the zstd magic:
 * the frame layer is fuzzed) or, more usefully, a decompressed record
 * stream ("BUFTRACE" + version + records), which is compressed here with
 * no checksum so that every mutation reaches the record parser.  The
 * bytes go to a memfd and are read back through the real tr_open path:
 * every record, every event of every EVENTS chunk, every field named by
 * the format tables, then the report's model over the same file.
 *
 * Built by tests/fuzz/fuzz.mk (`make fuzz`); with -DFUZZ_REPLAY it is a
 * plain program that runs each file given on the command line once. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>
#include "model.h"
#include "trace_format.h"
#include "trace_reader.h"

/* What analyzer/main.c defines for the rest of the analyzer. */
const char *bt_prog = "buftrace";
const char *bt_libdir(void);
const char *bt_libdir(void)
{
	return NULL;
}

static void walk_fields(const struct tr_record *rec)
{
	const struct bt_field_desc *f;
	const uint8_t *p = rec->p, *s;
	uint64_t v;
	size_t n;
	if (rec->kind >= BT_REC_KIND_MAX || !bt_records[rec->kind].name)
		return;
	for (f = bt_records[rec->kind].fields; f && f->name; f++) {
		if (f->type == BT_F_UVAR && tr_uvar(&p, rec->end, &v))
			return;
		if ((f->type == BT_F_STR || f->type == BT_F_BYTES) && tr_str(&p, rec->end, &s, &n))
			return;
		if (f->type == BT_F_STR || f->type == BT_F_BYTES) {
			volatile uint8_t sink = 0;
			for (size_t i = 0; i < n; i++)
				sink ^= s[i]; /* every byte must be readable */
			(void)sink;
		}
	}
}

static void read_all(const char *path)
{
	char err[600];
	struct trace_reader *r = tr_open(path, err, sizeof err);
	struct tr_record rec;
	int rc;
	if (!r) {
		if (!strstr(err, path))
			abort(); /* the message must name the file */
		return;
	}
	while ((rc = tr_next(r, &rec)) > 0) {
		if (rc == TR_NEXT_TRACE)
			continue; /* concatenated traces: the next one's records follow */
		if (rec.p > rec.end || rec.kind <= 0 || rec.kind > 255)
			abort();
		if (rec.kind == BT_REC_EVENTS) {
			struct tr_events it;
			struct tr_event ev;
			if (tr_events_begin(&it, &rec) == 0)
				while (tr_events_next(&it, &ev) == 1)
					if (ev.nargs < 0 || ev.nargs > 16)
						abort();
		} else {
			walk_fields(&rec);
		}
		if (rec.partial)
			break;
	}
	if (rc < 0 && (!tr_error(r) || !strstr(tr_error(r), "offset")))
		abort(); /* damage is always explained, with an offset */
	tr_close(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t *zbuf;
	static size_t zcap;
	static int fd = -1;
	static char path[64];
	const void *out = data;
	size_t n = size;

	if (fd < 0) {
		fd = memfd_create("fuzz-trace", 0);
		if (fd < 0)
			abort();
		snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
	}
	if (size < 4 || memcmp(data, "\x28\xb5\x2f\xfd", 4)) {
		size_t need = ZSTD_compressBound(size);
		if (need > zcap) {
			free(zbuf);
			zbuf = malloc(need);
			zcap = zbuf ? need : 0;
			if (!zbuf)
				return 0;
		}
		n = ZSTD_compress(zbuf, zcap, data, size, 1);
		if (ZSTD_isError(n))
			return 0;
		out = zbuf;
	}
	if (ftruncate(fd, 0) || pwrite(fd, out, n, 0) != (ssize_t)n)
		abort();
	read_all(path);
	{
		/* every process of the file (concatenated traces), one symbolizer */
		struct model_file mf;
		struct model m;
		struct symbolizer *sym = sym_new();
		model_file_init(&mf, path, sym);
		while (model_next(&mf, &m) != 0)
			model_free(&m);
		model_file_close(&mf);
		sym_free(sym);
	}
	return 0;
}

#ifdef FUZZ_REPLAY
int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "rb");
		uint8_t *buf;
		long n;
		if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
			perror(argv[i]);
			return 2;
		}
		buf = malloc((size_t)n + 1);
		if (!buf || fread(buf, 1, (size_t)n, f) != (size_t)n)
			return 2;
		fclose(f);
		LLVMFuzzerTestOneInput(buf, (size_t)n);
		free(buf);
	}
	return 0;
}
#endif
