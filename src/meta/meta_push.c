/*
 * meta_push.c - push notifications over HTTP(S) with libcurl's multi
 * interface on the libevent loop (SPEC PUSH-2..5, TLS-7, LOG-6).
 *
 * Each notification is one item: waiting in the ready queue, waiting on its
 * retry timer, or in flight. Items sit in a hash by (account, token) so a
 * delivery finds a waiting item for the same pair and adds nothing (PUSH-4).
 * The ready queue is drained by a zero-delay event, never inside the
 * caller's stack, with at most META_PUSH_INFLIGHT_MAX requests in flight
 * (PUSH-5). libcurl tells us which sockets to watch (socket callback) and
 * when to wake it (timer callback); we answer with curl_multi_socket_action.
 *
 * Does not: touch disk (pending items are memory only, LOG-6), log tokens
 * or accounts, block (libcurl resolves asynchronously), follow redirects.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <event2/event.h>

#include "core/core_log.h"
#include "core/core_time.h"
#include "meta/meta.h"
#include "meta/meta_push.h"
#include "meta/meta_retry.h"

#define META_PUSH_HASH_SIZE 4096

enum meta_push_state {
	META_PUSH_READY,    /* waiting in the ready queue */
	META_PUSH_RETRY,    /* waiting on its retry timer */
	META_PUSH_INFLIGHT, /* request running */
};

struct meta_push_item {
	struct meta_push *p; /* borrowed */
	char *account;       /* owned */
	char *token;         /* owned, NUL-terminated, token_len octets */
	size_t token_len;
	enum meta_push_state state;
	unsigned attempts;            /* attempts started */
	int64_t first_ms;             /* start of the first attempt */
	struct event *timer;          /* owned: retry timer, created on first use */
	CURL *easy;                   /* owned while in flight */
	struct meta_push_item *hnext; /* hash chain */
	struct meta_push_item *qnext; /* ready queue */
};

struct meta_push_sock {
	curl_socket_t fd;
	struct event *ev;            /* owned */
	struct meta_push *p;         /* borrowed */
	struct meta_push_sock *next; /* owned list (freed at the end if curl forgot) */
};

struct meta_push {
	struct event_base *base; /* borrowed */
	char *url;               /* owned */
	meta_push_gone_fn *gone;
	void *gone_ctx;
	CURLM *multi;               /* owned */
	struct curl_slist *headers; /* owned */
	struct event *curl_timer;   /* owned: libcurl's timeout */
	struct event *kick;         /* owned: drains the ready queue */
	struct meta_push_item *hash[META_PUSH_HASH_SIZE];
	struct meta_push_item *qhead, *qtail;
	struct meta_push_sock *socks;
	int64_t second_ms;
	struct meta_push_stats stats;
};

static void meta_push_dispatch_cb(evutil_socket_t fd, short what, void *arg);

/* meta_push_hash - FNV-1a over account and token. */
static size_t
meta_push_hash(const char *account, const char *token, size_t len)
{
	uint64_t h = 1469598103934665603ULL;

	for (const char *s = account; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	for (size_t i = 0; i < len; i++)
		h = (h ^ (unsigned char)token[i]) * 1099511628211ULL;
	return (size_t)(h % META_PUSH_HASH_SIZE);
}

/* meta_push_kick - drain the ready queue on the next loop turn. */
static void
meta_push_kick(struct meta_push *p)
{
	const struct timeval zero = {0, 0};

	evtimer_add(p->kick, &zero);
}

/* meta_push_unqueue - take it out of the ready queue (rare: forget_account). */
static void
meta_push_unqueue(struct meta_push *p, struct meta_push_item *it)
{
	struct meta_push_item **pp = &p->qhead, *prev = NULL;

	while (*pp != NULL && *pp != it) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp == NULL)
		return;
	*pp = it->qnext;
	if (p->qtail == it)
		p->qtail = prev;
	it->qnext = NULL;
}

/* meta_push_item_free - unlink from hash and queue, abort its request, release. */
static void
meta_push_item_free(struct meta_push_item *it)
{
	struct meta_push *p = it->p;
	struct meta_push_item **pp =
	        &p->hash[meta_push_hash(it->account, it->token, it->token_len)];

	while (*pp != NULL && *pp != it)
		pp = &(*pp)->hnext;
	if (*pp != NULL)
		*pp = it->hnext;
	if (it->state == META_PUSH_READY)
		meta_push_unqueue(p, it);
	if (it->easy != NULL) {
		curl_multi_remove_handle(p->multi, it->easy);
		curl_easy_cleanup(it->easy);
		p->stats.inflight--;
	}
	if (it->timer != NULL)
		event_free(it->timer);
	free(it->account);
	free(it->token);
	free(it);
	p->stats.pending--;
}

