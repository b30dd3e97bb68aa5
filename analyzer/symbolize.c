/* buftrace: offline symbolizer (see symbolize.h for the contract).
 *
 * Layout of this file:
 *   1. small utilities: string interning, CRC32, path helpers
 *   2. ELF images: a file mapped privately, plus (when needed) an in-memory copy in which
 *      zstd-compressed debug sections are replaced by their decompressed bytes
 *   3. build-id / debuglink / debugaltlink notes and the separate-debug-file search
 *   4. sorted interval indexes; ELF symbol tables
 *   5. modules: unit and function indexes (instead of .debug_aranges), DWARF resolution
 *      (scope chain with inlined calls, line table)
 *   6. the (module, vaddr) cache and the public API
 */
#include "symbolize.h"

#include <dwarf.h>
#include <elfutils/libdw.h>
#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

/* glibc 2.36's <elf.h> and libelf 0.188 predate the zstd compression type. */
#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2
#endif

/* From libstdc++ (link -lstdc++); declared here because this is C. */
char *__cxa_demangle(const char *mangled, char *buf, size_t *len, int *status);

/* Bounds that keep corrupt input from turning into huge allocations or endless loops. */
#define MAX_FRAMES 64             /* inline depth kept per address */
#define MAX_SCOPE_DEPTH 512       /* DIE nesting followed when looking for scopes */
#define DIE_BUDGET 20000000L      /* DIEs visited per unit index / per address lookup */
#define ZSTD_MAX_RATIO 32768ULL   /* zstd cannot expand more than this (4-byte RLE block) */

/* ------------------------------------------------------------------------------------ */
/* 1. utilities                                                                          */

static uint64_t hash_bytes(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (size_t i = 0; i < n; i++)
        h = (h ^ b[i]) * 1099511628211ULL;
    return h;
}

static uint64_t hash_u64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    return x ^ (x >> 33);
}

/* Interned strings: function and file names repeat across thousands of addresses, and
 * interning gives every returned pointer one owner (the symbolizer) and one lifetime. */
struct strset {
    char **slot;
    size_t cap, n;
};

static const char *intern(struct strset *t, const char *s)
{
    if (s == NULL)
        return NULL;
    if ((t->n + 1) * 2 > t->cap) {
        size_t ncap = t->cap ? t->cap * 2 : 1024;
        char **ns = calloc(ncap, sizeof *ns);
        if (ns == NULL)
            return NULL;
        for (size_t i = 0; i < t->cap; i++) {
            if (t->slot[i] == NULL)
                continue;
            size_t j = hash_bytes(t->slot[i], strlen(t->slot[i])) & (ncap - 1);
            while (ns[j] != NULL)
                j = (j + 1) & (ncap - 1);
            ns[j] = t->slot[i];
        }
        free(t->slot);
        t->slot = ns;
        t->cap = ncap;
    }
    size_t j = hash_bytes(s, strlen(s)) & (t->cap - 1);
    while (t->slot[j] != NULL) {
        if (strcmp(t->slot[j], s) == 0)
            return t->slot[j];
        j = (j + 1) & (t->cap - 1);
    }
    char *d = strdup(s);
    if (d == NULL)
        return NULL;
    t->slot[j] = d;
    t->n++;
    return d;
}

static void strset_free(struct strset *t)
{
    for (size_t i = 0; i < t->cap; i++)
        free(t->slot[i]);
    free(t->slot);
}

/* CRC-32 (IEEE, reflected) as used by .gnu_debuglink; computed over the whole file. */
static uint32_t crc32_update(uint32_t crc, const unsigned char *p, size_t n)
{
    static uint32_t table[256];
    static int ready;
    if (!ready) {
        for (uint32_t i = 0; i < 256; i++) {
            uint32_t c = i;
            for (int k = 0; k < 8; k++)
                c = (c & 1) ? 0xedb88320u ^ (c >> 1) : c >> 1;
            table[i] = c;
        }
        ready = 1;
    }
    crc = ~crc;
    while (n--)
        crc = table[(crc ^ *p++) & 0xff] ^ (crc >> 8);
    return ~crc;
}

static int crc32_file(const char *path, uint32_t *out)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    unsigned char *buf = malloc(1 << 16);
    uint32_t crc = 0;
    ssize_t r = -1;
    if (buf != NULL) {
        while ((r = read(fd, buf, 1 << 16)) > 0)
            crc = crc32_update(crc, buf, (size_t)r);
        if (r < 0 && errno == EINTR)
            r = -1;
    }
    free(buf);
    close(fd);
    if (r != 0)
        return -1;
    *out = crc;
    return 0;
}

/* Directory part of a path ("." when there is none); malloc'd. */
static char *dir_of(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (slash == NULL)
        return strdup(".");
    if (slash == path)
        return strdup("/");
    return strndup(path, (size_t)(slash - path));
}

static char *join3(const char *a, const char *b, const char *c)
{
    char *r;
    if (asprintf(&r, "%s%s%s", a, b, c) < 0)
        return NULL;
    return r;
}

/* ------------------------------------------------------------------------------------ */
/* 2. ELF images                                                                         */

/* One ELF file as libelf sees it.  The file is mapped MAP_PRIVATE and writable so that
 * libelf, which treats an elf_memory() image as its own, can never fault on it.  When the
 * file has zstd-compressed debug sections, `buf` is replaced by a malloc'd rewrite. */
struct elfimg {
    char *buf;
    size_t len;
    int mapped; /* buf is an mmap (else malloc) */
    Elf *elf;
};

static void img_close(struct elfimg *img)
{
    if (img->elf != NULL)
        elf_end(img->elf);
    if (img->buf != NULL) {
        if (img->mapped)
            munmap(img->buf, img->len);
        else
            free(img->buf);
    }
    memset(img, 0, sizeof *img);
}

static int host_elfdata(void)
{
    const uint16_t one = 1;
    return *(const unsigned char *)&one ? ELFDATA2LSB : ELFDATA2MSB;
}

struct zsec {
    size_t idx;
    uint64_t src_off, src_len; /* compressed payload (after the Chdr) */
    uint64_t usize, align;
    uint64_t dst_off;
    int ok;
};

/* libelf/libdw 0.188 only know zlib: a section with ch_type ELFCOMPRESS_ZSTD is silently
 * skipped by dwarf_begin_elf, so the file looks as if it had no debug info.  We build a new
 * image: the original bytes unchanged (program headers, allocated sections, everything
 * keeps its offset), then each zstd section decompressed, then a copy of the section header
 * table in which those sections point at their decompressed bytes with SHF_COMPRESSED
 * cleared; e_shoff is moved to the new table.  The old compressed bytes stay as an
 * unreferenced hole, which ELF permits.  Returns 0 when the image was left as is or was
 * rewritten, -1 on allocation failure (image untouched). */
