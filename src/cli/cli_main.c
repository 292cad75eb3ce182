/*
 * cli_main.c - argument parsing and command dispatch (CLI-1).
 *
 * Loads the configuration for every command (CONF-1), reports its problems
 * as "<file>:<line>: <problem>" with exit 2 (CONF-4), and hands over to the
 * command. New commands add a row to cli_commands.
 */
#include "cli/cli.h"
#include "cli/cli_account.h"
#include "cli/cli_queue.h"

#include <crypt.h>
#include <openssl/crypto.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "core/core_conf.h"
#include "core/core_log.h"

struct cli_command {
	const char *name;
	bool needs_conf;
	int (*run)(struct conf *conf, int argc, char **argv);
};

static int
cli_serve_cmd(struct conf *conf, int argc, char **argv)
{
	(void)argv;
	if (argc != 0) {
		fprintf(stderr, "usage: chatrelay serve [-c FILE]\n");
		return CLI_EXIT_USAGE;
	}
	return cli_serve(conf);
}

static int
cli_version_cmd(struct conf *conf, int argc, char **argv)
{
	(void)conf;
	(void)argc;
	(void)argv;
	return cli_version();
}

static const struct cli_command cli_commands[] = {
	{ "serve", true, cli_serve_cmd },
	{ "version", false, cli_version_cmd },
	{ "account", true, cli_account_cmd },
	{ "block", true, cli_block_cmd },
	{ "dns", true, cli_dns },
	{ "queue", true, cli_queue_cmd },
};

int
cli_version(void)
{
	printf("chatrelay %s\n", CHATRELAY_VERSION);
	printf("%s libxcrypt %d.%d\n", OpenSSL_version(OPENSSL_VERSION), XCRYPT_VERSION_MAJOR,
		XCRYPT_VERSION_MINOR);
	return CLI_EXIT_OK;
}

static void
cli_usage(void)
{
	fprintf(stderr, "usage: chatrelay <command> [-c FILE] [args]\n"
		"commands:\n"
		"  serve      run the server in the foreground\n"
		"  version    print the version\n"
		"  account    add|del|list|passwd|quota accounts\n"
		"  block      add|del|list blocklist entries\n"
		"  dns        print the DNS zone records for the mail domain\n"
		"  queue      list|flush [<id>]|del <id> the outbound queue\n");
}

/* cli_take_config_opt - remove "-c FILE" / "-cFILE" / "--config FILE" from argv. */
static int
cli_take_config_opt(int *argc, char **argv, const char **path_r)
{
	int out = 0;

	for (int i = 0; i < *argc; i++) {
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) {
			if (i + 1 >= *argc)
				return -1;
			*path_r = argv[++i];
		} else if (strncmp(argv[i], "-c", 2) == 0 && argv[i][2] != '\0') {
			*path_r = argv[i] + 2;
		} else {
			argv[out++] = argv[i];
		}
	}
	*argc = out;
	return 0;
}

int
cli_main(int argc, char **argv)
{
	const struct cli_command *cmd = NULL;
	const char *conf_path = NULL;
	struct conf conf;
	char err[1024];
	int rc;

	if (argc < 2) {
		cli_usage();
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; i < sizeof(cli_commands) / sizeof(cli_commands[0]); i++)
		if (strcmp(argv[1], cli_commands[i].name) == 0)
			cmd = &cli_commands[i];
	if (cmd == NULL) {
		fprintf(stderr, "chatrelay: unknown command '%s'\n", argv[1]);
		cli_usage();
		return CLI_EXIT_USAGE;
	}
	argc -= 2;
	argv += 2;
	if (cli_take_config_opt(&argc, argv, &conf_path) < 0) {
		fprintf(stderr, "chatrelay: -c needs a file name\n");
		return CLI_EXIT_USAGE;
	}
	if (!cmd->needs_conf)
		return cmd->run(NULL, argc, argv);
	if (conf_init(&conf) < 0) {
		fprintf(stderr, "chatrelay: out of memory\n");
		return CLI_EXIT_RUNTIME;
	}
	if (conf_load(&conf, conf_path, err, sizeof(err)) < 0) {
		fprintf(stderr, "%s\n", err);
		conf_free(&conf);
		return CLI_EXIT_USAGE;
	}
	log_init((enum log_level)conf.log_level, (enum log_target)conf.log_target, conf.no_log);
	for (size_t i = 0; i < conf.notices.count; i++)
		log_info("config: %s", conf.notices.words[i]);
	rc = cmd->run(&conf, argc, argv);
	conf_free(&conf);
	return rc;
}
