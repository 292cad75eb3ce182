/*
 * cli_account.c - the account and block commands (CLI-4..6) over a
 * database handle. Blocking: CLI process or a worker thread of the server.
 * Passwords are printed only when generated, and never logged.
 */
#include "cli/cli_account.h"

#include <errno.h>
#include <string.h>

#include "auth/auth.h"
#include "auth/auth_hash.h"
#include "auth/auth_sys.h"
#include "cli/cli.h"
#include "core/core_conf.h"
#include "core/core_str.h"
#include "db/db.h"
#include "policy/policy_address.h"
#include "store/store.h"

/* cli_local_address - normalise a local address and apply ACC-2/ACC-3. 0 or -1 (message). */
static int
cli_local_address(const struct conf *conf, const char *arg, char *out, FILE *err)
{
	char local[ADDRESS_MAX];

	if (auth_address_normalise_local(arg, conf->mail_domain, out, ADDRESS_MAX) < 0 ||
	        auth_address_local_part(out, local, sizeof(local)) < 0) {
		fprintf(err, "chatrelay: '%s' is not an address of %s\n", arg, conf->mail_domain);
		return -1;
	}
	if (!auth_local_part_is_valid(local) ||
	        auth_local_part_is_reserved(local, &conf->reserved_local_parts)) {
		fprintf(err, "chatrelay: '%s' is not allowed as an account name\n", arg);
		return -1;
	}
	return 0;
}

/* cli_password_hash - hash a clear-text password of acceptable length (ACC-4). */
static int
cli_password_hash(const struct conf *conf, const char *pw, char *hash, FILE *err)
{
	if (!auth_password_is_acceptable(pw, strlen(pw)) ||
	        (long)strlen(pw) < conf->password_min_length) {
		fprintf(err, "chatrelay: the password must have %ld to %d octets\n",
		        conf->password_min_length, AUTH_PASSWORD_MAX);
		return CLI_EXIT_USAGE;
	}
	if (auth_hash_make(pw, hash, AUTH_HASH_MAX) < 0) {
		fprintf(err, "chatrelay: cannot hash the password\n");
		return CLI_EXIT_RUNTIME;
	}
	return CLI_EXIT_OK;
}

/* cli_hash_option - CLI-4 --hash: stored as given, {PLAIN} is hashed, unknown tags refused. */
static int
cli_hash_option(const char *given, char *hash, FILE *err)
{
	if (strncmp(given, "{PLAIN}", 7) == 0) {
		if (!auth_password_is_acceptable(given + 7, strlen(given + 7)) ||
		        auth_hash_make(given + 7, hash, AUTH_HASH_MAX) < 0) {
			fprintf(err, "chatrelay: cannot hash the {PLAIN} password\n");
			return CLI_EXIT_RUNTIME;
		}
		return CLI_EXIT_OK;
	}
	if (auth_hash_strip_tag(given) == NULL || strlen(given) >= AUTH_HASH_MAX ||
	        given[0] == '\0' || strpbrk(given, " \t\r\n") != NULL) {
		fprintf(err, "chatrelay: unsupported hash format\n");
		return CLI_EXIT_USAGE;
	}
	snprintf(hash, AUTH_HASH_MAX, "%s", given);
	return CLI_EXIT_OK;
}

static int
cli_account_add(const struct cli_account_env *env, int argc, char **argv, FILE *out, FILE *err,
        struct cli_effects *fx)
{
	const struct conf *conf = env->conf;
	struct db *db = env->db;
	char addr[ADDRESS_MAX], hash[AUTH_HASH_MAX], pw[AUTH_PASSWORD_MAX + 1], day[11];
	int rc = CLI_EXIT_OK, r;
	bool is_generated = false;

