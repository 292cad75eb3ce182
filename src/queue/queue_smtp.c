/*
 * queue_smtp.c - the outbound SMTP client session (FED-4..6, FED-8,
 * TLS-7; RFC 5321, RFC 3207 STARTTLS, RFC 1870 SIZE, RFC 6152 8BITMIME,
 * RFC 6531 SMTPUTF8).
 *
 * One session per attempt: hosts from queue_dns in order; a connection,
 * greeting, EHLO, STARTTLS or TLS failure moves to the next host; after
 * MAIL the session's replies decide per recipient (FED-6). Commands are
 * sent one at a time (PIPELINING is optional, FED-5). Never blocks: a
 * bufferevent (an OpenSSL filter after STARTTLS) on the loop.
 *
 * Log lines carry no host, domain or address (LOG-2).
 */
#include <ctype.h>
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/event.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_log.h"
#include "queue/queue_dns.h"
#include "queue/queue_dotstuff.h"
#include "queue/queue_int.h"
#include "queue/queue_smtp.h"

#define QUEUE_SMTP_REPLY_MAX 512 /* kept of a reply (first line) */
#define QUEUE_SMTP_LINE_MAX 4096 /* a reply line longer than this ends the session */
#define QUEUE_SMTP_CONNECT_TIMEOUT 30
#define QUEUE_SMTP_REPLY_TIMEOUT 300
#define QUEUE_SMTP_DATA_TIMEOUT 600

enum queue_smtp_state {
	QUEUE_SMTP_STATE_CONNECT,
	QUEUE_SMTP_STATE_GREETING,
	QUEUE_SMTP_STATE_EHLO,
	QUEUE_SMTP_STATE_STARTTLS,
	QUEUE_SMTP_STATE_TLS,
	QUEUE_SMTP_STATE_EHLO_TLS,
	QUEUE_SMTP_STATE_MAIL,
	QUEUE_SMTP_STATE_RCPT,
	QUEUE_SMTP_STATE_DATA,
	QUEUE_SMTP_STATE_DOT,
};

struct queue_smtp_sess {
	struct queue_smtp *s;    /* borrowed */
	struct queue_attempt *a; /* borrowed until finished */
	struct queue_dns_host hosts[QUEUE_DNS_HOSTS_MAX];
	size_t n_hosts, next_host;
	const struct queue_dns_host *host; /* the host of the connection */
	struct bufferevent *bev;           /* owned */
	enum queue_smtp_state state;
	bool is_verified; /* TLS-7 */
	bool is_resolving;
	bool has_starttls, has_size, has_8bitmime, has_smtputf8, has_pipelining;
	bool is_pipelined; /* MAIL, RCPTs and DATA sent together (RFC 2920) */
	bool is_in_cb;     /* the read callback is on the stack */
	bool is_dead;      /* freed in the callback: free(ss) when it returns */
	uint64_t max_size;
	int code;                         /* of the reply being read */
	bool is_continued;                /* inside a multi-line reply */
	char reply[QUEUE_SMTP_REPLY_MAX]; /* its first line */
	size_t rcpt_i;
	size_t accepted;
	bool *is_accepted;                /* owned, per recipient */
	char error[QUEUE_SMTP_REPLY_MAX]; /* the last host's failure */
	struct queue_smtp_sess *next;
};

struct queue_smtp {
	struct queue *q;                  /* borrowed */
	SSL_CTX *ctx;                     /* owned */
	struct queue_smtp_sess *sessions; /* owned list */
	char helo[300];                   /* FED-5: hostname, an address as [a.b.c.d] */
};

static void queue_smtp_next_host(struct queue_smtp_sess *ss);
static void queue_smtp_read_cb(struct bufferevent *bev, void *arg);
static void queue_smtp_event_cb(struct bufferevent *bev, short what, void *arg);

