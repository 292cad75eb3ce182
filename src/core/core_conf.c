/*
 * core_conf.c - INI configuration parser and validator (CONF-1..10).
 *
 * Table driven: every key of CONF-8/9 has one row naming its type, its
 * field and its built-in default; the defaults go through the same value
 * parsers as the file does. PURE except conf_load(), which reads the file.
 * Does not log: notices are collected in conf->notices.
 */
#include "core/core_conf.h"
#include "core/core_conf_int.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_limits.h"
#include "core/core_log.h"
#include "core/core_str.h"

enum conf_type {
	CONF_T_TEXT,
	CONF_T_PATH,
	CONF_T_BOOL,
	CONF_T_INT,
	CONF_T_SIZE,
	CONF_T_DAYS,
	CONF_T_DURATION,
	CONF_T_LIST,
	CONF_T_NUMBER,
	CONF_T_ENUM,
	CONF_T_CERT_KEY,
	CONF_T_DOMAIN,
	CONF_T_URL,
};

struct conf_key {
	const char *name;
	enum conf_type type;
	size_t offset;
	const char *def;            /* built-in default, parsed like a file value */
	long min, max;              /* CONF_T_INT, CONF_T_DURATION */
	const char *const *choices; /* CONF_T_ENUM: index is the stored int */
};

static const char *const conf_registration_words[] = { "open", "closed", NULL };
static const char *const conf_federation_words[] = { "open", "allowlist", NULL };
static const char *const conf_log_level_words[] = { "error", "warn", "info", "debug", NULL };
static const char *const conf_log_target_words[] = { "stderr", "syslog", NULL };
static const char *const conf_tls_version_words[] = { "1.2", "1.3", NULL };

#define K(name, type, def) { #name, type, offsetof(struct conf, name), def, 0, LONG_MAX, NULL }
#define KI(name, def, lo, hi) { #name, CONF_T_INT, offsetof(struct conf, name), def, lo, hi, NULL }
#define KD(name, def, lo) { #name, CONF_T_DURATION, offsetof(struct conf, name), def, lo, LONG_MAX, NULL }
#define KE(name, def, words) { #name, CONF_T_ENUM, offsetof(struct conf, name), def, 0, 0, words }

