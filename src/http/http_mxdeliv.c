/*
 * http_mxdeliv.c - the /mxdeliv receiver (MXD-1..4, FED-2 receiving side).
 *
 * The request head is checked on the loop (MXD-1/2: Content-Length,
 * max_message_size, X-Mail-From / X-Mail-To syntax); the body streams into
 * an unlinked spool file (never the whole message in memory); then one
 * store job runs MXD-3 on a worker: recipient filtering (dropped silently),
 * MX-2 on X-Mail-From, the acceptance pipeline (smtp_accept.c, path
 * MXDELIV: MX-4 steps 2-6, DKIM, gate, HDR-2, durable delivery) with the
 * per-recipient quota (QUOTA-2) applied before, and the answer comes only
 * after delivery. MXD-4 holds by construction: the HTTP listener is plain
 * only when http_tls = no.
 *
 * Does not: speak SMTP, queue anything, log message content.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "auth/auth_address.h"
#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_metrics.h"
#include "core/core_str.h"
#include "db/db.h"
#include "http/http_routes.h"
#include "meta/meta.h"
#include "net/net_server.h"
#include "policy/policy_address.h"
#include "smtp/smtp_accept.h"
#include "smtp/smtp_spool.h"
#include "store/store.h"

#define HTTP_MXDELIV_REPLY_OK "250 2.0.0 OK"
#define HTTP_MXDELIV_REPLY_STORAGE "451 4.3.0 Temporary local error"
#define HTTP_MXDELIV_REPLY_SIZE "552 5.3.4 Message size exceeds fixed maximum message size"
#define HTTP_MXDELIV_ANSWER_MAX (HTTP_HEADERS_COUNT_MAX * (ADDRESS_MAX + 32))

/* One /mxdeliv request from its head to its answer. */
struct http_mxdeliv {
	struct server *srv; /* borrowed */
	int fd;             /* owned: the spooled body, -1 once handed to the pipeline */
	uint64_t size;      /* Content-Length */
	uint64_t received;  /* body octets read */
	uint64_t written;   /* octets spooled (bare LF made CRLF) */
	bool is_last_cr;
	char sender[SMTP_PATH_MAX + 1]; /* "" = null sender */
	char peer_ip[64];
	char rcpts[HTTP_HEADERS_COUNT_MAX][ADDRESS_MAX];
	size_t nrcpts;
	struct smtp_accept *acc; /* owned: the pipeline job once it ran */
	/* the answer */
	int status;
	char body[HTTP_MXDELIV_ANSWER_MAX];
};

/*
 * http_mxdeliv_count - HTTP-6: one /mxdeliv request answered with status.
 * 200 is accepted (unknown recipients dropped, MXD-3), and so is a 507
 * when some copy was stored; a 507 that stored nothing and the 5xx are
 * temporary (the sender retries, FED-3); the other 4xx refuse.
 */
static void
http_mxdeliv_count(struct server *srv, int status, bool has_stored)
{
	enum core_metrics_result r = CORE_METRICS_REFUSED;

	if (status == 200 || (status == 507 && has_stored))
		r = CORE_METRICS_ACCEPTED;
	else if (status >= 500)
		r = CORE_METRICS_TEMPFAIL;
	core_metrics_message(&srv->metrics, CORE_METRICS_PATH_MXDELIV, r);
}

static void
http_mxdeliv_free(void *arg)
{
	struct http_mxdeliv *m = arg;

	if (m == NULL)
		return;
	smtp_spool_release(m->fd);
	smtp_accept_free(&m->acc);
	free(m);
}

/* http_mxdeliv_put - append to the spool, counting the stored size. */
static int
http_mxdeliv_put(struct http_mxdeliv *m, const char *data, size_t len)
{
	m->written += len;
	return len > 0 ? smtp_spool_write(m->fd, data, len) : 0;
}

