/* SPDX-License-Identifier: MIT */
/*
 * ports_scan (cli.h) on Windows: the present devices of the Ports class
 * (SetupAPI), their COM name from the registry's PortName, the USB ids from
 * the hardware id (USB\VID_04D8&PID_EF98, FTDIBUS\VID_0403+PID_6015+...).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <windows.h>

#include <setupapi.h>

#include "cli.h"
#include "sqnsupgrade_words.h"

/* GUID_DEVCLASS_PORTS (devguid.h), written out: no initguid.h dance for one GUID. */
static const GUID ports_class = {
    0x4d36e978, 0xe325, 0x11ce, {0xbf, 0xc1, 0x08, 0x00, 0x2b, 0xe1, 0x03, 0x18}};

static void utf8_of(const wchar_t *w, char *out, size_t len)
{
	if (!WideCharToMultiByte(CP_UTF8, 0, w, -1, out, (int)len, NULL, NULL))
		out[0] = '\0';
	out[len - 1] = '\0';
}

/* A device's string property (the first string of a multi-string) in UTF-8; "" when none. */
static void property(HDEVINFO set, SP_DEVINFO_DATA *dev, DWORD prop, char *out, size_t len)
{
	wchar_t w[512];
	DWORD type;
	out[0] = '\0';
	memset(w, 0, sizeof w);
	if (SetupDiGetDeviceRegistryPropertyW(set, dev, prop, &type, (BYTE *)w, sizeof w - 4, NULL))
		utf8_of(w, out, len);
}

/* The registry's PortName (COM5); false when the device has none or it is no COM port. */
static bool port_name(HDEVINFO set, SP_DEVINFO_DATA *dev, char *out, size_t len)
{
	HKEY key = SetupDiOpenDevRegKey(set, dev, DICS_FLAG_GLOBAL, 0, DIREG_DEV, KEY_READ);
	if (key == INVALID_HANDLE_VALUE)
		return false;
	wchar_t w[64] = {0};
	DWORD type, size = sizeof w - sizeof w[0];
	LONG r = RegQueryValueExW(key, L"PortName", NULL, &type, (BYTE *)w, &size);
	RegCloseKey(key);
	if (r != ERROR_SUCCESS || type != REG_SZ)
		return false;
	utf8_of(w, out, len);
	return _strnicmp(out, "COM", 3) == 0; /* the Ports class has the LPT ports too */
}

/* The 4 hex digits after `tag` (VID_, PID_) in a hardware id, lower case; "" when absent. */
static void id_after(const char *hwid, const char *tag, char out[8])
{
	out[0] = '\0';
	const char *p = strstr(hwid, tag);
	if (!p)
		return;
	p += strlen(tag);
	int n = 0;
	while (n < 4 && strchr("0123456789abcdefABCDEF", p[n]) && p[n])
		n++;
	if (n != 4)
		return;
	for (int i = 0; i < 4; i++)
		out[i] = (char)(p[i] >= 'A' && p[i] <= 'F' ? p[i] - 'A' + 'a' : p[i]);
	out[4] = '\0';
}

/* A USB device's serial number: the last part of its instance id, when Windows did not make
 * it up (an id it made has a '&'). */
static void serial_of(HDEVINFO set, SP_DEVINFO_DATA *dev, char *out, size_t len)
{
	wchar_t w[512];
	char id[512];
	out[0] = '\0';
	if (!SetupDiGetDeviceInstanceIdW(set, dev, w, sizeof w / sizeof w[0], NULL))
		return;
	utf8_of(w, id, sizeof id);
	const char *last = strrchr(id, '\\');
	if (_strnicmp(id, "USB\\", 4) == 0 && last && !strchr(last, '&'))
		snprintf(out, len, "%s", last + 1);
}

static void describe(HDEVINFO set, SP_DEVINFO_DATA *dev, struct serial_port_info *p)
{
	char hwid[512];
	property(set, dev, SPDRP_HARDWAREID, hwid, sizeof hwid);
	id_after(hwid, "VID_", p->vid);
	id_after(hwid, "PID_", p->pid);
	if (!*p->pid)
		id_after(hwid, "PID&", p->pid);
	if (!*p->vid || !*p->pid)
		p->vid[0] = p->pid[0] = '\0';
	property(set, dev, SPDRP_MFG, p->manufacturer, sizeof p->manufacturer);
	property(set, dev, SPDRP_DEVICEDESC, p->product, sizeof p->product);
	if (*p->vid)
		serial_of(set, dev, p->serial, sizeof p->serial);
	size_t n;
	const struct sqns_usb_id *known = sqns_usb_ids(&n);
	unsigned long vid = strtoul(p->vid, NULL, 16), pid = strtoul(p->pid, NULL, 16);
	for (size_t i = 0; *p->vid && i < n; i++)
		if (vid == known[i].vid && pid == known[i].pid)
			p->note = known[i].name;
}

/* COM2 before COM10: by number. */
static int by_number(const void *a, const void *b)
{
	long x = strtol(((const struct serial_port_info *)a)->path + 3, NULL, 10);
	long y = strtol(((const struct serial_port_info *)b)->path + 3, NULL, 10);
	return (x > y) - (x < y);
}

int ports_scan(const struct cli *c, struct serial_port_info *out, int max)
{
	(void)c; /* --sysfs-root is Linux's */
	HDEVINFO set = SetupDiGetClassDevsW(&ports_class, NULL, NULL, DIGCF_PRESENT);
	if (set == INVALID_HANDLE_VALUE)
		return 0;
	int n = 0;
	SP_DEVINFO_DATA dev = {.cbSize = sizeof dev};
	for (DWORD i = 0; n < max && SetupDiEnumDeviceInfo(set, i, &dev); i++) {
		struct serial_port_info *p = &out[n];
		*p = (struct serial_port_info){0};
		if (!port_name(set, &dev, p->path, sizeof p->path))
			continue;
		describe(set, &dev, p);
		n++;
	}
	SetupDiDestroyDeviceInfoList(set);
	qsort(out, (size_t)n, sizeof out[0], by_number);
	return n;
}
