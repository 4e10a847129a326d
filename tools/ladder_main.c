/* ladder_main.c - `tapir-ladder`: the same as `tapir ladder`, built on its own
 * so the golden tests need nothing from apps/. */
#include "tools.h"

int main(int argc, char **argv)
{
	return cmd_ladder(argc, argv);
}
