/* sigdecode.c - see sigdecode.h.
 *
 * The parser reads the part of the Itanium mangling grammar that exported
 * C++ functions of a runtime use: nested names (with St, inline
 * namespaces, ctor/dtor names, template arguments), builtin types,
 * pointers, references, cv-qualifiers, substitutions (S_, S<n>_, St, Sa,
 * Sb, Ss, Si, So, Sd), template arguments with literals and packs.  It
 * keeps the substitution table as the ABI defines it, so that a type
 * spelled "S8_" later in the list is known.  Anything else (function
 * types, arrays, member pointers, template parameters, expressions) stops
 * the parse: the parameters before it keep their places, the others are
 * unknown. */
#include <pthread.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "sigdecode.h"

#define MAXT 160
#define MAXSUB 96
#define MAXP 24
#define MAXARG 6
#define NAMELEN 128

enum { T_BUILTIN, T_PTR, T_REF, T_CV, T_NAME };
enum { A_TYPE, A_LIT_MAX, A_LIT };

struct ty {
	int kind;
	char code[3];          /* T_BUILTIN: "i", "m", "Dn" */
	int inner;             /* T_PTR, T_REF, T_CV */
	char name[NAMELEN];    /* T_NAME: qualified, inline namespaces dropped */
	int nargs;             /* T_NAME: template arguments */
	int arg[MAXARG];       /* type index, or -1 */
	int argkind[MAXARG];
};

struct parser {
	const char *p;
	struct ty t[MAXT];
	int nt;
	int sub[MAXSUB];
	int nsub;
	int bad;
	/* the function's own name */
	char qual[2 * NAMELEN];
	int is_ctor, is_dtor, is_template;
	const char *class_lo, *class_hi; /* mangled class prefix of a member */
	int params[MAXP];
	int nparams;
	int params_done; /* every parameter parsed */
};

static int new_ty(struct parser *s, int kind)
{
	if (s->nt >= MAXT) {
		s->bad = 1;
		return -1;
	}
	memset(&s->t[s->nt], 0, sizeof s->t[0]);
	s->t[s->nt].kind = kind;
	s->t[s->nt].inner = -1;
	return s->nt++;
}

static void add_sub(struct parser *s, int t)
{
	if (t >= 0 && s->nsub < MAXSUB)
		s->sub[s->nsub++] = t;
}

static void copy_name(char *dst, const char *src)
{
	size_t n = strnlen(src, NAMELEN - 1);
	memmove(dst, src, n);
	dst[n] = 0;
}

static int is_inline_ns(const char *n, size_t len)
{
	return (len == 2 && !memcmp(n, "v0", 2)) || (len == 3 && !memcmp(n, "__1", 3)) ||
	       (len == 7 && !memcmp(n, "__cxx11", 7));
}

static void name_append(char *dst, const char *piece, size_t n)
{
	size_t o = strlen(dst);
	if (o && o + 2 < NAMELEN) {
		memcpy(dst + o, "::", 2);
		o += 2;
	}
	if (o + n >= NAMELEN)
		n = NAMELEN - 1 - o;
	memcpy(dst + o, piece, n);
	dst[o + n] = 0;
}

/* <source-name> ::= <length> <identifier>; returns its length, 0 if none */
static size_t source_name(struct parser *s, const char **id)
{
	size_t n = 0;
	if (*s->p < '1' || *s->p > '9')
		return 0;
	while (*s->p >= '0' && *s->p <= '9' && n < 4096)
		n = n * 10 + (size_t)(*s->p++ - '0');
	if (strnlen(s->p, n) < n) {
		s->bad = 1;
		return 0;
	}
	*id = s->p;
	s->p += n;
	/* ABI tags ([abi:cxx11]) belong to the name; they do not change it */
	while (s->p[0] == 'B' && s->p[1] >= '1' && s->p[1] <= '9') {
		const char *tag;
		s->p++;
		if (!source_name(s, &tag))
			return 0;
	}
	return n;
}

/* S_, S<seq>_ and the abbreviations; returns a type index or -1 */
static int substitution(struct parser *s)
{
	static const struct { char c; const char *name; } abbr[] = {
		{ 'a', "std::allocator" }, { 'b', "std::basic_string" }, { 's', "std::string" },
		{ 'i', "std::istream" }, { 'o', "std::ostream" }, { 'd', "std::iostream" },
	};
	unsigned long idx = 0;
	s->p++; /* 'S' */
	for (size_t i = 0; i < sizeof abbr / sizeof abbr[0]; i++)
		if (*s->p == abbr[i].c) {
			int t = new_ty(s, T_NAME);
			s->p++;
			if (t >= 0)
				snprintf(s->t[t].name, NAMELEN, "%s", abbr[i].name);
			return t;
		}
	if (*s->p != '_') {
		while ((*s->p >= '0' && *s->p <= '9') || (*s->p >= 'A' && *s->p <= 'Z')) {
			idx = idx * 36 + (unsigned long)(*s->p <= '9' ? *s->p - '0' : *s->p - 'A' + 10);
			s->p++;
			if (idx > MAXSUB)
				break;
		}
		idx++;
	}
	if (*s->p != '_' || idx >= (unsigned long)s->nsub) {
		s->bad = 1;
		return -1;
	}
	s->p++;
	return s->sub[idx];
}