/* http_mxdeliv_chunk - body octets to the spool; bare LF becomes CRLF (the store's line ends). */
static int
http_mxdeliv_chunk(void *arg, const char *data, size_t len)
{
	struct http_mxdeliv *m = arg;
	size_t start = 0;

	m->received += len;
	for (size_t i = 0; i < len; i++) {
		bool is_cr_before = i > 0 ? data[i - 1] == '\r' : m->is_last_cr;

		if (data[i] != '\n' || is_cr_before)
			continue;
		if (http_mxdeliv_put(m, data + start, i - start) < 0 ||
		        http_mxdeliv_put(m, "\r\n", 2) < 0)
			return -1;
		start = i + 1;
	}
	if (len > 0)
		m->is_last_cr = data[len - 1] == '\r';
	return http_mxdeliv_put(m, data + start, len - start);
}

/* http_mxdeliv_address - one header value: optional <>, ACC-1 mail form; -1 when unparsable. */
static int
http_mxdeliv_address(struct http_span v, char *out, size_t outlen)
{
	const char *p = v.p;
	size_t len = v.len;

	while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
		len--;
	while (len > 0 && (*p == ' ' || *p == '\t')) {
		p++;
		len--;
	}
	if (len >= 2 && p[0] == '<' && p[len - 1] == '>') {
		p++;
		len -= 2;
	}
	if (len == 0) {
		out[0] = '\0';
		return 0;
	}
	return policy_address_normalise(p, len, out, outlen);
}

/* http_mxdeliv_envelope - MXD-1/2 header checks into m; NULL or the 400 body. */
static const char *
http_mxdeliv_envelope(struct http_mxdeliv *m, const struct http_request *req)
{
	for (size_t i = 0; i < req->header_count; i++) {
		struct http_span n = req->header_names[i];

		if (n.len == 11 && strncasecmp(n.p, "X-Mail-From", 11) == 0) {
			if (http_mxdeliv_address(
			            req->header_values[i], m->sender, sizeof(m->sender)) < 0)
				return "501 5.5.4 Invalid X-Mail-From address";
		} else if (n.len == 9 && strncasecmp(n.p, "X-Mail-To", 9) == 0) {
			char *to = m->rcpts[m->nrcpts];

			if (http_mxdeliv_address(req->header_values[i], to, ADDRESS_MAX) < 0 ||
			        to[0] == '\0')
				return "501 5.5.4 Invalid X-Mail-To address";
			m->nrcpts++; /* at most HTTP_HEADERS_COUNT_MAX headers exist */
		}
	}
	if (m->nrcpts == 0)
		return "501 5.5.4 No X-Mail-To header";
	return NULL;
}

/* http_mxdeliv_keep - MXD-3: an existing, unblocked, non-reserved local account. Worker. */
static bool
http_mxdeliv_keep(struct http_mxdeliv *m, const char *addr, uint64_t *limit_r, int *error_r)
{
	const struct conf *conf = m->srv->conf;
	char local[ADDRESS_MAX];
	struct db_account acct;
	int r;

	memset(&acct, 0, sizeof(acct));
	if (strcasecmp(policy_address_domain(addr), conf->mail_domain) != 0 ||
	        auth_address_local_part(addr, local, sizeof(local)) < 0 ||
	        !auth_local_part_is_valid(local) ||
	        auth_local_part_is_reserved(local, &conf->reserved_local_parts))
		return false;
	r = db_account_get(m->srv->db, addr, &acct);
	str_wipe(acct.hash, sizeof(acct.hash));
	if (r < 0)
		*error_r = -1;
	if (r != 0)
		return false;
	*limit_r = acct.has_quota ? acct.quota : conf->max_mailbox_size;
	r = db_block_has(m->srv->db, addr);
	if (r < 0)
		*error_r = -1;
	return r == 0;
}

