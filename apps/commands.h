/* commands.h - the subcommands that live in apps/ (main.c dispatches). */
#ifndef TAPIR_APPS_COMMANDS_H
#define TAPIR_APPS_COMMANDS_H

/* argv[0] is the command's own name ("run", "ping", "nc" or "tapir"). */
int cmd_run(int argc, char **argv);
int cmd_ping(int argc, char **argv);
int cmd_nc(int argc, char **argv);
int cmd_dig(int argc, char **argv);
int cmd_get(int argc, char **argv);
int cmd_stat(int argc, char **argv);

#endif
