/* hooks_ttmetal.c - the tt-metal entry points libbuftrace.so exports.
 *
 * Every exact mangled name in common/hooks.def becomes a function here
 * that takes the six integer argument registers and the first ten
 * eightbytes of the caller's stack arguments and forwards them unchanged:
 * all the hooked functions take only integer-class arguments (pointers,
 * sizes, enums, references, small optionals and spans; the 2026 Device
 * constructor passes seven eightbytes on the stack) and return in rax
 * (results by value travel through the hidden pointer in rdi), so passing
 * sixteen words through is exact whatever the real arity.
 *
 * Each alias's fields are decoded with the layout read from its own
 * mangled name (common/sigdecode.c), computed once for all aliases. */
#include <pthread.h>
#include <stdlib.h>
#include "recorder.h"

typedef uint64_t (*fn6_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);
typedef uint64_t (*fn16_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
			   uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t);

static struct bt_target mesh_id_fn = { .symbol = "_ZNK2tt8tt_metal11distributed10MeshDevice2idEv",
				       .hook = BT_HOOK_MESH_CLOSE };

/* MeshDevice::id() is out of line in tt-metal: ask the runtime itself. */
static uint64_t mesh_id(uint64_t mesh)
{
	int (*id)(uint64_t);
	if (!mesh)
		return UINT64_MAX;
	id = (int (*)(uint64_t))bt_resolve(&mesh_id_fn);
	return id ? (uint64_t)(int64_t)id(mesh) : UINT64_MAX;
}

/* IDevice::id() of a Device: its vtable slot, when bt_vcall_setup found the
 * object's class vtable and its slot safe to call (resolve.c). */
static uint64_t chip_id(const struct bt_vcall *vc, uint64_t obj)
{
	uint64_t vptr = atomic_load_explicit(&vc->vptr, memory_order_acquire);
	uint64_t fn = atomic_load_explicit(&vc->fn, memory_order_relaxed);
	if (!obj || !vptr || !fn || *(const uint64_t *)(uintptr_t)obj != vptr)
		return UINT64_MAX;
	return (uint64_t)(int64_t)((int (*)(uint64_t))(uintptr_t)fn)(obj);
}

/* The hook's fields, read where the symbol's layout puts them.  Results
 * are 0 before the call has returned; runtime ids of an argument object
 * are asked at entry only (after a destructor or close it may be gone),
 * of a result at exit only. */
int bt_decode(const struct bt_layout *l, const struct bt_vcall *vc, const uint64_t *a, int after, int exit,
	      uint64_t ret, uint64_t *out)
{
	if (!l->known)
		return 0;
	for (int i = 0; i < l->nfields; i++) {
		const struct bt_field_src *f = &l->f[i];
		uint64_t v = a[f->slot];
		int of_result = f->arg < i && l->f[f->arg].src == BT_SRC_RESULT;
		switch (f->src) {
		case BT_SRC_WORD: out[i] = v; break;
		case BT_SRC_INT: out[i] = (uint64_t)(int64_t)(int32_t)v; break;
		case BT_SRC_U32: out[i] = (uint32_t)v; break;
		case BT_SRC_RESULT: out[i] = after && v ? *(const uint64_t *)(uintptr_t)v : 0; break;
		case BT_SRC_DEREF: out[i] = v ? *(const uint64_t *)(uintptr_t)v : 0; break;
		case BT_SRC_OPT_WORD: out[i] = (a[f->slot + 1] & 0xff) ? v : UINT64_MAX; break;
		case BT_SRC_MESH_ID:
			out[i] = (of_result ? after : !exit) ? mesh_id(out[f->arg]) : UINT64_MAX;
			break;
		case BT_SRC_CHIP_ID:
			out[i] = (of_result ? after : !exit) && vc ? chip_id(vc, out[f->arg]) : UINT64_MAX;
			break;
		case BT_SRC_RET: out[i] = after ? ret : 0; break;
		case BT_SRC_RET_INT: out[i] = after ? (uint64_t)(int64_t)(int32_t)ret : 0; break;
		case BT_SRC_DEREF_AT: out[i] = v ? *(const uint64_t *)(uintptr_t)(v + f->arg) : 0; break;
		case BT_SRC_PRODUCT: out[i] = (uint64_t)(uint32_t)v * (uint32_t)a[f->arg]; break;
		default: out[i] = UINT64_MAX; break;
		}
	}
	return l->nfields;
}

struct pending {
	struct bt_target *tg;
	const uint64_t *a;
	uint32_t stack, pystack;
	int armed;
	int py_scope;         /* this call opened its thread's Python scope */
	struct bt_thread *t;  /* whose */
};

static void emit(struct bt_thread *t, struct bt_target *tg, const uint64_t *a, uint32_t stack,
		 uint32_t pystack, unsigned flags, uint64_t ret)
{
	uint64_t args[BT_LAYOUT_FIELDS];
	int n = bt_decode(&tg->layout, &tg->vcall, a, (flags & BT_EV_EXIT) && !(flags & BT_EV_FAILED),
			  flags & BT_EV_EXIT, ret, args);
	bt_emit_event(t, tg->hook, flags | (tg->layout.known ? 0 : BT_EV_UNKNOWN), stack, pystack, args, n);
}