static int parse_type(struct parser *s);

/* I <template-arg>+ E, into type t */
static void template_args(struct parser *s, int t)
{
	s->p++; /* 'I' */
	while (!s->bad && *s->p && *s->p != 'E') {
		int a = -1, kind = A_TYPE;
		if (*s->p == 'L') {
			/* L <type> <value> E */
			s->p++;
			if (*s->p == 'Z' || *s->p == '_') {
				s->bad = 1;
				return;
			}
			parse_type(s);
			kind = strncmp(s->p, "18446744073709551615E", 21) ? A_LIT : A_LIT_MAX;
			while (*s->p && *s->p != 'E')
				s->p++;
			if (*s->p != 'E') {
				s->bad = 1;
				return;
			}
			s->p++;
		} else if (*s->p == 'J') {
			/* a pack: its types count as arguments */
			s->p++;
			while (!s->bad && *s->p && *s->p != 'E') {
				a = parse_type(s);
				if (t >= 0 && s->t[t].nargs < MAXARG) {
					s->t[t].argkind[s->t[t].nargs] = A_TYPE;
					s->t[t].arg[s->t[t].nargs++] = a;
				}
			}
			if (*s->p != 'E') {
				s->bad = 1;
				return;
			}
			s->p++;
			continue;
		} else {
			a = parse_type(s);
		}
		if (t >= 0 && s->t[t].nargs < MAXARG) {
			s->t[t].argkind[s->t[t].nargs] = kind;
			s->t[t].arg[s->t[t].nargs++] = a;
		}
	}
	if (*s->p != 'E')
		s->bad = 1;
	else
		s->p++;
}

/* A copy of t (a substitution) with template arguments following. */
static int with_args(struct parser *s, int t)
{
	int u = new_ty(s, T_NAME);
	if (u < 0 || t < 0)
		return -1;
	copy_name(s->t[u].name, s->t[t].name);
	template_args(s, u);
	return u;
}

/* N [qualifiers] <prefix> <unqualified-name> E.  func: this is the
 * function's own name (its last component is no substitution candidate). */
static int nested(struct parser *s, int func)
{
	int cur = -1, fresh = 0, plain = 1, templ = 0;
	const char *comp_start = NULL, *class_hi = NULL;

	s->p++; /* 'N' */
	while (*s->p == 'r' || *s->p == 'V' || *s->p == 'K')
		s->p++;
	if (*s->p == 'R' || *s->p == 'O')
		s->p++;
	const char *lo = s->p;
	while (!s->bad && *s->p && *s->p != 'E') {
		const char *id;
		size_t n;
		if (*s->p == 'I') {
			if (cur < 0) {
				s->bad = 1;
				break;
			}
			if (fresh)
				add_sub(s, cur);
			cur = with_args(s, cur);
			fresh = 1;
			plain = 0;
			templ = 1;
			continue;
		}
		if (s->p[0] == 'S' && s->p[1] == 't' && cur < 0) {
			s->p += 2;
			cur = new_ty(s, T_NAME);
			if (cur >= 0)
				strcpy(s->t[cur].name, "std");
			fresh = 0;
			plain = 0;
			continue;
		}
		if (*s->p == 'S' && cur < 0) {
			int u = substitution(s), c;
			if (u < 0)
				break;
			c = new_ty(s, T_NAME);
			if (c < 0)
				break;
			s->t[c] = s->t[u];
			cur = c;
			fresh = 0;
			plain = 0;
			continue;
		}
		if ((s->p[0] == 'C' && s->p[1] >= '1' && s->p[1] <= '5') ||
		    (s->p[0] == 'D' && s->p[1] >= '0' && s->p[1] <= '5')) {
			const char *last = cur >= 0 ? strrchr(s->t[cur].name, ':') : NULL;
			char nm[NAMELEN];
			if (!func || cur < 0) {
				s->bad = 1;
				break;
			}
			last = last ? last + 1 : s->t[cur].name;
			snprintf(nm, sizeof nm, "%s%s", s->p[0] == 'D' ? "~" : "", last);
			s->is_ctor = s->p[0] == 'C';
			s->is_dtor = s->p[0] == 'D';
			class_hi = s->p;
			s->p += 2;
			if (fresh)
				add_sub(s, cur);
			{
				int c = new_ty(s, T_NAME);
				if (c < 0)
					break;
				s->t[c] = s->t[cur];
				s->t[c].nargs = 0;
				name_append(s->t[c].name, nm, strlen(nm));
				cur = c;
			}
			fresh = 0;
			continue;
		}
		comp_start = s->p;
		n = source_name(s, &id);
		if (!n) {
			s->bad = 1; /* operator names, local names: not read */
			break;
		}
		if (cur >= 0 && fresh)
			add_sub(s, cur);
		{
			int c = new_ty(s, T_NAME);
			if (c < 0)
				break;
			if (cur >= 0)
				copy_name(s->t[c].name, s->t[cur].name);
			if (!is_inline_ns(id, n))
				name_append(s->t[c].name, id, n);
			cur = c;
		}
		fresh = 1;
		templ = 0;
		class_hi = comp_start;
	}
	if (s->bad || *s->p != 'E' || cur < 0) {
		s->bad = 1;
		return -1;
	}
	s->p++;
	if (func) {
		snprintf(s->qual, sizeof s->qual, "%s", s->t[cur].name);
		/* the class prefix, spelled as it is mangled, when it is
		 * self-contained (no substitution inside) */
		s->is_template = templ;
		if (class_hi && class_hi > lo && plain) {
			s->class_lo = lo;
			s->class_hi = class_hi;
		}
	} else if (fresh) {
		add_sub(s, cur);
	}
	return cur;
}

