/* resolve.c - from a hooked name to the runtime's real function.
 *
 * Exact names: libbuftrace.so exports them (hooks_ttmetal.c); the real
 * definition is the first one in the loader's order that is not a
 * recorder's (ours, or another copy's: each would take the other's for
 * the real one, and the two called each other until the stack ran out),
 * read from each object's own dynamic symbol table, which works the same
 * whether the runtime was linked, dlopen'ed RTLD_GLOBAL or RTLD_LOCAL.
 *
 * Names we could not know at build time (a new release changed a
 * parameter type): every loaded object's exported tt::/ttnn:: functions
 * are matched by demangled name, and the relocation slots bound to them
 * are pointed at an entry trampoline that records the call (with the
 * arguments only when their layout is recognised) and jumps on with every
 * register intact, so any signature and return type passes untouched. */
#include <link.h>
#include <pthread.h>
#include <string.h>
#include "recorder.h"

struct find_ctx {
	const char *name;
	const void *found;
	int object;
};

static void find_cb(struct bt_module *m, void *arg)
{
	struct find_ctx *c = arg;
	size_t size;
	if (!c->found && !m->recorder)
		c->found = c->object ? bt_dyn_lookup_object(m, c->name, &size) : bt_dyn_lookup(m, c->name);
}

void *bt_find_symbol(const char *name)
{
	struct find_ctx c = { name, NULL, 0 };
	bt_modules_foreach(find_cb, &c);
	return (void *)c.found;
}

void *bt_find_object(const char *name)
{
	struct find_ctx c = { name, NULL, 1 };
	bt_modules_foreach(find_cb, &c);
	return (void *)c.found;
}

void *bt_resolve(struct bt_target *t)
{
	void *r = atomic_load_explicit(&t->real, memory_order_acquire);
	unsigned dl = atomic_load_explicit(&bt_dl_epoch, memory_order_relaxed);
	if (r && (t->epoch == bt_unload_epoch || bt_thread_reentered()))
		return r; /* (a signal handler inside the recorder must not rescan) */
	/* looked for in vain, and nothing was loaded since: still absent
	 * (MeshDevice::id in a build without it must not cost a rescan per
	 * event) */
	if (!r && t->missing == dl + 1)
		return NULL;
	r = bt_find_symbol(t->symbol);
	if (!r && !bt_thread_reentered()) {
		/* Not in our module list yet (called before the first scan, or
		 * from an object loaded since): look again. */
		bt_modules_scan();
		r = bt_find_symbol(t->symbol);
	}
	t->missing = r ? 0 : dl + 1;
	t->epoch = bt_unload_epoch;
	if (r && r != atomic_load_explicit(&t->real, memory_order_relaxed))
		for (int i = 0; i < t->layout.nfields; i++)
			if (t->layout.f[i].src == BT_SRC_CHIP_ID)
				bt_vcall_setup(&t->vcall, t->symbol, (uint64_t)(uintptr_t)r);
	atomic_store_explicit(&t->real, r, memory_order_release);
	return r;
}

/* --- IDevice::id() through the vtable, when it is safe ----------------- */

struct in_mod {
	uint64_t addr;
	const struct bt_module *m;
};

static void in_mod_cb(struct bt_module *m, void *arg)
{
	struct in_mod *q = arg;
	if (!q->m && !m->self && q->addr >= m->lo && q->addr < m->hi)
		q->m = m;
}

/* addr lies in an executable segment of m, read from m's own program
 * headers in memory (not dl_iterate_phdr: this may run in a signal
 * handler that interrupted the loader). */
