/*
 * core_conf_value.c - the value types of CONF-3 and the name checks the
 * configuration needs (booleans, sizes, durations, numbers, lists, paths,
 * IPv4 literals, host names). PURE: libc and core/ only.
 */
#include "core/core_conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_limits.h"
#include "core/core_str.h"

/* conf_list_add - append a copy of word; returns 0 or -1. */
int
conf_list_add(struct conf_list *l, const char *word, size_t len)
{
	char **words;

	if (l->count >= CONF_LIST_MAX)
		return -1;
	words = realloc(l->words, (l->count + 1) * sizeof(*words));
	if (words == NULL)
		return -1;
	l->words = words;
	l->words[l->count] = strndup(word, len);
	if (l->words[l->count] == NULL)
		return -1;
	l->count++;
	return 0;
}

void
conf_list_clear(struct conf_list *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->words[i]);
	free(l->words);
	l->words = NULL;
	l->count = 0;
}

int
conf_parse_bool(const char *s, bool *v_r)
{
	static const char *const yes[] = { "yes", "true", "on", "1", NULL };
	static const char *const no[] = { "no", "false", "off", "0", NULL };

	/* Case-insensitive: chatmail.ini as cmdeploy writes it says "disable_ipv6 = False". */
	for (size_t i = 0; yes[i] != NULL; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*v_r = true;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*v_r = false;
			return 0;
		}
	}
	return -1;
}

/* conf_parse_unsigned - digits only, then an optional suffix; end_r gets the suffix. */
static int
conf_parse_unsigned(const char *s, unsigned long long *v_r, const char **end_r)
{
	unsigned long long v = 0;
	const char *p = s;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (v > (ULLONG_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*v_r = v;
	*end_r = p;
	return 0;
}

int
conf_parse_long(const char *s, long *v_r)
{
	unsigned long long v;
	const char *end;
	bool neg = (*s == '-');

	if (conf_parse_unsigned(neg ? s + 1 : s, &v, &end) < 0 || *end != '\0')
		return -1;
	if (v > (unsigned long long)LONG_MAX)
		return -1;
	*v_r = neg ? -(long)v : (long)v;
	return 0;
}

/* One unit suffix of a scaled number: "64M", "90s". */
struct conf_unit {
	char suffix;
	unsigned long long mul;
};

static const struct conf_unit conf_size_units[] = {
	{ 'K', 1024ULL }, { 'k', 1024ULL },
	{ 'M', 1024ULL * 1024 }, { 'm', 1024ULL * 1024 },
	{ 'G', 1024ULL * 1024 * 1024 }, { 'g', 1024ULL * 1024 * 1024 },
	{ '\0', 0 },
};

static const struct conf_unit conf_duration_units[] = {
	{ 's', 1 }, { 'm', 60 }, { 'h', 3600 }, { 'd', 86400 },
	{ '\0', 0 },
};

/*
 * conf_parse_scaled - digits, then nothing or exactly one suffix of units
 * (case-sensitive, as listed), the product at most max.
 */
static int
conf_parse_scaled(const char *s, const struct conf_unit *units, unsigned long long max,
	unsigned long long *v_r)
{
	unsigned long long v, mul = 1;
	const char *end;

	if (conf_parse_unsigned(s, &v, &end) < 0)
		return -1;
	if (*end != '\0') {
		while (units->suffix != '\0' && units->suffix != *end)
			units++;
		if (units->suffix == '\0' || end[1] != '\0')
			return -1;
		mul = units->mul;
	}
	if (v > max / mul)
		return -1;
	*v_r = v * mul;
	return 0;
}

int
conf_parse_size(const char *s, uint64_t *v_r)
{
	unsigned long long v;

	if (conf_parse_scaled(s, conf_size_units, UINT64_MAX, &v) < 0)
		return -1;
	*v_r = v;
	return 0;
}

int
conf_parse_duration(const char *s, long *v_r)
{
	unsigned long long v;

	if (conf_parse_scaled(s, conf_duration_units, (unsigned long long)LONG_MAX, &v) < 0)
		return -1;
	*v_r = (long)v;
	return 0;
}

/* conf_parse_number - a non-negative decimal number such as 0, 2 or 1.5. */
int
conf_parse_number(const char *s, double *v_r)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtod(s, &end);
	if (errno != 0 || *end != '\0')
		return -1;
	*v_r = v;
	return 0;
}

/* conf_set_string - replace an owned string field. */
int
conf_set_string(char **field, const char *value)
{
	char *copy = strdup(value);

	if (copy == NULL)
		return -1;
	free(*field);
	*field = copy;
	return 0;
}

/* conf_set_path - relative paths are relative to base_dir (CONF-3). */
int
conf_set_path(char **field, const char *value, const char *base_dir)
{
	char *joined;

	if (value[0] == '\0' || value[0] == '/' || base_dir == NULL || strcmp(base_dir, ".") == 0)
		return conf_set_string(field, value);
	while (value[0] == '.' && value[1] == '/')
		value += 2;
	if (str_printf(&joined, "%s/%s", base_dir, value) < 0)
		return -1;
	free(*field);
	*field = joined;
	return 0;
}

int
conf_set_list(struct conf_list *l, const char *value)
{
	const char *p = value;

	conf_list_clear(l);
	while (*p != '\0') {
		size_t n;

		while (isspace((unsigned char)*p))
			p++;
		n = strcspn(p, " \t");
		if (n > 0 && conf_list_add(l, p, n) < 0)
			return -1;
		p += n;
	}
	return 0;
}

/* conf_is_ipv4 - dotted quad with each part 0..255. */
bool
conf_is_ipv4(const char *s)
{
	int parts = 0;

	while (*s != '\0') {
		unsigned long v = 0;
		int digits = 0;

		for (; isdigit((unsigned char)*s) && digits < 4; s++, digits++)
			v = v * 10 + (unsigned long)(*s - '0');
		if (digits == 0 || digits > 3 || v > 255)
			return false;
		parts++;
		if (*s == '.' && parts < 4)
			s++;
		else if (*s != '\0')
			return false;
	}
	return parts == 4;
}

/*
 * conf_is_hostname - LDH labels separated by dots; '_' allowed (test domains,
 * TLS-7). The last label must not be all digits (RFC 3696 section 2), so that
 * a mistyped address such as 256.1.1.1 or 1.2.3.4.5 is not taken for a name.
 */
bool
conf_is_hostname(const char *s)
{
	size_t label = 0, total = strlen(s);
	bool is_numeric_label = true;

	if (total == 0 || total > 253 || s[0] == '.' || s[total - 1] == '.')
		return false;
	for (; *s != '\0'; s++) {
		if (*s == '.') {
			if (label == 0)
				return false;
			label = 0;
			is_numeric_label = true;
			continue;
		}
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_')
			return false;
		if (!isdigit((unsigned char)*s))
			is_numeric_label = false;
		if (++label > 63)
			return false;
	}
	return !is_numeric_label;
}

