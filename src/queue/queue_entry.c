/*
 * queue_entry.c - queue entries in memory, their .env text format and the
 * files of an entry (QUEUE-1, QUEUE-4, QUEUE-5). Format in queue_entry.h.
 *
 * Render/parse touch no files; the file functions block and run on workers,
 * at start-up or in the stopped-server CLI. Nothing here schedules.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/core_fs.h"
#include "queue/queue_entry.h"
#include "queue/queue_schedule.h"

struct queue_entry *
queue_entry_new(const char *id, int64_t queued_at, const char *sender)
{
	struct queue_entry *e = calloc(1, sizeof(*e));

	if (e == NULL)
		return NULL;
	snprintf(e->id, sizeof(e->id), "%s", id);
	e->queued_at = queued_at;
	e->sender = strdup(sender);
	if (e->sender == NULL) {
		free(e);
		return NULL;
	}
	return e;
}

int
queue_entry_add_rcpt(struct queue_entry *e, const char *addr, int64_t next_at)
{
	struct queue_rcpt *r, *grown;
	char *at;

	if (!queue_entry_address_ok(addr, false) || e->n_rcpts >= QUEUE_ENTRY_RCPTS_MAX) {
		errno = EINVAL;
		return -1;
	}
	grown = realloc(e->rcpts, (e->n_rcpts + 1) * sizeof(*grown));
	if (grown == NULL)
		return -1;
	e->rcpts = grown;
	r = &e->rcpts[e->n_rcpts];
	memset(r, 0, sizeof(*r));
	r->addr = strdup(addr);
	if (r->addr == NULL)
		return -1;
	at = strrchr(r->addr, '@');
	for (char *p = at + 1; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	r->domain = at + 1;
	r->next_at = next_at;
	e->n_rcpts++;
	return 0;
}

void
queue_entry_free(struct queue_entry **ep)
{
	struct queue_entry *e = *ep;

	if (e == NULL)
		return;
	for (size_t i = 0; i < e->n_rcpts; i++) {
		free(e->rcpts[i].addr);
		free(e->rcpts[i].error);
	}
	free(e->rcpts);
	free(e->sender);
	free(e);
	*ep = NULL;
}

size_t
queue_entry_pending(const struct queue_entry *e)
{
	size_t n = 0;

	for (size_t i = 0; i < e->n_rcpts; i++)
		n += e->rcpts[i].state == QUEUE_RCPT_PENDING;
	return n;
}

void
queue_entry_set_error(struct queue_rcpt *r, const char *error)
{
	size_t len = error != NULL ? strlen(error) : 0;

	free(r->error);
	r->error = NULL;
	if (len == 0)
		return;
	if (len > QUEUE_ENTRY_ERROR_MAX)
		len = QUEUE_ENTRY_ERROR_MAX;
	r->error = strndup(error, len);
	if (r->error == NULL)
		return;
	/* one line in the .env file and in `queue list` */
	for (char *p = r->error; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
}

bool
queue_entry_address_ok(const char *addr, bool allow_empty)
{
	size_t len = strlen(addr);
	const char *at = strrchr(addr, '@');

	if (len == 0)
		return allow_empty;
	if (len > QUEUE_ENTRY_ADDR_MAX || at == NULL || at == addr || at[1] == '\0')
		return false;
	for (const char *p = addr; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '<' || *p == '>')
			return false;
	return true;
}

void
queue_entry_new_id(char *buf)
{
	unsigned char raw[QUEUE_ENTRY_ID_LEN / 2];

	if (getrandom(raw, sizeof(raw), 0) != (ssize_t)sizeof(raw)) {
		/* getrandom does not fail for 8 octets after boot; be safe anyway */
		uint64_t v = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^
		        (uint64_t)(uintptr_t)buf;
		memcpy(raw, &v, sizeof(raw));
	}
	for (size_t i = 0; i < sizeof(raw); i++)
		snprintf(buf + 2 * i, 3, "%02x", raw[i]);
}

