/*
 * queue_http.c - the HTTPS /mxdeliv transport (FED-2, FED-3, FED-8,
 * TLS-7): libcurl's multi interface driven by the libevent loop
 * (curl_multi_socket_action from socket events and one timer). Never
 * blocks. Names are not resolved by curl: the URL host's A/AAAA come from
 * the queue's c-ares resolver (queue_dns.c, so dns_server applies, CONF)
 * and reach curl through CURLOPT_RESOLVE, which keeps the URL host for
 * SNI and the certificate name check (TLS-7).
 *
 * Trust store: curl's CA bundle, or the file named by OpenSSL's
 * SSL_CERT_FILE variable when it is set, the same file the SMTP client
 * loads through SSL_CTX_set_default_verify_paths (TLS-7: one store).
 *
 * Does not: decide scheduling or touch files; it sets an attempt's
 * results and calls queue_attempt_finish, or hands the attempt to the
 * fallback (SMTP) when FED-3 says so.
 */
#include <ctype.h>
#include <arpa/inet.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <netinet/in.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "queue/queue_dns.h"
#include "queue/queue_int.h"

#define QUEUE_HTTP_BODY_MAX 65536 /* answer octets kept (one line per recipient) */

struct queue_http_req {
	struct queue_http *h;          /* borrowed */
	struct queue_attempt *a;       /* borrowed until finished */
	CURL *easy;                    /* owned */
	struct curl_slist *headers;    /* owned */
	struct curl_slist *resolve;    /* owned: CURLOPT_RESOLVE, the URL host's addresses */
	char host[QUEUE_DNS_NAME_MAX]; /* the URL host, looked up by queue_dns */
	int port;                      /* the URL port, for CURLOPT_RESOLVE */
	char *body;                    /* owned: the answer */
	size_t body_len;
	queue_http_fallback_fn *fallback;
	bool is_resolving; /* a queue_dns lookup holds r; not yet in the multi handle */
	struct queue_http_req *next;
};

struct queue_http {
	struct queue *q;             /* borrowed */
	CURLM *multi;                /* owned */
	struct event *timer;         /* owned */
	struct queue_http_req *reqs; /* owned list */
	char *cafile;                /* owned: SSL_CERT_FILE, or NULL for curl's bundle */
};

static void queue_http_check(struct queue_http *h);

static void
queue_http_event_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue_http *h = arg;
	int running,
	        action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	        ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(h->multi, fd, action, &running);
	queue_http_check(h);
}

static void
queue_http_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct queue_http *h = arg;
	int running;

	(void)fd;
	(void)what;
	curl_multi_socket_action(h->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	queue_http_check(h);
}

/* queue_http_socket_cb - CURLMOPT_SOCKETFUNCTION: one persistent event per socket. */
static int
queue_http_socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct queue_http *h = userp;
	struct event *ev = socketp;
	short kind = EV_PERSIST | ((what & CURL_POLL_IN) ? EV_READ : 0) |
	        ((what & CURL_POLL_OUT) ? EV_WRITE : 0);

	(void)easy;
	if (what == CURL_POLL_REMOVE) {
		if (ev != NULL) {
			event_free(ev);
			curl_multi_assign(h->multi, s, NULL);
		}
		return 0;
	}
	if (ev != NULL) {
		event_del(ev);
		event_assign(ev, h->q->base, s, kind, queue_http_event_cb, h);
	} else {
		ev = event_new(h->q->base, s, kind, queue_http_event_cb, h);
		if (ev == NULL)
			return -1;
		curl_multi_assign(h->multi, s, ev);
	}
	return event_add(ev, NULL);
}

/* queue_http_timeout_cb - CURLMOPT_TIMERFUNCTION. */
static int
queue_http_timeout_cb(CURLM *multi, long timeout_ms, void *userp)
{
	struct queue_http *h = userp;
	struct timeval tv = {.tv_sec = timeout_ms / 1000, .tv_usec = (timeout_ms % 1000) * 1000};

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(h->timer);
	return evtimer_add(h->timer, &tv);
}