struct queue_smtp *
queue_smtp_new(struct queue *q)
{
	struct queue_smtp *s = calloc(1, sizeof(*s));

	if (s == NULL)
		return NULL;
	s->q = q;
	s->ctx = SSL_CTX_new(TLS_client_method());
	if (s->ctx == NULL) {
		queue_smtp_free(&s);
		return NULL;
	}
	SSL_CTX_set_min_proto_version(s->ctx, TLS1_2_VERSION);
	struct in6_addr ip;
	const char *h = q->conf->hostname;
	if (inet_pton(AF_INET, h, &ip) == 1)
		snprintf(s->helo, sizeof(s->helo), "[%s]", h);
	else if (inet_pton(AF_INET6, h, &ip) == 1)
		snprintf(s->helo, sizeof(s->helo), "[IPv6:%s]", h);
	else
		snprintf(s->helo, sizeof(s->helo), "%s", h);
	if (SSL_CTX_set_default_verify_paths(s->ctx) != 1)
		log_warn("queue: no system trust store: outbound TLS verification will fail");
	return s;
}

/* queue_smtp_sess_free - unlink and free; the attempt is not touched. */
static void
queue_smtp_sess_free(struct queue_smtp_sess *ss)
{
	for (struct queue_smtp_sess **pp = &ss->s->sessions; *pp != NULL; pp = &(*pp)->next)
		if (*pp == ss) {
			*pp = ss->next;
			break;
		}
	if (ss->bev != NULL)
		bufferevent_free(ss->bev);
	ss->bev = NULL;
	free(ss->is_accepted);
	ss->is_accepted = NULL;
	if (ss->is_in_cb) {
		ss->is_dead = true; /* never free the object whose callback is on the stack */
		return;
	}
	free(ss);
}

/* queue_smtp_finish - the attempt's results are set: end the session. */
static void
queue_smtp_finish(struct queue_smtp_sess *ss)
{
	struct queue_attempt *a = ss->a;
	bool is_delivered = false;

	for (size_t i = 0; i < a->n; i++)
		is_delivered = is_delivered || a->results[i].cls == 2;
	/* FED-3: HTTPS failed and SMTP worked: leave HTTPS out for this domain a while */
	if (a->is_http_failed && is_delivered)
		queue_http_skip_set(ss->s->q, a->domain, queue_now() + QUEUE_SCHEDULE_HTTP_SKIP);

	if (ss->bev != NULL && ss->state >= QUEUE_SMTP_STATE_MAIL)
		bufferevent_write(ss->bev, "QUIT\r\n", 6); /* courtesy; not awaited */
	queue_smtp_sess_free(ss);
	queue_attempt_finish(a);
}

void
queue_smtp_stop(struct queue_smtp *s)
{
	struct queue_smtp_sess *ss, *next;

	for (ss = s != NULL ? s->sessions : NULL; ss != NULL; ss = next) {
		next = ss->next;
		if (ss->is_resolving)
			continue; /* the DNS answer comes later and finds is_stopped */
		queue_attempt_set_all(ss->a, 4, "451 4.3.0 Shutting down");
		queue_smtp_finish(ss);
	}
}

void
queue_smtp_free(struct queue_smtp **sp)
{
	struct queue_smtp *s = *sp;

	if (s == NULL)
		return;
	while (s->sessions != NULL)
		queue_smtp_sess_free(s->sessions);
	SSL_CTX_free(s->ctx);
	free(s);
	*sp = NULL;
}

/* queue_smtp_send - one command line. */
static void queue_smtp_send(struct queue_smtp_sess *ss, enum queue_smtp_state next, const char *fmt,
        ...) __attribute__((format(printf, 3, 4)));

static void
queue_smtp_send(struct queue_smtp_sess *ss, enum queue_smtp_state next, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	evbuffer_add_vprintf(bufferevent_get_output(ss->bev), fmt, ap);
	va_end(ap);
	evbuffer_add(bufferevent_get_output(ss->bev), "\r\n", 2);
	ss->state = next;
}

