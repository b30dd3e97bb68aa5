/* json.h - the little JSON writing the analyzer needs. */
#ifndef BT_JSON_H
#define BT_JSON_H
#include <stdio.h>
#include <stddef.h>
/* Writes a quoted, escaped JSON string.  JSON text is UTF-8: valid UTF-8
 * (a path, a function name, an argument in any language) is written as it
 * is; a byte that is not part of valid UTF-8 becomes U+FFFD. */
void json_str(FILE *f, const char *s, size_t n);
void json_cstr(FILE *f, const char *s); /* NULL -> null */
#endif