struct queue_http *
queue_http_new(struct queue *q)
{
	struct queue_http *h = calloc(1, sizeof(*h));
	const char *cafile = getenv(X509_get_default_cert_file_env());

	if (h == NULL)
		return NULL;
	h->q = q;
	if (cafile != NULL && (h->cafile = strdup(cafile)) == NULL) {
		free(h);
		return NULL;
	}
	/* start-up, one thread: curl_global_init is not thread-safe */
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	        (h->multi = curl_multi_init()) == NULL ||
	        (h->timer = evtimer_new(q->base, queue_http_timer_cb, h)) == NULL) {
		queue_http_free(&h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETFUNCTION, queue_http_socket_cb);
	curl_multi_setopt(h->multi, CURLMOPT_SOCKETDATA, h);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERFUNCTION, queue_http_timeout_cb);
	curl_multi_setopt(h->multi, CURLMOPT_TIMERDATA, h);
	return h;
}

static void
queue_http_req_free(struct queue_http_req *r)
{
	if (r->easy != NULL) {
		if (!r->is_resolving)
			curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
	curl_slist_free_all(r->resolve);
	free(r->body);
	free(r);
}

/* queue_http_unlink - take r out of the list. */
static void
queue_http_unlink(struct queue_http *h, struct queue_http_req *r)
{
	for (struct queue_http_req **pp = &h->reqs; *pp != NULL; pp = &(*pp)->next) {
		if (*pp == r) {
			*pp = r->next;
			return;
		}
	}
}

void
queue_http_stop(struct queue_http *h)
{
	struct queue_http_req *r, *next;

	for (r = h != NULL ? h->reqs : NULL; r != NULL; r = next) {
		struct queue_attempt *a = r->a;

		next = r->next;
		if (r->is_resolving)
			continue; /* the DNS answer comes later and finds is_stopped */
		queue_http_unlink(h, r);
		queue_http_req_free(r);
		queue_attempt_set_all(a, 4, "451 4.3.0 Shutting down");
		queue_attempt_finish(a);
	}
}

void
queue_http_free(struct queue_http **hp)
{
	struct queue_http *h = *hp;

	if (h == NULL)
		return;
	while (h->reqs != NULL) {
		struct queue_http_req *r = h->reqs;

		h->reqs = r->next;
		queue_http_req_free(r);
	}
	if (h->multi != NULL)
		curl_multi_cleanup(h->multi);
	if (h->timer != NULL)
		event_free(h->timer);
	curl_global_cleanup();
	free(h->cafile);
	free(h);
	*hp = NULL;
}

static size_t
queue_http_write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct queue_http_req *r = userp;
	size_t len = size * nmemb, room = QUEUE_HTTP_BODY_MAX - r->body_len;
	char *grown;

	if (len > room)
		len = room; /* the rest is not needed: FED-3 reads the first lines */
	grown = realloc(r->body, r->body_len + len + 1);
	if (grown == NULL)
		return 0;
	r->body = grown;
	memcpy(r->body + r->body_len, data, len);
	r->body_len += len;
	r->body[r->body_len] = '\0';
	return size * nmemb;
}

/* queue_http_code - the 3-digit code at the start of s, or 0. */
static int
queue_http_code(const char *s, size_t len)
{
	if (len < 3 || !isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) ||
	        !isdigit((unsigned char)s[2]) || (len > 3 && isdigit((unsigned char)s[3])))
		return 0;
	return (s[0] - '0') * 100 + (s[1] - '0') * 10 + (s[2] - '0');
}

/* queue_http_first_line - the first line of the body, for the recipient's last error. */
static char *
queue_http_first_line(const char *body, size_t len)
{
	size_t n = 0;

	while (n < len && body[n] != '\r' && body[n] != '\n')
		n++;
	return strndup(body, n);
}