/* meta_push_ready - append to the ready queue and make sure it is drained. */
static void
meta_push_ready(struct meta_push_item *it)
{
	struct meta_push *p = it->p;

	it->state = META_PUSH_READY;
	it->qnext = NULL;
	if (p->qtail != NULL)
		p->qtail->qnext = it;
	else
		p->qhead = it;
	p->qtail = it;
	meta_push_kick(p);
}

/* meta_push_discard_cb - a response body is of no interest. */
static size_t
meta_push_discard_cb(char *data, size_t size, size_t n, void *ctx)
{
	(void)data;
	(void)ctx;
	return size * n;
}

/* meta_push_easy - one POST of the token octets, nothing else (PUSH-2, TLS-7). */
static CURL *
meta_push_easy(struct meta_push *p, struct meta_push_item *it)
{
	CURL *e = curl_easy_init();

	if (e == NULL)
		return NULL;
	if (curl_easy_setopt(e, CURLOPT_URL, p->url) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https") != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE, (long)it->token_len) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_POSTFIELDS, it->token) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_HTTPHEADER, p->headers) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)META_PUSH_TIMEOUT_S) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L) != CURLE_OK ||
	        /* TLS-7: chain and name verified against the system store, SNI by libcurl. */
	        curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, meta_push_discard_cb) != CURLE_OK ||
	        curl_easy_setopt(e, CURLOPT_PRIVATE, it) != CURLE_OK) {
		curl_easy_cleanup(e);
		return NULL;
	}
	return e;
}

/* meta_push_retry_cb - the retry timer fired: back into the ready queue. */
static void
meta_push_retry_cb(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	meta_push_ready(arg);
}

/* meta_push_failed - PUSH-3: schedule the next attempt or give up. */
static void
meta_push_failed(struct meta_push_item *it)
{
	struct meta_push *p = it->p;
	int64_t now = core_monotonic_ms();
	int64_t next = meta_retry_next(it->attempts, it->first_ms, now, p->second_ms);
	struct timeval tv;

	p->stats.failed++;
	if (next < 0 ||
	        (it->timer == NULL &&
	                (it->timer = evtimer_new(p->base, meta_push_retry_cb, it)) == NULL)) {
		p->stats.dropped++;
		log_info("push: notification dropped attempts=%u", it->attempts);
		meta_push_item_free(it);
		return;
	}
	it->state = META_PUSH_RETRY;
	tv.tv_sec = (time_t)((next - now) / 1000);
	tv.tv_usec = (suseconds_t)((next - now) % 1000 * 1000);
	evtimer_add(it->timer, &tv);
}

/* meta_push_start - begin one attempt; a failure to set it up counts as a failed attempt. */
static void
meta_push_start(struct meta_push *p, struct meta_push_item *it)
{
	if (it->attempts++ == 0)
		it->first_ms = core_monotonic_ms();
	it->state = META_PUSH_INFLIGHT;
	it->easy = meta_push_easy(p, it);
	if (it->easy != NULL && curl_multi_add_handle(p->multi, it->easy) != CURLM_OK) {
		curl_easy_cleanup(it->easy);
		it->easy = NULL;
	}
	if (it->easy == NULL) {
		meta_push_failed(it);
		return;
	}
	p->stats.inflight++;
	if (p->stats.inflight > p->stats.inflight_peak)
		p->stats.inflight_peak = p->stats.inflight;
}

/* meta_push_dispatch_cb - start queued notifications while slots are free (PUSH-5). */
static void
meta_push_dispatch_cb(evutil_socket_t fd, short what, void *arg)
{
	struct meta_push *p = arg;

	(void)fd;
	(void)what;
	while (p->qhead != NULL && p->stats.inflight < META_PUSH_INFLIGHT_MAX) {
		struct meta_push_item *it = p->qhead;

		p->qhead = it->qnext;
		if (p->qhead == NULL)
			p->qtail = NULL;
		it->qnext = NULL;
		meta_push_start(p, it);
	}
}

