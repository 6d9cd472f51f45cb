/* SPDX-License-Identifier: MIT */
/*
 * The sqnsupgrade command line as one function, called by the executable's
 * main() (entry.c); not part of libsqnsupgrade (programs use the library's C
 * API, include/sqnsupgrade.h and sqnsupgrade_host.h, and Python binds that).
 *
 * It prints what the executable prints (transcript on stdout, diagnostics on
 * stderr) and returns its exit status (README.md, "Exit statuses"). For the
 * duration of the call it handles SIGINT, SIGTERM and SIGHUP (the first one
 * ends the transfer cleanly, status 8) and then puts back the handlers it
 * found. It keeps no state between calls but the signal flag; it uses getopt
 * and process-wide signal handlers: one call at a time per process.
 */
#ifndef SQNSUPGRADE_CLI_H
#define SQNSUPGRADE_CLI_H

/* argv[0] is the program name; argv may be permuted (getopt_long). */
int sqns_cli_main(int argc, char **argv);

#endif