static int parse_type(struct parser *s)
{
	int t;
	char c = *s->p;

	if (s->bad)
		return -1;
	switch (c) {
	case 'P':
	case 'R':
	case 'O':
		s->p++;
		t = new_ty(s, c == 'P' ? T_PTR : T_REF);
		if (t < 0)
			return -1;
		s->t[t].inner = parse_type(s);
		add_sub(s, t);
		return s->bad ? -1 : t;
	case 'K':
	case 'V':
	case 'r':
		while (*s->p == 'K' || *s->p == 'V' || *s->p == 'r')
			s->p++;
		t = new_ty(s, T_CV);
		if (t < 0)
			return -1;
		s->t[t].inner = parse_type(s);
		add_sub(s, t);
		return s->bad ? -1 : t;
	case 'N':
		return nested(s, 0);
	case 'S':
		if (s->p[1] == 't') {
			const char *id;
			size_t n;
			s->p += 2;
			t = new_ty(s, T_NAME);
			if (t < 0)
				return -1;
			strcpy(s->t[t].name, "std");
			n = source_name(s, &id);
			if (!n) {
				s->bad = 1;
				return -1;
			}
			name_append(s->t[t].name, id, n);
			add_sub(s, t);
			if (*s->p == 'I') {
				t = with_args(s, t);
				add_sub(s, t);
			}
			return s->bad ? -1 : t;
		}
		t = substitution(s);
		if (t >= 0 && *s->p == 'I') {
			t = with_args(s, t);
			add_sub(s, t);
		}
		return s->bad ? -1 : t;
	case 'D':
		if (strchr("nsiu", s->p[1]) && s->p[1]) {
			t = new_ty(s, T_BUILTIN);
			if (t < 0)
				return -1;
			memcpy(s->t[t].code, s->p, 2);
			s->p += 2;
			return t;
		}
		s->bad = 1;
		return -1;
	default:
		if (c && strchr("vwbcahstijlmxynofdegz", c)) {
			t = new_ty(s, T_BUILTIN);
			if (t < 0)
				return -1;
			s->t[t].code[0] = c;
			s->p++;
			return t;
		}
		if (c >= '1' && c <= '9') {
			const char *id;
			size_t n = source_name(s, &id);
			t = new_ty(s, T_NAME);
			if (!n || t < 0) {
				s->bad = 1;
				return -1;
			}
			name_append(s->t[t].name, id, n);
			add_sub(s, t);
			if (*s->p == 'I') {
				t = with_args(s, t);
				add_sub(s, t);
			}
			return s->bad ? -1 : t;
		}
		s->bad = 1; /* F, A, M, T, X, Dp, ...: not read */
		return -1;
	}
}

/* _Z <nested-name> <parameter types>.  Returns 0 when the name was read
 * (parameters may have stopped early: params_done says). */
static int parse_function(struct parser *s, const char *sym, int name_only)
{
	s->nt = s->nsub = s->nparams = s->bad = 0;
	s->qual[0] = 0;
	s->is_ctor = s->is_dtor = s->is_template = 0;
	s->class_lo = s->class_hi = NULL;
	s->params_done = 0;
	s->p = sym;
	if (strncmp(s->p, "_ZN", 3))
		return -1;
	s->p += 2;
	if (nested(s, 1) < 0)
		return -1;
	if (name_only)
		return 0;
	/* a function template's encoding starts with its return type */
	if (s->is_template && parse_type(s) < 0)
		return 0;
	if (s->p[0] == 'v' && (s->p[1] == 0 || s->p[1] == '.')) {
		s->params_done = 1;
		return 0;
	}
	while (*s->p && *s->p != '.' && s->nparams < MAXP) {
		int t = parse_type(s);
		if (t < 0 || s->bad)
			return 0;
		s->params[s->nparams++] = t;
	}
	s->params_done = !*s->p || *s->p == '.';
	return 0;
}

/* --- the x86-64 SysV classification of one parameter --------------------- */

enum { C_UNKNOWN, C_INT, C_SSE };

static const struct ty *strip_cv(const struct parser *s, const struct ty *t)
{
	while (t && t->kind == T_CV)
		t = t->inner >= 0 ? &s->t[t->inner] : NULL;
	return t;
}

