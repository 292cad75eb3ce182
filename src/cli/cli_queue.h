/*
 * cli_queue.h - `chatrelay queue list|flush [<id>]|del <id>` (CLI-7): on a
 * running server through the control socket (run on its loop), else
 * directly on the queue directory with the data_dir lock held.
 */
#ifndef CHATRELAY_CLI_QUEUE_H
#define CHATRELAY_CLI_QUEUE_H

#include <stdio.h>

struct conf;
struct queue;

/* cli_queue_cmd - the command-table entry (argv after "queue"). Returns the exit status. */
int cli_queue_cmd(struct conf *conf, int argc, char **argv);

/*
 * cli_queue_run_live - argv[0] == "queue": the verb on a running server's
 * queue (loop thread, does not block). Output to out/err; exit status.
 */
int cli_queue_run_live(struct queue *q, int argc, char **argv, FILE *out, FILE *err);

#endif
