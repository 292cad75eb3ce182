/*
 * smtp_auth.h - SMTP AUTH PLAIN and LOGIN on the submission listeners
 * (SUB-1, SUB-2, NET-3, AUTH-1, ACC-7) over the asynchronous auth_request().
 *
 * The session embeds struct smtp_auth; while a request is pending it stops
 * reading (smtp_auth_is_busy) and the completion resumes it through
 * smtp_session_resume().
 */
#ifndef CHATRELAY_SMTP_AUTH_H
#define CHATRELAY_SMTP_AUTH_H

#include <stdbool.h>

#include "auth/auth_address.h"
#include "net/net_conn.h"

enum smtp_auth_step {
	SMTP_AUTH_STEP_NONE,
	SMTP_AUTH_STEP_PLAIN,      /* sent "334 ", waiting for the PLAIN response */
	SMTP_AUTH_STEP_LOGIN_USER, /* sent the Username: prompt */
	SMTP_AUTH_STEP_LOGIN_PASS, /* sent the Password: prompt */
};

struct smtp_auth {
	enum smtp_auth_step step;
	bool is_pending;
	bool is_authenticated;
	char user[ADDRESS_MAX * 2]; /* AUTH LOGIN user name between the prompts */
	char address[ADDRESS_MAX];  /* after success; registered with auth */
};

/*
 * smtp_auth_command - the AUTH command with its argument. has_helo: EHLO/HELO
 * was seen; has_tx: a transaction is open. Returns false when reading must pause.
 */
bool smtp_auth_command(
        struct conn *c, struct smtp_auth *sa, const char *arg, bool has_helo, bool has_tx);

/* smtp_auth_continue - a SASL response line while step != NONE. false: pause. */
bool smtp_auth_continue(struct conn *c, struct smtp_auth *sa, char *line);

/* smtp_auth_is_busy - a request is pending. */
bool smtp_auth_is_busy(const struct smtp_auth *sa);

/* smtp_auth_reset - STARTTLS resets the state (SMTP-4); the session is not authenticated. */
void smtp_auth_reset(struct conn *c, struct smtp_auth *sa);

/* Provided by smtp_session.c. */
struct smtp_auth *smtp_session_auth(struct conn *c);
void smtp_session_resume(struct conn *c);

#endif
