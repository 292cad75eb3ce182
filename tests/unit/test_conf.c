/*
 * test_conf.c - unit tests of core/core_conf.c (SPEC CONF-1..10).
 *
 * Covers every value type of CONF-3 through the exported value parsers and
 * through a file, every error of CONF-4 with its exact "<file>:<line>:
 * <problem>" text, the notices of CONF-2/4/5, [routes] (CONF-10), the
 * built-in defaults of CONF-8/9 and a chatmail.ini fixture. Texts are parsed
 * as file "t.ini" in directory "/etc/chatrelay"; nothing touches the real
 * /etc. Every struct conf is freed (the tests run under LeakSanitizer).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/core_conf.h"
#include "core/core_limits.h"
#include "core/core_log.h"

/* The first two lines of most texts; the lines under test start on line 3. */
#define TEST_HEAD "[params]\nmail_domain = example.org\n"
#define TEST_FIXTURE "tests/unit/data/chatmail.ini"

static int
test_conf_parse_len(struct conf *c, const char *text, size_t len, char *err, size_t errlen)
{
	assert_int_equal(conf_init(c), 0);
	return conf_parse(c, text, len, "t.ini", "/etc/chatrelay", err, errlen);
}

/* test_conf_ok - text must parse; c is left for the caller to inspect and free. */
static void
test_conf_ok(struct conf *c, const char *text)
{
	char err[512];

	if (test_conf_parse_len(c, text, strlen(text), err, sizeof(err)) != 0)
		fail_msg("unexpected error for \"%s\": %s", text, err);
}

/* test_conf_err_len - text[0..len) must fail with exactly want. */
static void
test_conf_err_len(const char *text, size_t len, const char *want)
{
	struct conf c;
	char err[512];

	if (test_conf_parse_len(&c, text, len, err, sizeof(err)) != -1)
		fail_msg("\"%s\" parsed, expected \"%s\"", text, want);
	assert_string_equal(err, want);
	conf_free(&c);
}

static void
test_conf_err(const char *text, const char *want)
{
	test_conf_err_len(text, strlen(text), want);
}

/* test_conf_has_notice - whether c->notices holds exactly want. */
static bool
test_conf_has_notice(const struct conf *c, const char *want)
{
	for (size_t i = 0; i < c->notices.count; i++)
		if (strcmp(c->notices.words[i], want) == 0)
			return true;
	return false;
}

static void
test_conf_bool_words(void **state)
{
	static const char *const yes[] = {"yes", "true", "on", "1", "True", "YES", NULL};
	static const char *const no[] = {"no", "false", "off", "0", "False", "NO", NULL};
	static const char *const bad[] = {"", "y", "n", "2", "yess", "no ", "enable", NULL};
	bool v;

	(void)state;
	for (size_t i = 0; yes[i] != NULL; i++) {
		v = false;
		assert_int_equal(conf_parse_bool(yes[i], &v), 0);
		assert_true(v);
	}
	for (size_t i = 0; no[i] != NULL; i++) {
		v = true;
		assert_int_equal(conf_parse_bool(no[i], &v), 0);
		assert_false(v);
	}
	for (size_t i = 0; bad[i] != NULL; i++)
		assert_int_equal(conf_parse_bool(bad[i], &v), -1);
}

static void
test_conf_bool_file(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "disable_ipv6 = on\nimap_compress = false\nhttp_tls = 1\n"
	                  "no_log = no\nmetrics_remote = true\n");
	assert_true(c.disable_ipv6);
	assert_false(c.imap_compress);
	assert_true(c.http_tls);
	assert_false(c.no_log);
	assert_true(c.metrics_remote);
	conf_free(&c);
	test_conf_err(
	        TEST_HEAD "no_log = maybe\n", "t.ini:3: no_log: 'maybe' is not a boolean (yes/no)");
	test_conf_err(TEST_HEAD "push =\n", "t.ini:3: push: '' is not a boolean (yes/no)");
}

static void
test_conf_size(void **state)
{
	static const struct {
		const char *s;
		uint64_t v;
	} ok[] = {
	        {"0", 0},
	        {"1", 1},
	        {"31457280", 31457280},
	        {"1K", 1024},
	        {"1k", 1024},
	        {"500M", 500ULL * 1024 * 1024},
	        {"2G", 2ULL * 1024 * 1024 * 1024},
	        {"18446744073709551615", UINT64_MAX},
	        {"17179869183G", 17179869183ULL * 1024 * 1024 * 1024},
	};
	static const char *const bad[] = {"", "K", "1KB", "1T", "-1", " 1", "1 ", "1.5M", "0x10",
	        "18446744073709551616", "17179869184G", "99999999999999999999999", NULL};
	struct conf c;
	uint64_t v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = 7;
		assert_int_equal(conf_parse_size(ok[i].s, &v), 0);
		assert_true(v == ok[i].v);
	}
	for (size_t i = 0; bad[i] != NULL; i++)
		if (conf_parse_size(bad[i], &v) != -1)
			fail_msg("size '%s' accepted", bad[i]);
	test_conf_ok(&c,
	        TEST_HEAD "max_message_size = 10M\nmax_mailbox_size = 0\n"
	                  "min_free_disk_space = 3G\ndelete_large_min_size = 100k\n");
	assert_true(c.max_message_size == 10ULL * 1024 * 1024);
	assert_true(c.max_mailbox_size == 0);
	assert_true(c.min_free_disk_space == 3ULL * 1024 * 1024 * 1024);
	assert_true(c.delete_large_min_size == 100 * 1024);
	conf_free(&c);
	test_conf_err(TEST_HEAD "max_message_size = 30MB\n",
	        "t.ini:3: max_message_size: '30MB' is not a size (e.g. 500M)");
	test_conf_err(TEST_HEAD "max_mailbox_size = 17179869184G\n",
	        "t.ini:3: max_mailbox_size: '17179869184G' is not a size (e.g. 500M)");
}

static void
test_conf_days(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "delete_mails_after = 0\ndelete_large_after = 30\n"
	                  "delete_inactive_users_after = 365\n");
	assert_int_equal(c.delete_mails_after, 0);
	assert_int_equal(c.delete_large_after, 30);
	assert_int_equal(c.delete_inactive_users_after, 365);
	conf_free(&c);
	test_conf_err(TEST_HEAD "delete_mails_after = -1\n",
	        "t.ini:3: delete_mails_after: '-1' is not a number of days");
	test_conf_err(TEST_HEAD "delete_large_after = 7d\n",
	        "t.ini:3: delete_large_after: '7d' is not a number of days");
	test_conf_err(TEST_HEAD "delete_inactive_users_after =\n",
	        "t.ini:3: delete_inactive_users_after: '' is not a number of days");
}

