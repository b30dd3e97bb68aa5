/* pystack.c - the Python stack of a hooked call, when the calling thread
 * holds the GIL of a CPython interpreter in this process.
 *
 * No link-time dependency on libpython: the C API is looked up at run
 * time in whatever object exports it (libpython3.x.so, or a python3
 * executable built statically with -export-dynamic, as Debian's is).  In
 * a process without Python, one failed lookup per change of the module
 * map is all it costs.
 *
 * Safety: a thread state exists for the current thread only while it
 * holds the GIL (releasing the GIL clears it), so the dispatch threads of
 * the runtime, and ctypes.CDLL calls, are skipped without touching the
 * interpreter.  When we do walk, we hold the GIL already: we never take
 * it, never run Python code (only the C getters of frame and code
 * objects), keep the garbage collector from running finalizers under us
 * (3.10+), and leave any pending exception exactly as we found it. */
#include <pthread.h>
#include <string.h>
#include <sys/mman.h>
#include "arena.h"
#include "recorder.h"
#include "varint.h"

typedef void PyObject;

/* libpython's entry points, found once: filled in before py_ready is
 * set (release) and never written after, so the threads that see it set
 * read them without a lock (libpython is never unloaded from a process
 * that runs Python).  Until then a new object loaded makes us look again. */
struct py_api {
	unsigned epoch;     /* module map generation the lookup was made for */
	int present;
	PyObject *(*tstate_get)(void);
	int (*gil_check)(void);
	void *(*gilstate_this)(void); /* PyGILState_GetThisThreadState: safe without the GIL */
	PyObject *(*get_frame)(void);
	int (*line_number)(PyObject *);
	PyObject *(*getattr)(PyObject *, const char *);
	const char *(*as_utf8)(PyObject *);
	void (*decref)(PyObject *);
	void (*err_fetch)(PyObject **, PyObject **, PyObject **);
	void (*err_restore)(PyObject *, PyObject *, PyObject *);
	int (*gc_disable)(void);
	int (*gc_enable)(void);
	PyObject *none;
	PyObject *(*frame_code)(PyObject *); /* PyFrame_GetCode, 3.9+: new reference */
	PyObject *(*frame_back)(PyObject *); /* PyFrame_GetBack, 3.9+: new reference or NULL */
	void (*incref)(PyObject *);
	int (*frame_lasti)(PyObject *); /* PyFrame_GetLasti, 3.11+ */
	int qualname;                   /* code objects have co_qualname (3.11+) */
	void *(*interp_get)(void);      /* PyInterpreterState_Get, 3.9+ */
	void *(*interp_main)(void);     /* PyInterpreterState_Main */
};
static struct py_api py;
static atomic_int py_ready;

static pthread_mutex_t py_lock = PTHREAD_MUTEX_INITIALIZER;

static void lookup(void)
{
	struct py_api f;
	memset(&f, 0, sizeof f);
	f.tstate_get = bt_find_symbol("PyThreadState_GetUnchecked");     /* 3.13 */
	if (!f.tstate_get)
		f.tstate_get = bt_find_symbol("_PyThreadState_UncheckedGet"); /* 3.5..3.12 */
	f.gil_check = bt_find_symbol("PyGILState_Check");
	f.gilstate_this = bt_find_symbol("PyGILState_GetThisThreadState");
	f.get_frame = bt_find_symbol("PyEval_GetFrame");
	f.line_number = bt_find_symbol("PyFrame_GetLineNumber");
	f.getattr = bt_find_symbol("PyObject_GetAttrString");
	f.as_utf8 = bt_find_symbol("PyUnicode_AsUTF8");
	f.decref = bt_find_symbol("Py_DecRef");
	f.err_fetch = bt_find_symbol("PyErr_Fetch");
	f.err_restore = bt_find_symbol("PyErr_Restore");
	f.gc_disable = bt_find_symbol("PyGC_Disable");
	f.gc_enable = bt_find_symbol("PyGC_Enable");
	f.none = bt_find_object("_Py_NoneStruct"); /* data: bt_find_symbol finds functions only */
	f.frame_code = bt_find_symbol("PyFrame_GetCode");
	f.frame_back = bt_find_symbol("PyFrame_GetBack");
	f.incref = bt_find_symbol("Py_IncRef");
	f.frame_lasti = bt_find_symbol("PyFrame_GetLasti");
	f.qualname = bt_find_object("Py_Version") != NULL; /* 3.11+ */
	f.interp_get = bt_find_symbol("PyInterpreterState_Get");
	f.interp_main = bt_find_symbol("PyInterpreterState_Main");
	f.present = f.tstate_get && f.gil_check && f.get_frame && f.line_number && f.getattr &&
		     f.as_utf8 && f.decref && f.err_fetch && f.err_restore;
	if (f.present && !atomic_load_explicit(&py_ready, memory_order_relaxed)) {
		memcpy(&py, &f, sizeof f);
		atomic_store_explicit(&py_ready, 1, memory_order_release);
	}
}

