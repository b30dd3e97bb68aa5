"""A tensor made DEPTH Python calls deep (recursion), kept past the mesh's
close (t_python_deep.sh).  Usage: py_deep.py FIXTURE_DIR DEPTH"""
import ctypes, os, sys
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
sys.setrecursionlimit(5000)


def rec(n):
    if n == 0:
        return lib.ttnn_tensor_create(4096)  # the innermost frame
    return rec(n - 1)


if lib.ttnn_open_mesh(1) != 0:
    sys.exit(1)
held = rec(int(sys.argv[2]))
sys.exit(0 if lib.ttnn_close_mesh() == 0 else 1)
