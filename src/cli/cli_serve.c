/*
 * cli_serve.c - `chatrelay serve`: the start-up order of GEN-5.
 *
 * configuration (done by cli_main) -> root check (GEN-3) -> data_dir lock
 * -> directories (0700, umask 077) -> database (migrated) -> TLS
 * certificate -> listeners -> privilege drop -> control socket (CLI-3) ->
 * serve. Exit 2 for configuration problems, 1 for
 * runtime ones (lock held, bind failure).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth/auth.h"
#include "bus/bus.h"
#include "cli/cli.h"
#include "cli/cli_control.h"
#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_log.h"
#include "core/core_priv.h"
#include "db/db.h"
#include "http/http_session.h"
#include "imap/imap_session.h"
#include "net/net_server.h"
#include "net/net_tls.h"
#include "queue/queue.h"
#include "queue/queue_dkim.h"
#include "queue/queue_dkim_dns.h"
#include "smtp/smtp_accept.h"
#include "smtp/smtp_session.h"
#include "meta/meta.h"
#include "store/store.h"

/* cli_serve_dirs - data_dir and its fixed subdirectories (ARCHITECTURE "Data on disk"). */
static int
cli_serve_dirs(const struct conf *conf, char *err, size_t errlen)
{
	static const char *const subdirs[] = { "mail", "queue", "tls", "dkim" };

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(subdirs[0]); i++) {
		char path[4096];

		snprintf(path, sizeof(path), "%s/%s", conf->data_dir, subdirs[i]);
		if (fs_mkdir_p(path, 0700) < 0) {
			snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
			return -1;
		}
	}
	return 0;
}

/* cli_serve_quota_limit - QUOTA-1: the account's override (CLI-5) or max_mailbox_size. Workers. */
static uint64_t
cli_serve_quota_limit(void *ctx, const char *account)
{
	const struct conf *conf = ((const struct server *)ctx)->conf;
	struct db *db = ((const struct server *)ctx)->db;
	struct db_account a;

	if (db != NULL && db_account_get(db, account, &a) == 0 && a.has_quota)
		return a.quota;
	return conf->max_mailbox_size;
}

/* cli_serve_shutdown_hook - GEN-6: no new expiry run once the drain begins. */
static void
cli_serve_shutdown_hook(struct server *srv)
{
	if (srv->store != NULL)
		store_expire_stop(srv->store);
	/* QUEUE-5: transfers in flight stop; their recipients stay pending on disk */
	queue_stop(srv->queue);
	/* PUSH-5: pending notifications die with the process; no new requests */
	if (srv->meta != NULL)
		meta_stop(srv->meta);
}

/* cli_serve_store - bus and store, quota rebuilt from disk, expiry scheduled (GEN-5, QUOTA-4). */
static int
cli_serve_store(struct server *srv)
{
	srv->bus = bus_new();
	if (srv->bus == NULL)
		return -1;
	srv->store = store_new(srv->conf, srv->io_workers, srv->bus);
	if (srv->store == NULL)
		return -1;
	store_set_limit(srv->store, cli_serve_quota_limit, srv);
	srv->shutdown_hook = cli_serve_shutdown_hook;
	if (store_quota_rebuild(srv->store) < 0)
		return -1;
	/* device tokens and push (META-5..7, PUSH-1..5); follows account deletion on the bus */
	srv->meta = meta_new(srv->conf, srv->db, srv->workers, srv->bus, srv->base);
	if (srv->meta == NULL)
		return -1;
	return store_expire_schedule(srv->store, srv->base, 600);
}

static void
cli_serve_register_protocols(struct server *srv)
{
	server_set_proto(srv, LISTENER_SMTP, &smtp_proto_ops);
	server_set_proto(srv, LISTENER_SUBMISSION, &smtp_proto_ops);
	server_set_proto(srv, LISTENER_SUBMISSIONS, &smtp_proto_ops);
	server_set_proto(srv, LISTENER_IMAP, &imap_proto_ops);
	server_set_proto(srv, LISTENER_IMAPS, &imap_proto_ops);
	server_set_proto(srv, LISTENER_HTTP, &http_proto_ops);
}

/* cli_serve_login_hint - how to log in, for the built-in defaults of `make run`. */
static void
cli_serve_login_hint(const struct conf *conf)
{
	if (conf->file != NULL)
		return;
	log_info("log in with any new address of %ld characters such as abcdefghi@%s and a "
		"password of at least %ld characters (IMAP %s:%ld, SMTP submission %s:%ld); "
		"TLS uses a self-signed certificate", conf->username_min_length, conf->mail_domain,
		conf->password_min_length, conf->listen_address.words[0], conf->imap_port,
		conf->listen_address.words[0], conf->submission_port);
}

