/*
 * test_log.c - unit tests of core/core_log.c (LOG-1..4, STYLE "No-Log mode").
 *
 * stderr is redirected (dup2) onto a temp file while the logger writes, then
 * restored before anything is asserted, so cmocka's own messages are never
 * captured. Checks that No-Log mode drops the personal fragment and the
 * session id at every level, that they appear otherwise, level filtering,
 * and that control characters cannot split one event into several lines.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/core_limits.h"
#include "core/core_log.h"

#define TEST_LOG_SID UINT64_C(987654321)
#define TEST_LOG_ADDR "alice@example.org"
#define TEST_LOG_IP "192.0.2.77"

struct test_log_capture {
	FILE *file;
	int saved_fd;
};

static void
test_log_capture_start(struct test_log_capture *cap)
{
	fflush(stderr);
	cap->file = tmpfile();
	assert_non_null(cap->file);
	cap->saved_fd = dup(STDERR_FILENO);
	assert_true(cap->saved_fd >= 0);
	assert_true(dup2(fileno(cap->file), STDERR_FILENO) >= 0);
}

/* test_log_capture_end - restore stderr; returns what was written (caller frees). */
static char *
test_log_capture_end(struct test_log_capture *cap)
{
	long size;
	char *text;

	assert_true(dup2(cap->saved_fd, STDERR_FILENO) >= 0);
	close(cap->saved_fd);
	assert_int_equal(fseek(cap->file, 0, SEEK_END), 0);
	size = ftell(cap->file);
	assert_true(size >= 0);
	rewind(cap->file);
	text = malloc((size_t)size + 1);
	assert_non_null(text);
	assert_int_equal(fread(text, 1, (size_t)size, cap->file), (size_t)size);
	text[size] = '\0';
	fclose(cap->file);
	return text;
}

static size_t
test_log_count_lines(const char *text)
{
	size_t n = 0;

	for (; *text != '\0'; text++)
		n += *text == '\n';
	return n;
}

/* test_log_event - one event of every level with a session id and a personal fragment. */
static void
test_log_events(void)
{
	static const enum log_level levels[] = {
	        LOG_LEVEL_ERROR, LOG_LEVEL_WARN, LOG_LEVEL_INFO, LOG_LEVEL_DEBUG};
	struct log_personal lp;

	for (size_t i = 0; i < 4; i++) {
		const char *personal =
		        log_personal(&lp, "addr=%s ip=%s", TEST_LOG_ADDR, TEST_LOG_IP);

		log_write(
		        levels[i], TEST_LOG_SID, personal, "smtp: message accepted size=%d", 1234);
		/* A fragment formatted by hand (a careless call site) is dropped too. */
		log_write(levels[i], TEST_LOG_SID, "addr=" TEST_LOG_ADDR, "imap: login ok");
	}
}

static void
test_log_no_log_drops_personal(void **state)
{
	struct test_log_capture cap;
	struct log_personal lp;
	char *out;

	(void)state;
	log_init(LOG_LEVEL_DEBUG, LOG_TARGET_STDERR, true);
	assert_true(log_is_private());
	memset(lp.buf, 0, sizeof(lp.buf));
	assert_null(log_personal(&lp, "addr=%s", TEST_LOG_ADDR));
	/* Nothing was even formatted into the caller's buffer. */
	assert_null(strstr(lp.buf, TEST_LOG_ADDR));
	test_log_capture_start(&cap);
	test_log_events();
	out = test_log_capture_end(&cap);
	assert_int_equal(test_log_count_lines(out), 8);
	assert_non_null(strstr(out, "smtp: message accepted size=1234"));
	assert_non_null(strstr(out, "imap: login ok"));
	assert_null(strstr(out, "alice"));
	assert_null(strstr(out, "example.org"));
	assert_null(strstr(out, TEST_LOG_IP));
	assert_null(strstr(out, "sid="));
	assert_null(strstr(out, "987654321"));
	free(out);
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
}

