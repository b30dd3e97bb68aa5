"""Opens a 2-chip mesh four times in one process, as a test suite with a
device fixture per test does, and each time makes one tensor of its own
size (1, 2, 3, 4 KiB) that the script still holds when it closes the mesh.
The runtime's Device objects come back at the addresses of the ones it
freed before.  For t_report_reopen.  Usage: py_reopen.py VARIANT_DIR"""
import ctypes, os, sys

lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
held = []
for kib in range(1, 5):
    if lib.ttnn_open_mesh(2) != 0:
        sys.exit(1)
    held.append(lib.ttnn_tensor_create(1024 * kib))
    if lib.ttnn_close_mesh() != 0:
        sys.exit(1)
print("meshes opened and closed: 4, tensors held:", len(held))
