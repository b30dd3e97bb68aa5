"""Python threads on the smallest stack Python allows (threading.stack_size
32 KiB), each making a tensor it keeps, six Python frames deep in its
thread, while the mesh is open.  The recorder's Python walk must fit in
what is left of such a stack.  Usage: py_small_stack.py FIXTURE_DIR
[STACK_BYTES]; prints the tensor handles made."""
import ctypes, os, sys, threading
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_summary.restype = ctypes.c_char_p
made = []


def deep(n):
    if n == 0:
        made.append(lib.ttnn_tensor_create(4096))  # the line the report names
        return
    deep(n - 1)


if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
threading.stack_size(int(sys.argv[2]) if len(sys.argv) > 2 else 32768)
ts = [threading.Thread(target=deep, args=(5,)) for _ in range(3)]
for t in ts:
    t.start()
for t in ts:
    t.join()
if lib.ttnn_close_mesh() != 0:
    sys.exit(1)
print("tensors", sorted(made))
print(lib.ttnn_summary().decode())