static const struct conf_key conf_keys[] = {
	/* CONF-8 */
	K(mail_domain, CONF_T_DOMAIN, "127.0.0.1"),
	KI(max_user_send_per_minute, "60", 1, 1000000),
	KI(max_user_send_burst_size, "10", 1, 1000000),
	K(max_mailbox_size, CONF_T_SIZE, "500M"),
	K(max_message_size, CONF_T_SIZE, "31457280"),
	K(delete_mails_after, CONF_T_DAYS, "20"),
	K(delete_large_after, CONF_T_DAYS, "7"),
	K(delete_inactive_users_after, CONF_T_DAYS, "90"),
	KI(username_min_length, "9", 1, 64),
	KI(username_max_length, "9", 1, 64),
	KI(password_min_length, "9", 0, 1024),
	K(passthrough_senders, CONF_T_LIST, ""),
	K(passthrough_recipients, CONF_T_LIST, ""),
	K(max_load_1m, CONF_T_NUMBER, "0"),
	K(min_available_memory, CONF_T_SIZE, "200M"),
	K(min_free_disk_space, CONF_T_SIZE, "1G"),
	KI(max_imap_connections, "10000", 1, 10000000),
	KI(max_smtp_connections, "1000", 1, 10000000),
	{ "tls_external_cert_and_key", CONF_T_CERT_KEY, 0, "", 0, 0, NULL },
	K(iroh_relay, CONF_T_URL, ""),
	K(imap_compress, CONF_T_BOOL, "yes"),
	K(disable_ipv6, CONF_T_BOOL, "no"),
	K(privacy_mail, CONF_T_TEXT, ""),
	K(privacy_postal, CONF_T_TEXT, ""),
	K(privacy_pdo, CONF_T_TEXT, ""),
	K(privacy_supervisor, CONF_T_TEXT, ""),
	K(www_folder, CONF_T_PATH, ""),
	/* CONF-9 */
	K(hostname, CONF_T_TEXT, ""),
	K(data_dir, CONF_T_PATH, "./chatrelay-data"),
	K(user, CONF_T_TEXT, ""),
	KI(threads, "0", 0, WORKER_THREADS_MAX),
	K(listen_address, CONF_T_LIST, "127.0.0.1"),
	KI(smtp_port, "2525", 0, 65535),
	KI(submission_port, "5870", 0, 65535),
	KI(submissions_port, "4650", 0, 65535),
	KI(imap_port, "1430", 0, 65535),
	KI(imaps_port, "9930", 0, 65535),
	KI(http_port, "8080", 0, 65535),
	K(http_tls, CONF_T_BOOL, "no"),
	K(allow_plaintext_auth, CONF_T_BOOL, "no"),
	KI(max_connections_per_ip, "200", 1, 10000000),
	KI(max_imap_connections_per_account, "20", 1, 100000),
	KE(registration, "open", conf_registration_words),
	K(jit_accounts, CONF_T_BOOL, "yes"),
	K(reserved_local_parts, CONF_T_LIST, ""),
	KD(auth_cache_ttl, "1h", 0),
	KD(auth_failure_delay, "2s", 0),
	KD(auth_fail_window, "5m", 1),
	KI(auth_fail_limit_ip, "20", 1, 1000000),
	KI(auth_fail_limit_account, "50", 1, 1000000),
	KI(new_account_rate, "2", 1, 1000000),
	KI(new_account_burst, "5", 1, 1000000),
	K(tls_cert, CONF_T_PATH, ""),
	K(tls_key, CONF_T_PATH, ""),
	KE(tls_min_version, "1.2", conf_tls_version_words),
	K(dkim_sign, CONF_T_BOOL, "yes"),
	K(dkim_selector, CONF_T_TEXT, "opendkim"),
	K(dkim_key, CONF_T_PATH, ""),
	K(dkim_verify, CONF_T_BOOL, "yes"),
	K(enforce_e2ee, CONF_T_BOOL, "yes"),
	KI(max_recipients, "1000", 1, 100000),
	KD(smtp_timeout, "5m", 1),
	KD(imap_login_timeout, "60s", 1),
	KD(imap_timeout, "30m", 1),
	KD(imap_idle_keepalive, "2m", 1),
	K(turn_secret, CONF_T_TEXT, ""),
	K(turn_host, CONF_T_TEXT, ""),
	KI(turn_port, "3478", 1, 65535),
	KD(turn_lifetime, "5d", 1),
	K(push, CONF_T_BOOL, "yes"),
	K(push_url, CONF_T_URL, "https://notifications.delta.chat/notify"),
	KE(federation_policy, "open", conf_federation_words),
	K(federation_allowlist, CONF_T_LIST, ""),
	K(federation_blocklist, CONF_T_LIST, ""),
	K(sender_blocklist, CONF_T_LIST, ""),
	K(federation_http, CONF_T_BOOL, "yes"),
	K(federation_insecure_tls, CONF_T_BOOL, "no"),
	K(dns_server, CONF_T_TEXT, ""),
	KD(queue_lifetime, "5d", 1),
	KD(queue_retry_initial, "1m", 1),
	KD(queue_retry_max, "1h", 1),
	KI(queue_concurrency, "16", 1, 10000),
	KD(expire_interval, "24h", 1),
	K(delete_large_min_size, CONF_T_SIZE, "200000"),
	KI(quota_trim_threshold, "75", 1, 100),
	KI(quota_trim_target, "70", 1, 100),
	KD(quota_trim_keep, "24h", 0),
	K(no_log, CONF_T_BOOL, "yes"),
	KE(log_level, "info", conf_log_level_words),
	KE(log_target, "stderr", conf_log_target_words),
	K(metrics, CONF_T_BOOL, "yes"),
	K(metrics_remote, CONF_T_BOOL, "no"),
};

