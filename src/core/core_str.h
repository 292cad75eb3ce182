/*
 * core_str.h - small string helpers shared by every module. PURE.
 */
#ifndef CHATRELAY_CORE_STR_H
#define CHATRELAY_CORE_STR_H

#include <stdbool.h>
#include <stddef.h>

/* str_printf - allocate a formatted string into *s_r (caller frees). Returns 0 or -1. */
int str_printf(char **s_r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* str_trim - strip ASCII white space at both ends in place; returns the new start. */
char *str_trim(char *s);

/* str_lower - ASCII-lowercase in place. */
void str_lower(char *s);

/* str_wipe - overwrite secret memory so the compiler cannot elide it. */
void str_wipe(void *p, size_t n);

#endif