/* queue_smtp_host_failed - this host is unusable: try the next one (FED-4). */
static void
queue_smtp_host_failed(struct queue_smtp_sess *ss, const char *why)
{
	/* the code only: peer replies may name hosts or addresses (LOG-2) */
	log_info("queue: SMTP host failed: code=%.3s", why);
	snprintf(ss->error, sizeof(ss->error), "%s", why);
	if (ss->bev != NULL) {
		bufferevent_free(ss->bev);
		ss->bev = NULL;
	}
	queue_smtp_next_host(ss);
}

/* queue_smtp_fail_open - results for recipients not yet decided (after MAIL). */
static void
queue_smtp_fail_open(struct queue_smtp_sess *ss, int cls, const char *reply)
{
	for (size_t i = 0; i < ss->a->n; i++) {
		if (i < ss->rcpt_i && !ss->is_accepted[i])
			continue; /* its RCPT reply decided */
		ss->a->results[i].cls = cls;
		free(ss->a->results[i].reply);
		ss->a->results[i].reply = strdup(reply);
	}
	queue_smtp_finish(ss);
}

/* queue_smtp_ehlo_line - one EHLO keyword (RFC 5321 4.1.1.1). */
static void
queue_smtp_ehlo_line(struct queue_smtp_sess *ss, const char *kw)
{
	if (strcasecmp(kw, "STARTTLS") == 0)
		ss->has_starttls = true;
	else if (strcasecmp(kw, "8BITMIME") == 0)
		ss->has_8bitmime = true;
	else if (strcasecmp(kw, "SMTPUTF8") == 0)
		ss->has_smtputf8 = true;
	else if (strcasecmp(kw, "PIPELINING") == 0)
		ss->has_pipelining = true;
	else if (strncasecmp(kw, "SIZE", 4) == 0 && (kw[4] == '\0' || kw[4] == ' ')) {
		ss->has_size = true;
		ss->max_size = kw[4] == ' ' ? strtoull(kw + 5, NULL, 10) : 0;
	}
}

/* queue_smtp_has_8bit - octets above 127 in s (len). */
static bool
queue_smtp_has_8bit(const char *s, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] > 127)
			return true;
	return false;
}

/* queue_smtp_mail - MAIL FROM with the extensions the message needs (FED-5, FED-6). */
static void
queue_smtp_mail(struct queue_smtp_sess *ss)
{
	struct queue_attempt *a = ss->a;
	bool needs_utf8 = queue_smtp_has_8bit(a->sender, strlen(a->sender));
	char params[96] = "";

	for (size_t i = 0; i < a->n; i++)
		needs_utf8 = needs_utf8 || queue_smtp_has_8bit(a->rcpts[i], strlen(a->rcpts[i]));
	if (needs_utf8 && !ss->has_smtputf8) {
		queue_attempt_set_all(a, 5, "553 5.6.7 Peer does not support SMTPUTF8");
		queue_smtp_finish(ss);
		return;
	}
	if (ss->has_size && ss->max_size > 0 && a->msg_len > ss->max_size) {
		queue_attempt_set_all(a, 5, "552 5.3.4 Message too big for the destination");
		queue_smtp_finish(ss);
		return;
	}
	if (ss->has_size)
		snprintf(params, sizeof(params), " SIZE=%zu", a->msg_len);
	if (ss->has_8bitmime && queue_smtp_has_8bit(a->msg, a->msg_len))
		strcat(params, " BODY=8BITMIME");
	if (needs_utf8)
		strcat(params, " SMTPUTF8");
	ss->rcpt_i = 0;
	queue_smtp_send(ss, QUEUE_SMTP_STATE_MAIL, "MAIL FROM:<%s>%s", a->sender, params);
	if (ss->has_pipelining) {
		/* RFC 2920: the replies come in order; the state machine reads them one by one */
		ss->is_pipelined = true;
		for (size_t i = 0; i < a->n; i++)
			queue_smtp_send(ss, QUEUE_SMTP_STATE_MAIL, "RCPT TO:<%s>", a->rcpts[i]);
		queue_smtp_send(ss, QUEUE_SMTP_STATE_MAIL, "DATA");
	}
}