static void
test_conf_duration(void **state)
{
	static const struct {
		const char *s;
		long v;
	} ok[] = {
	        {"0", 0},
	        {"30", 30},
	        {"30s", 30},
	        {"5m", 300},
	        {"2h", 7200},
	        {"3d", 259200},
	        {"9223372036854775807", 9223372036854775807L},
	        {"9223372036854775807s", 9223372036854775807L},
	};
	static const char *const bad[] = {"", "s", "5x", "5mm", "5M", "5 m", "-5", "1.5h",
	        "9223372036854775808", "9223372036854775807m", "106751991167301d", NULL};
	struct conf c;
	long v;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		v = -7;
		assert_int_equal(conf_parse_duration(ok[i].s, &v), 0);
		assert_int_equal(v, ok[i].v);
	}
	for (size_t i = 0; bad[i] != NULL; i++)
		if (conf_parse_duration(bad[i], &v) != -1)
			fail_msg("duration '%s' accepted", bad[i]);
	test_conf_ok(&c,
	        TEST_HEAD "smtp_timeout = 10m\nimap_timeout = 45\nauth_cache_ttl = 0\n"
	                  "queue_lifetime = 2d\nturn_lifetime = 12h\nquota_trim_keep = 0s\n");
	assert_int_equal(c.smtp_timeout, 600);
	assert_int_equal(c.imap_timeout, 45);
	assert_int_equal(c.auth_cache_ttl, 0);
	assert_int_equal(c.queue_lifetime, 172800);
	assert_int_equal(c.turn_lifetime, 43200);
	assert_int_equal(c.quota_trim_keep, 0);
	conf_free(&c);
	test_conf_err(TEST_HEAD "smtp_timeout = 0\n", "t.ini:3: smtp_timeout: must be at least 1s");
	test_conf_err(TEST_HEAD "imap_idle_keepalive = 2 m\n",
	        "t.ini:3: imap_idle_keepalive: '2 m' is not a duration (e.g. 30s, 5m, 1h, 2d)");
}

static void
test_conf_int(void **state)
{
	static const char *const bad[] = {"", "-", "+1", "1.0", " 1", "1 ", "0x1", "1e3",
	        "9223372036854775808", "-9223372036854775808", NULL};
	struct conf c;
	long v;

	(void)state;
	assert_int_equal(conf_parse_long("0", &v), 0);
	assert_int_equal(v, 0);
	assert_int_equal(conf_parse_long("-5", &v), 0);
	assert_int_equal(v, -5);
	assert_int_equal(conf_parse_long("9223372036854775807", &v), 0);
	assert_int_equal(v, 9223372036854775807L);
	for (size_t i = 0; bad[i] != NULL; i++)
		if (conf_parse_long(bad[i], &v) != -1)
			fail_msg("integer '%s' accepted", bad[i]);
	test_conf_ok(&c,
	        TEST_HEAD
	        "smtp_port = 0\nimap_port = 65535\nthreads = 64\n"
	        "username_min_length = 1\nusername_max_length = 64\npassword_min_length = 0\n");
	assert_int_equal(c.smtp_port, 0);
	assert_int_equal(c.imap_port, 65535);
	assert_int_equal(c.threads, 64);
	assert_int_equal(c.username_min_length, 1);
	assert_int_equal(c.username_max_length, 64);
	assert_int_equal(c.password_min_length, 0);
	conf_free(&c);
	test_conf_err(TEST_HEAD "smtp_port = 65536\n",
	        "t.ini:3: smtp_port: 65536 is out of range 0..65535");
	test_conf_err(
	        TEST_HEAD "http_port = -1\n", "t.ini:3: http_port: -1 is out of range 0..65535");
	test_conf_err(TEST_HEAD "threads = 65\n", "t.ini:3: threads: 65 is out of range 0..64");
	test_conf_err(
	        TEST_HEAD "turn_port = 0\n", "t.ini:3: turn_port: 0 is out of range 1..65535");
	test_conf_err(TEST_HEAD "quota_trim_threshold = 101\n",
	        "t.ini:3: quota_trim_threshold: 101 is out of range 1..100");
	test_conf_err(TEST_HEAD "max_recipients = many\n",
	        "t.ini:3: max_recipients: 'many' is not an integer");
	test_conf_err(TEST_HEAD "max_recipients = 10.5\n",
	        "t.ini:3: max_recipients: '10.5' is not an integer");
}

static void
test_conf_list(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "listen_address = 0.0.0.0  \t ::\n"
	                  "passthrough_recipients = echo@example.org   @other.test\n"
	                  "passthrough_senders =\nfederation_blocklist = bad.test\n");
	assert_int_equal(c.listen_address.count, 2);
	assert_string_equal(c.listen_address.words[0], "0.0.0.0");
	assert_string_equal(c.listen_address.words[1], "::");
	assert_int_equal(c.passthrough_recipients.count, 2);
	assert_string_equal(c.passthrough_recipients.words[0], "echo@example.org");
	assert_string_equal(c.passthrough_recipients.words[1], "@other.test");
	assert_int_equal(c.passthrough_senders.count, 0);
	assert_int_equal(c.federation_blocklist.count, 1);
	assert_string_equal(c.federation_blocklist.words[0], "bad.test");
	assert_int_equal(c.reserved_local_parts.count, 0);
	conf_free(&c);
}

static void
test_conf_number(void **state)
{
	static const char *const bad[] = {
	        "-1", "abc", "1.5x", ".5", "", "nan", "inf", "1e999", NULL};
	struct conf c;
	char text[128];

	(void)state;
	test_conf_ok(&c, TEST_HEAD "max_load_1m = 1.5\n");
	assert_true(fabs(c.max_load_1m - 1.5) < 1e-9);
	conf_free(&c);
	test_conf_ok(&c, TEST_HEAD "max_load_1m = 4\n");
	assert_true(fabs(c.max_load_1m - 4.0) < 1e-9);
	conf_free(&c);
	for (size_t i = 0; bad[i] != NULL; i++) {
		char want[128];

		snprintf(text, sizeof(text), TEST_HEAD "max_load_1m = %s\n", bad[i]);
		snprintf(want, sizeof(want), "t.ini:3: max_load_1m: '%s' is not a number", bad[i]);
		test_conf_err(text, want);
	}
}

