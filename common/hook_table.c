/* hook_table.c - see hook_table.h. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include "hook_table.h"

const struct bt_runtime_def bt_runtimes[BT_RT_COUNT] = {
	[BT_RT_TTMETAL] = { "tt-metal", "chip", "buffer", "alive", "closed", "closed", "destroyed" },
	[BT_RT_OPENCL] = { "opencl", "cl_context", "memory object", "still referenced", "released the last reference to",
			   "released", "released" },
	[BT_RT_VULKAN] = { "vulkan", "VkDevice", "object", "not destroyed", "destroyed", "destroyed", "destroyed" },
};

int bt_runtime_by_name(const char *name, size_t len)
{
	for (int r = 0; r < BT_RT_COUNT; r++)
		if (strlen(bt_runtimes[r].name) == len && !strncasecmp(name, bt_runtimes[r].name, len))
			return r;
	if (len == 7 && !strncasecmp(name, "ttmetal", len))
		return BT_RT_TTMETAL;
	return -1;
}

const struct bt_hook_def bt_hooks[BT_HOOK_COUNT] = {
#define HOOK(id, nm, qual, fl, fld, dec) [BT_HOOK_##id] = { nm, qual, fl, fld, dec, BT_RT_TTMETAL, BT_ACT_NONE, NULL, NULL },
#define ALIAS(id, sym)
#include "hooks.def"
#undef HOOK
#undef ALIAS
#define CHOOK(id, nm, fl, act, kd, fld, dec, decl) [BT_HOOK_##id] = { nm, nm, fl, fld, dec, BT_RT_OPENCL, act, kd, decl },
#include "profiles/opencl.def"
#undef CHOOK
#define LHOOK(id, nm, fl, act, kd, fld) [BT_HOOK_##id] = { nm, nm, fl, fld, "", BT_RT_VULKAN, act, kd, NULL },
#include "profiles/vulkan.def"
#undef LHOOK
	[BT_HOOK_MALLOC] = { "malloc", "malloc", BT_HOOK_PROBE, "ptr,size", "", -1, BT_ACT_NONE, NULL, NULL },
	[BT_HOOK_FREE] = { "free", "free", BT_HOOK_PROBE, "ptr", "", -1, BT_ACT_NONE, NULL, NULL },
};

int bt_c_hook(const char *sym)
{
	/* every profile's C names start "cl" (OpenCL) */
	if (sym[0] != 'c' || sym[1] != 'l')
		return -1;
	for (int h = 0; h < BT_HOOK_RUNTIME_COUNT; h++)
		if (bt_hooks[h].decl && !strcmp(sym, bt_hooks[h].name))
			return h;
	return -1;
}

int bt_hook_field(int h, const char *name)
{
	size_t n = strlen(name);
	int i = 0;
	for (const char *p = bt_hooks[h].fields; *p; i++) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len == n && !memcmp(p, name, n))
			return i;
		if (!e)
			break;
		p = e + 1;
	}
	return -1;
}

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

	int c = bt_c_hook(sym);
	if (c >= 0) {
		*hook = (enum bt_hook_id)c;
		*exact = 0;
		return bt_layout_build_c(bt_hooks[c].decode, bt_hooks[c].decl, layout) ? -1 : 0;
	}
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
