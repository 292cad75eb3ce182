/*
 * core_log.h - the logger, with No-Log mode built in (LOG-1..4).
 *
 * Personal data (addresses, IPs, host names, header values, mailbox names,
 * session ids) never goes into the format string of a log call. It goes into
 * a separate "personal" fragment built with log_personal(); in No-Log mode
 * the logger drops that fragment and the session id itself, so a call site
 * cannot forget. Lines end with key=value pairs (STYLE.md).
 *
 * Thread-safe: one write(2) per line on stderr, or syslog(3).
 */
#ifndef CHATRELAY_CORE_LOG_H
#define CHATRELAY_CORE_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum log_level { LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG };
enum log_target { LOG_TARGET_STDERR, LOG_TARGET_SYSLOG };

/* Personal fragment storage; lives on the caller's stack. */
struct log_personal {
	char buf[512];
};

/* log_init - set level, target and No-Log mode; may be called again (reconfigure). */
void log_init(enum log_level level, enum log_target target, bool no_log);

/* log_is_private - true in No-Log mode: callers may skip formatting personal data. */
bool log_is_private(void);

/* log_enabled - whether a line of this level would be written. */
bool log_enabled(enum log_level level);

/*
 * log_personal - format personal key=value pairs into p.
 * Returns NULL in No-Log mode (nothing is formatted), else p->buf.
 */
const char *log_personal(struct log_personal *p, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * log_write - write one line: "<level> [sid=<id>] <text> [<personal>]".
 * sid 0 means "no session". personal may be NULL; both sid and personal
 * are dropped in No-Log mode. fmt must not contain personal data.
 */
void log_write(enum log_level level, uint64_t sid, const char *personal, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* log_level_parse / log_level_name - config words error|warn|info|debug. */
int log_level_parse(const char *word, enum log_level *level_r);
const char *log_level_name(enum log_level level);

#define log_error(...) log_write(LOG_LEVEL_ERROR, 0, NULL, __VA_ARGS__)
#define log_warn(...) log_write(LOG_LEVEL_WARN, 0, NULL, __VA_ARGS__)
#define log_info(...) log_write(LOG_LEVEL_INFO, 0, NULL, __VA_ARGS__)
#define log_debug(...) log_write(LOG_LEVEL_DEBUG, 0, NULL, __VA_ARGS__)

#endif
