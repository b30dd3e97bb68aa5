/* elfdyn.c - read a loaded object's dynamic symbol and relocation tables
 * straight from memory, without dlopen/dlsym.
 *
 * This is how the real function behind a hook is found when the runtime
 * was dlopen'ed RTLD_LOCAL (dlsym(RTLD_NEXT) cannot see it), how exported
 * names are matched by their demangled form, and how relocation slots are
 * rewritten for names we could not interpose at link time. */
#include <elf.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include "recorder.h"

struct dyn {
	const ElfW(Sym) *symtab;
	const char *strtab;
	size_t strsz, nsyms;
	const uint32_t *gnu_hash, *sysv_hash;
	const ElfW(Rela) *rela, *jmprel;
	size_t relasz, jmprelsz;
};

/* glibc relocates d_ptr entries in place; the vDSO's are left relative. */
static uintptr_t ptr(const struct bt_module *m, ElfW(Addr) v)
{
	return v < m->lo ? (uintptr_t)(m->bias + v) : (uintptr_t)v;
}

static size_t gnu_hash_count(const uint32_t *h)
{
	uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2];
	const uint32_t *buckets = h + 4 + bloom * (sizeof(ElfW(Addr)) / 4);
	const uint32_t *chain = buckets + nbuckets;
	uint32_t last = 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return symoffset;
	while (!(chain[last - symoffset] & 1))
		last++;
	return last + 1;
}

static int load(const struct bt_module *m, struct dyn *d)
{
	memset(d, 0, sizeof *d);
	if (!m->dynamic)
		return -1;
	for (const ElfW(Dyn) *e = m->dynamic; e->d_tag != DT_NULL; e++) {
		switch (e->d_tag) {
		case DT_SYMTAB: d->symtab = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_STRTAB: d->strtab = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_STRSZ: d->strsz = e->d_un.d_val; break;
		case DT_GNU_HASH: d->gnu_hash = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_HASH: d->sysv_hash = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_RELA: d->rela = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_RELASZ: d->relasz = e->d_un.d_val; break;
		case DT_JMPREL: d->jmprel = (const void *)ptr(m, e->d_un.d_ptr); break;
		case DT_PLTRELSZ: d->jmprelsz = e->d_un.d_val; break;
		}
	}
	if (!d->symtab || !d->strtab)
		return -1;
	if (d->sysv_hash)
		d->nsyms = d->sysv_hash[1];
	else if (d->gnu_hash)
		d->nsyms = gnu_hash_count(d->gnu_hash);
	return 0;
}

static const char *sym_name(const struct dyn *d, const ElfW(Sym) *s)
{
	return s->st_name < d->strsz ? d->strtab + s->st_name : "";
}

static int defined_func(const ElfW(Sym) *s)
{
	int t = ELF64_ST_TYPE(s->st_info);
	return s->st_shndx != SHN_UNDEF && s->st_value && (t == STT_FUNC || t == STT_GNU_IFUNC) &&
	       ELF64_ST_BIND(s->st_info) != STB_LOCAL;
}

static int defined_object(const ElfW(Sym) *s)
{
	return s->st_shndx != SHN_UNDEF && s->st_value && ELF64_ST_TYPE(s->st_info) == STT_OBJECT &&
	       ELF64_ST_BIND(s->st_info) != STB_LOCAL;
}

static const void *lookup(const struct bt_module *m, const char *name, int (*want)(const ElfW(Sym) *),
			  size_t *size)
{
	struct dyn d;
	if (load(m, &d))
		return NULL;
	if (d.gnu_hash) {
		const uint32_t *h = d.gnu_hash;
		uint32_t nbuckets = h[0], symoffset = h[1], bloom = h[2], hash = 5381;
		const uint32_t *buckets = h + 4 + bloom * (sizeof(ElfW(Addr)) / 4);
		const uint32_t *chain = buckets + nbuckets;
		for (const unsigned char *c = (const unsigned char *)name; *c; c++)
			hash = hash * 33 + *c;
		if (!nbuckets)
			return NULL;
		for (uint32_t i = buckets[hash % nbuckets]; i >= symoffset && i; i++) {
			uint32_t ch = chain[i - symoffset];
			if ((ch | 1) == (hash | 1) && want(&d.symtab[i]) &&
			    !strcmp(sym_name(&d, &d.symtab[i]), name))
				return *size = d.symtab[i].st_size, (const void *)(uintptr_t)(m->bias + d.symtab[i].st_value);
			if (ch & 1)
				break;
		}
		return NULL;
	}
	for (size_t i = 0; i < d.nsyms; i++)
		if (want(&d.symtab[i]) && !strcmp(sym_name(&d, &d.symtab[i]), name))
			return *size = d.symtab[i].st_size, (const void *)(uintptr_t)(m->bias + d.symtab[i].st_value);
	return NULL;
}

const void *bt_dyn_lookup(const struct bt_module *m, const char *name)
{
	size_t size;
	return lookup(m, name, defined_func, &size);
}

const void *bt_dyn_lookup_object(const struct bt_module *m, const char *name, size_t *size)
{
	return lookup(m, name, defined_object, size);
}

void bt_dyn_foreach_symbol(const struct bt_module *m,
			   void (*fn)(const struct bt_module *, const char *, uint64_t, void *), void *arg)
{
	struct dyn d;
	if (load(m, &d))
		return;
	for (size_t i = 0; i < d.nsyms; i++)
		if (defined_func(&d.symtab[i]))
			fn(m, sym_name(&d, &d.symtab[i]), m->bias + d.symtab[i].st_value, arg);
}

static int patch_one(const struct bt_module *m, uintptr_t slot, void *to)
{
	long pg = sysconf(_SC_PAGESIZE);
	uintptr_t page = slot & ~(uintptr_t)(pg - 1);
	int ro = slot >= m->relro_lo && slot < m->relro_hi;
	if (ro && mprotect((void *)page, (size_t)pg, PROT_READ | PROT_WRITE))
		return 0;
	__atomic_store_n((void **)slot, to, __ATOMIC_RELEASE);
	if (ro)
		mprotect((void *)page, (size_t)pg, PROT_READ);
	return 1;
}

/* Rewrite every GOT/PLT slot (JUMP_SLOT, GLOB_DAT) and every absolute
 * pointer (R_X86_64_64: vtables) that the loader bound to `name`. */
int bt_dyn_patch_slots(const struct bt_module *m, const char *name, void *to)
{
	struct dyn d;
	int n = 0;
	if (load(m, &d))
		return 0;
	for (int pass = 0; pass < 2; pass++) {
		const ElfW(Rela) *r = pass ? d.jmprel : d.rela;
		size_t cnt = (pass ? d.jmprelsz : d.relasz) / sizeof(ElfW(Rela));
		for (size_t i = 0; r && i < cnt; i++) {
			unsigned type = ELF64_R_TYPE(r[i].r_info), si = ELF64_R_SYM(r[i].r_info);
			if (!si || (d.nsyms && si >= d.nsyms))
				continue;
			if (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && type != R_X86_64_64)
				continue;
			if (strcmp(sym_name(&d, &d.symtab[si]), name))
				continue;
			n += patch_one(m, (uintptr_t)(m->bias + r[i].r_offset), to);
		}
	}
	return n;
}
