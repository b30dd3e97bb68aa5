/* model.h - what a trace says happened: the lifetimes of buffers,
 * devices and meshes of one traced process.
 *
 * model_load() streams a trace once (a reading thread decompresses and
 * decodes a bounded queue of records ahead of the state machine).  Events are written per thread and
 * reach the file in chunks, so they are re-ordered by their global
 * sequence number (one FIFO per thread, merged) before they drive the state
 * machine; memory grows with the live buffers, the distinct stacks and
 * that re-order window (about one flush interval), not with the number of
 * events.  Buffers that die unremarkably are forgotten at once; only
 * survivors and dangling buffers are kept. */
#ifndef BT_MODEL_H
#define BT_MODEL_H

#include <stddef.h>
#include <stdint.h>
#include "hook_table.h"
#include "symbolize.h"

enum fate { FATE_ALIVE_AT_END, FATE_DESTROYED, FATE_DESTROYED_AT_EXIT };

struct module {
	uint32_t id;
	uint64_t bias, lo, hi;
	char *path;
	unsigned char build_id[64];
	size_t build_id_len;
	uint64_t loaded_at, unloaded_at; /* record index; unloaded_at 0 = never */
};

struct stack {
	uint32_t n;
	int cut;             /* a STACK_CUT: the walk stopped at the depth limit */
	uint64_t *ips;
	uint64_t defined_at; /* record index */
};

struct pyframe {
	char *file, *function;
	int line;
};

struct pystack {
	uint32_t n;
	struct pyframe *frames; /* innermost first */
};

/* One device object from its creation (or first sight) to its close: a
 * handle the runtime gives again later (its memory reused for the next
 * Device, or the same one opened again) is a new record, so each close,
 * and each buffer's chip, is that incarnation's alone. */
struct device {
	uint64_t ptr;             /* the handle, as the program knew it */
	int64_t chip_id, mesh_id; /* -1 when unknown */
	int is_mesh;
	struct device *mesh;      /* owning mesh, NULL if none */
	uint64_t opened_ns, closed_ns;
	int closed;
	int close_hook;           /* enum bt_hook_id that closed it */
	int rt;                   /* enum bt_runtime */
	int64_t refs;             /* profile runtimes: the program's references */
	/* buffers alive with unreleased memory when it closed */
	uint64_t surv_count, surv_bytes, surv_by_type[6];
	struct device *next;
};

struct buffer {
	uint64_t obj, device, address, size, page_size, allocator;
	struct device *dev;   /* device's record when it was made on it, NULL unknown */
	int type;             /* BufferType, -1 unknown */
	int owns_data;        /* 1, 0, -1 unknown */
	int has_address, registered, deallocated, released_bulk, create_seen;
	/* made at an address it was given (Buffer::create at an address, or a
	 * view of such a buffer); else has_address says its allocate_buffer
	 * returned one */
	int created_at;
	int impl_frees, alloc_frees; /* deallocate_impl / allocator deallocate_buffer calls */
	uint64_t created_ns, created_seq, destroyed_ns;
	/* the created_seq + 1 of the buffer its thread showed just before
	 * it, 0 if none: buffers made one after another by one call */
	uint64_t made_after;
	uint32_t create_stack, destroy_stack, create_tid;
	uint32_t create_pystack; /* Python stack of the creating call, 0 if none */
	int create_nogil;        /* made by a Python thread that had released the GIL */
	/* the MeshBuffer this buffer belongs to (made by a Buffer::create on
	 * the same thread between MeshBuffer::create's entry and exit): an id
	 * unique in the trace, 0 if none; mb_backing: the mesh-wide backing
	 * buffer rather than one chip's address buffer */
	uint64_t mesh_buffer;
	int mb_backing;
	int first_hook;       /* the hook that first showed this object */
	/* profile runtimes (OpenCL, Vulkan; objects.c): the runtime, the
	 * program's references, the object it is part of (a sub-buffer's
	 * buffer) or bound to (a VkBuffer's VkDeviceMemory), 0 if none;
	 * size_unknown: the entry point does not give it (images) */
	int rt;
	int64_t refs;
	uint64_t parent, memory;
	int size_unknown;
	/* Vulkan: the usage flags of a buffer or image, the memory type and
	 * heap of an allocation; -1 when the call does not give them */
	int64_t usage, mem_type, heap;
	int open_hook;        /* outermost open call in progress on the creating thread, -1 */
	int top_hook;         /* outermost hooked call in progress otherwise, -1 */
	/* verdict at the first close of its device or mesh */
	int checked, survivor, dangling;
	uint64_t close_ns;
	uint64_t close_obj;
	int close_hook;       /* the outermost close call in progress */
	enum fate fate;
	int64_t tl_bytes;     /* counted on the timeline, on tl_dev (model_track_key) / tl_type / tl_stack */
	uint64_t tl_dev, tl_stack;
	int tl_type;
	struct buffer *hnext; /* live hash chain */
	struct buffer *next;  /* kept list */
};

struct anomaly {
	const char *kind;
	char *message;
	uint32_t stack;
	uint64_t count;
	struct anomaly *next;
};

