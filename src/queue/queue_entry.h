/*
 * queue_entry.h - one outbound queue entry in memory and on disk
 * (QUEUE-1, QUEUE-4, QUEUE-5).
 *
 * On disk, in <data_dir>/queue/: <id>.msg holds the message as sent (the
 * DKIM-Signature field on top); <id>.env holds the envelope and state, a
 * text file of lines:
 *
 *   chatrelay-queue 1
 *   queued <epoch seconds>
 *   sender <address or "<>">
 *   rcpt <p|d|f|b> <attempts> <next attempt epoch> <address> [<last error>]
 *   ...
 *   end
 *
 * p pending, d delivered, f failed, b failed with its DSN not yet stored
 * (DSN-1: written before the DSN is made, so a crash cannot lose it; the
 * queue makes owed DSNs again at start, then rewrites b as f).
 *
 * The final "end" line makes a truncated file detectable; the .env is
 * written after the .msg, so an .env names a complete message. Both are
 * written to a temporary name, fsynced, renamed and the directory flushed.
 *
 * A held entry (SUB-11, queue.h) has the same text in <id>.hold instead of
 * <id>.env: it is not an entry yet. Its commit renames <id>.hold to
 * <id>.env and flushes the directory; the scan at start removes every hold
 * (the message was never acknowledged) with its .msg.
 *
 * The render/parse pair is PURE (no I/O); the file functions block (workers
 * or start-up/CLI only). Addresses hold no spaces or control octets
 * (checked by queue_entry_address_ok); errors are flattened to one line.
 */
#ifndef CHATRELAY_QUEUE_ENTRY_H
#define CHATRELAY_QUEUE_ENTRY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define QUEUE_ENTRY_ID_LEN 16      /* hex digits */
#define QUEUE_ENTRY_RCPTS_MAX 1000 /* recipients of one entry (SMTP allows 100 per message) */
#define QUEUE_ENTRY_ADDR_MAX 320   /* RFC 5321 4.5.3.1: 64 + 1 + 255 */
#define QUEUE_ENTRY_ERROR_MAX 512  /* one remote reply line, kept */
#define QUEUE_ENTRY_ENV_MAX                                                                        \
	(QUEUE_ENTRY_RCPTS_MAX * (QUEUE_ENTRY_ADDR_MAX + QUEUE_ENTRY_ERROR_MAX + 64) + 1024)

enum queue_rcpt_state { QUEUE_RCPT_PENDING, QUEUE_RCPT_DELIVERED, QUEUE_RCPT_FAILED };

struct queue_rcpt {
	char *addr;         /* owned, lowercase domain */
	const char *domain; /* borrowed: points into addr after '@' */
	enum queue_rcpt_state state;
	unsigned attempts;   /* attempts that included this recipient */
	int64_t next_at;     /* next attempt (epoch s) */
	char *error;         /* owned or NULL: last remote reply or local reason */
	bool is_running;     /* in memory only: part of an attempt in flight */
	bool is_new_failure; /* in memory only: failed for good, not yet considered for a DSN */
	bool is_dsn_owed;    /* failed, the sender is local and the DSN is not stored yet ('b') */
};

struct queue_entry {
	char id[QUEUE_ENTRY_ID_LEN + 1];
	int64_t queued_at;
	char *sender;             /* owned; "" = null sender */
	struct queue_rcpt *rcpts; /* owned array */
	size_t n_rcpts;
	uint64_t size; /* octets of <id>.msg */
	/* loop-thread bookkeeping */
	unsigned running;         /* attempts in flight */
	bool is_writing;          /* a state write is in flight */
	bool is_dirty;            /* state changed while writing */
	bool is_removing;         /* files being removed */
	struct queue_entry *next; /* owned list (struct queue) */
};

/* queue_entry_new - an empty entry with id; NULL on ENOMEM. */
struct queue_entry *queue_entry_new(const char *id, int64_t queued_at, const char *sender);
/* queue_entry_add_rcpt - append a pending recipient (next_at = the given time). -1 EINVAL/ENOMEM.
 */