static const char *last_name(const struct ty *t)
{
	const char *c = strrchr(t->name, ':');
	return c ? c + 1 : t->name;
}

static int builtin_bytes(const struct ty *t)
{
	switch (t->code[0]) {
	case 'b': case 'c': case 'a': case 'h': return 1;
	case 's': case 't': return 2;
	case 'i': case 'j': case 'w': return 4;
	case 'l': case 'm': case 'x': case 'y': return 8;
	case 'D': return t->code[1] == 's' ? 2 : t->code[1] == 'u' ? 1 : t->code[1] == 'n' ? 8 : 4;
	default: return 0;
	}
}

/* Enums passed by value in hooked signatures, and classes known to be
 * non-trivially-copyable (passed by invisible reference: one register). */
static const char *const known_enums[] = {
	"tt::tt_metal::BufferType", "tt::tt_metal::TensorMemoryLayout", "tt::tt_metal::ShardOrientation",
	"tt::tt_metal::DispatchCoreType", "tt::ARCH", "tt::tt_metal::DataMovementProcessor",
};
static const char *const nontrivial[] = {
	"std::shared_ptr", "std::unique_ptr", "std::vector", "std::basic_string", "std::string",
	"std::function", "std::map", "std::unordered_map", "std::set", "std::unordered_set",
	"tt::tt_metal::ShardSpecBuffer", "tt::tt_metal::BufferDistributionSpec", "tt::tt_metal::CoreRangeSet",
	"tt::tt_metal::ShardSpec",
};

static int in_list(const char *name, const char *const *l, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(name, l[i]))
			return 1;
	return 0;
}

static int nontrivial_class(const struct parser *s, const struct ty *t);

/* bytes of a small trivially-copyable value that travels in one integer
 * register (1..8), or 0 */
static int small_int_value(const struct parser *s, const struct ty *t)
{
	t = strip_cv(s, t);
	if (!t)
		return 0;
	if (t->kind == T_BUILTIN)
		return t->code[0] == 'f' || t->code[0] == 'd' ? 0 : builtin_bytes(t);
	if (t->kind == T_PTR)
		return 8;
	if (t->kind != T_NAME)
		return 0;
	if (in_list(t->name, known_enums, sizeof known_enums / sizeof known_enums[0]))
		return 4;
	/* ttsl::StrongType<T, Tag> (tt::stl:: before 2025): a T */
	if ((!strcmp(t->name, "ttsl::StrongType") || !strcmp(t->name, "tt::stl::StrongType")) && t->nargs >= 1 &&
	    t->argkind[0] == A_TYPE && t->arg[0] >= 0)
		return small_int_value(s, &s->t[t->arg[0]]);
	/* the 2025 SubDeviceId: struct { uint8_t id; } */
	if (!strcmp(t->name, "tt::tt_metal::SubDeviceId") && !t->nargs)
		return 1;
	return 0;
}

static int nontrivial_class(const struct parser *s, const struct ty *t)
{
	t = strip_cv(s, t);
	if (!t || t->kind != T_NAME)
		return 0;
	if (in_list(t->name, nontrivial, sizeof nontrivial / sizeof nontrivial[0]))
		return 1;
	/* optional and variant are trivially copyable exactly when what they
	 * hold is: one non-trivial alternative makes them non-trivial */
	if (!strcmp(t->name, "std::optional") || !strcmp(t->name, "std::variant"))
		for (int i = 0; i < t->nargs; i++)
			if (t->argkind[i] == A_TYPE && t->arg[i] >= 0 && nontrivial_class(s, &s->t[t->arg[i]]))
				return 1;
	return 0;
}

/* How many integer registers (eightbytes) a by-value parameter takes, or
 * C_SSE / C_UNKNOWN in *cls. */
static int classify(const struct parser *s, int ti, int *cls)
{
	const struct ty *t = strip_cv(s, ti >= 0 ? &s->t[ti] : NULL);
	int n;
	*cls = C_UNKNOWN;
	if (!t)
		return 0;
	switch (t->kind) {
	case T_PTR:
	case T_REF:
		*cls = C_INT;
		return 1;
	case T_BUILTIN:
		if (t->code[0] == 'f' || t->code[0] == 'd') {
			*cls = C_SSE;
			return 1;
		}
		if (builtin_bytes(t)) {
			*cls = C_INT;
			return 1;
		}
		return 0; /* long double, __int128, ...: not assigned here */
	case T_NAME:
		break;
	default:
		return 0;
	}
	if (nontrivial_class(s, t)) {
		*cls = C_INT; /* passed by invisible reference */
		return 1;
	}
	if ((n = small_int_value(s, t))) {
		*cls = C_INT;
		return 1;
	}
	if (!strcmp(t->name, "std::optional") && t->nargs == 1 && t->argkind[0] == A_TYPE && t->arg[0] >= 0) {
		/* { T value; bool engaged; }, trivially copyable */
		n = small_int_value(s, &s->t[t->arg[0]]);
		if (n) {
			*cls = C_INT;
			return n < 8 ? 1 : 2;
		}
		return 0;
	}
	if ((!strcmp(t->name, "std::span") || !strcmp(t->name, "tt::stl::Span") || !strcmp(t->name, "ttsl::Span")) &&
	    t->nargs == 2) {
		/* { T *data; [size_t size;] }: the size only for dynamic_extent
		 * (tt-metal's own Span before 2025-07-28 is the same pair over
		 * a boost span, trivially copyable) */
		*cls = C_INT;
		return t->argkind[1] == A_LIT_MAX ? 2 : 1;
	}
	return 0;
}