static int img_decompress_zstd(struct elfimg *img)
{
    GElf_Ehdr eh;
    size_t shnum;
    if (gelf_getehdr(img->elf, &eh) == NULL || elf_getshdrnum(img->elf, &shnum) != 0)
        return 0;
    int is64 = gelf_getclass(img->elf) == ELFCLASS64;
    size_t shent = is64 ? sizeof(Elf64_Shdr) : sizeof(Elf32_Shdr);
    size_t chsz = is64 ? sizeof(Elf64_Chdr) : sizeof(Elf32_Chdr);
    /* We patch raw headers with native structs: only host byte order, standard sizes. */
    if (eh.e_ident[EI_DATA] != host_elfdata() || eh.e_shentsize != shent || shnum < 2 ||
        eh.e_shoff == 0 || eh.e_shoff > img->len || shnum > (img->len - eh.e_shoff) / shent)
        return 0;

    struct zsec *zs = NULL;
    size_t nz = 0;
    for (size_t i = 1; i < shnum; i++) {
        GElf_Shdr sh;
        Elf_Scn *scn = elf_getscn(img->elf, i);
        if (scn == NULL || gelf_getshdr(scn, &sh) == NULL)
            continue;
        if (!(sh.sh_flags & SHF_COMPRESSED) || sh.sh_type == SHT_NOBITS || sh.sh_size < chsz ||
            sh.sh_offset > img->len || sh.sh_size > img->len - sh.sh_offset)
            continue;
        uint64_t type, usize, align;
        if (is64) {
            Elf64_Chdr c;
            memcpy(&c, img->buf + sh.sh_offset, sizeof c);
            type = c.ch_type, usize = c.ch_size, align = c.ch_addralign;
        } else {
            Elf32_Chdr c;
            memcpy(&c, img->buf + sh.sh_offset, sizeof c);
            type = c.ch_type, usize = c.ch_size, align = c.ch_addralign;
        }
        uint64_t clen = sh.sh_size - chsz;
        if (type != ELFCOMPRESS_ZSTD || usize == 0 || usize > clen * ZSTD_MAX_RATIO + 4096 ||
            usize > (1ULL << 38))
            continue;
        struct zsec *nzs = realloc(zs, (nz + 1) * sizeof *zs);
        if (nzs == NULL) {
            free(zs);
            return -1;
        }
        zs = nzs;
        zs[nz++] = (struct zsec){.idx = i, .src_off = sh.sh_offset + chsz, .src_len = clen,
                                 .usize = usize, .align = align};
    }
    if (nz == 0)
        return 0;

    /* Lay out: original | 16-aligned decompressed sections | 8-aligned section headers. */
    uint64_t total = (img->len + 15) & ~15ULL;
    for (size_t k = 0; k < nz; k++) {
        zs[k].dst_off = total;
        total = (total + zs[k].usize + 15) & ~15ULL;
    }
    uint64_t shoff = total;
    total += (uint64_t)shnum * shent;
    if (total > SIZE_MAX || (!is64 && total > UINT32_MAX)) {
        free(zs);
        return 0;
    }
    char *nb = malloc((size_t)total);
    if (nb == NULL) {
        free(zs);
        return -1;
    }
    memcpy(nb, img->buf, img->len);
    memset(nb + img->len, 0, (size_t)(total - img->len)); /* padding stays defined */
    for (size_t k = 0; k < nz; k++) {
        size_t r = ZSTD_decompress(nb + zs[k].dst_off, (size_t)zs[k].usize,
                                   img->buf + zs[k].src_off, (size_t)zs[k].src_len);
        zs[k].ok = !ZSTD_isError(r) && r == zs[k].usize;
    }
    memcpy(nb + shoff, img->buf + eh.e_shoff, shnum * shent);
    for (size_t k = 0; k < nz; k++) {
        if (!zs[k].ok) /* keep the compressed original: libdw ignores it, we do not crash */
            continue;
        char *p = nb + shoff + zs[k].idx * shent;
        if (is64) {
            Elf64_Shdr sh;
            memcpy(&sh, p, sizeof sh);
            sh.sh_offset = zs[k].dst_off;
            sh.sh_size = zs[k].usize;
            sh.sh_flags &= ~(uint64_t)SHF_COMPRESSED;
            sh.sh_addralign = zs[k].align ? (zs[k].align > 16 ? 16 : zs[k].align) : 1;
            memcpy(p, &sh, sizeof sh);
        } else {
            Elf32_Shdr sh;
            memcpy(&sh, p, sizeof sh);
            sh.sh_offset = (Elf32_Off)zs[k].dst_off;
            sh.sh_size = (Elf32_Word)zs[k].usize;
            sh.sh_flags &= ~(Elf32_Word)SHF_COMPRESSED;
            sh.sh_addralign = zs[k].align ? (zs[k].align > 16 ? 16 : (Elf32_Word)zs[k].align) : 1;
            memcpy(p, &sh, sizeof sh);
        }
    }
    free(zs);
    if (is64) {
        Elf64_Ehdr e;
        memcpy(&e, nb, sizeof e);
        e.e_shoff = shoff;
        memcpy(nb, &e, sizeof e);
    } else {
        Elf32_Ehdr e;
        memcpy(&e, nb, sizeof e);
        e.e_shoff = (Elf32_Off)shoff;
        memcpy(nb, &e, sizeof e);
    }
    Elf *ne = elf_memory(nb, (size_t)total);
    if (ne == NULL || elf_kind(ne) != ELF_K_ELF) {
        if (ne != NULL)
            elf_end(ne);
        free(nb);
        return 0;
    }
    elf_end(img->elf);
    if (img->mapped)
        munmap(img->buf, img->len);
    img->buf = nb;
    img->len = (size_t)total;
    img->mapped = 0;
    img->elf = ne;
    return 0;
}

/* 0 on success; -1 when the file is missing, unreadable, empty or not ELF. */
static int img_open(struct elfimg *img, const char *path)
{
    memset(img, 0, sizeof *img);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < EI_NIDENT ||
        (uint64_t)st.st_size > SIZE_MAX) {
        close(fd);
        return -1;
    }
    void *p = mmap(NULL, (size_t)st.st_size, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    close(fd);
    if (p == MAP_FAILED)
        return -1;
    img->buf = p;
    img->len = (size_t)st.st_size;
    img->mapped = 1;
    GElf_Ehdr eh;
    img->elf = elf_memory(img->buf, img->len);
    if (img->elf == NULL || elf_kind(img->elf) != ELF_K_ELF ||
        gelf_getehdr(img->elf, &eh) == NULL) {
        img_close(img);
        return -1;
    }
    (void)img_decompress_zstd(img); /* on failure the debug info just stays unreadable */
    return 0;
}