#define CONF_KEY_COUNT (sizeof(conf_keys) / sizeof(conf_keys[0]))

/* chatmail.ini keys that chatrelay accepts and ignores (CONF-5). */
static const char *const conf_ignored_keys[] = {
	"acme_email", "mtail_address", "imap_rawlog", "mailboxes_dir", "turn_socket_path", NULL,
};
static const char *const conf_ignored_prefixes[] = { "filtermail_", "postfix_", NULL };

/* Parsing context: where we are, for "<file>:<line>: <problem>". */
struct conf_ctx {
	struct conf *c;
	const char *file;
	const char *base_dir;
	bool from_file;
	char *err;
	size_t errlen;
	unsigned line;
	int key_lines[CONF_KEY_COUNT]; /* line of each key seen in the file, 0 = default */
};

static int conf_fail(struct conf_ctx *x, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int
conf_fail(struct conf_ctx *x, unsigned line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errlen, "%s:%u: %s", x->file, line, msg);
	return -1;
}

/* conf_notice - record a notice; allocation failures only lose the notice. */
static void conf_notice(struct conf *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void
conf_notice(struct conf *c, const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	(void)conf_list_add(&c->notices, msg, strlen(msg));
}

static int
conf_set_domain(struct conf_ctx *x, const char *value)
{
	struct conf *c = x->c;
	char buf[260];
	size_t n = strlen(value);

	if (n >= sizeof(buf) - 2)
		return conf_fail(x, x->line, "mail_domain is too long");
	if (strchr(value, ':') != NULL)
		return conf_fail(x, x->line, "IPv6 mail domains are not supported");
	if (value[0] == '[' && n > 2 && value[n - 1] == ']') {
		memcpy(buf, value + 1, n - 2);
		buf[n - 2] = '\0';
		if (!conf_is_ipv4(buf))
			return conf_fail(x, x->line, "invalid IP literal mail domain '%s'", value);
	} else {
		memcpy(buf, value, n + 1);
	}
	if (conf_is_ipv4(buf)) {
		char literal[264];

		snprintf(literal, sizeof(literal), "[%s]", buf);
		c->mail_domain_is_ip = true;
		if (conf_set_string(&c->mail_domain_bare, buf) < 0)
			return -1;
		return conf_set_string(&c->mail_domain, literal);
	}
	if (!conf_is_hostname(buf))
		return conf_fail(x, x->line, "invalid mail_domain '%s'", value);
	str_lower(buf);
	c->mail_domain_is_ip = false;
	if (conf_set_string(&c->mail_domain_bare, buf) < 0)
		return -1;
	return conf_set_string(&c->mail_domain, buf);
}

static int
conf_set_cert_key(struct conf_ctx *x, const char *value)
{
	struct conf *c = x->c;
	struct conf_list words = { NULL, 0 };
	char stripped[CONF_LINE_MAX];
	size_t n = strlen(value);
	int rc = -1;

	/* The SPEC writes the value as "<cert> <key>": accept the quotes. */
	if (n >= 2 && value[0] == '"' && value[n - 1] == '"') {
		memcpy(stripped, value + 1, n - 2);
		stripped[n - 2] = '\0';
	} else {
		snprintf(stripped, sizeof(stripped), "%s", value);
	}
	if (conf_set_list(&words, stripped) < 0)
		goto out;
	if (words.count == 0) {
		free(c->tls_external_cert);
		free(c->tls_external_key);
		c->tls_external_cert = c->tls_external_key = NULL;
		rc = 0;
		goto out;
	}
	if (words.count != 2) {
		rc = conf_fail(x, x->line, "tls_external_cert_and_key needs two paths: <cert> <key>");
		goto out;
	}
	if (conf_set_path(&c->tls_external_cert, words.words[0], x->base_dir) < 0 ||
	    conf_set_path(&c->tls_external_key, words.words[1], x->base_dir) < 0)
		goto out;
	rc = 0;
out:
	conf_list_clear(&words);
	return rc;
}

static int
conf_check_url(struct conf_ctx *x, const struct conf_key *k, const char *value)
{
	if (value[0] == '\0' || strncmp(value, "https://", 8) == 0 || strncmp(value, "http://", 7) == 0)
		return 0;
	return conf_fail(x, x->line, "%s: '%s' is not an http:// or https:// URL", k->name, value);
}

/* conf_set_value - parse value by the key's type into the struct. */
static int
conf_set_value(struct conf_ctx *x, const struct conf_key *k, const char *value)
{
	char *base = (char *)x->c;
	void *field = base + k->offset;
	uint64_t size;
	long num;

	switch (k->type) {
	case CONF_T_TEXT:
		return conf_set_string(field, value);
	case CONF_T_URL:
		if (conf_check_url(x, k, value) < 0)
			return -1;
		return conf_set_string(field, value);
	case CONF_T_PATH:
		return conf_set_path(field, value, x->base_dir);
	case CONF_T_BOOL:
		if (conf_parse_bool(value, field) < 0)
			return conf_fail(x, x->line, "%s: '%s' is not a boolean (yes/no)", k->name, value);
		return 0;
	case CONF_T_INT:
		if (conf_parse_long(value, &num) < 0)
			return conf_fail(x, x->line, "%s: '%s' is not an integer", k->name, value);
		if (num < k->min || num > k->max)
			return conf_fail(x, x->line, "%s: %ld is out of range %ld..%ld", k->name, num,
				k->min, k->max);
		*(long *)field = num;
		return 0;
	case CONF_T_SIZE:
		if (conf_parse_size(value, &size) < 0)
			return conf_fail(x, x->line, "%s: '%s' is not a size (e.g. 500M)", k->name, value);
		*(uint64_t *)field = size;
		return 0;
	case CONF_T_DAYS:
		if (conf_parse_long(value, &num) < 0 || num < 0)
			return conf_fail(x, x->line, "%s: '%s' is not a number of days", k->name, value);
		*(long *)field = num;
		return 0;
	case CONF_T_DURATION:
		if (conf_parse_duration(value, &num) < 0)
			return conf_fail(x, x->line, "%s: '%s' is not a duration (e.g. 30s, 5m, 1h, 2d)",
				k->name, value);
		if (num < k->min)
			return conf_fail(x, x->line, "%s: must be at least %lds", k->name, k->min);
		*(long *)field = num;
		return 0;
	case CONF_T_LIST:
		return conf_set_list(field, value);
	case CONF_T_NUMBER:
		if (conf_parse_number(value, field) < 0)
			return conf_fail(x, x->line, "%s: '%s' is not a number", k->name, value);
		return 0;
	case CONF_T_ENUM:
		for (int i = 0; k->choices[i] != NULL; i++) {
			if (strcmp(value, k->choices[i]) == 0) {
				*(int *)field = i;
				return 0;
			}
		}
		return conf_fail(x, x->line, "%s: '%s' is not one of the allowed values", k->name, value);
	case CONF_T_CERT_KEY:
		return conf_set_cert_key(x, value);
	case CONF_T_DOMAIN:
		return conf_set_domain(x, value);
	}
	return -1;
}

static const struct conf_key *
conf_key_find(const char *name, size_t *index_r)
{
	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		if (strcmp(conf_keys[i].name, name) == 0) {
			*index_r = i;
			return &conf_keys[i];
		}
	}
	return NULL;
}