static int in_exec(const struct bt_module *m, uint64_t addr)
{
	const ElfW(Ehdr) *eh = (const ElfW(Ehdr) *)(uintptr_t)m->bias;
	const ElfW(Phdr) *ph;
	if (m->bias < m->lo || m->bias >= m->hi || memcmp(eh->e_ident, ELFMAG, SELFMAG) ||
	    eh->e_phentsize != sizeof *ph || eh->e_phoff + (uint64_t)eh->e_phnum * sizeof *ph > 65536)
		return 0;
	ph = (const ElfW(Phdr) *)(uintptr_t)(m->bias + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && (ph[i].p_flags & PF_X) && addr >= m->bias + ph[i].p_vaddr &&
		    addr < m->bias + ph[i].p_vaddr + ph[i].p_memsz)
			return 1;
	return 0;
}

/* The code at fn is an int getter, `return this->member;`: a 32-bit load
 * from [rdi + disp] into eax, then ret (endbr64 and a frame-pointer
 * prologue/epilogue allowed).  IDevice::id() of a Device is exactly that;
 * another virtual in slot 3 (is_initialized() in an older vtable order: a
 * byte load) is not, and is never called. */
static int is_int_getter(const unsigned char *c)
{
	int fp = 0;
	if (c[0] == 0xf3 && c[1] == 0x0f && c[2] == 0x1e && c[3] == 0xfa)
		c += 4;
	if (c[0] == 0x55 && c[1] == 0x48 && c[2] == 0x89 && c[3] == 0xe5) {
		fp = 1;
		c += 4;
	}
	if (c[0] != 0x8b)
		return 0;
	switch (c[1]) {
	case 0x07: c += 2; break;  /* mov eax, [rdi] */
	case 0x47: c += 3; break;  /* mov eax, [rdi + disp8] */
	case 0x87: c += 6; break;  /* mov eax, [rdi + disp32] */
	default: return 0;
	}
	if (fp && *c++ != 0x5d)
		return 0;
	return *c == 0xc3;
}

/* The names the object gives the vtable's first slots. */
struct slot_names {
	uint64_t addr[4];
	char name[4][160];
};

static void slot_name_cb(const struct bt_module *m, const char *name, uint64_t addr, void *arg)
{
	struct slot_names *q = arg;
	(void)m;
	for (int i = 0; i < 4; i++)
		if (addr == q->addr[i] && !q->name[i][0] && strlen(name) < sizeof q->name[i])
			strcpy(q->name[i], name);
}

/* name is `class_prefix` + D<k>Ev with k in ks */
static int is_dtor_of(const char *name, const char *vt, const char *ks)
{
	/* vt is _ZTVN<prefix>E, the destructor _ZN<prefix>D?Ev */
	size_t pl = strlen(vt) - 6;
	return !strncmp(name, "_ZN", 3) && !strncmp(name + 3, vt + 5, pl) && name[3 + pl] == 'D' &&
	       name[4 + pl] && strchr(ks, name[4 + pl]) && !strcmp(name + 5 + pl, "Ev");
}

static void vcall_setup_in(struct bt_vcall *vc, const char *sym, const struct bt_module *m)
{
	char vt[320];
	const uint64_t *v;
	size_t vsize;
	struct slot_names sn;

	atomic_store_explicit(&vc->vptr, 0, memory_order_relaxed);
	if (bt_sig_vtable_name(sym, vt, sizeof vt))
		return;
	v = bt_dyn_lookup_object(m, vt, &vsize);
	/* a primary vtable: offset-to-top 0, then typeinfo, then at least
	 * four slots; slot 3's code (the bytes is_int_getter reads) inside
	 * the object's code */
	if (!v || vsize < 6 * sizeof *v || v[0] != 0)
		return;
	if (!in_exec(m, v[2 + 3]) || !in_exec(m, v[2 + 3] + 15))
		return;
	memset(&sn, 0, sizeof sn);
	for (int i = 0; i < 4; i++)
		sn.addr[i] = v[2 + i];
	bt_dyn_foreach_symbol(m, slot_name_cb, &sn);
	/* slots 0, 1: the complete and deleting destructors (or our own
	 * entry points for them: interposed D1, trampoline of a patched D0);
	 * slot 3: id() const when it is named (tt-metal's Device::id() is
	 * inline and hidden: no name) */
	if (!(bt_module_is_self(sn.addr[0]) || is_dtor_of(sn.name[0], vt, "12")) ||
	    !(bt_module_is_self(sn.addr[1]) || is_dtor_of(sn.name[1], vt, "0")))
		return;
	if (sn.name[3][0]) {
		size_t n = strlen(sn.name[3]);
		if (strncmp(sn.name[3], "_ZNK", 4) || n < 5 || strcmp(sn.name[3] + n - 5, "2idEv"))
			return;
	}
	if (!is_int_getter((const unsigned char *)(uintptr_t)v[2 + 3])) {
		if (bt_cfg.debug)
			bt_log("buftrace: %s: vtable slot 3 of %s is not an int getter: chip ids not read", sym, vt);
		return;
	}
	atomic_store_explicit(&vc->fn, v[2 + 3], memory_order_relaxed);
	atomic_store_explicit(&vc->vptr, (uint64_t)(uintptr_t)(v + 2), memory_order_release);
	if (bt_cfg.debug)
		bt_log("buftrace: %s: IDevice::id() at vtable slot 3 of %s", sym, vt);
}