/* queue_smtp_body - the message, dot-stuffed, and the final dot (FED-5). */
static void
queue_smtp_body(struct queue_smtp_sess *ss)
{
	struct queue_attempt *a = ss->a;
	struct queue_dotstuff d;
	char *out = malloc(QUEUE_DOTSTUFF_OUT_MAX(a->msg_len) + QUEUE_DOTSTUFF_FINISH_MAX);
	struct timeval tv = {QUEUE_SMTP_DATA_TIMEOUT, 0};
	size_t n;

	if (out == NULL) {
		queue_smtp_fail_open(ss, 4, "451 4.3.0 Out of memory");
		return;
	}
	queue_dotstuff_init(&d);
	n = queue_dotstuff_feed(&d, a->msg, a->msg_len, out);
	n += queue_dotstuff_finish(&d, out + n);
	evbuffer_add(bufferevent_get_output(ss->bev), out, n);
	free(out);
	bufferevent_set_timeouts(ss->bev, &tv, &tv);
	ss->state = QUEUE_SMTP_STATE_DOT;
}

/* queue_smtp_starttls - wrap the connection in TLS (RFC 3207), verified per TLS-7. */
static void
queue_smtp_starttls(struct queue_smtp_sess *ss)
{
	SSL *ssl = SSL_new(ss->s->ctx);
	struct bufferevent *tls;
	const char *name = ss->host->name;
	struct in6_addr ip;
	bool is_ip = inet_pton(AF_INET, name, &ip) == 1 || inet_pton(AF_INET6, name, &ip) == 1;

	if (ssl == NULL) {
		queue_smtp_host_failed(ss, "451 4.7.5 TLS set-up failed");
		return;
	}
	if (!is_ip)
		SSL_set_tlsext_host_name(ssl, name); /* SNI for names only (RFC 6066 3) */
	if (ss->is_verified) {
		SSL_set_verify(ssl, SSL_VERIFY_PEER, NULL);
		SSL_set1_host(ssl, name);
	} else
		SSL_set_verify(ssl, SSL_VERIFY_NONE, NULL);
	tls = bufferevent_openssl_filter_new(
	        ss->s->q->base, ss->bev, ssl, BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE);
	if (tls == NULL) {
		SSL_free(ssl);
		queue_smtp_host_failed(ss, "451 4.7.5 TLS set-up failed");
		return;
	}
	ss->bev = tls; /* the filter owns the socket bufferevent now */
	bufferevent_setcb(tls, queue_smtp_read_cb, NULL, queue_smtp_event_cb, ss);
	bufferevent_enable(tls, EV_READ | EV_WRITE);
	ss->state = QUEUE_SMTP_STATE_TLS;
	ss->has_starttls = ss->has_size = ss->has_8bitmime = ss->has_smtputf8 = false;
	ss->has_pipelining = false;
}

/* queue_smtp_rcpt_reply - FED-6: the RCPT reply decides this recipient unless it is 2xx. */
static void
queue_smtp_rcpt_reply(struct queue_smtp_sess *ss)
{
	struct queue_attempt *a = ss->a;
	size_t i = ss->rcpt_i++;

	if (ss->code / 100 == 2) {
		ss->is_accepted[i] = true;
		ss->accepted++;
	} else {
		a->results[i].cls = ss->code / 100 == 5 ? 5 : 4;
		free(a->results[i].reply);
		a->results[i].reply = strdup(ss->reply);
	}
	if (ss->rcpt_i < a->n) {
		if (ss->is_pipelined)
			ss->state = QUEUE_SMTP_STATE_RCPT;
		else
			queue_smtp_send(
			        ss, QUEUE_SMTP_STATE_RCPT, "RCPT TO:<%s>", a->rcpts[ss->rcpt_i]);
	} else if (ss->accepted == 0)
		queue_smtp_finish(ss); /* a pipelined DATA is refused by the peer; QUIT follows */
	else if (ss->is_pipelined)
		ss->state = QUEUE_SMTP_STATE_DATA;
	else
		queue_smtp_send(ss, QUEUE_SMTP_STATE_DATA, "DATA");
}

