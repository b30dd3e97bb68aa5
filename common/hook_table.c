/* hook_table.c - see hook_table.h. */
#include <string.h>
#include "hook_table.h"

const struct bt_hook_def bt_hooks[BT_HOOK_COUNT] = {
#define HOOK(id, nm, qual, fl, fld, fm) [BT_HOOK_##id] = { nm, qual, fl, fld, fm },
#define ALIAS(id, form, sym)
#include "hooks.def"
#undef HOOK
#undef ALIAS
	[BT_HOOK_MALLOC] = { "malloc", "malloc", BT_HOOK_PROBE, "ptr,size", FORM_UNKNOWN },
	[BT_HOOK_FREE] = { "free", "free", BT_HOOK_PROBE, "ptr", FORM_UNKNOWN },
};

const struct bt_alias_def bt_aliases[] = {
#define HOOK(id, nm, qual, fl, fld, fm)
#define ALIAS(id, fm, sym) { BT_HOOK_##id, fm, #sym },
#include "hooks.def"
#undef HOOK
#undef ALIAS
};
const size_t bt_alias_count = sizeof bt_aliases / sizeof bt_aliases[0];

static int is_inline_ns(const char *s, size_t n)
{
	return (n == 2 && !memcmp(s, "v0", 2)) || (n == 3 && !memcmp(s, "__1", 3));
}

const char *bt_demangle_qualified(const char *sym, char *out, size_t outsz)
{
	/* Components seen so far, for the class name of a ctor/dtor. */
	const char *last = NULL;
	size_t lastn = 0, o = 0;
	const char *p = sym;

	out[0] = 0;
	if (strncmp(p, "_ZN", 3))
		return NULL;
	p += 3;
	while (*p == 'K' || *p == 'V' || *p == 'r')
		p++;
	while (*p && *p != 'E') {
		const char *s;
		size_t n = 0, piece;
		char buf[256];

		if (*p >= '0' && *p <= '9') {
			while (*p >= '0' && *p <= '9' && n < 4096)
				n = n * 10 + (size_t)(*p++ - '0');
			if (strnlen(p, n) < n)
				return NULL;
			s = p;
			p += n;
			if (is_inline_ns(s, n))
				continue;
			last = s;
			lastn = n;
			piece = n < sizeof buf - 1 ? n : sizeof buf - 2;
			memcpy(buf, s, piece);
			buf[piece] = 0;
		} else if ((p[0] == 'C' || p[0] == 'D') && p[1] >= '0' && p[1] <= '5' && last) {
			piece = lastn < sizeof buf - 2 ? lastn : sizeof buf - 3;
			buf[0] = p[0] == 'D' ? '~' : 0;
			memcpy(buf + (p[0] == 'D'), last, piece);
			buf[piece + (p[0] == 'D')] = 0;
			p += 2;
		} else if (p[0] == 'S' && p[1] == 't') {
			strcpy(buf, "std");
			p += 2;
		} else {
			return NULL; /* templates, substitutions: not a name we hook */
		}
		if (o + strlen(buf) + 3 >= outsz)
			return NULL;
		if (o) {
			memcpy(out + o, "::", 2);
			o += 2;
		}
		memcpy(out + o, buf, strlen(buf) + 1);
		o += strlen(buf);
	}
	return *p == 'E' ? p + 1 : NULL;
}

/* Count the unsigned-long parameters that follow "PN...IDeviceE". */
static int buffer_create_ulongs(const char *params)
{
	const char *d = strstr(params, "7IDeviceE");
	int n = 0;
	if (params[0] != 'P' || !d)
		return -1;
	for (d += 9; *d == 'm'; d++)
		n++;
	/* The next parameter must be the BufferType enum. */
	return strncmp(d, "NS0_10BufferTypeE", 17) && strncmp(d, "NS1_10BufferTypeE", 17) ? -1 : n;
}

int bt_match_symbol(const char *sym, enum bt_hook_id *hook, enum bt_form *form, int *exact)
{
	char q[512];
	const char *params;

	for (size_t i = 0; i < bt_alias_count; i++)
		if (!strcmp(sym, bt_aliases[i].symbol)) {
			*hook = bt_aliases[i].hook;
			*form = bt_aliases[i].form;
			*exact = 1;
			return 0;
		}
	params = bt_demangle_qualified(sym, q, sizeof q);
	if (!params)
		return -1;
	*exact = 0;
	if (!strcmp(q, "tt::tt_metal::Buffer::create")) {
		int n = buffer_create_ulongs(params);
		*hook = n == 3 ? BT_HOOK_BUFFER_CREATE_AT : BT_HOOK_BUFFER_CREATE;
		*form = n == 3 ? FORM_BUF_CREATE_AT : n == 2 ? FORM_BUF_CREATE : FORM_UNKNOWN;
		return 0;
	}
	for (int h = 0; h < BT_HOOK_RUNTIME_COUNT; h++) {
		if (strcmp(q, bt_hooks[h].qualified))
			continue;
		*hook = (enum bt_hook_id)h;
		*form = bt_hooks[h].form;
		/* Only trust a "this"-style layout when the name is not overloaded
		 * in a way that moves arguments: constructors need an int first. */
		if (h == BT_HOOK_DEVICE_CREATE)
			*form = params[0] == 'i' ? FORM_THIS_INT : FORM_UNKNOWN;
		/* The return type is not part of a mangled name: never dereference
		 * a "result pointer" or a by-reference argument we cannot verify. */
		if (*form == FORM_MESH_RESULT || *form == FORM_MESH_RESULT_INT)
			*form = FORM_UNKNOWN;
		if (*form == FORM_SHARED_PTR_ARG && strncmp(params, "RKSt10shared_ptr", 16) &&
		    strncmp(params, "RKNSt3__110shared_ptr", 21))
			*form = FORM_UNKNOWN;
		return 0;
	}
	return -1;
}
