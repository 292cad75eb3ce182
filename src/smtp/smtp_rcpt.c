/*
 * smtp_rcpt.c - envelope policy of MAIL and RCPT: SUB-4..7 on submission,
 * MX-2 and MX-3 inbound, FED-9/FED-10 for domains, QUOTA-2 at RCPT.
 *
 * Account and blocklist lookups touch SQLite, so they run as one worker
 * job per command; the session stays busy (its later pipelined commands
 * wait in the input buffer) until the completion answered. Does not read
 * message data and does not decide about remote delivery beyond
 * smtp_rcpt_remote().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "auth/auth_address.h"
#include "core/core_conf.h"
#include "core/core_log.h"
#include "core/core_str.h"
#include "db/db.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "policy/policy_address.h"
#include "policy/policy_rate.h"
#include "smtp/smtp_accept.h"
#include "smtp/smtp_int.h"
#include "smtp/smtp_rate.h"
#include "store/store.h"

enum smtp_lookup_kind { SMTP_LOOKUP_SENDER, SMTP_LOOKUP_LOCAL_RCPT };

/* One lookup job: filled on the loop, answered on a worker, applied on the loop. */
struct smtp_lookup {
	enum smtp_lookup_kind kind;
	struct server *srv;            /* borrowed */
	struct db *db;                 /* borrowed */
	char given[SMTP_PATH_MAX + 1]; /* the path as written (for replies) */
	char addr[ADDRESS_MAX];        /* normalised */
	int account;                   /* db_account_get: 0 found, 1 absent, -1 error */
	bool has_quota;                /* the account's quota override (CLI-5) */
	uint64_t quota;
	bool is_blocked;
	bool has_error;
};

/* smtp_rcpt_normalise - ACC-1, or the path lowercased when it is no valid account name. */
static void
smtp_rcpt_normalise(const struct smtp_path *p, char *out, size_t outlen)
{
	if (policy_address_normalise(p->addr, p->len, out, outlen) == 0)
		return;
	snprintf(out, outlen, "%s", p->addr);
	for (char *q = out; *q != '\0'; q++)
		if (*q >= 'A' && *q <= 'Z')
			*q = (char)(*q - 'A' + 'a');
}

static const char *
smtp_rcpt_domain(const char *addr)
{
	const char *at = strrchr(addr, '@');

	return at != NULL ? at + 1 : "";
}

static void
smtp_lookup_work(void *arg)
{
	struct smtp_lookup *l = arg;
	int r;

	if (l->kind == SMTP_LOOKUP_LOCAL_RCPT) {
		struct db_account acct;

		l->account = db_account_get(l->db, l->addr, &acct);
		if (l->account < 0)
			l->has_error = true;
		l->has_quota = l->account == 0 && acct.has_quota;
		l->quota = l->account == 0 ? acct.quota : 0;
		str_wipe(acct.hash, sizeof(acct.hash)); /* the hash is a secret too */
	}
	r = db_block_has(l->db, l->addr);
	if (r == 0 && l->kind == SMTP_LOOKUP_SENDER)
		r = db_block_has(l->db, smtp_rcpt_domain(l->addr));
	if (r < 0)
		l->has_error = true;
	l->is_blocked = r == 1;
}

/* smtp_rcpt_tx_open - an accepted MAIL opens the transaction (state MAIL). */
static int
smtp_rcpt_tx_open(struct smtp_session *s, const struct smtp_mail *m)
{
	struct smtp_tx *tx = smtp_tx_new();

	if (tx == NULL)
		return -1;
	snprintf(tx->sender, sizeof(tx->sender), "%s", m->path.is_null ? "" : m->path.addr);
	tx->is_smtputf8 = m->is_smtputf8;
	tx->has_size = m->has_size;
	tx->size = m->size;
	s->tx = tx;
	s->state = SMTP_STATE_MAIL;
	return 0;
}

static void
smtp_rcpt_tempfail(struct conn *c)
{
	smtp_reply(c, "451 4.3.0 Temporary local error, try again later");
}