	if (argc != 1 &&
	        !(argc == 3 &&
	                (strcmp(argv[1], "--password") == 0 || strcmp(argv[1], "--hash") == 0))) {
		fprintf(err,
		        "usage: chatrelay account add <address> [--password <pw> | --hash "
		        "<crypt>]\n");
		return CLI_EXIT_USAGE;
	}
	if (cli_local_address(conf, argv[0], addr, err) < 0)
		return CLI_EXIT_USAGE;
	if (argc == 1) {
		is_generated = true;
		if (auth_generate_password(conf, pw, sizeof(pw)) < 0)
			return CLI_EXIT_RUNTIME;
		rc = cli_password_hash(conf, pw, hash, err);
	} else if (strcmp(argv[1], "--password") == 0) {
		rc = cli_password_hash(conf, argv[2], hash, err);
	} else {
		rc = cli_hash_option(argv[2], hash, err);
	}
	if (rc != CLI_EXIT_OK)
		goto out;
	r = db_block_has(db, addr);
	if (r == 0)
		r = db_block_has(db, policy_address_domain(addr));
	if (r != 0 || auth_is_blocklisted(&conf->sender_blocklist, addr)) {
		fprintf(err,
		        r < 0 ? "chatrelay: database error\n" : "chatrelay: address is blocked\n");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	db_today(day);
	r = db_account_create(db, addr, hash, day);
	if (r != 0) {
		fprintf(err, r > 0 ? "chatrelay: account exists\n" : "chatrelay: database error\n");
		rc = CLI_EXIT_RUNTIME;
		goto out;
	}
	fx->accounts_delta = 1;
	if (store_account_create(env->st, addr) < 0)
		fprintf(err, "chatrelay: cannot create the maildir: %s\n", strerror(errno));
	if (is_generated)
		fprintf(out, "%s\n", pw);
out:
	str_wipe(pw, sizeof(pw));
	return rc;
}

static int
cli_account_del(const struct cli_account_env *env, int argc, char **argv, FILE *err,
        struct cli_effects *fx)
{
	const struct conf *conf = env->conf;
	struct db *db = env->db;
	char addr[ADDRESS_MAX];
	bool is_block = argc == 2 && strcmp(argv[1], "--block") == 0;
	int r;

	if (argc != 1 && !is_block) {
		fprintf(err, "usage: chatrelay account del <address> [--block]\n");
		return CLI_EXIT_USAGE;
	}
	if (auth_address_normalise_local(argv[0], conf->mail_domain, addr, sizeof(addr)) < 0) {
		fprintf(err, "chatrelay: '%s' is not an address of %s\n", argv[0],
		        conf->mail_domain);
		return CLI_EXIT_USAGE;
	}
	if (is_block && db_block_add(db, addr) < 0) {
		fprintf(err, "chatrelay: database error\n");
		return CLI_EXIT_RUNTIME;
	}
	r = auth_account_remove(db, env->st, env->ch, addr);
	if (r < 0) {
		fprintf(err, "chatrelay: cannot delete the account: %s\n", strerror(errno));
		return CLI_EXIT_RUNTIME;
	}
	snprintf(fx->gone, sizeof(fx->gone), "%s", addr); /* --block also closes sessions */
	if (r > 0 && !is_block) {
		fprintf(err, "chatrelay: no such account\n");
		return CLI_EXIT_RUNTIME;
	}
	if (r == 0)
		fx->accounts_delta = -1;
	return CLI_EXIT_OK;
}

struct cli_list_ctx {
	const struct conf *conf;
	struct store *st;
	FILE *out;
};

static int
cli_account_list_cb(const struct db_account *a, void *ctx)
{
	struct cli_list_ctx *x = ctx;

	fprintf(x->out, "%s %llu %llu %s\n", a->address,
	        (unsigned long long)store_quota_usage(x->st, a->address),
	        (unsigned long long)(a->has_quota ? a->quota : x->conf->max_mailbox_size),
	        a->last_login_day);
	return 0;
}

static int
cli_account_passwd(const struct conf *conf, struct db *db, int argc, char **argv, FILE *out,
        FILE *err, struct cli_effects *fx)
{
	char addr[ADDRESS_MAX], hash[AUTH_HASH_MAX], pw[AUTH_PASSWORD_MAX + 1];
	int rc, r;

	if (argc != 1 && argc != 2) {
		fprintf(err, "usage: chatrelay account passwd <address> [<password>]\n");
		return CLI_EXIT_USAGE;
	}
	if (auth_address_normalise_local(argv[0], conf->mail_domain, addr, sizeof(addr)) < 0) {
		fprintf(err, "chatrelay: '%s' is not an address of %s\n", argv[0],
		        conf->mail_domain);
		return CLI_EXIT_USAGE;
	}
	if (argc == 1 && auth_generate_password(conf, pw, sizeof(pw)) < 0)
		return CLI_EXIT_RUNTIME;
	rc = cli_password_hash(conf, argc == 2 ? argv[1] : pw, hash, err);
	if (rc == CLI_EXIT_OK) {
		r = db_account_set_hash(db, addr, hash);
		if (r != 0) {
			fprintf(err,
			        r > 0 ? "chatrelay: no such account\n"
			              : "chatrelay: database error\n");
			rc = CLI_EXIT_RUNTIME;
		} else {
			snprintf(fx->rekeyed, sizeof(fx->rekeyed), "%s", addr);
			if (argc == 1)
				fprintf(out, "%s\n", pw);
		}
	}
	str_wipe(pw, sizeof(pw));
	return rc;
}

static int
cli_account_quota(const struct cli_account_env *env, int argc, char **argv, FILE *out, FILE *err)
{
	const struct conf *conf = env->conf;
	struct db *db = env->db;
	char addr[ADDRESS_MAX];
	struct db_account a;
	uint64_t size = 0;
	int r;

	if (argc < 1 || argc > 2 ||
	        auth_address_normalise_local(argv[0], conf->mail_domain, addr, sizeof(addr)) < 0 ||
	        (argc == 2 && strcmp(argv[1], "default") != 0 &&
	                conf_parse_size(argv[1], &size) < 0)) {
		fprintf(err, "usage: chatrelay account quota <address> [<size>|default]\n");
		return CLI_EXIT_USAGE;
	}
	if (argc == 2)
		r = db_account_set_quota(db, addr, strcmp(argv[1], "default") != 0, size);
	else
		r = db_account_get(db, addr, &a);
	if (r != 0) {
		fprintf(err,
		        r > 0 ? "chatrelay: no such account\n" : "chatrelay: database error\n");
		return CLI_EXIT_RUNTIME;
	}
	if (argc == 1)
		fprintf(out, "%llu %llu\n", (unsigned long long)store_quota_usage(env->st, addr),
		        (unsigned long long)(a.has_quota ? a.quota : conf->max_mailbox_size));
	return CLI_EXIT_OK;
}

static int
cli_block_print_cb(const char *entry, void *ctx)
{
	fprintf(ctx, "%s\n", entry);
	return 0;
}

static int
cli_block_run(struct db *db, int argc, char **argv, FILE *out, FILE *err, struct cli_effects *fx)
{
	char entry[ADDRESS_MAX];
	int r;

	if (argc == 1 && strcmp(argv[0], "list") == 0)
		return db_block_list(db, cli_block_print_cb, out) < 0 ? CLI_EXIT_RUNTIME
		                                                      : CLI_EXIT_OK;
	if (argc != 2 || (strcmp(argv[0], "add") != 0 && strcmp(argv[0], "del") != 0) ||
	        auth_block_entry_normalise(argv[1], entry, sizeof(entry)) < 0) {
		fprintf(err, "usage: chatrelay block add|del <address-or-domain> | block list\n");
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[0], "add") == 0) {
		r = db_block_add(db, entry);
		if (r >= 0)
			snprintf(fx->blocked, sizeof(fx->blocked), "%s", entry);
		r = r < 0 ? -1 : 0;
	} else {
		r = db_block_del(db, entry);
	}
	if (r != 0) {
		fprintf(err, r > 0 ? "chatrelay: no such entry\n" : "chatrelay: database error\n");
		return CLI_EXIT_RUNTIME;
	}
	return CLI_EXIT_OK;
}