/* --- the layout ----------------------------------------------------------- */

struct placed {
	int ty;
	int slot; /* -1: not known */
	int n;    /* eightbytes */
};

static int matches_class(const struct parser *s, int ti, const char *list, size_t listlen)
{
	const struct ty *t = strip_cv(s, ti >= 0 ? &s->t[ti] : NULL);
	const char *ln, *p = list, *end = list + listlen;
	if (!t || t->kind != T_NAME)
		return 0;
	ln = last_name(t);
	while (p < end) {
		const char *bar = memchr(p, '|', (size_t)(end - p));
		size_t n = bar ? (size_t)(bar - p) : (size_t)(end - p);
		if (strlen(ln) == n && !memcmp(ln, p, n))
			return 1;
		p += n + 1;
	}
	return 0;
}

static int is_builtin(const struct parser *s, int ti, char code)
{
	const struct ty *t = ti >= 0 ? &s->t[ti] : NULL;
	return t && t->kind == T_BUILTIN && t->code[0] == code && !t->code[1];
}

static void set_why(struct bt_layout *out, const char *fmt, const char *a, int b)
{
	if (out->why[0])
		return;
	snprintf(out->why, sizeof out->why, fmt, a, b);
}

/* One parser, ~25 KiB: too big for a traced thread's stack or its TLS,
 * and only used when a symbol is resolved or listed. */
static struct parser parser;
static pthread_mutex_t parser_lock = PTHREAD_MUTEX_INITIALIZER;

int bt_sig_qualified(const char *sym, char *out, size_t outsz)
{
	int r;
	pthread_mutex_lock(&parser_lock);
	r = parse_function(&parser, sym, 1);
	if (!r)
		snprintf(out, outsz, "%s", parser.qual);
	pthread_mutex_unlock(&parser_lock);
	return r;
}

int bt_sig_vtable_name(const char *sym, char *out, size_t outsz)
{
	int r;
	pthread_mutex_lock(&parser_lock);
	r = parse_function(&parser, sym, 1) || !parser.class_lo ? -1 : 0;
	if (!r)
		snprintf(out, outsz, "_ZTVN%.*sE", (int)(parser.class_hi - parser.class_lo), parser.class_lo);
	pthread_mutex_unlock(&parser_lock);
	return r;
}

static int layout_build(struct parser *ps, const char *spec, const char *sym, struct bt_layout *out);

int bt_layout_build(const char *spec, const char *sym, struct bt_layout *out)
{
	int r;
	pthread_mutex_lock(&parser_lock);
	r = layout_build(&parser, spec, sym, out);
	pthread_mutex_unlock(&parser_lock);
	return r;
}