/* smtp_lookup_done_sender - MX-2: CLI block entries; the tx was opened tentatively. */
static void
smtp_lookup_done_sender(struct conn *c, struct smtp_session *s, struct smtp_lookup *l)
{
	if (l->has_error || l->is_blocked) {
		smtp_session_reset_tx(s); /* SMTP-7: a rejected MAIL leaves no transaction */
		if (l->has_error)
			smtp_rcpt_tempfail(c);
		else
			smtp_replyf(c, "550 5.7.1 <%s>: Sender blocked", l->given);
		return;
	}
	smtp_reply(c, "250 2.1.0 OK");
}

/* smtp_lookup_done_rcpt - SUB-7 / MX-3 for a local address. */
static void
smtp_lookup_done_rcpt(struct conn *c, struct smtp_session *s, struct smtp_lookup *l)
{
	uint64_t limit;

	if (l->has_error) {
		smtp_rcpt_tempfail(c);
		return;
	}
	if (l->account != 0 || l->is_blocked) {
		smtp_replyf(c, "550 5.1.1 <%s>: User unknown", l->given);
		return;
	}
	limit = l->has_quota ? l->quota : c->srv->conf->max_mailbox_size;
	if (c->srv->store != NULL &&
	        store_quota_would_exceed(
	                c->srv->store, l->addr, s->tx->size, s->tx->has_size, limit)) {
		smtp_replyf(c, "452 4.2.2 <%s>: Mailbox full", l->given);
		return;
	}
	if (smtp_tx_add_rcpt(s->tx, l->addr, true, false) < 0) {
		smtp_rcpt_tempfail(c);
		return;
	}
	s->state = SMTP_STATE_RCPT;
	smtp_reply(c, "250 2.1.5 OK");
}

static void
smtp_lookup_done(void *arg, uint64_t conn_id)
{
	struct smtp_lookup *l = arg;
	struct conn *c = conn_lookup(l->srv, conn_id);
	struct smtp_session *s = c != NULL ? c->session : NULL;

	if (s != NULL && s->tx != NULL) {
		if (l->kind == SMTP_LOOKUP_SENDER)
			smtp_lookup_done_sender(c, s, l);
		else
			smtp_lookup_done_rcpt(c, s, l);
	}
	free(l);
	if (s != NULL)
		smtp_session_unbusy(c);
}

/* smtp_lookup_start - run a lookup on a worker; returns false (busy) when submitted. */
static bool
smtp_lookup_start(struct conn *c, struct smtp_session *s, enum smtp_lookup_kind kind,
        const char *given, const char *addr)
{
	struct smtp_lookup *l = calloc(1, sizeof(*l));

	if (l == NULL)
		goto fail;
	l->kind = kind;
	l->srv = c->srv;
	l->db = c->srv->db;
	snprintf(l->given, sizeof(l->given), "%s", given);
	snprintf(l->addr, sizeof(l->addr), "%s", addr);
	if (l->db == NULL ||
	        worker_submit(c->srv->workers, c->id, smtp_lookup_work, smtp_lookup_done, l) < 0)
		goto fail;
	s->is_busy = true;
	conn_pause_reading(c);
	return false;
fail:
	free(l);
	if (kind == SMTP_LOOKUP_SENDER)
		smtp_session_reset_tx(s);
	smtp_rcpt_tempfail(c);
	return true;
}

/* smtp_rcpt_mail_submission - SUB-4, SUB-6. */
static bool
smtp_rcpt_mail_submission(struct conn *c, struct smtp_session *s, const struct smtp_mail *m)
{
	const struct conf *conf = c->srv->conf;

	if (m->path.is_null || !policy_address_equal(m->path.addr, s->auth.address)) {
		smtp_reply(c, "553 5.7.1 Sender address not owned by authenticated user");
		return true;
	}
	if (!smtp_rate_allow(s->auth.address, conf->max_user_send_per_minute,
	            conf->max_user_send_burst_size)) {
		smtp_replyf(c, RATE_REPLY_FMT, m->path.addr);
		return true;
	}
	if (smtp_rcpt_tx_open(s, m) < 0)
		smtp_rcpt_tempfail(c);
	else
		smtp_reply(c, "250 2.1.0 OK");
	return true;
}

