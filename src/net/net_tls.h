/*
 * net_tls.h - server TLS contexts (TLS-1..6).
 *
 * Owns the SSL_CTXs of the listeners (one per ALPN preference, same pair),
 * the generated certificate (TLS-3) and the SIGHUP reload (TLS-4). A reload
 * builds new contexts and swaps them in; established SSL objects keep a
 * reference to the old ones, so their sessions continue undisturbed.
 *
 * Loop thread only (tls_reload, tls_new_ssl). Never blocks except on local
 * file reads of the certificate and key.
 */
#ifndef CHATRELAY_NET_TLS_H
#define CHATRELAY_NET_TLS_H

#include <openssl/ssl.h>
#include <stdbool.h>

struct conf;

/* ALPN the server prefers per listener kind (TLS-5). */
enum tls_alpn { TLS_ALPN_NONE, TLS_ALPN_IMAP, TLS_ALPN_SMTP, TLS_ALPN_HTTP };

struct tls;

/*
 * tls_prepare - make sure a certificate exists: generate <data_dir>/tls/ if
 * neither tls_cert nor tls_external_cert_and_key is configured (TLS-2/3).
 * is_generated_r tells whether the generated certificate is in use.
 * Returns 0, or -1 with err set.
 */
int tls_prepare(const struct conf *conf, bool *is_generated_r, char *err, size_t errlen);

/* tls_new - load certificate and key into a context. Returns NULL with err set (TLS-2: mismatch). */
struct tls *tls_new(const struct conf *conf, char *err, size_t errlen);

/* tls_free - free the context holder; live SSL objects keep their own reference. */
void tls_free(struct tls **tp);

/* tls_reload - re-read the pair (TLS-4). On failure the old pair stays; returns -1 with err set. */
int tls_reload(struct tls *t, char *err, size_t errlen);

/* tls_new_ssl - a server SSL object from the current context, with the listener's ALPN preference. */
SSL *tls_new_ssl(struct tls *t, enum tls_alpn alpn);

/* tls_describe_error - the category of the last OpenSSL error, without personal data (LOG-3). */
const char *tls_describe_error(void);

#endif