bool
queue_entry_id_ok(const char *id)
{
	size_t i;

	for (i = 0; id[i] != '\0'; i++)
		if (!isxdigit((unsigned char)id[i]) || isupper((unsigned char)id[i]))
			return false;
	return i == QUEUE_ENTRY_ID_LEN;
}

/* queue_entry_state_char - the state letter of the .env format ('b': failed, DSN owed). */
static char
queue_entry_state_char(const struct queue_rcpt *r)
{
	if (r->state == QUEUE_RCPT_FAILED)
		return r->is_dsn_owed ? 'b' : 'f';
	return r->state == QUEUE_RCPT_PENDING ? 'p' : 'd';
}

int
queue_entry_render(const struct queue_entry *e, char **text_r, size_t *len_r)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (f == NULL)
		return -1;
	fprintf(f, "chatrelay-queue 1\nqueued %" PRId64 "\nsender %s\n", e->queued_at,
	        e->sender[0] != '\0' ? e->sender : "<>");
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];

		fprintf(f, "rcpt %c %u %" PRId64 " %s%s%s\n", queue_entry_state_char(r),
		        r->attempts, r->next_at, r->addr, r->error != NULL ? " " : "",
		        r->error != NULL ? r->error : "");
	}
	fputs("end\n", f);
	if (fclose(f) != 0) {
		free(buf);
		return -1;
	}
	*text_r = buf;
	*len_r = len;
	return 0;
}

/* queue_entry_parse_rcpt - one "rcpt" line (after the keyword). */
static int
queue_entry_parse_rcpt(struct queue_entry *e, char *line)
{
	char state, *addr, *end;
	unsigned long attempts;
	long long next;

	if (line[0] == '\0' || line[1] != ' ')
		return -1;
	state = line[0];
	errno = 0;
	attempts = strtoul(line + 2, &end, 10);
	if (errno != 0 || end == line + 2 || *end != ' ' || attempts > 1000000)
		return -1;
	next = strtoll(end + 1, &end, 10);
	if (errno != 0 || *end != ' ')
		return -1;
	addr = end + 1;
	end = strchr(addr, ' ');
	if (end != NULL)
		*end++ = '\0';
	if (queue_entry_add_rcpt(e, addr, next) < 0)
		return -1;
	struct queue_rcpt *r = &e->rcpts[e->n_rcpts - 1];
	if (state == 'p')
		r->state = QUEUE_RCPT_PENDING;
	else if (state == 'd')
		r->state = QUEUE_RCPT_DELIVERED;
	else if (state == 'f' || state == 'b') {
		r->state = QUEUE_RCPT_FAILED;
		r->is_dsn_owed = state == 'b';
	} else
		return -1;
	r->attempts = (unsigned)attempts;
	queue_entry_set_error(r, end);
	return 0;
}

/* queue_entry_parse_line - one line after the magic; *is_end_r on "end". */
static int
queue_entry_parse_line(struct queue_entry *e, char *line, bool *is_end_r, const char **error_r)
{
	char *end;

	if (strcmp(line, "end") == 0) {
		*is_end_r = true;
		return 0;
	}
	if (strncmp(line, "queued ", 7) == 0) {
		errno = 0;
		e->queued_at = strtoll(line + 7, &end, 10);
		if (errno == 0 && *end == '\0' && end != line + 7)
			return 0;
	} else if (strncmp(line, "sender ", 7) == 0) {
		const char *s = strcmp(line + 7, "<>") == 0 ? "" : line + 7;

		if (queue_entry_address_ok(s, true)) {
			free(e->sender);
			e->sender = strdup(s);
			return e->sender != NULL ? 0 : -1;
		}
	} else if (strncmp(line, "rcpt ", 5) == 0) {
		if (queue_entry_parse_rcpt(e, line + 5) == 0)
			return 0;
		*error_r = "bad recipient line";
		return -1;
	}
	*error_r = "bad line";
	return -1;
}