static void
test_conf_enum(void **state)
{
	static const char *const levels[] = {"error", "warn", "info", "debug"};
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "registration = closed\nlog_target = syslog\ntls_min_version = 1.3\n"
	                  "federation_policy = allowlist\nfederation_allowlist = a.test b.test\n");
	assert_int_equal(c.registration, CONF_REGISTRATION_CLOSED);
	assert_int_equal(c.log_target, LOG_TARGET_SYSLOG);
	assert_int_equal(c.tls_min_version, CONF_TLS_1_3);
	assert_int_equal(c.federation_policy, CONF_FEDERATION_ALLOWLIST);
	assert_int_equal(c.federation_allowlist.count, 2);
	conf_free(&c);
	for (size_t i = 0; i < 4; i++) {
		char text[128];

		snprintf(text, sizeof(text), TEST_HEAD "log_level = %s\n", levels[i]);
		test_conf_ok(&c, text);
		assert_int_equal(c.log_level, (int)i);
		conf_free(&c);
	}
	test_conf_err(TEST_HEAD "registration = Closed\n",
	        "t.ini:3: registration: 'Closed' is not one of the allowed values");
	test_conf_err(TEST_HEAD "tls_min_version = 1.1\n",
	        "t.ini:3: tls_min_version: '1.1' is not one of the allowed values");
	test_conf_err(TEST_HEAD "log_level = verbose\n",
	        "t.ini:3: log_level: 'verbose' is not one of the allowed values");
	test_conf_err(TEST_HEAD "federation_policy = closed\n",
	        "t.ini:3: federation_policy: 'closed' is not one of the allowed values");
}

static void
test_conf_path(void **state)
{
	struct conf c;
	char err[256];
	const char *text =
	        TEST_HEAD "data_dir = data\nwww_folder = ./www\ntls_cert = /abs/cert.pem\n"
	                  "tls_key = ././keys/key.pem\ndkim_key = dkim.pem\n";

	(void)state;
	test_conf_ok(&c, text);
	assert_string_equal(c.data_dir, "/etc/chatrelay/data");
	assert_string_equal(c.www_folder, "/etc/chatrelay/www");
	assert_string_equal(c.tls_cert, "/abs/cert.pem");
	assert_string_equal(c.tls_key, "/etc/chatrelay/keys/key.pem");
	assert_string_equal(c.dkim_key, "/etc/chatrelay/dkim.pem");
	conf_free(&c);
	/* A config file in the working directory, or no base directory at all. */
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_parse(&c, text, strlen(text), "t.ini", ".", err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "data");
	assert_string_equal(c.www_folder, "./www");
	conf_free(&c);
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_parse(&c, text, strlen(text), "t.ini", NULL, err, sizeof(err)), 0);
	assert_string_equal(c.data_dir, "data");
	assert_string_equal(c.file, "t.ini");
	conf_free(&c);
}

static void
test_conf_cert_and_key(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(
	        &c, TEST_HEAD "tls_external_cert_and_key = certs/fullchain.pem /k/privkey.pem\n");
	assert_string_equal(c.tls_external_cert, "/etc/chatrelay/certs/fullchain.pem");
	assert_string_equal(c.tls_external_key, "/k/privkey.pem");
	conf_free(&c);
	test_conf_ok(&c, TEST_HEAD "tls_external_cert_and_key = \"/c/cert.pem  key.pem\"\n");
	assert_string_equal(c.tls_external_cert, "/c/cert.pem");
	assert_string_equal(c.tls_external_key, "/etc/chatrelay/key.pem");
	conf_free(&c);
	test_conf_ok(&c, TEST_HEAD "tls_external_cert_and_key =\n");
	assert_null(c.tls_external_cert);
	assert_null(c.tls_external_key);
	conf_free(&c);
	test_conf_ok(&c, TEST_HEAD "tls_external_cert_and_key = \"\"\n");
	assert_null(c.tls_external_cert);
	conf_free(&c);
	test_conf_err(TEST_HEAD "tls_external_cert_and_key = /c/cert.pem\n",
	        "t.ini:3: tls_external_cert_and_key needs two paths: <cert> <key>");
	test_conf_err(TEST_HEAD "tls_external_cert_and_key = \"/c/cert.pem\"\n",
	        "t.ini:3: tls_external_cert_and_key needs two paths: <cert> <key>");
	test_conf_err(TEST_HEAD "tls_external_cert_and_key = a b c\n",
	        "t.ini:3: tls_external_cert_and_key needs two paths: <cert> <key>");
	test_conf_err(TEST_HEAD "tls_external_cert_and_key = \"\n",
	        "t.ini:3: tls_external_cert_and_key needs two paths: <cert> <key>");
}

static void
test_conf_url(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "push_url = http://127.0.0.1:9/notify?a=b\n"
	                  "iroh_relay = https://iroh.example.org\n");
	assert_string_equal(c.push_url, "http://127.0.0.1:9/notify?a=b");
	assert_string_equal(c.iroh_relay, "https://iroh.example.org");
	conf_free(&c);
	test_conf_ok(&c, TEST_HEAD "iroh_relay =\n");
	assert_string_equal(c.iroh_relay, "");
	conf_free(&c);
	test_conf_err(TEST_HEAD "push_url = ftp://x\n",
	        "t.ini:3: push_url: 'ftp://x' is not an http:// or https:// URL");
	test_conf_err(TEST_HEAD "iroh_relay = iroh.example.org\n",
	        "t.ini:3: iroh_relay: 'iroh.example.org' is not an http:// or https:// URL");
}

static void
test_conf_text(void **state)
{
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "privacy_postal = Example GmbH, Street 1, 12345 Town\n"
	                  "turn_secret = s3cr=t\nuser = chatrelay\ndkim_selector = sel2026\n");
	assert_string_equal(c.privacy_postal, "Example GmbH, Street 1, 12345 Town");
	assert_string_equal(c.turn_secret, "s3cr=t");
	assert_string_equal(c.user, "chatrelay");
	assert_string_equal(c.dkim_selector, "sel2026");
	assert_string_equal(c.dkim_key, "./chatrelay-data/dkim/sel2026.private");
	conf_free(&c);
}

