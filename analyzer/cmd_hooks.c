/* cmd_hooks.c - `buftrace hooks [LIB.so ...]`
 *
 * Which hooks a tt-metal build offers, without running anything: every
 * exported function of the given libraries (default: a tt-metal install
 * found through $TT_METAL_HOME or the usual places) is matched the way the
 * recorder matches it at run time (common/hook_table.c), and for each
 * symbol found it says where each field of the hook comes from, read from
 * that symbol's own parameter list (common/sigdecode.c), or why not. */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "buftrace.h"
#include "hook_table.h"

struct sym {
	struct sym *next;
	int exact;
	char *text; /* "symbol in lib: fields" */
};

struct found {
	const char *how[BT_HOOK_COUNT];
	char *what[BT_HOOK_COUNT];
	struct sym *syms[BT_HOOK_COUNT], **tail[BT_HOOK_COUNT];
};

static int scan_lib(const char *path, struct found *f)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), nsyms = 0;
	Elf *e;
	Elf_Scn *scn = NULL;

	if (fd < 0) {
		fprintf(stderr, "buftrace hooks: %s: cannot open\n", path);
		return -1;
	}
	e = elf_begin(fd, ELF_C_READ, NULL);
	if (!e || elf_kind(e) != ELF_K_ELF) {
		fprintf(stderr, "buftrace hooks: %s: not an ELF file\n", path);
		if (e)
			elf_end(e);
		close(fd);
		return -1;
	}
	while ((scn = elf_nextscn(e, scn))) {
		GElf_Shdr sh;
		Elf_Data *d;
		if (!gelf_getshdr(scn, &sh) || sh.sh_type != SHT_DYNSYM || !sh.sh_entsize)
			continue;
		d = elf_getdata(scn, NULL);
		for (size_t i = 0; d && i < sh.sh_size / sh.sh_entsize; i++) {
			GElf_Sym sym;
			const char *name;
			enum bt_hook_id hook;
			struct bt_layout layout;
			const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
			char desc[512];
			struct sym *sy;
			int exact;
			if (!gelf_getsym(d, (int)i, &sym) || sym.st_shndx == SHN_UNDEF ||
			    GELF_ST_TYPE(sym.st_info) != STT_FUNC)
				continue;
			name = elf_strptr(e, sh.sh_link, sym.st_name);
			if (!name || bt_match_symbol(name, &hook, &layout, &exact))
				continue;
			nsyms++;
			/* a name-matched symbol is seen to return when its whole
			 * parameter list was placed (the trampoline calls it) */
			bt_layout_describe(&layout, bt_hooks[hook].fields,
					   !exact && (!layout.callable || !(bt_hooks[hook].flags & (BT_HOOK_AT_EXIT | BT_HOOK_SCOPED))),
					   desc, sizeof desc);
			sy = calloc(1, sizeof *sy);
			sy->exact = exact;
			sy->text = malloc(strlen(name) + strlen(base) + strlen(desc) + 40);
			sprintf(sy->text, "%s %s in %s: %s", exact ? "interposed" : layout.known ? "by name   " : "call only ",
				name, base, desc);
			if (!f->tail[hook])
				f->tail[hook] = &f->syms[hook];
			*f->tail[hook] = sy;
			f->tail[hook] = &sy->next;
			/* an exact alias beats a name-only match */
			if (f->how[hook] && !strncmp(f->how[hook], "interposed", 10))
				continue;
			f->how[hook] = exact ? "interposed" : !layout.known ? "by name, call only" : "by name";
			free(f->what[hook]);
			f->what[hook] = malloc(strlen(base) + strlen(name) + 5);
			sprintf(f->what[hook], "%s in %s", name, base);
		}
	}
	elf_end(e);
	close(fd);
	return nsyms;
}