static bool
conf_is_ignored_key(const char *name)
{
	for (size_t i = 0; conf_ignored_keys[i] != NULL; i++)
		if (strcmp(name, conf_ignored_keys[i]) == 0)
			return true;
	for (size_t i = 0; conf_ignored_prefixes[i] != NULL; i++)
		if (strncmp(name, conf_ignored_prefixes[i], strlen(conf_ignored_prefixes[i])) == 0)
			return true;
	return false;
}

int
conf_init(struct conf *c)
{
	struct conf_ctx x;
	char err[256];

	memset(c, 0, sizeof(*c));
	memset(&x, 0, sizeof(x));
	x.c = c;
	x.file = "(built-in)";
	x.err = err;
	x.errlen = sizeof(err);
	for (size_t i = 0; i < CONF_KEY_COUNT; i++)
		if (conf_set_value(&x, &conf_keys[i], conf_keys[i].def) < 0)
			return -1;
	return 0;
}

/* conf_route_parse - "<domain> = <url|-> <host:port|->" (CONF-10). */
static int
conf_route_parse(struct conf_ctx *x, const char *key, const char *value)
{
	struct conf *c = x->c;
	struct conf_list words = { NULL, 0 };
	struct conf_route r, *routes;
	char domain[256];
	size_t n = strlen(key);
	int rc = -1;

	memset(&r, 0, sizeof(r));
	if (n >= 2 && key[0] == '[' && key[n - 1] == ']') {
		key++;
		n -= 2;
	}
	if (n == 0 || n >= sizeof(domain))
		return conf_fail(x, x->line, "invalid route domain");
	memcpy(domain, key, n);
	domain[n] = '\0';
	str_lower(domain);
	if (!conf_is_ipv4(domain) && !conf_is_hostname(domain))
		return conf_fail(x, x->line, "invalid route domain '%s'", domain);
	if (conf_route_find(c, domain) != NULL)
		return conf_fail(x, x->line, "duplicate route for '%s'", domain);
	if (c->route_count >= CONF_ROUTES_MAX)
		return conf_fail(x, x->line, "too many routes");
	if (conf_set_list(&words, value) < 0)
		goto out;
	if (words.count != 2) {
		rc = conf_fail(x, x->line, "route needs two values: <mxdeliv-url|-> <host:port|->");
		goto out;
	}
	if (strcmp(words.words[0], "-") != 0) {
		if (strncmp(words.words[0], "http://", 7) != 0 && strncmp(words.words[0], "https://", 8) != 0) {
			rc = conf_fail(x, x->line, "route URL '%s' must start with http:// or https://",
				words.words[0]);
			goto out;
		}
		r.mxdeliv_url = strdup(words.words[0]);
	}
	if (strcmp(words.words[1], "-") != 0) {
		char *colon = strrchr(words.words[1], ':');
		long port;

		if (colon == NULL || colon == words.words[1] || conf_parse_long(colon + 1, &port) < 0 ||
		    port < 1 || port > 65535) {
			rc = conf_fail(x, x->line, "route SMTP endpoint '%s' must be host:port", words.words[1]);
			goto out;
		}
		r.smtp_host = strndup(words.words[1], (size_t)(colon - words.words[1]));
		r.smtp_port = (int)port;
	}
	r.domain = strdup(domain);
	if (r.domain == NULL)
		goto out;
	routes = realloc(c->routes, (c->route_count + 1) * sizeof(*routes));
	if (routes == NULL)
		goto out;
	c->routes = routes;
	c->routes[c->route_count++] = r;
	memset(&r, 0, sizeof(r));
	rc = 0;
out:
	free(r.domain);
	free(r.mxdeliv_url);
	free(r.smtp_host);
	conf_list_clear(&words);
	if (rc < 0 && x->err[0] == '\0')
		conf_fail(x, x->line, "out of memory");
	return rc;
}