static Elf_Scn *find_scn(Elf *elf, const char *name, GElf_Shdr *out)
{
    size_t shstrndx;
    if (elf_getshdrstrndx(elf, &shstrndx) != 0)
        return NULL;
    Elf_Scn *scn = NULL;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL)
            continue;
        const char *n = elf_strptr(elf, shstrndx, sh.sh_name);
        if (n != NULL && strcmp(n, name) == 0) {
            if (out != NULL)
                *out = sh;
            return scn;
        }
    }
    return NULL;
}

static int has_debug_info(Elf *elf)
{
    GElf_Shdr sh;
    if (find_scn(elf, ".debug_info", &sh) != NULL && sh.sh_type != SHT_NOBITS && sh.sh_size > 0)
        return 1;
    return find_scn(elf, ".zdebug_info", &sh) != NULL && sh.sh_type != SHT_NOBITS;
}

/* ------------------------------------------------------------------------------------ */
/* 3. notes, links, separate debug files                                                 */

static size_t notes_build_id(Elf_Data *d, const unsigned char **out)
{
    if (d == NULL || d->d_buf == NULL)
        return 0;
    GElf_Nhdr nh;
    size_t off = 0, noff, doff, next;
    while (off < d->d_size && (next = gelf_getnote(d, off, &nh, &noff, &doff)) > 0) {
        if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && nh.n_descsz > 0 &&
            memcmp((const char *)d->d_buf + noff, "GNU", 4) == 0) {
            *out = (const unsigned char *)d->d_buf + doff;
            return nh.n_descsz;
        }
        off = next;
    }
    return 0;
}

/* NT_GNU_BUILD_ID from the note sections, or from PT_NOTE when there are no sections. */
static size_t elf_build_id(Elf *elf, const unsigned char **out)
{
    Elf_Scn *scn = NULL;
    int had_sections = 0;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        had_sections = 1;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != SHT_NOTE)
            continue;
        size_t n = notes_build_id(elf_getdata(scn, NULL), out);
        if (n > 0)
            return n;
    }
    if (had_sections)
        return 0;
    size_t phnum;
    if (elf_getphdrnum(elf, &phnum) != 0)
        return 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        if (gelf_getphdr(elf, (int)i, &ph) == NULL || ph.p_type != PT_NOTE)
            continue;
        Elf_Data *d = elf_getdata_rawchunk(elf, (int64_t)ph.p_offset, ph.p_filesz,
                                           ph.p_align == 8 ? ELF_T_NHDR8 : ELF_T_NHDR);
        size_t n = notes_build_id(d, out);
        if (n > 0)
            return n;
    }
    return 0;
}

/* .gnu_debuglink: NUL-terminated file name, padding to 4, CRC32 in file byte order. */
static const char *elf_debuglink(Elf *elf, uint32_t *crc)
{
    Elf_Scn *scn = find_scn(elf, ".gnu_debuglink", NULL);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (d == NULL || d->d_buf == NULL || d->d_size < 6)
        return NULL;
    const char *name = d->d_buf;
    size_t len = strnlen(name, d->d_size);
    size_t crcoff = (len + 4) & ~(size_t)3;
    if (len == 0 || crcoff + 4 > d->d_size)
        return NULL;
    const unsigned char *c = (const unsigned char *)d->d_buf + crcoff;
    GElf_Ehdr eh;
    int le = gelf_getehdr(elf, &eh) == NULL || eh.e_ident[EI_DATA] != ELFDATA2MSB;
    *crc = le ? (uint32_t)c[0] | (uint32_t)c[1] << 8 | (uint32_t)c[2] << 16 | (uint32_t)c[3] << 24
              : (uint32_t)c[3] | (uint32_t)c[2] << 8 | (uint32_t)c[1] << 16 | (uint32_t)c[0] << 24;
    return name;
}

/* .gnu_debugaltlink (dwz): NUL-terminated file name, then the alt file's build-id. */
static const char *elf_altlink(Elf *elf, const unsigned char **bid, size_t *bidlen)
{
    Elf_Scn *scn = find_scn(elf, ".gnu_debugaltlink", NULL);
    Elf_Data *d = scn ? elf_getdata(scn, NULL) : NULL;
    if (d == NULL || d->d_buf == NULL || d->d_size < 2)
        return NULL;
    size_t len = strnlen(d->d_buf, d->d_size);
    if (len == 0 || len + 1 >= d->d_size)
        return NULL;
    *bid = (const unsigned char *)d->d_buf + len + 1;
    *bidlen = d->d_size - len - 1;
    return d->d_buf;
}

static char *debug_root(void)
{
    const char *pre = getenv("BUFTRACE_DEBUG_ROOT");
    return join3(pre != NULL ? pre : "", "/usr/lib/debug", "");
}

/* <root>/.build-id/xx/yyyy<suffix> */
static char *build_id_path(const char *root, const unsigned char *id, size_t n,
                           const char *suffix)
{
    if (n < 2 || n > 64)
        return NULL;
    char hex[130];
    for (size_t i = 0; i < n; i++)
        snprintf(hex + 2 * i, 3, "%02x", id[i]);
    char *r;
    if (asprintf(&r, "%s/.build-id/%.2s/%s%s", root, hex, hex + 2, suffix) < 0)
        return NULL;
    return r;
}

