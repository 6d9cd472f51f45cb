/* SPDX-License-Identifier: MIT */
/* The sqnsupgrade command: shared between its files. */
#ifndef SQNS_CLI_H
#define SQNS_CLI_H

#include "output.h"
#include "sqnsupgrade.h"
#include "sqnsupgrade_host.h"

/* Exit statuses (documented in README.md and `sqnsupgrade --help`). */
enum exit_status {
	EXIT_OK = 0,
	EXIT_FAIL = 1,	      /* any other failure */
	EXIT_USAGE = 2,	      /* bad command line */
	EXIT_FILE = 3,	      /* a file is missing, unreadable or not a firmware image */
	EXIT_PORT = 4,	      /* the port cannot be opened or is in use */
	EXIT_NO_MODEM = 5,    /* the modem does not answer */
	EXIT_TRANSFER = 6,    /* the transfer failed */
	EXIT_REJECTED = 7,    /* the modem rejected the image */
	EXIT_INTERRUPTED = 8, /* interrupted by a signal */
	EXIT_STATE = 9,	      /* the modem's mode does not allow this */
	EXIT_REFUSED = 10,    /* a safety check refused (--force overrides some) */
	EXIT_VERIFY = 11,     /* after the upgrade the modem runs another build */
};

struct cli {
	const char *port;
	uint32_t baud;
	bool rtscts;
	int verbose;
	bool debug;
	struct sqns_timeouts timeouts;
	const char *command;
	const char *args[2];
	int nargs;
	bool fff, force_fff, resume;
	bool force, dry_run;
	bool pkgdebug;
	const char *log;
	const char *ports[16]; /* -p given several times: a fleet, upgraded at once */
	int nports;
	bool json; /* --json: machine-readable summary */
	const char *bootrom;
	bool quiet;		   /* -q: errors and the final result line only */
	bool help;		   /* --help: the command's help, or the whole usage */
	const char *sysfs_root;	   /* --sysfs-root (tests): where list-ports looks, not /sys */
	uint32_t baud_a, baud_b;   /* bridge: --baud-a, --baud-b (0: -b's rate) */
	bool recovery;		   /* uart: --recovery */
	const char *updater;	   /* uart: --updater FILE */
	const char *host;	   /* uart: --host PORT, the side facing the computer */
	bool board;		   /* --board: the port is a Pycom board's REPL (board.c) */
	const char *board_updater; /* run --board-updater PATH: updater.elf on the board */
	char default_port[300];	   /* the only USB serial port, when no port is given */
};

struct session {
	struct cli *cli;
	/* The context's configuration but the port: session_open_port adds it, then sqns_init. */
	struct sqns_config cfg;
	bool hexdump; /* --pkgdebug: every byte of the port as a hex dump on stderr */
	/*
	 * Behind a board's uart() mirror, which does not follow a rate change: the
	 * core gets the port without set_rate (fixed_ops), so it refuses a
	 * recovery method that a release chose before any change.
	 */
	bool fixed_rate;
	struct sqns_port_ops fixed_ops;
	struct sqns_port *port; /* from session_open_port to session_close */
	struct output out;
	struct sqns_ctx
	    ctx;	    /* initialised once, by session_open_port (out.ctx then points to it) */
	char showver[2048]; /* the final SYSTEM VERSION block: one per session (fleet threads) */
	/* run ARCHIVE|FOLDER: what was chosen from it, by name ("" for none), for --json. */
	struct chosen {
		bool from_release;
		int why; /* enum sqns_choice_why, -1: nothing chosen */
		char release[4096], image[512], part2[512], updater[512];
	} chosen;
};

/*
 * Open the port of the command line and initialise the context with it (the
 * session's one sqns_init); -1 when open, else the exit status (message
 * printed).
 */
int session_open_port(struct session *s);

/* Close the port session_open_port opened (the context's results stay readable). */
void session_close(struct session *s);

/* --log: the bytes the port carried, one comment line. */
void session_log_totals(struct session *s);

/* --pkgdebug's hex dump of port (a sqns_trace_fn; user is unused). */
void session_hexdump(void *user, bool tx, const uint8_t *buf, size_t len);

/* The exit status for a core error. */
int exit_for(int err);

/* Say what failed on the port, when err is SQNS_ERR_IO. */
/* The port's failure (its OS error) as a line into buf, or empty when err is not its. */
void port_error_words(struct session *s, int err, char *buf, size_t len);
void port_error(struct session *s, int err);

/* "no modem answered" with what to do; returns EXIT_NO_MODEM. */
int no_modem(struct session *s);