/* --- interning ------------------------------------------------------------ */

/* A Python stack's key is its record as written, less the id: the frame
 * count, then each frame's file, function and line.  The hash of the key
 * says where to look; the key kept with the slot (once per distinct
 * stack) says whether it is the same stack.  A key too long for the
 * record (cut short when written) is not interned: it gets an id of its
 * own each time. */
#define PY_TABLE 4096
#define PY_RECORD 16384
struct pyslot {
	const uint8_t *key; /* NULL = empty */
	size_t len;
	uint64_t h;
	uint32_t id;
};
static struct pyslot table[PY_TABLE];
static uint32_t next_id = 1, used;
static struct bt_arena keys_kept = { .limit = 64u << 20 };
static pthread_mutex_t intern_lock = PTHREAD_MUTEX_INITIALIZER;

struct pyframe {
	const char *file, *func;
	int line;
};

static uint64_t hash_bytes(const uint8_t *c, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ c[i]) * 0x100000001b3ull;
	return h ^ (h >> 29);
}

/* Under the GIL, but an interpreter with a GIL of its own (3.12+) or
 * none (free-threaded builds) may be here at the same time: a lock. */
static uint32_t intern(const struct pyframe *f, int n, uint8_t *buf /* [PY_RECORD] */)
{
	uint8_t *key = buf + BT_UVAR_MAX; /* room for the id in front */
	struct bt_rec r;
	size_t len;
	uint64_t h;
	uint32_t i, id;
	int exact;

	bt_rec_begin(&r, key, PY_RECORD - BT_UVAR_MAX);
	bt_rec_uvar(&r, (uint64_t)n);
	for (int k = 0; k < n; k++) {
		bt_rec_bytes(&r, f[k].file, strlen(f[k].file));
		bt_rec_bytes(&r, f[k].func, strlen(f[k].func));
		bt_rec_uvar(&r, (uint64_t)(f[k].line > 0 ? f[k].line : 0));
	}
	len = (size_t)(r.p - key);
	/* a field cut or dropped leaves less than a varint's room (writer.c);
	 * so does a key that only just fits: not interned either */
	exact = r.cap - len >= BT_UVAR_MAX;
	h = hash_bytes(key, len);
	pthread_mutex_lock(&intern_lock);
	for (i = (uint32_t)(h % PY_TABLE); table[i].key; i = (i + 1) % PY_TABLE)
		if (exact && table[i].h == h && table[i].len == len && !memcmp(table[i].key, key, len)) {
			id = table[i].id;
			pthread_mutex_unlock(&intern_lock);
			return id;
		}
	id = next_id++;
	/* the key kept first: the record below moves it within buf (the id's
	 * varint is shorter than the room left for it) */
	uint8_t *kept = exact && used < PY_TABLE / 4 * 3 ? bt_arena_alloc(&keys_kept, len) : NULL;
	if (kept)
		memcpy(kept, key, len);
	/* the record: the id, then the key */
	bt_rec_begin(&r, buf, PY_RECORD);
	bt_rec_uvar(&r, id);
	memmove(r.p, key, len);
	r.p += len;
	bt_write_record(BT_REC_PYSTACK, &r);
	{
		if (kept) {
			table[i].key = kept;
			table[i].len = len;
			table[i].h = h;
			table[i].id = id;
			used++;
		}
	}
	pthread_mutex_unlock(&intern_lock);
	return id;
}

/* --- the walk ------------------------------------------------------------- */

#define PY_MAX_FRAMES 128
#define PY_MAX_FRAMES_FAST 64 /* deeper stacks take the slow path every time */

static const char *str_attr(PyObject *o, const char *name, PyObject **keep)
{
	PyObject *v = py.getattr(o, name);
	const char *s = NULL;
	*keep = v;
	if (v && v != py.none)
		s = py.as_utf8(v);
	return s;
}

