/* SPDX-License-Identifier: MIT */
/*
 * --board: the port is a Pycom board's USB serial port with MicroPython on it.
 * Before the command runs, the board's REPL is taken (115200, raw REPL), the
 * board is asked what it is (os.uname()) and told to prepare the modem and
 * mirror it (sqnsupgrade.uart(...)); the command then runs as against a bare
 * modem, at 921600.
 */
#ifndef SQNS_CLI_BOARD_H
#define SQNS_CLI_BOARD_H

#include "cli.h"

/* The command line's --board checks: -1 to go on, else EXIT_USAGE (message printed). */
int board_check_cli(const struct cli *c);

/*
 * Take the board on the command's port and put it in mirror mode for the
 * command. -1 to go on with the command (the port is closed with its modem
 * lines kept up; the command opens it again at 921600); else the exit status,
 * its message printed (EXIT_OK after a dry run's plan).
 */
int board_take(struct session *s);

#endif
