/* symtest [-b HEXBUILDID] MODULE VADDR...: symbolize ELF virtual addresses of MODULE with
 * analyzer/symbolize.c and print one line per frame:
 *     0xVADDR FUNCTION FILE:LINE [inlined] (STATUS)
 * "[inlined]" marks a frame inlined into the next line's frame; "(STATUS)" is printed when
 * the status is not ok.  With no frame:  0xVADDR ?? (STATUS).
 * Each address is resolved twice; the second answer must come from the cache (same
 * pointers), which checks the caching contract.  Exit status 0, 2 on usage errors,
 * 3 when the cache check fails.
 *
 * symtest -each VADDR MODULE...: VADDR in each MODULE in turn (one line each, the innermost
 * frame), then in the first MODULE again: more modules than SYM_MAX_MODULES close the first
 * one on the way, and its second answer must be the first's, the same interned strings.
 * Last line: "mapped: N of M", the modules still mapped into this process at the end. */
#include "symbolize.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_hex_id(const char *s, unsigned char *id, size_t *len)
{
    size_t n = strlen(s);
    if (n == 0 || n % 2 || n / 2 > 64)
        return -1;
    for (size_t i = 0; i < n / 2; i++) {
        unsigned v;
        if (sscanf(s + 2 * i, "%2x", &v) != 1)
            return -1;
        id[i] = (unsigned char)v;
    }
    *len = n / 2;
    return 0;
}

static int each(uint64_t va, char **mods, int n)
{
    struct symbolizer *s = sym_new();
    struct sym_frame first[32], f[32];
    enum sym_status st0, st;
    int n0 = 0, rc = 0;
    if (s == NULL)
        return 1;
    for (int i = 0; i < n; i++) {
        int k = sym_resolve(s, mods[i], NULL, 0, va, f, 32, &st);
        printf("%s 0x%" PRIx64 " %s %s:%d (%s)\n", mods[i], va, k && f[0].function ? f[0].function : "??",
               k && f[0].file ? f[0].file : "??", k ? f[0].line : 0, sym_status_str(st));
        if (i == 0) {
            memcpy(first, f, sizeof f);
            n0 = k;
            st0 = st;
        }
    }
    int k = sym_resolve(s, mods[0], NULL, 0, va, f, 32, &st), same = k == n0 && st == st0;
    /* field by field: a resolved-again frame may differ in its padding */
    for (int i = 0; same && i < k; i++)
        same = f[i].function == first[i].function && f[i].file == first[i].file &&
               f[i].line == first[i].line && f[i].column == first[i].column &&
               f[i].inlined == first[i].inlined;
    if (!same) {
        fprintf(stderr, "symtest: %s again after %d modules: a different answer\n", mods[0], n);
        rc = 3;
    }
    /* how many of the modules are still mapped: the bound, seen from outside */
    int mapped = 0;
    for (int i = 0; i < n; i++) {
        FILE *maps = fopen("/proc/self/maps", "r");
        char line[4600];
        size_t l = strlen(mods[i]);
        while (maps && fgets(line, sizeof line, maps)) {
            char *p = strchr(line, '/');
            if (p && strncmp(p, mods[i], l) == 0 && (p[l] == '\n' || p[l] == ' ')) {
                mapped++;
                break;
            }
        }
        if (maps)
            fclose(maps);
    }
    printf("mapped: %d of %d\n", mapped, n);
    sym_free(s);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned char id[64];
    size_t idlen = 0;
    int a = 1;
    if (argc > 3 && strcmp(argv[1], "-each") == 0) {
        char *end;
        uint64_t va = strtoull(argv[2], &end, 0);
        if (*end != '\0') {
            fprintf(stderr, "symtest: bad address %s\n", argv[2]);
            return 2;
        }
        return each(va, argv + 3, argc - 3);
    }
    if (argc > 2 && strcmp(argv[1], "-b") == 0) {
        if (parse_hex_id(argv[2], id, &idlen) != 0) {
            fprintf(stderr, "symtest: bad build-id %s\n", argv[2]);
            return 2;
        }
        a = 3;
    }
    if (argc - a < 2) {
        fprintf(stderr, "usage: symtest [-b HEXBUILDID] MODULE VADDR...\n");
        return 2;
    }
    const char *mod = argv[a++];
    struct symbolizer *s = sym_new();
    if (s == NULL)
        return 1;
    int rc = 0;
    for (; a < argc; a++) {
        char *end;
        uint64_t va = strtoull(argv[a], &end, 0);
        if (*end != '\0') {
            fprintf(stderr, "symtest: bad address %s\n", argv[a]);
            rc = 2;
            continue;
        }
        struct sym_frame f[32], g[32];
        enum sym_status st, st2;
        int n = sym_resolve(s, mod, idlen ? id : NULL, idlen, va, f, 32, &st);
        int n2 = sym_resolve(s, mod, idlen ? id : NULL, idlen, va, g, 32, &st2);
        if (n2 != n || st2 != st || memcmp(f, g, (size_t)n * sizeof *f) != 0) {
            fprintf(stderr, "symtest: second lookup of 0x%" PRIx64 " differs\n", va);
            rc = 3;
        }
        if (n == 0)
            printf("0x%" PRIx64 " ?? (%s)\n", va, sym_status_str(st));
        for (int i = 0; i < n; i++) {
            printf("0x%" PRIx64 " %s %s:%d%s", va, f[i].function ? f[i].function : "??",
                   f[i].file ? f[i].file : "??", f[i].line, f[i].inlined ? " [inlined]" : "");
            if (st != SYM_OK)
                printf(" (%s)", sym_status_str(st));
            putchar('\n');
        }
    }
    sym_free(s);
    return rc;
}
