/*
 * http_landing.h - the landing page (HTTP-3). PURE: renders from the config.
 */
#ifndef CHATRELAY_HTTP_LANDING_H
#define CHATRELAY_HTTP_LANDING_H

#include <stddef.h>

struct conf;

/* http_landing_render - UTF-8 HTML into *page_r (caller frees). Returns 0 or -1. */
int http_landing_render(const struct conf *conf, char **page_r, size_t *len_r);

#endif
