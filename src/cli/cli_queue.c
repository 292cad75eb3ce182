/*
 * cli_queue.c - `chatrelay queue list|flush [<id>]|del <id>` (CLI-7).
 *
 * With a server running the request goes through the control socket and
 * runs on the server's loop (cli_queue_run_live), so the scheduler sees
 * the change at once. Without one, the CLI takes the data_dir lock and
 * works on <data_dir>/queue/ with queue_entry.h directly (blocking is fine
 * in a CLI process). del removes without a DSN.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_control.h"
#include "cli/cli_queue.h"
#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_priv.h"
#include "queue/queue.h"
#include "queue/queue_entry.h"

#define CLI_QUEUE_USAGE "usage: chatrelay queue list | flush [<id>] | del <id>\n"

/* cli_queue_check - the verb and its arguments; -1 after printing the usage. */
static int
cli_queue_check(int argc, char **argv, FILE *err)
{
	bool ok = (argc == 2 && strcmp(argv[1], "list") == 0) ||
	        ((argc == 2 || argc == 3) && strcmp(argv[1], "flush") == 0) ||
	        (argc == 3 && strcmp(argv[1], "del") == 0);

	if (ok && argc == 3 && !queue_entry_id_ok(argv[2])) {
		fprintf(err, "chatrelay: no queue entry %s\n", argv[2]);
		return -1;
	}
	if (!ok)
		fputs(CLI_QUEUE_USAGE, err);
	return ok ? 0 : -1;
}

int
cli_queue_run_live(struct queue *q, int argc, char **argv, FILE *out, FILE *err)
{
	char *text;

	if (cli_queue_check(argc, argv, err) < 0)
		return CLI_EXIT_USAGE;
	if (q == NULL) {
		fputs("chatrelay: the queue is not running\n", err);
		return CLI_EXIT_RUNTIME;
	}
	if (strcmp(argv[1], "list") == 0) {
		if (queue_list(q, &text) < 0)
			return CLI_EXIT_RUNTIME;
		fputs(text, out);
		free(text);
		return CLI_EXIT_OK;
	}
	if ((strcmp(argv[1], "flush") == 0 && queue_flush(q, argc == 3 ? argv[2] : NULL) < 0) ||
	        (strcmp(argv[1], "del") == 0 && queue_delete(q, argv[2]) < 0)) {
		fprintf(err, "chatrelay: %s\n",
		        errno == ENOENT          ? "no such queue entry"
		                : errno == EBUSY ? "the entry is being delivered; try again"
		                                 : strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	return CLI_EXIT_OK;
}

/* cli_queue_direct - the verb on the queue directory (lock held, no server). */
static int
cli_queue_direct(const struct conf *conf, int argc, char **argv)
{
	char dir[4096];
	struct queue_entry *list = NULL, *e;
	size_t n, bad;
	int64_t now = (int64_t)time(NULL);
	bool is_found = false;
	int rc = CLI_EXIT_OK;

	snprintf(dir, sizeof(dir), "%s/queue", conf->data_dir);
	if (fs_mkdir_p(dir, 0700) < 0 || queue_entry_load_all(dir, &list, &n, &bad, NULL) < 0) {
		fprintf(stderr, "chatrelay: cannot read %s: %s\n", dir, strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	if (bad > 0)
		fprintf(stderr, "chatrelay: %zu unreadable entries moved to queue/corrupt\n", bad);
	for (e = list; e != NULL; e = e->next) {
		if (strcmp(argv[1], "list") == 0) {
			queue_entry_list(stdout, e, now);
			continue;
		}
		if (argc == 3 && strcmp(e->id, argv[2]) != 0)
			continue;
		is_found = true;
		if (strcmp(argv[1], "del") == 0) {
			if (queue_entry_remove(dir, e->id) < 0)
				rc = CLI_EXIT_RUNTIME;
			continue;
		}
		for (size_t i = 0; i < e->n_rcpts; i++)
			if (e->rcpts[i].state == QUEUE_RCPT_PENDING)
				e->rcpts[i].next_at = now;
		if (queue_entry_save(dir, e) < 0)
			rc = CLI_EXIT_RUNTIME;
	}
	if (argc == 3 && !is_found) {
		fprintf(stderr, "chatrelay: no such queue entry\n");
		rc = CLI_EXIT_RUNTIME;
	}
	while (list != NULL) {
		e = list;
		list = e->next;
		queue_entry_free(&e);
	}
	return rc;
}

int
cli_queue_cmd(struct conf *conf, int argc, char **argv)
{
	static char word[] = "queue";
	char *args[4];
	struct priv priv;
	int rc, lock_fd;

	if (argc < 1 || argc > 2) {
		fputs(CLI_QUEUE_USAGE, stderr);
		return CLI_EXIT_USAGE;
	}
	args[0] = word;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*argv));
	if (cli_queue_check(argc + 1, args, stderr) < 0)
		return CLI_EXIT_USAGE;
	rc = cli_control_call(conf->data_dir, argc + 1, args);
	if (rc >= 0)
		return rc;
	if (cli_control_direct_priv(conf, &priv) < 0)
		return CLI_EXIT_USAGE;
	if (cli_control_direct_enter(conf, &priv) < 0)
		return CLI_EXIT_RUNTIME;
	lock_fd = fs_lock_dir(conf->data_dir);
	if (lock_fd < 0) {
		fprintf(stderr, "chatrelay: data_dir %s is locked but no server answers\n",
		        conf->data_dir);
		(void)priv_regain(&priv);
		return CLI_EXIT_RUNTIME;
	}
	rc = cli_queue_direct(conf, argc + 1, args);
	close(lock_fd);
	(void)priv_regain(&priv);
	return rc;
}