/* conf_key_line - the line a key was set on, or the last line for defaults. */
static unsigned
conf_key_line(const struct conf_ctx *x, const char *name, unsigned fallback)
{
	size_t i;

	if (conf_key_find(name, &i) != NULL && x->key_lines[i] > 0)
		return (unsigned)x->key_lines[i];
	return fallback;
}

/*
 * conf_pair_line - the line for a problem between two keys: the later of
 * the lines that set them, so a key left at its default never hides the
 * line the file actually wrote.
 */
static unsigned
conf_pair_line(const struct conf_ctx *x, const char *a, const char *b, unsigned fallback)
{
	unsigned la = conf_key_line(x, a, 0), lb = conf_key_line(x, b, 0);
	unsigned line = la > lb ? la : lb;

	return line > 0 ? line : fallback;
}

/* conf_finalize - required keys, derived defaults and cross-key consistency (CONF-4). */
static int
conf_finalize(struct conf_ctx *x, unsigned last_line)
{
	struct conf *c = x->c;
	const long *ports[] = { &c->smtp_port, &c->submission_port, &c->submissions_port,
		&c->imap_port, &c->imaps_port, &c->http_port };
	const char *port_names[] = { "smtp_port", "submission_port", "submissions_port", "imap_port",
		"imaps_port", "http_port" };
	size_t idx;

	if (x->from_file && conf_key_find("mail_domain", &idx) != NULL && x->key_lines[idx] == 0)
		return conf_fail(x, last_line, "mail_domain is required");
	if (c->username_min_length > c->username_max_length)
		return conf_fail(x,
			conf_pair_line(x, "username_min_length", "username_max_length", last_line),
			"username_min_length (%ld) is greater than username_max_length (%ld)",
			c->username_min_length, c->username_max_length);
	if (c->quota_trim_target > c->quota_trim_threshold)
		return conf_fail(x,
			conf_pair_line(x, "quota_trim_target", "quota_trim_threshold", last_line),
			"quota_trim_target (%ld) is greater than quota_trim_threshold (%ld)",
			c->quota_trim_target, c->quota_trim_threshold);
	if (c->queue_retry_initial > c->queue_retry_max)
		return conf_fail(x,
			conf_pair_line(x, "queue_retry_initial", "queue_retry_max", last_line),
			"queue_retry_initial is greater than queue_retry_max");
	if ((c->tls_cert[0] == '\0') != (c->tls_key[0] == '\0'))
		return conf_fail(x, conf_key_line(x, c->tls_cert[0] ? "tls_cert" : "tls_key", last_line),
			"tls_cert and tls_key must be set together");
	if (c->federation_policy == CONF_FEDERATION_ALLOWLIST && c->federation_allowlist.count == 0)
		return conf_fail(x, conf_key_line(x, "federation_policy", last_line),
			"federation_policy = allowlist needs federation_allowlist");
	if (c->listen_address.count == 0)
		return conf_fail(x, conf_key_line(x, "listen_address", last_line),
			"listen_address is empty");
	for (size_t i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
		for (size_t j = i + 1; j < sizeof(ports) / sizeof(ports[0]); j++) {
			if (*ports[i] != 0 && *ports[i] == *ports[j])
				return conf_fail(x,
					conf_pair_line(x, port_names[i], port_names[j], last_line),
					"%s and %s are both %ld", port_names[i], port_names[j], *ports[i]);
		}
	}
	if (c->hostname[0] == '\0' &&
	    conf_set_string(&c->hostname, c->mail_domain_bare) < 0)
		return conf_fail(x, last_line, "out of memory");
	if (!conf_is_hostname(c->hostname) && !conf_is_ipv4(c->hostname))
		return conf_fail(x, conf_key_line(x, "hostname", last_line), "invalid hostname '%s'",
			c->hostname);
	if (c->turn_host[0] == '\0' && conf_set_string(&c->turn_host, c->mail_domain_bare) < 0)
		return conf_fail(x, last_line, "out of memory");
	if (c->dkim_key[0] == '\0') {
		char *path;

		if (str_printf(&path, "%s/dkim/%s.private", c->data_dir, c->dkim_selector) < 0)
			return conf_fail(x, last_line, "out of memory");
		free(c->dkim_key);
		c->dkim_key = path;
	}
	return 0;
}

