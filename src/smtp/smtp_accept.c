/*
 * smtp_accept.c - the acceptance pipeline after the end of DATA (SUB-8,
 * SUB-9, SUB-10, MX-4, HDR-1, HDR-2, GATE-1, GATE-11, DKIM-8; see
 * smtp_accept.h). Runs on a worker thread.
 *
 * The spooled message is read (small) or mapped read-only (large: never
 * copied whole onto the heap); store_deliver_body() writes the rewritten header and the untouched
 * mapped body straight into the first recipient's Maildir file and links
 * it into the others'. Knows no session or socket: /mxdeliv reuses it.
 */
#include "smtp/smtp_accept.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "auth/auth_address.h"
#include "core/core_log.h"
#include "db/db.h"
#include "policy/policy_address.h"
#include "policy/policy_gate.h"
#include "policy/policy_header.h"
#include "smtp/smtp_spool.h"
#include "store/store.h"

/* Spools up to this size are read into the heap, larger ones mapped. */
#define SMTP_ACCEPT_READ_MAX ((uint64_t)256 * 1024)

static smtp_accept_dkim_fn *smtp_accept_dkim;
static void *smtp_accept_dkim_ctx;

void
smtp_accept_set_dkim_verifier(smtp_accept_dkim_fn *fn, void *ctx)
{
	smtp_accept_dkim = fn;
	smtp_accept_dkim_ctx = ctx;
}

struct smtp_accept *
smtp_accept_new(size_t nrcpts)
{
	struct smtp_accept *a = calloc(1, sizeof(*a));

	if (a == NULL)
		return NULL;
	a->fd = -1;
	a->queue_fd = -1;
	a->rcpts = calloc(nrcpts ? nrcpts : 1, sizeof(*a->rcpts));
	if (a->rcpts == NULL) {
		free(a);
		return NULL;
	}
	a->nrcpts = nrcpts;
	return a;
}

void
smtp_accept_free(struct smtp_accept **ap)
{
	struct smtp_accept *a = *ap;

	if (a == NULL)
		return;
	smtp_spool_release(a->fd);
	if (a->queue_fd >= 0)
		close(a->queue_fd);
	free(a->rcpts);
	free(a);
	*ap = NULL;
}

bool
smtp_accept_domain_allowed(const struct conf *conf, const char *domain)
{
	bool is_allowlist = conf->federation_policy == CONF_FEDERATION_ALLOWLIST;
	const struct conf_list *list =
	        is_allowlist ? &conf->federation_allowlist : &conf->federation_blocklist;
	bool is_listed = false;

	for (size_t i = 0; i < list->count && !is_listed; i++) {
		const char *w = list->words[i];

		is_listed = strcasecmp(w[0] == '@' ? w + 1 : w, domain) == 0;
	}
	return is_allowlist ? is_listed : !is_listed;
}

bool
smtp_accept_literal_matches(const char *from_domain, const char *peer_ip)
{
	size_t len = strlen(from_domain);
	const char *lit = from_domain + 1;

	if (len < 3 || from_domain[0] != '[' || from_domain[len - 1] != ']')
		return false;
	len -= 2;
	if (strncasecmp(peer_ip, "::ffff:", 7) == 0 && strchr(peer_ip + 7, '.') != NULL)
		peer_ip += 7;
	if (len > 5 && strncasecmp(lit, "IPv6:", 5) == 0) {
		lit += 5;
		len -= 5;
	}
	return strlen(peer_ip) == len && strncasecmp(lit, peer_ip, len) == 0;
}

/* smtp_accept_header_len - octets of the header fields (up to the empty line). */
static size_t
smtp_accept_header_len(const char *msg, size_t len)
{
	if (len >= 2 && msg[0] == '\r' && msg[1] == '\n')
		return 0;
	for (size_t i = 0; i + 3 < len; i++)
		if (msg[i] == '\r' && msg[i + 1] == '\n' && msg[i + 2] == '\r' &&
		        msg[i + 3] == '\n')
			return i + 2;
	return len;
}