static void
test_conf_mail_domain(void **state)
{
	static const struct {
		const char *in, *domain, *bare;
		bool is_ip;
	} ok[] = {
	        {"example.org", "example.org", "example.org", false},
	        {"Chat.Example.ORG", "chat.example.org", "chat.example.org", false},
	        {"chat_test.localhost", "chat_test.localhost", "chat_test.localhost", false},
	        {"localhost", "localhost", "localhost", false},
	        {"1.2.3.4", "[1.2.3.4]", "1.2.3.4", true},
	        {"[127.0.0.1]", "[127.0.0.1]", "127.0.0.1", true},
	        {"255.255.255.255", "[255.255.255.255]", "255.255.255.255", true},
	};
	static const char *const bad[] = {"", "exa mple.org", "a..b", ".example.org",
	        "example.org.", "ex@mple.org", "[]", "[example.org]", "[1.2.3]", "[1.2.3.4",
	        "256.1.1.1", "1.2.3.4.5", NULL};
	static const char *const ipv6[] = {
	        "::1", "[::1]", "[IPv6:2001:db8::1]", "2001:db8::1", NULL};
	char text[512], want[512];
	struct conf c;

	(void)state;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(text, sizeof(text), "[params]\nmail_domain = %s\n", ok[i].in);
		test_conf_ok(&c, text);
		assert_string_equal(c.mail_domain, ok[i].domain);
		assert_string_equal(c.mail_domain_bare, ok[i].bare);
		assert_int_equal(c.mail_domain_is_ip, ok[i].is_ip);
		/* CONF-9: hostname and turn_host default to the bare domain. */
		assert_string_equal(c.hostname, ok[i].bare);
		assert_string_equal(c.turn_host, ok[i].bare);
		conf_free(&c);
	}
	for (size_t i = 0; bad[i] != NULL; i++) {
		snprintf(text, sizeof(text), "[params]\nmail_domain = %s\n", bad[i]);
		if (bad[i][0] == '[' && strchr(bad[i], ']') != NULL && strlen(bad[i]) > 2)
			snprintf(want, sizeof(want), "t.ini:2: invalid IP literal mail domain '%s'",
			        bad[i]);
		else
			snprintf(want, sizeof(want), "t.ini:2: invalid mail_domain '%s'", bad[i]);
		test_conf_err(text, want);
	}
	for (size_t i = 0; ipv6[i] != NULL; i++) {
		snprintf(text, sizeof(text), "[params]\nmail_domain = %s\n", ipv6[i]);
		test_conf_err(text, "t.ini:2: IPv6 mail domains are not supported");
	}
	/* A label of 63 octets is fine, 64 is not; over 253 octets in total is not. */
	snprintf(text, sizeof(text), "[params]\nmail_domain = %063d.org\n", 0);
	test_conf_ok(&c, text);
	conf_free(&c);
	snprintf(text, sizeof(text), "[params]\nmail_domain = %064d.org\n", 0);
	snprintf(want, sizeof(want), "t.ini:2: invalid mail_domain '%064d.org'", 0);
	test_conf_err(text, want);
	snprintf(text, sizeof(text), "[params]\nmail_domain = %s\n",
	        "a23456789.b23456789.c23456789.d23456789.e23456789.f23456789.g23456789.h23456789."
	        "a23456789.b23456789.c23456789.d23456789.e23456789.f23456789.g23456789.h23456789."
	        "a23456789.b23456789.c23456789.d23456789.e23456789.f23456789.g23456789.h23456789."
	        "org");
	assert_int_equal(strlen(text) - strlen("[params]\nmail_domain = \n"), 243);
	test_conf_ok(&c, text);
	conf_free(&c);
	test_conf_err(
	        "[params]\nmail_domain = x123456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.org\n",
	        "t.ini:2: invalid mail_domain 'x123456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.a23456789.b23456789.c23456789.d23456789."
	        "e23456789.f23456789.g23456789.h23456789.org'");
}

static void
test_conf_syntax(void **state)
{
	struct conf c;

	(void)state;
	/* Comments, blank lines, CRLF, white space around keys and values, no final newline. */
	test_conf_ok(&c,
	        "# chatrelay\r\n; also a comment\r\n\r\n  [ params ]  \r\n"
	        "\t mail_domain\t=  Example.org \r\n   # indented comment\r\n"
	        "push_url = https://x.test/?a=b=c\r\nsmtp_port=25");
	assert_string_equal(c.mail_domain, "example.org");
	assert_string_equal(c.push_url, "https://x.test/?a=b=c");
	assert_int_equal(c.smtp_port, 25);
	assert_int_equal(c.notices.count, 0);
	conf_free(&c);
	/* Later sections may come back to [params]. */
	test_conf_ok(&c,
	        "[routes]\n[params]\nmail_domain = a.test\n[other]\n[params]\nsmtp_port = 26\n");
	assert_int_equal(c.smtp_port, 26);
	conf_free(&c);
}

static void
test_conf_syntax_errors(void **state)
{
	char text[CONF_LINE_MAX + 64];
	size_t head = strlen(TEST_HEAD);

	(void)state;
	test_conf_err(TEST_HEAD "smtp_port = 25\nimap_port = 143\nsmtp_port = 26\n",
	        "t.ini:5: duplicate key 'smtp_port' (first set on line 3)");
	test_conf_err("[params]\nmail_domain = a.test\n\nmail_domain = b.test\n",
	        "t.ini:4: duplicate key 'mail_domain' (first set on line 2)");
	test_conf_err("mail_domain = a.test\n",
	        "t.ini:1: key 'mail_domain' outside of a section (use [params])");
	test_conf_err("# comment\n\nsmtp_port = 1\n[params]\n",
	        "t.ini:3: key 'smtp_port' outside of a section (use [params])");
	test_conf_err(TEST_HEAD "Smtp_Port = 25\n", "t.ini:3: key 'Smtp_Port' must be lowercase");
	test_conf_err(TEST_HEAD "ACME_EMAIL = x\n", "t.ini:3: key 'ACME_EMAIL' must be lowercase");
	test_conf_err("[params\nmail_domain = a.test\n", "t.ini:1: malformed section header");
	test_conf_err("[]\n", "t.ini:1: malformed section header");
	test_conf_err("[ ]\nmail_domain = a.test\n", "t.ini:1: malformed section header");
	test_conf_err(TEST_HEAD "[params] # x\n", "t.ini:3: malformed section header");
	test_conf_err(TEST_HEAD "just words\n", "t.ini:3: expected 'key = value'");
	test_conf_err(TEST_HEAD " = value\n", "t.ini:3: empty key");
	test_conf_err(TEST_HEAD "=\n", "t.ini:3: empty key");

	/* CONF_LINE_MAX - 1 octets are allowed, one more is not (with or without newline). */
	memcpy(text, TEST_HEAD, head);
	text[head] = '#';
	memset(text + head + 1, 'x', CONF_LINE_MAX - 2);
	strcpy(text + head + CONF_LINE_MAX - 1, "\n");
	{
		struct conf c;

		test_conf_ok(&c, text);
		conf_free(&c);
	}
	memset(text + head + 1, 'x', CONF_LINE_MAX - 1);
	strcpy(text + head + CONF_LINE_MAX, "\nsmtp_port = 1\n");
	test_conf_err(text, "t.ini:3: line longer than 4095 bytes");
	text[head + CONF_LINE_MAX] = '\0';
	test_conf_err(text, "t.ini:3: line longer than 4095 bytes");

	/* A NUL byte anywhere in a line, even in a comment. */
	test_conf_err_len(TEST_HEAD "smtp_port = 2\0"
	                            "5\n",
	        head + 16, "t.ini:3: NUL byte in line");
	test_conf_err_len(TEST_HEAD "#\0\n", head + 3, "t.ini:3: NUL byte in line");
	/* The whole file is bounded too (line 0: a problem of the whole file). */
	{
		char *big = calloc(1, CONF_FILE_MAX + 2);

		assert_non_null(big);
		memset(big, '\n', CONF_FILE_MAX + 1);
		test_conf_err_len(
		        big, CONF_FILE_MAX + 1, "t.ini:0: file is larger than 1048576 bytes");
		free(big);
	}
}

