"""Python code inside a runtime call: a graph processor (the fixture's
ttnn_on_allocate) calls on_alloc() from GraphTracker::track_allocate, and
on_alloc() makes runtime calls of its own the first time; after it returns
the outer call makes more (a MeshBuffer's per-chip buffers).  Then an
exception leaves a runtime call (out of device memory, caught in _ttnn.so)
and the same Python frame goes on to make more calls from another line."""
import ctypes
import os
import sys

lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
lib.ttnn_tensor_create.restype = ctypes.c_long
CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_long)
calls = []


def on_alloc(size):
    calls.append(size)
    if len(calls) == 1:
        lib.ttnn_churn(1, 1)  # INNER


def outer():
    return lib.ttnn_churn(2, 1)  # OUTER


def after_error():
    bad = lib.ttnn_tensor_create(1 << 34)  # TOO_BIG
    return bad, lib.ttnn_churn(1, 1)  # AFTER


lib.ttnn_open_mesh(2)
keep = CALLBACK(on_alloc)
lib.ttnn_on_allocate(keep)
rc = outer()
print("callbacks", len(calls), "churn", rc)
print("after an error", *after_error())
lib.ttnn_close_mesh()
