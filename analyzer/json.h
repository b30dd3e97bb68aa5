/* json.h - the little JSON writing the analyzer needs. */
#ifndef BT_JSON_H
#define BT_JSON_H
#include <stdio.h>
#include <stddef.h>
/* Writes a quoted, escaped JSON string; invalid UTF-8 bytes become \u00XX. */
void json_str(FILE *f, const char *s, size_t n);
void json_cstr(FILE *f, const char *s); /* NULL -> null */
#endif
