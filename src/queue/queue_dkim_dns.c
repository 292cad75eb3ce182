/*
 * queue_dkim_dns.c - the inbound DKIM verifier with its key lookups
 * (DKIM-5..7): plugged into the acceptance pipeline (smtp_accept.h) at
 * start-up, called on worker threads.
 *
 * Lookups are blocking on the calling worker (GEN-4 puts DNS work on
 * workers): one c-ares channel per lookup against dns_server (UDP, TCP on
 * truncation by c-ares, 5 s timeout, 2 tries), driven with select() until
 * done. Answers are cached process-wide under a mutex: positive for their
 * TTL capped at 1 h, negative (NXDOMAIN / no TXT) for 5 min, at most
 * QUEUE_DKIM_DNS_CACHE_MAX entries; temporary failures are not cached.
 *
 * Does not: run on the loop thread, log message content or key material.
 */
#include "queue/queue_dkim_dns.h"

#include <ares.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/select.h>
#include <time.h>

#include "core/core_log.h"
#include "queue/queue_dkim.h"

#define QUEUE_DKIM_DNS_CACHE_MAX 1000
#define QUEUE_DKIM_DNS_TTL_MAX 3600
#define QUEUE_DKIM_DNS_NEG_TTL 300
#define QUEUE_DKIM_DNS_NAME_MAX 512
#define QUEUE_DKIM_DNS_RECORD_MAX 8192

struct queue_dkim_dns_entry {
	char name[QUEUE_DKIM_DNS_NAME_MAX];
	enum queue_dkim_lookup answer; /* FOUND or NONE */
	char *record;                  /* owned: FOUND only */
	time_t expires;                /* 0: free slot */
};

struct queue_dkim_dns {
	char *server; /* owned: "host:port" csv for c-ares, NULL = system resolver */
	pthread_mutex_t lock;
	struct queue_dkim_dns_entry cache[QUEUE_DKIM_DNS_CACHE_MAX];
};

/* The result of one c-ares query. */
struct queue_dkim_dns_query {
	enum queue_dkim_lookup answer;
	char *record; /* malloc'ed on FOUND */
	long ttl;
	bool is_done;
};

struct queue_dkim_dns *
queue_dkim_dns_new(const char *dns_server)
{
	struct queue_dkim_dns *d = calloc(1, sizeof(*d));

	if (d == NULL)
		return NULL;
	if (dns_server != NULL && dns_server[0] != '\0' &&
	        (d->server = strdup(dns_server)) == NULL) {
		free(d);
		return NULL;
	}
	if (pthread_mutex_init(&d->lock, NULL) != 0 ||
	        ares_library_init(ARES_LIB_INIT_ALL) != ARES_SUCCESS) {
		free(d->server);
		free(d);
		return NULL;
	}
	return d;
}

void
queue_dkim_dns_free(struct queue_dkim_dns **dp)
{
	struct queue_dkim_dns *d = *dp;

	if (d == NULL)
		return;
	for (size_t i = 0; i < QUEUE_DKIM_DNS_CACHE_MAX; i++)
		free(d->cache[i].record);
	pthread_mutex_destroy(&d->lock);
	free(d->server);
	free(d);
	*dp = NULL;
}

/* queue_dkim_dns_skip_name - past a (possibly compressed) name in a DNS message; -1 bad. */
static long
queue_dkim_dns_skip_name(const unsigned char *b, long len, long off)
{
	while (off < len) {
		unsigned c = b[off];

		if (c == 0)
			return off + 1;
		if ((c & 0xc0) == 0xc0)
			return off + 2 <= len ? off + 2 : -1;
		off += 1 + (long)c;
	}
	return -1;
}

/* queue_dkim_dns_ttl - TTL of the first answer record (c-ares' TXT parser drops it). */
static long
queue_dkim_dns_ttl(const unsigned char *b, int len)
{
	long off;

	if (len < 12 || ((b[4] << 8) | b[5]) < 1 || ((b[6] << 8) | b[7]) < 1)
		return 0;
	off = queue_dkim_dns_skip_name(b, len, 12);
	if (off < 0 || off + 4 > len)
		return 0;
	off = queue_dkim_dns_skip_name(b, len, off + 4);
	if (off < 0 || off + 8 > len)
		return 0;
	return ((long)b[off + 4] << 24) | ((long)b[off + 5] << 16) | ((long)b[off + 6] << 8) |
	        (long)b[off + 7];
}

/* queue_dkim_dns_record - the first TXT record, its strings concatenated. */
static char *
queue_dkim_dns_record(struct ares_txt_ext *txt)
{
	char *out = malloc(QUEUE_DKIM_DNS_RECORD_MAX + 1);
	size_t len = 0;

	if (out == NULL)
		return NULL;
	for (struct ares_txt_ext *t = txt; t != NULL; t = t->next) {
		if (t != txt && t->record_start)
			break;
		if (len + t->length > QUEUE_DKIM_DNS_RECORD_MAX)
			break;
		memcpy(out + len, t->txt, t->length);
		len += t->length;
	}
	out[len] = '\0';
	return out;
}

static void
queue_dkim_dns_cb(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct queue_dkim_dns_query *q = arg;
	struct ares_txt_ext *txt = NULL;

	(void)timeouts;
	q->is_done = true;
	q->answer = QUEUE_DKIM_LOOKUP_TEMPFAIL;
	if (status == ARES_ENODATA || status == ARES_ENOTFOUND) {
		q->answer = QUEUE_DKIM_LOOKUP_NONE;
		return;
	}
	if (status != ARES_SUCCESS)
		return;
	status = ares_parse_txt_reply_ext(abuf, alen, &txt);
	if (status == ARES_ENODATA) {
		q->answer = QUEUE_DKIM_LOOKUP_NONE;
	} else if (status == ARES_SUCCESS && txt != NULL) {
		q->record = queue_dkim_dns_record(txt);
		q->ttl = queue_dkim_dns_ttl(abuf, alen);
		if (q->record != NULL)
			q->answer = QUEUE_DKIM_LOOKUP_FOUND;
	}
	if (txt != NULL)
		ares_free_data(txt);
}