/* conf_parse_line - one logical line: section header, comment, key = value. */
static int
conf_parse_line(struct conf_ctx *x, char *line, char *section, size_t section_len)
{
	char *eq, *key, *value;
	const struct conf_key *k;
	size_t idx;

	line = str_trim(line);
	if (*line == '\0' || *line == '#' || *line == ';')
		return 0;
	eq = strchr(line, '=');
	if (line[0] == '[' && eq == NULL) {
		size_t n = strlen(line);

		if (line[n - 1] != ']' || n < 3)
			return conf_fail(x, x->line, "malformed section header");
		line[n - 1] = '\0';
		snprintf(section, section_len, "%s", str_trim(line + 1));
		/* "[ ]" would leave no section and misreport every later key. */
		if (section[0] == '\0')
			return conf_fail(x, x->line, "malformed section header");
		if (strcmp(section, "params") != 0 && strcmp(section, "routes") != 0)
			conf_notice(x->c, "%s:%u: section [%s] ignored", x->file, x->line, section);
		return 0;
	}
	if (eq == NULL)
		return conf_fail(x, x->line, "expected 'key = value'");
	*eq = '\0';
	key = str_trim(line);
	value = str_trim(eq + 1);
	if (*key == '\0')
		return conf_fail(x, x->line, "empty key");
	if (section[0] == '\0')
		return conf_fail(x, x->line, "key '%s' outside of a section (use [params])", key);
	if (strcmp(section, "routes") == 0)
		return conf_route_parse(x, key, value);
	if (strcmp(section, "params") != 0)
		return 0;
	for (char *p = key; *p != '\0'; p++)
		if (isupper((unsigned char)*p))
			return conf_fail(x, x->line, "key '%s' must be lowercase", key);
	k = conf_key_find(key, &idx);
	if (k == NULL) {
		if (conf_is_ignored_key(key))
			conf_notice(x->c, "%s:%u: chatmail key '%s' is not used by chatrelay, ignored",
				x->file, x->line, key);
		else
			conf_notice(x->c, "%s:%u: unknown key '%s' ignored", x->file, x->line, key);
		return 0;
	}
	if (x->key_lines[idx] != 0)
		return conf_fail(x, x->line, "duplicate key '%s' (first set on line %d)", key,
			x->key_lines[idx]);
	x->key_lines[idx] = (int)x->line;
	return conf_set_value(x, k, value);
}

