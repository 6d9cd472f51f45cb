/*
 * The sqnsupgrade command line as a function of libsqnsupgrade (the POSIX
 * host layer, not the portable core): language bindings call it with the
 * argv they would give the executable (python/sqnsupgrade does).
 *
 * It prints what the executable prints (transcript on stdout, diagnostics on
 * stderr) and returns its exit status (README.md, "Exit statuses"). For the
 * duration of the call it handles SIGINT, SIGTERM and SIGHUP (the first one
 * ends the transfer cleanly, status 8) and then puts back the handlers it
 * found. It keeps state in static storage and uses getopt: one call at a
 * time per process.
 */
#ifndef SQNSUPGRADE_CLI_H
#define SQNSUPGRADE_CLI_H

#ifdef __cplusplus
extern "C" {
#endif

/* argv[0] is the program name; argv may be permuted (getopt_long). */
int sqns_cli_main(int argc, char **argv);

#ifdef __cplusplus
}
#endif

#endif