static int same_file(const char *a, const char *b)
{
    struct stat sa, sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* Accept a candidate debug file only if it really belongs to the module: by build-id when
 * both have one, else (debuglink candidates only) by the CRC the link recorded.  A wrong
 * debug file would give confidently wrong lines, which is worse than none. */
static int try_debug_file(struct elfimg *out, char **outpath, const char *cand,
                          const char *module_path,
                          const unsigned char *bid, size_t bidlen, int have_crc, uint32_t crc,
                          int need_dwarf)
{
    if (access(cand, R_OK) != 0 || same_file(cand, module_path))
        return 0;
    struct elfimg img;
    if (img_open(&img, cand) != 0)
        return 0;
    const unsigned char *dbid;
    size_t dlen = elf_build_id(img.elf, &dbid);
    int ok;
    if (bidlen > 0 && dlen > 0)
        ok = dlen == bidlen && memcmp(dbid, bid, bidlen) == 0;
    else if (have_crc) {
        uint32_t c = 0;
        ok = crc32_file(cand, &c) == 0 && c == crc;
    } else
        ok = 0;
    if (ok && need_dwarf && !has_debug_info(img.elf))
        ok = 0;
    if (!ok) {
        img_close(&img);
        return 0;
    }
    *out = img;
    if (outpath != NULL)
        *outpath = strdup(cand);
    return 1;
}

/* On success *outpath (malloc'd, may be NULL when out of memory) names the file found. */
static int find_debug_file(struct elfimg *out, char **outpath, const char *module_path,
                           Elf *elf, const unsigned char *bid, size_t bidlen)
{
    char *root = debug_root();
    if (root == NULL)
        return 0;
    int found = 0;
    char *cand = build_id_path(root, bid, bidlen, ".debug");
    if (cand != NULL)
        found = try_debug_file(out, outpath, cand, module_path, bid, bidlen, 0, 0, 1);
    free(cand);

    uint32_t crc = 0;
    const char *link = found ? NULL : elf_debuglink(elf, &crc);
    if (link != NULL && strchr(link, '/') == NULL) {
        /* Like gdb: relative to the module's real location (libfoo.so.1 is often a link). */
        char *real = realpath(module_path, NULL);
        char *dir = dir_of(real != NULL ? real : module_path);
        free(real);
        if (dir != NULL) {
            const char *sep = strcmp(dir, "/") == 0 ? "" : "/";
            char *c[3] = {NULL, NULL, NULL};
            if (asprintf(&c[0], "%s%s%s", dir, sep, link) < 0)
                c[0] = NULL;
            if (asprintf(&c[1], "%s%s.debug/%s", dir, sep, link) < 0)
                c[1] = NULL;
            if (dir[0] == '/' && asprintf(&c[2], "%s%s%s%s", root, dir, sep, link) < 0)
                c[2] = NULL;
            for (int i = 0; i < 3; i++) {
                if (!found && c[i] != NULL)
                    found = try_debug_file(out, outpath, c[i], module_path, bid, bidlen, 1, crc,
                                           1);
                free(c[i]);
            }
            free(dir);
        }
    }
    free(root);
    return found;
}

/* dwz puts shared DIEs in a separate file named by .gnu_debugaltlink. libdw 0.188 only
 * finds it relative to a file descriptor we do not give it (we use elf_memory), so we find
 * it ourselves and attach it with dwarf_setalt. */
static int find_alt_file(struct elfimg *out, Elf *elf, const char *dwarf_path)
{
    const unsigned char *bid;
    size_t bidlen;
    const char *name = elf_altlink(elf, &bid, &bidlen);
    if (name == NULL)
        return 0;
    int found = 0;
    char *root = debug_root();
    char *cand = root ? build_id_path(root, bid, bidlen, ".debug") : NULL;
    if (cand != NULL)
        found = try_debug_file(out, NULL, cand, dwarf_path, bid, bidlen, 0, 0, 1);
    free(cand);
    if (!found) {
        char *dir = dir_of(dwarf_path);
        cand = name[0] == '/' ? strdup(name) : dir ? join3(dir, "/", name) : NULL;
        if (cand != NULL)
            found = try_debug_file(out, NULL, cand, dwarf_path, bid, bidlen, 0, 0, 1);
        free(cand);
        free(dir);
    }
    free(root);
    return found;
}

/* ------------------------------------------------------------------------------------ */
/* 4. address indexes                                                                    */

/* A sorted array of [lo, hi) intervals; maxhi is the running maximum of hi, so a lookup
 * can walk back from the last lo <= addr past nested/overlapping entries and stop as soon
 * as no earlier interval can reach addr. */
struct ivl {
    uint64_t lo, hi, maxhi;
    uint64_t off;     /* CU DIE offset */
    const char *name; /* symbol name (in libelf's string table) */
};

struct ivec {
    struct ivl *v;
    size_t n, cap;
};

static int ivec_add(struct ivec *a, uint64_t lo, uint64_t hi, uint64_t off, const char *name)
{
    if (a->n == a->cap) {
        size_t nc = a->cap ? a->cap * 2 : 256;
        struct ivl *nv = realloc(a->v, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        a->v = nv;
        a->cap = nc;
    }
    a->v[a->n++] = (struct ivl){.lo = lo, .hi = hi, .off = off, .name = name};
    return 0;
}

static int ivl_cmp(const void *pa, const void *pb)
{
    const struct ivl *a = pa, *b = pb;
    if (a->lo != b->lo)
        return a->lo < b->lo ? -1 : 1;
    if (a->hi != b->hi)
        return a->hi < b->hi ? -1 : 1;
    /* Among aliases, prefer a stable order; globals are added after locals (see below). */
    return 0;
}

static void ivec_finish(struct ivec *a)
{
    if (a->n == 0)
        return;
    qsort(a->v, a->n, sizeof *a->v, ivl_cmp);
    uint64_t m = 0;
    for (size_t i = 0; i < a->n; i++) {
        if (a->v[i].hi > m)
            m = a->v[i].hi;
        a->v[i].maxhi = m;
    }
}

static const struct ivl *ivec_find(const struct ivec *a, uint64_t addr)
{
    size_t lo = 0, hi = a->n; /* first index with v.lo > addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (a->v[mid].lo <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    for (size_t i = lo; i-- > 0;) {
        if (a->v[i].maxhi <= addr)
            break;
        if (addr < a->v[i].hi)
            return &a->v[i];
    }
    return NULL;
}

static int add_symtab(Elf *elf, Elf64_Word type, struct ivec *out)
{
    Elf_Scn *scn = NULL;
    int added = 0;
    while ((scn = elf_nextscn(elf, scn)) != NULL) {
        GElf_Shdr sh;
        if (gelf_getshdr(scn, &sh) == NULL || sh.sh_type != type || sh.sh_entsize == 0)
            continue;
        Elf_Data *d = elf_getdata(scn, NULL);
        if (d == NULL || d->d_buf == NULL)
            continue;
        size_t n = sh.sh_size / sh.sh_entsize;
        for (size_t i = 1; i < n; i++) {
            GElf_Sym s;
            if (gelf_getsym(d, (int)i, &s) == NULL)
                break;
            int t = GELF_ST_TYPE(s.st_info);
            /* Only sized functions: a size-0 symbol has no known extent and would claim
             * every address after it, which yields wrong names. */
            if ((t != STT_FUNC && t != STT_GNU_IFUNC) || s.st_shndx == SHN_UNDEF ||
                s.st_value == 0 || s.st_size == 0 || s.st_value + s.st_size < s.st_value)
                continue;
            const char *name = elf_strptr(elf, sh.sh_link, s.st_name);
            if (name == NULL || name[0] == '\0')
                continue;
            if (ivec_add(out, s.st_value, s.st_value + s.st_size, 0, name) != 0)
                return -1;
            added++;
        }
    }
    return added;
}

/* ------------------------------------------------------------------------------------ */
/* 5. modules and DWARF resolution                                                       */

/* Per compilation unit, built on first use: the ranges of its out-of-line functions.
 * Finding the function of an address by walking the unit's DIE tree would cost a walk of
 * the whole unit per address (libdw's dwarf_siblingof re-parses every subtree it skips,
 * and clang emits no DW_AT_sibling), which is prohibitive for tt-metal's huge units. */
struct cuinfo {
    Dwarf_Off off; /* CU DIE offset */
    int indexed;
    struct ivec funcs; /* [lo, hi) -> subprogram DIE offset */
};

/* DIE offset -> namespace-qualified name, for functions without a linkage name. */
struct qmap {
    uint64_t *key;
    const char **val;
    size_t cap, n;
};

