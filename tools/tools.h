/*
 * tools.h - the subcommands that live in tools/ (linked into the `tapir`
 * binary; apps/main.c dispatches to them).
 */
#ifndef TAPIR_TOOLS_H
#define TAPIR_TOOLS_H

int cmd_replay(int argc, char **argv);   /* tapir replay VECTOR.pcap ... */
int cmd_ladder(int argc, char **argv);   /* tapir ladder CAPTURE.pcap ... */

#endif
