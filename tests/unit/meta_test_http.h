/*
 * meta_test_http.h - a tiny HTTP responder on 127.0.0.1 for the push tests,
 * run on its own thread. It answers each request with the next status of
 * a script (the last one repeats), records method, path and body of every
 * request, and counts how many connections were open at once: it accepts
 * everything that arrives and answers only after the listener has been
 * quiet for hold_ms, so a client's concurrency becomes visible.
 * Test-only code: bounded buffers, blocking sockets, no TLS.
 */
#ifndef CHATRELAY_TESTS_META_TEST_HTTP_H
#define CHATRELAY_TESTS_META_TEST_HTTP_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <event2/event.h>

#define MTH_MAX_REQ 64
#define MTH_MAX_CONN 32
#define MTH_BODY_MAX 9000

struct mth {
	int lfd;
	int port;
	int statuses[8];
	int status_count;
	int hold_ms;
	pthread_t thread;
	pthread_mutex_t lock;
	volatile bool stop;
	int requests;                           /* under lock */
	char bodies[MTH_MAX_REQ][MTH_BODY_MAX]; /* under lock */
	char lines[MTH_MAX_REQ][128];           /* request lines, under lock */
	int max_open;                           /* under lock */
};

/* mth_read_request - headers then Content-Length octets of body; 0 or -1. */
static int
mth_read_request(int fd, char *line, size_t line_size, char *body, size_t body_size)
{
	char buf[MTH_BODY_MAX + 2048];
	size_t len = 0;
	char *end = NULL;
	long clen = 0;

	while (end == NULL) {
		ssize_t n;

		if (len + 1 >= sizeof(buf))
			return -1;
		n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n <= 0)
			return -1;
		len += (size_t)n;
		buf[len] = '\0';
		end = strstr(buf, "\r\n\r\n");
	}
	snprintf(line, line_size, "%.*s", (int)strcspn(buf, "\r\n"), buf);
	for (char *h = strstr(buf, "\r\n"); h != NULL && h < end; h = strstr(h + 2, "\r\n"))
		if (strncasecmp(h + 2, "Content-Length:", 15) == 0)
			clen = strtol(h + 17, NULL, 10);
	end += 4;
	while ((long)(len - (size_t)(end - buf)) < clen) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);

		if (n <= 0)
			return -1;
		len += (size_t)n;
	}
	if ((size_t)clen >= body_size)
		clen = (long)body_size - 1;
	memcpy(body, end, (size_t)clen);
	body[clen] = '\0';
	return 0;
}

/* mth_answer - read one request on fd, answer it by the script, close. */
static void
mth_answer(struct mth *h, int fd)
{
	char line[128], resp[128];
	static char body[MTH_BODY_MAX];
	int status, idx;

	if (mth_read_request(fd, line, sizeof(line), body, sizeof(body)) < 0) {
		close(fd);
		return;
	}
	pthread_mutex_lock(&h->lock);
	idx = h->requests++;
	if (idx < MTH_MAX_REQ) {
		snprintf(h->bodies[idx], MTH_BODY_MAX, "%s", body);
		snprintf(h->lines[idx], sizeof(h->lines[idx]), "%s", line);
	}
	status = h->statuses[idx < h->status_count ? idx : h->status_count - 1];
	pthread_mutex_unlock(&h->lock);
	snprintf(resp, sizeof(resp),
	        "HTTP/1.1 %d X\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok", status);
	(void)!write(fd, resp, strlen(resp));
	close(fd);
}

static void *
mth_main(void *arg)
{
	struct mth *h = arg;
	int open_fds[MTH_MAX_CONN], open_count = 0;

	while (!h->stop) {
		struct pollfd pfd = {.fd = h->lfd, .events = POLLIN};
		int r = poll(&pfd, 1, open_count > 0 ? h->hold_ms : 20);

		if (r > 0) {
			int fd = accept(h->lfd, NULL, NULL);

			if (fd >= 0 && open_count < MTH_MAX_CONN) {
				open_fds[open_count++] = fd;
				pthread_mutex_lock(&h->lock);
				if (open_count > h->max_open)
					h->max_open = open_count;
				pthread_mutex_unlock(&h->lock);
			} else if (fd >= 0) {
				close(fd);
			}
			continue;
		}
		/* quiet for hold_ms: answer everything that is open */
		for (int i = 0; i < open_count; i++)
			mth_answer(h, open_fds[i]);
		open_count = 0;
	}
	for (int i = 0; i < open_count; i++)
		close(open_fds[i]);
	return NULL;
}

/* mth_start - listen on 127.0.0.1:<ephemeral>; statuses answered in turn. 0 or -1. */
static int
mth_start(struct mth *h, const int *statuses, int n, int hold_ms)
{
	struct sockaddr_in sa = {.sin_family = AF_INET};
	socklen_t sl = sizeof(sa);
	int one = 1;

	memset(h, 0, sizeof(*h));
	memcpy(h->statuses, statuses, sizeof(int) * (size_t)n);
	h->status_count = n;
	h->hold_ms = hold_ms;
	pthread_mutex_init(&h->lock, NULL);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	h->lfd = socket(AF_INET, SOCK_STREAM, 0);
	if (h->lfd < 0)
		return -1;
	setsockopt(h->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(h->lfd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(h->lfd, 64) < 0 ||
	        getsockname(h->lfd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	h->port = ntohs(sa.sin_port);
	return pthread_create(&h->thread, NULL, mth_main, h) == 0 ? 0 : -1;
}

static void
mth_stop(struct mth *h)
{
	h->stop = true;
	pthread_join(h->thread, NULL);
	close(h->lfd);
	pthread_mutex_destroy(&h->lock);
}

static int
mth_requests(struct mth *h)
{
	int n;

	pthread_mutex_lock(&h->lock);
	n = h->requests;
	pthread_mutex_unlock(&h->lock);
	return n;
}

/* mth_loop_until - run base until *flag(ctx) is true or ms pass; returns the flag. */
static bool
mth_loop_until(struct event_base *base, bool (*flag)(void *ctx), void *ctx, int ms)
{
	for (int i = 0; i < ms / 5 && !flag(ctx); i++) {
		struct timeval tv = {0, 5000};

		event_base_loopexit(base, &tv);
		event_base_dispatch(base);
	}
	return flag(ctx);
}

#endif