static void
test_conf_required(void **state)
{
	struct conf c;

	(void)state;
	test_conf_err("[params]\nsmtp_port = 25\n\n", "t.ini:3: mail_domain is required");
	test_conf_err("", "t.ini:1: mail_domain is required");
	test_conf_err("[other]\nmail_domain = a.test\n", "t.ini:2: mail_domain is required");
	test_conf_err("[params]\nmail_domain =\n", "t.ini:2: invalid mail_domain ''");
	/* The default 127.0.0.1 counts only without a file. */
	test_conf_ok(&c, "[params]\nmail_domain = 127.0.0.1\n");
	assert_string_equal(c.mail_domain, "[127.0.0.1]");
	conf_free(&c);
}

static void
test_conf_consistency(void **state)
{
	struct conf c;

	(void)state;
	test_conf_err(TEST_HEAD "username_min_length = 10\nsmtp_port = 1\n",
	        "t.ini:3: username_min_length (10) is greater than username_max_length (9)");
	/* The line named is that of the key the file set, not the end of the file. */
	test_conf_err(TEST_HEAD "username_max_length = 5\nsmtp_port = 1\n",
	        "t.ini:3: username_min_length (9) is greater than username_max_length (5)");
	test_conf_err(TEST_HEAD
	        "username_min_length = 12\nusername_max_length = 11\nsmtp_port = 1\n",
	        "t.ini:4: username_min_length (12) is greater than username_max_length (11)");
	test_conf_ok(&c, TEST_HEAD "username_min_length = 6\nusername_max_length = 20\n");
	conf_free(&c);
	test_conf_err(TEST_HEAD "quota_trim_target = 80\nsmtp_port = 1\n",
	        "t.ini:3: quota_trim_target (80) is greater than quota_trim_threshold (75)");
	test_conf_err(TEST_HEAD "quota_trim_threshold = 60\nsmtp_port = 1\n",
	        "t.ini:3: quota_trim_target (70) is greater than quota_trim_threshold (60)");
	test_conf_ok(&c, TEST_HEAD "quota_trim_threshold = 70\n");
	conf_free(&c);
	test_conf_err(TEST_HEAD "queue_retry_initial = 2h\nsmtp_port = 1\n",
	        "t.ini:3: queue_retry_initial is greater than queue_retry_max");
	test_conf_err(TEST_HEAD "queue_retry_max = 30s\nsmtp_port = 1\n",
	        "t.ini:3: queue_retry_initial is greater than queue_retry_max");
	test_conf_err(TEST_HEAD "tls_cert = cert.pem\nsmtp_port = 1\n",
	        "t.ini:3: tls_cert and tls_key must be set together");
	test_conf_err(TEST_HEAD "tls_key = key.pem\nsmtp_port = 1\n",
	        "t.ini:3: tls_cert and tls_key must be set together");
	test_conf_ok(&c, TEST_HEAD "tls_key = key.pem\ntls_cert = cert.pem\n");
	conf_free(&c);
	test_conf_err(TEST_HEAD "federation_policy = allowlist\nsmtp_port = 1\n",
	        "t.ini:3: federation_policy = allowlist needs federation_allowlist");
	test_conf_err(
	        TEST_HEAD "listen_address =\nsmtp_port = 1\n", "t.ini:3: listen_address is empty");
	test_conf_err(TEST_HEAD "hostname = bad host\nsmtp_port = 1\n",
	        "t.ini:3: invalid hostname 'bad host'");
}

static void
test_conf_ports(void **state)
{
	struct conf c;

	(void)state;
	test_conf_err(TEST_HEAD "imap_port = 2525\nhttp_port = 1\n",
	        "t.ini:3: smtp_port and imap_port are both 2525");
	/* The later key is a default: the line is still that of the key in the file. */
	test_conf_err(TEST_HEAD "smtp_port = 1430\nhttp_port = 1\n",
	        "t.ini:3: smtp_port and imap_port are both 1430");
	test_conf_err(TEST_HEAD "http_port = 7000\nimaps_port = 7000\nsmtp_port = 1\n",
	        "t.ini:4: imaps_port and http_port are both 7000");
	/* 0 disables a listener; several disabled listeners do not clash. */
	test_conf_ok(
	        &c, TEST_HEAD "smtp_port = 0\nsubmission_port = 0\nimap_port = 0\nhttp_port = 0\n");
	assert_int_equal(c.smtp_port, 0);
	assert_int_equal(c.http_port, 0);
	conf_free(&c);
}

static void
test_conf_notices(void **state)
{
	static const char *const ignored[] = {"acme_email", "mtail_address", "imap_rawlog",
	        "mailboxes_dir", "turn_socket_path", "filtermail_smtp_port",
	        "filtermail_smtp_port_incoming", "postfix_reinject_port",
	        "postfix_reinject_port_incoming", NULL};
	char text[2048], want[256];
	size_t len;
	struct conf c;

	(void)state;
	len = (size_t)snprintf(text, sizeof(text), TEST_HEAD);
	for (size_t i = 0; ignored[i] != NULL; i++)
		len += (size_t)snprintf(
		        text + len, sizeof(text) - len, "%s = not validated\n", ignored[i]);
	len += (size_t)snprintf(text + len, sizeof(text) - len,
	        "frobnicate = 1\n[unknown]\nWhatever Goes = here\n[params]\n"
	        "smtp_port = 26\n");
	test_conf_ok(&c, text);
	for (size_t i = 0; ignored[i] != NULL; i++) {
		snprintf(want, sizeof(want),
		        "t.ini:%zu: chatmail key '%s' is not used by chatrelay, ignored", i + 3,
		        ignored[i]);
		if (!test_conf_has_notice(&c, want))
			fail_msg("missing notice: %s", want);
	}
	snprintf(want, sizeof(want), "t.ini:12: unknown key 'frobnicate' ignored");
	assert_true(test_conf_has_notice(&c, want));
	assert_true(test_conf_has_notice(&c, "t.ini:13: section [unknown] ignored"));
	/* One notice per ignored key and section, nothing else. */
	assert_int_equal(c.notices.count, 11);
	assert_int_equal(c.smtp_port, 26);
	conf_free(&c);
	/* A prefix alone is not a chatmail key. */
	test_conf_ok(&c, TEST_HEAD "postfix = 1\nacme_email_x = 1\n");
	assert_true(test_conf_has_notice(&c, "t.ini:3: unknown key 'postfix' ignored"));
	assert_true(test_conf_has_notice(&c, "t.ini:4: unknown key 'acme_email_x' ignored"));
	conf_free(&c);
}

