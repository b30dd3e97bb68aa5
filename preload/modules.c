/* modules.c - the module map: which ELF objects are loaded where.
 *
 * Recorded at start and whenever the set changes, so that the analyzer
 * can symbolize offline, even frames of an object dlclose'd long before
 * the trace is read.  Changes are noticed through dlopen/dlclose (an
 * epoch counter the hot path compares) and, as a safety net, whenever a
 * new stack has a frame outside every known module. */
#include <dlfcn.h>
#include <errno.h>
#include <sys/mman.h>
#include <elf.h>
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "recorder.h"

atomic_uint bt_dl_epoch __attribute__((visibility("hidden")));
atomic_uint bt_dl_unloads __attribute__((visibility("hidden")));
unsigned bt_unload_epoch;
static pthread_mutex_t mod_lock = PTHREAD_MUTEX_INITIALIZER;
/* Readers (lookups, ip tests) take no lock: a signal handler's hooked call
 * may interrupt this very thread inside a scan (issue 5, re-entrancy).
 * So the array only grows by copy, old copies are never freed, entries
 * are written before nmods is raised, and readers load nmods first. */
static struct bt_module **_Atomic mods;
static atomic_size_t nmods;
static size_t capmods;
static BT_TLS int scanning; /* this thread holds mod_lock */
static BT_TLS int in_dlclose; /* this thread is inside the real dlclose */

/* Zeroed memory from mmap, not malloc: a scan may run in a hooked call
 * made by a signal handler that interrupted malloc (t_rel_reenter). */
static void *pages(size_t n)
{
	void *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return p == MAP_FAILED ? NULL : p;
}

/* Module records, never freed, carved from 256 KiB mappings (under
 * mod_lock): a mapping each cost every process, recording or not, a
 * system call and a page fault per loaded object at start. */
static char *slab;
static size_t slab_left;

static void *module_mem(size_t n)
{
	void *p;
	n = (n + 63) & ~(size_t)63;
	if (n > slab_left) {
		slab = pages(256 * 1024);
		slab_left = slab ? 256 * 1024 : 0;
		if (n > slab_left)
			return NULL;
	}
	p = slab;
	slab += n;
	slab_left -= n;
	return p;
}

/* Whether the page holding p is mapped, without touching it. */
static int mapped(const void *p)
{
	unsigned char v;
	uintptr_t page = (uintptr_t)p & ~(uintptr_t)4095;
	return mincore((void *)page, 1, &v) == 0 || errno != ENOMEM;
}
static uint32_t next_module_id = 1;
static uint64_t self_lo, self_hi;
/* Our own mapped range once known (span 0 before): stacks.c tests every
 * frame against it inline. */
uint64_t bt_self_base, bt_self_span;

static void find_self(void)
{
	Dl_info info;
	struct link_map *lm = NULL;
	if (self_hi)
		return;
	if (dladdr1((void *)find_self, &info, (void **)&lm, RTLD_DL_LINKMAP) && lm) {
		/* the range is filled in by the scan below, for the object whose
		 * bias matches ours */
		self_lo = lm->l_addr;
		self_hi = 1;
	}
}

static void read_build_id(const struct dl_phdr_info *info, struct bt_module *m)
{
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		const uint8_t *p, *end;
		if (ph->p_type != PT_NOTE)
			continue;
		p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
		end = p + ph->p_memsz;
		while (p + sizeof(ElfW(Nhdr)) <= end) {
			const ElfW(Nhdr) *nh = (const ElfW(Nhdr) *)p;
			const uint8_t *name = p + sizeof *nh;
			const uint8_t *desc = name + ((nh->n_namesz + 3) & ~3u);
			if (desc + nh->n_descsz > end)
				break;
			if (nh->n_type == NT_GNU_BUILD_ID && nh->n_namesz == 4 && !memcmp(name, "GNU", 4) &&
			    nh->n_descsz <= sizeof m->build_id) {
				memcpy(m->build_id, desc, nh->n_descsz);
				m->build_id_len = nh->n_descsz;
				return;
			}
			p = desc + ((nh->n_descsz + 3) & ~3u);
		}
	}
}

struct scan_ctx {
	char *seen; /* per existing module: still loaded */
};

static int is_alive(const struct bt_module *m)
{
	return __atomic_load_n(&m->alive, __ATOMIC_ACQUIRE);
}