void bt_vcall_setup(struct bt_vcall *vc, const char *sym, uint64_t real)
{
	struct in_mod im = { real, NULL };
	bt_modules_foreach(in_mod_cb, &im);
	if (im.m)
		vcall_setup_in(vc, sym, im.m);
}

/* --- entry trampolines for names matched by demangled form ------------- */

#define NTRAMP 64
struct patched {
	enum bt_hook_id hook;
	struct bt_layout layout;
	struct bt_vcall vcall;
	void *real;
	char symbol[512];
};
static struct patched patched[NTRAMP];
static int npatched;
static pthread_mutex_t report_lock = PTHREAD_MUTEX_INITIALIZER;
extern char bt_tramp_base[] __attribute__((visibility("hidden")));

/* bt_tramp_N: push N, jump to the common part, which saves the argument
 * registers (integer and vector), calls bt_tramp_enter, restores them
 * and tail-jumps to the real function.  CFI lets the unwinder walk from
 * bt_tramp_enter through it to the caller.
 *
 * When the hook wants the call's return (a result, or the end of a
 * scope) and the symbol's whole parameter list was placed, bt_tramp_enter
 * returns the number of stack eightbytes + 1 in rdx: the trampoline then
 * copies those stack arguments below its frame, restores the argument
 * registers, calls the real function, keeps its return registers (rax,
 * rdx, xmm0, xmm1: whatever the return type) around bt_tramp_exit and
 * returns to the caller.  The caller's own stack arguments are left as
 * they were, so bt_tramp_exit reads the arguments as they came in.  An
 * exception unwinds through the frame (its CFI holds) and no exit is
 * recorded. */
