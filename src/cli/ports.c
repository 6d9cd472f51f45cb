/* SPDX-License-Identifier: MIT */
/*
 * `sqnsupgrade list-ports`, and the lone serial port used when no -p is given,
 * over ports_scan: sysfs on Linux (ports_sysfs_posix.c), SetupAPI on Windows
 * (ports_win.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

#define MAX_PORTS 64 /* list-ports shows at most this many */

#ifdef _WIN32
#define USB_PORT_NAMES "a COM port with a USB id (the Device Manager's Ports (COM & LPT))"
#else
#define USB_PORT_NAMES "/dev/ttyUSB* or /dev/ttyACM*"
#endif

static const char *or_dash(const char *s)
{
	return *s ? s : "-";
}

int cmd_list_ports(struct session *s)
{
	struct serial_port_info *ports = calloc(MAX_PORTS, sizeof *ports);
	if (!ports) {
		fprintf(s->out.err, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	int n = ports_scan(s->cli, ports, MAX_PORTS), usb = 0;
	if (n == 0 && !s->cli->quiet)
		fprintf(s->out.err, "sqnsupgrade: no serial port found\n");
	for (int i = 0; i < n; i++) {
		usb += *ports[i].vid != '\0';
		const struct serial_port_info *p = &ports[i];
		char id[16] = "-";
		if (*p->vid)
			snprintf(id, sizeof id, "%s:%s", p->vid, p->pid);
		fprintf(s->out.out, "%s\t%s\t%s\t%s\t%s\t%s\n", p->path, id,
			or_dash(p->manufacturer), or_dash(p->product), or_dash(p->serial),
			p->note ? p->note : "-");
	}
	fflush(s->out.out);
	/* Only the computer's own UARTs (ttyS, COM1): no Pycom board is there, which is always on
	 * USB. */
	if (n > 0 && usb == 0 && !s->cli->quiet) {
		fprintf(s->out.err, "sqnsupgrade: no USB serial port found: ");
		if (n == 1)
			fprintf(s->out.err, "%s is the computer's own serial port", ports[0].path);
		else
			fprintf(s->out.err, "the ports above are the computer's own serial ports");
		fprintf(s->out.err,
			", not a Pycom board. A GPy, FiPy or G01 on USB appears as " USB_PORT_NAMES
			": plug it in, with a data cable (some "
			"carry power only), then run list-ports again.\n");
	}
	free(ports);
	return EXIT_OK;
}

/* The USB serial ports among what ports_scan finds: the candidates for a default. */
static int usb_ports(const struct cli *c, struct serial_port_info *ports)
{
	int all = ports_scan(c, ports, MAX_PORTS), n = 0;
	for (int i = 0; i < all; i++)
		if (*ports[i].vid)
			ports[n++] = ports[i];
	return n;
}

/*
 * A Pycom board is always on USB: the candidates are the USB serial ports, so
 * that a PC's built-in ttyS0 does not stand in the way of its one adapter.
 * The port found is kept in c->default_port.
 */
int ports_default(struct cli *c)
{
	struct serial_port_info *ports = calloc(MAX_PORTS, sizeof *ports);
	if (!ports) {
		fprintf(stderr, "sqnsupgrade: out of memory\n");
		return EXIT_FAIL;
	}
	int n = usb_ports(c, ports);
	if (n == 1) {
		snprintf(c->default_port, sizeof c->default_port, "%s", ports[0].path);
		c->port = c->default_port;
		if (!c->quiet)
			fprintf(stderr, "sqnsupgrade: using %s (the only USB serial port found)\n",
				c->port);
		free(ports);
		return -1;
	}
	fprintf(stderr,
		"sqnsupgrade: no port given: use -p PORT (e.g. -p " EXAMPLE_PORT ") or set "
		"SQNSUPGRADE_PORT%s\n",
		n ? "" : " (no USB serial port found)");
	if (n > 0)
		fprintf(stderr, "sqnsupgrade: %d USB serial ports found, pick one:\n", n);
	for (int i = 0; i < n; i++)
		fprintf(stderr, "  %s%s%s%s\n", ports[i].path, ports[i].note ? "  (" : "",
			ports[i].note ? ports[i].note : "", ports[i].note ? ")" : "");
	free(ports);
	return EXIT_USAGE;
}