static void
test_conf_routes(void **state)
{
	const struct conf_route *r;
	struct conf c;

	(void)state;
	test_conf_ok(&c,
	        TEST_HEAD "[routes]\n"
	                  "chat2.test = http://127.0.0.1:8081/mxdeliv 127.0.0.1:2526\n"
	                  "127.0.0.2 = - 127.0.0.2:25\n"
	                  "[127.0.0.3] = https://127.0.0.3/mxdeliv -\n"
	                  "Upper.TEST = - -\n"
	                  "v6.test = - [::1]:2525\n");
	assert_int_equal(c.route_count, 5);
	r = conf_route_find(&c, "chat2.test");
	assert_non_null(r);
	assert_string_equal(r->domain, "chat2.test");
	assert_string_equal(r->mxdeliv_url, "http://127.0.0.1:8081/mxdeliv");
	assert_string_equal(r->smtp_host, "127.0.0.1");
	assert_int_equal(r->smtp_port, 2526);
	assert_ptr_equal(conf_route_find(&c, "CHAT2.Test"), r);
	r = conf_route_find(&c, "[127.0.0.2]");
	assert_non_null(r);
	assert_string_equal(r->domain, "127.0.0.2");
	assert_null(r->mxdeliv_url);
	assert_string_equal(r->smtp_host, "127.0.0.2");
	assert_int_equal(r->smtp_port, 25);
	assert_ptr_equal(conf_route_find(&c, "127.0.0.2"), r);
	r = conf_route_find(&c, "127.0.0.3");
	assert_non_null(r);
	assert_string_equal(r->domain, "127.0.0.3");
	assert_string_equal(r->mxdeliv_url, "https://127.0.0.3/mxdeliv");
	assert_null(r->smtp_host);
	r = conf_route_find(&c, "upper.test");
	assert_non_null(r);
	assert_string_equal(r->domain, "upper.test");
	assert_null(r->mxdeliv_url);
	assert_null(r->smtp_host);
	r = conf_route_find(&c, "v6.test");
	assert_non_null(r);
	assert_string_equal(r->smtp_host, "[::1]");
	assert_int_equal(r->smtp_port, 2525);
	assert_null(conf_route_find(&c, "chat3.test"));
	assert_null(conf_route_find(&c, "chat2.tes"));
	assert_null(conf_route_find(&c, "127.0.0.4"));
	assert_null(conf_route_find(&c, ""));
	assert_null(conf_route_find(&c, "[]"));
	conf_free(&c);
	/* No routes at all. */
	test_conf_ok(&c, TEST_HEAD);
	assert_null(conf_route_find(&c, "chat2.test"));
	conf_free(&c);
}

static void
test_conf_route_errors(void **state)
{
	char *text;
	size_t len = 0, cap = 64 * (CONF_ROUTES_MAX + 2);
	char want[64];

	(void)state;
	test_conf_err(TEST_HEAD "[routes]\na.test = -\n",
	        "t.ini:4: route needs two values: <mxdeliv-url|-> <host:port|->");
	test_conf_err(TEST_HEAD "[routes]\na.test =\n",
	        "t.ini:4: route needs two values: <mxdeliv-url|-> <host:port|->");
	test_conf_err(TEST_HEAD "[routes]\na.test = - - -\n",
	        "t.ini:4: route needs two values: <mxdeliv-url|-> <host:port|->");
	test_conf_err(TEST_HEAD "[routes]\na.test = ftp://x/ -\n",
	        "t.ini:4: route URL 'ftp://x/' must start with http:// or https://");
	test_conf_err(TEST_HEAD "[routes]\na.test = - host\n",
	        "t.ini:4: route SMTP endpoint 'host' must be host:port");
	test_conf_err(TEST_HEAD "[routes]\na.test = - host:0\n",
	        "t.ini:4: route SMTP endpoint 'host:0' must be host:port");
	test_conf_err(TEST_HEAD "[routes]\na.test = - host:65536\n",
	        "t.ini:4: route SMTP endpoint 'host:65536' must be host:port");
	test_conf_err(TEST_HEAD "[routes]\na.test = - :25\n",
	        "t.ini:4: route SMTP endpoint ':25' must be host:port");
	test_conf_err(TEST_HEAD "[routes]\na.test = - host:smtp\n",
	        "t.ini:4: route SMTP endpoint 'host:smtp' must be host:port");
	test_conf_err(TEST_HEAD "[routes]\na.test = - -\nA.Test = - -\n",
	        "t.ini:5: duplicate route for 'a.test'");
	test_conf_err(TEST_HEAD "[routes]\n127.0.0.2 = - -\n[127.0.0.2] = - -\n",
	        "t.ini:5: duplicate route for '127.0.0.2'");
	test_conf_err(TEST_HEAD "[routes]\nbad domain = - -\n",
	        "t.ini:4: invalid route domain 'bad domain'");
	test_conf_err(TEST_HEAD "[routes]\n::1 = - -\n", "t.ini:4: invalid route domain '::1'");
	test_conf_err(TEST_HEAD "[routes]\n[] = - -\n", "t.ini:4: invalid route domain");
	/* Bounded by CONF_ROUTES_MAX. */
	text = malloc(cap);
	assert_non_null(text);
	len += (size_t)snprintf(text + len, cap - len, TEST_HEAD "[routes]\n");
	for (int i = 0; i <= CONF_ROUTES_MAX; i++)
		len += (size_t)snprintf(text + len, cap - len, "r%d.test = - -\n", i);
	snprintf(want, sizeof(want), "t.ini:%d: too many routes", CONF_ROUTES_MAX + 4);
	test_conf_err(text, want);
	free(text);
}

