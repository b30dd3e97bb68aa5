"""Makes 50 tensors, then dies of a signal it sends itself, for
t_rel_selfkill.  Usage: py_selfkill.py VARIANT_DIR MODE
  interrupt  an uncaught KeyboardInterrupt: Python sets SIGINT back to
             SIG_DFL and kills itself with it, so that its parent sees it
  handler    its own SIGTERM handler (set before any runtime call) cleans
             up, sets SIG_DFL and sends SIGTERM again with os.kill
  raise      SIGUSR1 handled, then SIG_DFL and signal.raise_signal
  pthread_kill  the same, then signal.pthread_kill to its own thread
  sigqueue   the same, then libc's sigqueue to its own pid (ctypes)"""
import ctypes, os, signal, sys, threading

mode = sys.argv[2]


def term(sig, frame):
    print("cleaning up", flush=True)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    os.kill(os.getpid(), signal.SIGTERM)


if mode == "handler":
    signal.signal(signal.SIGTERM, term)
if mode in ("raise", "pthread_kill", "sigqueue"):
    signal.signal(signal.SIGUSR1, lambda *a: None)
lib = ctypes.PyDLL(os.path.join(sys.argv[1], "_ttnn.so"), mode=os.RTLD_LOCAL)
lib.ttnn_tensor_create.restype = ctypes.c_long
lib.ttnn_tensor_create.argtypes = [ctypes.c_long]
if lib.ttnn_open_mesh(2) != 0:
    sys.exit(1)
for _ in range(50):
    lib.ttnn_tensor_create(4096)
print("tensors made: 50", flush=True)
if mode == "interrupt":
    raise KeyboardInterrupt
if mode == "handler":
    os.kill(os.getpid(), signal.SIGTERM)
if mode == "raise":
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    signal.raise_signal(signal.SIGUSR1)
if mode == "pthread_kill":
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    signal.pthread_kill(threading.get_ident(), signal.SIGUSR1)
if mode == "sigqueue":
    class sigval(ctypes.Union):
        _fields_ = [("sival_int", ctypes.c_int), ("sival_ptr", ctypes.c_void_p)]
    libc = ctypes.CDLL(None)
    libc.sigqueue.argtypes = [ctypes.c_int, ctypes.c_int, sigval]
    signal.signal(signal.SIGUSR1, signal.SIG_DFL)
    libc.sigqueue(os.getpid(), signal.SIGUSR1, sigval(0))
print("still alive")
