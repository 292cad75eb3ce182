/*
 * cli_control.h - the control socket <data_dir>/control.sock (CLI-3).
 *
 * Line protocol. Request: one line, the command words separated by TAB
 * (words contain no TAB, CR or LF). Response: lines "1 <text>" (stdout of
 * the command), "2 <text>" (stderr), then "X <exit status>", then close.
 * The server runs the command on a worker (cli_account_run) and applies
 * its effects on the loop: sessions of a deleted or blocked account are
 * closed and cache entries dropped (ACC-7, AUTH-8) before the answer.
 * `queue ...` verbs (CLI-7) run on the loop instead, where the queue lives.
 */
#ifndef CHATRELAY_CLI_CONTROL_H
#define CHATRELAY_CLI_CONTROL_H

#include <stddef.h>
#include <sys/un.h>

struct auth;
struct server;
struct cli_control;

/* Longest request line. */
#define CLI_CONTROL_LINE_MAX 8192

struct sockaddr_un;

/*
 * cli_control_address - the socket address of <data_dir>/control.sock. A
 * path longer than sun_path is reached through an O_PATH descriptor of
 * data_dir (/proc/self/fd/<fd>/control.sock), returned in *dir_fd_r for
 * the caller to close after bind/connect (-1 when not used). 0 or -1.
 */
int cli_control_address(const char *data_dir, struct sockaddr_un *sun, int *dir_fd_r);

/* cli_control_new - bind the socket (mode 0600) on srv's loop. NULL with err. Loop thread. */
struct cli_control *cli_control_new(
        struct server *srv, struct auth *auth, char *err, size_t errlen);

/* cli_control_free - close the socket and every control connection; unlink it. */
void cli_control_free(struct cli_control **cp);

/*
 * cli_control_call - client side: send argv to a running server and copy
 * its output to stdout/stderr. Returns the exit status, or -1 when no
 * server answers on the socket (then act directly).
 */
int cli_control_call(const char *data_dir, int argc, char **argv);

struct conf;
struct priv;
/*
 * cli_control_direct_priv - before acting without a server: umask 077 and,
 * when conf names a user, priv_init() for it into *priv (zeroed first).
 * Returns 0, or -1 after printing the error (exit with CLI_EXIT_USAGE).
 */
int cli_control_direct_priv(const struct conf *conf, struct priv *priv);
/*
 * cli_control_direct_enter - create data_dir, hand it to the server's user
 * and assume that user, so files made directly belong to it (GEN-3).
 * Returns 0, or -1 after printing the error (exit with CLI_EXIT_RUNTIME).
 */
int cli_control_direct_enter(const struct conf *conf, struct priv *priv);

#endif