/* http_mxdeliv_sender - MX-2 on X-Mail-From; NULL or the refusal line. Worker. */
static const char *
http_mxdeliv_sender(struct http_mxdeliv *m, char *buf, size_t buflen)
{
	const struct conf *conf = m->srv->conf;
	const char *domain = policy_address_domain(m->sender);

	if (m->sender[0] == '\0')
		return NULL;
	if (strcasecmp(domain, conf->mail_domain) == 0)
		snprintf(
		        buf, buflen, "550 5.7.1 <%s>: Local sender must use submission", m->sender);
	else if (auth_is_blocklisted(&conf->sender_blocklist, m->sender) ||
	        db_block_has(m->srv->db, m->sender) == 1 || db_block_has(m->srv->db, domain) == 1)
		snprintf(buf, buflen, "550 5.7.1 <%s>: Sender blocked", m->sender);
	else if (!smtp_accept_domain_allowed(conf, domain))
		snprintf(buf, buflen, "550 5.7.1 <%s>: Domain not accepted by federation policy",
		        domain);
	else
		return NULL;
	return buf;
}

/* http_mxdeliv_answer - MXD-2 status and body from the pipeline reply and the quota list. */
static void
http_mxdeliv_answer(struct http_mxdeliv *m, const char *reply, size_t over_quota)
{
	if (reply[0] == '2') {
		if (over_quota > 0) {
			m->status = 507;
			return; /* the body already lists them */
		}
		m->status = 200;
		snprintf(m->body, sizeof(m->body), "%s", HTTP_MXDELIV_REPLY_OK);
	} else if (strncmp(reply, "451 4.4.", 8) == 0) {
		m->status = 503; /* DKIM-7 DNS temporary failure */
		snprintf(m->body, sizeof(m->body), "%s", reply);
	} else if (reply[0] == '4') {
		m->status = 500;
		snprintf(m->body, sizeof(m->body), "%s", HTTP_MXDELIV_REPLY_STORAGE);
	} else {
		m->status = 403;
		snprintf(m->body, sizeof(m->body), "%s", reply);
	}
}

/* http_mxdeliv_pipeline - MX-4 and delivery through smtp_accept (path MXDELIV). Worker. */
static void
http_mxdeliv_pipeline(struct store *st, struct http_mxdeliv *m, const bool *keep, const bool *full,
        struct store_changes *ch)
{
	struct smtp_accept *a = smtp_accept_new(m->nrcpts);
	size_t n = 0, over = 0, off = 0;

	if (a == NULL) {
		http_mxdeliv_answer(m, SMTP_ACCEPT_REPLY_TEMP, 0);
		return;
	}
	a->path = SMTP_ACCEPT_MXDELIV;
	a->conf = m->srv->conf;
	a->db = m->srv->db;
	a->fd = m->fd;
	m->fd = -1;
	a->size = m->written;
	snprintf(a->sender, sizeof(a->sender), "%s", m->sender);
	snprintf(a->peer_ip, sizeof(a->peer_ip), "%s", m->peer_ip);
	for (size_t i = 0; i < m->nrcpts; i++) {
		if (!keep[i])
			continue;
		snprintf(a->rcpts[n].addr, sizeof(a->rcpts[n].addr), "%s", m->rcpts[i]);
		a->rcpts[n].is_discard = full[i]; /* QUOTA-2: checked by the gate, not stored */
		if (full[i]) {
			int k = snprintf(m->body + off, sizeof(m->body) - off,
			        "452 4.2.2 <%s> Mailbox full\r\n", m->rcpts[i]);

			if (k > 0 && (size_t)k < sizeof(m->body) - off)
				off += (size_t)k;
			over++;
		}
		n++;
	}
	a->nrcpts = n;
	m->acc = a;
	smtp_accept_run(st, a, ch);
	http_mxdeliv_answer(m, a->reply, over);
}

static void
http_mxdeliv_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct http_mxdeliv *m = arg;
	bool keep[HTTP_HEADERS_COUNT_MAX] = {false}, full[HTTP_HEADERS_COUNT_MAX] = {false};
	char line[SMTP_PATH_MAX + 80];
	const char *refusal;
	size_t kept = 0;
	int error = 0;

	for (size_t i = 0; i < m->nrcpts; i++) {
		uint64_t limit = 0;

		keep[i] = http_mxdeliv_keep(m, m->rcpts[i], &limit, &error);
		if (keep[i]) {
			full[i] = store_quota_would_exceed(st, m->rcpts[i], m->size, true, limit);
			kept++;
		}
	}
	if (error < 0) {
		http_mxdeliv_answer(m, SMTP_ACCEPT_REPLY_TEMP, 0);
		return;
	}
	if (kept == 0) { /* MXD-3: nothing to deliver, no further checks */
		http_mxdeliv_answer(m, HTTP_MXDELIV_REPLY_OK, 0);
		return;
	}
	refusal = http_mxdeliv_sender(m, line, sizeof(line));
	if (refusal != NULL) {
		http_mxdeliv_answer(m, refusal, 0);
		return;
	}
	http_mxdeliv_pipeline(st, m, keep, full, ch);
}

