/*
 * smtp_session.h - the SMTP protocol as seen by net/ (three listeners).
 *
 * Foundation stage: greeting, EHLO/HELO, STARTTLS (in place, NET-5), NOOP,
 * RSET, QUIT, line limits, timeouts, shutdown and limit replies. The SMTP
 * engine issue replaces the command set behind the same proto_ops.
 */
#ifndef CHATRELAY_SMTP_SESSION_H
#define CHATRELAY_SMTP_SESSION_H

#include "net/net_conn.h"

extern const struct proto_ops smtp_proto_ops;

#endif
