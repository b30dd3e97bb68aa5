"""Makes 5 tensors on an open 2-chip mesh, says "ready" and waits for a
line on stdin before it closes the mesh and ends: a run that a user
reports on while it is still going.  For t_report_live.
Usage: py_live.py VARIANT_DIR"""
import ctypes, os, sys

lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
held = [lib.ttnn_tensor_create(4096) for _ in range(5)]
print("ready", flush=True)
sys.stdin.readline()
if lib.ttnn_close_mesh() != 0:
    sys.exit(1)
print("closed")
