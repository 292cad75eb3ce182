/*
 * queue_http.c - the HTTPS /mxdeliv transport (FED-2, FED-3, FED-8,
 * TLS-7): libcurl's multi interface driven by the libevent loop
 * (curl_multi_socket_action from socket events and one timer). Never
 * blocks: curl resolves names with its threaded resolver.
 *
 * Does not: decide scheduling or touch files; it sets an attempt's
 * results and calls queue_attempt_finish, or hands the attempt to the
 * fallback (SMTP) when FED-3 says so.
 */
#include <ctype.h>
#include <curl/curl.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "queue/queue_int.h"

#define QUEUE_HTTP_BODY_MAX 65536 /* answer octets kept (one line per recipient) */

struct queue_http_req {
	struct queue_http *h;       /* borrowed */
	struct queue_attempt *a;    /* borrowed until finished */
	CURL *easy;                 /* owned */
	struct curl_slist *headers; /* owned */
	char *body;                 /* owned: the answer */
	size_t body_len;
	queue_http_fallback_fn *fallback;
	struct queue_http_req *next;
};

struct queue_http {
	struct queue *q;             /* borrowed */
	CURLM *multi;                /* owned */
	struct event *timer;         /* owned */
	struct queue_http_req *reqs; /* owned list */
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

	if (h == NULL)
		return NULL;
	h->q = q;
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
		curl_multi_remove_handle(r->h->multi, r->easy);
		curl_easy_cleanup(r->easy);
	}
	curl_slist_free_all(r->headers);
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
	while (h != NULL && h->reqs != NULL) {
		struct queue_http_req *r = h->reqs;
		struct queue_attempt *a = r->a;

		h->reqs = r->next;
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

int
queue_http_start(struct queue_http *h, struct queue_attempt *a, const char *url, bool is_verified,
        queue_http_fallback_fn *fallback)
{
	struct queue_http_req *r = calloc(1, sizeof(*r));

	if (r == NULL)
		return -1;
	r->h = h;
	r->a = a;
	r->fallback = fallback;
	r->easy = curl_easy_init();
	if (r->easy == NULL || queue_http_headers(r, a) < 0 ||
	        queue_http_setup(r, url, is_verified) < 0 ||
	        curl_multi_add_handle(h->multi, r->easy) != CURLM_OK) {
		curl_easy_cleanup(r->easy);
		r->easy = NULL;
		queue_http_req_free(r);
		return -1;
	}
	r->next = h->reqs;
	h->reqs = r;
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
