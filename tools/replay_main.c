/* replay_main.c - `tapir-replay`: the same as `tapir replay`, built on its own so
 * the vector tests need nothing from apps/. */
#include "tools.h"

int main(int argc, char **argv)
{
	return cmd_replay(argc, argv);
}
