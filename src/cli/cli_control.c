/*
 * cli_control.c - the server side of the control socket (CLI-3): accept on
 * a unix socket, read one request, run it on a worker, apply the effects
 * on the loop, answer, close. Also the client side, cli_control_call().
 * Control connections are few and local; they do not count as clients.
 */
#include "cli/cli_control.h"

#include <errno.h>
#include <fcntl.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/listener.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "auth/auth.h"
#include "cli/cli.h"
#include "cli/cli_account.h"
#include "cli/cli_queue.h"
#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_log.h"
#include "core/core_priv.h"
#include "core/core_str.h"
#include "net/net_server.h"
#include "net/net_worker.h"
#include "store/store.h"

#define CLI_CONTROL_ARGS_MAX 16

struct cli_control_conn {
	uint64_t id;
	struct cli_control *ctl; /* borrowed */
	struct bufferevent *bev; /* owned */
	bool is_busy;
	struct cli_control_conn *next; /* owned list of the control */
};

struct cli_control {
	struct server *srv;             /* borrowed */
	struct auth *auth;              /* borrowed */
	struct evconnlistener *evl;     /* owned */
	char path[4096];                /* the real path, for chmod and unlink */
	struct cli_control_conn *conns; /* owned */
	uint64_t next_id;
};

struct cli_control_job {
	struct cli_control *ctl; /* borrowed */
	char *line;              /* owned, wiped (may hold a password) */
	char *out;               /* owned: the response text */
	size_t out_len;
	int status;
	struct cli_effects fx;
};

static void
cli_control_conn_free(struct cli_control_conn *cc)
{
	struct cli_control_conn **p = &cc->ctl->conns;

	while (*p != NULL && *p != cc)
		p = &(*p)->next;
	if (*p != NULL)
		*p = cc->next;
	bufferevent_free(cc->bev);
	free(cc);
}

static struct cli_control_conn *
cli_control_conn_find(struct cli_control *ctl, uint64_t id)
{
	for (struct cli_control_conn *cc = ctl->conns; cc != NULL; cc = cc->next)
		if (cc->id == id)
			return cc;
	return NULL;
}

/* cli_control_emit - prefix every line of text with tag into f. */
static void
cli_control_emit(FILE *f, char tag, const char *text, size_t len)
{
	const char *p = text, *end = text + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);

		fprintf(f, "%c %.*s\n", tag, (int)n, p);
		p += n + 1;
	}
}

/* cli_control_split - the tab-separated words of line (split in place), at most ARGS_MAX. */
static int
cli_control_split(char *line, char **argv)
{
	int argc = 0;

	for (char *save = NULL, *w = strtok_r(line, "\t", &save);
	        w != NULL && argc < CLI_CONTROL_ARGS_MAX; w = strtok_r(NULL, "\t", &save))
		argv[argc++] = w;
	return argc;
}

/* The captured stdout/stderr of one command; lives on the stack while its streams are open. */
struct cli_control_capture {
	char *out_text, *err_text; /* owned: the memstream buffers */
	size_t out_len, err_len;
	FILE *out, *err;           /* owned: NULL when open_memstream failed */
};

static void
cli_control_capture_open(struct cli_control_capture *cap)
{
	memset(cap, 0, sizeof(*cap));
	cap->out = open_memstream(&cap->out_text, &cap->out_len);
	cap->err = open_memstream(&cap->err_text, &cap->err_len);
}

/*
 * cli_control_capture_end - close the streams, write their lines and the
 * `X status` line to resp (closed; may be NULL), then wipe (the output may
 * hold a generated password) and free the captured text.
 */
static void
cli_control_capture_end(struct cli_control_capture *cap, FILE *resp, int status)
{
	if (cap->out != NULL)
		fclose(cap->out);
	if (cap->err != NULL)
		fclose(cap->err);
	if (resp != NULL) {
		cli_control_emit(resp, '1', cap->out_text != NULL ? cap->out_text : "", cap->out_len);
		cli_control_emit(resp, '2', cap->err_text != NULL ? cap->err_text : "", cap->err_len);
		fprintf(resp, "X %d\n", status);
		fclose(resp);
	}
	if (cap->out_text != NULL)
		str_wipe(cap->out_text, cap->out_len);
	free(cap->out_text);
	free(cap->err_text);
}

/*
 * cli_control_work - worker: split the line and run the command with
 * captured output; store changes (account deleted) go to the bus with ch.
 */