/* The last stack captured, as its frames' code objects and instructions
 * (lines before 3.11, where the instruction cannot be asked).  A
 * code object is immutable (its file and qualified name with it), and the
 * references held here keep each one alive, so while it is here its
 * pointer stands for that one code object: the same (code, line) chain is
 * the same stack, and its id is returned without reading any string or
 * interning (a loop calling the runtime from one line repeats its stack
 * every time).  Changed under py_lock (interpreters without a shared
 * GIL), and read without it: last_seq is odd while a change is under way,
 * and a reader that saw it change ignores what it read (a seqlock; its
 * fields are read as acquire and written as release atomics, plain moves
 * on x86, so that no fence is needed: ThreadSanitizer has none).  The
 * mutex this replaces cost every Python event two calls (about 6 of the
 * some 40 ns a Python stack adds to a hooked call). */
static struct {
	int n;
	uint32_t id;
	PyObject *code[PY_MAX_FRAMES_FAST];
	int line[PY_MAX_FRAMES_FAST];
} last;
static atomic_uint last_seq;

/* Is the chain code/line (n > 0 frames) the last one?  Its id, or 0. */
static uint32_t last_is(PyObject *const *code, const int *line, int n)
{
	unsigned s = atomic_load_explicit(&last_seq, memory_order_acquire);
	uint32_t id;
	int same;
	if (s & 1)
		return 0;
	same = __atomic_load_n(&last.n, __ATOMIC_ACQUIRE) == n;
	for (int i = 0; same && i < n; i++)
		same = __atomic_load_n(&last.code[i], __ATOMIC_ACQUIRE) == code[i] &&
		       __atomic_load_n(&last.line[i], __ATOMIC_ACQUIRE) == line[i];
	id = __atomic_load_n(&last.id, __ATOMIC_ACQUIRE);
	return same && atomic_load_explicit(&last_seq, memory_order_relaxed) == s ? id : 0;
}

/* Make code/line (our references) the last chain, id its id; the chain it
 * replaces goes to old (its references, for the caller to drop).  Under
 * py_lock. */
static int last_set(PyObject *const *code, const int *line, int n, uint32_t id, PyObject **old)
{
	unsigned s = atomic_load_explicit(&last_seq, memory_order_relaxed);
	int nold = last.n;
	memcpy(old, last.code, (size_t)nold * sizeof *old);
	atomic_store_explicit(&last_seq, s + 1, memory_order_relaxed);
	for (int i = 0; i < n; i++) {
		__atomic_store_n(&last.code[i], code[i], __ATOMIC_RELEASE);
		__atomic_store_n(&last.line[i], line[i], __ATOMIC_RELEASE);
	}
	__atomic_store_n(&last.n, n, __ATOMIC_RELEASE);
	__atomic_store_n(&last.id, id, __ATOMIC_RELEASE);
	atomic_store_explicit(&last_seq, s + 2, memory_order_release);
	return nold;
}

/* The cache holds references, so only to the main interpreter's objects.
 * A subinterpreter's may be of its own allocator (3.12+), freed with it,
 * and behind its own GIL: a reference dropped from another interpreter,
 * or after it ended, corrupted the heap (Python 3.13, _interpreters). */
static int in_main_interpreter(void)
{
	return py.interp_get && py.interp_main && py.interp_get() == py.interp_main();
}

/* The chain from the current frame (borrowed), new references in code[]
 * (the caller drops them or hands them to `last`); -1 if the C API for it
 * is missing, the chain is too deep for the cache or not the main
 * interpreter's. */
static int fast_chain(PyObject *frame, PyObject **code, int *line)
{
	PyObject *hold = NULL; /* owned: the frames after the first */
	int n = 0;
	if (!py.frame_code || !py.frame_back || !py.incref || !in_main_interpreter())
		return -1;
	while (frame && frame != py.none) {
		PyObject *back;
		if (n == PY_MAX_FRAMES_FAST) {
			n = -1 - n;
			break;
		}
		code[n] = py.frame_code(frame);
		/* the instruction is cheaper than its line and as exact a key
		 * (one instruction, one line); the line where it is missing */
		line[n] = py.frame_lasti ? py.frame_lasti(frame) : py.line_number(frame);
		if (!code[n])
			break;
		n++;
		back = py.frame_back(frame);
		if (hold)
			py.decref(hold);
		hold = frame = back;
	}
	if (hold)
		py.decref(hold);
	if (n < 0) {
		for (int i = 0; i < -1 - n; i++)
			py.decref(code[i]);
		return -1;
	}
	return n;
}

