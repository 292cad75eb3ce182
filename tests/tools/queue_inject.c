/*
 * queue_inject.c - put a message into the outbound queue of a stopped
 * server (tests/e2e/test_queue_*.py), as queue_submit would after DATA.
 *
 *   queue_inject <data_dir> <sender|""> <message file> <rcpt>...
 *
 * Writes <data_dir>/queue/<id>.msg (the file, LF turned into CRLF, not
 * signed) and <id>.env, then prints the id. Not part of the server; built by
 * `make unit-bins`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/core_fs.h"
#include "queue/queue_entry.h"

/* inject_read - the file with CRLF line ends. */
static char *
inject_read(const char *path, size_t *len_r)
{
	FILE *f = fopen(path, "rb");
	char *out = NULL;
	size_t len = 0;
	FILE *m;
	int c, prev = 0;

	if (f == NULL || (m = open_memstream(&out, &len)) == NULL)
		return NULL;
	while ((c = fgetc(f)) != EOF) {
		if (c == '\n' && prev != '\r')
			fputc('\r', m);
		fputc(c, m);
		prev = c;
	}
	fclose(f);
	fclose(m);
	*len_r = len;
	return out;
}

int
main(int argc, char **argv)
{
	char dir[4096], id[QUEUE_ENTRY_ID_LEN + 1], name[64], *msg;
	struct queue_entry *e;
	size_t len;
	int64_t now = (int64_t)time(NULL);

	if (argc < 5) {
		fprintf(stderr, "usage: queue_inject DATA_DIR SENDER FILE RCPT...\n");
		return 2;
	}
	snprintf(dir, sizeof(dir), "%s/queue", argv[1]);
	if (fs_mkdir_p(dir, 0700) < 0 || (msg = inject_read(argv[3], &len)) == NULL) {
		perror("queue_inject");
		return 1;
	}
	queue_entry_new_id(id);
	e = queue_entry_new(id, now, argv[2]);
	for (int i = 4; e != NULL && i < argc; i++)
		if (queue_entry_add_rcpt(e, argv[i], now) < 0) {
			fprintf(stderr, "bad recipient %s\n", argv[i]);
			return 1;
		}
	snprintf(name, sizeof(name), "%s.msg", id);
	if (e == NULL || queue_entry_write_file(dir, name, msg, len) < 0 ||
	        queue_entry_save(dir, e) < 0) {
		perror("queue_inject");
		return 1;
	}
	printf("%s\n", id);
	queue_entry_free(&e);
	free(msg);
	return 0;
}