/* spec tokens: see common/hooks.def */
static int layout_build(struct parser *ps, const char *spec, const char *sym, struct bt_layout *out)
{
#define s (*ps)
	struct placed pl[MAXP];
	int intregs = 0, sse = 0, stack = 0, lost = 0, sret = 0, has_this = 0, nf = 0;
	int sret_slot = -1, this_slot = -1;
	const char *p = spec;

	memset(out, 0, sizeof *out);
	out->picked = 1;
	if (parse_function(&s, sym, 0)) {
		snprintf(out->why, sizeof out->why, "not a mangled function name");
		return -1;
	}
	/* flags first: +sret (returns a class by value through a hidden
	 * pointer), +this (a non-static member function) */
	for (;;) {
		while (*p == ' ')
			p++;
		if (!strncmp(p, "+sret", 5)) {
			sret = 1;
			p += 5;
		} else if (!strncmp(p, "+this", 5)) {
			has_this = 1;
			p += 5;
		} else {
			break;
		}
	}
	if (s.is_ctor || s.is_dtor)
		has_this = 1;
	/* the hidden result pointer comes first, then `this` (Itanium) */
	if (sret)
		sret_slot = intregs++;
	if (has_this)
		this_slot = intregs++;
	for (int i = 0; i < s.nparams; i++) {
		int cls, n = classify(&s, s.params[i], &cls);
		pl[i].ty = s.params[i];
		pl[i].n = n;
		pl[i].slot = -1;
		if (lost)
			continue;
		if (cls == C_UNKNOWN || !n) {
			lost = 1; /* everything after it moves by an unknown amount */
			set_why(out, "parameter %.40s has no known ABI class (#%d)",
				s.t[s.params[i]].kind == T_NAME ? s.t[s.params[i]].name : "type", i + 1);
			continue;
		}
		if (cls == C_SSE) {
			if (++sse > 8)
				stack++;
			continue; /* never a field */
		}
		if (intregs + n <= 6) {
			pl[i].slot = intregs;
			intregs += n;
		} else {
			pl[i].slot = 6 + stack;
			stack += n;
		}
		if (pl[i].slot + n > BT_ARG_SLOTS)
			pl[i].slot = -1;
	}
	if (!s.params_done && !lost)
		set_why(out, "parameter list not read past #%.0s%d", "", s.nparams + 1);
	/* the parameters read keep their places; the rest are not searched */
	int nparams = s.nparams;

	/* fields */
	while (*p && nf < BT_LAYOUT_FIELDS) {
		const char *tok = p;
		size_t tl;
		struct bt_field_src *f = &out->f[nf];
		while (*p && *p != ' ')
			p++;
		tl = (size_t)(p - tok);
		while (*p == ' ')
			p++;
		if (!strncmp(tok, "?ulongs<", 8)) {
			/* ?ulongs<Name=N: exactly N unsigned long parameters
			 * precede the first one of enum type Name */
			const char *eq = memchr(tok, '=', tl);
			int want = eq ? (int)strtol(eq + 1, NULL, 10) : -1, count = 0, found = 0;
			for (int i = 0; eq && i < nparams; i++) {
				if (matches_class(&s, pl[i].ty, tok + 8, (size_t)(eq - tok - 8))) {
					found = 1;
					break;
				}
				count += is_builtin(&s, pl[i].ty, 'm');
			}
			out->picked = found && count == want;
			continue;
		}
		nf++;
		f->src = BT_SRC_NONE;
		if (tl == 6 && !strncmp(tok, "result", 6)) {
			if (sret) {
				f->src = BT_SRC_RESULT;
				f->slot = (uint8_t)sret_slot;
			}
		} else if (tl == 6 && !strncmp(tok, "return", 6)) {
			/* rax at return: a mangled name has no return type (but
			 * for templates), so hooks.def states it, from the real
			 * declaration; a hook recorded at exit only */
			f->src = BT_SRC_RET;
		} else if (tl == 4 && !strncmp(tok, "this", 4)) {
			if (this_slot >= 0) {
				f->src = BT_SRC_WORD;
				f->slot = (uint8_t)this_slot;
			}
		} else if (tl == 7 && !strncmp(tok, "unknown", 7)) {
			set_why(out, "%s layout not described%.0d", "the hook's", 0);
		} else if ((tl > 4 && !strncmp(tok, "ptr:", 4)) || (tl > 4 && !strncmp(tok, "ref:", 4)) ||
			   (tl > 3 && !strncmp(tok, "sp:", 3))) {
			int sp = tok[0] == 's', kind = tok[0] == 'p' ? T_PTR : T_REF;
			const char *names = tok + (sp ? 3 : 4);
			size_t nl = tl - (size_t)(sp ? 3 : 4);
			for (int i = 0; i < nparams; i++) {
				const struct ty *t = &s.t[pl[i].ty];
				int target;
				if (t->kind != kind)
					continue;
				target = t->inner;
				if (sp) {
					/* const std::shared_ptr<T>& */
					const struct ty *u = strip_cv(&s, target >= 0 ? &s.t[target] : NULL);
					if (!u || u->kind != T_NAME || strcmp(u->name, "std::shared_ptr") || u->nargs < 1 ||
					    u->argkind[0] != A_TYPE)
						continue;
					target = u->arg[0];
				}
				if (!matches_class(&s, target, names, nl))
					continue;
				if (pl[i].slot >= 0) {
					f->src = sp ? BT_SRC_DEREF : BT_SRC_WORD;
					f->slot = (uint8_t)pl[i].slot;
				}
				break;
			}
		} else if (tl == 3 && !strncmp(tok, "int", 3)) {
			for (int i = 0; i < nparams; i++)
				if (is_builtin(&s, pl[i].ty, 'i')) {
					if (pl[i].slot >= 0) {
						f->src = BT_SRC_INT;
						f->slot = (uint8_t)pl[i].slot;
					}
					break;
				}
		} else if (tl == 6 && !strncmp(tok, "ulong", 5)) {
			int want = tok[5] - '0', k = 0;
			for (int i = 0; i < nparams; i++)
				if (is_builtin(&s, pl[i].ty, 'm') && k++ == want) {
					if (pl[i].slot >= 0) {
						f->src = BT_SRC_WORD;
						f->slot = (uint8_t)pl[i].slot;
					}
					break;
				}
		} else if (tl > 5 && !strncmp(tok, "enum:", 5)) {
			for (int i = 0; i < nparams; i++)
				if (s.t[pl[i].ty].kind == T_NAME && matches_class(&s, pl[i].ty, tok + 5, tl - 5)) {
					if (pl[i].slot >= 0) {
						f->src = BT_SRC_U32;
						f->slot = (uint8_t)pl[i].slot;
					}
					break;
				}
		} else if (tl == 8 && !strncmp(tok, "optulong", 8)) {
			for (int i = 0; i < nparams; i++) {
				const struct ty *t = strip_cv(&s, &s.t[pl[i].ty]);
				if (t->kind == T_NAME && !strcmp(t->name, "std::optional") && t->nargs == 1 &&
				    t->argkind[0] == A_TYPE && is_builtin(&s, t->arg[0], 'm')) {
					if (pl[i].slot >= 0 && pl[i].n == 2) {
						f->src = BT_SRC_OPT_WORD;
						f->slot = (uint8_t)pl[i].slot;
					}
					break;
				}
			}
		} else if (tl == 8 && (!strncmp(tok, "meshid:", 7) || !strncmp(tok, "chipid:", 7))) {
			int of = tok[7] - '0';
			if (of >= 0 && of < nf - 1 && out->f[of].src != BT_SRC_NONE) {
				f->src = tok[0] == 'm' ? BT_SRC_MESH_ID : BT_SRC_CHIP_ID;
				f->arg = (uint8_t)of;
			}
		}
		if (f->src == BT_SRC_NONE) {
			char t[40];
			snprintf(t, sizeof t, "%.*s", (int)(tl < 39 ? tl : 39), tok);
			set_why(out, "no parameter for %s%.0d", t, 0);
		}
	}
	out->nfields = (uint8_t)nf;
	out->callable = !lost && s.params_done && stack <= 64;
	out->nstack = (uint8_t)(out->callable ? stack : 0);
	out->known = 1;
	for (int i = 0; i < nf; i++)
		if (out->f[i].src == BT_SRC_NONE)
			out->known = 0;
	if (out->known)
		out->why[0] = 0;
	return 0;
#undef s
}

