/*
 * main.c - process entry point: hands argv to the CLI (CLI-1).
 */
#include "cli/cli.h"

int
main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
