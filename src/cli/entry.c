/* SPDX-License-Identifier: MIT */
/* The sqnsupgrade executable: the command line is sqns_cli_main (src/cli/main.c). */
#include "sqnsupgrade_cli.h"

int main(int argc, char **argv)
{
	return sqns_cli_main(argc, argv);
}