/* queue_http_apply_507 - FED-3: listed recipients failed temporarily, the others delivered. */
static void
queue_http_apply_507(struct queue_attempt *a, const char *body, size_t len)
{
	queue_attempt_set_all(a, 2, "250 2.0.0 OK");
	for (size_t off = 0; off < len;) {
		const char *line = body + off, *nl = memchr(line, '\n', len - off);
		size_t llen = nl != NULL ? (size_t)(nl - line) : len - off;

		off += llen + 1;
		for (size_t i = 0; i < a->n; i++) {
			size_t alen = strlen(a->rcpts[i]);
			const char *lt = memchr(line, '<', llen);

			if (queue_http_code(line, llen) != 452 || lt == NULL ||
			        (size_t)(lt - line) + alen + 2 > llen || lt[alen + 1] != '>' ||
			        strncasecmp(lt + 1, a->rcpts[i], alen) != 0)
				continue;
			a->results[i].cls = 4;
			free(a->results[i].reply);
			a->results[i].reply = queue_http_first_line(line, llen);
		}
	}
}

int
queue_http_apply(struct queue_attempt *a, long status, const char *body, size_t len)
{
	int code = queue_http_code(body, len);
	char *line;

	if (status == 200) {
		queue_attempt_set_all(a, 2, "250 2.0.0 OK");
		return 1;
	}
	if (status == 507) {
		queue_http_apply_507(a, body, len);
		return 1;
	}
	if ((status == 400 || status == 403 || status == 413) && code >= 400 && code < 600) {
		line = queue_http_first_line(body, len);
		queue_attempt_set_all(a, code / 100, line);
		free(line);
		return 1;
	}
	return 0;
}

/* queue_http_done - one transfer ended: FED-3, or fall back. */
static void
queue_http_done(struct queue_http *h, struct queue_http_req *r, CURLcode cc)
{
	struct queue_attempt *a = r->a;
	queue_http_fallback_fn *fallback = r->fallback;
	long status = 0;
	char why[160];
	int decided = 0;

	queue_http_unlink(h, r);
	if (cc == CURLE_OK) {
		curl_easy_getinfo(r->easy, CURLINFO_RESPONSE_CODE, &status);
		decided = queue_http_apply(a, status, r->body != NULL ? r->body : "", r->body_len);
		snprintf(why, sizeof(why), "HTTPS delivery answered %ld", status);
	} else
		/* the category only: curl's text may name the peer (LOG-2) */
		snprintf(why, sizeof(why), "HTTPS delivery failed: %s", curl_easy_strerror(cc));
	log_info("queue: /mxdeliv %s", decided ? "answered" : why);
	queue_http_req_free(r);
	if (decided)
		queue_attempt_finish(a);
	else
		fallback(a, why);
}

static void
queue_http_check(struct queue_http *h)
{
	CURLMsg *m;
	int left;

	while ((m = curl_multi_info_read(h->multi, &left)) != NULL) {
		struct queue_http_req *r = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&r);
		if (r != NULL)
			queue_http_done(h, r, m->data.result);
	}
}

/* queue_http_headers - FED-2 request headers. */
static int
queue_http_headers(struct queue_http_req *r, const struct queue_attempt *a)
{
	char line[QUEUE_ENTRY_ADDR_MAX + 32];
	struct curl_slist *l;

	if (a->sender[0] != '\0') {
		snprintf(line, sizeof(line), "X-Mail-From: %s", a->sender);
		if ((l = curl_slist_append(r->headers, line)) == NULL)
			return -1;
		r->headers = l;
	}
	for (size_t i = 0; i < a->n; i++) {
		snprintf(line, sizeof(line), "X-Mail-To: %s", a->rcpts[i]);
		if ((l = curl_slist_append(r->headers, line)) == NULL)
			return -1;
		r->headers = l;
	}
	/* no "Expect: 100-continue" round trip; the type is fixed (FED-2) */
	l = curl_slist_append(r->headers, "Content-Type: message/rfc822");
	if (l == NULL || (r->headers = l, l = curl_slist_append(r->headers, "Expect:")) == NULL)
		return -1;
	r->headers = l;
	return 0;
}