static void
test_log_personal_when_allowed(void **state)
{
	struct test_log_capture cap;
	struct log_personal lp;
	char *out, *line;

	(void)state;
	log_init(LOG_LEVEL_DEBUG, LOG_TARGET_STDERR, false);
	assert_false(log_is_private());
	assert_string_equal(log_personal(&lp, "addr=%s", TEST_LOG_ADDR), "addr=" TEST_LOG_ADDR);
	test_log_capture_start(&cap);
	test_log_events();
	log_write(LOG_LEVEL_INFO, 0, NULL, "server: ready");
	out = test_log_capture_end(&cap);
	assert_int_equal(test_log_count_lines(out), 9);
	line = strstr(out,
	        "error sid=987654321 smtp: message accepted size=1234 addr=" TEST_LOG_ADDR
	        " ip=" TEST_LOG_IP "\n");
	assert_non_null(line);
	assert_non_null(strstr(out, "debug sid=987654321 imap: login ok addr=" TEST_LOG_ADDR "\n"));
	/* sid 0 means "no session": no sid= at all. */
	assert_non_null(strstr(out, "info server: ready\n"));
	assert_null(strstr(out, "sid=0"));
	free(out);
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
}

static void
test_log_line_format(void **state)
{
	struct test_log_capture cap;
	char *out;

	(void)state;
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
	test_log_capture_start(&cap);
	log_write(LOG_LEVEL_WARN, 0, NULL, "queue: entries=%d", 3);
	out = test_log_capture_end(&cap);
	/* "YYYY-MM-DDTHH:MM:SSZ warn queue: entries=3\n" */
	assert_int_equal(strlen(out), 21 + strlen("warn queue: entries=3\n"));
	for (int i = 0; i < 20; i++) {
		if (i == 4 || i == 7)
			assert_int_equal(out[i], '-');
		else if (i == 10)
			assert_int_equal(out[i], 'T');
		else if (i == 13 || i == 16)
			assert_int_equal(out[i], ':');
		else if (i == 19)
			assert_int_equal(out[i], 'Z');
		else
			assert_true(isdigit((unsigned char)out[i]));
	}
	assert_string_equal(out + 20, " warn queue: entries=3\n");
	free(out);
}

static void
test_log_levels(void **state)
{
	static const struct {
		enum log_level level;
		const char *present, *absent;
	} cases[] = {
	        {LOG_LEVEL_ERROR, "error e\n", "warn w\n"},
	        {LOG_LEVEL_WARN, "warn w\n", "info i\n"},
	        {LOG_LEVEL_INFO, "info i\n", "debug d\n"},
	        {LOG_LEVEL_DEBUG, "debug d\n", NULL},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct test_log_capture cap;
		char *out;

		log_init(cases[i].level, LOG_TARGET_STDERR, true);
		for (int l = LOG_LEVEL_ERROR; l <= LOG_LEVEL_DEBUG; l++)
			assert_int_equal(log_enabled((enum log_level)l), l <= (int)cases[i].level);
		test_log_capture_start(&cap);
		log_error("e");
		log_warn("w");
		log_info("i");
		log_debug("d");
		out = test_log_capture_end(&cap);
		assert_int_equal(test_log_count_lines(out), i + 1);
		assert_non_null(strstr(out, cases[i].present));
		if (cases[i].absent != NULL)
			assert_null(strstr(out, cases[i].absent));
		free(out);
	}
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
}

static void
test_log_level_words(void **state)
{
	static const char *const words[] = {"error", "warn", "info", "debug"};
	enum log_level level;

	(void)state;
	for (int i = 0; i < 4; i++) {
		assert_int_equal(log_level_parse(words[i], &level), 0);
		assert_int_equal(level, i);
		assert_string_equal(log_level_name(level), words[i]);
	}
	assert_int_equal(log_level_parse("warning", &level), -1);
	assert_int_equal(log_level_parse("INFO", &level), -1);
	assert_int_equal(log_level_parse("", &level), -1);
}

