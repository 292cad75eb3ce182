/*
 * mail_header.h - RFC 5322 header section reading. PURE.
 *
 * Works on a message in memory: finds the end of the header section, walks
 * the fields (names compared case-insensitively, values kept folded and
 * borrowed from the input), unfolds values on request. Accepts CRLF and
 * bare LF line ends. RFC 5322 sections 2.2, 2.2.3, 3.6.
 */
#ifndef CHATRELAY_MAIL_HEADER_H
#define CHATRELAY_MAIL_HEADER_H

#include <stdbool.h>
#include <stddef.h>

/* One header field; all pointers borrow from the header buffer. */
struct mail_field {
	const char *name;  /* borrowed; not NUL-terminated */
	size_t name_len;   /* 0 for a line that is not a field (no colon) */
	const char *value; /* borrowed; after the colon, folded, without the final line end */
	size_t value_len;
	size_t off; /* offset of the field in the header buffer */
	size_t len; /* length of the field including its final line end */
};

/*
 * mail_header_end - locate the header section of msg[0..len). Returns the
 * length of the header section (all field lines with their line ends, not
 * the empty separator line) and stores the offset of the body in
 * *body_off_r (after the empty line; len when there is none). A message
 * that starts with an empty line has a header of length 0.
 */
size_t mail_header_end(const char *msg, size_t len, size_t *body_off_r);

/*
 * mail_header_next - read the field starting at *pos in hdr[0..len) into
 * *f_r and advance *pos past it. A field is one line plus its continuation
 * lines (starting with space or tab). Returns true when a field was read,
 * false at the end. Lines without a colon are returned with name_len 0.
 */
bool mail_header_next(const char *hdr, size_t len, size_t *pos, struct mail_field *f_r);

/* mail_field_is - true when the field's name equals name (ASCII case-insensitive). */
bool mail_field_is(const struct mail_field *f, const char *name);

/*
 * mail_header_find - first field called name in hdr[0..len). Returns true
 * and fills *f_r, or false.
 */
bool mail_header_find(const char *hdr, size_t len, const char *name, struct mail_field *f_r);

/* mail_header_count - number of fields called name. */
size_t mail_header_count(const char *hdr, size_t len, const char *name);

/*
 * mail_header_unfold - the field value unfolded (RFC 5322 2.2.3: CRLF/LF
 * before white space removed) and trimmed of surrounding white space, as a
 * NUL-terminated heap string (caller frees), or NULL when out of memory.
 * NUL octets in the value are replaced by spaces so the result is a
 * C string.
 */
char *mail_header_unfold(const char *value, size_t len);

/*
 * mail_header_skip_comment - RFC 5322 3.2.2: advance *i over the (nested)
 * comment that starts at s[*i] == '(' in the NUL-terminated value s,
 * quoted-pairs included. An unclosed comment ends at the NUL, which is
 * never passed. Shared by address lists and MIME parameters.
 */
void mail_header_skip_comment(const char *s, size_t *i);

#endif