/* bt_call's cleanup: runs when it returns and while a C++ exception
 * unwinds through it (built with -fexceptions).  Either way the Python
 * scope the call opened ends; on an exception (still armed) the call is
 * also recorded as failed, and the exception goes on to the caller
 * untouched. */
static void on_unwind(struct pending *p)
{
	struct bt_thread *t;
	if (p->py_scope)
		bt_pystack_scope_close(p->t, p);
	if (!p->armed)
		return;
	t = bt_thread_enter();
	if (t) {
		emit(t, p->tg, p->a, p->stack, p->pystack, BT_EV_EXIT | BT_EV_FAILED, 0);
		bt_thread_leave(t);
	}
}

static atomic_uint seen_epoch;

/* The aliases' targets, in hooks.def order, and their layouts. */
enum {
#define ALIAS(id, sym) BT_ALIAS_##sym,
#define HOOK(id, name, qual, flags, fields, decode)
#include "hooks.def"
#undef HOOK
#undef ALIAS
	BT_ALIAS_COUNT
};
static struct bt_target targets[BT_ALIAS_COUNT] = {
#define ALIAS(id, sym) [BT_ALIAS_##sym] = { .symbol = #sym, .hook = BT_HOOK_##id },
#define HOOK(id, name, qual, flags, fields, decode)
#include "hooks.def"
#undef HOOK
#undef ALIAS
};
static struct bt_once layouts_once = BT_ONCE_INIT;

static void layouts_init(void)
{
	for (int i = 0; i < BT_ALIAS_COUNT; i++)
		bt_layout_build(bt_hooks[targets[i].hook].decode, targets[i].symbol, &targets[i].layout);
}

/* At load, and at the latest at the first hooked call (a library's own
 * constructor may call before ours ran). */
__attribute__((constructor)) static void hooks_init(void)
{
	bt_once(&layouts_once, layouts_init);
}

uint64_t bt_call(struct bt_target *tg, const uint64_t a[BT_ARG_SLOTS])
{
	fn16_t real;
	/* before bt_resolve: it sets up the vtable call of a chipid field */
	bt_once(&layouts_once, layouts_init);
	real = (fn16_t)bt_resolve(tg);
	struct bt_thread *t;
	unsigned hflags = bt_hooks[tg->hook].flags;
	uint64_t r;

	if (!real) {
		bt_log("buftrace: %s is called but defined nowhere else; cannot continue", tg->symbol);
		abort();
	}
	t = bt_cfg.hook_off[tg->hook] ? NULL : bt_thread_enter_call();
	if (!t)
		return real(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
			    a[14], a[15]);

	struct pending p __attribute__((cleanup(on_unwind))) = { tg, a, 0, 0, 0, 0, t };
	/* the walk first: it tells whether this call runs in a signal
	 * handler, where the loader must not be called (bt_thread_no_loader) */
	p.stack = bt_stack_capture_t(t);
	unsigned ep = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);
	if (ep != atomic_load_explicit(&seen_epoch, memory_order_relaxed) && !t->no_loader) {
		/* something was dlopen'ed or dlclose'd since we last looked */
		atomic_store_explicit(&seen_epoch, ep, memory_order_relaxed);
		bt_modules_scan();
		bt_resolve_report();
	}
	p.pystack = bt_pystack_capture_t(t, &p, &p.py_scope);
	if (!(hflags & BT_HOOK_AT_EXIT))
		emit(t, tg, a, p.stack, p.pystack, 0, 0);
	/* armed for every hook: one recorded at entry only gets an exit
	 * event just when an exception leaves it (FAILED) */
	p.armed = 1;
	bt_thread_leave(t);

	if (tg->layout.callable && !tg->layout.nstack) /* its signature: no stack arguments */
		r = ((fn6_t)(uintptr_t)real)(a[0], a[1], a[2], a[3], a[4], a[5]);
	else
		r = real(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9], a[10], a[11], a[12], a[13],
			 a[14], a[15]);

	p.armed = 0;
	if (hflags & (BT_HOOK_AT_EXIT | BT_HOOK_SCOPED)) {
		t = bt_thread_enter();
		if (t) {
			emit(t, tg, a, p.stack, p.pystack, BT_EV_EXIT, r);
			bt_thread_leave(t);
		}
	}
	return r;
}

#define ALIAS(id, sym)                                                                            \
	BT_EXPORT uint64_t sym(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5,    \
			       uint64_t a6, uint64_t a7, uint64_t a8, uint64_t a9, uint64_t a10, uint64_t a11, \
			       uint64_t a12, uint64_t a13, uint64_t a14, uint64_t a15)                        \
	{                                                                                                 \
		const uint64_t a[BT_ARG_SLOTS] = { a0, a1, a2,  a3,  a4,  a5,  a6,  a7,                   \
						   a8, a9, a10, a11, a12, a13, a14, a15 };                \
		return bt_call(&targets[BT_ALIAS_##sym], a);                                              \
	}
#define HOOK(id, name, qual, flags, fields, decode)
#include "hooks.def"
#undef HOOK
#undef ALIAS
