/* groups.h - survivors grouped by the path that created them.
 *
 * A group is every kept buffer of one kind (survivor or dangling) created
 * by the same native stack.  Its key is built from the symbolized frames
 * (function names, never addresses or line numbers), so the same creation
 * path matches across runs, ASLR, rebuilds and edits that move lines: that is what `diff` compares. */
#ifndef BT_GROUPS_H
#define BT_GROUPS_H

#include "model.h"

#define GROUP_MAX_FRAMES 128
/* A group's own stack: the recorder's deepest native stack (256 frames)
 * with its inlined frames, and 129 Python frames, fit with room to spare */
#define GROUP_STACK_LIMIT 4096

struct group {
	struct model *m;
	int dangling;
	uint32_t stack;
	char *key;               /* function names: matches across runs */
	char *line_key;          /* with line numbers: one call site */
	uint64_t count, bytes;
	struct buffer **bufs;
	size_t nbufs;
	/* [0] is the hooked call itself; every frame of the stack, up to
	 * GROUP_STACK_LIMIT (then cut, and the keys hold the stack ids) */
	struct frame *frames;
	int nframes, cut;
	int init_depth;          /* frames[0..init_depth] are the init path; -1 none */
	const char *open_call;   /* function that opened the device, or NULL */
	char *open_call_buf;
	const char *phase;       /* "init" or "runtime" */
	const char *top_call;    /* outermost runtime function, for "runtime" */
	uint64_t fates[3];
	/* MeshBuffers: one item of the report for the per-chip address
	 * buffers of one MeshBuffer (and its backing buffer).  mesh_buffers
	 * is how many (0: plain buffers); by_hook: known from the
	 * MeshBuffer::create hook, else grouped by shared address and stack */
	uint64_t mesh_buffers;
	int by_hook;
	const char *held_by;     /* "program" or "runtime" */
};

/* Groups of m's kept buffers; survivors and dangling separately. Sorted
 * by what to fix first: bytes, then count, largest first.  The buffers
 * of one MeshBuffer are always in one group. */
struct group *groups_build(struct model *m, int dangling, size_t *n);
void groups_free(struct group *g, size_t n);
/* "1 mesh buffer, 4 KiB of L1 on each of chips 0-7 (+ backing buffer on
 * mesh 0)": the heading of a group of MeshBuffers (g->mesh_buffers > 0) */
void group_mesh_heading(const struct group *g, char *buf, size_t n);
/* "3 buffers, 12 KiB of L1 on device 0 (mesh 0)": the heading of a
 * tt-metal group of plain buffers (a chip opened again in several meshes:
 * "(meshes 0-3)") */
void group_tt_heading(const struct group *g, char *buf, size_t n);
/* "4 KiB", "3 MiB", "100 bytes" */
void group_bytes_human(char *buf, size_t n, uint64_t b);
/* any of its buffers was placed by an allocator (a MeshBuffer's backing
 * buffer, told of apart, not counted) */
int group_registered(const struct group *g);
/* A profile runtime's item (OpenCL, Vulkan), as both printers word it:
 * "1 sub-buffer, 1 KiB on cl_context 0x55..." and "held by the program:
 * still referenced when clReleaseContext let go of its cl_context" (no
 * time: each printer gives it its own way). */
const char *group_kind(const struct buffer *b);
void group_rt_heading(const struct group *g, char *buf, size_t n);
void group_rt_held(const struct group *g, char *buf, size_t n);
/* A frame's part of a group's key, "function|" ("function:line|" with
 * lines; "module+0xip|" unsymbolized): snprintf's length */
int group_frame_key(const struct frame *f, int lines, char *buf, size_t n);
/* The Python line that made the group's buffers as the program's author
 * knows it: the index in g->frames of the innermost Python frame outside
 * installed packages, the standard library and ttnn's own Python package
 * (ttnn.from_torch and its decorators stand between a model and the
 * runtime); the innermost Python frame when all are such; -1 when the
 * stack has no Python frame with a file */
int group_python_origin(const struct group *g);
/* that line as both printers word it, "model.py:41 (main)": 0 if none */
int group_python_origin_text(const struct group *g, char *buf, size_t n);
/* 1 when a destroy stack runs inside exit()/static destructors */
int stack_is_exit(struct model *m, uint32_t stack);
/* file name shown to people: its last two path components */
const char *short_file(const char *path);
/* a demangled name without its parameter list; malloc'ed */
char *func_name_only(const char *fn);

#endif
