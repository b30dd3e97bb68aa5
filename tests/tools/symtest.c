/* symtest [-b HEXBUILDID] MODULE VADDR...: symbolize ELF virtual addresses of MODULE with
 * analyzer/symbolize.c and print one line per frame:
 *     0xVADDR FUNCTION FILE:LINE [inlined] (STATUS)
 * "[inlined]" marks a frame inlined into the next line's frame; "(STATUS)" is printed when
 * the status is not ok.  With no frame:  0xVADDR ?? (STATUS).
 * Each address is resolved twice; the second answer must come from the cache (same
 * pointers), which checks the caching contract.  Exit status 0, 2 on usage errors,
 * 3 when the cache check fails. */
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

int main(int argc, char **argv)
{
    unsigned char id[64];
    size_t idlen = 0;
    int a = 1;
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
