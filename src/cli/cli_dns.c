/*
 * cli_dns.c - `chatrelay dns` (CLI-8): the zone records an operator
 * publishes for the mail domain.
 *
 * Prints MX, SPF, DKIM (the public half of dkim_key, generated first if
 * missing, by the same function the server's start-up uses, so the record
 * matches the key the server will sign with: DKIM-3), DMARC, MTA-STS
 * (HTTP-5), the autoconfig CNAME and SRV records of the enabled submission
 * and IMAP listeners, then `;` comment reminders. An IP-literal mail domain
 * needs no DNS records, and says so.
 *
 * Reads the configuration and the key file; writes only a missing key.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "core/core_conf.h"
#include "core/core_fs.h"
#include "core/core_priv.h"
#include "core/core_str.h"
#include "http/http_routes.h"
#include "queue/queue_dkim.h"

/* RFC 1035 3.3.14: one character-string of a TXT record holds at most 255 octets. */
#define CLI_DNS_TXT_STRING_MAX 255

/* cli_dns_txt - print a TXT value as one or more quoted strings of <= 255 octets. */
static void
cli_dns_txt(const char *owner, const char *value)
{
	size_t len = strlen(value);

	printf("%s TXT", owner);
	for (size_t i = 0; i < len || i == 0; i += CLI_DNS_TXT_STRING_MAX) {
		size_t n = len - i < CLI_DNS_TXT_STRING_MAX ? len - i : CLI_DNS_TXT_STRING_MAX;

		printf(" \"%.*s\"", (int)n, value + i);
	}
	printf("\n");
}

/*
 * cli_dns_sts_id - CLI-8: 12 hex digits of SHA-256 of the HTTP-5 policy,
 * hashed exactly as /.well-known/mta-sts.txt serves it.
 */
static int
cli_dns_sts_id(const struct conf *conf, char id[13])
{
	unsigned char hash[32];
	char policy[1024];
	size_t n = http_mta_sts_policy(conf, policy, sizeof(policy));

	if (n == 0 || EVP_Digest(policy, n, hash, NULL, EVP_sha256(), NULL) != 1)
		return -1;
	for (size_t i = 0; i < 6; i++)
		snprintf(id + 2 * i, 3, "%02x", hash[i]);
	return 0;
}

/* cli_dns_as_user - when root with `user` set, create files as that user (GEN-3). */
static int
cli_dns_as_user(const struct conf *conf, struct priv *priv)
{
	char err[256];

	memset(priv, 0, sizeof(*priv));
	if (geteuid() != 0 || conf->user[0] == '\0')
		return 0;
	if (priv_init(priv, conf->user, err, sizeof(err)) < 0) {
		fprintf(stderr, "chatrelay: %s\n", err);
		return -1;
	}
	if (fs_mkdir_p(conf->data_dir, 0700) < 0 || priv_give_dir(priv, conf->data_dir) < 0 ||
	        priv_assume(priv) < 0) {
		fprintf(stderr, "chatrelay: cannot prepare %s as user '%s'\n", conf->data_dir,
		        conf->user);
		return -1;
	}
	return 0;
}

/* cli_dns_dkim_record - the DKIM TXT value; generates the key when missing (DKIM-3). */
static char *
cli_dns_dkim_record(const struct conf *conf)
{
	EVP_PKEY *key = NULL;
	char err[1024], *record = NULL;
	struct priv priv;
	bool is_generated;

	if (cli_dns_as_user(conf, &priv) < 0)
		return NULL;
	if (queue_dkim_key_prepare(conf, &is_generated, err, sizeof(err)) < 0) {
		fprintf(stderr, "chatrelay: %s\n", err);
		return NULL;
	}
	/* A root-only key (/etc/dkimkeys of an existing relay) is read as root. */
	if (priv_regain(&priv) < 0) {
		fprintf(stderr, "chatrelay: cannot regain root to read the DKIM key\n");
		return NULL;
	}
	if (queue_dkim_key_load(conf->dkim_key, &key, err, sizeof(err)) < 0) {
		fprintf(stderr, "chatrelay: %s\n", err);
		return NULL;
	}
	if (queue_dkim_key_record(key, &record) < 0)
		fprintf(stderr, "chatrelay: cannot encode the DKIM public key\n");
	EVP_PKEY_free(key);
	return record;
}

/* cli_dns_srv - one SRV line, only for an enabled listener. */
static void
cli_dns_srv(const char *service, long port, const char *domain, const char *host)
{
	if (port != 0)
		printf("_%s._tcp.%s. SRV 0 1 %ld %s.\n", service, domain, port, host);
}

int
cli_dns(struct conf *conf, int argc, char **argv)
{
	const char *d = conf->mail_domain, *h = conf->hostname;
	char *dkim = NULL, *owner = NULL, sts_id[13];

	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: chatrelay dns [-c FILE]\n");
		return CLI_EXIT_USAGE;
	}
	if (conf->mail_domain_is_ip) {
		printf("; the mail domain %s is an IP literal: no DNS records are needed\n", d);
		return CLI_EXIT_OK;
	}
	if (queue_dkim_is_signing(conf) && (dkim = cli_dns_dkim_record(conf)) == NULL)
		return CLI_EXIT_RUNTIME;
	if (cli_dns_sts_id(conf, sts_id) < 0) {
		free(dkim);
		return CLI_EXIT_RUNTIME;
	}
	printf("%s. MX 10 %s.\n", d, h);
	printf("%s. TXT \"v=spf1 a mx ~all\"\n", d);
	if (dkim != NULL && str_printf(&owner, "%s._domainkey.%s.", conf->dkim_selector, d) == 0)
		cli_dns_txt(owner, dkim);
	printf("_dmarc.%s. TXT \"v=DMARC1; p=reject; adkim=s; aspf=s\"\n", d);
	printf("_mta-sts.%s. TXT \"v=STSv1; id=%s\"\n", d, sts_id);
	printf("mta-sts.%s. CNAME %s.\n", d, h);
	printf("autoconfig.%s. CNAME %s.\n", d, h);
	cli_dns_srv("submission", conf->submission_port, d, h);
	cli_dns_srv("submissions", conf->submissions_port, d, h);
	cli_dns_srv("imap", conf->imap_port, d, h);
	cli_dns_srv("imaps", conf->imaps_port, d, h);
	printf("; %s needs A and/or AAAA records with the addresses of this server\n", h);
	printf("; the TLS certificate must cover %s, mta-sts.%s and autoconfig.%s\n", d, d, d);
	free(owner);
	free(dkim);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_RUNTIME;
}
