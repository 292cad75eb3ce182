/*
 * imap_session_int.h - the IMAP session as the command files see it
 * (internal to imap/; net/ only sees imap_session.h).
 *
 * One command runs at a time (IMAP-12). A command handler returns
 * IMAP_CMD_DONE when its tagged reply is queued, or IMAP_CMD_ASYNC when a
 * worker job (store_submit) will finish it: the completion looks the
 * session up by conn id, writes the reply and calls imap_cmd_finish(),
 * which resets the parser arena and resumes reading (Dovecot's "call me
 * again" model). Loop thread only.
 */
#ifndef CHATRELAY_IMAP_SESSION_INT_H
#define CHATRELAY_IMAP_SESSION_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "imap/imap_args_parse.h"
#include "imap/imap_auth.h"
#include "imap/imap_parse.h"
#include "net/net_conn.h"

struct bus_sub;
struct imap_view;
struct store_mailbox;

enum imap_state {
	IMAP_STATE_NOT_AUTH = 1u << 0,
	IMAP_STATE_AUTH = 1u << 1,
	IMAP_STATE_SELECTED = 1u << 2,
	IMAP_STATE_LOGOUT = 1u << 3,
};
#define IMAP_STATES_ANY (IMAP_STATE_NOT_AUTH | IMAP_STATE_AUTH | IMAP_STATE_SELECTED)
#define IMAP_STATES_AUTHED (IMAP_STATE_AUTH | IMAP_STATE_SELECTED)

enum imap_cmd_result { IMAP_CMD_DONE, IMAP_CMD_ASYNC };

/* IMAP-8: consecutive BAD replies before the session is closed. */
#define IMAP_BAD_MAX 10

struct imap_session;

typedef enum imap_cmd_result imap_cmd_fn(
        struct imap_session *s, const struct imap_command *cmd, bool is_uid);

struct imap_cmd {
	const char *name;
	unsigned states;   /* enum imap_state bits where the command is valid (IMAP-2) */
	bool has_uid_form; /* UID <name> exists */
	bool may_expunge;  /* EXPUNGE responses may precede its tagged reply (IMAP-50) */
	imap_cmd_fn *run;
};

/* The selected mailbox (imap_view.c). */
struct imap_selected {
	struct store_mailbox *mb; /* owned: store handle, used by this session's jobs only */
	struct imap_view *view;   /* owned: sequence numbers as the client knows them */
	struct bus_sub *sub;      /* owned: bus subscription for this mailbox */
	bool is_readonly;         /* EXAMINE */
	char *name;               /* owned: canonical mailbox name */
};

struct imap_session {
	struct conn *c;                /* borrowed: the connection owning this session */
	enum imap_state state;
	struct imap_parser *parser;    /* owned */
	struct imap_auth auth;         /* LOGIN / AUTHENTICATE (imap_auth.c) */
	const struct imap_cmd *cmd;    /* borrowed, static: the running async command */
	const char *tag;               /* borrowed (parser arena): tag of the running command */
	bool is_busy;                  /* an async command runs: read nothing */
	bool is_idling;                /* IDLE: the next line must be DONE */
	bool is_condstore;             /* IMAP-48 */
	bool is_compressed;            /* COMPRESS DEFLATE active (IMAP-22) */
	bool is_bye_pending;           /* GEN-6: say goodbye when the running command ends */
	const char *refuse_reply;      /* static: reply to a refused literal (IMAP-11) */
	unsigned bad_count;            /* consecutive BAD replies (IMAP-8) */
	struct imap_selected *sel;     /* owned: NULL unless selected */
	struct imap_append *append;    /* owned: APPEND literal being streamed */
	struct imap_job *parked;       /* owned: a streaming command waiting for the output to drain */
	void (*on_drain)(struct imap_session *s); /* resumes the parked command (NET-6) */
	union {                        /* one command at a time (IMAP-12) */
		struct imap_setmetadata_args meta_set; /* borrowed (arena): SETMETADATA in progress */
		struct imap_getmetadata_args meta_get; /* borrowed (arena): GETMETADATA in progress */
	};
	size_t meta_next;              /* next SETMETADATA pair to apply */
	uint64_t quota_limit;          /* the account's limit as last read on a worker */
	bool has_quota_limit;          /* quota_limit is known (APPEND's early OVERQUOTA) */
	char *idle_tag;                /* owned: tag of the running IDLE, else NULL */
};

/* imap_cmd_lookup - the table row for name (case-insensitive), or NULL. */
const struct imap_cmd *imap_cmd_lookup(const char *name);