int
cli_serve(struct conf *conf)
{
	struct server *srv = NULL;
	struct tls *tls = NULL;
	struct db *db = NULL;
	struct auth *auth = NULL;
	struct cli_control *control = NULL;
	const char *error = NULL;
	struct priv priv;
	struct queue_dkim_signer *signer = NULL;
	struct queue_dkim_dns *dkim_dns = NULL;
	bool is_generated, is_dkim_generated;
	char err[1024];
	int lock_fd = -1, rc = CLI_EXIT_RUNTIME;

	umask(077);
	if (priv_init(&priv, conf->user, err, sizeof(err)) < 0) {
		log_error("%s", err);
		return CLI_EXIT_USAGE;
	}
	/* data_dir usually sits in a root-owned parent: create it as root, give it away. */
	if (fs_mkdir_p(conf->data_dir, 0700) < 0 || priv_give_dir(&priv, conf->data_dir) < 0) {
		log_error("cannot create data_dir %s: %s", conf->data_dir, strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	if (priv_assume(&priv) < 0) {
		log_error("cannot switch to user '%s': %s", priv.name, strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	lock_fd = fs_lock_dir(conf->data_dir);
	if (lock_fd < 0) {
		if (errno == EWOULDBLOCK)
			log_error("data_dir %s is in use by another chatrelay process", conf->data_dir);
		else
			log_error("cannot lock data_dir %s: %s", conf->data_dir, strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	if (cli_serve_dirs(conf, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	snprintf(err, sizeof(err), "%s/chatrelay.db", conf->data_dir);
	db = db_open(err, &error);
	if (db == NULL) {
		log_error("database: %s", error);
		goto out;
	}
	if (tls_prepare(conf, &is_generated, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (queue_dkim_key_prepare(conf, &is_dkim_generated, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (is_dkim_generated)
		log_info("generated DKIM key (RSA 2048) for selector %s", conf->dkim_selector);
	/* Root-only certificate files (e.g. from an ACME client) are read as root. */
	if (priv_regain(&priv) < 0) {
		log_error("cannot regain root: %s", strerror(errno));
		goto out;
	}
	tls = tls_new(conf, err, sizeof(err));
	if (tls == NULL) {
		log_error("%s", err);
		rc = CLI_EXIT_USAGE; /* TLS-2: a mismatching key stops the start with exit 2 */
		goto out;
	}
	/* DKIM-3: the key may be root-only (/etc/dkimkeys); an unusable key is a config error. */
	if (queue_dkim_signer_load(conf, &signer, err, sizeof(err)) < 0) {
		log_error("DKIM: %s", err);
		tls_free(&tls);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (!conf->dkim_verify)
		log_warn("dkim_verify = no: inbound DKIM verification is off (tests only, DKIM-9)");
	srv = server_new(conf);
	if (srv == NULL) {
		log_error("cannot set up the event loop");
		tls_free(&tls);
		goto out;
	}
	server_set_tls(srv, tls,
		is_generated || conf->mail_domain_is_ip || conf->mail_domain_bare[0] == '_');
	auth = auth_new(conf, srv, db);
	if (auth == NULL) {
		log_error("cannot set up authentication");
		goto out;
	}
	srv->auth = auth;
	srv->dkim_signer = signer;
	srv->db = db;
	/* Maildirs belong to the server user: build the store with its ids (GEN-3). */
	if (priv_assume(&priv) < 0 || cli_serve_store(srv) < 0 || priv_regain(&priv) < 0) {
		log_error("storage: %s", strerror(errno));
		goto out;
	}
	/* GEN-5, QUEUE-4: the queue is loaded before the listeners are bound */
	if (priv_assume(&priv) < 0 || (srv->queue = queue_new(srv)) == NULL ||
	        priv_regain(&priv) < 0) {
		log_error("queue: %s", strerror(errno));
		goto out;
	}
	/* DKIM-5..7: the inbound verifier, installed before anything can arrive */
	if (conf->dkim_verify) {
		dkim_dns = queue_dkim_dns_new(conf->dns_server);
		if (dkim_dns == NULL) {
			log_error("dkim: cannot set up the verifier");
			goto out;
		}
		smtp_accept_set_dkim_verifier(queue_dkim_dns_verify, dkim_dns);
	}
	cli_serve_register_protocols(srv);
	if (server_listen(srv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	if (priv_drop(&priv, err, sizeof(err)) < 0) {
		log_error("%s", err);
		goto out;
	}
	control = cli_control_new(srv, auth, err, sizeof(err));
	if (control == NULL) {
		log_error("%s", err);
		goto out;
	}
	server_log_listeners(srv);
	cli_serve_login_hint(conf);
	log_info("chatrelay %s ready", CHATRELAY_VERSION);
	rc = server_run(srv);
out:
	/* server_run has let the workers finish; timers die before the loop they sit on. */
	cli_control_free(&control);
	if (srv != NULL) {
		/* the pool has drained (server_run); the expiry timer dies before the base */
		queue_free(&srv->queue);
		store_free(&srv->store);
		meta_free(&srv->meta); /* unsubscribes from the bus; its timers sit on the base */
		bus_free(&srv->bus);
		srv->auth = NULL;
		srv->dkim_signer = NULL;
		srv->db = NULL;
	}
	auth_free(&auth);
	server_free(&srv);
	db_free(&db);
	queue_dkim_signer_free(&signer);
	smtp_accept_set_dkim_verifier(NULL, NULL);
	queue_dkim_dns_free(&dkim_dns);
	if (lock_fd >= 0)
		close(lock_fd);
	return rc;
}
