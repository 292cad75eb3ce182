/*
 * core_log.c - line logger with No-Log mode (LOG-1..4).
 *
 * Responsible for formatting and emitting one line per event. In No-Log mode
 * it drops the personal fragment and the session id of every line, whatever
 * the level. Does not allocate; safe from any thread.
 */
#include "core/core_log.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "core/core_limits.h"

static struct {
	enum log_level level;
	enum log_target target;
	bool no_log;
	bool syslog_open;
} log_state = { LOG_LEVEL_INFO, LOG_TARGET_STDERR, true, false };

static const char *const log_level_names[] = { "error", "warn", "info", "debug" };

void
log_init(enum log_level level, enum log_target target, bool no_log)
{
	log_state.level = level;
	log_state.target = target;
	log_state.no_log = no_log;
	if (target == LOG_TARGET_SYSLOG && !log_state.syslog_open) {
		openlog("chatrelay", LOG_PID | LOG_NDELAY, LOG_MAIL);
		log_state.syslog_open = true;
	}
}

bool
log_is_private(void)
{
	return log_state.no_log;
}

bool
log_enabled(enum log_level level)
{
	return level <= log_state.level;
}

const char *
log_personal(struct log_personal *p, const char *fmt, ...)
{
	va_list ap;

	if (log_state.no_log)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p->buf, sizeof(p->buf), fmt, ap);
	va_end(ap);
	return p->buf;
}

/* log_strip_controls - replace CR, LF and other controls so one event stays one line. */
static void
log_strip_controls(char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			*s = ' ';
}

void
log_write(enum log_level level, uint64_t sid, const char *personal, const char *fmt, ...)
{
	static const int syslog_prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char line[LOG_LINE_MAX];
	size_t len = 0;
	va_list ap;
	int n;

	if (!log_enabled(level))
		return;
	if (log_state.target == LOG_TARGET_STDERR) {
		struct timespec ts;
		struct tm tm;

		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		len = strftime(line, sizeof(line), "%Y-%m-%dT%H:%M:%SZ ", &tm);
	}
	n = snprintf(line + len, sizeof(line) - len, "%s ", log_level_names[level]);
	len += (size_t)n;
	if (sid != 0 && !log_state.no_log) {
		n = snprintf(line + len, sizeof(line) - len, "sid=%llu ", (unsigned long long)sid);
		len += (size_t)n;
	}
	va_start(ap, fmt);
	n = vsnprintf(line + len, sizeof(line) - len, fmt, ap);
	va_end(ap);
	if (n > 0)
		len = len + (size_t)n < sizeof(line) ? len + (size_t)n : sizeof(line) - 1;
	if (personal != NULL && !log_state.no_log && len < sizeof(line) - 2) {
		n = snprintf(line + len, sizeof(line) - len, " %s", personal);
		if (n > 0)
			len = len + (size_t)n < sizeof(line) ? len + (size_t)n : sizeof(line) - 1;
	}
	line[len] = '\0';
	log_strip_controls(line);
	if (log_state.target == LOG_TARGET_SYSLOG) {
		syslog(syslog_prio[level], "%s", line);
		return;
	}
	if (len >= sizeof(line) - 1)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* One write per line keeps lines of concurrent threads whole. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

int
log_level_parse(const char *word, enum log_level *level_r)
{
	for (size_t i = 0; i < sizeof(log_level_names) / sizeof(log_level_names[0]); i++) {
		if (strcmp(word, log_level_names[i]) == 0) {
			*level_r = (enum log_level)i;
			return 0;
		}
	}
	return -1;
}

const char *
log_level_name(enum log_level level)
{
	return log_level_names[level];
}
