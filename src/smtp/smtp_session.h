/*
 * smtp_session.h - the SMTP protocol as seen by net/ (three listeners:
 * smtp = inbound MX, submission = STARTTLS, submissions = implicit TLS).
 *
 * The engine behind these ops: smtp_session.c (life cycle, input loop),
 * smtp_cmd.c (command table), smtp_rcpt.c (envelope policy), smtp_txn.c
 * (DATA), smtp_accept.c (acceptance pipeline shared with /mxdeliv),
 * smtp_auth.c (AUTH). SPEC sections 6-10.
 */
#ifndef CHATRELAY_SMTP_SESSION_H
#define CHATRELAY_SMTP_SESSION_H

#include "net/net_conn.h"

extern const struct proto_ops smtp_proto_ops;

#endif