static int default_libs(char **out, int max, const unsigned char *want)
{
	static char buf[8][4096];
	const char *home = getenv("TT_METAL_HOME");
	const char *rel[] = { "build/lib/libtt_metal.so", "build/lib/_ttnncpp.so", "ttnn/ttnn/_ttnncpp.so",
			      "build_Release/lib/libtt_metal.so", "build_Release/lib/_ttnncpp.so" };
	const char *sys[] = { "/usr/local/lib/libtt_metal.so", "/usr/lib/libtt_metal.so", "/opt/tenstorrent/lib/libtt_metal.so" };
	int n = 0;
	for (size_t i = 0; want[BT_RT_TTMETAL] && home && i < sizeof rel / sizeof rel[0] && n < max; i++) {
		snprintf(buf[n], sizeof buf[n], "%s/%s", home, rel[i]);
		if (access(buf[n], R_OK) == 0) {
			out[n] = buf[n];
			n++;
		}
	}
	for (size_t i = 0; want[BT_RT_TTMETAL] && !n && i < sizeof sys / sizeof sys[0]; i++)
		if (access(sys[i], R_OK) == 0) {
			snprintf(buf[n], sizeof buf[n], "%s", sys[i]);
			out[n] = buf[n];
			n++;
		}
	/* the OpenCL ICD loader, where Debian and others put it */
	const char *cl[] = { "/usr/lib/x86_64-linux-gnu/libOpenCL.so.1", "/usr/lib64/libOpenCL.so.1",
			     "/usr/lib/libOpenCL.so.1", "/usr/local/lib/libOpenCL.so.1" };
	for (size_t i = 0; want[BT_RT_OPENCL] && i < sizeof cl / sizeof cl[0] && n < max; i++)
		if (access(cl[i], R_OK) == 0) {
			snprintf(buf[n], sizeof buf[n], "%s", cl[i]);
			out[n] = buf[n];
			n++;
			break;
		}
	return n;
}

static const char *when(unsigned flags)
{
	return flags & BT_HOOK_SCOPED ? "entry and exit" : flags & BT_HOOK_AT_EXIT ? "after return" : "at entry";
}

/* The hook tables of docs/hooks.md, one per runtime profile, generated
 * from common/hooks.def and common/profiles/. */
static void print_list(const unsigned char *want)
{
	int first = 1;
	for (int rt = 0; rt < BT_RT_COUNT; rt++) {
		int any = 0;
		for (int h = 0; h < BT_HOOK_COUNT; h++)
			any |= bt_hooks[h].runtime == rt;
		if (!want[rt] || !any)
			continue;
		printf("%s### %s\n\n", first ? "" : "\n", bt_runtimes[rt].name);
		first = 0;
		if (rt == BT_RT_TTMETAL)
			printf("| hook | recorded | fields | decoded from the signature | exact symbols (any other mangling of the qualified name is matched by demangled name) |\n|---|---|---|---|---|\n");
		else if (rt == BT_RT_VULKAN)
			printf("| hook | recorded | kind | fields | reached through |\n|---|---|---|---|---|\n");
		else
			printf("| hook | recorded | kind | fields | decoded from the declaration (parameters by name) |\n|---|---|---|---|---|\n");
		for (int h = 0; h < BT_HOOK_COUNT; h++) {
			int n = 0;
			if (bt_hooks[h].runtime != rt && !(rt == BT_RT_TTMETAL && bt_hooks[h].runtime < 0))
				continue;
			if (rt == BT_RT_VULKAN) {
				printf("| `%s` | %s | %s | %s | the layer |\n", bt_hooks[h].name, when(bt_hooks[h].flags),
				       bt_hooks[h].kind, bt_hooks[h].fields);
				continue;
			}
			if (rt != BT_RT_TTMETAL) {
				printf("| `%s` | %s | %s | %s | `%s` in `%s` |\n", bt_hooks[h].name, when(bt_hooks[h].flags),
				       bt_hooks[h].kind, bt_hooks[h].fields, bt_hooks[h].decode, bt_hooks[h].decl);
				continue;
			}
			printf("| `%s` | %s | %s | %s%s%s | ", bt_hooks[h].name,
			       bt_hooks[h].flags & BT_HOOK_PROBE ? "probe, libbuftrace-malloc.so" : when(bt_hooks[h].flags),
			       bt_hooks[h].fields, *bt_hooks[h].decode ? "`" : "", bt_hooks[h].decode,
			       *bt_hooks[h].decode ? "`" : "");
			for (size_t a = 0; a < bt_alias_count; a++)
				if ((int)bt_aliases[a].hook == h)
					printf("%s`%s`", n++ ? "<br>" : "", bt_aliases[a].symbol);
			if (!n && !(bt_hooks[h].flags & BT_HOOK_PROBE))
				printf("none: `%s` by demangled name", bt_hooks[h].qualified);
			printf(" |\n");
		}
	}
}