int queue_entry_add_rcpt(struct queue_entry *e, const char *addr, int64_t next_at);
/* queue_entry_free - release; NULL ok, leaves NULL. */
void queue_entry_free(struct queue_entry **ep);
/* queue_entry_pending - recipients still pending. */
size_t queue_entry_pending(const struct queue_entry *e);
/* queue_entry_set_error - replace a recipient's last error (flattened, truncated). */
void queue_entry_set_error(struct queue_rcpt *r, const char *error);

/* queue_entry_address_ok - a storable address: local@domain, no space/control, bounded. */
bool queue_entry_address_ok(const char *addr, bool allow_empty);
/* queue_entry_new_id - a fresh random id into buf (QUEUE_ENTRY_ID_LEN + 1). */
void queue_entry_new_id(char *buf);
/* queue_entry_id_ok - id syntax (16 lowercase hex digits). */
bool queue_entry_id_ok(const char *id);

/* queue_entry_render - the .env text; *text_r malloc'ed. -1 ENOMEM. PURE. */
int queue_entry_render(const struct queue_entry *e, char **text_r, size_t *len_r);
/*
 * queue_entry_parse - the .env text of entry id into *e_r (owned by the
 * caller). -1 with *error_r (static) on a truncated or corrupted file. PURE.
 */
int queue_entry_parse(const char *id, const char *text, size_t len, struct queue_entry **e_r,
        const char **error_r);

struct queue_schedule;

/*
 * queue_entry_result - recipient i's result of an attempt ended at now
 * (QUEUE-3): cls 2 delivered, 5 failed for good, 4 retried after the
 * schedule's delay or, past queue_lifetime, failed with the 4.4.7 reason.
 * A failure sets is_new_failure (DSN-1). reply becomes the last error.
 */
void queue_entry_result(const struct queue_schedule *s, struct queue_entry *e, size_t i, int cls,
        const char *reply, int64_t now);

/*
 * queue_entry_list - CLI-7 lines of e to f, one per domain with pending
 * recipients: `<id> <age s> <sender> <domain> <pending> <attempts> <next s>
 * <last error or ->`.
 */
void queue_entry_list(FILE *f, const struct queue_entry *e, int64_t now);

/* ---- files (block) ---- */

/* queue_entry_path - "<dir>/<id>.<ext>" into buf. */
void queue_entry_path(const char *dir, const char *id, const char *ext, char *buf, size_t len);
/* queue_entry_write_file - data to dir/name via a temporary file, fsync, rename, dir fsync. */
int queue_entry_write_file(const char *dir, const char *name, const void *data, size_t len);
/* queue_entry_save - render e and write <id>.env durably. -1 errno. */
int queue_entry_save(const char *dir, const struct queue_entry *e);
/* queue_entry_load - read and parse <id>.env, check <id>.msg; -1 with *error_r. */
int queue_entry_load(
        const char *dir, const char *id, struct queue_entry **e_r, const char **error_r);
/*
 * queue_entry_hold - render e and write <id>.hold, flushed; its name is made
 * durable only by queue_entry_commit. -1 errno (nothing left behind).
 */
int queue_entry_hold(const char *dir, const struct queue_entry *e);
/* queue_entry_commit - rename <id>.hold to <id>.env, flush the directory: now an entry. */
int queue_entry_commit(const char *dir, const char *id);
/* queue_entry_remove - unlink <id>.env, <id>.hold, then <id>.msg, flush the directory. */
int queue_entry_remove(const char *dir, const char *id);
/* queue_entry_move_aside - QUEUE-4: move <id>.* into dir/corrupt/. */
int queue_entry_move_aside(const char *dir, const char *id);
/*
 * queue_entry_load_all - every entry of dir (sorted by id); unreadable ones
 * are moved aside (counted in *bad_r); stray temporary files, .msg files
 * without an .env and held entries (counted in *held_r, NULL ok) removed.
 * *list_r is a linked list owned by the caller. -1 errno (dir unreadable).
 * Start-up or with the data_dir lock only: a live hold would go too.
 */
int queue_entry_load_all(
        const char *dir, struct queue_entry **list_r, size_t *n_r, size_t *bad_r, size_t *held_r);

#endif
