/*
 * imap_session.h - the IMAP protocol as seen by net/ (IMAP and IMAPS).
 *
 * The engine (SPEC 12): imap_session.c runs the parser-driven read loop and
 * the states, imap_cmd.c holds the command table and the small commands,
 * imap_cmd_<name>.c the larger ones, imap_view.c the selected mailbox as a
 * session sees it (bus events -> EXISTS / FETCH / EXPUNGE), imap_job.c the
 * store jobs, imap_fetch_render.c / imap_envelope.c / imap_bodystructure.c
 * the FETCH data, imap_compress.c COMPRESS=DEFLATE. Internal interfaces are
 * in imap_session_int.h.
 */
#ifndef CHATRELAY_IMAP_SESSION_H
#define CHATRELAY_IMAP_SESSION_H

#include "net/net_conn.h"

extern const struct proto_ops imap_proto_ops;

#endif