/* meta_push_result - PUSH-3: 2xx done, 410 done and token removed, else retry. */
static void
meta_push_result(struct meta_push_item *it, CURLcode rc, long status)
{
	struct meta_push *p = it->p;

	curl_multi_remove_handle(p->multi, it->easy);
	curl_easy_cleanup(it->easy);
	it->easy = NULL;
	p->stats.inflight--;
	if (rc == CURLE_OK && status >= 200 && status <= 299) {
		p->stats.ok++;
		meta_push_item_free(it);
	} else if (rc == CURLE_OK && status == 410) {
		p->stats.gone++;
		if (p->gone != NULL)
			p->gone(it->account, it->token, p->gone_ctx);
		meta_push_item_free(it);
	} else {
		log_info(
		        "push: attempt failed status=%ld error=%s", status, curl_easy_strerror(rc));
		meta_push_failed(it);
	}
	if (p->qhead != NULL)
		meta_push_kick(p);
}

/* meta_push_check_done - collect finished transfers after libcurl ran. */
static void
meta_push_check_done(struct meta_push *p)
{
	CURLMsg *msg;
	int left;

	while ((msg = curl_multi_info_read(p->multi, &left)) != NULL) {
		struct meta_push_item *it = NULL;
		long status = 0;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&it);
		curl_easy_getinfo(msg->easy_handle, CURLINFO_RESPONSE_CODE, &status);
		if (it != NULL)
			meta_push_result(it, msg->data.result, status);
	}
}

/* meta_push_sock_cb - a watched socket is ready: let libcurl work on it. */
static void
meta_push_sock_cb(evutil_socket_t fd, short what, void *arg)
{
	struct meta_push *p = arg;
	int running = 0;
	int action = ((what & EV_READ) ? CURL_CSELECT_IN : 0) |
	        ((what & EV_WRITE) ? CURL_CSELECT_OUT : 0);

	curl_multi_socket_action(p->multi, fd, action, &running);
	meta_push_check_done(p);
}

