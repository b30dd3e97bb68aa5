"""A process of many short-lived threads (one per request, as a server
makes): each ttnn_churn call starts 8 threads that make and drop buffers
at the same time, and ends them.  For tests/scale/t_report_threads.
Usage: py_manythreads.py VARIANT_DIR THREADS"""
import ctypes, os, sys

lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_churn.restype = ctypes.c_long
lib.ttnn_churn.argtypes = [ctypes.c_long, ctypes.c_int]
if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
n = int(sys.argv[2]) // 8
for _ in range(n):
    if lib.ttnn_churn(16, 8) != 16:
        sys.exit(1)
if lib.ttnn_close_mesh() != 0:
    sys.exit(1)
print("threads:", n * 8)
