#!/bin/sh
# Symbolizer test: analyzer/symbolize.c through $BUILD/tools/symtest, on the inputs that
# tests/tools/tools.mk (`make symtools`) builds under $BUILD/tools/symdata/.
# Exit 0 pass, 77 skip, else fail with a one-line reason.
#
# The addresses come from running the test programs themselves (each marked call records
# its return address; symprog prints ip - load bias - 1, as the recorder would), and the
# expected lines from LINE:<name> markers in the sources, so nothing is hard-coded.
set -u

skip() { echo "SKIP: $*"; exit 77; }
fail() { echo "FAIL: $*"; exit 1; }

[ -n "${BUILD:-}" ] || skip "BUILD (absolute build directory) not set"
T=$BUILD/tools
D=$T/symdata
SRC=$(cd "$(dirname "$0")/tools/symdata" && pwd) || fail "no tests/tools/symdata"
if ! [ -x "$T/symtest" ] || ! [ -x "$T/zdebug" ] || ! [ -f "$D/gcc/.stamp" ]; then
    skip "symbolizer tools not built (make symtools)"
fi
HAVE_CLANG=0
[ -f "$D/clang/.stamp" ] && HAVE_CLANG=1

TMP=$(mktemp -d) || fail "mktemp"
trap 'rm -rf "$TMP"' EXIT
unset BUFTRACE_DEBUG_ROOT

marker() { # FILE NAME -> line number of the LINE:NAME marker
    n=$(grep -n "LINE:$2 \*/" "$SRC/$1" | cut -d: -f1)
    [ -n "$n" ] || fail "marker LINE:$2 missing in $1"
    echo "$n"
}
L_ALLOC=$(marker symlib.cpp alloc_site) || exit 1
L_LEAF=$(marker symlib.cpp leaf_call) || exit 1
L_MID=$(marker symlib.cpp mid_call) || exit 1
L_OUTER=$(marker symlib.cpp outer_call) || exit 1
L_MEMBER=$(marker symlib.cpp member) || exit 1
L_MAIN=$(marker symprog.cpp main_site) || exit 1

# Run symtest; any stderr output (sanitizer reports, cache check) or a non-zero exit fails.
sym() { # DESC ARGS... -> stdout in $OUT
    desc=$1
    shift
    OUT=$("$T/symtest" "$@" 2>"$TMP/err")
    rc=$?
    if [ $rc -ne 0 ] || [ -s "$TMP/err" ]; then
        fail "$desc: symtest $* exited $rc: $(head -c 300 "$TMP/err" | tr '\n' ' ')"
    fi
}
# DESC N REGEX: line N of $OUT must match REGEX (extended); N=count checks the line count.
expect() {
    if [ "$2" = count ]; then
        got=$(printf '%s\n' "$OUT" | grep -c .)
        [ "$got" = "$3" ] || fail "$1: expected $3 frame lines, got $got: $(printf "%s" "$OUT" | tr "\n" " ")"
        return
    fi
    l=$(printf '%s\n' "$OUT" | sed -n "$2p")
    printf '%s\n' "$l" | grep -Eq -- "$3" || fail "$1: line $2 '$l' does not match /$3/"
}

# Site addresses per compiler, from running the unmodified builds.
for cc in gcc clang; do
    [ $cc = clang ] && [ $HAVE_CLANG = 0 ] && continue
    "$D/$cc/symprog" >"$TMP/$cc.sites" 2>"$TMP/err" || fail "$cc/symprog failed to run"
done
site() { # COMPILER SITE -> vaddr (first record of that site)
    v=$(awk -v s="$2" '$1 == s { print $3; exit }' "$TMP/$1.sites")
    [ -n "$v" ] || fail "$1/symprog did not report site $2"
    echo "$v"
}