static struct bt_module *find_loaded(uint64_t bias, const char *path)
{
	for (size_t i = 0; i < nmods; i++)
		if (is_alive(mods[i]) && mods[i]->bias == bias && !strcmp(mods[i]->path, path))
			return mods[i];
	return NULL;
}

/* write_load and scan_cb run under mod_lock: their path-sized buffers
 * are the lock's, not the stack of whatever thread made the call. */
static void write_load(const struct bt_module *m)
{
	static uint8_t buf[PATH_MAX + 200];
	struct bt_rec r;
	bt_rec_begin(&r, buf, sizeof buf);
	bt_rec_uvar(&r, m->id);
	bt_rec_uvar(&r, m->bias);
	bt_rec_uvar(&r, m->lo);
	bt_rec_uvar(&r, m->hi);
	bt_rec_bytes(&r, m->build_id, m->build_id_len);
	bt_rec_bytes(&r, m->path, strlen(m->path));
	bt_rec_uvar(&r, atomic_load(&bt_seq));
	bt_write_record(BT_REC_MODULE_LOAD, &r);
}

static int scan_cb(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct scan_ctx *ctx = arg;
	static char path[PATH_MAX];
	struct bt_module *m;
	uint64_t lo = UINT64_MAX, hi = 0;
	(void)size;

	if (info->dlpi_name && info->dlpi_name[0]) {
		snprintf(path, sizeof path, "%s", info->dlpi_name);
	} else {
		/* the main program reports an empty name */
		ssize_t n = readlink("/proc/self/exe", path, sizeof path - 1);
		path[n > 0 ? n : 0] = 0;
	}
	m = find_loaded(info->dlpi_addr, path);
	if (m) {
		for (size_t i = 0; i < nmods; i++)
			if (mods[i] == m)
				ctx->seen[i] = 1;
		return 0;
	}
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD) {
			if (info->dlpi_addr + ph->p_vaddr < lo)
				lo = info->dlpi_addr + ph->p_vaddr;
			if (info->dlpi_addr + ph->p_vaddr + ph->p_memsz > hi)
				hi = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
		}
	}
	if (hi == 0)
		return 0;
	if (nmods == capmods) {
		size_t nc = capmods ? capmods * 2 : 64;
		struct bt_module **nm = pages(nc * sizeof *nm);
		if (!nm)
			return 1;
		if (nmods)
			memcpy(nm, mods, nmods * sizeof *nm);
		/* the old copy stays: a lock-free reader may hold it */
		atomic_store_explicit(&mods, nm, memory_order_release);
		capmods = nc;
	}
	m = module_mem(sizeof *m);
	if (!m)
		return 1;
	m->id = next_module_id++;
	m->bias = info->dlpi_addr;
	m->lo = lo;
	m->hi = hi;
	m->alive = 1;
	snprintf(m->path, sizeof m->path, "%s", path);
	for (int i = 0; i < info->dlpi_phnum; i++) {
		if (info->dlpi_phdr[i].p_type == PT_DYNAMIC)
			m->dynamic = (const void *)(info->dlpi_addr + info->dlpi_phdr[i].p_vaddr);
		if (info->dlpi_phdr[i].p_type == PT_GNU_RELRO) {
			m->relro_lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			m->relro_hi = m->relro_lo + info->dlpi_phdr[i].p_memsz;
		}
	}
	read_build_id(info, m);
	m->self = m->bias == self_lo && self_hi;
	{
		size_t size;
		m->recorder = m->self || (m->dynamic && bt_dyn_lookup_object(m, "buftrace_recorder", &size));
	}
	if (m->self) {
		self_lo = lo;
		self_hi = hi;
		bt_self_base = lo;
		bt_self_span = hi - lo;
	}
	mods[nmods] = m;
	atomic_store_explicit(&nmods, nmods + 1, memory_order_release);
	return 0;
}

