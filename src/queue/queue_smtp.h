/*
 * queue_smtp.h - the SMTP client of the queue (FED-4..6, FED-8, TLS-7):
 * one session per attempt, to the hosts queue_dns finds, STARTTLS required
 * and verified (except IP-literal and "_" domains and
 * federation_insecure_tls), EHLO, MAIL/RCPT/DATA with dot-stuffing,
 * per-recipient results. bufferevents on the loop; never blocks.
 */
#ifndef CHATRELAY_QUEUE_SMTP_H
#define CHATRELAY_QUEUE_SMTP_H

#include <stdbool.h>

struct queue;
struct queue_attempt;
struct queue_smtp;

/* queue_smtp_new - the client of q (TLS contexts, resolver). NULL on failure. */
struct queue_smtp *queue_smtp_new(struct queue *q);

/* queue_smtp_stop - close every session: their attempts finish as temporary failures. */
void queue_smtp_stop(struct queue_smtp *s);

/* queue_smtp_free - close sessions without finishing attempts (queue_free). NULL ok. */
void queue_smtp_free(struct queue_smtp **sp);

/*
 * queue_smtp_start - deliver attempt a over SMTP: sets a's results and
 * calls queue_attempt_finish (possibly before returning). why is the reason
 * HTTPS was not used (kept as the error when no SMTP route exists);
 * is_http_failed says HTTPS was tried and failed (FED-3 skip).
 */
void queue_smtp_start(
        struct queue_smtp *s, struct queue_attempt *a, bool is_http_failed, const char *why);

#endif