/* meta_push_curl_timer_cb - libcurl's timeout expired. */
static void
meta_push_curl_timer_cb(evutil_socket_t fd, short what, void *arg)
{
	struct meta_push *p = arg;
	int running = 0;

	(void)fd;
	(void)what;
	curl_multi_socket_action(p->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	meta_push_check_done(p);
}

/* meta_push_sock_drop - forget a socket libcurl no longer uses. */
static void
meta_push_sock_drop(struct meta_push *p, struct meta_push_sock *s)
{
	struct meta_push_sock **pp = &p->socks;

	while (*pp != NULL && *pp != s)
		pp = &(*pp)->next;
	if (*pp != NULL)
		*pp = s->next;
	if (s->ev != NULL)
		event_free(s->ev);
	free(s);
}

/* meta_push_socket_fn - CURLMOPT_SOCKETFUNCTION: (re)watch or forget fd. */
static int
meta_push_socket_fn(CURL *e, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct meta_push *p = userp;
	struct meta_push_sock *s = socketp;
	short kind = EV_PERSIST;

	(void)e;
	if (what == CURL_POLL_REMOVE) {
		if (s != NULL) {
			curl_multi_assign(p->multi, fd, NULL);
			meta_push_sock_drop(p, s);
		}
		return 0;
	}
	if (s == NULL) {
		s = calloc(1, sizeof(*s));
		if (s == NULL)
			return -1;
		s->fd = fd;
		s->p = p;
		s->next = p->socks;
		p->socks = s;
		curl_multi_assign(p->multi, fd, s);
	} else if (s->ev != NULL) {
		event_free(s->ev);
	}
	if (what & CURL_POLL_IN)
		kind |= EV_READ;
	if (what & CURL_POLL_OUT)
		kind |= EV_WRITE;
	s->ev = event_new(p->base, fd, kind, meta_push_sock_cb, p);
	if (s->ev == NULL || event_add(s->ev, NULL) < 0)
		return -1;
	return 0;
}

/* meta_push_timer_fn - CURLMOPT_TIMERFUNCTION: arm or stop libcurl's timeout. */
static int
meta_push_timer_fn(CURLM *multi, long timeout_ms, void *userp)
{
	struct meta_push *p = userp;
	struct timeval tv;

	(void)multi;
	if (timeout_ms < 0)
		return evtimer_del(p->curl_timer);
	/* never run socket_action from inside libcurl: a zero timeout waits one loop turn */
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	return evtimer_add(p->curl_timer, &tv);
}

/* meta_push_curl_init - libcurl's global state, once per process (start-up, one thread). */
static int
meta_push_curl_init(void)
{
	static bool is_done;

	if (!is_done && curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		return -1;
	is_done = true;
	return 0;
}

struct meta_push *
meta_push_new(struct event_base *base, const char *url, meta_push_gone_fn *gone, void *ctx)
{
	struct meta_push *p;

	if (meta_push_curl_init() < 0 || (p = calloc(1, sizeof(*p))) == NULL) {
		errno = ENOMEM;
		return NULL;
	}
	p->base = base;
	p->gone = gone;
	p->gone_ctx = ctx;
	p->second_ms = 1000;
	p->url = strdup(url);
	p->multi = curl_multi_init();
	/* no Expect: 100-continue round trip for tokens over 1 KiB; nothing personal is sent */
	p->headers = curl_slist_append(NULL, "Expect:");
	p->curl_timer = evtimer_new(base, meta_push_curl_timer_cb, p);
	p->kick = evtimer_new(base, meta_push_dispatch_cb, p);
	if (p->url == NULL || p->multi == NULL || p->headers == NULL || p->curl_timer == NULL ||
	        p->kick == NULL ||
	        curl_multi_setopt(p->multi, CURLMOPT_SOCKETFUNCTION, meta_push_socket_fn) !=
	                CURLM_OK ||
	        curl_multi_setopt(p->multi, CURLMOPT_SOCKETDATA, p) != CURLM_OK ||
	        curl_multi_setopt(p->multi, CURLMOPT_TIMERFUNCTION, meta_push_timer_fn) !=
	                CURLM_OK ||
	        curl_multi_setopt(p->multi, CURLMOPT_TIMERDATA, p) != CURLM_OK) {
		meta_push_free(&p);
		errno = ENOMEM;
		return NULL;
	}
	return p;
}

void
meta_push_free(struct meta_push **pp)
{
	struct meta_push *p = *pp;

	if (p == NULL)
		return;
	for (size_t i = 0; i < META_PUSH_HASH_SIZE; i++)
		while (p->hash[i] != NULL)
			meta_push_item_free(p->hash[i]);
	if (p->multi != NULL)
		curl_multi_cleanup(p->multi);
	while (p->socks != NULL)
		meta_push_sock_drop(p, p->socks);
	curl_slist_free_all(p->headers);
	if (p->curl_timer != NULL)
		event_free(p->curl_timer);
	if (p->kick != NULL)
		event_free(p->kick);
	free(p->url);
	free(p);
	*pp = NULL;
}

/* meta_push_find_waiting - a notification for the pair not yet in flight (PUSH-4). */
static struct meta_push_item *
meta_push_find_waiting(
        struct meta_push *p, size_t h, const char *account, const char *token, size_t len)
{
	for (struct meta_push_item *it = p->hash[h]; it != NULL; it = it->hnext)
		if (it->state != META_PUSH_INFLIGHT && it->token_len == len &&
		        memcmp(it->token, token, len) == 0 && strcmp(it->account, account) == 0)
			return it;
	return NULL;
}

int
meta_push_enqueue(struct meta_push *p, const char *account, const char *token, size_t len)
{
	size_t h = meta_push_hash(account, token, len);
	struct meta_push_item *it;

	if (meta_push_find_waiting(p, h, account, token, len) != NULL) {
		p->stats.coalesced++;
		return 0;
	}
	if (p->stats.pending >= META_PUSH_PENDING_MAX || (it = calloc(1, sizeof(*it))) == NULL) {
		p->stats.dropped++;
		errno = ENOMEM;
		return -1;
	}
	it->p = p;
	it->account = strdup(account);
	it->token = malloc(len + 1);
	if (it->account == NULL || it->token == NULL) {
		free(it->account);
		free(it->token);
		free(it);
		p->stats.dropped++;
		errno = ENOMEM;
		return -1;
	}
	memcpy(it->token, token, len);
	it->token[len] = '\0';
	it->token_len = len;
	it->hnext = p->hash[h];
	p->hash[h] = it;
	p->stats.pending++;
	meta_push_ready(it);
	return 0;
}

void
meta_push_forget_account(struct meta_push *p, const char *account)
{
	for (size_t i = 0; i < META_PUSH_HASH_SIZE; i++) {
		struct meta_push_item *it = p->hash[i];

		while (it != NULL) {
			struct meta_push_item *next = it->hnext;

			if (strcmp(it->account, account) == 0)
				meta_push_item_free(it);
			it = next;
		}
	}
}

void
meta_push_get_stats(const struct meta_push *p, struct meta_push_stats *s)
{
	*s = p->stats;
}

void
meta_push_set_second(struct meta_push *p, int64_t ms)
{
	p->second_ms = ms > 0 ? ms : 1;
}