int
cli_account_run(const struct cli_account_env *env, int argc, char **argv, FILE *out, FILE *err,
        struct cli_effects *fx)
{
	const struct conf *conf = env->conf;
	struct db *db = env->db;
	struct cli_list_ctx lx = {conf, env->st, out};
	const char *sub = argc >= 2 ? argv[1] : "";

	memset(fx, 0, sizeof(*fx));
	if (argc >= 1 && strcmp(argv[0], "block") == 0)
		return cli_block_run(db, argc - 1, argv + 1, out, err, fx);
	if (strcmp(sub, "add") == 0 && argc >= 3)
		return cli_account_add(env, argc - 2, argv + 2, out, err, fx);
	if (strcmp(sub, "del") == 0 && argc >= 3)
		return cli_account_del(env, argc - 2, argv + 2, err, fx);
	if (strcmp(sub, "passwd") == 0 && argc >= 3)
		return cli_account_passwd(conf, db, argc - 2, argv + 2, out, err, fx);
	if (strcmp(sub, "quota") == 0 && argc >= 3)
		return cli_account_quota(env, argc - 2, argv + 2, out, err);
	if (strcmp(sub, "list") == 0 && argc == 2)
		return db_account_list(db, cli_account_list_cb, &lx) < 0 ? CLI_EXIT_RUNTIME
		                                                         : CLI_EXIT_OK;
	fprintf(err, "usage: chatrelay account add|del|list|passwd|quota ...\n");
	return CLI_EXIT_USAGE;
}
