/*
 * smtp_accept.h - the acceptance pipeline after the end of DATA, shared by
 * SMTP submission, SMTP inbound and the HTTP /mxdeliv receiver.
 *
 * Protocol-neutral: takes a spooled message (an fd), the envelope, the
 * path kind, the peer address and the authenticated address; runs the
 * checks of SUB-8 / MX-4 in SPEC order (From header SUB-9 / MX-4 2-4,
 * encryption gate GATE-*, origin check DKIM-5..8), the header cleanups
 * (HDR-1, HDR-2) and the durable local delivery (store_deliver, SUB-10,
 * SUB-11); returns the SMTP reply. It knows no session, no socket and no
 * event loop. Size (SMTP-9) is checked by the caller while reading.
 */
#ifndef CHATRELAY_SMTP_ACCEPT_H
#define CHATRELAY_SMTP_ACCEPT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/core_limits.h"

struct conf;
struct db;
struct store;
struct store_changes;

enum smtp_accept_path {
	SMTP_ACCEPT_SUBMISSION, /* SUB-8: outgoing gate, HDR-1 */
	SMTP_ACCEPT_INBOUND,    /* MX-4 on the smtp listener */
	SMTP_ACCEPT_MXDELIV,    /* MX-4 rules for /mxdeliv (MXD) */
};

#define SMTP_ACCEPT_REPLY_OK "250 2.0.0 OK"
#define SMTP_ACCEPT_REPLY_TEMP "451 4.3.0 Temporary local error, try again later"
#define SMTP_ACCEPT_REPLY_LOCAL_FROM "550 5.7.1 Local sender must use submission"
#define SMTP_ACCEPT_REPLY_SENDER "550 5.7.1 Sender not accepted"
#define SMTP_ACCEPT_REPLY_LITERAL                                                                  \
	"554 5.7.1 From domain literal does not match the connecting address"

/* One recipient: local (stored here) or remote (submission only: queued by the caller). */
struct smtp_accept_rcpt {
	char addr[ADDRESS_MAX]; /* normalised; local: the account directory name */
	bool is_discard;        /* reserved local part: checked, not stored */
	bool is_remote;         /* SUB-10: not stored; the caller queues a->queue_fd */
	int error;              /* out: 0 delivered (or discarded), else errno */
	uint32_t uid;           /* out: the INBOX UID of the stored copy, 0 when none */
};

struct smtp_accept;

/*
 * smtp_accept_hold_fn - SUB-11: make the remote part durable from
 * a->queue_fd before any local copy is stored. Runs on the worker of
 * smtp_accept_run, after the checks. 0, or -1 for the 451 (nothing local
 * is stored then).
 */
typedef int smtp_accept_hold_fn(struct smtp_accept *a, void *arg);

struct smtp_accept {
	/* in */
	enum smtp_accept_path path;
	const struct conf *conf; /* borrowed */
	struct db *db;           /* borrowed; NULL skips CLI block entries */
	int fd;                  /* owned: the message, CRLF line ends, from offset 0 */
	uint64_t size;
	uint64_t session_id;            /* for logs only */
	char sender[SMTP_PATH_MAX + 1]; /* envelope sender, "" = null sender */
	char auth_addr[ADDRESS_MAX];    /* submission: the authenticated address */
	char peer_ip[64];               /* text form of the peer address (DKIM-8) */
	struct smtp_accept_rcpt *rcpts; /* owned */
	size_t nrcpts;
	smtp_accept_hold_fn *hold; /* required when a remote rcpt exists (SUB-10) */
	void *hold_arg;            /* borrowed */
	/* out */
	int queue_fd; /* owned: submission with remote rcpts: the HDR-1 copy for queue_submit, else
	                 -1 */
	const char *reply; /* the SMTP reply line without CRLF (static or reply_buf) */
	char reply_buf[128];
};

/*
 * smtp_accept_dkim_fn - DKIM-5..7 verifier for name From domains, plugged
 * in by the outbound/federation code (queue_dkim.h) once DNS exists.
 * Gets the whole message before HDR-2; returns NULL to pass or the exact
 * reply line (554 5.7.1 ... / 451 4.4.3 ...).
 */
typedef const char *smtp_accept_dkim_fn(
        const char *msg, size_t len, const char *from_domain, void *ctx);

/* smtp_accept_set_dkim_verifier - install the verifier (start-up, before listening). */
void smtp_accept_set_dkim_verifier(smtp_accept_dkim_fn *fn, void *ctx);

/* smtp_accept_new - an empty job (fd -1). NULL on out of memory. */
struct smtp_accept *smtp_accept_new(size_t nrcpts);
/* smtp_accept_free - close the fd, free everything; leaves NULL. */
void smtp_accept_free(struct smtp_accept **ap);

/*
 * smtp_accept_run - the whole pipeline; sets a->reply (always). Returns 0
 * when the message was accepted (and is durable), -1 when refused or on a
 * local error. Blocks (worker thread; run it inside a store_submit job so
 * ch's events wake IDLE sessions). All-or-nothing for local copies: when
 * one copy fails, the others are removed again (smtp_accept_undo).
 */
int smtp_accept_run(struct store *st, struct smtp_accept *a, struct store_changes *ch);

/*
 * smtp_accept_undo - SUB-11, SMTP-10: remove the local copies that
 * smtp_accept_run stored (their uid), when the message is refused after
 * all. Blocks (the same worker job). 0, or -1 when some copy stayed.
 */
int smtp_accept_undo(struct store *st, struct smtp_accept *a, struct store_changes *ch);

/* smtp_accept_domain_allowed - FED-9 federation policy for a remote domain. PURE. */
bool smtp_accept_domain_allowed(const struct conf *conf, const char *domain);

/*
 * smtp_accept_literal_matches - DKIM-8: From domain "[a.b.c.d]" (or
 * "[IPv6:...]") equals the peer address (IPv4-mapped IPv6 as IPv4). PURE.
 */
bool smtp_accept_literal_matches(const char *from_domain, const char *peer_ip);

#endif
