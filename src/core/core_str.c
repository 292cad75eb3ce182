/*
 * core_str.c - small string helpers. PURE: libc only.
 */
#include "core/core_str.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
str_printf(char **s_r, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(s_r, fmt, ap);
	va_end(ap);
	if (n < 0) {
		*s_r = NULL;
		return -1;
	}
	return 0;
}

char *
str_trim(char *s)
{
	size_t n;

	while (isspace((unsigned char)*s))
		s++;
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

void
str_lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = (char)tolower((unsigned char)*s);
}

void
str_wipe(void *p, size_t n)
{
	explicit_bzero(p, n);
}
