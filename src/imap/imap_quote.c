/*
 * imap_quote.c - atom / quoted / literal choice for output strings and IMAP
 * date handling. PURE: libc only; no locale (month names are fixed
 * English, RFC 3501 9 `date-month`), no time zone database (everything is
 * UTC or an explicit numeric offset).
 */
#include "imap/imap_quote.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char imap_months[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* imap_quote_is_astring_char - RFC 3501 ASTRING-CHAR. */
static bool
imap_quote_is_astring_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("(){%*\"\\", c) == NULL;
}

enum imap_quote_kind
imap_quote_kind(const char *s, size_t len, enum imap_quote_mode mode)
{
	bool is_atom = len > 0 && mode == IMAP_QUOTE_ASTRING;

	if (mode == IMAP_QUOTE_LITERAL)
		return IMAP_QUOTE_KIND_LITERAL;
	/* an atom NIL could be read as nil by a client: quote it */
	if (len == 3 && strncasecmp(s, "NIL", 3) == 0)
		is_atom = false;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 0x20 || c > 0x7e || c == '"' || c == '\\')
			return IMAP_QUOTE_KIND_LITERAL;
		if (!imap_quote_is_astring_char(c))
			is_atom = false;
	}
	return is_atom ? IMAP_QUOTE_KIND_ATOM : IMAP_QUOTE_KIND_QUOTED;
}

/* imap_quote_put - copy n octets at offset off of the rendering (truncating). */
static void
imap_quote_put(char *dst, size_t size, size_t off, const char *s, size_t n)
{
	if (size == 0 || off >= size - 1)
		return;
	if (n > size - 1 - off)
		n = size - 1 - off;
	memcpy(dst + off, s, n);
}

size_t
imap_quote(char *dst, size_t size, const char *s, size_t len, enum imap_quote_mode mode)
{
	size_t off = 0;
	char head[32];
	int n;

	switch (imap_quote_kind(s, len, mode)) {
	case IMAP_QUOTE_KIND_ATOM:
		imap_quote_put(dst, size, 0, s, len);
		off = len;
		break;
	case IMAP_QUOTE_KIND_QUOTED:
		imap_quote_put(dst, size, 0, "\"", 1);
		imap_quote_put(dst, size, 1, s, len);
		imap_quote_put(dst, size, 1 + len, "\"", 1);
		off = len + 2;
		break;
	case IMAP_QUOTE_KIND_LITERAL:
		n = snprintf(head, sizeof(head), "{%zu}\r\n", len);
		imap_quote_put(dst, size, 0, head, (size_t)n);
		imap_quote_put(dst, size, (size_t)n, s, len);
		off = (size_t)n + len;
		break;
	}
	if (size > 0)
		dst[off < size ? off : size - 1] = '\0';
	return off;
}

size_t
imap_quote_nstring(char *dst, size_t size, const char *s, size_t len)
{
	if (s == NULL) {
		if (size > 0)
			snprintf(dst, size, "NIL");
		return 3;
	}
	return imap_quote(dst, size, s, len, IMAP_QUOTE_STRING);
}

/* imap_days_from_civil - days since 1970-01-01 of y-m-d (proleptic Gregorian). */
static int64_t
imap_days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static unsigned
imap_days_in_month(unsigned y, unsigned m)
{
	static const unsigned char days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool is_leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && is_leap ? 29 : days[m - 1];
}

void
imap_date_time_format(time_t t, char buf[IMAP_DATE_TIME_SIZE])
{
	struct tm tm;

	if (t < 0)
		t = 0;
	if ((int64_t)t > 253402300799LL) /* 9999-12-31 23:59:59 */
		t = (time_t)253402300799LL;
	gmtime_r(&t, &tm);
	/* the modulos cannot change a clamped value; they let the compiler see the width */
	snprintf(buf, IMAP_DATE_TIME_SIZE, "\"%02u-%s-%04u %02u:%02u:%02u +0000\"",
	        (unsigned)tm.tm_mday % 100, imap_months[(unsigned)tm.tm_mon % 12],
	        (unsigned)(tm.tm_year + 1900) % 10000, (unsigned)tm.tm_hour % 100,
	        (unsigned)tm.tm_min % 100, (unsigned)tm.tm_sec % 100);
}