struct model {
	const char *path;
	char *error;              /* damage, or NULL */
	/* header */
	uint64_t pid, ppid, start_realtime_ns, start_ns, end_ns;
	char *exe, *cmdline;
	int depth;                /* the recorder's depth limit (0: not said) */
	int complete;             /* END record seen */
	int running;              /* no END: its process still has the file open */
	/* tables */
	int hookmap[1024];        /* trace hook id -> enum bt_hook_id or -1 */
	struct module *mods;
	size_t nmods;
	struct stack *stacks;
	size_t nstacks;
	struct pystack *pystacks;
	size_t npystacks;
	struct device *devices;
	struct buffer **live;     /* hash by object */
	size_t live_cap, live_count, live_peak;
	struct buffer *kept;      /* survivors and dangling, in creation order */
	struct anomaly *anomalies;
	uint64_t nevents, nrecords, lost;
	uint64_t unrecorded_signal; /* hooked calls made in signal handlers, not recorded */
	void *priv;
	struct symbolizer *sym;
	/* modules that could not be used for symbols, said once each */
	char *warnings[32];
	int nwarnings;
	struct leaks *leaks;      /* malloc probe events (leaks.h), NULL if none */
	struct timeline *timeline; /* live bytes over time (timeline.h), NULL if none */
	struct timeline *by_stack; /* the same per creation stack, coarser */
	int own_sym;              /* sym is this model's, freed with it */
	/* several processes in one file (concatenated traces): which one
	 * this is, 1-based, and the stream offset of its "BUFTRACE" */
	int index, of_many;
	uint64_t offset;
};

/* The processes of one trace file, loaded one at a time: a file holds
 * one, or several when traces were concatenated (`cat a.zst b.zst >
 * c.zst`): each "BUFTRACE" header starts the next process, never merged
 * into the one before.  sym is the symbolizer every model of a run shares
 * (its caches are keyed by module file, so a thousand traces of one
 * program open and index its debug info once); the caller owns it and
 * frees it after the last model_free.  NULL: each model makes its own. */
struct model_file {
	const char *path;
	struct symbolizer *sym;
	struct trace_reader *r;  /* open between processes */
	int n;                   /* processes loaded so far */
	int more;                /* another process follows */
	uint64_t next_offset;    /* where it starts in the record stream */
	int done;
};
void model_file_init(struct model_file *f, const char *path, struct symbolizer *sym);
/* 1: the file's next process is in m (damage part-way leaves everything
 * before it in the model with m->error set, and ends the file);
 * -1: the file could not be opened at all (m->error set);
 * 0: no process left.  model_free(m) after 1 and -1. */
int model_next(struct model_file *f, struct model *m);
void model_file_close(struct model_file *f);

/* The first process of a file, with a symbolizer of its own: 0, or -1
 * if the file could not be opened (m->error set). */
int model_load(struct model *m, const char *path);
void model_free(struct model *m);

/* The latest device with this handle, NULL if unseen: while events are
 * read, the one open now; afterwards ask a buffer (model_buffer_device). */
struct device *model_device(struct model *m, uint64_t ptr);
/* The device a buffer was made on (its incarnation), NULL if unknown. */
struct device *model_buffer_device(struct model *m, const struct buffer *b);
/* device id a user recognises: chip id, else mesh id, else -1 */
int64_t model_device_id(const struct device *d);
/* the mesh's id, of a mesh or of a chip in one; -1 */
int64_t model_mesh_id(const struct device *d);
/* A timeline track's device key (timeline.h) and back: 0 is "unknown". */
static inline uint64_t model_track_key(const struct device *d)
{
	return (uint64_t)(uintptr_t)d;
}
static inline struct device *model_track_device(uint64_t key)
{
	return (struct device *)(uintptr_t)key;
}
/* The kept object (survivor or dangling) with handle obj created before
 * seq, the latest such; NULL if none. */
const struct buffer *model_kept_find(const struct model *m, uint64_t obj, uint64_t seq);
/* The call that closed a device ("ttnn::distributed::close_mesh_device",
 * "clReleaseContext"), or "process exit" for a profile runtime's device
 * the program never let go of (close_hook -1). */
const char *model_close_name(int close_hook);

/* A symbolized frame of a stack. */
struct frame {
	const char *function, *file, *module;
	int line, inlined, python;
	int cut_depth;            /* a native cut's mark: the depth limit (0: unknown) */
	uint64_t ip;
};
/* Frames of a stack, innermost first, inlined frames expanded.  With a
 * Python stack, the interpreter's own frames (libpython, the python
 * executable, ctypes/libffi glue) are replaced by the Python frames. */
int model_frames(struct model *m, uint32_t stack, struct frame *out, int max);
int model_frames_py(struct model *m, uint32_t stack, uint32_t pystack, struct frame *out, int max);
/* The recorder's marks of a stack it cut, each a frame of function "..."
 * and an empty file in place of the frames it did not keep: a Python
 * stack's at 128 frames (trace-format.md, PYSTACK), a native stack's at
 * the depth limit (STACK_CUT; model_frames adds it after the last frame).
 * frame_cut_text writes what the reports say in its place and returns 1;
 * for any other frame it returns 0. */
int frame_cut_text(const struct frame *f, char *buf, size_t n);
/* Where the native frames of f[0..n) end: at the first Python frame or at
 * the mark of a native cut (*cut = 1 then), else n. */
int frames_native_end(const struct frame *f, int n, int *cut);

#endif