/* queue_dkim_dns_query - one blocking TXT query on a private channel. */
static void
queue_dkim_dns_query(
        const struct queue_dkim_dns *d, const char *name, struct queue_dkim_dns_query *q)
{
	struct ares_options opts;
	ares_channel ch;

	memset(q, 0, sizeof(*q));
	q->answer = QUEUE_DKIM_LOOKUP_TEMPFAIL;
	memset(&opts, 0, sizeof(opts));
	opts.timeout = 5000;
	opts.tries = 2;
	if (ares_init_options(&ch, &opts, ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES) != ARES_SUCCESS)
		return;
	if (d->server != NULL && ares_set_servers_ports_csv(ch, d->server) != ARES_SUCCESS)
		log_warn("dkim: dns_server is not usable; using the system resolver");
	ares_query(ch, name, 1 /* C_IN */, 16 /* T_TXT */, queue_dkim_dns_cb, q);
	while (!q->is_done) {
		fd_set rd, wr;
		struct timeval tv, *tvp;
		int nfds;

		FD_ZERO(&rd);
		FD_ZERO(&wr);
		nfds = ares_fds(ch, &rd, &wr);
		if (nfds == 0)
			break;
		tvp = ares_timeout(ch, NULL, &tv);
		select(nfds, &rd, &wr, NULL, tvp);
		ares_process(ch, &rd, &wr);
	}
	ares_destroy(ch); /* runs the callback (ARES_EDESTRUCTION) if still pending */
}

/* queue_dkim_dns_cache_get - a live cache entry for name; record copied. Locked inside. */
static bool
queue_dkim_dns_cache_get(struct queue_dkim_dns *d, const char *name, time_t now,
        enum queue_dkim_lookup *answer_r, char **record_r)
{
	bool is_hit = false;

	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < QUEUE_DKIM_DNS_CACHE_MAX && !is_hit; i++) {
		struct queue_dkim_dns_entry *e = &d->cache[i];

		if (e->expires > now && strcmp(e->name, name) == 0) {
			*answer_r = e->answer;
			*record_r = e->record != NULL ? strdup(e->record) : NULL;
			is_hit = e->record == NULL || *record_r != NULL;
		}
	}
	pthread_mutex_unlock(&d->lock);
	return is_hit;
}

/* queue_dkim_dns_cache_put - store an answer, replacing a dead or the soonest-expiring entry. */
static void
queue_dkim_dns_cache_put(struct queue_dkim_dns *d, const char *name, time_t expires,
        enum queue_dkim_lookup answer, const char *record)
{
	struct queue_dkim_dns_entry *victim = &d->cache[0];
	char *copy = record != NULL ? strdup(record) : NULL;

	if (record != NULL && copy == NULL)
		return;
	pthread_mutex_lock(&d->lock);
	for (size_t i = 0; i < QUEUE_DKIM_DNS_CACHE_MAX; i++) {
		struct queue_dkim_dns_entry *e = &d->cache[i];

		if (strcmp(e->name, name) == 0 || e->expires < victim->expires) {
			victim = e;
			if (strcmp(e->name, name) == 0)
				break;
		}
	}
	free(victim->record);
	snprintf(victim->name, sizeof(victim->name), "%s", name);
	victim->answer = answer;
	victim->record = copy;
	victim->expires = expires;
	pthread_mutex_unlock(&d->lock);
}

/* queue_dkim_dns_lookup - queue_dkim_lookup_fn: cache, else a blocking query. */
static enum queue_dkim_lookup
queue_dkim_dns_lookup(void *ctx, const char *selector, const char *domain, char **record_r)
{
	struct queue_dkim_dns *d = ctx;
	char name[QUEUE_DKIM_DNS_NAME_MAX];
	struct queue_dkim_dns_query q;
	enum queue_dkim_lookup answer;
	time_t now = time(NULL);
	int n = snprintf(name, sizeof(name), "%s._domainkey.%s", selector, domain);

	*record_r = NULL;
	if (n < 0 || (size_t)n >= sizeof(name))
		return QUEUE_DKIM_LOOKUP_NONE;
	if (queue_dkim_dns_cache_get(d, name, now, &answer, record_r))
		return answer;
	queue_dkim_dns_query(d, name, &q);
	if (q.answer == QUEUE_DKIM_LOOKUP_FOUND) {
		long ttl = q.ttl < QUEUE_DKIM_DNS_TTL_MAX ? q.ttl : QUEUE_DKIM_DNS_TTL_MAX;

		if (ttl > 0)
			queue_dkim_dns_cache_put(d, name, now + ttl, q.answer, q.record);
		*record_r = q.record;
	} else if (q.answer == QUEUE_DKIM_LOOKUP_NONE) {
		queue_dkim_dns_cache_put(d, name, now + QUEUE_DKIM_DNS_NEG_TTL, q.answer, NULL);
	}
	return q.answer;
}

const char *
queue_dkim_dns_verify(const char *msg, size_t len, const char *from_domain, void *ctx)
{
	enum queue_dkim_result r = queue_dkim_verify_buf(
	        msg, len, from_domain, (int64_t)time(NULL), queue_dkim_dns_lookup, ctx);

	log_debug("dkim: verification result=%s", queue_dkim_result_name(r));
	return queue_dkim_result_reply(r);
}