int
conf_parse(struct conf *c, const char *text, size_t len, const char *file, const char *base_dir,
	char *err, size_t errlen)
{
	struct conf_ctx x;
	char section[64] = "";
	size_t pos = 0;

	memset(&x, 0, sizeof(x));
	x.c = c;
	x.file = file;
	x.base_dir = base_dir;
	x.from_file = true;
	x.err = err;
	x.errlen = errlen;
	err[0] = '\0';
	if (len > CONF_FILE_MAX)
		return conf_fail(&x, 0, "file is larger than %ld bytes", CONF_FILE_MAX);
	while (pos < len) {
		char line[CONF_LINE_MAX];
		const char *nl = memchr(text + pos, '\n', len - pos);
		size_t n = nl != NULL ? (size_t)(nl - (text + pos)) : len - pos;

		x.line++;
		if (n >= sizeof(line))
			return conf_fail(&x, x.line, "line longer than %d bytes", CONF_LINE_MAX - 1);
		if (memchr(text + pos, '\0', n) != NULL)
			return conf_fail(&x, x.line, "NUL byte in line");
		memcpy(line, text + pos, n);
		line[n] = '\0';
		pos += n + (nl != NULL);
		if (conf_parse_line(&x, line, section, sizeof(section)) < 0) {
			if (err[0] == '\0')
				conf_fail(&x, x.line, "out of memory");
			return -1;
		}
	}
	if (conf_set_string(&c->file, file) < 0)
		return conf_fail(&x, x.line, "out of memory");
	return conf_finalize(&x, x.line > 0 ? x.line : 1);
}