static void
test_conf_defaults(void **state)
{
	struct conf c;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	assert_null(c.file);
	assert_string_equal(c.mail_domain, "[127.0.0.1]");
	assert_string_equal(c.mail_domain_bare, "127.0.0.1");
	assert_true(c.mail_domain_is_ip);
	assert_int_equal(c.max_user_send_per_minute, 60);
	assert_int_equal(c.max_user_send_burst_size, 10);
	assert_true(c.max_mailbox_size == 500ULL * 1024 * 1024);
	assert_true(c.max_message_size == 31457280);
	assert_int_equal(c.delete_mails_after, 20);
	assert_int_equal(c.delete_large_after, 7);
	assert_int_equal(c.delete_inactive_users_after, 90);
	assert_int_equal(c.username_min_length, 9);
	assert_int_equal(c.username_max_length, 9);
	assert_int_equal(c.password_min_length, 9);
	assert_int_equal(c.passthrough_senders.count, 0);
	assert_int_equal(c.passthrough_recipients.count, 0);
	assert_true(c.max_load_1m == 0.0);
	assert_true(c.min_available_memory == 200ULL * 1024 * 1024);
	assert_true(c.min_free_disk_space == 1024ULL * 1024 * 1024);
	assert_int_equal(c.max_imap_connections, 10000);
	assert_int_equal(c.max_smtp_connections, 1000);
	assert_null(c.tls_external_cert);
	assert_null(c.tls_external_key);
	assert_string_equal(c.iroh_relay, "");
	assert_true(c.imap_compress);
	assert_false(c.disable_ipv6);
	assert_string_equal(c.privacy_mail, "");
	assert_string_equal(c.www_folder, "");
	assert_string_equal(c.data_dir, "./chatrelay-data");
	assert_string_equal(c.user, "");
	assert_int_equal(c.threads, 0);
	assert_int_equal(c.listen_address.count, 1);
	assert_string_equal(c.listen_address.words[0], "127.0.0.1");
	assert_int_equal(c.smtp_port, 2525);
	assert_int_equal(c.submission_port, 5870);
	assert_int_equal(c.submissions_port, 4650);
	assert_int_equal(c.imap_port, 1430);
	assert_int_equal(c.imaps_port, 9930);
	assert_int_equal(c.http_port, 8080);
	assert_false(c.http_tls);
	assert_false(c.allow_plaintext_auth);
	assert_int_equal(c.max_connections_per_ip, 200);
	assert_int_equal(c.max_imap_connections_per_account, 20);
	assert_int_equal(c.registration, CONF_REGISTRATION_OPEN);
	assert_true(c.jit_accounts);
	assert_int_equal(c.reserved_local_parts.count, 0);
	assert_int_equal(c.auth_cache_ttl, 3600);
	assert_int_equal(c.auth_failure_delay, 2);
	assert_int_equal(c.auth_fail_window, 300);
	assert_int_equal(c.auth_fail_limit_ip, 20);
	assert_int_equal(c.auth_fail_limit_account, 50);
	assert_int_equal(c.new_account_rate, 2);
	assert_int_equal(c.new_account_burst, 5);
	assert_string_equal(c.tls_cert, "");
	assert_string_equal(c.tls_key, "");
	assert_int_equal(c.tls_min_version, CONF_TLS_1_2);
	assert_true(c.dkim_sign);
	assert_string_equal(c.dkim_selector, "opendkim");
	assert_true(c.dkim_verify);
	assert_true(c.enforce_e2ee);
	assert_int_equal(c.max_recipients, 1000);
	assert_int_equal(c.smtp_timeout, 300);
	assert_int_equal(c.imap_login_timeout, 60);
	assert_int_equal(c.imap_timeout, 1800);
	assert_int_equal(c.imap_idle_keepalive, 120);
	assert_string_equal(c.turn_secret, "");
	assert_int_equal(c.turn_port, 3478);
	assert_int_equal(c.turn_lifetime, 5 * 86400);
	assert_true(c.push);
	assert_string_equal(c.push_url, "https://notifications.delta.chat/notify");
	assert_int_equal(c.federation_policy, CONF_FEDERATION_OPEN);
	assert_int_equal(c.federation_allowlist.count, 0);
	assert_int_equal(c.federation_blocklist.count, 0);
	assert_int_equal(c.sender_blocklist.count, 0);
	assert_true(c.federation_http);
	assert_false(c.federation_insecure_tls);
	assert_string_equal(c.dns_server, "");
	assert_int_equal(c.queue_lifetime, 5 * 86400);
	assert_int_equal(c.queue_retry_initial, 60);
	assert_int_equal(c.queue_retry_max, 3600);
	assert_int_equal(c.queue_concurrency, 16);
	assert_int_equal(c.expire_interval, 86400);
	assert_true(c.delete_large_min_size == 200000);
	assert_int_equal(c.quota_trim_threshold, 75);
	assert_int_equal(c.quota_trim_target, 70);
	assert_int_equal(c.quota_trim_keep, 86400);
	assert_true(c.no_log);
	assert_int_equal(c.log_level, LOG_LEVEL_INFO);
	assert_int_equal(c.log_target, LOG_TARGET_STDERR);
	assert_true(c.metrics);
	assert_false(c.metrics_remote);
	assert_int_equal(c.route_count, 0);
	assert_int_equal(c.notices.count, 0);
	conf_free(&c);
	/* conf_free leaves a zeroed struct: freeing again and re-initialising are fine. */
	conf_free(&c);
	assert_null(c.mail_domain);
	assert_int_equal(conf_init(&c), 0);
	conf_free(&c);
}

static void
test_conf_derived(void **state)
{
	struct conf c;

	(void)state;
	/* CONF-9: hostname, turn_host and dkim_key follow mail_domain, data_dir, dkim_selector. */
	test_conf_ok(&c, "[params]\nmail_domain = Chat.Example.org\n");
	assert_string_equal(c.file, "t.ini");
	assert_string_equal(c.hostname, "chat.example.org");
	assert_string_equal(c.turn_host, "chat.example.org");
	assert_string_equal(c.dkim_key, "./chatrelay-data/dkim/opendkim.private");
	conf_free(&c);
	test_conf_ok(&c,
	        "[params]\nmail_domain = [10.0.0.1]\ndata_dir = /var/lib/cr\n"
	        "dkim_selector = s1\n");
	assert_string_equal(c.hostname, "10.0.0.1");
	assert_string_equal(c.turn_host, "10.0.0.1");
	assert_string_equal(c.dkim_key, "/var/lib/cr/dkim/s1.private");
	conf_free(&c);
	test_conf_ok(&c,
	        TEST_HEAD "hostname = mx.example.org\nturn_host = turn.example.org\n"
	                  "data_dir = state\n");
	assert_string_equal(c.hostname, "mx.example.org");
	assert_string_equal(c.turn_host, "turn.example.org");
	assert_string_equal(c.dkim_key, "/etc/chatrelay/state/dkim/opendkim.private");
	conf_free(&c);
}

