"""Four Python threads (ctypes.PyDLL: each holds the GIL in its calls)
making buffers and tensors, with a graph processor's callback that makes
more from inside the runtime: Python stacks captured from every thread,
nested ones through scopes.  Used by the TSan run (scripts/test-sanitize.sh).
Usage: py_threads.py FIXTURE_DIR; prints the number of callbacks."""
import ctypes, os, sys, threading
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]; lib.ttnn_tensor_create.restype = ctypes.c_long
CB = ctypes.CFUNCTYPE(None, ctypes.c_long)
n = [0]
def cb(size):
    n[0] += 1
    if n[0] % 5 == 0:
        lib.ttnn_tensor_release(lib.ttnn_tensor_create(4096))
def worker(k):
    for i in range(60):
        if (i + k) % 2:
            lib.ttnn_churn(3, 1)
        else:
            lib.ttnn_tensor_release(lib.ttnn_tensor_create(4096 * (k + 1)))
lib.ttnn_open_mesh(4)
keep = CB(cb); lib.ttnn_on_allocate(keep)
ts = [threading.Thread(target=worker, args=(k,)) for k in range(4)]
for t in ts: t.start()
for t in ts: t.join()
lib.ttnn_close_mesh()
print("callbacks", n[0])