int
queue_entry_parse(const char *id, const char *text, size_t len, struct queue_entry **e_r,
        const char **error_r)
{
	static const char magic[] = "chatrelay-queue 1\n";
	struct queue_entry *e;
	char *copy, *line, *save = NULL;
	bool is_end = false;
	int rc = 0;

	*error_r = "not a queue file";
	if (len < sizeof(magic) - 1 || memcmp(text, magic, sizeof(magic) - 1) != 0 ||
	        memchr(text, '\0', len) != NULL || text[len - 1] != '\n')
		return -1;
	e = queue_entry_new(id, -1, "");
	copy = strndup(text + sizeof(magic) - 1, len - (sizeof(magic) - 1));
	if (e == NULL || copy == NULL) {
		*error_r = "out of memory";
		queue_entry_free(&e);
		free(copy);
		return -1;
	}
	for (line = strtok_r(copy, "\n", &save); line != NULL && rc == 0;
	        line = strtok_r(NULL, "\n", &save)) {
		if (is_end) {
			*error_r = "data after end";
			rc = -1;
		} else
			rc = queue_entry_parse_line(e, line, &is_end, error_r);
	}
	free(copy);
	if (rc == 0 && (!is_end || e->queued_at < 0 || e->n_rcpts == 0)) {
		*error_r = !is_end ? "truncated" : "incomplete";
		rc = -1;
	}
	if (rc < 0) {
		queue_entry_free(&e);
		return -1;
	}
	*e_r = e;
	return 0;
}

void
queue_entry_list(FILE *f, const struct queue_entry *e, int64_t now)
{
	for (size_t i = 0; i < e->n_rcpts; i++) {
		const struct queue_rcpt *r = &e->rcpts[i];
		size_t pending = 0;
		unsigned attempts = 0;
		int64_t next = INT64_MAX;
		const char *error = NULL;
		bool is_first = true;

		for (size_t j = 0; j < i && is_first; j++)
			is_first = strcmp(e->rcpts[j].domain, r->domain) != 0;
		if (!is_first)
			continue;
		for (size_t j = i; j < e->n_rcpts; j++) {
			const struct queue_rcpt *o = &e->rcpts[j];

			if (o->state != QUEUE_RCPT_PENDING || strcmp(o->domain, r->domain) != 0)
				continue;
			pending++;
			attempts = o->attempts > attempts ? o->attempts : attempts;
			next = o->next_at < next ? o->next_at : next;
			error = o->error != NULL ? o->error : error;
		}
		if (pending == 0)
			continue;
		fprintf(f, "%s %" PRId64 " %s %s %zu %u %" PRId64 " %s\n", e->id,
		        now - e->queued_at, e->sender[0] != '\0' ? e->sender : "<>", r->domain,
		        pending, attempts, next > now ? next - now : 0,
		        error != NULL ? error : "-");
	}
}

void
queue_entry_result(const struct queue_schedule *s, struct queue_entry *e, size_t i, int cls,
        const char *reply, int64_t now)
{
	struct queue_rcpt *r = &e->rcpts[i];
	int64_t next;

	r->is_running = false;
	r->attempts++;
	queue_entry_set_error(r, reply);
	if (cls == 2) {
		r->state = QUEUE_RCPT_DELIVERED;
	} else if (cls == 5) {
		r->state = QUEUE_RCPT_FAILED;
		r->is_new_failure = true;
	} else if (queue_schedule_after_failure(s, e->queued_at, r->attempts, now, &next) ==
	        QUEUE_SCHEDULE_RETRY) {
		r->next_at = next;
	} else {
		r->state = QUEUE_RCPT_FAILED;
		r->is_new_failure = true;
		queue_entry_set_error(r, QUEUE_SCHEDULE_EXPIRED_REASON);
	}
}
