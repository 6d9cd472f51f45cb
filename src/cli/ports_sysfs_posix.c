/* SPDX-License-Identifier: MIT */
/* ports_scan (cli.h) on Linux: the serial ports sysfs shows, with their USB ids. */
#define _GNU_SOURCE
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "sqnsupgrade_words.h"

static const char *sysfs_root(const struct cli *c)
{
	return c->sysfs_root ? c->sysfs_root : "/sys";
}

/* The first line of dir/name, without its newline; "" when absent. */
static void read_attr(const char *dir, const char *name, char *out, size_t len)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	out[0] = '\0';
	FILE *f = fopen(path, "r");
	if (!f)
		return;
	if (fgets(out, (int)len, f))
		out[strcspn(out, "\r\n")] = '\0';
	fclose(f);
	for (char *p = out; *p; p++)
		if (*p == '\t')
			*p = ' ';
}

/* The name of the bus dir/subsystem points to ("" when none). */
static void subsystem_of(const char *dir, char *out, size_t len)
{
	char path[PATH_MAX + 16], real[PATH_MAX];
	snprintf(path, sizeof path, "%s/subsystem", dir);
	out[0] = '\0';
	if (!realpath(path, real))
		return;
	const char *slash = strrchr(real, '/');
	const char *name = slash ? slash + 1 : real;
	size_t n = strlen(name) < len ? strlen(name) : len - 1;
	memcpy(out, name, n);
	out[n] = '\0';
}

static bool parent(char *dir, const char *stop)
{
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir || (size_t)(slash - dir) <= strlen(stop))
		return false;
	*slash = '\0';
	return true;
}

static bool wanted_name(const char *name)
{
	return strncmp(name, "ttyUSB", 6) == 0 || strncmp(name, "ttyACM", 6) == 0 ||
	       strncmp(name, "ttyS", 4) == 0;
}

/* A built-in UART (ttyS): real when its controller is not a bare platform stub. */
static bool real_uart(const char *tty_dir, const char *dev, const char *stop)
{
	char type[16], sub[64], dir[PATH_MAX];
	read_attr(tty_dir, "type", type, sizeof type);
	if (strcmp(type, "0") == 0)
		return false; /* PORT_UNKNOWN: no UART behind the name */
	snprintf(dir, sizeof dir, "%s", dev);
	subsystem_of(dir, sub, sizeof sub);
	while (strcmp(sub, "serial-base") == 0 && parent(dir, stop))
		subsystem_of(dir, sub, sizeof sub);
	return strcmp(sub, "platform") != 0;
}

static bool describe(const char *root, const char *name, struct serial_port_info *p)
{
	char tty_dir[PATH_MAX], link[PATH_MAX + 16], dev[PATH_MAX], stop[PATH_MAX];
	snprintf(tty_dir, sizeof tty_dir, "%s/class/tty/%s", root, name);
	snprintf(link, sizeof link, "%s/device", tty_dir);
	if (!realpath(link, dev) || !realpath(root, stop))
		return false; /* virtual terminals and ptys have no device */
	*p = (struct serial_port_info){0};
	snprintf(p->path, sizeof p->path, "/dev/%s", name);
	if (strncmp(name, "ttyS", 4) == 0 && !real_uart(tty_dir, dev, stop))
		return false;
	/* The USB device is the first parent with idVendor. */
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s", dev);
	do {
		read_attr(dir, "idVendor", p->vid, sizeof p->vid);
		if (*p->vid) {
			read_attr(dir, "idProduct", p->pid, sizeof p->pid);
			read_attr(dir, "manufacturer", p->manufacturer, sizeof p->manufacturer);
			read_attr(dir, "product", p->product, sizeof p->product);
			read_attr(dir, "serial", p->serial, sizeof p->serial);
			break;
		}
	} while (parent(dir, stop));
	/* The USB-serial chips in front of a Pycom module's UART: the library's table. */
	size_t n;
	const struct sqns_usb_id *known = sqns_usb_ids(&n);
	char *end_vid, *end_pid;
	unsigned long vid = strtoul(p->vid, &end_vid, 16), pid = strtoul(p->pid, &end_pid, 16);
	bool ids = *p->vid && *p->pid && !*end_vid && !*end_pid;
	for (size_t i = 0; ids && i < n; i++)
		if (vid == known[i].vid && pid == known[i].pid)
			p->note = known[i].name;
	return true;
}

static int by_version(const void *a, const void *b)
{
	return strverscmp(((const struct serial_port_info *)a)->path,
			  ((const struct serial_port_info *)b)->path);
}

int ports_scan(const struct cli *c, struct serial_port_info *out, int max)
{
	char dir[PATH_MAX];
	snprintf(dir, sizeof dir, "%s/class/tty", sysfs_root(c));
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	int n = 0;
	struct dirent *e;
	while (n < max && (e = readdir(d)) != NULL)
		if (wanted_name(e->d_name) && describe(sysfs_root(c), e->d_name, &out[n]))
			n++;
	closedir(d);
	qsort(out, (size_t)n, sizeof out[0], by_version);
	return n;
}