static uint32_t capture_slow(struct bt_thread *t);

static uint32_t capture_held(struct bt_thread *t, PyObject *frame);

/* Is there an interpreter in this process, and does the calling thread
 * hold its GIL? */
static int gil_held(void)
{
	static atomic_uint seen_epoch = UINT32_MAX;
	unsigned ep = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);

	if (!bt_cfg.python)
		return 0;
	if (!atomic_load_explicit(&py_ready, memory_order_acquire) &&
	    ep != atomic_load_explicit(&seen_epoch, memory_order_relaxed)) {
		pthread_mutex_lock(&py_lock);
		lookup();
		atomic_store(&seen_epoch, ep);
		pthread_mutex_unlock(&py_lock);
	}
	return atomic_load_explicit(&py_ready, memory_order_acquire) && py.tstate_get() && py.gil_check();
}

/* After gil_held said no: is this a Python thread all the same, one that
 * released the GIL around the call (a thread state of its own, not
 * current)?  A thread Python never ran on has none. */
static int python_without_gil(void)
{
	return bt_cfg.python && atomic_load_explicit(&py_ready, memory_order_acquire) && py.gilstate_this &&
	       py.gilstate_this();
}

/* --- scopes ----------------------------------------------------------------
 *
 * A runtime call made from Python makes more runtime calls inside it
 * (MeshBuffer::create: a backing buffer and one per chip, each allocated
 * and tracked), and all of them have the Python stack of the first: the
 * frame that made it is suspended in it, so that frame, its instruction
 * and every caller below it stay as they were until it returns.  Python
 * code can run inside (a callback), but then the interpreter's current
 * frame is another one; when it is the outer call's frame again, the
 * stack is the outer call's again.  So a nested call whose current frame
 * is the scope's frame takes the scope's id: three calls into the C API
 * instead of four or five a frame.
 *
 * Exact because the scope lives exactly as long as the call: it is
 * closed when the call returns and when an exception leaves it, and
 * while it is open its frame object is alive (its interpreter frame holds
 * it), so no other frame can be at that address.  A fork child's ids
 * start again (gen).  A longjmp past the call (undefined in C++) leaves
 * the scope behind: a later call not deeper than it (sp) drops it. */
static atomic_uint scope_gen = 1;

uint32_t bt_pystack_capture_t(struct bt_thread *t, const void *sp, int *opened)
{
	struct bt_pyscope *s = &t->py_scope;
	uintptr_t at = (uintptr_t)sp;
	unsigned gen;
	uint32_t id;
	void *frame;

	if (opened)
		*opened = 0;
	if (!gil_held())
		return python_without_gil() ? BT_PY_NOGIL : 0;
	gen = atomic_load_explicit(&scope_gen, memory_order_relaxed);
	frame = py.get_frame(); /* borrowed */
	if (s->frame) {
		if (s->gen == gen && at < s->sp) {
			if (frame == s->frame)
				return s->id;
		} else {
			s->frame = NULL; /* left behind */
		}
	}
	id = capture_held(t, frame);
	/* the thread is in the recorder (bt_thread_enter): a signal handler's
	 * hooked call cannot open a scope between these stores */
	if (opened && !s->frame && id && frame && frame != py.none) {
		s->id = id;
		s->gen = gen;
		s->sp = at;
		s->frame = frame;
		*opened = 1;
	}
	return id;
}

void bt_pystack_scope_close(struct bt_thread *t, const void *sp)
{
	if (t->py_scope.sp == (uintptr_t)sp)
		t->py_scope.frame = NULL;
}

/* Apart from the checks above: its frame holds the chain's copies (1.4
 * KiB; the slow walk's buffers are the thread's, py_scratch), which a
 * process without Python, or a thread without the GIL, should not pay for
 * at every event. */