/* queue_smtp_reply - a complete reply in state ss->state. */
static void
queue_smtp_reply(struct queue_smtp_sess *ss)
{
	int cls = ss->code / 100;
	char why[QUEUE_SMTP_REPLY_MAX + 32];

	switch (ss->state) {
	case QUEUE_SMTP_STATE_GREETING:
		if (cls != 2) {
			queue_smtp_host_failed(ss, ss->reply);
			return;
		}
		queue_smtp_send(ss, QUEUE_SMTP_STATE_EHLO, "EHLO %s", ss->s->helo);
		return;
	case QUEUE_SMTP_STATE_EHLO:
		if (cls != 2) {
			queue_smtp_host_failed(ss, ss->reply);
			return;
		}
		if (!ss->has_starttls) { /* FED-5: TLS is required, never plaintext */
			queue_smtp_host_failed(ss, "451 4.7.4 Peer does not offer STARTTLS");
			return;
		}
		queue_smtp_send(ss, QUEUE_SMTP_STATE_STARTTLS, "STARTTLS");
		return;
	case QUEUE_SMTP_STATE_STARTTLS:
		if (cls != 2) {
			snprintf(why, sizeof(why), "451 4.7.4 STARTTLS refused: %s", ss->reply);
			queue_smtp_host_failed(ss, why);
			return;
		}
		queue_smtp_starttls(ss);
		return;
	case QUEUE_SMTP_STATE_EHLO_TLS:
		if (cls != 2) {
			queue_smtp_host_failed(ss, ss->reply);
			return;
		}
		queue_smtp_mail(ss);
		return;
	case QUEUE_SMTP_STATE_MAIL:
		if (cls != 2) {
			queue_smtp_fail_open(ss, cls == 5 ? 5 : 4, ss->reply);
			return;
		}
		if (ss->is_pipelined)
			ss->state = QUEUE_SMTP_STATE_RCPT;
		else
			queue_smtp_send(ss, QUEUE_SMTP_STATE_RCPT, "RCPT TO:<%s>", ss->a->rcpts[0]);
		return;
	case QUEUE_SMTP_STATE_RCPT: queue_smtp_rcpt_reply(ss); return;
	case QUEUE_SMTP_STATE_DATA:
		if (ss->code != 354) {
			queue_smtp_fail_open(ss, cls == 5 ? 5 : 4, ss->reply);
			return;
		}
		queue_smtp_body(ss);
		return;
	case QUEUE_SMTP_STATE_DOT:
		/* FED-6: the DATA reply decides every accepted recipient */
		queue_smtp_fail_open(ss, cls == 2 ? 2 : cls == 5 ? 5 : 4, ss->reply);
		return;
	case QUEUE_SMTP_STATE_CONNECT:
	case QUEUE_SMTP_STATE_TLS:
		queue_smtp_host_failed(ss, "451 4.4.2 Unexpected data from the peer");
		return;
	}
}

/* queue_smtp_line - one reply line; 1 when the reply is complete, -1 on a protocol error. */
static int
queue_smtp_line(struct queue_smtp_sess *ss, const char *line, size_t len, bool is_first)
{
	int code;

	if (len < 3 || !isdigit((unsigned char)line[0]) || !isdigit((unsigned char)line[1]) ||
	        !isdigit((unsigned char)line[2]) || (len > 3 && line[3] != ' ' && line[3] != '-'))
		return -1;
	code = (line[0] - '0') * 100 + (line[1] - '0') * 10 + (line[2] - '0');
	if (is_first) {
		ss->code = code;
		snprintf(ss->reply, sizeof(ss->reply), "%.*s", (int)len, line);
	} else if (code != ss->code)
		return -1;
	if ((ss->state == QUEUE_SMTP_STATE_EHLO || ss->state == QUEUE_SMTP_STATE_EHLO_TLS) &&
	        !is_first && len > 4)
		queue_smtp_ehlo_line(ss, line + 4);
	return len > 3 && line[3] == '-' ? 0 : 1;
}

