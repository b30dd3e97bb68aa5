/* json.c - see json.h. */
#include <string.h>
#include "json.h"

/* The length of the valid UTF-8 sequence at s (n bytes left), 0 if the
 * byte there does not start one (overlong forms, surrogates and code
 * points past U+10FFFF are not valid). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t len;
	unsigned char lo = 0x80, hi = 0xbf; /* the second byte's range */
	if (c >= 0xc2 && c <= 0xdf)
		len = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		len = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		len = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (n < len || s[1] < lo || s[1] > hi)
		return 0;
	for (size_t i = 2; i < len; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	return len;
}

void json_str(FILE *f, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t run = 0; /* bytes before i that need no escape: written at once */
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = u[i];
		size_t k;
		if (c >= 0x20 && c < 0x7f && c != '"' && c != '\\')
			continue;
		if (c >= 0x80 && (k = utf8_len(u + i, n - i)) != 0) {
			i += k - 1; /* as it is */
			continue;
		}
		fwrite(s + run, 1, i - run, f);
		run = i + 1;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c >= 0x80)
			fputs("\\ufffd", f);
		else
			fprintf(f, "\\u%04x", c);
	}
	fwrite(s + run, 1, n - run, f);
	fputc('"', f);
}

void json_cstr(FILE *f, const char *s)
{
	if (s)
		json_str(f, s, strlen(s));
	else
		fputs("null", f);
}