__asm__(".text\n"
	".balign 16\n"
	".globl bt_tramp_base\n"
	".hidden bt_tramp_base\n"
	"bt_tramp_base:\n"
	".irp n, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31,"
	"32,33,34,35,36,37,38,39,40,41,42,43,44,45,46,47,48,49,50,51,52,53,54,55,56,57,58,59,60,61,62,63\n"
	".balign 16\n"
	"\tpushq $\\n\n"
	"\tjmp bt_tramp_common\n"
	".endr\n"
	".balign 16\n"
	"bt_tramp_common:\n"
	"\t.cfi_startproc\n"
	"\t.cfi_def_cfa %rsp, 16\n"
	"\t.cfi_offset %rip, -8\n"
	"\tpushq %rbp\n"
	"\t.cfi_def_cfa_offset 24\n"
	"\t.cfi_offset %rbp, -24\n"
	"\tmovq %rsp, %rbp\n"
	"\t.cfi_def_cfa_register %rbp\n"
	"\tpushq %rax\n"
	"\tpushq %r9\n"
	"\tpushq %r8\n"
	"\tpushq %rcx\n"
	"\tpushq %rdx\n"
	"\tpushq %rsi\n"
	"\tpushq %rdi\n"
	"\tsubq $136, %rsp\n"
	"\tandq $-16, %rsp\n"
	"\tmovdqu %xmm0, 0(%rsp)\n"
	"\tmovdqu %xmm1, 16(%rsp)\n"
	"\tmovdqu %xmm2, 32(%rsp)\n"
	"\tmovdqu %xmm3, 48(%rsp)\n"
	"\tmovdqu %xmm4, 64(%rsp)\n"
	"\tmovdqu %xmm5, 80(%rsp)\n"
	"\tmovdqu %xmm6, 96(%rsp)\n"
	"\tmovdqu %xmm7, 112(%rsp)\n"
	"\tmovq 8(%rbp), %rdi\n"
	"\tleaq -56(%rbp), %rsi\n"
	"\tcall bt_tramp_enter\n"
	"\tmovq %rax, %r11\n"
	"\tmovq %rsp, %r10\n" /* the saved xmm registers */
	"\ttestq %rdx, %rdx\n"
	"\tjz 2f\n"
	/* call through: rdx = stack eightbytes + 1; their copy below the
	 * saved xmm registers, at least 16 bytes (rsp != r10 says so below) */
	"\tdecq %rdx\n"
	"\tleaq 16(,%rdx,8), %rax\n"
	"\tandq $-16, %rax\n"
	"\tsubq %rax, %rsp\n"
	"\txorl %eax, %eax\n"
	"1:\tcmpq %rdx, %rax\n"
	"\tjae 2f\n"
	"\tmovq 24(%rbp,%rax,8), %rcx\n"
	"\tmovq %rcx, (%rsp,%rax,8)\n"
	"\tincq %rax\n"
	"\tjmp 1b\n"
	/* both ways: the argument registers as they came in */
	"2:\tmovdqu 0(%r10), %xmm0\n"
	"\tmovdqu 16(%r10), %xmm1\n"
	"\tmovdqu 32(%r10), %xmm2\n"
	"\tmovdqu 48(%r10), %xmm3\n"
	"\tmovdqu 64(%r10), %xmm4\n"
	"\tmovdqu 80(%r10), %xmm5\n"
	"\tmovdqu 96(%r10), %xmm6\n"
	"\tmovdqu 112(%r10), %xmm7\n"
	"\tmovq -56(%rbp), %rdi\n"
	"\tmovq -48(%rbp), %rsi\n"
	"\tmovq -40(%rbp), %rdx\n"
	"\tmovq -32(%rbp), %rcx\n"
	"\tmovq -24(%rbp), %r8\n"
	"\tmovq -16(%rbp), %r9\n"
	"\tmovq -8(%rbp), %rax\n"
	"\tcmpq %rsp, %r10\n"
	"\tjne 3f\n"
	"\t.cfi_remember_state\n"
	"\tmovq %rbp, %rsp\n"
	"\tpopq %rbp\n"
	"\t.cfi_def_cfa %rsp, 16\n"
	"\taddq $8, %rsp\n"
	"\t.cfi_def_cfa_offset 8\n"
	"\tjmp *%r11\n"
	"3:\n"
	"\t.cfi_restore_state\n"
	"\tcall *%r11\n"
	"\tsubq $48, %rsp\n"
	"\tmovq %rax, 0(%rsp)\n"
	"\tmovq %rdx, 8(%rsp)\n"
	"\tmovdqu %xmm0, 16(%rsp)\n"
	"\tmovdqu %xmm1, 32(%rsp)\n"
	"\tmovq 8(%rbp), %rdi\n"
	"\tleaq -56(%rbp), %rsi\n"
	"\tmovq %rax, %rdx\n" /* what it returned */
	"\tcall bt_tramp_exit\n"
	"\tmovq %rax, 0(%rsp)\n" /* what the caller gets (an extension lookup: a trampoline) */
	"\tmovq 0(%rsp), %rax\n"
	"\tmovq 8(%rsp), %rdx\n"
	"\tmovdqu 16(%rsp), %xmm0\n"
	"\tmovdqu 32(%rsp), %xmm1\n"
	"\tmovq %rbp, %rsp\n"
	"\tpopq %rbp\n"
	"\t.cfi_def_cfa %rsp, 16\n"
	"\taddq $8, %rsp\n"
	"\t.cfi_def_cfa_offset 8\n"
	"\tret\n"
	"\t.cfi_endproc\n");