static void
queue_smtp_read_cb(struct bufferevent *bev, void *arg)
{
	struct queue_smtp_sess *ss = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	char *line;
	size_t len;

	ss->is_in_cb = true;
	/* several replies may wait (PIPELINING); a new bev (next host, TLS) ends the loop */
	while (!ss->is_dead && ss->bev == bev &&
	        (line = evbuffer_readln(in, &len, EVBUFFER_EOL_CRLF)) != NULL) {
		int rc = queue_smtp_line(ss, line, len, !ss->is_continued);

		free(line);
		ss->is_continued = rc == 0;
		if (rc < 0) {
			if (ss->state >= QUEUE_SMTP_STATE_MAIL)
				queue_smtp_fail_open(ss, 4, "451 4.5.0 Bad reply from the peer");
			else
				queue_smtp_host_failed(ss, "451 4.5.0 Bad reply from the peer");
		} else if (rc > 0)
			queue_smtp_reply(ss); /* may end the session or replace ss->bev */
	}
	if (!ss->is_dead && ss->bev == bev && evbuffer_get_length(in) > QUEUE_SMTP_LINE_MAX)
		queue_smtp_host_failed(ss, "451 4.5.0 Reply line too long");
	ss->is_in_cb = false;
	if (ss->is_dead)
		free(ss);
}

/* queue_smtp_connected - TCP up (wait for 220) or TLS up (EHLO again). */
static void
queue_smtp_connected(struct queue_smtp_sess *ss)
{
	struct timeval tv = {QUEUE_SMTP_REPLY_TIMEOUT, 0};

	bufferevent_set_timeouts(ss->bev, &tv, &tv);
	if (ss->state == QUEUE_SMTP_STATE_CONNECT)
		ss->state = QUEUE_SMTP_STATE_GREETING;
	else if (ss->state == QUEUE_SMTP_STATE_TLS)
		queue_smtp_send(ss, QUEUE_SMTP_STATE_EHLO_TLS, "EHLO %s", ss->s->helo);
}

static void
queue_smtp_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct queue_smtp_sess *ss = arg;
	const char *why;

	if (bev != ss->bev)
		return;
	if (what & BEV_EVENT_CONNECTED) {
		queue_smtp_connected(ss);
		return;
	}
	if (ss->state == QUEUE_SMTP_STATE_CONNECT)
		why = (what & BEV_EVENT_TIMEOUT) ? "451 4.4.1 Connection timed out"
		                                 : "451 4.4.1 Connection refused or failed";
	else if (ss->state == QUEUE_SMTP_STATE_TLS)
		why = "451 4.7.5 TLS handshake or certificate verification failed";
	else if (what & BEV_EVENT_TIMEOUT)
		why = "451 4.4.2 Timeout waiting for the peer";
	else
		why = "451 4.4.2 Connection lost";
	if (ss->state >= QUEUE_SMTP_STATE_MAIL)
		queue_smtp_fail_open(ss, 4, why);
	else
		queue_smtp_host_failed(ss, why);
}