static const char *const slot_names[] = { "rdi", "rsi", "rdx", "rcx", "r8", "r9" };

/* --- C declarations ---------------------------------------------------- */

/* The parameters of `decl`: each one's name (the identifier that ends it,
 * or a function pointer's "(*name)") and whether it takes an integer slot.
 * Returns the count, or -1. */
struct c_param {
	char name[48];
	int integer; /* pointer, handle, integer: one INTEGER slot */
};

static int c_params(const char *decl, struct c_param *p, int max)
{
	const char *open = strchr(decl, '('), *q;
	int n = 0;
	if (!open)
		return -1;
	q = open + 1;
	while (*q == ' ')
		q++;
	if (!strncmp(q, "void)", 5))
		return 0;
	while (*q && *q != ')') {
		const char *start = q, *end, *name_end = NULL, *name_start;
		int depth = 0, star = 0;
		for (end = q; *end && (depth || (*end != ',' && *end != ')')); end++) {
			if (*end == '(')
				depth++;
			else if (*end == ')')
				depth--;
			else if (*end == '*')
				star = 1;
		}
		if (!*end || n == max)
			return -1;
		/* a function pointer: "void (CL_CALLBACK * name)(...)" */
		const char *fp = memchr(start, '(', (size_t)(end - start));
		if (fp) {
			const char *close = memchr(fp, ')', (size_t)(end - fp));
			if (!close)
				return -1;
			name_end = close;
		} else {
			name_end = end;
		}
		while (name_end > start && name_end[-1] == ' ')
			name_end--;
		name_start = name_end;
		while (name_start > start && (isalnum((unsigned char)name_start[-1]) || name_start[-1] == '_'))
			name_start--;
		if (name_start == name_end || (size_t)(name_end - name_start) >= sizeof p[n].name)
			return -1;
		memcpy(p[n].name, name_start, (size_t)(name_end - name_start));
		p[n].name[name_end - name_start] = 0;
		/* float/double, or a struct or union by value, is no INTEGER slot */
		p[n].integer = 1;
		if (!star && !fp) {
			char ty[64];
			size_t tl = (size_t)(name_start - start);
			snprintf(ty, sizeof ty, "%.*s", (int)(tl < 63 ? tl : 63), start);
			if (strstr(ty, "float") || strstr(ty, "double") || strstr(ty, "struct ") || strstr(ty, "union "))
				p[n].integer = 0;
		}
		n++;
		q = *end == ',' ? end + 1 : end;
		while (*q == ' ')
			q++;
	}
	return *q == ')' ? n : -1;
}

static int c_param_index(const struct c_param *p, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++)
		if (strlen(p[i].name) == len && !memcmp(p[i].name, name, len))
			return i;
	return -1;
}