struct tramp_next {
	void *real;
	uint64_t call; /* 0: tail-jump; else stack eightbytes to copy + 1 */
};

/* Called with the caller's argument registers rdi, rsi, rdx, rcx, r8, r9
 * (regs[0..5]); the caller's stack arguments start at regs[10] (above the
 * saved rax and rbp, the trampoline's index and the return address). */
static void tramp_args(const struct bt_layout *l, const uint64_t *regs, uint64_t *a)
{
	/* only the stack eightbytes the function takes, or the fields need:
	 * those above them are the caller's own frame */
	int n = 6 + (l->callable ? l->nstack : 0);
	for (int i = 0; i < l->nfields; i++) {
		int end = l->f[i].slot + (l->f[i].src == BT_SRC_OPT_WORD ? 2 : 1);
		if (end > n)
			n = end;
	}
	if (n > BT_ARG_SLOTS)
		n = BT_ARG_SLOTS;
	for (int i = 0; i < BT_ARG_SLOTS; i++)
		a[i] = i < n ? regs[i < 6 ? i : i + 4] : 0;
}

__attribute__((visibility("hidden"), used)) struct tramp_next bt_tramp_enter(uint64_t idx, const uint64_t *regs)
{
	struct patched *p = &patched[idx % NTRAMP];
	struct tramp_next next = { p->real, 0 };
	unsigned hflags = bt_hooks[p->hook].flags;
	struct bt_thread *t = bt_cfg.hook_off[p->hook] ? NULL : bt_thread_enter_call();
	if (t) {
		uint64_t a[BT_ARG_SLOTS], args[BT_LAYOUT_FIELDS];
		uint32_t stack = bt_stack_capture_t(t), pystack = bt_pystack_capture_t(t, regs, NULL);
		int nargs, wait = (hflags & (BT_HOOK_AT_EXIT | BT_HOOK_SCOPED)) && p->layout.callable;
		tramp_args(&p->layout, regs, a);
		if (wait) {
			/* stale entries (calls an exception left) are dropped at exit */
			int k = t->ntramp < 16 ? t->ntramp++ : 15;
			t->tramp[k].frame = (uint64_t)(uintptr_t)regs;
			t->tramp[k].stack = stack;
			t->tramp[k].pystack = pystack;
			next.call = (uint64_t)p->layout.nstack + 1;
		}
		if (!wait || !(hflags & BT_HOOK_AT_EXIT)) {
			/* At entry only arguments can be read; results are left 0. */
			nargs = bt_decode(&p->layout, &p->vcall, a, 0, 0, 0, args);
			bt_emit_event(t, p->hook, (wait ? 0 : BT_EV_ENTRY_ONLY) | (p->layout.known ? 0 : BT_EV_UNKNOWN),
				      stack, pystack, args, nargs);
		}
		bt_thread_leave(t);
	}
	return next;
}

/* The call made by the trampoline returned: its arguments as they came
 * in (regs, as for bt_tramp_enter), results where the layout says. */
static uint64_t wrap_entry(const char *name, uint64_t real);

/* Returns what the call returns to its caller: what the function
 * returned, but for an extension lookup (BT_ACT_LOOKUP) of an entry point
 * a profile records: that entry point's trampoline. */