/* queue_smtp_socket - a non-blocking socket, bound to the FED-8 source address. */
static int
queue_smtp_socket(struct queue_smtp_sess *ss)
{
	const struct queue_dns_host *h = ss->host;
	int fd = socket(h->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	const char *src = ss->s->q->source_ip;
	struct sockaddr_in sin;

	if (fd < 0)
		return -1;
	/* Commands go out whole; see listener_accept_cb on Nagle and delayed ACKs. */
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &(int){1}, sizeof(int));
	if (src[0] != '\0' && h->addr.ss_family == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		if (inet_pton(AF_INET, src, &sin.sin_addr) == 1 &&
		        bind(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0)
			log_warn("queue: cannot bind the source address: %s", strerror(errno));
	}
	return fd;
}

static void
queue_smtp_next_host(struct queue_smtp_sess *ss)
{
	struct timeval tv = {QUEUE_SMTP_CONNECT_TIMEOUT, 0};
	int fd;

	if (ss->s->q->is_stopped || ss->next_host >= ss->n_hosts) {
		/* FED-4: every host failed: a temporary failure of the attempt */
		queue_attempt_set_all(
		        ss->a, 4, ss->error[0] != '\0' ? ss->error : "451 4.4.1 No host reachable");
		queue_smtp_finish(ss);
		return;
	}
	ss->host = &ss->hosts[ss->next_host++];
	ss->state = QUEUE_SMTP_STATE_CONNECT;
	ss->is_continued = false;
	ss->has_starttls = ss->has_size = ss->has_8bitmime = ss->has_smtputf8 = false;
	ss->has_pipelining = ss->is_pipelined = false;
	fd = queue_smtp_socket(ss);
	ss->bev = fd < 0 ? NULL : bufferevent_socket_new(ss->s->q->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (ss->bev == NULL) {
		if (fd >= 0)
			close(fd);
		queue_smtp_host_failed(ss, "451 4.3.0 Cannot create a socket");
		return;
	}
	bufferevent_setcb(ss->bev, queue_smtp_read_cb, NULL, queue_smtp_event_cb, ss);
	bufferevent_set_timeouts(ss->bev, &tv, &tv);
	bufferevent_enable(ss->bev, EV_READ | EV_WRITE);
	if (bufferevent_socket_connect(
	            ss->bev, (const struct sockaddr *)&ss->host->addr, (int)ss->host->addr_len) < 0)
		queue_smtp_host_failed(ss, "451 4.4.1 Connection failed");
}

/* queue_smtp_dns_cb - the hosts of the domain (FED-4). */
static void
queue_smtp_dns_cb(
        void *arg, int cls, const struct queue_dns_host *hosts, size_t n, const char *reply)
{
	struct queue_smtp_sess *ss = arg;

	ss->is_resolving = false;
	if (cls != 2) {
		queue_attempt_set_all(ss->a, cls, reply);
		queue_smtp_finish(ss);
		return;
	}
	memcpy(ss->hosts, hosts, n * sizeof(*hosts));
	ss->n_hosts = n;
	queue_smtp_next_host(ss);
}

void
queue_smtp_start(
        struct queue_smtp *s, struct queue_attempt *a, bool is_http_failed, const char *why)
{
	const struct conf *conf = s->q->conf;
	const struct conf_route *route = conf_route_find(conf, a->domain);
	struct queue_smtp_sess *ss;
	char reply[QUEUE_ENTRY_ERROR_MAX];

	if (route != NULL && route->smtp_host == NULL) {
		snprintf(reply, sizeof(reply), "451 4.4.1 %s", why);
		queue_attempt_set_all(a, 4, reply);
		queue_attempt_finish(a);
		return;
	}
	ss = calloc(1, sizeof(*ss));
	if (ss != NULL)
		ss->is_accepted = calloc(a->n, sizeof(*ss->is_accepted));
	if (ss == NULL || ss->is_accepted == NULL) {
		free(ss);
		queue_attempt_set_all(a, 4, "451 4.3.0 Out of memory");
		queue_attempt_finish(a);
		return;
	}
	ss->s = s;
	ss->a = a;
	a->is_http_failed = is_http_failed;
	queue_attempt_set_transport(a, CORE_METRICS_TRANSPORT_SMTP);
	ss->is_verified =
	        !(conf->federation_insecure_tls || a->domain[0] == '[' || a->domain[0] == '_');
	ss->next = s->sessions;
	s->sessions = ss;
	ss->is_resolving = true;
	if (queue_dns_resolve(s->q->dns, a->domain, route != NULL ? route->smtp_host : NULL,
	            route != NULL ? route->smtp_port : 25, queue_smtp_dns_cb, ss) < 0) {
		ss->is_resolving = false;
		queue_attempt_set_all(a, 4, "451 4.3.0 Out of memory");
		queue_smtp_finish(ss);
	}
}
