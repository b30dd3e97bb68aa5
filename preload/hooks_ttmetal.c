/* hooks_ttmetal.c - the tt-metal entry points libbuftrace.so exports.
 *
 * Every exact mangled name in common/hooks.def becomes a function here
 * that takes ten integer registers and forwards them unchanged: all the
 * hooked functions take only integer-class arguments (pointers, sizes,
 * enums, references, 2-byte optionals) and return in rax (results by
 * value travel through the hidden pointer in rdi), so passing ten
 * registers/stack slots through is exact whatever the real arity. */
#include <stdlib.h>
#include "recorder.h"

typedef uint64_t (*fn10_t)(uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t, uint64_t,
			   uint64_t, uint64_t, uint64_t);

static struct bt_target mesh_id_fn = { .symbol = "_ZNK2tt8tt_metal11distributed10MeshDevice2idEv",
				       .hook = BT_HOOK_MESH_CLOSE, .form = FORM_UNKNOWN };

/* MeshDevice::id() is out of line in tt-metal: ask the runtime itself. */
static uint64_t mesh_id(uint64_t mesh)
{
	int (*id)(uint64_t);
	if (!mesh)
		return UINT64_MAX;
	id = (int (*)(uint64_t))bt_resolve(&mesh_id_fn);
	return id ? (uint64_t)(int64_t)id(mesh) : UINT64_MAX;
}

static uint64_t result_ptr(const uint64_t *a, int after)
{
	return after && a[0] ? *(const uint64_t *)(uintptr_t)a[0] : 0;
}

/* Arguments as the hook's field list names them; results are 0 before
 * the call has returned. */
static int decode(enum bt_form form, const uint64_t *a, int after, int exit, uint64_t *out)
{
	switch (form) {
	case FORM_THIS: out[0] = a[0]; return 1;
	case FORM_THIS_ARG: out[0] = a[0]; out[1] = a[1]; return 2;
	case FORM_THIS_INT: out[0] = a[0]; out[1] = (uint64_t)(int64_t)(int)a[1]; return 2;
	case FORM_RESULT_THIS: out[0] = result_ptr(a, after); out[1] = a[1]; return 2;
	case FORM_BUF_CREATE:
		out[0] = result_ptr(a, after);
		out[1] = a[1]; out[2] = a[2]; out[3] = a[3]; out[4] = (uint32_t)a[4];
		return 5;
	case FORM_BUF_CREATE_AT:
		out[0] = result_ptr(a, after);
		out[1] = a[1]; out[2] = a[2]; out[3] = a[3]; out[4] = a[4]; out[5] = (uint32_t)a[5];
		return 6;
	case FORM_MESH_RESULT:
		out[0] = result_ptr(a, after);
		out[1] = after ? mesh_id(out[0]) : UINT64_MAX;
		return 2;
	case FORM_MESH_RESULT_INT:
		out[0] = result_ptr(a, after);
		out[1] = after ? mesh_id(out[0]) : UINT64_MAX;
		out[2] = (uint64_t)(int64_t)(int)a[1];
		return 3;
	case FORM_MESH_THIS:
		/* after ~MeshDevice (or a throw out of it) the object is gone:
		 * ask for its id at entry only */
		out[0] = a[0];
		out[1] = exit ? UINT64_MAX : mesh_id(a[0]);
		return 2;
	case FORM_SHARED_PTR_ARG: out[0] = a[0] ? *(const uint64_t *)(uintptr_t)a[0] : 0; return 1;
	case FORM_UNKNOWN: break;
	}
	return 0;
}

struct pending {
	struct bt_target *tg;
	const uint64_t *a;
	uint32_t stack, pystack;
	int armed;
};

static void emit(struct bt_thread *t, struct bt_target *tg, const uint64_t *a, uint32_t stack,
		 uint32_t pystack, unsigned flags)
{
	uint64_t args[10];
	int n = decode(tg->form, a, (flags & BT_EV_EXIT) && !(flags & BT_EV_FAILED), flags & BT_EV_EXIT, args);
	bt_emit_event(t, tg->hook, flags | (tg->form == FORM_UNKNOWN ? BT_EV_UNKNOWN : 0), stack, pystack,
		      args, n);
}

/* Runs while a C++ exception unwinds through bt_call (built with
 * -fexceptions): the call is recorded as failed and the exception goes on
 * to the caller untouched. */
static void on_unwind(struct pending *p)
{
	struct bt_thread *t;
	if (!p->armed)
		return;
	t = bt_thread_enter();
	if (t) {
		emit(t, p->tg, p->a, p->stack, p->pystack, BT_EV_EXIT | BT_EV_FAILED);
		bt_thread_leave(t);
	}
}

static atomic_uint seen_epoch;

uint64_t bt_call(struct bt_target *tg, const uint64_t a[10])
{
	fn10_t real = (fn10_t)bt_resolve(tg);
	struct bt_thread *t;
	unsigned hflags = bt_hooks[tg->hook].flags;
	uint64_t r;

	if (!real) {
		bt_log("buftrace: %s is called but defined nowhere else; cannot continue", tg->symbol);
		abort();
	}
	t = bt_cfg.hook_off[tg->hook] ? NULL : bt_thread_enter_call();
	if (!t)
		return real(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);

	struct pending p __attribute__((cleanup(on_unwind))) = { tg, a, 0, 0, 0 };
	unsigned ep = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);
	if (ep != atomic_load_explicit(&seen_epoch, memory_order_relaxed)) {
		/* something was dlopen'ed or dlclose'd since we last looked */
		atomic_store_explicit(&seen_epoch, ep, memory_order_relaxed);
		bt_modules_scan();
		bt_resolve_report();
	}
	p.stack = bt_stack_capture_t(t);
	p.pystack = bt_pystack_capture();
	if (!(hflags & BT_HOOK_AT_EXIT))
		emit(t, tg, a, p.stack, p.pystack, 0);
	/* armed for every hook: one recorded at entry only gets an exit
	 * event just when an exception leaves it (FAILED) */
	p.armed = 1;
	bt_thread_leave(t);

	r = real(a[0], a[1], a[2], a[3], a[4], a[5], a[6], a[7], a[8], a[9]);

	p.armed = 0;
	if (hflags & (BT_HOOK_AT_EXIT | BT_HOOK_SCOPED)) {
		t = bt_thread_enter();
		if (t) {
			emit(t, tg, a, p.stack, p.pystack, BT_EV_EXIT);
			bt_thread_leave(t);
		}
	}
	return r;
}

#define ALIAS(id, fm, sym)                                                                      \
	BT_EXPORT uint64_t sym(uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3, uint64_t a4, \
			       uint64_t a5, uint64_t a6, uint64_t a7, uint64_t a8, uint64_t a9)  \
	{                                                                                       \
		static struct bt_target tg = { .symbol = #sym, .hook = BT_HOOK_##id, .form = fm }; \
		const uint64_t a[10] = { a0, a1, a2, a3, a4, a5, a6, a7, a8, a9 };               \
		return bt_call(&tg, a);                                                         \
	}
#define HOOK(id, name, qual, flags, fields, form)
#include "hooks.def"
#undef HOOK
#undef ALIAS
