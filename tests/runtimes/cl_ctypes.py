"""cl_ctypes.py: OpenCL from Python through ctypes (dlsym of the ICD
loader's names), for t_runtime_opencl: one buffer still referenced at the
last clReleaseContext, made on the line marked LEAK; one released.
PyDLL keeps the GIL across the calls, as a pybind11 binding does: the
recorder takes Python stacks only from a thread that holds it (CDLL
releases it, and those calls are recorded with native frames only)."""
import ctypes, sys

cl = ctypes.PyDLL("libOpenCL.so.1")
vp = ctypes.c_void_p
cl.clGetPlatformIDs.argtypes = [ctypes.c_uint, ctypes.POINTER(vp), ctypes.POINTER(ctypes.c_uint)]
cl.clGetDeviceIDs.argtypes = [vp, ctypes.c_uint64, ctypes.c_uint, ctypes.POINTER(vp), ctypes.POINTER(ctypes.c_uint)]
cl.clCreateContext.restype = vp
cl.clCreateContext.argtypes = [vp, ctypes.c_uint, ctypes.POINTER(vp), vp, vp, ctypes.POINTER(ctypes.c_int)]
cl.clCreateBuffer.restype = vp
cl.clCreateBuffer.argtypes = [vp, ctypes.c_uint64, ctypes.c_size_t, vp, ctypes.POINTER(ctypes.c_int)]
cl.clReleaseMemObject.argtypes = [vp]
cl.clReleaseContext.argtypes = [vp]

platform, device, n, err = vp(), vp(), ctypes.c_uint(0), ctypes.c_int(0)
if cl.clGetPlatformIDs(1, ctypes.byref(platform), ctypes.byref(n)) != 0 or not n.value:
    sys.exit("cl_ctypes: no OpenCL platform")
cl.clGetDeviceIDs(platform, 0xFFFFFFFF, 1, ctypes.byref(device), None)


def make_buffer(ctx, size):
    m = cl.clCreateBuffer(ctx, 1, size, None, ctypes.byref(err))
    if err.value != 0:
        sys.exit("cl_ctypes: clCreateBuffer: %d" % err.value)
    return m


ctx = cl.clCreateContext(None, 1, ctypes.byref(device), None, None, ctypes.byref(err))
kept = make_buffer(ctx, 3072)  # LEAK kept
gone = make_buffer(ctx, 512)
cl.clReleaseMemObject(gone)
cl.clReleaseContext(ctx)
print("cl_ctypes: 1 buffer left referenced")
