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

/*
 * Longest address anywhere, NUL included (ACC-1): RFC 5321 4.5.3.1.3 path
 * of 256 octets minus the brackets; SMTP-5 allows 254 octets.
 */
#define ADDRESS_MAX 256

/* SMTP path (SMTP-5): RFC 5321 4.5.3.1.3 allows 256 incl. brackets; SPEC says 254. */
#define SMTP_PATH_MAX 254
/* One DATA line without its end (SMTP-9); RFC 5321 4.5.3.1.6 minimum is 1000. */
#define SMTP_DATA_LINE_MAX 65536
/*
 * Longest password. ACC-4 says 1024 octets, but libxcrypt refuses
 * passphrases of CRYPT_MAX_PASSPHRASE_SIZE (512) octets or more with every
 * method, so a longer password could never be hashed or verified; it fails
 * without hashing like any over-long one (auth_hash.c asserts the bound).
 */
#define AUTH_PASSWORD_MAX 511

/* MIME nesting (multipart and message/rfc822 levels); deeper parts are leaves. */
#define MAIL_MIME_DEPTH_MAX 32
/* MIME parts per message; further parts are not split out. */
#define MAIL_MIME_PARTS_MAX 10000
/* Boundary parameter: RFC 2046 5.1.1 says 1..70 octets; we accept up to 200. */
#define MAIL_BOUNDARY_MAX 200
/* Parameters per Content-Type / Content-Disposition field. */
#define MAIL_PARAMS_MAX 64
/* Addresses per address-list header (From/To/Cc). */
#define MAIL_ADDRESSES_MAX 1000
/* Comment nesting in structured header fields (RFC 5322 3.2.2). */
#define MAIL_COMMENT_DEPTH_MAX 32

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

/*
 * DKIM (RFC 6376, SPEC section 11). The header section is held in memory
 * while the body streams; RFC 5322 sets no limit, real chat mail headers
 * (Autocrypt keys included) stay well below 64 KiB.
 */
#define DKIM_HEADER_MAX (1024UL * 1024)
/* Header fields considered in one header section. */
#define DKIM_FIELDS_MAX 1000
/* Signatures evaluated per message (DKIM-6). */
#define DKIM_SIGS_MAX 5
/* Tags in one tag list (RFC 6376 3.2); a signature defines 14. */
#define DKIM_TAGS_MAX 32
/* Names in one h= tag (signing lists every DKIM-2 name count + 1 times). */
#define DKIM_H_NAMES_MAX 128
/* One header field name in h= (RFC 5322 allows 997; real names are short). */
#define DKIM_FIELD_NAME_MAX 64
/* Decoded b= (an 8192-bit RSA signature is 1024 octets) and p= (DER SPKI). */
#define DKIM_SIG_BYTES_MAX 1024
#define DKIM_KEY_BYTES_MAX 2048
/* A key record: TXT strings concatenated (DKIM-6). */
#define DKIM_KEY_RECORD_MAX 4096
/* d= and s= values: a DNS name is at most 253 octets (RFC 1035 2.3.4). */
#define DKIM_DOMAIN_MAX 253

/* Worker threads when threads = 0 picks the CPU count (CONF-9). */
#define WORKER_THREADS_MAX 64
/*
 * Free heap pages go back to the OS once the worker pool has been idle this
 * long after a burst (a login storm leaves freed snapshots and handshake
 * buffers behind), at most once per interval (issue 9). A trim took 0.1 to
 * 12 ms with 10,000 sessions open: at most 0.6 % of the loop.
 */
#define WORKER_TRIM_QUIET_SECS 1
#define WORKER_TRIM_INTERVAL_SECS 2

/* Store (SPEC 14). Keywords per mailbox: IMAP-32 asks for at least 64. */
#define STORE_KEYWORDS_MAX 64
/* One keyword: an IMAP atom; Dovecot allows 255 as well. */
#define STORE_KEYWORD_LEN_MAX 255
/* Mailbox name in octets (IMAP-14). */
#define STORE_MAILBOX_NAME_MAX 255
/* Account address used as a directory name (RFC 5321 4.5.3.1.3: path 256). */
#define STORE_ACCOUNT_MAX 320
/* A Maildir file name (NAME_MAX). */
#define STORE_FILENAME_MAX 255
/* Index file size accepted when loading (about 2M messages). */
#define STORE_INDEX_FILE_MAX (256u * 1024 * 1024)
/* Log part of an index rewritten as a checkpoint once it exceeds this and 2x the live part. */
#define STORE_INDEX_LOG_MIN 65536u /* 64 KiB */
/* Subscriptions per account, and the file holding them. */
#define STORE_SUBSCRIPTIONS_MAX 4096
/* tmp/ leftovers older than this are removed (EXP-4: 36 h). */
#define STORE_TMP_MAX_AGE (36L * 3600)
/* Mailboxes per account (LIST, quota scans). */
#define STORE_MAILBOXES_MAX 10000
/* Unreferenced mailboxes whose index stays cached in memory (deliveries skip re-reading it). */
#define STORE_MAILBOX_CACHE_MAX 4096

#endif
