"""Python code inside a runtime call: a graph processor (the fixture's
ttnn_on_allocate) calls on_alloc() from GraphTracker::track_allocate, and
on_alloc() makes runtime calls of its own the first time; after it returns
the outer call makes more (a MeshBuffer's per-chip buffers)."""
import ctypes
import os
import sys

lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
CALLBACK = ctypes.CFUNCTYPE(None, ctypes.c_long)
calls = []


def on_alloc(size):
    calls.append(size)
    if len(calls) == 1:
        lib.ttnn_churn(1, 1)  # INNER


def outer():
    return lib.ttnn_churn(2, 1)  # OUTER


lib.ttnn_open_mesh(2)
keep = CALLBACK(on_alloc)
lib.ttnn_on_allocate(keep)
rc = outer()
lib.ttnn_close_mesh()
print("callbacks", len(calls), "churn", rc)