/* test_conf_write_temp - a temp file holding text; returns its malloc'd path. */
static char *
test_conf_write_temp(const char *text)
{
	char *path = strdup("/tmp/chatrelay-test-conf-XXXXXX");
	int fd;

	assert_non_null(path);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
	return path;
}

static void
test_conf_load(void **state)
{
	struct conf c;
	char err[512], want[512];
	char *path;

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, "/nonexistent/chatrelay.ini", err, sizeof(err)), -1);
	assert_string_equal(
	        err, "/nonexistent/chatrelay.ini:0: cannot read: No such file or directory");
	conf_free(&c);
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, "/tmp", err, sizeof(err)), -1);
	assert_string_equal(err, "/tmp:0: not a regular file of at most 1048576 bytes");
	conf_free(&c);

	path = test_conf_write_temp(
	        "[params]\nmail_domain = a.test\ndata_dir = d\nsmtp_port = x\n");
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:4: smtp_port: 'x' is not an integer", path);
	assert_string_equal(err, want);
	conf_free(&c);
	unlink(path);
	free(path);

	/* Relative paths are relative to the directory of the file (CONF-3). */
	path = test_conf_write_temp("[params]\nmail_domain = a.test\ndata_dir = d\n");
	assert_int_equal(conf_init(&c), 0);
	assert_int_equal(conf_load(&c, path, err, sizeof(err)), 0);
	assert_string_equal(c.file, path);
	assert_string_equal(c.data_dir, "/tmp/d");
	conf_free(&c);
	unlink(path);
	free(path);

	/* CONF-1: without -c and without /etc/chatrelay/chatrelay.ini, built-in defaults. */
	if (access("/etc/chatrelay/chatrelay.ini", F_OK) != 0) {
		assert_int_equal(conf_init(&c), 0);
		assert_int_equal(conf_load(&c, NULL, err, sizeof(err)), 0);
		assert_null(c.file);
		assert_string_equal(c.mail_domain, "[127.0.0.1]");
		assert_string_equal(c.hostname, "127.0.0.1");
		assert_string_equal(c.turn_host, "127.0.0.1");
		assert_string_equal(c.dkim_key, "./chatrelay-data/dkim/opendkim.private");
		assert_int_equal(c.notices.count, 1);
		assert_true(test_conf_has_notice(
		        &c, "no configuration file: running with built-in defaults"));
		conf_free(&c);
	}
}

static void
test_conf_chatmail_ini(void **state)
{
	static const char *const ignored[] = {"filtermail_smtp_port", "postfix_reinject_port",
	        "filtermail_smtp_port_incoming", "postfix_reinject_port_incoming", "acme_email",
	        "imap_rawlog", "mtail_address", "mailboxes_dir", "turn_socket_path", NULL};
	struct conf c;
	char err[512];

	(void)state;
	assert_int_equal(conf_init(&c), 0);
	if (conf_load(&c, TEST_FIXTURE, err, sizeof(err)) != 0)
		fail_msg("%s", err);
	assert_string_equal(c.mail_domain, "chat.example.org");
	assert_string_equal(c.hostname, "chat.example.org");
	assert_int_equal(c.max_user_send_per_minute, 60);
	assert_int_equal(c.max_user_send_burst_size, 10);
	assert_true(c.max_mailbox_size == 100ULL * 1024 * 1024);
	assert_true(c.max_message_size == 31457280);
	assert_int_equal(c.delete_mails_after, 20);
	assert_int_equal(c.delete_large_after, 7);
	assert_int_equal(c.delete_inactive_users_after, 90);
	assert_int_equal(c.username_min_length, 9);
	assert_int_equal(c.username_max_length, 9);
	assert_int_equal(c.password_min_length, 9);
	assert_int_equal(c.passthrough_senders.count, 0);
	assert_int_equal(c.passthrough_recipients.count, 1);
	assert_string_equal(c.passthrough_recipients.words[0], "echo@chat.example.org");
	assert_false(c.disable_ipv6);
	assert_false(c.imap_compress);
	assert_string_equal(c.iroh_relay, "https://iroh.example.org");
	assert_string_equal(
	        c.tls_external_cert, "/etc/letsencrypt/live/chat.example.org/fullchain.pem");
	assert_string_equal(
	        c.tls_external_key, "/etc/letsencrypt/live/chat.example.org/privkey.pem");
	assert_string_equal(c.privacy_mail, "privacy@example.org");
	assert_string_equal(c.privacy_postal, "Example e.V., Example Street 1, 12345 Example Town");
	assert_string_equal(c.privacy_pdo, "");
	assert_string_equal(c.www_folder, "tests/unit/data/www");
	for (size_t i = 0; ignored[i] != NULL; i++) {
		bool found = false;
		char want[128];

		snprintf(want, sizeof(want), "chatmail key '%s' is not used by chatrelay, ignored",
		        ignored[i]);
		for (size_t j = 0; j < c.notices.count; j++)
			if (strncmp(c.notices.words[j], TEST_FIXTURE ":",
			            strlen(TEST_FIXTURE ":")) == 0 &&
			        strstr(c.notices.words[j], want) != NULL)
				found = true;
		if (!found)
			fail_msg("no notice for %s", ignored[i]);
	}
	assert_int_equal(c.notices.count, 9);
	conf_free(&c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_conf_bool_words),
	        cmocka_unit_test(test_conf_bool_file),
	        cmocka_unit_test(test_conf_size),
	        cmocka_unit_test(test_conf_days),
	        cmocka_unit_test(test_conf_duration),
	        cmocka_unit_test(test_conf_int),
	        cmocka_unit_test(test_conf_list),
	        cmocka_unit_test(test_conf_number),
	        cmocka_unit_test(test_conf_enum),
	        cmocka_unit_test(test_conf_path),
	        cmocka_unit_test(test_conf_cert_and_key),
	        cmocka_unit_test(test_conf_url),
	        cmocka_unit_test(test_conf_text),
	        cmocka_unit_test(test_conf_mail_domain),
	        cmocka_unit_test(test_conf_syntax),
	        cmocka_unit_test(test_conf_syntax_errors),
	        cmocka_unit_test(test_conf_required),
	        cmocka_unit_test(test_conf_consistency),
	        cmocka_unit_test(test_conf_ports),
	        cmocka_unit_test(test_conf_notices),
	        cmocka_unit_test(test_conf_routes),
	        cmocka_unit_test(test_conf_route_errors),
	        cmocka_unit_test(test_conf_defaults),
	        cmocka_unit_test(test_conf_derived),
	        cmocka_unit_test(test_conf_load),
	        cmocka_unit_test(test_conf_chatmail_ini),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