struct module {
    char *path;
    int ok; /* file opened and parsed */
    unsigned char *bid;
    size_t bidlen;
    struct elfimg main, debug, alt;
    Dwarf *dw, *altdw;
    struct cuinfo *cu; /* in .debug_info order, i.e. sorted by off */
    size_t ncu;
    struct ivec cus;   /* CU address ranges -> index into cu[] */
    struct ivec syms;  /* ELF function symbols */
    struct qmap qnames;
    uint64_t used; /* the symbolizer's tick at its last use: least recent is closed first */
};

struct centry {
    struct module *m; /* NULL: empty slot */
    uint64_t vaddr;
    enum sym_status st;
    int n;
    struct sym_frame *f;
};

struct symbolizer {
    struct module **mods; /* open-addressed by path */
    size_t mcap, mn;
    struct centry *cache; /* open-addressed by (module, vaddr) */
    size_t ccap, cn;
    struct strset strs;
    uint64_t tick;
};

static const char *demangled(struct symbolizer *s, const char *name)
{
    if (name == NULL)
        return NULL;
    if (name[0] == '_' && name[1] == 'Z') {
        int st = -1;
        char *d = __cxa_demangle(name, NULL, NULL, &st);
        if (d != NULL && st == 0) {
            const char *r = intern(&s->strs, d);
            free(d);
            return r;
        }
        free(d);
    }
    return intern(&s->strs, name);
}

static int qmap_put(struct qmap *q, uint64_t key, const char *val)
{
    if ((q->n + 1) * 2 > q->cap) {
        size_t nc = q->cap ? q->cap * 2 : 256;
        uint64_t *nk = malloc(nc * sizeof *nk);
        const char **nv = calloc(nc, sizeof *nv);
        if (nk == NULL || nv == NULL) {
            free(nk);
            free(nv);
            return -1;
        }
        for (size_t i = 0; i < q->cap; i++) {
            if (q->val[i] == NULL)
                continue;
            size_t j = hash_u64(q->key[i]) & (nc - 1);
            while (nv[j] != NULL)
                j = (j + 1) & (nc - 1);
            nk[j] = q->key[i];
            nv[j] = q->val[i];
        }
        free(q->key);
        free(q->val);
        q->key = nk;
        q->val = nv;
        q->cap = nc;
    }
    size_t j = hash_u64(key) & (q->cap - 1);
    while (q->val[j] != NULL && q->key[j] != key)
        j = (j + 1) & (q->cap - 1);
    if (q->val[j] == NULL)
        q->n++;
    q->key[j] = key;
    q->val[j] = val;
    return 0;
}

static const char *qmap_get(const struct qmap *q, uint64_t key)
{
    if (q->cap == 0)
        return NULL;
    size_t j = hash_u64(key) & (q->cap - 1);
    while (q->val[j] != NULL) {
        if (q->key[j] == key)
            return q->val[j];
        j = (j + 1) & (q->cap - 1);
    }
    return NULL;
}

