/*
 * smtp_int.h - state shared by the SMTP session modules (not for other
 * directories): the session, its transaction, the reply helper.
 *
 * smtp_session.c owns I/O and the life cycle, smtp_cmd.c the command
 * table (check + proceed), smtp_rcpt.c the envelope policy of MAIL and
 * RCPT (SUB-3..7, MX-2, MX-3), smtp_txn.c the DATA transfer and the hand
 * over to smtp_accept.c. Loop thread only.
 */
#ifndef CHATRELAY_SMTP_INT_H
#define CHATRELAY_SMTP_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/auth_address.h"
#include "net/net_conn.h"
#include "smtp/smtp_auth.h"
#include "smtp/smtp_data.h"
#include "smtp/smtp_parse.h"

/* SMTP-13: 421 after this many 500-504/555 replies. */
#define SMTP_ERRORS_MAX 10

enum smtp_state {
	SMTP_STATE_GREETED,   /* greeting (or STARTTLS) done, no EHLO/HELO yet */
	SMTP_STATE_READY,     /* EHLO/HELO seen, no transaction */
	SMTP_STATE_MAIL,      /* MAIL accepted, no recipient yet */
	SMTP_STATE_RCPT,      /* at least one recipient accepted */
	SMTP_STATE_DATA,      /* reading the message after 354 */
	SMTP_STATE_ACCEPTING, /* the acceptance job runs on a worker */
	SMTP_STATE_CLOSING,   /* QUIT, 421 or a failed handshake */
};

/* smtp_state_name - static name for logs. */
const char *smtp_state_name(enum smtp_state state);

/* One accepted recipient of the transaction. */
struct smtp_tx_rcpt {
	char addr[ADDRESS_MAX]; /* normalised (ACC-1) for local, as given for remote */
	bool is_local;
	bool is_discard; /* reserved local part: checked, then dropped (SUB-7, MX-3) */
};

/* The transaction: exists from an accepted MAIL to the DATA reply or RSET. */
struct smtp_tx {
	char sender[SMTP_PATH_MAX + 1]; /* as given ("" = null sender) */
	bool is_smtputf8;
	bool has_size;
	uint64_t size;
	struct smtp_tx_rcpt *rcpts; /* owned */
	size_t nrcpts, cap;
	int fd; /* owned: the spooled message (unlinked temp file), -1 before DATA */
	struct smtp_data data;
};

struct smtp_session {
	enum smtp_state state;
	bool is_ehlo;          /* EHLO (not HELO): parameters allowed */
	bool is_busy;          /* a lookup job runs: commands wait in the input buffer */
	bool is_draining;      /* GEN-6 during a transfer: 421 after the DATA reply */
	unsigned errors;       /* SMTP-13 */
	struct smtp_auth auth; /* AUTH state (smtp_auth.c) */
	struct smtp_tx *tx;    /* owned; NULL between messages */
};

/* smtp_reply - queue one reply line (CRLF added), count SMTP-13 errors; may close. */
void smtp_reply(struct conn *c, const char *line);
/* smtp_replyf - formatted smtp_reply. */
void smtp_replyf(struct conn *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* smtp_is_submission - the connection came in on submission or submissions. */
bool smtp_is_submission(const struct conn *c);

/* smtp_tx_new / smtp_tx_free - transaction lifetime (free closes the spool fd). */
struct smtp_tx *smtp_tx_new(void);
void smtp_tx_free(struct smtp_tx **txp);
/* smtp_tx_add_rcpt - append a recipient; -1 on out of memory. */
int smtp_tx_add_rcpt(struct smtp_tx *tx, const char *addr, bool is_local, bool is_discard);
/* smtp_session_reset_tx - drop the transaction, back to READY. */
void smtp_session_reset_tx(struct smtp_session *s);

/* smtp_cmd_dispatch (smtp_cmd.c) - one command line; false when reading must stop. */
bool smtp_cmd_dispatch(struct conn *c, struct smtp_session *s, const char *line, size_t len);

/*
 * smtp_rcpt_mail / smtp_rcpt_rcpt (smtp_rcpt.c) - the policy part of an
 * accepted-syntax MAIL / RCPT. They reply themselves, possibly after a
 * worker job (then s->is_busy is set and they return false).
 */
bool smtp_rcpt_mail(struct conn *c, struct smtp_session *s, const struct smtp_mail *mail);
bool smtp_rcpt_rcpt(struct conn *c, struct smtp_session *s, const struct smtp_path *path);

/* smtp_txn_begin (smtp_txn.c) - DATA accepted: spool file, 354. false: stop reading. */
bool smtp_txn_begin(struct conn *c, struct smtp_session *s);
/* smtp_txn_feed - DATA state input; false when reading must stop. */
bool smtp_txn_feed(struct conn *c, struct smtp_session *s);

/* smtp_session_unbusy - a job finished: continue with buffered commands. */
void smtp_session_unbusy(struct conn *c);

#endif