int bt_layout_build_c(const char *spec, const char *decl, struct bt_layout *out)
{
	struct c_param p[16];
	int n = c_params(decl, p, 16);
	memset(out, 0, sizeof *out);
	out->picked = 1;
	if (n < 0) {
		snprintf(out->why, sizeof out->why, "the declaration does not parse");
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!p[i].integer) {
			snprintf(out->why, sizeof out->why, "parameter %s is not an integer or pointer", p[i].name);
			return 0;
		}
	out->callable = 1;
	out->nstack = (uint8_t)(n > 6 ? n - 6 : 0);
	for (const char *t = spec; *t;) {
		const char *e = strchr(t, ' ');
		size_t len = e ? (size_t)(e - t) : strlen(t);
		struct bt_field_src *f = &out->f[out->nfields];
		const char *arrow = memchr(t, '-', len), *colon = memchr(t, ':', len), *times = memchr(t, '*', len);
		size_t nl = arrow ? (size_t)(arrow - t) : colon ? (size_t)(colon - t) : times ? (size_t)(times - t) : len;
		int k;
		if (out->nfields == BT_LAYOUT_FIELDS)
			return -1;
		if (len == 6 && !memcmp(t, "return", 6)) {
			f->src = BT_SRC_RET;
		} else if (len == 10 && !memcmp(t, "return:int", 10)) {
			f->src = BT_SRC_RET_INT;
		} else if (len == 7 && !memcmp(t, "unknown", 7)) {
			f->src = BT_SRC_UNKNOWN;
		} else if ((k = c_param_index(p, n, t, nl)) < 0 || k >= BT_ARG_SLOTS) {
			snprintf(out->why, sizeof out->why, "no parameter %.*s", (int)nl, t);
			return 0;
		} else {
			f->slot = (uint8_t)k;
			f->src = BT_SRC_WORD;
			if (arrow && arrow + 1 < t + len && arrow[1] == '>') {
				f->src = BT_SRC_DEREF_AT;
				f->arg = (uint8_t)atoi(arrow + 2);
			} else if (colon && !strncmp(colon, ":u32", 4)) {
				f->src = BT_SRC_U32;
			} else if (times) {
				int k2 = c_param_index(p, n, times + 1, (size_t)(t + len - times - 1));
				if (k2 < 0 || k2 >= BT_ARG_SLOTS) {
					snprintf(out->why, sizeof out->why, "no parameter %.*s", (int)(t + len - times - 1),
						 times + 1);
					return 0;
				}
				f->src = BT_SRC_PRODUCT;
				f->arg = (uint8_t)k2;
			}
		}
		out->nfields++;
		t = e ? e + 1 : t + len;
	}
	out->known = 1;
	return 0;
}

void bt_layout_describe(const struct bt_layout *l, const char *fields, int entry_only, char *out, size_t outsz)
{
	size_t o = 0;
	const char *f = fields;
	out[0] = 0;
	if (!l->known) {
		snprintf(out, outsz, "unknown layout: %s", l->why[0] ? l->why : "not described");
		return;
	}
	for (int i = 0; i < l->nfields && o + 1 < outsz; i++) {
		const char *comma = strchr(f, ',');
		int fl = comma ? (int)(comma - f) : (int)strlen(f);
		const struct bt_field_src *s = &l->f[i];
		char where[40];
		if (s->slot < 6)
			snprintf(where, sizeof where, "%s", slot_names[s->slot]);
		else
			snprintf(where, sizeof where, "stack+%d", 8 * (s->slot - 6));
		switch (s->src) {
		case BT_SRC_WORD: break;
		case BT_SRC_INT: snprintf(where, sizeof where, "int %s", s->slot < 6 ? slot_names[s->slot] : "stack"); break;
		case BT_SRC_U32: snprintf(where, sizeof where, "enum %s", s->slot < 6 ? slot_names[s->slot] : "stack"); break;
		case BT_SRC_RESULT: snprintf(where, sizeof where, "result via %s", s->slot < 6 ? slot_names[s->slot] : "?"); break;
		case BT_SRC_DEREF: snprintf(where, sizeof where, "*%s", s->slot < 6 ? slot_names[s->slot] : "stack"); break;
		case BT_SRC_OPT_WORD: snprintf(where, sizeof where, "optional %s", s->slot < 6 ? slot_names[s->slot] : "stack"); break;
		case BT_SRC_MESH_ID: snprintf(where, sizeof where, "MeshDevice::id()"); break;
		case BT_SRC_CHIP_ID: snprintf(where, sizeof where, "IDevice::id() via vtable"); break;
		case BT_SRC_RET: snprintf(where, sizeof where, "rax at return"); break;
		case BT_SRC_RET_INT: snprintf(where, sizeof where, "eax at return"); break;
		case BT_SRC_DEREF_AT: snprintf(where, sizeof where, "*(%s+%d)", s->slot < 6 ? slot_names[s->slot] : "stack", s->arg); break;
		case BT_SRC_PRODUCT: snprintf(where, sizeof where, "%s*%s", slot_names[s->slot < 6 ? s->slot : 0], slot_names[s->arg < 6 ? s->arg : 0]); break;
		case BT_SRC_UNKNOWN: snprintf(where, sizeof where, "not provided"); break;
		default: snprintf(where, sizeof where, "?"); break;
		}
		if (entry_only && (s->src == BT_SRC_RESULT ||
				   (s->src == BT_SRC_MESH_ID && l->f[s->arg].src == BT_SRC_RESULT)))
			snprintf(where, sizeof where, "result (not seen: entry only)");
		o += (size_t)snprintf(out + o, outsz - o, "%s%.*s=%s", i ? " " : "", fl, f, where);
		f = comma ? comma + 1 : f + fl;
	}
}