__attribute__((visibility("hidden"), used)) uint64_t bt_tramp_exit(uint64_t idx, const uint64_t *regs, uint64_t ret)
{
	struct patched *p = &patched[idx % NTRAMP];
	struct bt_thread *t = bt_thread_enter();
	uint32_t stack = 0, pystack = 0;
	if (!t)
		return ret;
	while (t->ntramp > 0) {
		int k = --t->ntramp;
		if (t->tramp[k].frame == (uint64_t)(uintptr_t)regs) {
			stack = t->tramp[k].stack;
			pystack = t->tramp[k].pystack;
			break;
		}
	}
	uint64_t a[BT_ARG_SLOTS], args[BT_LAYOUT_FIELDS];
	tramp_args(&p->layout, regs, a);
	int nargs = bt_decode(&p->layout, &p->vcall, a, 1, 1, ret, args);
	bt_emit_event(t, p->hook, BT_EV_EXIT | (p->layout.known ? 0 : BT_EV_UNKNOWN), stack, pystack, args, nargs);
	if (bt_hooks[p->hook].action == BT_ACT_LOOKUP && ret && nargs >= 2 && args[1])
		ret = wrap_entry((const char *)(uintptr_t)args[1], ret);
	bt_thread_leave(t);
	return ret;
}

/* An entry point the program got by name from the runtime (an OpenCL
 * extension function from clGetExtensionFunctionAddress*): never in a
 * relocation slot, so it is recorded by handing out a trampoline in its
 * place.  The same function asked for twice gets the same trampoline. */
static uint64_t wrap_entry(const char *name, uint64_t real)
{
	int h = bt_c_hook(name), i;
	uint64_t r = real;
	if (h < 0 || bt_cfg.hook_off[h] || strlen(name) >= sizeof patched[0].symbol)
		return real;
	pthread_mutex_lock(&report_lock);
	for (i = 0; i < npatched; i++)
		if (patched[i].real == (void *)(uintptr_t)real && !strcmp(patched[i].symbol, name))
			break;
	if (i == npatched && npatched < NTRAMP) {
		enum bt_hook_id hook;
		int exact;
		if (!bt_match_symbol(name, &hook, &patched[i].layout, &exact)) {
			patched[i].hook = hook;
			patched[i].real = (void *)(uintptr_t)real;
			memset(&patched[i].vcall, 0, sizeof patched[i].vcall);
			strcpy(patched[i].symbol, name);
			npatched++;
		}
	}
	if (i < npatched)
		r = (uint64_t)(uintptr_t)(bt_tramp_base + 16 * i);
	pthread_mutex_unlock(&report_lock);
	return r;
}

/* --- the report: which hooks exist in the loaded objects -------------- */

static void write_resolved(enum bt_hook_id hook, const struct bt_module *m, int how, const char *sym)
{
	uint8_t buf[1024];
	struct bt_rec r;
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, (uint64_t)hook);
	bt_rec_uvar(&r, m->id);
	bt_rec_uvar(&r, (uint64_t)how);
	bt_rec_bytes(&r, sym, strlen(sym));
	bt_write_record(BT_REC_HOOK_RESOLVED, &r);
}

struct scan_arg {
	int report; /* the trace file exists: write HOOK_RESOLVED records */
};

static void match_cb(const struct bt_module *m, const char *name, uint64_t addr, void *arg)
{
	struct scan_arg *sa = arg;
	enum bt_hook_id hook;
	struct bt_layout layout;
	int exact, i;

	/* every exported name of every object passes here (libLLVM alone has
	 * tens of thousands): the first bytes decide */
	if (name[0] == '_' ? strncmp(name, "_ZN2tt", 6) && strncmp(name, "_ZNK2tt", 7) && strncmp(name, "_ZN4ttnn", 8)
			   : bt_c_hook(name) < 0)
		return;
	if (bt_match_symbol(name, &hook, &layout, &exact))
		return;
	if (exact) {
		if (sa->report)
			write_resolved(hook, m, BT_RESOLVE_INTERPOSED, name);
		return;
	}
	for (i = 0; i < npatched; i++)
		if (!strcmp(patched[i].symbol, name))
			break; /* defined twice: the first definition wins, as for the loader */
	if (i == npatched) {
		if (npatched == NTRAMP || strlen(name) >= sizeof patched[0].symbol)
			return;
		patched[i].hook = hook;
		patched[i].layout = layout;
		patched[i].real = (void *)(uintptr_t)addr;
		strcpy(patched[i].symbol, name);
		for (int f = 0; f < layout.nfields; f++)
			if (layout.f[f].src == BT_SRC_CHIP_ID)
				vcall_setup_in(&patched[i].vcall, name, m);
		npatched++;
	}
	if (sa->report)
		write_resolved(hook, m, BT_RESOLVE_PATCHED, name);
}