/* imap_quote_digits - exactly n digits at s[*pos]; advances. */
static int
imap_quote_digits(const char *s, size_t len, size_t *pos, size_t n, unsigned *v_r)
{
	unsigned v = 0;

	if (len - *pos < n)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = s[*pos + i];

		if (c < '0' || c > '9')
			return -1;
		v = v * 10 + (unsigned)(c - '0');
	}
	*pos += n;
	*v_r = v;
	return 0;
}

/* imap_quote_day_text - `d-Mon-yyyy` at s[*pos] (sp_pad: a leading space is allowed). */
static int
imap_quote_date_text(const char *s, size_t len, size_t *pos, bool sp_pad, int64_t *days_r)
{
	unsigned day, mon, year;
	size_t ndig = 0;

	if (sp_pad && *pos < len && s[*pos] == ' ')
		(*pos)++;
	while (*pos + ndig < len && ndig < 3 && s[*pos + ndig] >= '0' && s[*pos + ndig] <= '9')
		ndig++;
	if (ndig < 1 || ndig > 2 || imap_quote_digits(s, len, pos, ndig, &day) < 0)
		return -1;
	if (len - *pos < 5 || s[*pos] != '-')
		return -1;
	for (mon = 0; mon < 12; mon++)
		if (strncasecmp(s + *pos + 1, imap_months[mon], 3) == 0)
			break;
	if (mon == 12 || s[*pos + 4] != '-')
		return -1;
	*pos += 5;
	if (imap_quote_digits(s, len, pos, 4, &year) < 0)
		return -1;
	if (day < 1 || day > imap_days_in_month(year, mon + 1))
		return -1;
	*days_r = imap_days_from_civil(year, mon + 1, day);
	return 0;
}

int
imap_date_parse(const char *s, size_t len, time_t *t_r)
{
	size_t pos = 0;
	int64_t days;

	if (imap_quote_date_text(s, len, &pos, false, &days) < 0 || pos != len)
		return -1;
	*t_r = (time_t)(days * 86400);
	return 0;
}

int
imap_date_time_parse(const char *s, size_t len, time_t *t_r)
{
	unsigned hh, mm, ss, zh, zm;
	size_t pos = 0;
	int64_t days, t;
	int sign;

	if (imap_quote_date_text(s, len, &pos, true, &days) < 0)
		return -1;
	if (pos >= len || s[pos++] != ' ' || imap_quote_digits(s, len, &pos, 2, &hh) < 0 ||
	        pos >= len || s[pos++] != ':' || imap_quote_digits(s, len, &pos, 2, &mm) < 0 ||
	        pos >= len || s[pos++] != ':' || imap_quote_digits(s, len, &pos, 2, &ss) < 0 ||
	        pos >= len || s[pos++] != ' ' || pos >= len)
		return -1;
	if (s[pos] != '+' && s[pos] != '-')
		return -1;
	sign = s[pos++] == '-' ? -1 : 1;
	if (imap_quote_digits(s, len, &pos, 2, &zh) < 0 ||
	        imap_quote_digits(s, len, &pos, 2, &zm) < 0 || pos != len)
		return -1;
	/* a leap second 60 is allowed by RFC 5322 3.3 and folds into the next minute */
	if (hh > 23 || mm > 59 || ss > 60 || zm > 59)
		return -1;
	t = days * 86400 + (int64_t)hh * 3600 + (int64_t)mm * 60 + ss -
	        sign * ((int64_t)zh * 3600 + (int64_t)zm * 60);
	*t_r = (time_t)t;
	return 0;
}