/* smtp_accept_gate - GATE-1..11 in the direction of the path; NULL when it passes. */
static const char *
smtp_accept_gate(const struct smtp_accept *a, const char *msg, size_t len)
{
	const char **rcpts;
	struct gate_envelope env;
	enum gate_verdict verdict;
	const char *why = NULL;
	size_t n = 0;
	int r;

	if (!a->conf->enforce_e2ee)
		return NULL;
	rcpts = calloc(a->nrcpts ? a->nrcpts : 1, sizeof(*rcpts));
	if (rcpts == NULL)
		return SMTP_ACCEPT_REPLY_TEMP;
	for (size_t i = 0; i < a->nrcpts; i++)
		rcpts[n++] = a->rcpts[i].addr;
	memset(&env, 0, sizeof(env));
	env.sender = a->sender;
	env.rcpts = rcpts;
	env.nrcpts = n;
	env.passthrough_senders = a->conf->passthrough_senders.words;
	env.npassthrough_senders = a->conf->passthrough_senders.count;
	env.passthrough_recipients = a->conf->passthrough_recipients.words;
	env.npassthrough_recipients = a->conf->passthrough_recipients.count;
	r = gate_check(msg, len, a->path == SMTP_ACCEPT_SUBMISSION ? GATE_OUTGOING : GATE_INCOMING,
	        &env, &verdict, &why);
	free(rcpts);
	if (r < 0)
		return SMTP_ACCEPT_REPLY_TEMP;
	if (verdict != GATE_REJECT) {
		log_write(LOG_LEVEL_DEBUG, a->session_id, NULL, "gate pass verdict=%s",
		        gate_verdict_name(verdict));
		return NULL;
	}
	log_write(LOG_LEVEL_INFO, a->session_id, NULL, "gate reject why=\"%s\"", why ? why : "");
	return GATE_REPLY_REJECT;
}

/* smtp_accept_sender_refused - MX-4 4 / FED-10: From (and envelope) blocked or not federated. */
static bool
smtp_accept_sender_refused(const struct smtp_accept *a, const char *from)
{
	const char *domain = policy_address_domain(from);

	if (auth_is_blocklisted(&a->conf->sender_blocklist, from) ||
	        !smtp_accept_domain_allowed(a->conf, domain))
		return true;
	if (a->db != NULL && (db_block_has(a->db, from) == 1 || db_block_has(a->db, domain) == 1))
		return true;
	return false;
}

/* smtp_accept_inbound_checks - MX-4 steps 2-6; NULL when the message may be delivered. */
static const char *
smtp_accept_inbound_checks(const struct smtp_accept *a, const char *msg, size_t len, size_t hlen)
{
	char from[ADDRESS_MAX];
	const char *domain, *reply;

	if (hdr_from_address(msg, hlen, from, sizeof(from)) < 0)
		return HDR_REPLY_FROM_INVALID;
	domain = policy_address_domain(from);
	if (strcasecmp(domain, a->conf->mail_domain) == 0)
		return SMTP_ACCEPT_REPLY_LOCAL_FROM;
	if (smtp_accept_sender_refused(a, from))
		return SMTP_ACCEPT_REPLY_SENDER;
	reply = smtp_accept_gate(a, msg, len);
	if (reply != NULL)
		return reply;
	if (!a->conf->dkim_verify)
		return NULL; /* DKIM-9 */
	if (domain[0] == '[')
		return smtp_accept_literal_matches(domain, a->peer_ip) ? NULL
		                                                       : SMTP_ACCEPT_REPLY_LITERAL;
	/* DKIM-5..7: the verifier arrives with the DNS resolver (federation). */
	if (smtp_accept_dkim != NULL)
		return smtp_accept_dkim(msg, len, domain, smtp_accept_dkim_ctx);
	log_write(LOG_LEVEL_DEBUG, a->session_id, NULL, "dkim verifier not installed: not checked");
	return NULL;
}

/* smtp_accept_has_remote - SUB-10: some recipient goes to the outbound queue. */
static bool
smtp_accept_has_remote(const struct smtp_accept *a)
{
	for (size_t i = 0; i < a->nrcpts; i++)
		if (a->rcpts[i].is_remote)
			return true;
	return false;
}