static void
cli_control_work(struct store *st, void *arg, struct store_changes *ch)
{
	struct cli_control_job *j = arg;
	struct cli_account_env env = { auth_conf(j->ctl->auth), auth_db(j->ctl->auth), st, ch };
	char *argv[CLI_CONTROL_ARGS_MAX];
	struct cli_control_capture cap;
	FILE *resp = open_memstream(&j->out, &j->out_len);
	int argc = cli_control_split(j->line, argv);

	cli_control_capture_open(&cap);
	if (cap.out == NULL || cap.err == NULL || resp == NULL) {
		j->status = CLI_EXIT_RUNTIME;
	} else if (argc < 1 || (strcmp(argv[0], "account") != 0 && strcmp(argv[0], "block") != 0)) {
		fprintf(cap.err, "chatrelay: unknown control command\n");
		j->status = CLI_EXIT_USAGE;
	} else {
		j->status = cli_account_run(&env, argc, argv, cap.out, cap.err, &j->fx);
	}
	cli_control_capture_end(&cap, resp, j->status);
}

/* cli_control_done - loop: apply the effects (ACC-7 within 1 s), then answer. */
static void
cli_control_done(void *arg, uint64_t requester_id)
{
	struct cli_control_job *j = arg;
	struct cli_control_conn *cc = cli_control_conn_find(j->ctl, requester_id);

	if (j->fx.gone[0] != '\0')
		auth_account_gone(j->ctl->auth, j->fx.gone);
	if (j->fx.rekeyed[0] != '\0')
		auth_account_rekeyed(j->ctl->auth, j->fx.rekeyed);
	if (j->fx.blocked[0] != '\0')
		auth_block_added(j->ctl->auth, j->fx.blocked);
	auth_account_count_add(j->ctl->auth, j->fx.accounts_delta);
	if (cc != NULL) {
		if (j->out != NULL)
			bufferevent_write(cc->bev, j->out, j->out_len);
		else
			bufferevent_write(cc->bev, "X 1\n", 4);
		cc->is_busy = false;
	}
	if (j->out != NULL)
		str_wipe(j->out, j->out_len);
	free(j->out);
	str_wipe(j->line, strlen(j->line));
	free(j->line);
	free(j);
}

static void
cli_control_write_cb(struct bufferevent *bev, void *arg)
{
	struct cli_control_conn *cc = arg;

	(void)bev;
	if (!cc->is_busy)
		cli_control_conn_free(cc);
}

static void
cli_control_event_cb(struct bufferevent *bev, short what, void *arg)
{
	struct cli_control_conn *cc = arg;

	(void)bev;
	if ((what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) != 0 && !cc->is_busy)
		cli_control_conn_free(cc);
}

/*
 * cli_control_queue - CLI-7 verbs run on the loop, where the queue lives
 * (they do not block), answered at once.
 */
static void
cli_control_queue(struct cli_control_conn *cc, char *line)
{
	char *argv[CLI_CONTROL_ARGS_MAX], *resp_text = NULL;
	size_t resp_len = 0;
	struct cli_control_capture cap;
	FILE *resp = open_memstream(&resp_text, &resp_len);
	int argc = cli_control_split(line, argv), status = CLI_EXIT_RUNTIME;

	cli_control_capture_open(&cap);
	if (cap.out != NULL && cap.err != NULL)
		status = cli_queue_run_live(cc->ctl->srv->queue, argc, argv, cap.out, cap.err);
	cli_control_capture_end(&cap, resp, status);
	if (resp_text != NULL)
		bufferevent_write(cc->bev, resp_text, resp_len);
	else
		bufferevent_write(cc->bev, "X 1\n", 4);
	free(resp_text);
	free(line);
}

static void
cli_control_read_cb(struct bufferevent *bev, void *arg)
{
	struct cli_control_conn *cc = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	struct cli_control_job *j;
	size_t len;
	char *line;

	if (cc->is_busy)
		return;
	line = evbuffer_readln(in, &len, EVBUFFER_EOL_LF);
	if (line == NULL) {
		if (evbuffer_get_length(in) > CLI_CONTROL_LINE_MAX)
			cli_control_conn_free(cc);
		return;
	}
	bufferevent_disable(bev, EV_READ);
	if (strncmp(line, "queue", 5) == 0 && (line[5] == '\t' || line[5] == '\0')) {
		cli_control_queue(cc, line);
		return;
	}
	j = calloc(1, sizeof(*j));
	if (j == NULL) {
		free(line);
		cli_control_conn_free(cc);
		return;
	}
	j->ctl = cc->ctl;
	j->line = line;
	cc->is_busy = true;
	if (store_submit(cc->ctl->srv->store, cc->id, cli_control_work, cli_control_done, j) < 0) {
		cc->is_busy = false;
		free(line);
		free(j);
		cli_control_conn_free(cc);
	}
}

