/*
 * http_register.c - POST /new, POST /cgi-bin/newemail.py and GET /new
 * (REG-1..8). The account is created on a worker (auth_register); the
 * answer goes out when the requester, looked up by id, is still there.
 * URL and JSON rendering are PURE.
 */
#include <stdio.h>
#include <string.h>

#include "auth/auth.h"
#include "core/core_conf.h"
#include "core/core_str.h"
#include "http/http_routes.h"
#include "http/http_session.h"
#include "net/net_server.h"

#define HTTP_JSON "application/json"

int
http_json_escape(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		int k;

		if (ch == '"' || ch == '\\')
			k = snprintf(out + n, outlen - n, "\\%c", ch);
		else if (ch < 0x20)
			k = snprintf(out + n, outlen - n, "\\u%04x", ch);
		else
			k = snprintf(out + n, outlen - n, "%c", ch);
		if (k < 0 || (size_t)k >= outlen - n)
			return -1;
		n += (size_t)k;
	}
	if (n >= outlen)
		return -1;
	out[n] = '\0';
	return 0;
}

/* http_pct - REG-6: percent-encode every octet except A-Z a-z 0-9 - . _ ~ */
static int
http_pct(const char *s, char *out, size_t outlen)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		unsigned char ch = (unsigned char)*s;
		bool is_plain = (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
		        (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_' ||
		        ch == '~';

		if (n + 4 > outlen)
			return -1;
		if (is_plain)
			out[n++] = (char)ch;
		else
			n += (size_t)snprintf(out + n, outlen - n, "%%%02X", ch);
	}
	out[n] = '\0';
	return 0;
}

int
http_dclogin_url(const struct conf *conf, bool is_self_signed, const char *address,
        const char *password, char *out, size_t outlen)
{
	char pw[3 * 1024 + 1], host[256];
	const char *h = conf->hostname;
	size_t hl = strlen(h);
	bool imaps = conf->imaps_port > 0, smtps = conf->submissions_port > 0;
	long ip = imaps ? conf->imaps_port : conf->imap_port;
	long sp = smtps ? conf->submissions_port : conf->submission_port;
	int n;

	/* <h> is the hostname, an IP without brackets. */
	if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']')
		snprintf(host, sizeof(host), "%.*s", (int)(hl - 2), h + 1);
	else
		snprintf(host, sizeof(host), "%s", h);
	if (http_pct(password, pw, sizeof(pw)) < 0)
		return -1;
	n = snprintf(out, outlen, "dclogin:%s?p=%s&v=1", address, pw);
	if (n < 0 || (size_t)n >= outlen)
		return -1;
	if (conf->mail_domain_is_ip || strcmp(host, conf->mail_domain_bare) != 0 ||
	        conf->imaps_port != 993 || conf->submissions_port != 465)
		n += snprintf(out + n, outlen - (size_t)n, "&ih=%s&ip=%ld&is=%s&sh=%s&sp=%ld&ss=%s",
		        host, ip, imaps ? "ssl" : "starttls", host, sp, smtps ? "ssl" : "starttls");
	if (n > 0 && (size_t)n < outlen && is_self_signed)
		n += snprintf(out + n, outlen - (size_t)n, "&ic=3");
	str_wipe(pw, sizeof(pw));
	return n > 0 && (size_t)n < outlen ? 0 : -1;
}

static void
http_reason_json(struct conn *c, int status, const char *reason)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "{\"reason\":\"%s\"}", reason);

	http_respond(c, status, HTTP_JSON, body, (size_t)n, NULL);
}

/* http_new_done_cb - REG-5 success document or the REG-1 error. */
static void
http_new_done_cb(struct conn *c, int status, const char *address, const char *password)
{
	char url[4096], jaddr[512], jpw[2100], jurl[8300], body[11000];
	int n = -1;

	if (status == 200 &&
	        http_dclogin_url(c->srv->conf, c->srv->is_self_signed, address, password, url,
	                sizeof(url)) == 0 &&
	        http_json_escape(address, jaddr, sizeof(jaddr)) == 0 &&
	        http_json_escape(password, jpw, sizeof(jpw)) == 0 &&
	        http_json_escape(url, jurl, sizeof(jurl)) == 0)
		n = snprintf(body, sizeof(body),
		        "{\"email\":\"%s\",\"password\":\"%s\","
		        "\"dclogin_url\":\"%s\"}",
		        jaddr, jpw, jurl);
	if (n > 0 && (size_t)n < sizeof(body))
		http_respond(c, 200, HTTP_JSON, body, (size_t)n, NULL);
	else if (status == 503)
		http_reason_json(c, 503, "Account creation is temporarily unavailable");
	else
		http_reason_json(c, 500, "Account creation failed");
	str_wipe(body, sizeof(body));
	str_wipe(jpw, sizeof(jpw));
	str_wipe(url, sizeof(url));
	str_wipe(jurl, sizeof(jurl));
	http_session_resume(c);
}

void
http_new_post_cb(struct conn *c, const struct http_request *req)
{
	(void)req;
	if (c->srv->conf->registration == CONF_REGISTRATION_CLOSED) {
		http_reason_json(c, 403, "Registration is closed");
		return;
	}
	if (c->srv->auth == NULL) {
		http_reason_json(c, 500, "Account creation failed");
		return;
	}
	if (!auth_register_admit(c->srv->auth, c->ip_key)) {
		http_reason_json(c, 429, "Too many requests, try again later");
		return;
	}
	if (auth_register(c->srv->auth, c, http_new_done_cb) < 0) {
		http_reason_json(c, 500, "Account creation failed");
		return;
	}
	http_session_wait(c);
}

void
http_new_get_cb(struct conn *c, const struct http_request *req)
{
	char loc[512];

	if (c->srv->is_self_signed) {
		http_new_post_cb(c, req);
		return;
	}
	snprintf(loc, sizeof(loc), "Location: dcaccount:https://%s/new\r\n",
	        c->srv->conf->mail_domain);
	http_respond(c, 301, HTTP_JSON, "{}", 2, loc);
}
