/* hook_table.c - see hook_table.h. */
#include <stdio.h>
#include <string.h>
#include "hook_table.h"

const struct bt_hook_def bt_hooks[BT_HOOK_COUNT] = {
#define HOOK(id, nm, qual, fl, fld, dec) [BT_HOOK_##id] = { nm, qual, fl, fld, dec },
#define ALIAS(id, sym)
#include "hooks.def"
#undef HOOK
#undef ALIAS
	[BT_HOOK_MALLOC] = { "malloc", "malloc", BT_HOOK_PROBE, "ptr,size", "" },
	[BT_HOOK_FREE] = { "free", "free", BT_HOOK_PROBE, "ptr", "" },
};

const struct bt_alias_def bt_aliases[] = {
#define HOOK(id, nm, qual, fl, fld, dec)
#define ALIAS(id, sym) { BT_HOOK_##id, #sym },
#include "hooks.def"
#undef HOOK
#undef ALIAS
};
const size_t bt_alias_count = sizeof bt_aliases / sizeof bt_aliases[0];

static int is_alias(const char *sym, enum bt_hook_id *hook)
{
	for (size_t i = 0; i < bt_alias_count; i++)
		if (!strcmp(sym, bt_aliases[i].symbol)) {
			*hook = bt_aliases[i].hook;
			return 1;
		}
	return 0;
}

int bt_match_symbol(const char *sym, enum bt_hook_id *hook, struct bt_layout *layout, int *exact)
{
	char q[256];
	int first = -1;

	*exact = is_alias(sym, hook);
	if (*exact)
		return bt_layout_build(bt_hooks[*hook].decode, sym, layout) ? -1 : 0;
	if (bt_sig_qualified(sym, q, sizeof q))
		return -1;
	/* overloads of one name (Buffer::create) are told apart by the
	 * hooks' `?` conditions; none holding: the first, layout unknown */
	for (int h = 0; h < BT_HOOK_RUNTIME_COUNT; h++) {
		if (strcmp(q, bt_hooks[h].qualified))
			continue;
		if (first < 0)
			first = h;
		if (bt_layout_build(bt_hooks[h].decode, sym, layout))
			return -1;
		if (layout->picked) {
			*hook = (enum bt_hook_id)h;
			return 0;
		}
	}
	if (first < 0)
		return -1;
	*hook = (enum bt_hook_id)first;
	bt_layout_build(bt_hooks[first].decode, sym, layout);
	layout->known = 0;
	snprintf(layout->why, sizeof layout->why, "no overload of %s has this parameter list", bt_hooks[first].name);
	return 0;
}
