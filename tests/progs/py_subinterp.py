"""Runtime calls from Python subinterpreters and from the main one, in
turn, for t_python_subinterp.  Each interpreter makes tensors from its own
function (made_in_sub, made_in_main) and keeps them; the subinterpreters
are destroyed before the main interpreter makes its last ones, so anything
the recorder kept of a subinterpreter's objects is touched after that
interpreter is gone.  A second subinterpreter runs on a thread while the
main one makes tensors.  Usage: py_subinterp.py VARIANT_DIR"""
import ctypes, os, sys, threading
try:
    import _interpreters as interpreters  # 3.13
except ImportError:
    import _xxsubinterpreters as interpreters  # 3.8 to 3.12

so = os.path.join(sys.argv[1], "_ttnn.so")
lib = ctypes.PyDLL(so, mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
held = []

SUB = f"""
import ctypes, os
lib = ctypes.PyDLL({so!r}, mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
def made_in_sub(n):
    return [lib.ttnn_tensor_create(2048) for _ in range(n)]
kept = made_in_sub(3)
"""


def new_interpreter():
    # 3.12 isolates by default, and ctypes refuses an isolated interpreter
    if sys.version_info[:2] == (3, 12):
        return interpreters.create(isolated=False)
    return interpreters.create()


def made_in_main(n):
    for _ in range(n):
        held.append(lib.ttnn_tensor_create(4096))


def on_thread(interp):
    interpreters.run_string(interp, SUB)


if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
a, b = new_interpreter(), new_interpreter()
made_in_main(2)
interpreters.run_string(a, SUB)
made_in_main(2)
t = threading.Thread(target=on_thread, args=(b,))
t.start()
made_in_main(2)
t.join()
interpreters.destroy(a)
interpreters.destroy(b)
made_in_main(2)
if lib.ttnn_close_mesh() != 0:
    sys.exit(1)
print("tensors made in the main interpreter:", len(held))
