/* Arbitrary serial rates through termios2 (Linux); see posix_rate.h. */
#include "posix_rate.h"

#ifdef __linux__

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
