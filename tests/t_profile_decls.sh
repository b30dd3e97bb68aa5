#!/bin/sh
# Every C entry point a runtime profile declares (common/profiles/*.def, as
# `buftrace hooks --list` prints them) is the declaration of the runtime's
# own header, parameter for parameter (types and names, return type): the
# OpenCL profile against Khronos' CL/cl.h and CL/cl_ext.h as installed
# (opencl-c-headers).
# A declaration that drifted (a parameter added, renamed or retyped) would
# place a field in the wrong register: this fails first.
. "$TESTLIB/common.sh"
H=/usr/include/CL/cl.h
[ -r "$H" ] || fail "$H missing (opencl-c-headers: make test installs it)"
# the core API, and the extensions' (cl_intel_unified_shared_memory)
cat "$H" /usr/include/CL/cl_ext.h > "$WORK/headers.h" || fail "cannot read the OpenCL headers"
"$BUFTRACE" hooks --list --runtime opencl > "$WORK/list" || fail "hooks --list failed"
python3 - "$WORK/list" "$WORK/headers.h" <<'PY' || exit 1
import re, sys
list_text = open(sys.argv[1]).read()
header = open(sys.argv[2]).read()
def norm(s):
    s = re.sub(r"\bCL_(API_ENTRY|API_CALL|CALLBACK)\b", " ", s)
    s = re.sub(r"\bCL_(API|EXT)_(SUFFIX|PREFIX)__\w+", " ", s)
    s = re.sub(r"/\*.*?\*/", " ", s, flags=re.S)
    s = re.sub(r"\s+", " ", s)
    s = re.sub(r"\s*([(),*])\s*", r"\1", s)
    return s.strip()
decls = re.findall(r"\| `(cl\w+)` \|[^\n]*? in `([^`]+)` \|", list_text)
if len(decls) < 10:
    sys.exit("FAIL: only %d OpenCL declarations listed" % len(decls))
bad = 0
for name, decl in decls:
    m = re.search(r"extern CL_API_ENTRY([^;]*?)CL_API_CALL\s+" + name + r"\s*\(([^;]*?)\)\s*(CL_\w+\s*)*;", header)
    if not m:
        print("FAIL: %s not declared in %s" % (name, sys.argv[2])); bad = 1; continue
    real = norm(m.group(1) + " " + name + "(" + m.group(2) + ")")
    ours = norm(decl)
    if real != ours:
        print("FAIL: %s differs from the header:\n  ours:   %s\n  header: %s" % (name, ours, real)); bad = 1
if bad:
    sys.exit(1)
print("%d OpenCL declarations as CL/cl.h has them" % len(decls))
PY
