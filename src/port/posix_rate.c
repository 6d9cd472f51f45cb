/* SPDX-License-Identifier: MIT */
/*
 * Arbitrary serial rates through termios2 (Linux); see posix_rate.h.
 * SQNS_HAVE_TERMIOS2 comes from the build: CMakeLists.txt defines it when
 * <asm/termbits.h> and <asm/ioctls.h> have TCGETS2 and BOTHER
 * (check_symbol_exists), which Linux alone has.
 */
#include "posix_rate.h"

#ifdef SQNS_HAVE_TERMIOS2

#include <asm/termbits.h>
#include <errno.h>
#include <sys/ioctl.h>

bool posix_rate_any_supported(void)
{
	return true;
}

int posix_rate_set_any(int fd, uint32_t baud)
{
	struct termios2 t;
	if (ioctl(fd, TCGETS2, &t) < 0)
		return -1;
	t.c_cflag &= ~(tcflag_t)(CBAUD | (CBAUD << IBSHIFT));
	t.c_cflag |= BOTHER | (BOTHER << IBSHIFT);
	t.c_ispeed = baud;
	t.c_ospeed = baud;
	/* TCSETSW2: like TCSADRAIN, what is queued leaves at the old rate first. */
	if (ioctl(fd, TCSETSW2, &t) < 0)
		return -1;
	/* Drivers round to what their clock divides to: accept 2 %, no more. */
	if (ioctl(fd, TCGETS2, &t) < 0)
		return -1;
	uint64_t got = t.c_ospeed;
	if (got * 50 < (uint64_t)baud * 49 || got * 50 > (uint64_t)baud * 51) {
		errno = EINVAL;
		return -1;
	}
	return 0;
}

#else

/*
 * Without termios2 (a BSD or macOS libc): no custom rate. The rates termios
 * has a B-constant for still work (posix_serial.c); 1843200 and 3686400 are
 * refused before the port is touched (posix_serial_rate_ok is false, so -b
 * refuses them and the core never gets one to negotiate).
 * The BSDs' speed_t is the rate itself and macOS has IOSSIOSPEED, either of
 * which could set them: not done, and this branch is untested (no such
 * system in CI).
 */
#include <errno.h>

bool posix_rate_any_supported(void)
{
	return false;
}

int posix_rate_set_any(int fd, uint32_t baud)
{
	(void)fd;
	(void)baud;
	errno = EINVAL;
	return -1;
}

#endif