# Full DWARF resolution of all sites of one case directory.
check_dwarf() { # CASE COMPILER CHECK_PROG
    c=$1
    lib=$D/$c/libsymlib.so
    va=$(site "$2" alloc_site) || exit 1
    sym "$c alloc_site" "$lib" "$va"
    expect "$c alloc_site" count 1
    expect "$c alloc_site" 1 "^$va buft::alloc_site\(unsigned long\) /.*/symlib\.cpp:$L_ALLOC\$"

    va=$(site "$2" inline_leaf) || exit 1
    sym "$c inline chain" "$lib" "$va"
    expect "$c inline chain" count 3
    expect "$c inline chain" 1 "^$va (buft::)?inline_leaf(\(int\))? /.*/symlib\.cpp:$L_LEAF \[inlined\]\$"
    expect "$c inline chain" 2 "^$va (buft::)?inline_mid(\(int\))? /.*/symlib\.cpp:$L_MID \[inlined\]\$"
    expect "$c inline chain" 3 "^$va buft::outer_caller\(int\) /.*/symlib\.cpp:$L_OUTER\$"

    va=$(site "$2" member) || exit 1
    sym "$c member" "$lib" "$va"
    expect "$c member" 1 "^$va buft::Pool::grab\(unsigned long\) /.*/symlib\.cpp:$L_MEMBER\$"

    if [ "$3" = 1 ]; then
        va=$(site "$2" main_site) || exit 1
        sym "$c main_site" "$D/$c/symprog" "$va"
        expect "$c main_site" 1 "^$va main_site(\(int\))? /.*/symprog\.cpp:$L_MAIN\$"
    fi
}

# Symbol-table-only resolution: one frame, function from .dynsym, status "no debug info".
check_nodebug() { # CASE COMPILER
    lib=$D/$1/libsymlib.so
    va=$(site "$2" alloc_site) || exit 1
    sym "$1 alloc_site" "$lib" "$va"
    expect "$1 alloc_site" count 1
    expect "$1 alloc_site" 1 "^$va buft::alloc_site\(unsigned long\) \?\?:0 \(no debug info\)\$"
    va=$(site "$2" inline_leaf) || exit 1
    sym "$1 inline site" "$lib" "$va"
    expect "$1 inline site" count 1
    expect "$1 inline site" 1 "^$va buft::outer_caller\(int\) \?\?:0 \(no debug info\)\$"
}

# (a) g++ -g -O2
check_dwarf gcc gcc 1
# (c) (a) with zstd-compressed debug sections; prove libdw 0.188 alone cannot read it.
check_dwarf gcc-zstd gcc 1
readelf -t "$D/gcc-zstd/libsymlib.so" 2>/dev/null | grep -q ZSTD ||
    fail "gcc-zstd/libsymlib.so has no ZSTD-compressed section (readelf -t)"
if command -v eu-addr2line >/dev/null 2>&1; then
    va=$(site gcc alloc_site) || exit 1
    eu-addr2line -e "$D/gcc/libsymlib.so" "$va" 2>&1 | grep -q "symlib.cpp:$L_ALLOC" ||
        fail "eu-addr2line cannot resolve the plain gcc build (sanity)"
    [ "$(eu-addr2line -e "$D/gcc-zstd/libsymlib.so" "$va" 2>&1)" = "??:0" ] ||
        fail "eu-addr2line resolves gcc-zstd: the zstd case is not exercised"
fi

# zlib-compressed sections are libdw's own business; check they still work through our
# in-memory ELF image.
readelf -t "$D/gcc-zlib/libsymlib.so" 2>/dev/null | grep -q ZLIB ||
    fail "gcc-zlib/libsymlib.so has no ZLIB-compressed section (readelf -t)"
check_dwarf gcc-zlib gcc 1

if [ $HAVE_CLANG = 1 ]; then
    # (b) clang++ -gdwarf-5 -O2: no .debug_aranges
    readelf -S "$D/clang/libsymlib.so" | grep -q debug_aranges &&
        fail "clang build has .debug_aranges: the no-aranges case is not exercised"
    readelf -S "$D/gcc/libsymlib.so" | grep -q debug_aranges ||
        fail "gcc build lacks .debug_aranges (unexpected toolchain)"
    check_dwarf clang clang 1
    # (d) clang + zstd
    check_dwarf clang-zstd clang 1
    if command -v eu-addr2line >/dev/null 2>&1; then
        va=$(site clang alloc_site) || exit 1
        [ "$(eu-addr2line -e "$D/clang/libsymlib.so" "$va" 2>&1)" = "??:0" ] ||
            fail "eu-addr2line resolves the clang build: the no-aranges case is not exercised"
    fi
    # Separate debug file (zstd-compressed) found by build-id under BUFTRACE_DEBUG_ROOT;
    # without the root only .dynsym is left.
    check_nodebug splitbid clang
    BUFTRACE_DEBUG_ROOT=$D/root
    export BUFTRACE_DEBUG_ROOT
    check_dwarf splitbid clang 0
    unset BUFTRACE_DEBUG_ROOT