void bt_modules_scan(void)
{
	struct scan_ctx ctx;
	size_t before;

	/* In a signal handler, which may have interrupted the loader:
	 * dl_iterate_phdr (and find_self's dladdr1) would wait for the
	 * loader's lock forever.  The next call outside a handler scans. */
	if (bt_thread_no_loader())
		return;
	find_self();
	/* Re-entered from a signal handler that interrupted this thread's own
	 * scan: waiting for mod_lock would wait forever.  Skip. */
	if (scanning)
		return;
	pthread_mutex_lock(&mod_lock);
	scanning = 1;
	before = nmods;
	ctx.seen = pages(nmods + 1);
	if (ctx.seen) {
		dl_iterate_phdr(scan_cb, &ctx);
		for (size_t i = 0; i < before; i++) {
			if (mods[i]->alive && !ctx.seen[i]) {
				uint8_t buf[32];
				struct bt_rec r;
				__atomic_store_n(&mods[i]->alive, 0, __ATOMIC_RELEASE);
				bt_unload_epoch++;
				if (!mods[i]->recorded)
					continue;
				bt_rec_begin(&r, buf, sizeof buf);
				bt_rec_uvar(&r, mods[i]->id);
				bt_rec_uvar(&r, atomic_load(&bt_seq));
				bt_write_record(BT_REC_MODULE_UNLOAD, &r);
			}
		}
		munmap(ctx.seen, before + 1);
	}
	/* Before the trace file exists (bt_resolve may scan early), modules
	 * are only remembered; they are written once there is a file. */
	if (bt_writer_is_open())
		for (size_t i = 0; i < nmods; i++)
			if (mods[i]->alive && !mods[i]->recorded) {
				write_load(mods[i]);
				mods[i]->recorded = 1;
			}
	scanning = 0;
	pthread_mutex_unlock(&mod_lock);
}

