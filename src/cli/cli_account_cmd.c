/*
 * cli_account_cmd.c - `chatrelay account ...` and `chatrelay block ...`
 * as processes (CLI-1, CLI-3): through the control socket of a running
 * server, or directly on data_dir while holding its lock, so that a server
 * starting at the same time waits for nothing half-written (it fails to
 * lock and exits 1; the CLI retries the socket while a server holds it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/cli_account.h"
#include "cli/cli_control.h"
#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_priv.h"
#include "db/db.h"
#include "store/store.h"

/* How long to wait for a server that holds the lock to open its control socket. */
#define CLI_CONTROL_WAIT_MS 10000

/* cli_control_send - write the request line; -1 when an argument cannot be sent. */
static int
cli_control_send(int fd, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strpbrk(argv[i], "\t\r\n") != NULL || argv[i][0] == '\0')
			return -1;
		if ((i > 0 && write(fd, "\t", 1) != 1) ||
		        write(fd, argv[i], strlen(argv[i])) != (ssize_t)strlen(argv[i]))
			return -1;
	}
	return write(fd, "\n", 1) == 1 ? 0 : -1;
}

/* cli_control_relay - copy "1 "/"2 " lines to stdout/stderr; the status from "X n". */
static int
cli_control_relay(int fd)
{
	FILE *f = fdopen(fd, "r");
	char line[8192];
	int status = CLI_EXIT_RUNTIME;

	if (f == NULL) {
		close(fd);
		return CLI_EXIT_RUNTIME;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		if (strncmp(line, "1 ", 2) == 0)
			fputs(line + 2, stdout);
		else if (strncmp(line, "2 ", 2) == 0)
			fputs(line + 2, stderr);
		else if (strncmp(line, "X ", 2) == 0)
			status = atoi(line + 2);
	}
	fclose(f);
	return status;
}

int
cli_control_call(const char *data_dir, int argc, char **argv)
{
	struct sockaddr_un sun;
	int fd, dir_fd, rc;

	if (cli_control_address(data_dir, &sun, &dir_fd) < 0)
		return -1;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	rc = fd < 0 ? -1 : connect(fd, (struct sockaddr *)&sun, sizeof(sun));
	if (dir_fd >= 0)
		close(dir_fd);
	if (rc < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (cli_control_send(fd, argc, argv) < 0) {
		close(fd);
		fprintf(stderr,
		        "chatrelay: arguments must not be empty or contain TAB, CR or LF\n");
		return CLI_EXIT_USAGE;
	}
	shutdown(fd, SHUT_WR);
	return cli_control_relay(fd);
}

/* cli_direct - act on data_dir with the lock held (no server running). */
static int
cli_direct(struct conf *conf, int lock_fd, int argc, char **argv)
{
	struct cli_account_env env = {0};
	struct cli_effects fx;
	const char *error = NULL;
	char path[4096];
	struct db *db;
	int rc;

	snprintf(path, sizeof(path), "%s/chatrelay.db", conf->data_dir);
	db = db_open(path, &error);
	if (db == NULL) {
		fprintf(stderr, "chatrelay: database: %s\n", error);
		close(lock_fd);
		return CLI_EXIT_RUNTIME;
	}
	/* No server: a store of our own, synchronous, without a bus (store.h). */
	env.conf = conf;
	env.db = db;
	env.st = store_new(conf, NULL, NULL);
	if (env.st == NULL || store_quota_rebuild(env.st) < 0) {
		fprintf(stderr, "chatrelay: storage: %s\n", strerror(errno));
		rc = CLI_EXIT_RUNTIME;
	} else {
		rc = cli_account_run(&env, argc, argv, stdout, stderr, &fx);
	}
	store_free(&env.st);
	db_free(&db);
	close(lock_fd);
	return rc;
}

static void
cli_sleep_ms(long ms)
{
	struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

/* cli_admin - the control socket first, else the data_dir directly (CLI-3). */
static int
cli_admin(struct conf *conf, int argc, char **argv)
{
	struct priv priv;
	int rc, lock_fd;

	if (cli_control_direct_priv(conf, &priv) < 0)
		return CLI_EXIT_USAGE;
	for (long waited = 0;; waited += 100) {
		rc = cli_control_call(conf->data_dir, argc, argv);
		if (rc >= 0)
			return rc;
		if (cli_control_direct_enter(conf, &priv) < 0)
			return CLI_EXIT_RUNTIME;
		lock_fd = fs_lock_dir(conf->data_dir);
		if (lock_fd >= 0) {
			rc = cli_direct(conf, lock_fd, argc, argv);
			/* Back to the real ids: exit-time tooling (LeakSanitizer) reads /proc/self.
			 */
			(void)priv_regain(&priv);
			return rc;
		}
		(void)priv_regain(&priv);
		if (errno != EWOULDBLOCK || waited >= CLI_CONTROL_WAIT_MS) {
			fprintf(stderr, "chatrelay: data_dir %s is locked but no server answers\n",
			        conf->data_dir);
			return CLI_EXIT_RUNTIME;
		}
		cli_sleep_ms(100); /* a server is starting: its control socket comes soon */
	}
}

int
cli_account_cmd(struct conf *conf, int argc, char **argv)
{
	static char word[] = "account";
	char *args[32];

	if (argc < 1 || argc > 30) {
		fprintf(stderr, "usage: chatrelay account add|del|list|passwd|quota ...\n");
		return CLI_EXIT_USAGE;
	}
	args[0] = word;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*argv));
	return cli_admin(conf, argc + 1, args);
}

int
cli_block_cmd(struct conf *conf, int argc, char **argv)
{
	static char word[] = "block";
	char *args[32];

	if (argc < 1 || argc > 30) {
		fprintf(stderr,
		        "usage: chatrelay block add|del <address-or-domain> | block list\n");
		return CLI_EXIT_USAGE;
	}
	args[0] = word;
	memcpy(args + 1, argv, (size_t)argc * sizeof(*argv));
	return cli_admin(conf, argc + 1, args);
}