/* conf_read_file - whole file into a NUL-terminated heap buffer. */
static int
conf_read_file(const char *path, char **text_r, size_t *len_r, char *err, size_t errlen)
{
	struct stat st;
	ssize_t n;
	char *text;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s:0: cannot read: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > CONF_FILE_MAX) {
		snprintf(err, errlen, "%s:0: not a regular file of at most %ld bytes", path, CONF_FILE_MAX);
		close(fd);
		return -1;
	}
	text = malloc((size_t)st.st_size + 1);
	if (text == NULL) {
		close(fd);
		snprintf(err, errlen, "%s:0: out of memory", path);
		return -1;
	}
	n = read(fd, text, (size_t)st.st_size);
	close(fd);
	if (n != st.st_size) {
		free(text);
		snprintf(err, errlen, "%s:0: short read", path);
		return -1;
	}
	text[n] = '\0';
	*text_r = text;
	*len_r = (size_t)n;
	return 0;
}

int
conf_load(struct conf *c, const char *path, char *err, size_t errlen)
{
	static const char default_path[] = "/etc/chatrelay/chatrelay.ini";
	char *text, *dir;
	size_t len;
	int rc;

	if (path == NULL) {
		if (access(default_path, F_OK) != 0) {
			struct conf_ctx x = { .c = c, .file = "(built-in)", .err = err, .errlen = errlen };

			conf_notice(c, "no configuration file: running with built-in defaults");
			return conf_finalize(&x, 0);
		}
		path = default_path;
	}
	if (conf_read_file(path, &text, &len, err, errlen) < 0)
		return -1;
	dir = strdup(path);
	if (dir == NULL) {
		free(text);
		snprintf(err, errlen, "%s:0: out of memory", path);
		return -1;
	}
	{
		char *slash = strrchr(dir, '/');

		if (slash == NULL)
			snprintf(dir, strlen(dir) + 1, ".");
		else if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
	}
	rc = conf_parse(c, text, len, path, dir, err, errlen);
	free(dir);
	free(text);
	return rc;
}

void
conf_free(struct conf *c)
{
	for (size_t i = 0; i < CONF_KEY_COUNT; i++) {
		void *field = (char *)c + conf_keys[i].offset;

		switch (conf_keys[i].type) {
		case CONF_T_TEXT: case CONF_T_PATH: case CONF_T_URL: case CONF_T_DOMAIN:
			free(*(char **)field);
			*(char **)field = NULL;
			break;
		case CONF_T_LIST:
			conf_list_clear(field);
			break;
		default:
			break;
		}
	}
	free(c->tls_external_cert);
	free(c->tls_external_key);
	free(c->mail_domain_bare);
	for (size_t i = 0; i < c->route_count; i++) {
		free(c->routes[i].domain);
		free(c->routes[i].mxdeliv_url);
		free(c->routes[i].smtp_host);
	}
	free(c->routes);
	conf_list_clear(&c->notices);
	free(c->file);
	memset(c, 0, sizeof(*c));
}

const struct conf_route *
conf_route_find(const struct conf *c, const char *domain)
{
	size_t n = strlen(domain);

	if (n >= 2 && domain[0] == '[' && domain[n - 1] == ']') {
		domain++;
		n -= 2;
	}
	for (size_t i = 0; i < c->route_count; i++)
		if (strlen(c->routes[i].domain) == n && strncasecmp(c->routes[i].domain, domain, n) == 0)
			return &c->routes[i];
	return NULL;
}
