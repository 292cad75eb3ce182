/*
 * imap_auth.h - IMAP LOGIN and AUTHENTICATE PLAIN (IMAP-5, IMAP-15,
 * IMAP-16, AUTH-1) on top of the asynchronous auth_request().
 *
 * The session embeds struct imap_auth and hands over the command arguments;
 * while a request is pending the session stops reading (it must check
 * imap_auth_is_busy()) and the completion resumes it through
 * imap_session_resume().
 */
#ifndef CHATRELAY_IMAP_AUTH_H
#define CHATRELAY_IMAP_AUTH_H

#include <stdbool.h>

#include "auth/auth_address.h"
#include "net/net_conn.h"

/* Longest tag kept while a request is pending (IMAP-9 allows any length within the line). */
#define IMAP_AUTH_TAG_MAX 256

/*
 * Both strings are heap copies rather than arrays: every idle session
 * embeds this struct, and the tag is only needed while a request runs.
 */
struct imap_auth {
	bool is_pending;      /* auth_request in flight: do not read */
	bool is_sasl_waiting; /* sent "+ ", the next line is the SASL response */
	bool is_authenticated;
	char *tag;            /* owned: tag of the running LOGIN/AUTHENTICATE, else NULL */
	char *address;        /* owned: after success; registered with auth */
};

/* imap_auth_login - LOGIN <astring> <astring>. Returns false when reading must pause. */
bool imap_auth_login(struct conn *c, struct imap_auth *ia, const char *tag, const char *args);

/*
 * imap_auth_start - run AUTH-2 for already parsed credentials (for a
 * command parser that handles literals); the tagged reply comes from the
 * completion. The caller checked imap_auth_precheck() and wipes pw.
 * Returns false when reading must pause.
 */
bool imap_auth_start(
        struct conn *c, struct imap_auth *ia, const char *user, const char *pw, size_t pwlen);

/*
 * imap_auth_precheck - state, NET-3/IMAP-5 and tag checks before LOGIN or
 * AUTHENTICATE; answers and returns false when the command must not go on.
 */
bool imap_auth_precheck(struct conn *c, struct imap_auth *ia, const char *tag);

/* imap_auth_authenticate - AUTHENTICATE <mech> [<initial response>]. false: pause. */
bool imap_auth_authenticate(
        struct conn *c, struct imap_auth *ia, const char *tag, const char *args);

/* imap_auth_continue - the client's SASL response line (is_sasl_waiting). false: pause. */
bool imap_auth_continue(struct conn *c, struct imap_auth *ia, char *line);

/* imap_auth_is_busy - a request is pending: the session must not read commands. */
bool imap_auth_is_busy(const struct imap_auth *ia);

/* imap_auth_end - the session goes away: unregister it (ACC-7 registry), free the strings. */
void imap_auth_end(struct conn *c, struct imap_auth *ia);

/* imap_auth_parse_astring - PURE: one atom or quoted string (IMAP-10) from *p into out. */
int imap_auth_parse_astring(const char **p, char *out, size_t outlen, size_t *len_r);

/* Provided by imap_session.c. */
struct imap_auth *imap_session_auth(struct conn *c);
/* imap_session_resume - continue reading after a completed request. */
void imap_session_resume(struct conn *c);
/* imap_session_capabilities - IMAP-3 list for the current state. */
const char *imap_session_capabilities(const struct conn *c);

#endif