/* smtp_accept_queue_copy - the HDR-1 header plus the body into a->queue_fd (SUB-10). */
static const char *
smtp_accept_queue_copy(
        struct smtp_accept *a, const char *h1, size_t h1len, const char *msg, size_t len)
{
	size_t hlen = smtp_accept_header_len(msg, len);

	a->queue_fd = smtp_spool_open(a->conf);
	if (a->queue_fd < 0 || smtp_spool_write(a->queue_fd, h1, h1len) < 0 ||
	        smtp_spool_write(a->queue_fd, msg + hlen, len - hlen) < 0) {
		log_write(LOG_LEVEL_ERROR, a->session_id, NULL, "queue spool write failed errno=%d",
		        errno);
		return SMTP_ACCEPT_REPLY_TEMP;
	}
	return NULL;
}

/* smtp_accept_checks - SUB-8 2-4 or MX-4 2-6, then the cleaned header into *hdr_r. */
static const char *
smtp_accept_checks(
        struct smtp_accept *a, const char *msg, size_t len, char **hdr_r, size_t *hdr_len_r)
{
	size_t hlen = smtp_accept_header_len(msg, len);
	const char *reply = NULL;
	char *h1 = NULL;
	size_t h1len = 0;
	int r;

	if (a->path == SMTP_ACCEPT_SUBMISSION) {
		if (hdr_from_check(msg, hlen, a->auth_addr, &reply) < 0)
			return reply;
		reply = smtp_accept_gate(a, msg, len);
		if (reply != NULL)
			return reply;
		if (hdr_cleanup(msg, hlen, HDR_CLEANUP_SUBMISSION, &h1, &h1len) < 0)
			return SMTP_ACCEPT_REPLY_TEMP;
		if (smtp_accept_has_remote(a)) {
			reply = smtp_accept_queue_copy(a, h1, h1len, msg, len);
			if (reply != NULL) {
				free(h1);
				return reply;
			}
		}
		r = hdr_cleanup(h1, h1len, HDR_CLEANUP_DELIVERY, hdr_r, hdr_len_r);
		free(h1);
	} else {
		reply = smtp_accept_inbound_checks(a, msg, len, hlen);
		if (reply != NULL)
			return reply;
		r = hdr_cleanup(msg, hlen, HDR_CLEANUP_DELIVERY, hdr_r, hdr_len_r);
	}
	return r < 0 ? SMTP_ACCEPT_REPLY_TEMP : NULL;
}

/* smtp_accept_deliver - the HDR-2 header and the mapped body into every local INBOX (SUB-10). */
static const char *
smtp_accept_deliver(struct store *st, struct smtp_accept *a, const char *hdr, size_t hdr_len,
        const char *rest, size_t rest_len, struct store_changes *ch)
{
	struct store_rcpt *rcpts = calloc(a->nrcpts ? a->nrcpts : 1, sizeof(*rcpts));
	struct store_piece piece[2] = {{hdr, hdr_len}, {rest, rest_len}};
	struct store_body body = {.fd = -1, .piece = piece, .npieces = 2, .size = hdr_len + rest_len};
	size_t n = 0;
	int r;

	if (rcpts == NULL)
		return SMTP_ACCEPT_REPLY_TEMP;
	for (size_t i = 0; i < a->nrcpts; i++)
		if (!a->rcpts[i].is_discard && !a->rcpts[i].is_remote)
			rcpts[n++] = (struct store_rcpt){.account = a->rcpts[i].addr};
	if (n == 0) {
		free(rcpts);
		return SMTP_ACCEPT_REPLY_OK;
	}
	r = store_deliver_body(st, &body, time(NULL), rcpts, n, ch);
	for (size_t i = 0, j = 0; i < a->nrcpts; i++) {
		if (!a->rcpts[i].is_discard && !a->rcpts[i].is_remote) {
			a->rcpts[i].error = rcpts[j].error;
			a->rcpts[i].uid = rcpts[j].error == 0 ? rcpts[j].uid : 0;
			j++;
		}
	}
	free(rcpts);
	if (r < 0) {
		log_write(LOG_LEVEL_ERROR, a->session_id, NULL, "delivery failed errno=%d", errno);
		/* SMTP-10: the 451 leaves no copy behind, so the retry makes no duplicate */
		if (smtp_accept_undo(st, a, ch) < 0)
			log_write(LOG_LEVEL_ERROR, a->session_id, NULL,
			        "local copies of a refused message not removed errno=%d", errno);
		return SMTP_ACCEPT_REPLY_TEMP;
	}
	return SMTP_ACCEPT_REPLY_OK;
}