/* smtp_rcpt_mail_inbound - MX-2. */
static bool
smtp_rcpt_mail_inbound(struct conn *c, struct smtp_session *s, const struct smtp_mail *m)
{
	const struct conf *conf = c->srv->conf;
	char addr[ADDRESS_MAX];
	const char *domain;

	if (m->path.is_null) {
		if (smtp_rcpt_tx_open(s, m) < 0)
			smtp_rcpt_tempfail(c);
		else
			smtp_reply(c, "250 2.1.0 OK");
		return true;
	}
	smtp_rcpt_normalise(&m->path, addr, sizeof(addr));
	domain = smtp_rcpt_domain(addr);
	if (strcasecmp(domain, conf->mail_domain) == 0) {
		smtp_replyf(c, "550 5.7.1 <%s>: Local sender must use submission", m->path.addr);
		return true;
	}
	if (auth_is_blocklisted(&conf->sender_blocklist, addr)) {
		smtp_replyf(c, "550 5.7.1 <%s>: Sender blocked", m->path.addr);
		return true;
	}
	if (!smtp_accept_domain_allowed(conf, domain)) {
		smtp_replyf(c, "550 5.7.1 <%s>: Domain not accepted by federation policy", domain);
		return true;
	}
	if (smtp_rcpt_tx_open(s, m) < 0) {
		smtp_rcpt_tempfail(c);
		return true;
	}
	return smtp_lookup_start(c, s, SMTP_LOOKUP_SENDER, m->path.addr, addr);
}

bool
smtp_rcpt_mail(struct conn *c, struct smtp_session *s, const struct smtp_mail *m)
{
	return smtp_is_submission(c) ? smtp_rcpt_mail_submission(c, s, m)
	                             : smtp_rcpt_mail_inbound(c, s, m);
}

/*
 * smtp_rcpt_remote - SUB-7 last row: the one place deciding about remote
 * recipients on submission. Until the outbound queue exists they are
 * refused temporarily, so nothing is lost (issue 5).
 */
static void
smtp_rcpt_remote(struct conn *c, struct smtp_session *s, const char *given)
{
	(void)s;
	smtp_replyf(c, "451 4.3.0 <%s>: Remote delivery not available yet, try again later", given);
}

bool
smtp_rcpt_rcpt(struct conn *c, struct smtp_session *s, const struct smtp_path *p)
{
	const struct conf *conf = c->srv->conf;
	char addr[ADDRESS_MAX], local[ADDRESS_MAX];
	const char *domain;

	smtp_rcpt_normalise(p, addr, sizeof(addr));
	domain = smtp_rcpt_domain(addr);
	if (strcasecmp(domain, conf->mail_domain) != 0) {
		if (!smtp_is_submission(c))
			smtp_replyf(c, "550 5.7.1 <%s>: Relay access denied", p->addr);
		else if (!smtp_accept_domain_allowed(conf, domain) ||
		        auth_is_blocklisted(&conf->sender_blocklist, addr))
			smtp_replyf(c, "550 5.7.1 <%s>: Recipient domain not allowed", p->addr);
		else
			smtp_rcpt_remote(c, s, p->addr);
		return true;
	}
	if (auth_address_local_part(addr, local, sizeof(local)) < 0 ||
	        !auth_local_part_is_valid(local)) {
		smtp_replyf(c, "550 5.1.1 <%s>: User unknown", p->addr); /* SMTP-14 */
		return true;
	}
	if (auth_local_part_is_reserved(local, &conf->reserved_local_parts)) {
		if (smtp_tx_add_rcpt(s->tx, addr, true, true) < 0) {
			smtp_rcpt_tempfail(c);
			return true;
		}
		s->state = SMTP_STATE_RCPT;
		smtp_reply(c, "250 2.1.5 OK");
		return true;
	}
	return smtp_lookup_start(c, s, SMTP_LOOKUP_LOCAL_RCPT, p->addr, addr);
}