int bt_modules_contains(uint64_t ip)
{
	size_t n = atomic_load_explicit(&nmods, memory_order_acquire);
	struct bt_module **a = atomic_load_explicit(&mods, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (is_alive(a[i]) && ip >= a[i]->lo && ip < a[i]->hi)
			return 1;
	return 0;
}

int bt_module_is_self(uint64_t ip)
{
	if (!self_hi || self_hi == 1) {
		find_self();
		if (self_hi == 1 && !bt_thread_no_loader()) {
			/* not scanned yet: fall back to the loader's view */
			Dl_info info;
			return dladdr((void *)(uintptr_t)ip, &info) && info.dli_fbase == (void *)(uintptr_t)self_lo;
		}
	}
	return ip >= self_lo && ip < self_hi;
}

/* The callers read the objects' own memory (dynamic tables, relocation
 * slots), but our list learns of a dlclose only after the loader unmapped
 * the object: a lookup in between (another thread, or a signal handler
 * that interrupted dlclose) read unmapped memory and crashed
 * (t_rel_reenter).  So each object is looked at before it is read: one
 * munmap takes a whole object, so its first page tells for all of it.
 * (Another thread's dlclose can still unmap it between the look and the
 * read: that window is now a few instructions, not the whole dlclose.)
 * Not dl_iterate_phdr: a signal handler that interrupted the loader's
 * lock would wait for it forever.  No mod_lock: see `mods`. */
void bt_modules_foreach(void (*fn)(struct bt_module *, void *), void *arg)
{
	size_t n = atomic_load_explicit(&nmods, memory_order_acquire);
	struct bt_module **a = atomic_load_explicit(&mods, memory_order_acquire);
	for (size_t i = 0; i < n; i++)
		if (is_alive(a[i]) && mapped((const void *)(uintptr_t)a[i]->lo))
			fn(a[i], arg);
}

/* Inside dlclose, between the loader's "deleting" and "consistent"
 * notices: objects are being unmapped while still listed. */
int bt_modules_unmapping(void)
{
	return in_dlclose && _r_debug.r_state != RT_CONSISTENT;
}

/* After fork the child writes a new file: every module is new to it. */
void bt_modules_reset(void)
{
	pthread_mutex_init(&mod_lock, NULL);
	scanning = 0;
	for (size_t i = 0; i < nmods; i++)
		mods[i]->recorded = mods[i]->scanned = 0;
}

/* --- dlopen / dlclose ---------------------------------------------------- */

/* dlopen must be reached by a tail jump: glibc resolves relative names
 * against the RUNPATH of the *caller*, found from the return address, and
 * a C wrapper would make that us.  So: bump the epoch, jump. */
void *(*bt_real_dlopen)(const char *, int) __attribute__((visibility("hidden")));
__attribute__((visibility("hidden"), used)) void *bt_dlopen_slow(const char *f, int mode)
{
	bt_real_dlopen = (void *(*)(const char *, int))dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.34");
	if (!bt_real_dlopen)
		bt_real_dlopen = (void *(*)(const char *, int))dlvsym(RTLD_NEXT, "dlopen", "GLIBC_2.2.5");
	return bt_real_dlopen ? bt_real_dlopen(f, mode) : NULL;
}
__asm__(".text\n"
	".globl dlopen\n"
	".type dlopen, @function\n"
	"dlopen:\n"
	"\tlock incl bt_dl_epoch(%rip)\n"
	"\tmovq bt_real_dlopen(%rip), %rax\n"
	"\ttestq %rax, %rax\n"
	"\tjz bt_dlopen_slow\n"
	"\tjmp *%rax\n"
	".size dlopen, .-dlopen\n");

BT_EXPORT int dlclose(void *handle)
{
	static int (*real)(void *);
	int r;
	if (!real)
		real = (int (*)(void *))dlsym(RTLD_NEXT, "dlclose");
	in_dlclose++;
	r = real(handle);
	in_dlclose--;
	atomic_fetch_add(&bt_dl_unloads, 1);
	atomic_fetch_add(&bt_dl_epoch, 1);
	/* Record the unload now: later frames at these addresses may belong
	 * to something else.  A signal handler's hooked call while we hold
	 * the recorder's locks here passes through unrecorded. */
	if (atomic_load(&bt_state) == BT_ON) {
		bt_thread_busy(1);
		bt_modules_scan();
		bt_thread_busy(-1);
	}
	return r;
}

/* dlsym: Python looks up PyInit_<module> right after dlopen and before
 * it calls anything in the module, which makes it the moment to match and
 * patch the new objects' names.  RTLD_NEXT lookups depend on the caller,
 * so those jump straight through. */
void *(*bt_real_dlsym)(void *, const char *) __attribute__((visibility("hidden")));
static unsigned patched_epoch;
/* Constructors of the program's libraries run before ours (t_rel_reenter:
 * a library constructor calling dlsym crashed on the NULL pointer), so
 * the real dlsym is found on first use too. */
#if defined(__SANITIZE_THREAD__)
/* the TSan runtime calls dlsym (ours) while initializing itself */
#define BT_NO_TSAN __attribute__((no_sanitize_thread))
#else
#define BT_NO_TSAN
#endif
__attribute__((visibility("hidden"), used)) BT_NO_TSAN void bt_dlsym_init(void)
{
	if (bt_real_dlsym)
		return;
	bt_real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.34");
	if (!bt_real_dlsym)
		bt_real_dlsym = (void *(*)(void *, const char *))dlvsym(RTLD_NEXT, "dlsym", "GLIBC_2.2.5");
}

static int dl_ready; /* our constructor ran: scanning is safe (the TSan
			     * runtime calls dlsym before it can run our code) */
__attribute__((visibility("hidden"), used)) BT_NO_TSAN void *bt_dlsym_slow(void *handle, const char *name)
{
	bt_dlsym_init();
	unsigned ep = atomic_load(&bt_dl_epoch);
	if (dl_ready && ep != patched_epoch && !bt_cfg.disabled) {
		patched_epoch = ep;
		bt_thread_busy(1); /* we hold recorder locks: see bt_thread_busy */
		bt_modules_scan();
		bt_resolve_report();
		bt_thread_busy(-1);
	}
	return dl_ready ? bt_resolve_dlsym(name, bt_real_dlsym(handle, name)) : bt_real_dlsym(handle, name);
}
__asm__(".text\n"
	".globl dlsym\n"
	".type dlsym, @function\n"
	"dlsym:\n"
	"\tcmpq $-1, %rdi\n"
	"\tjne bt_dlsym_slow\n"
	"\tcmpq $0, bt_real_dlsym(%rip)\n"
	"\tjne 1f\n"
	/* first use before our constructor: find it, keeping the arguments
	 * and the caller's return address (RTLD_NEXT depends on it) */
	"\tpushq %rdi\n"
	"\tpushq %rsi\n"
	"\tsubq $8, %rsp\n"
	"\tcall bt_dlsym_init\n"
	"\taddq $8, %rsp\n"
	"\tpopq %rsi\n"
	"\tpopq %rdi\n"
	"1:\tjmp *bt_real_dlsym(%rip)\n"
	".size dlsym, .-dlsym\n");

__attribute__((constructor)) static void modules_init(void)
{
	/* not dlsym: that is ours now */
	bt_dlsym_init();
	dl_ready = 1;
	bt_real_dlopen = (void *(*)(const char *, int))bt_real_dlsym(RTLD_NEXT, "dlopen");
}