static void
cli_control_accept_cb(
        struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *sa, int salen, void *arg)
{
	struct cli_control *ctl = arg;
	struct cli_control_conn *cc = calloc(1, sizeof(*cc));

	(void)evl;
	(void)sa;
	(void)salen;
	if (cc == NULL) {
		close(fd);
		return;
	}
	cc->bev = bufferevent_socket_new(ctl->srv->base, fd, BEV_OPT_CLOSE_ON_FREE);
	if (cc->bev == NULL) {
		close(fd);
		free(cc);
		return;
	}
	cc->id = ++ctl->next_id;
	cc->ctl = ctl;
	cc->next = ctl->conns;
	ctl->conns = cc;
	bufferevent_setcb(
	        cc->bev, cli_control_read_cb, cli_control_write_cb, cli_control_event_cb, cc);
	bufferevent_enable(cc->bev, EV_READ);
}

int
cli_control_address(const char *data_dir, struct sockaddr_un *sun, int *dir_fd_r)
{
	int n;

	memset(sun, 0, sizeof(*sun));
	sun->sun_family = AF_UNIX;
	*dir_fd_r = -1;
	n = snprintf(sun->sun_path, sizeof(sun->sun_path), "%s/control.sock", data_dir);
	if (n >= 0 && (size_t)n < sizeof(sun->sun_path))
		return 0;
	*dir_fd_r = open(data_dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (*dir_fd_r < 0)
		return -1;
	snprintf(sun->sun_path, sizeof(sun->sun_path), "/proc/self/fd/%d/control.sock", *dir_fd_r);
	return 0;
}

struct cli_control *
cli_control_new(struct server *srv, struct auth *auth, char *err, size_t errlen)
{
	struct cli_control *ctl = calloc(1, sizeof(*ctl));
	struct sockaddr_un sun;
	int n, dir_fd = -1;

	if (ctl == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->srv = srv;
	ctl->auth = auth;
	n = snprintf(ctl->path, sizeof(ctl->path), "%s/control.sock", srv->conf->data_dir);
	if (n < 0 || (size_t)n >= sizeof(ctl->path) ||
	        cli_control_address(srv->conf->data_dir, &sun, &dir_fd) < 0) {
		snprintf(err, errlen, "control socket path too long");
		free(ctl);
		return NULL;
	}
	/* We hold the data_dir lock: a socket file left behind is stale. */
	(void)unlink(ctl->path);
	ctl->evl = evconnlistener_new_bind(srv->base, cli_control_accept_cb, ctl,
	        LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC, 16, (struct sockaddr *)&sun,
	        (int)sizeof(sun));
	if (dir_fd >= 0)
		close(dir_fd);
	if (ctl->evl == NULL || chmod(ctl->path, 0600) < 0) {
		snprintf(err, errlen, "cannot create the control socket %s: %s", ctl->path,
		        strerror(errno));
		cli_control_free(&ctl);
		return NULL;
	}
	return ctl;
}

void
cli_control_free(struct cli_control **cp)
{
	struct cli_control *ctl = *cp;

	if (ctl == NULL)
		return;
	if (ctl->evl != NULL) {
		evconnlistener_free(ctl->evl);
		(void)unlink(ctl->path);
	}
	while (ctl->conns != NULL) {
		struct cli_control_conn *cc = ctl->conns;

		ctl->conns = cc->next;
		bufferevent_free(cc->bev);
		free(cc);
	}
	free(ctl);
	*cp = NULL;
}

int
cli_control_direct_priv(const struct conf *conf, struct priv *priv)
{
	char err[1024];

	umask(077);
	memset(priv, 0, sizeof(*priv));
	/* Root without `user` administers as root (only serving as root is refused, GEN-3). */
	if (conf->user != NULL && conf->user[0] != '\0' &&
	        priv_init(priv, conf->user, err, sizeof(err)) < 0) {
		fprintf(stderr, "chatrelay: %s\n", err);
		return -1;
	}
	return 0;
}

int
cli_control_direct_enter(const struct conf *conf, struct priv *priv)
{
	if (fs_mkdir_p(conf->data_dir, 0700) < 0 || priv_give_dir(priv, conf->data_dir) < 0 ||
	        priv_assume(priv) < 0) {
		fprintf(stderr, "chatrelay: cannot use data_dir %s: %s\n", conf->data_dir,
		        strerror(errno));
		return -1;
	}
	return 0;
}