fi

# (e) stripped binary + .gnu_debuglink to .debug/libsymlib.so.debug (verified by CRC)
readelf -S "$D/split/libsymlib.so" | grep -q '\.debug_info' && fail "split lib not stripped"
check_dwarf split gcc 0
# ... and a debuglink whose file is some other binary's debug info: must be rejected.
check_nodebug splitbad gcc

# (f) build-id mismatch: never symbols from the wrong file; the right id is accepted.
bid() { readelf -n "$1" | sed -n 's/^ *Build ID: *//p'; }
BID_GCC=$(bid "$D/gcc/libsymlib.so")
[ -n "$BID_GCC" ] || fail "gcc/libsymlib.so has no build-id"
BID_OTHER=$(bid "$D/gcc/symprog")
va=$(site gcc alloc_site) || exit 1
sym "mismatch" -b "$BID_OTHER" "$D/gcc/libsymlib.so" "$va"
expect "mismatch" count 1
expect "mismatch" 1 "^$va \?\? \(build-id mismatch\)\$"
sym "match" -b "$BID_GCC" "$D/gcc/libsymlib.so" "$va"
expect "match" 1 "^$va buft::alloc_site\(unsigned long\) /.*/symlib\.cpp:$L_ALLOC\$"
sym "mismatch zstd" -b "$BID_OTHER" "$D/gcc-zstd/libsymlib.so" "$va"
expect "mismatch zstd" 1 "\(build-id mismatch\)\$"

# (g) stripped, no debug anywhere: function from .dynsym; a static function has no name.
check_nodebug nodebug gcc
va=$(site gcc main_site) || exit 1
sym "nodebug main_site" "$D/nodebug/symprog" "$va"
expect "nodebug main_site" 1 "^$va \?\? \(no symbol\)\$"

# Missing file, non-ELF file, addresses outside any function.
sym "missing" "$TMP/nonexistent.so" 0x1000
expect "missing" 1 "^0x1000 \?\? \(no file\)\$"
echo "not an elf file" >"$TMP/text.so"
sym "not elf" "$TMP/text.so" 0x1000
expect "not elf" 1 "\(no file\)\$"
sym "outside" "$D/gcc/libsymlib.so" 0x1 0xfffffff0
expect "outside" 1 "^0x1 \?\? \(no symbol\)\$"
expect "outside" 2 "^0xfffffff0 \?\? \(no symbol\)\$"

# Corrupt and truncated inputs: any answer is fine, a crash or sanitizer report is not.
vas="$(site gcc alloc_site) $(site gcc inline_leaf) $(site gcc member)" || exit 1
for src in gcc gcc-zstd split/.debug; do
    f=$D/$src/libsymlib.so
    [ -f "$f" ] || f=$D/$src/libsymlib.so.debug
    size=$(wc -c <"$f")
    for cut in 0 4 16 63 64 200 1000 4096 $((size / 3)) $((size / 2)) $((size - 200)) $((size - 1)); do
        head -c "$cut" "$f" >"$TMP/trunc.so"
        # shellcheck disable=SC2086
        sym "truncated $src at $cut" "$TMP/trunc.so" $vas
    done
    step=$((size / 41))
    off=64
    while [ $off -lt "$size" ]; do
        cp "$f" "$TMP/corrupt.so"
        printf '\377\377\377\377\377\377\377\377\000\000\000\200' |
            dd of="$TMP/corrupt.so" bs=1 seek=$off conv=notrunc 2>/dev/null
        # shellcheck disable=SC2086
        sym "corrupted $src at $off" "$TMP/corrupt.so" $vas
        off=$((off + step))
    done
done
exit 0
