/*
 * imap_session.h - the IMAP protocol as seen by net/ (IMAP and IMAPS).
 *
 * Foundation stage: greeting, CAPABILITY, NOOP, LOGOUT, STARTTLS (in place,
 * NET-5), LOGINDISABLED / PRIVACYREQUIRED (NET-3), timeouts, shutdown and
 * limit replies. The IMAP engine issue replaces the command set.
 */
#ifndef CHATRELAY_IMAP_SESSION_H
#define CHATRELAY_IMAP_SESSION_H

#include "net/net_conn.h"

extern const struct proto_ops imap_proto_ops;

#endif