/*
 * Quote one word of a printed command when needed: for a POSIX shell, or on
 * Windows for cmd and PowerShell alike (double quotes; session.c).
 */
void shell_quote(char *out, size_t len, const char *s);

int cmd_run(struct session *s);

/* The query commands (query.c). */
int cmd_info(struct session *s);
int cmd_version(struct session *s);
int cmd_state(struct session *s);
int cmd_imei(struct session *s);

struct opt;

/* A command: its arguments, its options and its help, declared once (options.c). */
struct cli_command {
	const char *name;
	const char *args; /* its arguments, as the synopsis shows them ("" for none) */
	int min_args, max_args;
	int (*fn)(struct session *s);
	const char *summary;	/* its line in `sqnsupgrade --help` */
	const char *help;	/* `sqnsupgrade COMMAND --help`, above its options */
	const struct opt *opts; /* the options only this command takes */
	const char *missing;	/* what it needs when arguments are missing ("a firmware file") */
	bool needs_port;	/* talks to one modem: -p, $SQNSUPGRADE_PORT or the only port */
	bool several_ports;	/* -p may be repeated */
};

/* The command called name, or NULL. */
const struct cli_command *cli_find_command(const char *name);

/*
 * Parse argv into c (which holds the defaults). Returns -1 when the command is
 * to run, else the exit status: EXIT_OK after --help or --version (printed on
 * stdout), EXIT_USAGE after a usage error (said on stderr). Uses getopt_long.
 */
int cli_parse(struct cli *c, int argc, char **argv);

/* `run` on several ports at once (fleet.c). */
int fleet_run(struct session *s);

/* A serial port found in sysfs (ports_sysfs_posix.c) or by SetupAPI (ports_win.c). */
struct serial_port_info {
	char path[300]; /* /dev/NAME, or COMn on Windows */
	char vid[8], pid[8];
	char manufacturer[128], product[128], serial[128];
	const char *note; /* a USB-serial chip Pycom boards use, or NULL */
};

/* The serial ports with a device behind them, sorted; returns how many (at most max). */
int ports_scan(const struct cli *c, struct serial_port_info *out, int max);

/* No port given: take the only one there is (-1), else say so and list them (exit status). */
int ports_default(struct cli *c);

int cmd_list_ports(struct session *s);

/* Copy bytes both ways between two ports (bridge.c). */
int cmd_bridge(struct session *s);

/* Mirror mode: prepare the modem, then bridge it to the host-facing port (uart.c). */
int cmd_uart(struct session *s);

/* Colour the result and error lines of o's streams when each is a terminal and NO_COLOR is
 * unset (colour_posix.c; colour_win.c); colour_close_streams puts the plain streams back. */
bool colour_wanted(FILE *f);
void colour_streams(struct output *o);
void colour_close_streams(struct output *o, FILE *out, FILE *err);

/*
 * Ctrl-C and SIGTERM (signals_posix.c), or the console's Ctrl-C and Ctrl-Break
 * (signals_win.c), set the abort flag the core asks between blocks. signals_catch
 * installs the handlers (NULL when it could not), signals_restore puts back what
 * was there; signals_clear lowers the flag before a command.
 */
struct caught_signals;
struct caught_signals *signals_catch(void);
void signals_restore(struct caught_signals *c);
void signals_clear(void);

/* True once Ctrl-C / SIGTERM arrived: the core's should_abort. */
bool cli_should_abort(void *user);

/*
 * A stream into memory (open_memstream; on Windows a temporary file read back
 * when closed): *buf and *len hold what was written once cli_memstream_close
 * closed it (memstream_win.c; on POSIX both are open_memstream and fclose).
 */
FILE *cli_memstream_open(char **buf, size_t *len);
int cli_memstream_close(FILE *f);

/* What the system calls things: the null device, a port for examples. */
#ifdef _WIN32
#define NULL_DEVICE "NUL"
#define EXAMPLE_PORT "COM5"
#define PATH_SEPARATOR "\\"
#else
#define NULL_DEVICE "/dev/null"
#define EXAMPLE_PORT "/dev/ttyUSB0"
#define PATH_SEPARATOR "/"
#endif

/* The last folder separator of path ('/'; '\\' too on Windows), or NULL. */
static inline const char *path_last_separator(const char *path)
{
	const char *last = NULL;
	for (const char *p = path; *p; p++)
#ifdef _WIN32
		if (*p == '/' || *p == '\\')
#else
		if (*p == '/')
#endif
			last = p;
	return last;
}

#endif