/* imap_cmd_finish - an async command has queued its tagged reply: resume reading. */
void imap_cmd_finish(struct imap_session *s);

struct imap_seqset;
struct imap_view;
/*
 * imap_cmd_seqset - parse the set text of a command and resolve it against
 * view v (max = highest UID or message count, IMAP-13) into set, which the
 * caller has initialised and resets either way. Returns 0 or -1 (*error_r).
 */
int imap_cmd_seqset(const struct imap_view *v, const char *text, bool is_uid,
        struct imap_seqset *set, const char **error_r);

/* imap_session_get - the live session of conn id, or NULL (gone or closing). */
struct imap_session *imap_session_get(struct server *srv, uint64_t id);

/* imap_reply - `<tag> <text>` CRLF; counts BADs (IMAP-8). */
void imap_reply(struct imap_session *s, const char *tag, const char *fmt, ...)
        __attribute__((format(printf, 3, 4)));

/* imap_reply_errno - the reply for a store errno (NO [NONEXISTENT] / [OVERQUOTA] / [SERVERBUG]). */
void imap_reply_errno(struct imap_session *s, const char *tag, int err);

/* imap_account - the authenticated address (borrowed). */
const char *imap_account(const struct imap_session *s);

/* imap_mailbox_arg - mailbox astring -> canonical name (IMAP-14); false when invalid. */
bool imap_mailbox_arg(const struct imap_arg *a, char out[256]);

/*
 * imap_mailbox_only_arg - the single argument of cmd as a canonical mailbox
 * name into out; on a wrong argument count (BAD) or an invalid name
 * (NO [NONEXISTENT]) it replies itself and returns false.
 */
bool imap_mailbox_only_arg(struct imap_session *s, const struct imap_command *cmd, char out[256]);

/* imap_send_updates - IMAP-49/50 pending EXISTS/FETCH (and EXPUNGE if allowed) of the view. */
void imap_send_updates(struct imap_session *s, bool may_expunge);

/* imap_quota_limit - the account's quota in bytes (0 = unlimited, QUOTA-1). blocks (worker). */
uint64_t imap_quota_limit(struct server *srv, const char *account);

/*
 * imap_quota_prefetch - read the account's limit on a worker right after
 * login, so that IMAP-44's early NO works before any SELECT; the session
 * reads its next command once it is known. 0, or -1 (nothing submitted:
 * the caller finishes the command itself).
 */
int imap_quota_prefetch(struct imap_session *s);

/* Selected-state helpers (imap_cmd_select.c). */
void imap_selected_close(struct imap_session *s);
struct imap_job;
/* imap_selected_sync - sync the selected mailbox on a worker, then finish(); false: not submitted. */
bool imap_selected_sync(struct imap_session *s, void (*finish)(struct imap_session *, struct imap_job *));

/* Command handlers (one file each where non-trivial). */
imap_cmd_fn imap_cmd_capability, imap_cmd_noop, imap_cmd_logout, imap_cmd_id, imap_cmd_enable,
        imap_cmd_namespace, imap_cmd_starttls, imap_cmd_login, imap_cmd_authenticate,
        imap_cmd_compress, imap_cmd_select, imap_cmd_close, imap_cmd_unselect, imap_cmd_expunge, imap_cmd_fetch, imap_cmd_store, imap_cmd_status, imap_cmd_getquota,
        imap_cmd_getquotaroot, imap_cmd_getmetadata, imap_cmd_setmetadata, imap_cmd_append,
        imap_cmd_idle, imap_cmd_create, imap_cmd_delete, imap_cmd_list, imap_cmd_subscribe,
        imap_cmd_copy, imap_cmd_search, imap_cmd_rename;

/* APPEND literal streaming (imap_cmd_append.c). */
int imap_append_literal_begin(struct imap_session *s, uint64_t size, bool is_sync, const char **reply_r);
int imap_append_literal_data(struct imap_session *s, const unsigned char *data, size_t len);
void imap_append_free(struct imap_append **ap);

/* IDLE (imap_cmd_idle.c): the raw line while idling; the keepalive (read timeout while idling). */
void imap_idle_line(struct imap_session *s, const char *line);
void imap_idle_stop(struct imap_session *s);
void imap_idle_keepalive(struct imap_session *s);

/* COMPRESS (imap_compress.c): stack the DEFLATE filter on the connection. 0 or -1. */
int imap_compress_start(struct conn *c);

#endif