static void
test_log_controls_stay_one_line(void **state)
{
	struct test_log_capture cap;
	char *out;

	(void)state;
	log_init(LOG_LEVEL_DEBUG, LOG_TARGET_STDERR, false);
	test_log_capture_start(&cap);
	/* Peer-supplied text with CR LF, an escape sequence, DEL and UTF-8. */
	log_write(LOG_LEVEL_INFO, 7, "helo=evil\r\n2026-01-01T00:00:00Z error forged",
	        "smtp: bad command %s", "X\r\nY\tZ\x1b[31m\x7f\xc3\xa4");
	out = test_log_capture_end(&cap);
	assert_int_equal(test_log_count_lines(out), 1);
	assert_non_null(strstr(out,
	        "info sid=7 smtp: bad command X  Y Z [31m \xc3\xa4 helo=evil  "
	        "2026-01-01T00:00:00Z error forged\n"));
	for (const char *p = out; *p != '\0'; p++)
		if (p[1] != '\0')
			assert_false((unsigned char)*p < 0x20 || *p == 0x7f);
	free(out);
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
}

static void
test_log_truncation(void **state)
{
	char *big = malloc(LOG_LINE_MAX * 2);
	struct test_log_capture cap;
	char *out;

	(void)state;
	assert_non_null(big);
	memset(big, 'x', LOG_LINE_MAX * 2 - 1);
	big[LOG_LINE_MAX * 2 - 1] = '\0';
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, false);
	test_log_capture_start(&cap);
	log_write(LOG_LEVEL_INFO, 1, "addr=" TEST_LOG_ADDR, "%s", big);
	log_write(LOG_LEVEL_INFO, 1, big, "short");
	out = test_log_capture_end(&cap);
	/* Two lines, each cut to at most LOG_LINE_MAX octets with its newline. */
	assert_int_equal(test_log_count_lines(out), 2);
	assert_true(strchr(out, '\n') - out + 1 <= LOG_LINE_MAX);
	assert_true(strlen(strchr(out, '\n') + 1) <= LOG_LINE_MAX);
	free(out);

	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
	test_log_capture_start(&cap);
	log_write(LOG_LEVEL_INFO, 1, "addr=" TEST_LOG_ADDR, "%.*s", LOG_LINE_MAX - 60, big);
	out = test_log_capture_end(&cap);
	assert_int_equal(test_log_count_lines(out), 1);
	assert_null(strstr(out, "addr="));
	free(out);
	free(big);
}

#define TEST_LOG_THREADS 4
#define TEST_LOG_PER_THREAD 200

static void *
test_log_thread_main(void *arg)
{
	long id = (long)(intptr_t)arg;

	for (int i = 0; i < TEST_LOG_PER_THREAD; i++)
		log_write(LOG_LEVEL_INFO, 0, NULL, "thread=%ld n=%d pad=%s", id, i,
		        "................................................................");
	return NULL;
}

static void
test_log_threads_lines_whole(void **state)
{
	pthread_t threads[TEST_LOG_THREADS];
	struct test_log_capture cap;
	char *out, *line, *save = NULL;
	size_t count = 0;

	(void)state;
	log_init(LOG_LEVEL_INFO, LOG_TARGET_STDERR, true);
	test_log_capture_start(&cap);
	for (long i = 0; i < TEST_LOG_THREADS; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, test_log_thread_main,
		                         (void *)(intptr_t)i),
		        0);
	for (int i = 0; i < TEST_LOG_THREADS; i++)
		pthread_join(threads[i], NULL);
	out = test_log_capture_end(&cap);
	for (line = strtok_r(out, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		long id;
		int n;
		char pad[80];

		assert_int_equal(
		        sscanf(line + 21, "info thread=%ld n=%d pad=%79s", &id, &n, pad), 3);
		assert_int_equal(strlen(pad), 64);
		count++;
	}
	assert_int_equal(count, TEST_LOG_THREADS * TEST_LOG_PER_THREAD);
	free(out);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
	        cmocka_unit_test(test_log_no_log_drops_personal),
	        cmocka_unit_test(test_log_personal_when_allowed),
	        cmocka_unit_test(test_log_line_format),
	        cmocka_unit_test(test_log_levels),
	        cmocka_unit_test(test_log_level_words),
	        cmocka_unit_test(test_log_controls_stay_one_line),
	        cmocka_unit_test(test_log_truncation),
	        cmocka_unit_test(test_log_threads_lines_whole),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
