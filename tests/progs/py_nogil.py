"""Makes tensors through the fixture's _ttnn.so from Python, holding the GIL
(ctypes.PyDLL) or releasing it around each call (ctypes.CDLL), on the main
thread and on a threading.Thread, for t_python_nogil.
Usage: py_nogil.py VARIANT_DIR MODE   (MODE: pydll or cdll)"""
import ctypes, os, sys, threading

load = ctypes.PyDLL if sys.argv[2] == "pydll" else ctypes.CDLL
lib = load(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)


def keep_tensor(size):
    return lib.ttnn_tensor_create(size)  # the line the report should name


held = [keep_tensor(4096)]
t = threading.Thread(target=lambda: held.append(keep_tensor(8192)))
t.start()
t.join()
lib.ttnn_close_mesh()
print("tensors made:", len(held))
