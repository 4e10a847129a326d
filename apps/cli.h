/*
 * cli.h - command-line options for the tapir subcommands.
 *
 * Options come in groups (the network flags every virtual host takes, then a
 * command's own), each a table that stores values into its own target
 * struct, so commands share groups instead of copying parsers. Accepts
 * "--name VALUE", "--name=VALUE", "-c VALUE", "-cVALUE", "--" and "-h" /
 * "--help". Every error is one line naming the flag, then a usage hint.
 */
#ifndef TAPIR_APPS_CLI_H
#define TAPIR_APPS_CLI_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "tapir/tapir.h"

#define CLI_EXIT_USAGE 2

struct cli_option {
	const char *name;       /* long name without "--" */
	char short_name;        /* 0: none */
	const char *arg;        /* value placeholder ("N", "A/N"); NULL: a switch */
	const char *help;
	/* Stores value (NULL for a switch) in target; returns 0, or -1 with
	 * what is wrong with the value in err. NULL for a plain switch, which
	 * sets the int at `flag` (CLI_SWITCH) to 1. */
	int (*set)(void *target, const char *value, char *err, size_t errlen);
	size_t flag;
};

/* A switch that only sets an int field of the group's target struct. */
#define CLI_SWITCH(name, short_name, help, type, field) \
	{name, short_name, NULL, help, NULL, offsetof(type, field)}

struct cli_group {
	const char *title;              /* heading in --help */
	const struct cli_option *options;   /* ends with a NULL name */
	void *target;
};

struct cli_command {
	const char *name;               /* "tapir ping" */
	const char *synopsis;           /* "[options] HOST" */
	const char *about;              /* one line */
	const char *details;            /* after the options in --help, or NULL */
	const struct cli_group *groups;
	size_t n_groups;
	int min_operands, max_operands;
};

/* CLI_HELP and CLI_ERROR are also the exit statuses a command returns for
 * them, so a command reads: if ((r = cli_parse(...)) != CLI_OK) return r; */
enum cli_result { CLI_OK = -1, CLI_HELP = 0, CLI_ERROR = CLI_EXIT_USAGE };

/* Parses argv[1..]; operands (non-options) land in operands[]. On CLI_HELP
 * the usage went to stdout; on CLI_ERROR the message and hint to stderr. */
enum cli_result cli_parse(const struct cli_command *cmd, int argc, char **argv,
			  char **operands, int *n_operands);

void cli_usage(const struct cli_command *cmd, FILE *out);
/* "tapir ping: <message>" and "try 'tapir ping --help'" on stderr. */
void cli_fail(const struct cli_command *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Value parsers for option setters: strict, whole string, in range. */
int cli_uint(const char *s, uint64_t min, uint64_t max, uint64_t *out, char *err, size_t errlen);
/* An IPv4 address operand (HOST); on a problem cli_fail() and -1. */
int cli_host(const struct cli_command *cmd, const char *s, tp_ip4 *out);
/* A port operand, 1..65535; on a problem cli_fail() and -1. */
int cli_port(const struct cli_command *cmd, const char *s, uint16_t *out);
/* Seconds with up to 6 decimals ("0.2", "1", "2.5") into microseconds. */
int cli_seconds(const char *s, tp_time min, tp_time max, tp_time *out, char *err, size_t errlen);

#endif
