/* buftrace: offline symbolizer for recorded native backtraces.
 *
 * The recorder stores raw instruction pointers plus a module map (path, load bias, GNU
 * build-id).  This module turns (module, ELF virtual address) into function / source
 * location frames, including the chain of inlined calls.
 *
 * It is built on elfutils libdw/libelf 0.188 (Debian 12) but works around two things that
 * version cannot do with the debug info tt-metal's clang builds produce:
 *   - zstd-compressed debug sections (SHF_COMPRESSED, ch_type ELFCOMPRESS_ZSTD): we
 *     decompress them ourselves into an in-memory copy of the ELF file;
 *   - DWARF 5 without .debug_aranges: we index the compilation units' own address ranges
 *     (DW_AT_low_pc/high_pc, DW_AT_ranges incl. .debug_rnglists) instead of relying on
 *     dwarf_addrdie.
 *
 * Contract:
 *   - Not thread-safe: one symbolizer per thread (or external locking).
 *   - Every string handed out (sym_frame.function / .file) is owned by the symbolizer and
 *     stays valid until sym_free(); callers never free them.
 *   - Each distinct module path is opened (and its debug info located and indexed) once, on
 *     first use; each distinct (module, vaddr) is resolved once and then served from a cache.
 *     One symbolizer serves any number of traces (the report shares one across a run): the
 *     build-id recorded by each trace is checked on every call, not only at open.
 *   - Bounded: at most SYM_MAX_MODULES module files are held open; opening another closes
 *     the least recently used one and drops its cached addresses (reopened if needed again).
 *     Strings already handed out stay valid: they belong to the symbolizer, not the module.
 *   - Corrupt, truncated or missing files never crash; they yield a status.
 *
 * Separate debug info: when the module file has no .debug_info, it is looked up as
 *   1. <root>/.build-id/xx/yyyy.debug               (must carry the module's build-id)
 *   2. the .gnu_debuglink name, in the module's directory, in <dir>/.debug/, and in
 *      <root>/<dir>/ (verified by build-id when both files have one, else by the CRC32
 *      stored in the link)
 * where <root> is "/usr/lib/debug", or "$BUFTRACE_DEBUG_ROOT/usr/lib/debug" when that
 * environment variable is set (a sysroot-style prefix, used by the tests).  A
 * .gnu_debugaltlink (dwz) file is looked up the same way and attached with dwarf_setalt.
 */
#ifndef BUFTRACE_SYMBOLIZE_H
#define BUFTRACE_SYMBOLIZE_H

#include <stddef.h>
#include <stdint.h>

struct sym_frame {
    const char *function;  /* demangled, or NULL; owned by the symbolizer, valid until sym_free */
    const char *file;      /* source path as in DWARF (comp dir joined if relative), or NULL */
    int line, column;      /* 0 if unknown */
    int inlined;           /* 1 when this frame was inlined into the next (outer) one */
};

enum sym_status {
    /* Resolved from DWARF: frames carry file/line (function from DWARF, or from the ELF
     * symbol table when the DWARF subprogram has no name). */
    SYM_OK,
    /* The module file cannot be opened, read or parsed as ELF (missing, truncated, not an
     * ELF file).  No frames. */
    SYM_NO_FILE,
    /* The file's NT_GNU_BUILD_ID differs from the recorded one (or the file has none while
     * one was recorded): it is not the binary that ran.  No frames, by design. */
    SYM_BUILD_ID_MISMATCH,
    /* No DWARF covers the address (no debug info found for the module, or the address lies
     * outside every compilation unit), but the ELF symbol table (.symtab, else .dynsym)
     * names the function: exactly one frame, function only (file NULL, line 0). */
    SYM_NO_DEBUG,
    /* The module is readable and matches, but nothing at all is known about the address
     * (no DWARF coverage and no containing sized function symbol).  No frames. */
    SYM_NO_SYMBOL,
};

struct symbolizer;

/* Module files held open at once (mapped image, debug info, unit and symbol indexes). */
#define SYM_MAX_MODULES 128

struct symbolizer *sym_new(void);  /* NULL only when out of memory */
void sym_free(struct symbolizer *);

/* Symbolize an address of a module. vaddr is the ELF virtual address (runtime ip minus the
 * load bias dl_iterate_phdr reported); the caller already subtracted 1 for return addresses.
 * build_id may be NULL/0 (then not checked). Writes up to max frames, innermost first (the
 * inlined callee first, the out-of-line containing function last); returns the count
 * written (0 when nothing is known) and sets *status (status may be NULL). For an address
 * inside an inlined call, frame 0 has the file:line of the address itself and each outer
 * frame the DW_AT_call_file/line of the inlined instance it contains. Results are cached:
 * each distinct (module, vaddr) is resolved once; each module file is opened once. */
int sym_resolve(struct symbolizer *, const char *path, const unsigned char *build_id,
                size_t build_id_len, uint64_t vaddr, struct sym_frame *out, int max,
                enum sym_status *status);

/* Short human-readable text for a status ("ok", "no file", ...); never NULL. */
const char *sym_status_str(enum sym_status);

#endif