static struct cuinfo *cu_by_offset(struct module *m, Dwarf_Off off)
{
    size_t lo = 0, hi = m->ncu;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (m->cu[mid].off == off)
            return &m->cu[mid];
        if (m->cu[mid].off < off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static void index_cu(struct symbolizer *s, struct module *m, struct cuinfo *ci);

/* For functions without a linkage name (gcc omits it for internal-linkage C++ functions;
 * C has none): DW_AT_name, qualified with the enclosing namespaces and classes recorded
 * when the unit was indexed, so "inline_leaf" reads "buft::inline_leaf" as the demangled
 * linkage names do. */
static const char *qualified_name(struct symbolizer *s, struct module *m, Dwarf_Die *die)
{
    Dwarf_Die cur = *die, ref;
    Dwarf_Attribute a;
    for (int hop = 0; dwarf_attr(&cur, DW_AT_name, &a) == NULL; hop++) {
        if (hop == 16 || (dwarf_attr(&cur, DW_AT_abstract_origin, &a) == NULL &&
                          dwarf_attr(&cur, DW_AT_specification, &a) == NULL) ||
            dwarf_formref_die(&a, &ref) == NULL)
            return NULL;
        cur = ref;
    }
    const char *name = dwarf_formstring(&a);
    if (name == NULL)
        return NULL;
    if (dwarf_cu_getdwarf(cur.cu) == m->dw) { /* not a DIE of the dwz alt file */
        Dwarf_Die cudie;
        struct cuinfo *ci = NULL;
        if (dwarf_diecu(&cur, &cudie, NULL, NULL) != NULL &&
            (ci = cu_by_offset(m, dwarf_dieoffset(&cudie))) != NULL)
            index_cu(s, m, ci);
        const char *q = qmap_get(&m->qnames, dwarf_dieoffset(&cur));
        if (q != NULL)
            return q;
    }
    return intern(&s->strs, name);
}
static const char *die_function_name(struct symbolizer *s, struct module *m, Dwarf_Die *die)
{
    /* attr_integrate follows DW_AT_abstract_origin (inlined and out-of-line instances) and
     * DW_AT_specification (member function definitions) to where the names live. */
    Dwarf_Attribute a;
    const char *n = NULL;
    if (dwarf_attr_integrate(die, DW_AT_linkage_name, &a) != NULL)
        n = dwarf_formstring(&a);
    if (n == NULL && dwarf_attr_integrate(die, DW_AT_MIPS_linkage_name, &a) != NULL)
        n = dwarf_formstring(&a);
    if (n != NULL)
        return demangled(s, n);
    return qualified_name(s, m, die);
}

static const char *full_path(struct symbolizer *s, const char *comp_dir, const char *file)
{
    if (file == NULL)
        return NULL;
    if (file[0] == '/' || comp_dir == NULL || comp_dir[0] == '\0')
        return intern(&s->strs, file);
    char *j = join3(comp_dir, "/", file);
    const char *r = j ? intern(&s->strs, j) : NULL;
    free(j);
    return r;
}

/* Record the functions of one scope level: out-of-line subprograms by address range, and
 * the qualified names of unnamed-linkage ones.  Descends into namespaces and classes (which
 * hold function definitions) but not into function bodies. */
static int index_scope(struct symbolizer *s, struct module *m, struct cuinfo *ci,
                       Dwarf_Die *parent, char **prefix, size_t plen, unsigned depth,
                       long *budget)
{
    Dwarf_Die child;
    if (depth > MAX_SCOPE_DEPTH || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        if (--*budget < 0)
            return 0;
        int tag = dwarf_tag(&child);
        if (tag == DW_TAG_subprogram) {
            Dwarf_Addr base, lo, hi;
            ptrdiff_t o = 0;
            for (int guard = 0; guard < 100000; guard++) {
                if ((o = dwarf_ranges(&child, o, &base, &lo, &hi)) <= 0)
                    break;
                if (lo != 0 && lo < hi && lo < (Dwarf_Addr)-2 &&
                    ivec_add(&ci->funcs, lo, hi, dwarf_dieoffset(&child), NULL) != 0)
                    return -1;
            }
            if (plen > 0 && !dwarf_hasattr(&child, DW_AT_linkage_name) &&
                !dwarf_hasattr(&child, DW_AT_MIPS_linkage_name)) {
                const char *n = dwarf_diename(&child);
                char *q = n ? join3(*prefix, "", n) : NULL;
                const char *iq = q ? intern(&s->strs, q) : NULL;
                free(q);
                if (iq != NULL && qmap_put(&m->qnames, dwarf_dieoffset(&child), iq) != 0)
                    return -1;
            }
        } else if (tag == DW_TAG_namespace || tag == DW_TAG_class_type ||
                   tag == DW_TAG_structure_type || tag == DW_TAG_union_type ||
                   tag == DW_TAG_module) {
            const char *n = dwarf_diename(&child);
            if (n == NULL)
                n = tag == DW_TAG_namespace ? "(anonymous namespace)" : "(anonymous)";
            char *np = join3(*prefix, n, "::");
            if (np == NULL)
                return -1;
            char *saved = *prefix;
            *prefix = np;
            int r = index_scope(s, m, ci, &child, prefix, strlen(np), depth + 1, budget);
            *prefix = saved;
            free(np);
            if (r < 0)
                return r;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

static void index_cu(struct symbolizer *s, struct module *m, struct cuinfo *ci)
{
    if (ci->indexed)
        return;
    ci->indexed = 1;
    Dwarf_Die cudie;
    char *prefix = strdup("");
    long budget = DIE_BUDGET;
    /* On failure (no memory, corrupt unit) keep what was gathered: a partial index still
     * answers correctly where it has entries. */
    if (prefix != NULL && dwarf_offdie(m->dw, ci->off, &cudie) != NULL)
        (void)index_scope(s, m, ci, &cudie, &prefix, 0, 0, &budget);
    free(prefix);
    ivec_finish(&ci->funcs);
}

/* Address ranges of every compilation unit.  This replaces .debug_aranges, which clang's
 * DWARF 5 output lacks and without which libdw 0.188's dwarf_addrdie finds nothing.
 * dwarf_ranges understands DW_AT_low_pc/high_pc, DW_AT_ranges and DWARF 5 rnglists. */
static void build_cu_index(struct module *m)
{
    Dwarf_CU *cu = NULL, *next;
    Dwarf_Half ver;
    uint8_t ut;
    Dwarf_Die cudie, sub;
    size_t cap = 0;
    while (m->ncu < 10000000 && dwarf_get_units(m->dw, cu, &next, &ver, &ut, &cudie, &sub) == 0) {
        cu = next;
        if (ut != DW_UT_compile && ut != DW_UT_skeleton)
            continue;
        if (m->ncu == cap) {
            size_t nc = cap ? cap * 2 : 64;
            struct cuinfo *nv = realloc(m->cu, nc * sizeof *nv);
            if (nv == NULL)
                goto out;
            m->cu = nv;
            cap = nc;
        }
        m->cu[m->ncu] = (struct cuinfo){.off = dwarf_dieoffset(&cudie)};
        Dwarf_Addr base, start, end;
        ptrdiff_t o = 0;
        for (int guard = 0; guard < 1000000; guard++) {
            o = dwarf_ranges(&cudie, o, &base, &start, &end);
            if (o <= 0)
                break;
            /* Ranges of code removed by --gc-sections are relocated to 0 (ld) or to
             * -1/-2 tombstones (lld); no real code lives at address 0 of an ELF file. */
            if (start == 0 || end <= start || start >= (Dwarf_Addr)-2)
                continue;
            if (ivec_add(&m->cus, start, end, m->ncu, NULL) != 0)
                goto out;
        }
        m->ncu++;
    }
out:
    ivec_finish(&m->cus); /* even when cut short: lookups need it sorted */
}

struct chain {
    Dwarf_Die *v;
    size_t n, cap;
};

static int chain_push(struct chain *c, const Dwarf_Die *d)
{
    if (c->n == c->cap) {
        size_t nc = c->cap ? c->cap * 2 : 16;
        Dwarf_Die *nv = realloc(c->v, nc * sizeof *nv);
        if (nv == NULL)
            return -1;
        c->v = nv;
        c->cap = nc;
    }
    c->v[c->n++] = *d;
    return 0;
}

/* Descend from PARENT (a function) to the innermost scope whose ranges contain PC,
 * recording the scopes on the way.  dwarf_getscopes is not used because for an address
 * in inlined code it returns the abstract definition's scopes after the innermost inlined
 * instance, not the concrete chain of callers we need. */
static int find_scopes(Dwarf_Die *parent, Dwarf_Addr pc, struct chain *c, unsigned depth,
                       long *budget)
{
    Dwarf_Die child;
    if (depth > MAX_SCOPE_DEPTH || dwarf_child(parent, &child) != 0)
        return 0;
    do {
        if (--*budget < 0)
            return 0;
        switch (dwarf_tag(&child)) {
        case DW_TAG_subprogram: /* nested functions (GNU C) */
        case DW_TAG_inlined_subroutine:
        case DW_TAG_entry_point:
        case DW_TAG_lexical_block:
        case DW_TAG_try_block:
        case DW_TAG_catch_block:
            if (dwarf_haspc(&child, pc) > 0) {
                if (chain_push(c, &child) < 0)
                    return -1;
                return find_scopes(&c->v[c->n - 1], pc, c, depth + 1, budget) < 0 ? -1 : 1;
            }
            break;
        default:
            break;
        }
    } while (dwarf_siblingof(&child, &child) == 0);
    return 0;
}

static int cu_for_addr(struct module *m, uint64_t a, Dwarf_Die *cudie, struct cuinfo **ci)
{
    const struct ivl *iv = ivec_find(&m->cus, a);
    *ci = NULL;
    if (iv != NULL && dwarf_offdie(m->dw, m->cu[iv->off].off, cudie) != NULL) {
        *ci = &m->cu[iv->off];
        return 1;
    }
    /* Units without ranges but covered by .debug_aranges (rare; cheap to ask). */
    if (dwarf_addrdie(m->dw, a, cudie) == NULL)
        return 0;
    *ci = cu_by_offset(m, dwarf_dieoffset(cudie));
    return 1;
}
static int is_function_tag(int tag)
{
    return tag == DW_TAG_subprogram || tag == DW_TAG_inlined_subroutine ||
           tag == DW_TAG_entry_point;
}

/* Frames for A from DWARF, innermost first; 0 when no unit covers A or nothing is known. */
static int resolve_dwarf(struct symbolizer *s, struct module *m, uint64_t a,
                         struct sym_frame *fr, int cap)
{
    Dwarf_Die cudie;
    struct cuinfo *ci;
    if (m->dw == NULL || !cu_for_addr(m, a, &cudie, &ci))
        return 0;
    Dwarf_Attribute at;
    const char *comp_dir = dwarf_formstring(dwarf_attr(&cudie, DW_AT_comp_dir, &at));

    /* Location of the address itself: the line table. */
    const char *file = NULL;
    int line = 0, col = 0;
    Dwarf_Line *ln = dwarf_getsrc_die(&cudie, a);
    if (ln != NULL) {
        file = full_path(s, comp_dir, dwarf_linesrc(ln, NULL, NULL));
        if (dwarf_lineno(ln, &line) != 0)
            line = 0;
        if (dwarf_linecol(ln, &col) != 0)
            col = 0;
    }

    /* The out-of-line function from the unit's function index, then the inlined
     * instances and blocks inside it. */
    struct chain c = {0};
    long budget = DIE_BUDGET;
    const struct ivl *fn = NULL;
    if (ci != NULL) {
        index_cu(s, m, ci);
        fn = ivec_find(&ci->funcs, a);
    }
    Dwarf_Die fdie;
    if (fn != NULL && dwarf_offdie(m->dw, fn->off, &fdie) != NULL && chain_push(&c, &fdie) == 0)
        find_scopes(&c.v[0], a, &c, 0, &budget);

    Dwarf_Files *files = NULL;
    size_t nfiles = 0;
    int n = 0;
    for (size_t i = c.n; i-- > 0 && n < cap;) {
        Dwarf_Die *d = &c.v[i];
        int tag = dwarf_tag(d);
        if (!is_function_tag(tag))
            continue;
        fr[n] = (struct sym_frame){.function = die_function_name(s, m, d), .file = file,
                                   .line = line, .column = col,
                                   .inlined = tag == DW_TAG_inlined_subroutine};
        n++;
        if (tag != DW_TAG_inlined_subroutine)
            break; /* the out-of-line function ends the chain */
        /* The caller's frame is positioned at the call site of this inlined instance. */
        Dwarf_Word v;
        file = NULL;
        line = col = 0;
        if (dwarf_formudata(dwarf_attr(d, DW_AT_call_file, &at), &v) == 0) {
            if (files == NULL && dwarf_getsrcfiles(&cudie, &files, &nfiles) != 0)
                files = NULL;
            if (files != NULL && v < nfiles)
                file = full_path(s, comp_dir, dwarf_filesrc(files, v, NULL, NULL));
        }
        if (dwarf_formudata(dwarf_attr(d, DW_AT_call_line, &at), &v) == 0 && v <= INT_MAX)
            line = (int)v;
        if (dwarf_formudata(dwarf_attr(d, DW_AT_call_column, &at), &v) == 0 && v <= INT_MAX)
            col = (int)v;
    }
    free(c.v);
    if (n == 0 && ln != NULL) /* code with line info but no subprogram DIE (e.g. asm) */
        fr[n++] = (struct sym_frame){.file = file, .line = line, .column = col};
    return n;
}

static void module_free(struct module *m)
{
    if (m == NULL)
        return;
    if (m->dw != NULL)
        dwarf_end(m->dw);
    if (m->altdw != NULL)
        dwarf_end(m->altdw);
    img_close(&m->alt);
    img_close(&m->debug);
    img_close(&m->main);
    for (size_t i = 0; i < m->ncu; i++)
        free(m->cu[i].funcs.v);
    free(m->cu);
    free(m->qnames.key);
    free(m->qnames.val);
    free(m->cus.v);
    free(m->syms.v);
    free(m->bid);
    free(m->path);
    free(m);
}

/* Open the file, read its build-id, find DWARF (in it or in a separate file), and index
 * units and symbols.  Everything optional may fail quietly: the module then resolves what
 * it can (symbols only, or nothing). */
static void module_load(struct module *m)
{
    if (img_open(&m->main, m->path) != 0)
        return;
    m->ok = 1;
    const unsigned char *bid;
    size_t bl = elf_build_id(m->main.elf, &bid);
    if (bl > 0 && (m->bid = malloc(bl)) != NULL) {
        memcpy(m->bid, bid, bl);
        m->bidlen = bl;
    }

    Elf *dwelf = NULL;
    char *dbgpath = NULL;
    if (has_debug_info(m->main.elf))
        dwelf = m->main.elf;
    else if (find_debug_file(&m->debug, &dbgpath, m->path, m->main.elf, m->bid, m->bidlen))
        dwelf = m->debug.elf;
    if (dwelf != NULL) {
        m->dw = dwarf_begin_elf(dwelf, DWARF_C_READ, NULL);
        if (m->dw != NULL &&
            find_alt_file(&m->alt, dwelf, dbgpath != NULL ? dbgpath : m->path)) {
            m->altdw = dwarf_begin_elf(m->alt.elf, DWARF_C_READ, NULL);
            if (m->altdw != NULL)
                dwarf_setalt(m->dw, m->altdw);
        }
        if (m->dw != NULL)
            build_cu_index(m); /* on allocation failure: the units indexed so far */
    }
    free(dbgpath);
    /* Symbols: the module's own .symtab, else the debug file's (strip --strip-all keeps it
     * there), else .dynsym (always present in a shared object). */
    int n = add_symtab(m->main.elf, SHT_SYMTAB, &m->syms);
    if (n == 0 && m->debug.elf != NULL)
        n = add_symtab(m->debug.elf, SHT_SYMTAB, &m->syms);
    if (n == 0)
        n = add_symtab(m->main.elf, SHT_DYNSYM, &m->syms);
    if (n < 0) {
        free(m->syms.v);
        m->syms = (struct ivec){0};
    }
    ivec_finish(&m->syms);
}

static size_t centry_hash(const struct module *m, uint64_t vaddr);

/* Put a module into the path table (which has room). */
static void mods_insert(struct module **v, size_t cap, struct module *m)
{
    size_t j = hash_bytes(m->path, strlen(m->path)) & (cap - 1);
    while (v[j] != NULL)
        j = (j + 1) & (cap - 1);
    v[j] = m;
}

/* Close the least recently used module and forget the addresses cached for it (both tables
 * are rebuilt without them: open addressing has no cheap delete, and this is rare).  The
 * strings it produced stay: they are the symbolizer's, not the module's. */
static void evict_module(struct symbolizer *s)
{
    struct module *victim = NULL;
    for (size_t i = 0; i < s->mcap; i++)
        if (s->mods[i] != NULL && (victim == NULL || s->mods[i]->used < victim->used))
            victim = s->mods[i];
    if (victim == NULL)
        return;
    struct module **nv = calloc(s->mcap, sizeof *nv);
    struct centry *nc = s->ccap ? calloc(s->ccap, sizeof *nc) : NULL;
    if (nv == NULL || (s->ccap && nc == NULL)) { /* out of memory: keep it open */
        free(nv);
        free(nc);
        return;
    }
    for (size_t i = 0; i < s->mcap; i++)
        if (s->mods[i] != NULL && s->mods[i] != victim)
            mods_insert(nv, s->mcap, s->mods[i]);
    free(s->mods);
    s->mods = nv;
    s->mn--;
    for (size_t i = 0; i < s->ccap; i++) {
        struct centry *e = &s->cache[i];
        if (e->m == NULL)
            continue;
        if (e->m == victim) {
            free(e->f);
            s->cn--;
            continue;
        }
        size_t j = centry_hash(e->m, e->vaddr) & (s->ccap - 1);
        while (nc[j].m != NULL)
            j = (j + 1) & (s->ccap - 1);
        nc[j] = *e;
    }
    free(s->cache);
    s->cache = nc;
    module_free(victim);
}

static struct module *get_module(struct symbolizer *s, const char *path)
{
    if (s->mcap > 0) {
        size_t j = hash_bytes(path, strlen(path)) & (s->mcap - 1);
        for (; s->mods[j] != NULL; j = (j + 1) & (s->mcap - 1))
            if (strcmp(s->mods[j]->path, path) == 0) {
                s->mods[j]->used = ++s->tick;
                return s->mods[j];
            }
    }
    if (s->mn >= SYM_MAX_MODULES)
        evict_module(s);
    if (s->mcap == 0 || (s->mn + 1) * 2 > s->mcap) {
        size_t nc = s->mcap ? s->mcap * 2 : 64;
        struct module **nv = calloc(nc, sizeof *nv);
        if (nv == NULL)
            return NULL;
        for (size_t i = 0; i < s->mcap; i++)
            if (s->mods[i] != NULL)
                mods_insert(nv, nc, s->mods[i]);
        free(s->mods);
        s->mods = nv;
        s->mcap = nc;
    }
    struct module *m = calloc(1, sizeof *m);
    if (m == NULL || (m->path = strdup(path)) == NULL) {
        free(m);
        return NULL;
    }
    module_load(m);
    m->used = ++s->tick;
    mods_insert(s->mods, s->mcap, m);
    s->mn++;
    return m;
}

/* ------------------------------------------------------------------------------------ */
/* 6. cache and API                                                                      */

static size_t centry_hash(const struct module *m, uint64_t vaddr)
{
    return (size_t)hash_u64(vaddr ^ hash_u64((uint64_t)(uintptr_t)m));
}

static struct centry *cache_slot(struct symbolizer *s, struct module *m, uint64_t vaddr)
{
    if (s->ccap == 0 || (s->cn + 1) * 2 > s->ccap) {
        size_t nc = s->ccap ? s->ccap * 2 : 4096;
        struct centry *nv = calloc(nc, sizeof *nv);
        if (nv == NULL)
            return NULL;
        for (size_t i = 0; i < s->ccap; i++) {
            if (s->cache[i].m == NULL)
                continue;
            size_t j = centry_hash(s->cache[i].m, s->cache[i].vaddr) & (nc - 1);
            while (nv[j].m != NULL)
                j = (j + 1) & (nc - 1);
            nv[j] = s->cache[i];
        }
        free(s->cache);
        s->cache = nv;
        s->ccap = nc;
    }
    size_t j = centry_hash(m, vaddr) & (s->ccap - 1);
    while (s->cache[j].m != NULL &&
           !(s->cache[j].m == m && s->cache[j].vaddr == vaddr))
        j = (j + 1) & (s->ccap - 1);
    return &s->cache[j];
}

static void resolve_uncached(struct symbolizer *s, struct module *m, uint64_t a,
                             struct centry *e)
{
    struct sym_frame fr[MAX_FRAMES];
    int n = resolve_dwarf(s, m, a, fr, MAX_FRAMES);
    const struct ivl *sym = ivec_find(&m->syms, a);
    if (n > 0) {
        e->st = SYM_OK;
        if (fr[n - 1].function == NULL && sym != NULL)
            fr[n - 1].function = demangled(s, sym->name);
    } else if (sym != NULL) {
        fr[0] = (struct sym_frame){.function = demangled(s, sym->name)};
        n = 1;
        e->st = SYM_NO_DEBUG;
    } else {
        e->st = SYM_NO_SYMBOL;
    }
    e->n = 0;
    e->f = NULL;
    if (n > 0 && (e->f = malloc((size_t)n * sizeof *e->f)) != NULL) {
        memcpy(e->f, fr, (size_t)n * sizeof *fr);
        e->n = n;
    }
}

struct symbolizer *sym_new(void)
{
    /* libelf refuses to work until a version has been negotiated. */
    if (elf_version(EV_CURRENT) == EV_NONE)
        return NULL;
    return calloc(1, sizeof(struct symbolizer));
}

void sym_free(struct symbolizer *s)
{
    if (s == NULL)
        return;
    for (size_t i = 0; i < s->ccap; i++)
        free(s->cache[i].f);
    free(s->cache);
    for (size_t i = 0; i < s->mcap; i++)
        module_free(s->mods[i]);
    free(s->mods);
    strset_free(&s->strs);
    free(s);
}

int sym_resolve(struct symbolizer *s, const char *path, const unsigned char *build_id,
                size_t build_id_len, uint64_t vaddr, struct sym_frame *out, int max,
                enum sym_status *status)
{
    enum sym_status dummy;
    if (status == NULL)
        status = &dummy;
    *status = SYM_NO_FILE;
    if (s == NULL || path == NULL)
        return 0;
    struct module *m = get_module(s, path);
    if (m == NULL || !m->ok)
        return 0;
    if (build_id != NULL && build_id_len > 0 &&
        (m->bidlen != build_id_len || memcmp(m->bid, build_id, build_id_len) != 0)) {
        *status = SYM_BUILD_ID_MISMATCH;
        return 0;
    }
    struct centry *e = cache_slot(s, m, vaddr);
    struct centry tmp;
    if (e == NULL) { /* out of memory for the cache: resolve without caching */
        e = &tmp;
        resolve_uncached(s, m, vaddr, e);
    } else if (e->m == NULL) {
        resolve_uncached(s, m, vaddr, e);
        e->m = m;
        e->vaddr = vaddr;
        s->cn++;
    }
    *status = e->st;
    int n = e->n < max ? e->n : max;
    if (n > 0 && out != NULL)
        memcpy(out, e->f, (size_t)n * sizeof *out);
    else
        n = 0;
    if (e == &tmp)
        free(tmp.f);
    return n;
}

const char *sym_status_str(enum sym_status st)
{
    switch (st) {
    case SYM_OK:
        return "ok";
    case SYM_NO_FILE:
        return "no file";
    case SYM_BUILD_ID_MISMATCH:
        return "build-id mismatch";
    case SYM_NO_DEBUG:
        return "no debug info";
    case SYM_NO_SYMBOL:
        return "no symbol";
    }
    return "unknown";
}