/* queue_http_setup - the easy handle of one request. */
static int
queue_http_setup(struct queue_http_req *r, const char *url, bool is_verified)
{
	struct queue *q = r->h->q;
	CURL *c = r->easy;
	/* http:// only for [routes] URLs (CONF-10); a https:// one never downgrades */
	const char *protocols = strncasecmp(url, "http://", 7) == 0 ? "http" : "https";

	if (curl_easy_setopt(c, CURLOPT_URL, url) != CURLE_OK)
		return -1;
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, protocols);
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 60L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, is_verified ? 1L : 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, is_verified ? 2L : 0L);
	if (r->h->cafile != NULL)
		curl_easy_setopt(c, CURLOPT_CAINFO, r->h->cafile);
	curl_easy_setopt(c, CURLOPT_POST, 1L);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, r->a->msg);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->a->msg_len);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, r->headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, queue_http_write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_PRIVATE, (char *)r);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "chatrelay");
	if (q->source_ip[0] != '\0') /* FED-8 */
		curl_easy_setopt(c, CURLOPT_INTERFACE, q->source_ip);
	return 0;
}

/*
 * queue_http_url_host - the host (brackets kept for IPv6) and port of url
 * into host and *port_r. 1: a name to resolve, 0: an address, -1: bad URL.
 */
static int
queue_http_url_host(const char *url, char *host, size_t len, int *port_r)
{
	CURLU *u = curl_url();
	char *h = NULL, *p = NULL;
	struct in_addr in;
	int rc = -1;

	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	        curl_url_get(u, CURLUPART_HOST, &h, 0) == CURLUE_OK &&
	        curl_url_get(u, CURLUPART_PORT, &p, CURLU_DEFAULT_PORT) == CURLUE_OK &&
	        strlen(h) < len) {
		snprintf(host, len, "%s", h);
		*port_r = atoi(p);
		rc = h[0] == '[' || inet_pton(AF_INET, h, &in) == 1 ? 0 : 1;
	}
	curl_free(h);
	curl_free(p);
	curl_url_cleanup(u);
	return rc;
}

/* queue_http_resolve_list - CURLOPT_RESOLVE "host:port:addr,addr" from the lookup. */
static int
queue_http_resolve_list(struct queue_http_req *r, const struct queue_dns_host *hosts, size_t n)
{
	char line[QUEUE_DNS_NAME_MAX + 16 + QUEUE_DNS_HOSTS_MAX * (INET6_ADDRSTRLEN + 3)];
	size_t off;

	off = (size_t)snprintf(line, sizeof(line), "%s:%d:", r->host, r->port);
	for (size_t i = 0; i < n && off < sizeof(line); i++) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)&hosts[i].addr;
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&hosts[i].addr;
		char ip[INET6_ADDRSTRLEN];
		const char *sep = off > 0 && line[off - 1] != ':' ? "," : "";

		if (hosts[i].addr.ss_family == AF_INET)
			inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof(ip));
		else if (hosts[i].addr.ss_family == AF_INET6)
			inet_ntop(AF_INET6, &sin6->sin6_addr, ip, sizeof(ip));
		else
			continue;
		off += (size_t)snprintf(line + off, sizeof(line) - off,
		        hosts[i].addr.ss_family == AF_INET6 ? "%s[%s]" : "%s%s", sep, ip);
	}
	if (off >= sizeof(line) || line[off - 1] == ':' ||
	        (r->resolve = curl_slist_append(NULL, line)) == NULL)
		return -1;
	return curl_easy_setopt(r->easy, CURLOPT_RESOLVE, r->resolve) == CURLE_OK ? 0 : -1;
}

