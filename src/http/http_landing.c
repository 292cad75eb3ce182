/*
 * http_landing.c - the landing page of HTTP-3: the mail domain, the
 * DCACCOUNT link and the privacy contacts that are set. Values are
 * HTML-escaped. PURE: libc and core/ only.
 */
#include "http/http_landing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/core_conf.h"

/* http_landing_escape - write s HTML-escaped to f. */
static void
http_landing_escape(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&': fputs("&amp;", f); break;
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f); break;
		}
	}
}

static void
http_landing_item(FILE *f, const char *label, const char *value)
{
	if (value == NULL || value[0] == '\0')
		return;
	fprintf(f, "<li>%s: ", label);
	http_landing_escape(f, value);
	fputs("</li>\n", f);
}

int
http_landing_render(const struct conf *conf, char **page_r, size_t *len_r)
{
	FILE *f = open_memstream(page_r, len_r);

	if (f == NULL)
		return -1;
	fputs("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>", f);
	http_landing_escape(f, conf->mail_domain);
	fputs(" chatmail</title></head>\n<body>\n<h1>", f);
	http_landing_escape(f, conf->mail_domain);
	fputs(" chatmail relay</h1>\n<p>Get a Delta Chat account on this relay: <a href=\"DCACCOUNT:https://", f);
	http_landing_escape(f, conf->mail_domain);
	fputs("/new\">DCACCOUNT:https://", f);
	http_landing_escape(f, conf->mail_domain);
	fputs("/new</a></p>\n", f);
	if (conf->privacy_mail[0] || conf->privacy_postal[0] || conf->privacy_pdo[0] ||
	    conf->privacy_supervisor[0]) {
		fputs("<h2>Privacy</h2>\n<ul>\n", f);
		http_landing_item(f, "Contact", conf->privacy_mail);
		http_landing_item(f, "Postal address", conf->privacy_postal);
		http_landing_item(f, "Data protection officer", conf->privacy_pdo);
		http_landing_item(f, "Supervisory authority", conf->privacy_supervisor);
		fputs("</ul>\n", f);
	}
	fputs("</body></html>\n", f);
	if (fclose(f) != 0) {
		free(*page_r);
		*page_r = NULL;
		return -1;
	}
	return 0;
}
