/*
 * cli.h - the command line (CLI-1, CLI-2, CLI-9).
 *
 * `chatrelay <command> [-c FILE] ...`. Exit status 0 on success, 1 on a
 * runtime error, 2 on usage or configuration errors (CLI-1).
 */
#ifndef CHATRELAY_CLI_H
#define CHATRELAY_CLI_H

#define CLI_EXIT_OK 0
#define CLI_EXIT_RUNTIME 1
#define CLI_EXIT_USAGE 2

struct conf;

/* cli_main - dispatch argv to a command; returns the process exit status. */
int cli_main(int argc, char **argv);

/* cli_serve - GEN-5 start-up, then serve until shutdown (CLI-2). */
int cli_serve(struct conf *conf);

/* cli_dns - CLI-8: print the zone records; generates a missing DKIM key (DKIM-3). */
int cli_dns(struct conf *conf, int argc, char **argv);

/* cli_version - CLI-9. */
int cli_version(void);

#endif
