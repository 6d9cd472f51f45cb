/* SPDX-License-Identifier: MIT */
/*
 * The host's rate, read with TCGETS2 so that arbitrary rates (BOTHER) are seen
 * exactly. Kept apart: <asm/termbits.h> cannot meet <termios.h>.
 */
#include <asm/termbits.h>
#include <sys/ioctl.h>

#include "pty.h"

unsigned long pty_host_rate(const struct pty *p)
{
	struct termios2 t;

	if (ioctl(p->slave, TCGETS2, &t) != 0)
		return 0;
	return t.c_ospeed;
}
