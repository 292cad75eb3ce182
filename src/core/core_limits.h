/*
 * core_limits.h - every input size bound of chatrelay, in one place.
 *
 * Each limit names the RFC minimum or the SPEC requirement beside it, so a
 * reader can see why the number is what it is. Modules include this header
 * instead of inventing their own constants.
 */
#ifndef CHATRELAY_CORE_LIMITS_H
#define CHATRELAY_CORE_LIMITS_H

/* Configuration file: one line (CONF-2); chatmail.ini lines are short. */
#define CONF_LINE_MAX 4096
/* Configuration file as a whole. */
#define CONF_FILE_MAX (1024L * 1024L)
/* Words of one list value (e.g. listen_address, blocklists). */
#define CONF_LIST_MAX 1024
/* Entries of [routes] (CONF-10). */
#define CONF_ROUTES_MAX 256

/* SMTP command line incl. CRLF: RFC 5321 4.5.3.1.4 says 512, SMTP-2 says 1000. */
#define SMTP_LINE_MAX 1000
/* AUTH lines and SASL responses (SMTP-2). */
#define SMTP_AUTH_LINE_MAX 12288

/* IMAP command line outside literals (IMAP-11; RFC 7162 section 4 asks for >= 8192). */
#define IMAP_LINE_MAX 65536
/* Any literal other than an APPEND message (IMAP-11). */
#define IMAP_LITERAL_MAX 65536
/* A declared literal length above this is answered with BYE and close (IMAP-11). */
#define IMAP_LITERAL_DECLARED_MAX 4294967295ULL
/* Literal octets one command may hold in memory; APPEND streams its message instead. */
#define IMAP_LITERALS_BUFFERED_MAX 1048576 /* 1 MiB */
/* Nesting of parenthesised lists in one command (RFC 3501 sets none; BODYSTRUCTURE-deep is plenty). */
#define IMAP_LIST_DEPTH_MAX 32
/* Arguments (atoms, strings, lists) in one command; a 64 KiB line could otherwise hold 32768. */
#define IMAP_ARGS_MAX 8192
/* Part numbers in one FETCH section, BODY[1.2.3...] (RFC 3501 6.4.5 sets none). */
#define IMAP_SECTION_PARTS_MAX 32
/* Header field names in one HEADER.FIELDS (...) list. */
#define IMAP_HEADER_FIELDS_MAX 512
/* One header field name in HEADER.FIELDS / SEARCH HEADER (RFC 5322 2.1.1 line limit). */
#define IMAP_FIELD_NAME_MAX 998
/* Nesting of NOT / OR / parentheses in one SEARCH (RFC 3501 sets none). */
#define IMAP_SEARCH_DEPTH_MAX 32
/* One keyword flag (IMAP-32); Dovecot allows far fewer in practice. */
#define IMAP_KEYWORD_MAX 255
/* Mailbox name in modified UTF-7 (IMAP-14). */
#define IMAP_MAILBOX_NAME_MAX 255

/* Output buffered per connection before reading stops (NET-6: 1..16 MiB). */
#define NET_OUTPUT_HIGH_WATER (4UL * 1024 * 1024)
/* A client that accepts no data for this long while output is pending (NET-6). */
#define NET_WRITE_STALL_SECS 120
/* TLS handshake deadline (TLS-6). */
#define NET_TLS_HANDSHAKE_SECS 30
/* Listen backlog. */
#define NET_LISTEN_BACKLOG 1024

/* HTTP request line + headers (HTTP-1). */
#define HTTP_HEADERS_MAX (16UL * 1024)
/* POST /new body (REG-1). */
#define HTTP_NEW_BODY_MAX (64UL * 1024)

/* One log line, truncated beyond. */
#define LOG_LINE_MAX 2048

/* Shutdown (GEN-6): transfers may finish for this long; hard exit after the second. */
#define SHUTDOWN_DRAIN_SECS 10
#define SHUTDOWN_MAX_SECS 30

/* Worker threads when threads = 0 picks the CPU count (CONF-9). */
#define WORKER_THREADS_MAX 64

#endif
