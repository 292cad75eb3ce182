/*
 * http_autoconfig.c - autoconfig (HTTP-4) and the MTA-STS policy (HTTP-5).
 * Rendering is PURE; the handlers only answer.
 */
#include <stdio.h>
#include <string.h>

#include "core/core_conf.h"
#include "http/http_routes.h"
#include "http/http_session.h"
#include "net/net_server.h"

/* http_autoconfig_server - one <incomingServer>/<outgoingServer> entry of HTTP-4. */
static int
http_autoconfig_server(char *out, size_t outlen, const char *elem, const char *type,
        const char *host, long port, const char *socket_type)
{
	return snprintf(out, outlen,
	        "    <%s type=\"%s\"> <hostname>%s</hostname> <port>%ld</port>\n"
	        "      <socketType>%s</socketType> "
	        "<authentication>password-cleartext</authentication>\n"
	        "      <username>%%EMAILADDRESS%%</username> </%s>\n",
	        elem, type, host, port, socket_type, elem);
}

int
http_autoconfig_render(const struct conf *conf, char *out, size_t outlen)
{
	const char *d = conf->mail_domain, *h = conf->hostname;
	size_t n;
	int k;

	k = snprintf(out, outlen,
	        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	        "<clientConfig version=\"1.1\">\n"
	        "  <emailProvider id=\"%s\">\n"
	        "    <domain>%s</domain>\n"
	        "    <displayName>%s chatmail</displayName>\n"
	        "    <displayShortName>%s</displayShortName>\n",
	        d, d, d, d);
	if (k < 0 || (size_t)k >= outlen)
		return -1;
	n = (size_t)k;
	/* Only enabled listeners, in the order of HTTP-4. */
	if (conf->imaps_port > 0)
		n += (size_t)http_autoconfig_server(
		        out + n, outlen - n, "incomingServer", "imap", h, conf->imaps_port, "SSL");
	if (n < outlen && conf->imap_port > 0)
		n += (size_t)http_autoconfig_server(out + n, outlen - n, "incomingServer", "imap",
		        h, conf->imap_port, "STARTTLS");
	if (n < outlen && conf->submissions_port > 0)
		n += (size_t)http_autoconfig_server(out + n, outlen - n, "outgoingServer", "smtp",
		        h, conf->submissions_port, "SSL");
	if (n < outlen && conf->submission_port > 0)
		n += (size_t)http_autoconfig_server(out + n, outlen - n, "outgoingServer", "smtp",
		        h, conf->submission_port, "STARTTLS");
	if (n < outlen)
		n += (size_t)snprintf(out + n, outlen - n, "  </emailProvider>\n</clientConfig>\n");
	return n < outlen ? (int)n : -1;
}

void
http_autoconfig_cb(struct conn *c, const struct http_request *req)
{
	char doc[8192];
	int n = http_autoconfig_render(c->srv->conf, doc, sizeof(doc));

	(void)req;
	if (n < 0) {
		http_respond(
		        c, 500, "text/plain; charset=utf-8", "Internal Server Error\n", 22, NULL);
		return;
	}
	http_respond(c, 200, "application/xml; charset=utf-8", doc, (size_t)n, NULL);
}

size_t
http_mta_sts_policy(const struct conf *conf, char *buf, size_t size)
{
	int n = snprintf(buf, size, "version: STSv1\r\nmode: enforce\r\nmx: %s\r\n"
				    "max_age: 2419200\r\n",
		conf->hostname);

	return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

/* http_mta_sts_cb - HTTP-5: the four lines of the policy (RFC 8461 section 3.2, CRLF). */
void
http_mta_sts_cb(struct conn *c, const struct http_request *req)
{
	char doc[1024];
	size_t n = http_mta_sts_policy(c->srv->conf, doc, sizeof(doc));

	(void)req;
	http_respond(c, 200, "text/plain; charset=utf-8", doc, n, NULL);
}
