/* unwind.h - the recorder's own x86-64 stack walker.
 *
 * Contract: bt_unwind(u, ips, max, &tag) stores in ips[] the frames of
 * its caller's stack, innermost first (ips[0] is in the caller itself),
 * with the same values, the same first and the same last frame as
 * libunwind's unw_backtrace(ips, max) called from that place would.  It
 * returns how many, or -1 when a frame is beyond what it models (a CFA or
 * register rule given as a DWARF expression, code without .eh_frame, an
 * implausible stack pointer): the caller then walks with libunwind, which
 * handles those.  A signal frame (the kernel's rt_sigframe under glibc's
 * __restore_rt trampoline) it steps through itself, as unw_backtrace
 * does: the trampoline's address is a frame, the interrupted PC the next
 * (looked up as it is, not as a return address), then the interrupted
 * code's callers.  bt_unwind_flags(u) then has BT_UNWIND_SIGNAL: the
 * caller runs inside a signal handler, which may have interrupted the
 * loader with its lock held, so it must not call dl_iterate_phdr, dlsym
 * or libunwind.  So a walk that would give up beyond a signal frame
 * returns the frames before that point instead, with BT_UNWIND_CUT.
 * Tags: bt_unwind_tag(u, tag) attaches a non-zero tag of the caller's
 * (the recorder: the stack's id) to the walk the last bt_unwind kept;
 * nothing when it kept none (it gave up, or went through a signal frame).
 * When bt_unwind returns n >= 0 with *tag non-zero, the frames are
 * exactly those of the kept walk that was given that tag, and ips[] was
 * not written; with tag NULL, ips[] is always written.
 *
 * Why not only unw_backtrace: it was a third of all the recorder's CPU.
 * Two things make this cheaper.  (1) The unwind rule of each return
 * address (CFA = RSP or RBP + offset, return address at CFA - 8, RBP kept
 * or saved at CFA + offset: the only forms taken, as in libunwind's own
 * fast trace) is computed once from .eh_frame and kept in a per-thread
 * cache, no locks.  (2) The thread's recent walks (16) are kept with every
 * stack word they read.  A walk is a pure function of the registers it
 * starts from (PC, SP and, where a later rule uses it, RBP) and of those
 * words; so once the new walk reaches a frame whose PC, SP (and live RBP)
 * equal a frame of a kept walk, and each word that walk read from there
 * on still holds the value it read, the rest of the stack is the kept
 * one's: a compare per word instead of a rule per frame.  A walk that
 * starts where a kept one started (at most four are compared) is that
 * walk, tag included: no frame is stepped and nothing interned.  Else
 * a walk index (unwind.c) that holds many more tagged walks, each as the
 * words it read, grouped by where they start and where they read: a walk
 * whose words at a group's addresses are exactly one of its walks' is
 * that walk, tag included.  (bt_unwind_tag after such a walk re-tags the
 * copy found; a walk's other copy keeps the tag it had, so a tag must
 * stand for the frames, as the recorder's stack ids do, not for one
 * call.)  Else the last walk's outer frames are looked for as the walk
 * climbs.  The kept walks' words are compared in the order a fresh walk
 * would read them, so nothing is read that the fresh walk would not
 * read; the index reads its words all at once, only where that is safe
 * (unwind.c).
 *
 * The caches hold for one set of loaded objects: a dlopen or dlclose
 * (bt_dl_epoch) clears them.  A walk through a signal frame is not kept
 * for reuse, and none reuses frames beyond one: there the walk no longer
 * climbs one stack by the words it reads.  u is the calling thread's own and is used
 * only inside the recorder's re-entrancy guard. */
#ifndef BT_UNWIND_H
#define BT_UNWIND_H

struct bt_unwinder;
struct bt_unwinder *bt_unwinder_new(void); /* NULL when out of memory */
#include <stdint.h>
int bt_unwind(struct bt_unwinder *u, void **ips, int max, uint64_t *tag);
void bt_unwind_tag(struct bt_unwinder *u, uint64_t tag);
#define BT_UNWIND_SIGNAL 1u /* the last walk went through a signal frame */
#define BT_UNWIND_CUT 2u    /* ... and stopped beyond it where libunwind would go on */
#define BT_UNWIND_INDEXED 4u /* the last walk was found in the walk index (tests count them) */
unsigned bt_unwind_flags(const struct bt_unwinder *u);
/* adds the walks u made and those it found in the walk index (any thread) */
void bt_unwind_counts(struct bt_unwinder *u, uint64_t *walks, uint64_t *indexed);

#endif
