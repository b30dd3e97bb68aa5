/* objects.c - the object model of the profile runtimes (OpenCL, Vulkan):
 * every hook of theirs is read through its action (hook_table.h) and its
 * fields by name, never by the hook's identity, so a new profile needs no
 * code here.
 *
 * Reference counts as the runtimes define them: a create gives the
 * program one reference, retain adds one, release takes one; a call that
 * returned an error status changed nothing.  A device whose count reaches
 * zero (the program's last clReleaseContext) or that is destroyed
 * (vkDestroyDevice) is closed: every object on it the program still
 * references is a survivor, as a tt-metal buffer alive at its device's
 * close is.  Objects still referenced when the trace ends on a device
 * never let go of are judged then ("alive at exit"). */
#include <stdint.h>
#include "model_internal.h"

enum { F_OBJ, F_DEVICE, F_SIZE, F_PARENT, F_STATUS, F_MEMORY, F_USAGE, F_MEM_TYPE, F_HEAP, F_N };
static const char *const field_names[F_N] = { "obj",	"device", "size",	 "parent", "status",
					      "memory", "usage",	 "memory_type", "heap" };

/* The fields of one event by name: present[f] says whether the hook has it. */
static void fields(int hook, const uint64_t *a, int nargs, uint64_t *v, int *present)
{
	for (int f = 0; f < F_N; f++) {
		int i = bt_hook_field(hook, field_names[f]);
		present[f] = i >= 0 && i < nargs;
		v[f] = present[f] ? a[i] : 0;
	}
}

static void device_open(struct model *m, int hook, uint64_t dev, uint64_t ts)
{
	/* a handle reused after the device was let go of: a new device */
	struct device *d = model_device_made(m, dev);
	d->rt = bt_hooks[hook].runtime;
	d->refs = 1;
	d->opened_ns = ts;
}

static void release(struct model *m, int hook, struct buffer *b, uint64_t ts, uint32_t stack, int all)
{
	if (all || --b->refs <= 0) {
		b->refs = 0;
		b->deallocated = 1;
		model_finish(m, b, FATE_DESTROYED, ts, stack);
	}
	(void)hook;
}

void objects_event(struct model *m, int hook, unsigned flags, uint64_t ts, uint64_t seq, uint32_t tid,
		   uint32_t stack, uint32_t pystack, const uint64_t *a, int nargs)
{
	uint64_t v[F_N];
	int has[F_N];
	struct buffer *b;
	struct device *d;

	if (flags & (BT_EV_FAILED | BT_EV_UNKNOWN))
		return;
	fields(hook, a, nargs, v, has);
	if (has[F_STATUS] && v[F_STATUS] != 0)
		return; /* the call failed: nothing changed */
	switch (bt_hooks[hook].action) {
	case BT_ACT_DEV_OPEN:
		if (v[F_DEVICE])
			device_open(m, hook, v[F_DEVICE], ts);
		break;
	case BT_ACT_DEV_RETAIN:
		if (v[F_DEVICE])
			model_device_get(m, v[F_DEVICE])->refs++;
		break;
	case BT_ACT_DEV_RELEASE:
	case BT_ACT_DEV_DESTROY:
		if (!v[F_DEVICE])
			break;
		d = model_device(m, v[F_DEVICE]);
		if (!d) {
			/* made where we did not see it: its count is unknown, so
			 * only a destroy closes it */
			d = model_device_get(m, v[F_DEVICE]);
			d->rt = bt_hooks[hook].runtime;
			d->refs = bt_hooks[hook].action == BT_ACT_DEV_DESTROY ? 1 : -1;
		}
		if (d->closed) {
			model_anomaly(m, "release-after-close", stack, "%s on a %s already let go of", bt_hooks[hook].name,
				      bt_runtimes[d->rt].device_word);
			break;
		}
		if (bt_hooks[hook].action == BT_ACT_DEV_DESTROY || --d->refs == 0)
			model_close(m, v[F_DEVICE], ts, hook);
		break;
	case BT_ACT_OBJ_CREATE: {
		uint64_t dev = v[F_DEVICE];
		struct buffer *parent = NULL;
		if (!v[F_OBJ])
			break; /* creation failed */
		if (has[F_PARENT] && v[F_PARENT]) {
			parent = model_live_find(m, v[F_PARENT]);
			if (parent)
				dev = parent->device;
		}
		b = model_live_find(m, v[F_OBJ]);
		if (b) {
			/* a handle we thought live made again: its release was not seen */
			model_anomaly(m, "create-live", stack, "%s returned a live object's handle", bt_hooks[hook].name);
			model_finish(m, b, FATE_DESTROYED, ts, stack);
		}
		b = model_buffer_new(m, v[F_OBJ], hook, ts, seq, tid, stack, pystack);
		b->create_nogil = (flags & BT_EV_NO_GIL) != 0;
		b->refs = 1;
		b->device = dev;
		b->dev = parent ? parent->dev : dev ? model_device(m, dev) : NULL;
		b->parent = has[F_PARENT] ? v[F_PARENT] : 0;
		b->size_unknown = !has[F_SIZE] || v[F_SIZE] == UINT64_MAX;
		b->size = b->size_unknown ? 0 : v[F_SIZE];
		b->usage = has[F_USAGE] ? (int64_t)v[F_USAGE] : -1;
		b->mem_type = has[F_MEM_TYPE] ? (int64_t)v[F_MEM_TYPE] : -1;
		b->heap = has[F_HEAP] && v[F_HEAP] != UINT64_MAX ? (int64_t)v[F_HEAP] : -1;
		if ((d = b->dev) && d->closed)
			model_anomaly(m, "create-after-close", stack, "%s on a %s the program had let go of",
				      bt_hooks[hook].name, bt_runtimes[d->rt].device_word);
		model_sync(m, b, ts);
		break;
	}
	case BT_ACT_OBJ_RETAIN:
	case BT_ACT_OBJ_RELEASE:
	case BT_ACT_OBJ_DESTROY:
		if (!v[F_OBJ])
			break;
		b = model_live_find(m, v[F_OBJ]);
		if (!b) {
			model_anomaly(m, "release-unknown", stack, "%s on an object never seen created", bt_hooks[hook].name);
			break;
		}
		if (bt_hooks[hook].action == BT_ACT_OBJ_RETAIN)
			b->refs++;
		else
			release(m, hook, b, ts, stack, bt_hooks[hook].action == BT_ACT_OBJ_DESTROY);
		break;
	case BT_ACT_OBJ_SIZE:
		/* the size the create did not give (an image's, as the program
		 * learnt it from the driver) */
		if (v[F_OBJ] && has[F_SIZE] && (b = model_live_find(m, v[F_OBJ])) && b->size_unknown) {
			b->size = v[F_SIZE];
			b->size_unknown = 0;
			model_sync(m, b, ts);
		}
		break;
	case BT_ACT_OBJ_BIND:
		if (v[F_OBJ] && (b = model_live_find(m, v[F_OBJ])))
			b->memory = v[F_MEMORY];
		break;
	default:
		break;
	}
}

void objects_end(struct model *m, uint64_t ts)
{
	for (struct device *d = m->devices; d; d = d->next)
		if (d->rt != BT_RT_TTMETAL && !d->closed)
			model_close(m, d->ptr, ts, -1);
}
