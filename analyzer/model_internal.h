/* model_internal.h - the model's state machine as the runtime profiles'
 * object model (objects.c) drives it: the live objects, their end, the
 * close of a device.  Not for printers: they read struct model. */
#ifndef BT_MODEL_INTERNAL_H
#define BT_MODEL_INTERNAL_H

#include "model.h"

struct buffer *model_live_find(struct model *m, uint64_t obj);
/* A new live object made by hook at ts (seq orders creations). */
struct buffer *model_buffer_new(struct model *m, uint64_t obj, int hook, uint64_t ts, uint64_t seq, uint32_t tid,
				uint32_t stack, uint32_t pystack);
/* The object is gone (kept if it outlived its device, else freed). */
void model_finish(struct model *m, struct buffer *b, enum fate fate, uint64_t ts, uint32_t stack);
/* Its counted bytes follow its size and state (after a change). */
void model_sync(struct model *m, struct buffer *b, uint64_t ts);
/* The device with this handle now (made if unseen). */
struct device *model_device_get(struct model *m, uint64_t ptr);
/* A device object made (opened) at ptr: a new record where the one there
 * was closed (the handle given again). */
struct device *model_device_made(struct model *m, uint64_t ptr);
/* The device closes: every live object on it not released is a survivor. */
void model_close(struct model *m, uint64_t ptr, uint64_t ts, int hook);
void model_anomaly(struct model *m, const char *kind, uint32_t stack, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* objects.c: a profile hook's event (its action, hook_table.h). */
void objects_event(struct model *m, int hook, unsigned flags, uint64_t ts, uint64_t seq, uint32_t tid,
		   uint32_t stack, uint32_t pystack, const uint64_t *a, int nargs);
/* The trace ended: objects of a profile runtime still referenced whose
 * device was never let go of are judged "alive at exit". */
void objects_end(struct model *m, uint64_t ts);

#endif