/* --runtime LIST: which profiles (all when absent); -1 on a name unknown. */
static int parse_runtimes(const char *list, unsigned char *want)
{
	memset(want, 0, BT_RT_COUNT);
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		int rt = bt_runtime_by_name(p, n);
		if (rt < 0)
			return -1;
		want[rt] = 1;
		p += n + (e != NULL);
	}
	return 0;
}

int cmd_hooks(int argc, char **argv)
{
	struct found f;
	char *libs[64];
	int nlibs = 0, bad = 0, total = 0, found = 0;

	unsigned char want[BT_RT_COUNT];
	int list = 0;

	memset(&f, 0, sizeof f);
	memset(want, 1, sizeof want);
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--list")) {
			list = 1;
			continue;
		}
		if (!strcmp(argv[i], "--runtime") || !strncmp(argv[i], "--runtime=", 10)) {
			const char *v = argv[i][9] == '=' ? argv[i] + 10 : i + 1 < argc ? argv[++i] : "";
			if (parse_runtimes(v, want)) {
				fprintf(stderr, "buftrace hooks: --runtime '%s': runtimes are tt-metal, opencl, vulkan\n", v);
				return EXIT_USAGE;
			}
			continue;
		}
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			printf("usage: buftrace hooks [--list] [--runtime LIST] [LIB.so ...]\n"
			       "  default: libtt_metal.so and _ttnncpp.so under $TT_METAL_HOME, and the\n"
			       "  OpenCL ICD loader (libOpenCL.so.1) where the system has it\n"
			       "  per hook, how it resolves; per symbol found, where each field\n"
			       "  is read from its own parameter list, or why its layout is unknown\n"
			       "  --list: every runtime profile's hooks (docs/hooks.md), nothing scanned\n"
			       "  --runtime: only these runtimes' hooks (tt-metal, opencl, vulkan)\n");
			return EXIT_OK;
		}
		if (nlibs < 64)
			libs[nlibs++] = argv[i];
	}
	if (list) {
		print_list(want);
		return EXIT_OK;
	}
	if (!nlibs) {
		int tt = 0, cl = 0;
		nlibs = default_libs(libs, 8, want);
		/* found by default: only the runtimes found are listed */
		for (int i = 0; i < nlibs; i++) {
			cl |= strstr(libs[i], "libOpenCL") != NULL;
			tt |= strstr(libs[i], "libOpenCL") == NULL;
		}
		want[BT_RT_TTMETAL] &= (unsigned char)tt;
		want[BT_RT_OPENCL] &= (unsigned char)cl;
	}
	if (!nlibs) {
		fprintf(stderr, "buftrace hooks: no runtime libraries found (set TT_METAL_HOME or name them)\n");
		return EXIT_USAGE;
	}
	elf_version(EV_CURRENT);
	for (int i = 0; i < nlibs; i++)
		if (scan_lib(libs[i], &f) < 0)
			bad = 1;
	printf("%-40s %-20s %s\n", "hook", "resolves", "symbol");
	for (int h = 0; h < BT_HOOK_RUNTIME_COUNT; h++) {
		if (!want[bt_hooks[h].runtime])
			continue;
		if (bt_hooks[h].runtime == BT_RT_VULKAN) {
			/* nothing to scan: the layer sees every call */
			printf("%-40s %-20s %s\n", bt_hooks[h].name, "Vulkan layer", "-");
			continue;
		}
		total++;
		found += f.how[h] != NULL;
		printf("%-40s %-20s %s\n", bt_hooks[h].name, f.how[h] ? f.how[h] : "missing", f.what[h] ? f.what[h] : "-");
		free(f.what[h]);
		/* every symbol of the hook, and what its signature gives */
		for (struct sym *sy = f.syms[h], *nx; sy; sy = nx) {
			nx = sy->next;
			printf("    %s\n", sy->text);
			free(sy->text);
			free(sy);
		}
	}
	printf("%d of %d hooks resolve\n", found, total);
	return bad ? EXIT_BAD_INPUT : EXIT_OK;
}
