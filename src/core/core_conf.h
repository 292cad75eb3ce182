/*
 * core_conf.h - the configuration (SPEC section 2, CONF-1..10).
 *
 * One INI file, keys in [params] (chatmail.ini compatible), optional
 * [routes]. The parser is PURE: it works on a buffer, touches no files
 * except through conf_load(), and reports the first problem as
 * "<file>:<line>: <problem>" (CONF-4). Notices (unknown keys, ignored
 * chatmail keys and sections) are collected for the caller to log.
 *
 * All strings and lists in struct conf are owned by it; conf_free() frees
 * them. Durations are seconds, sizes are bytes.
 */
#ifndef CHATRELAY_CORE_CONF_H
#define CHATRELAY_CORE_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct conf_list {
	char **words; /* owned, each owned */
	size_t count;
};

/* One [routes] line (CONF-10); NULL fields mean "-": transport disabled. */
struct conf_route {
	char *domain;     /* owned, lowercase, IP literals without brackets */
	char *mxdeliv_url; /* owned or NULL */
	char *smtp_host;  /* owned or NULL */
	int smtp_port;
};

enum conf_registration { CONF_REGISTRATION_OPEN, CONF_REGISTRATION_CLOSED };
enum conf_federation { CONF_FEDERATION_OPEN, CONF_FEDERATION_ALLOWLIST };
enum conf_tls_version { CONF_TLS_1_2, CONF_TLS_1_3 };

struct conf {
	char *file; /* owned; NULL when running on built-in defaults */

	/* CONF-8: keys shared with chatmail.ini */
	char *mail_domain; /* owned; IPv4 literals stored as "[a.b.c.d]" */
	char *mail_domain_bare; /* owned; mail_domain without brackets */
	bool mail_domain_is_ip;
	long max_user_send_per_minute;
	long max_user_send_burst_size;
	uint64_t max_mailbox_size;
	uint64_t max_message_size;
	long delete_mails_after;
	long delete_large_after;
	long delete_inactive_users_after;
	long username_min_length;
	long username_max_length;
	long password_min_length;
	struct conf_list passthrough_senders;
	struct conf_list passthrough_recipients;
	double max_load_1m;
	uint64_t min_available_memory;
	uint64_t min_free_disk_space;
	long max_imap_connections;
	long max_smtp_connections;
	char *tls_external_cert; /* owned or NULL */
	char *tls_external_key;  /* owned or NULL */
	char *iroh_relay;
	bool imap_compress;
	bool disable_ipv6;
	char *privacy_mail;
	char *privacy_postal;
	char *privacy_pdo;
	char *privacy_supervisor;
	char *www_folder;

	/* CONF-9: chatrelay keys */
	char *hostname;
	char *data_dir;
	char *user;
	long threads;
	struct conf_list listen_address;
	long smtp_port;
	long submission_port;
	long submissions_port;
	long imap_port;
	long imaps_port;
	long http_port;
	bool http_tls;
	bool allow_plaintext_auth;
	long max_connections_per_ip;
	long max_imap_connections_per_account;
	enum conf_registration registration;
	bool jit_accounts;
	struct conf_list reserved_local_parts;
	long auth_cache_ttl;
	long auth_failure_delay;
	long auth_fail_window;
	long auth_fail_limit_ip;
	long auth_fail_limit_account;
	long new_account_rate;
	long new_account_burst;
	char *tls_cert;
	char *tls_key;
	int tls_min_version; /* enum conf_tls_version */
	bool dkim_sign;
	char *dkim_selector;
	char *dkim_key;
	bool dkim_verify;
	bool enforce_e2ee;
	long max_recipients;
	long smtp_timeout;
	long imap_login_timeout;
	long imap_timeout;
	long imap_idle_keepalive;
	char *turn_secret;
	char *turn_host;
	long turn_port;
	long turn_lifetime;
	bool push;
	char *push_url;
	enum conf_federation federation_policy;
	struct conf_list federation_allowlist;
	struct conf_list federation_blocklist;
	struct conf_list sender_blocklist;
	bool federation_http;
	bool federation_insecure_tls;
	char *dns_server;
	long queue_lifetime;
	long queue_retry_initial;
	long queue_retry_max;
	long queue_concurrency;
	long expire_interval;
	uint64_t delete_large_min_size;
	long quota_trim_threshold;
	long quota_trim_target;
	long quota_trim_keep;
	bool no_log;
	int log_level;  /* enum log_level */
	int log_target; /* enum log_target */
	bool metrics;
	bool metrics_remote;

	struct conf_route *routes; /* owned array */
	size_t route_count;

	/* Notices for the caller to log once the logger is configured (CONF-2, CONF-4, CONF-5). */
	struct conf_list notices;
};

/* conf_init - fill c with the built-in defaults (CONF-8/9, no-file mode). Returns 0 or -1 (ENOMEM). */
int conf_init(struct conf *c);

/*
 * conf_parse - parse an INI text over the defaults already in c.
 * file names the source in messages; base_dir resolves relative paths
 * (CONF-3). On error returns -1 and writes "<file>:<line>: <problem>" into
 * err (the line is 0 for problems of the whole file, e.g. a missing
 * mail_domain). PURE: no I/O.
 */
int conf_parse(struct conf *c, const char *text, size_t len, const char *file,
	const char *base_dir, char *err, size_t errlen);

/*
 * conf_load - read and parse a file (conf_init first). path NULL means
 * CONF-1: /etc/chatrelay/chatrelay.ini if present, else built-in defaults
 * (a notice says so). Returns 0 or -1 with err set.
 */
int conf_load(struct conf *c, const char *path, char *err, size_t errlen);

/* conf_free - release everything c owns; c may then be conf_init()ed again. */
void conf_free(struct conf *c);

/* conf_route_find - the [routes] entry for a domain (brackets ignored), or NULL. */
const struct conf_route *conf_route_find(const struct conf *c, const char *domain);

/* Value parsers, exported for the unit tests and the CLI. Return 0 or -1. */
int conf_parse_bool(const char *s, bool *v_r);
int conf_parse_size(const char *s, uint64_t *v_r);
int conf_parse_duration(const char *s, long *v_r);
int conf_parse_long(const char *s, long *v_r);

#endif