__attribute__((noinline)) static uint32_t capture_held(struct bt_thread *t, PyObject *frame)
{
	PyObject *code[PY_MAX_FRAMES_FAST];
	int line[PY_MAX_FRAMES_FAST], n;
	uint32_t id;

	/* we hold the GIL from here on */
	n = fast_chain(frame, code, line);
	if (n > 0 && (id = last_is(code, line, n)) != 0) {
		for (int i = 0; i < n; i++)
			py.decref(code[i]);
		return id;
	}
	id = capture_slow(t);
	if (n > 0) {
		PyObject *old[PY_MAX_FRAMES_FAST];
		int nold;
		pthread_mutex_lock(&py_lock);
		nold = last_set(code, line, n, id, old); /* our references go to the cache */
		pthread_mutex_unlock(&py_lock);
		for (int i = 0; i < nold; i++)
			py.decref(old[i]);
	} else {
		for (int i = 0; i < n; i++)
			py.decref(code[i]);
	}
	return id;
}

/* The slow walk's buffers: the thread's own (it walks one stack at a
 * time; a call made from inside the walk, by a __del__ say, is not
 * recorded), away from the program's stack. */
struct py_scratch {
	struct pyframe frames[PY_MAX_FRAMES + 1]; /* and the cut's mark */
	PyObject *refs[PY_MAX_FRAMES * 4];
	uint8_t record[PY_RECORD];
};

static struct py_scratch *scratch_of(struct bt_thread *t)
{
	if (!t->py_scratch) {
		void *m = mmap(NULL, sizeof(struct py_scratch), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
			       -1, 0);
		t->py_scratch = m == MAP_FAILED ? NULL : m;
	}
	return t->py_scratch;
}

__attribute__((noinline)) static uint32_t capture_slow(struct bt_thread *t)
{
	struct py_scratch *sc = scratch_of(t);
	struct pyframe *frames;
	PyObject **refs;
	PyObject *et, *ev, *tb, *frame;
	int n = 0, nrefs = 0, gc_was = 0, cut = 0;
	uint32_t id = 0;

	if (!sc)
		return 0; /* no memory: this event has no Python stack */
	frames = sc->frames;
	refs = sc->refs;
	py.err_fetch(&et, &ev, &tb);
	if (py.gc_disable)
		gc_was = py.gc_disable();
	frame = py.get_frame(); /* borrowed */
	while (frame && frame != py.none) {
		PyObject *code, *back;
		if (n == PY_MAX_FRAMES) {
			cut = 1; /* a frame more: the stack is cut here */
			break;
		}
		/* at most four references a frame: refs[] holds them all */
		code = py.getattr(frame, "f_code");
		if (!code)
			break;
		refs[nrefs++] = code;
		frames[n].file = str_attr(code, "co_filename", &refs[nrefs]);
		nrefs++;
		/* co_qualname from 3.11 (as Py_Version): before, asking for it
		 * would make Python build an AttributeError at every frame, which
		 * costs time and more stack than a small thread may have left */
		frames[n].func = str_attr(code, py.qualname ? "co_qualname" : "co_name", &refs[nrefs]);
		nrefs++;
		if (!frames[n].func && py.qualname) {
			py.err_restore(NULL, NULL, NULL);
			frames[n].func = str_attr(code, "co_name", &refs[nrefs - 1]);
		}
		frames[n].line = py.line_number(frame);
		if (!frames[n].file)
			frames[n].file = "?";
		if (!frames[n].func)
			frames[n].func = "?";
		n++;
		/* new reference; PyFrame_GetBack's is NULL at the end, f_back's None */
		back = py.frame_back ? py.frame_back(frame) : py.getattr(frame, "f_back");
		if (!back)
			break;
		refs[nrefs++] = back;
		frame = back;
	}
	if (cut) /* the mark of a cut stack: a frame of no file named "..." (trace-format.md) */
		frames[n++] = (struct pyframe){ "", "...", 0 };
	if (n)
		id = intern(frames, n, sc->record);
	for (int i = 0; i < nrefs; i++)
		if (refs[i])
			py.decref(refs[i]);
	if (py.gc_enable && gc_was)
		py.gc_enable();
	py.err_restore(et, ev, tb);
	return id;
}

void bt_pystack_reset(void)
{
	memset(&last, 0, sizeof last); /* (a change cut by the fork: its references are left) */
	atomic_fetch_add_explicit(&scope_gen, 1, memory_order_relaxed); /* the ids start again */
	atomic_store_explicit(&last_seq, 0, memory_order_relaxed);
	memset(table, 0, sizeof table);
	bt_arena_reset(&keys_kept);
	pthread_mutex_init(&intern_lock, NULL);
	used = 0;
	next_id = 1;
	pthread_mutex_init(&py_lock, NULL);
}
