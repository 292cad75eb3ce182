/*
 * smtp_parse.h - SMTP command line parser. PURE.
 *
 * Takes one complete command line (line end already removed by the
 * session's bounded line reader, SMTP-2) and returns structured results.
 * Every error comes with the exact reply line of the SPEC (without CRLF)
 * so the session only has to send it. RFC 5321 4.1.1, 4.1.2, 4.1.4;
 * RFC 1870 (SIZE), 6152 (8BITMIME), 6531 (SMTPUTF8), 4954 (AUTH). SPEC
 * SMTP-3, SMTP-5, SMTP-6, SMTP-11, SUB-2. SASL responses (RFC 4616, AUTH-1)
 * are decoded by auth/auth_sasl.h for SMTP and IMAP alike.
 */
#ifndef CHATRELAY_SMTP_PARSE_H
#define CHATRELAY_SMTP_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"

enum smtp_verb {
	SMTP_VERB_UNKNOWN,
	SMTP_VERB_HELO,
	SMTP_VERB_EHLO,
	SMTP_VERB_MAIL,
	SMTP_VERB_RCPT,
	SMTP_VERB_DATA,
	SMTP_VERB_RSET,
	SMTP_VERB_NOOP,
	SMTP_VERB_QUIT,
	SMTP_VERB_VRFY,
	SMTP_VERB_EXPN,
	SMTP_VERB_HELP,
	SMTP_VERB_STARTTLS,
	SMTP_VERB_AUTH,
	SMTP_VERB_BDAT,
};

/* Replies the parser hands out (SPEC text, no CRLF). */
#define SMTP_REPLY_UNKNOWN "500 5.5.2 Command not recognized"
#define SMTP_REPLY_LINE_TOO_LONG "500 5.5.2 Line too long"
#define SMTP_REPLY_HELO_SYNTAX "501 5.5.4 Syntax: EHLO hostname"
#define SMTP_REPLY_SYNTAX "501 5.5.4 Syntax error"
#define SMTP_REPLY_BAD_SENDER "501 5.1.7 Bad sender address syntax"
#define SMTP_REPLY_BAD_RCPT "501 5.1.3 Bad recipient address syntax"
#define SMTP_REPLY_NEED_UTF8 "553 5.6.7 Non-ASCII address requires SMTPUTF8"
#define SMTP_REPLY_BAD_SIZE "501 5.5.4 Invalid SIZE parameter"
#define SMTP_REPLY_TOO_BIG "552 5.3.4 Message size exceeds fixed maximum message size"
#define SMTP_REPLY_BAD_PARAM "555 5.5.4 Unsupported parameter"
#define SMTP_REPLY_AUTH_MECH "504 5.5.4 Unrecognized authentication type"
#define SMTP_REPLY_AUTH_SYNTAX "501 5.5.4 Syntax: AUTH mechanism [initial-response]"

/* One command line split into verb and argument. */
struct smtp_cmd {
	enum smtp_verb verb;
	const char *arg; /* borrowed from the line: after the verb and its spaces */
	size_t arg_len;  /* trailing white space excluded; 0 when there is none */
};

/* smtp_verb_name - the verb in capitals ("UNKNOWN" for unknown verbs), for logs. */
const char *smtp_verb_name(enum smtp_verb verb);

/*
 * smtp_parse_command - split line[0..len) into verb (case-insensitive,
 * SMTP-2) and argument. Never fails: an unrecognised verb gives
 * SMTP_VERB_UNKNOWN (reply SMTP_REPLY_UNKNOWN, SMTP-11).
 */
void smtp_parse_command(const char *line, size_t len, struct smtp_cmd *cmd_r);

/*
 * smtp_parse_line_len - SMTP-2 length rule for a parsed command line of
 * len octets (line end excluded). The session reads lines with a buffer of
 * SMTP_AUTH_LINE_MAX (the larger limit) and lets this decide: AUTH lines
 * may have SMTP_AUTH_LINE_MAX octets with CRLF, all others SMTP_LINE_MAX.
 * Returns 0, or -1 with *reply_r = SMTP_REPLY_LINE_TOO_LONG. (SASL
 * response lines are not commands: they are bounded by the read buffer.)
 */
int smtp_parse_line_len(const struct smtp_cmd *cmd, size_t len, const char **reply_r);

/*
 * smtp_parse_helo - EHLO/HELO argument (SMTP-3): any non-empty argument is
 * accepted. Returns 0, or -1 with *reply_r = SMTP_REPLY_HELO_SYNTAX.
 */
int smtp_parse_helo(const struct smtp_cmd *cmd, const char **reply_r);

/*
 * smtp_parse_noarg - for STARTTLS/DATA/RSET/QUIT (SMTP-4): 0 when there is
 * no argument, -1 with *reply_r = SMTP_REPLY_SYNTAX otherwise.
 */
int smtp_parse_noarg(const struct smtp_cmd *cmd, const char **reply_r);

enum smtp_body { SMTP_BODY_NONE, SMTP_BODY_7BIT, SMTP_BODY_8BITMIME };

/* A reverse-path or forward-path (SMTP-5). */
struct smtp_path {
	char addr[SMTP_PATH_MAX + 1]; /* "local@domain" as written, source route dropped */
	size_t len;
	bool is_null;  /* "<>" */
	bool is_ascii; /* no octet >= 0x80 */
};

struct smtp_mail {
	struct smtp_path path;
	bool has_size;
	uint64_t size; /* SIZE=, saturated at UINT64_MAX */
	enum smtp_body body;
	bool is_smtputf8;
	bool has_auth; /* AUTH=<...> given (ignored, RFC 4954 5) */
};

/* Session facts the MAIL/RCPT parsers need. */
struct smtp_parse_ctx {
	bool is_ehlo;       /* EHLO (not HELO) was used: parameters allowed */
	bool is_submission; /* AUTH= parameter allowed */
	uint64_t max_message_size;
};

/*
 * smtp_parse_mail - the argument of MAIL ("FROM:<path> params"). Returns 0
 * and fills *mail_r, or -1 with the exact *reply_r (SMTP-5, SMTP-6, in this
 * order: path syntax 501, parameters 555/501/552, non-ASCII 553).
 */
int smtp_parse_mail(const struct smtp_cmd *cmd, const struct smtp_parse_ctx *ctx,
        struct smtp_mail *mail_r, const char **reply_r);

/*
 * smtp_parse_rcpt - the argument of RCPT ("TO:<path>"). is_smtputf8 is
 * the transaction's MAIL parameter. Returns 0 and fills *path_r, or -1
 * with *reply_r (501 syntax or "<>", 555 any parameter, 553 non-ASCII).
 */
int smtp_parse_rcpt(const struct smtp_cmd *cmd, bool is_smtputf8, struct smtp_path *path_r,
        const char **reply_r);

enum smtp_auth_mech { SMTP_AUTH_PLAIN, SMTP_AUTH_LOGIN };

struct smtp_auth_arg {
	enum smtp_auth_mech mech;
	bool has_initial;    /* an initial response was given (RFC 4954 4) */
	const char *initial; /* borrowed from the line; "=" already turned into "" */
	size_t initial_len;
};

/*
 * smtp_parse_auth - the argument of AUTH (SUB-2). Mechanism names are
 * case-insensitive. Returns 0 and fills *auth_r, or -1 with *reply_r
 * (504 unknown mechanism, 501 syntax).
 */
int smtp_parse_auth(const struct smtp_cmd *cmd, struct smtp_auth_arg *auth_r, const char **reply_r);

#endif