/* The C and C++ runtime, the loader and our own dependencies define no
 * runtime entry point, and every process has them: their names (libc
 * alone exports some 3000) are not read, which halves what this scan
 * costs a process that never calls a runtime (a shell, a compiler under
 * make: docs/performance.md, the eighth pass). */
static int never_a_runtime(const char *path)
{
	static const char *const libs[] = { "libc.so.6",      "libm.so.6",       "libstdc++.so.6",
					    "libgcc_s.so.1",  "libpthread.so.0", "libdl.so.2",
					    "librt.so.1",     "libresolv.so.2",  "libutil.so.1",
					    "libzstd.so.1",   "libunwind.so.8",  "liblzma.so.5",
					    "libz.so.1",      "linux-vdso.so.1", "ld-linux-x86-64.so.2" };
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
		if (!strcmp(base, libs[i]))
			return 1;
	return 0;
}

static void scan_cb(struct bt_module *m, void *arg)
{
	struct scan_arg sa;
	(void)arg;
	if (m->recorder || never_a_runtime(m->path))
		return;
	sa.report = !m->scanned && bt_writer_is_open();
	if (m->patch_scanned && !sa.report)
		return;
	m->patch_scanned = 1;
	m->scanned |= sa.report;
	bt_dyn_foreach_symbol(m, match_cb, &sa);
}

/* Point the module's slots for every name matched so far (and not yet
 * pointed) at the trampolines. */
static void patch_cb(struct bt_module *m, void *arg)
{
	(void)arg;
	if (m->recorder)
		return;
	for (; m->patched_upto < npatched; m->patched_upto++) {
		struct patched *p = &patched[m->patched_upto];
		bt_dyn_patch_slots(m, p->symbol, bt_tramp_base + 16 * (p - patched));
	}
}

/* Objects loaded since the last call: match their exported names, patch
 * their slots (and everyone's, for names they newly define), and, once
 * the trace file exists, report which hooks they resolve.  Called at load
 * time too, before any hooked call, so that name-matched functions are
 * patched before their first call. */
void bt_resolve_report(void)
{
	pthread_mutex_lock(&report_lock);
	bt_modules_foreach(scan_cb, NULL);
	bt_modules_foreach(patch_cb, NULL);
	pthread_mutex_unlock(&report_lock);
}

/* dlsym of a name we patch (a C entry point: Python's ctypes, a program
 * that loads its runtime by hand): the trampoline, as the patched slots
 * give, so the call is recorded and a pointer taken either way compares
 * equal.  Anything else is returned as the loader found it. */
void *bt_resolve_dlsym(const char *name, void *found)
{
	void *r = found;
	if (!found || !name || bt_c_hook(name) < 0)
		return found;
	pthread_mutex_lock(&report_lock);
	for (int i = 0; i < npatched; i++)
		if (patched[i].real == found && !strcmp(patched[i].symbol, name)) {
			r = bt_tramp_base + 16 * i;
			break;
		}
	pthread_mutex_unlock(&report_lock);
	return r;
}

void bt_resolve_reset(void)
{
	pthread_mutex_init(&report_lock, NULL);
	/* Patched slots stay patched in the child (same memory); the table
	 * that the trampolines use stays valid. */
}