static void
http_mxdeliv_done(void *arg, uint64_t conn_id)
{
	struct http_mxdeliv *m = arg;
	struct conn *c = conn_lookup(m->srv, conn_id);
	struct smtp_accept *a = m->acc;
	bool has_stored = false;

	/* PUSH-1: the copies are durable whether or not the peer hears the answer. */
	for (size_t i = 0; a != NULL && a->reply[0] == '2' && i < a->nrcpts; i++) {
		if (a->rcpts[i].error != 0 || a->rcpts[i].is_discard)
			continue;
		has_stored = true;
		if (m->srv->meta != NULL)
			meta_notify(m->srv->meta, a->rcpts[i].addr, a->sender);
	}
	http_mxdeliv_count(m->srv, m->status, has_stored);
	if (c != NULL && c->session != NULL) {
		log_write(LOG_LEVEL_INFO, c->id, NULL, "mxdeliv status=%d rcpts=%zu size=%llu",
		        m->status, m->nrcpts, (unsigned long long)m->written);
		http_respond_status(c, m->status, m->body, NULL);
		http_session_resume(c);
	}
	http_mxdeliv_free(m);
}

/* http_mxdeliv_end - the body is spooled: the MXD-3 job answers later. */
static void
http_mxdeliv_end(struct conn *c, void *arg)
{
	struct http_mxdeliv *m = arg;

	http_session_wait(c);
	if (m->received != m->size || c->srv->store == NULL || c->srv->db == NULL ||
	        store_submit(c->srv->store, c->id, http_mxdeliv_work, http_mxdeliv_done, m) < 0) {
		http_mxdeliv_free(m);
		http_mxdeliv_count(c->srv, 500, false);
		http_respond_status(c, 500, HTTP_MXDELIV_REPLY_STORAGE, NULL);
		http_session_resume(c);
	}
}

void
http_mxdeliv_cb(struct conn *c, const struct http_request *req)
{
	const struct conf *conf = c->srv->conf;
	struct http_mxdeliv *m;
	const char *bad;

	if (req->content_length < 0) {
		http_mxdeliv_count(c->srv, 411, false);
		http_respond_status(c, 411, "", NULL);
		return;
	}
	if ((uint64_t)req->content_length > (uint64_t)conf->max_message_size) {
		http_session_close_after(c); /* MXD-2: the body is not read */
		http_mxdeliv_count(c->srv, 413, false);
		http_respond_status(c, 413, HTTP_MXDELIV_REPLY_SIZE, NULL);
		conn_close(c);
		return;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		http_mxdeliv_count(c->srv, 500, false);
		http_respond_status(c, 500, HTTP_MXDELIV_REPLY_STORAGE, NULL);
		return;
	}
	m->srv = c->srv;
	m->size = (uint64_t)req->content_length;
	snprintf(m->peer_ip, sizeof(m->peer_ip), "%s", c->peer_ip);
	bad = http_mxdeliv_envelope(m, req);
	if (bad != NULL) {
		free(m);
		http_mxdeliv_count(c->srv, 400, false);
		http_respond_status(c, 400, bad, NULL);
		return;
	}
	m->fd = smtp_spool_open(conf);
	if (m->fd < 0) {
		free(m);
		http_mxdeliv_count(c->srv, 500, false);
		http_respond_status(c, 500, HTTP_MXDELIV_REPLY_STORAGE, NULL);
		return;
	}
	http_session_take_body(c, http_mxdeliv_chunk, http_mxdeliv_end, http_mxdeliv_free, m);
}
