/* zdebug IN OUT: copy a 64-bit ELF file, storing every non-allocated .debug_* section
 * zstd-compressed (SHF_COMPRESSED, Elf64_Chdr with ch_type ELFCOMPRESS_ZSTD = 2).
 *
 * Why a tool: tt-metal links with --compress-debug-sections=zstd, but on Debian 12 the
 * toolchain cannot produce such files (binutils 2.40 accepts the option and silently writes
 * uncompressed sections; libelf 0.188's elf_compress knows only zlib).  The symbolizer
 * test needs real zstd-compressed inputs, so we write them ourselves.
 *
 * Layout: the input bytes are copied unchanged (so program headers and allocated sections
 * keep their offsets), each compressed section is appended, then a new section header
 * table; e_shoff points at it.  The old uncompressed bytes remain as an unreferenced hole,
 * which ELF allows.  Only ELFCLASS64 in host byte order is supported. */
#include <elf.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#ifndef ELFCOMPRESS_ZSTD
#define ELFCOMPRESS_ZSTD 2
#endif

static int fail(const char *msg, const char *arg)
{
    fprintf(stderr, "zdebug: %s%s%s\n", msg, arg ? ": " : "", arg ? arg : "");
    return 1;
}

static unsigned char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    unsigned char *buf = NULL;
    long n = -1;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) > 0 && fseek(f, 0, SEEK_SET) == 0 &&
        (buf = malloc((size_t)n)) != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    *len = n > 0 ? (size_t)n : 0;
    return buf;
}

/* Append bytes at an 8-aligned offset; returns that offset or (uint64_t)-1. */
static uint64_t append(unsigned char **out, size_t *len, size_t *cap, const void *p, size_t n)
{
    size_t off = (*len + 7) & ~(size_t)7;
    if (off + n > *cap) {
        size_t nc = (*cap ? *cap : 1 << 20);
        while (nc < off + n)
            nc *= 2;
        unsigned char *no = realloc(*out, nc);
        if (no == NULL)
            return (uint64_t)-1;
        *out = no;
        *cap = nc;
    }
    memset(*out + *len, 0, off - *len);
    memcpy(*out + off, p, n);
    *len = off + n;
    return off;
}

int main(int argc, char **argv)
{
    if (argc != 3)
        return fail("usage: zdebug IN OUT", NULL);
    size_t len;
    unsigned char *in = read_file(argv[1], &len);
    if (in == NULL)
        return fail("cannot read", argv[1]);
    Elf64_Ehdr eh;
    const uint16_t one = 1;
    int host = *(const unsigned char *)&one ? ELFDATA2LSB : ELFDATA2MSB;
    if (len < sizeof eh || (memcpy(&eh, in, sizeof eh), memcmp(eh.e_ident, ELFMAG, SELFMAG)) ||
        eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_ident[EI_DATA] != host ||
        eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shoff == 0 || eh.e_shoff > len) {
        free(in);
        return fail("not a native 64-bit ELF file with sections", argv[1]);
    }
    Elf64_Shdr sh0;
    if (len - eh.e_shoff < sizeof sh0) {
        free(in);
        return fail("truncated section headers", argv[1]);
    }
    memcpy(&sh0, in + eh.e_shoff, sizeof sh0);
    size_t shnum = eh.e_shnum ? eh.e_shnum : sh0.sh_size;
    size_t shstrndx = eh.e_shstrndx == SHN_XINDEX ? sh0.sh_link : eh.e_shstrndx;
    if (shnum > (len - eh.e_shoff) / sizeof(Elf64_Shdr) || shstrndx >= shnum) {
        free(in);
        return fail("bad section header table", argv[1]);
    }
    Elf64_Shdr *sh = malloc(shnum * sizeof *sh);
    unsigned char *out = NULL;
    size_t olen = 0, ocap = 0;
    int rc = 1, ncomp = 0;
    if (sh == NULL)
        goto done;
    memcpy(sh, in + eh.e_shoff, shnum * sizeof *sh);
    const Elf64_Shdr *ss = &sh[shstrndx];
    if (ss->sh_offset > len || ss->sh_size > len - ss->sh_offset) {
        fail("bad .shstrtab", argv[1]);
        goto done;
    }
    if (append(&out, &olen, &ocap, in, len) == (uint64_t)-1)
        goto done;
    for (size_t i = 1; i < shnum; i++) {
        if (sh[i].sh_name >= ss->sh_size)
            continue;
        const char *name = (const char *)in + ss->sh_offset + sh[i].sh_name;
        if (strnlen(name, ss->sh_size - sh[i].sh_name) == ss->sh_size - sh[i].sh_name ||
            strncmp(name, ".debug_", 7) != 0 || (sh[i].sh_flags & (SHF_ALLOC | SHF_COMPRESSED)) ||
            sh[i].sh_type == SHT_NOBITS || sh[i].sh_size == 0 || sh[i].sh_offset > len ||
            sh[i].sh_size > len - sh[i].sh_offset)
            continue;
        size_t bound = ZSTD_compressBound(sh[i].sh_size);
        unsigned char *z = malloc(sizeof(Elf64_Chdr) + bound);
        if (z == NULL)
            goto done;
        Elf64_Chdr ch = {.ch_type = ELFCOMPRESS_ZSTD, .ch_reserved = 0,
                         .ch_size = sh[i].sh_size,
                         .ch_addralign = sh[i].sh_addralign ? sh[i].sh_addralign : 1};
        memcpy(z, &ch, sizeof ch);
        size_t zn = ZSTD_compress(z + sizeof ch, bound, in + sh[i].sh_offset, sh[i].sh_size, 9);
        uint64_t off = ZSTD_isError(zn) ? (uint64_t)-1
                                        : append(&out, &olen, &ocap, z, sizeof ch + zn);
        free(z);
        if (off == (uint64_t)-1) {
            fail("compression failed for", name);
            goto done;
        }
        sh[i].sh_offset = off;
        sh[i].sh_size = sizeof ch + zn;
        sh[i].sh_flags |= SHF_COMPRESSED;
        sh[i].sh_addralign = 8; /* alignment of the Chdr */
        ncomp++;
    }
    uint64_t shoff = append(&out, &olen, &ocap, sh, shnum * sizeof *sh);
    if (shoff == (uint64_t)-1)
        goto done;
    eh.e_shoff = shoff;
    memcpy(out, &eh, sizeof eh);
    FILE *f = fopen(argv[2], "wb");
    if (f == NULL || fwrite(out, 1, olen, f) != olen) {
        if (f)
            fclose(f);
        fail("cannot write", argv[2]);
        goto done;
    }
    if (fclose(f) != 0) {
        fail("cannot write", argv[2]);
        goto done;
    }
    if (ncomp == 0)
        fprintf(stderr, "zdebug: warning: no .debug_* section to compress in %s\n", argv[1]);
    rc = 0;
done:
    free(sh);
    free(out);
    free(in);
    return rc;
}