int
smtp_accept_undo(struct store *st, struct smtp_accept *a, struct store_changes *ch)
{
	int rc = 0, saved = 0;

	for (size_t i = 0; i < a->nrcpts; i++) {
		struct store_mailbox *mb = NULL;
		uint32_t uid = a->rcpts[i].uid;

		if (uid == 0)
			continue;
		/* an account listed twice shares one copy (store_deliver) */
		for (size_t j = i; j < a->nrcpts; j++)
			if (a->rcpts[j].uid == uid &&
			        strcmp(a->rcpts[j].addr, a->rcpts[i].addr) == 0)
				a->rcpts[j].uid = 0;
		if (store_mailbox_open(st, a->rcpts[i].addr, "INBOX", &mb) < 0 ||
		        store_mailbox_expunge(mb, &uid, 1, false, ch, NULL, NULL) < 0) {
			saved = errno;
			rc = -1;
		}
		store_mailbox_close(&mb);
	}
	errno = saved;
	return rc;
}

/*
 * smtp_accept_view - the spooled message in memory: small ones are read
 * into the heap (a mapping costs more: its munmap interrupts every CPU
 * running a thread of this process), large ones are mapped, never copied.
 */
static const char *
smtp_accept_view(struct smtp_accept *a, void **map_r, char **buf_r)
{
	ssize_t r;

	*map_r = NULL;
	*buf_r = NULL;
	if (a->size == 0)
		return "";
	if (a->size > SMTP_ACCEPT_READ_MAX) {
		*map_r = mmap(NULL, a->size, PROT_READ, MAP_PRIVATE, a->fd, 0);
		if (*map_r == MAP_FAILED) {
			*map_r = NULL;
			return NULL;
		}
		return *map_r;
	}
	*buf_r = malloc(a->size);
	if (*buf_r == NULL)
		return NULL;
	do
		r = pread(a->fd, *buf_r, a->size, 0);
	while (r < 0 && errno == EINTR);
	if (r != (ssize_t)a->size) {
		if (r >= 0)
			errno = EIO; /* the spool is shorter than the session counted */
		free(*buf_r);
		*buf_r = NULL;
		return NULL;
	}
	return *buf_r;
}

int
smtp_accept_run(struct store *st, struct smtp_accept *a, struct store_changes *ch)
{
	const char *msg;
	void *map;
	char *buf, *hdr = NULL;
	size_t hdr_len = 0, hlen;
	bool is_ok;

	a->reply = SMTP_ACCEPT_REPLY_TEMP;
	msg = smtp_accept_view(a, &map, &buf);
	if (msg == NULL) {
		log_write(LOG_LEVEL_ERROR, a->session_id, NULL, "spool read failed errno=%d", errno);
		return -1;
	}
	a->reply = smtp_accept_checks(a, msg, a->size, &hdr, &hdr_len);
	/* SUB-11: the queue entry is durable before a local copy can be seen */
	if (a->reply == NULL && a->queue_fd >= 0 && (a->hold == NULL || a->hold(a, a->hold_arg) < 0))
		a->reply = SMTP_ACCEPT_REPLY_TEMP;
	if (a->reply == NULL) {
		hlen = smtp_accept_header_len(msg, a->size);
		a->reply = smtp_accept_deliver(st, a, hdr, hdr_len, msg + hlen, a->size - hlen, ch);
	}
	free(hdr);
	free(buf);
	if (map != NULL)
		munmap(map, a->size);
	is_ok = a->reply[0] == '2';
	log_write(LOG_LEVEL_INFO, a->session_id, NULL, "message %s size=%llu rcpts=%zu reply=%.3s",
	        is_ok ? "accepted" : "refused", (unsigned long long)a->size, a->nrcpts, a->reply);
	return is_ok ? 0 : -1;
}