/* queue_http_drop - r never reached curl: take it out, then stop or fall back. */
static void
queue_http_drop(struct queue_http_req *r, const char *why)
{
	struct queue_attempt *a = r->a;
	queue_http_fallback_fn *fallback = r->fallback;
	bool is_stopped = r->h->q->is_stopped;

	queue_http_unlink(r->h, r);
	queue_http_req_free(r);
	if (is_stopped) {
		queue_attempt_set_all(a, 4, "451 4.3.0 Shutting down");
		queue_attempt_finish(a);
		return;
	}
	log_info("queue: /mxdeliv %s", why);
	fallback(a, why);
}

/* queue_http_dns_cb - the URL host's addresses: pin them in curl and start (FED-2). */
static void
queue_http_dns_cb(
        void *arg, int cls, const struct queue_dns_host *hosts, size_t n, const char *reply)
{
	struct queue_http_req *r = arg;

	(void)reply;
	if (r->h->q->is_stopped) {
		queue_http_drop(r, "stopped");
		return;
	}
	/* FED-3: no address is like a connection error: SMTP decides (FED-4) */
	if (cls != 2) {
		queue_http_drop(r, "HTTPS delivery failed: no address for the host");
		return;
	}
	if (queue_http_resolve_list(r, hosts, n) < 0) {
		queue_http_drop(r, "HTTPS request could not start");
		return;
	}
	r->is_resolving = false;
	if (curl_multi_add_handle(r->h->multi, r->easy) != CURLM_OK) {
		r->is_resolving = true; /* not in the multi handle: nothing to remove */
		queue_http_drop(r, "HTTPS request could not start");
	}
}

int
queue_http_start(struct queue_http *h, struct queue_attempt *a, const char *url, bool is_verified,
        queue_http_fallback_fn *fallback)
{
	struct queue_http_req *r = calloc(1, sizeof(*r));
	int is_name;

	if (r == NULL)
		return -1;
	r->h = h;
	r->a = a;
	r->fallback = fallback;
	r->is_resolving = true; /* not in the multi handle yet */
	r->easy = curl_easy_init();
	is_name = queue_http_url_host(url, r->host, sizeof(r->host), &r->port);
	if (r->easy == NULL || is_name < 0 || queue_http_headers(r, a) < 0 ||
	        queue_http_setup(r, url, is_verified) < 0) {
		queue_http_req_free(r);
		return -1;
	}
	if (is_name == 0) {
		r->is_resolving = false;
		if (curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
			r->is_resolving = true;
			queue_http_req_free(r);
			return -1;
		}
	}
	r->next = h->reqs;
	h->reqs = r;
	/* every outcome from here on is an HTTPS try (HTTP-6), also a synchronous DNS answer */
	queue_attempt_set_transport(a, CORE_METRICS_TRANSPORT_MXDELIV);
	/* the answer may come before this returns; r is the callback's from here on */
	if (is_name == 1 &&
	        queue_dns_addresses(h->q->dns, r->host, r->port, queue_http_dns_cb, r) < 0) {
		a->has_transport = false;
		queue_http_unlink(h, r);
		queue_http_req_free(r);
		return -1;
	}
	return 0;
}

void
queue_http_skip_set(struct queue *q, const char *domain, int64_t until)
{
	struct queue_http_skip *k;

	for (k = q->http_skips; k != NULL; k = k->next)
		if (strcmp(k->domain, domain) == 0) {
			k->until = until;
			return;
		}
	k = calloc(1, sizeof(*k));
	if (k == NULL || (k->domain = strdup(domain)) == NULL) {
		free(k);
		return; /* a SHOULD: without memory HTTPS is simply tried again */
	}
	k->until = until;
	k->next = q->http_skips;
	q->http_skips = k;
}

bool
queue_http_is_skipped(struct queue *q, const char *domain, int64_t now)
{
	bool is_skipped = false;

	for (struct queue_http_skip **pp = &q->http_skips; *pp != NULL;) {
		struct queue_http_skip *k = *pp;

		if (k->until <= now) {
			*pp = k->next;
			free(k->domain);
			free(k);
			continue;
		}
		is_skipped = is_skipped || strcmp(k->domain, domain) == 0;
		pp = &k->next;
	}
	return is_skipped;
}
