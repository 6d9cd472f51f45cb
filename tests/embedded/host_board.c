/* SPDX-License-Identifier: MIT */
/*
 * The example bare-metal port (examples/baremetal) on a PC, against the
 * simulator: the same bm_port.c and bm_ring.c as on the Cortex-M4, with
 * threads in the interrupts' place.
 *  - "UART receive interrupt": a thread polls the pty and calls
 *    bm_port_rx_isr() for every byte, as the hardware's RXNE interrupt would;
 *  - "SysTick": a thread calls bm_port_tick_isr() every millisecond on an
 *    absolute schedule;
 *  - WFI: the board's idle() waits until either thread has run once more;
 *  - the firmware image is memory-mapped (mmap), read by bm_flash_image.
 *
 *   bm_host_upgrade [--fff] [--resume] [--stp-timeout MS] PORT IMAGE
 * prints the phases, then "result: ..." with the stage and the build, and
 * exits 0 when sqns_upgrade returned SQNS_OK.
 */
#define _DEFAULT_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "bm_port.h"

struct host_hw {
	int fd;
	struct bm_port *port;
	pthread_mutex_t lock;
	pthread_cond_t irq;
	unsigned long irqs; /* interrupts taken so far (under lock) */
	atomic_bool stop;
};

static void interrupt_taken(struct host_hw *hw)
{
	pthread_mutex_lock(&hw->lock);
	hw->irqs++;
	pthread_cond_broadcast(&hw->irq);
	pthread_mutex_unlock(&hw->lock);
}

/* The UART's receive interrupt: a FIFO's worth at a time, one ISR call per byte. */
static void *uart_rx_thread(void *arg)
{
	struct host_hw *hw = arg;
	while (!atomic_load(&hw->stop)) {
		struct pollfd pfd = {.fd = hw->fd, .events = POLLIN};
		if (poll(&pfd, 1, 20) <= 0)
			continue;
		uint8_t fifo[16];
		ssize_t n = read(hw->fd, fifo, sizeof fifo);
		if (n <= 0) {
			/* EIO while the other side is closed or between reboots: a quiet line. */
			struct timespec ms = {.tv_nsec = 1000000};
			nanosleep(&ms, NULL);
			continue;
		}
		for (ssize_t i = 0; i < n; i++)
			bm_port_rx_isr(hw->port, fifo[i]);
		interrupt_taken(hw);
	}
	return NULL;
}

/* SysTick at 1 kHz; an absolute schedule, so a late wake-up catches up. */
static void *systick_thread(void *arg)
{
	struct host_hw *hw = arg;
	struct timespec next;
	clock_gettime(CLOCK_MONOTONIC, &next);
	while (!atomic_load(&hw->stop)) {
		next.tv_nsec += 1000000;
		if (next.tv_nsec >= 1000000000) {
			next.tv_nsec -= 1000000000;
			next.tv_sec++;
		}
		while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL) == EINTR)
			;
		bm_port_tick_isr(hw->port);
		interrupt_taken(hw);
	}
	return NULL;
}

/* WFI: sleep until the next interrupt (at most a tick away). */
static void host_idle(void *arg)
{
	struct host_hw *hw = arg;
	pthread_mutex_lock(&hw->lock);
	unsigned long seen = hw->irqs;
	while (hw->irqs == seen)
		pthread_cond_wait(&hw->irq, &hw->lock);
	pthread_mutex_unlock(&hw->lock);
}

static int host_tx(void *arg, const uint8_t *buf, size_t len)
{
	struct host_hw *hw = arg;
	while (len > 0) {
		ssize_t n = write(hw->fd, buf, len);
		if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
			struct pollfd pfd = {.fd = hw->fd, .events = POLLOUT};
			poll(&pfd, 1, 100);
			continue;
		}
		if (n <= 0)
			return SQNS_ERR_IO;
		buf += n;
		len -= (size_t)n;
	}
	return SQNS_OK;
}

static int host_set_baud(void *arg, uint32_t baud)
{
	static const struct {
		uint32_t baud;
		speed_t code;
	} rates[] = {{115200, B115200}, {230400, B230400}, {460800, B460800}, {921600, B921600}};
	struct host_hw *hw = arg;
	struct termios t;
	for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
		if (rates[i].baud != baud)
			continue;
		if (tcgetattr(hw->fd, &t) < 0 || cfsetispeed(&t, rates[i].code) < 0 ||
		    cfsetospeed(&t, rates[i].code) < 0 || tcsetattr(hw->fd, TCSADRAIN, &t) < 0)
			return SQNS_ERR_IO;
		return SQNS_OK;
	}
	return SQNS_ERR_IO;
}

static int open_uart(struct host_hw *hw, const char *path)
{
	struct termios t;
	hw->fd = open(path, O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (hw->fd < 0 || tcgetattr(hw->fd, &t) < 0)
		return -1;
	cfmakeraw(&t);
	t.c_cflag |= CLOCAL | CREAD;
	if (tcsetattr(hw->fd, TCSANOW, &t) < 0 || host_set_baud(hw, 921600) != SQNS_OK)
		return -1;
	tcflush(hw->fd, TCIOFLUSH);
	return 0;
}

static void on_event(void *user, const struct sqns_event *ev)
{
	uint32_t *last = user;
	if (ev->type == SQNS_EV_PHASE) {
		printf("phase %d\n", (int)ev->phase);
	} else if (ev->type == SQNS_EV_SESSION) {
		printf("session: version %d, max transfer %u\n", ev->value, ev->total);
		*last = 0;
	} else if (ev->type == SQNS_EV_PROGRESS && ev->total) {
		uint32_t pct = (uint32_t)((uint64_t)ev->done * 100 / ev->total);
		if (pct >= *last + 25 || (pct == 100 && *last != 100)) {
			printf("progress %u%%\n", pct);
			*last = pct;
		}
	}
	fflush(stdout);
}

static int map_image(const char *path, struct bm_flash_image *src)
{
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0 || st.st_size <= 0 || st.st_size > UINT32_MAX)
		return -1;
	void *p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	close(fd);
	if (p == MAP_FAILED)
		return -1;
	*src = (struct bm_flash_image){.base = p, .size = (uint32_t)st.st_size};
	return 0;
}

static struct bm_port port; /* the board's RAM: static, like the target's .bss */
static struct sqns_ctx ctx;

int main(int argc, char **argv)
{
	struct sqns_upgrade_opts opts = {0};
	uint32_t stp_ms = 0;
	int i = 1;
	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "--fff") == 0)
			opts.fff = true;
		else if (strcmp(argv[i], "--resume") == 0)
			; /* the modem's mode decides; accepted like the CLI's --resume */
		else if (strcmp(argv[i], "--stp-timeout") == 0 && i + 1 < argc)
			stp_ms = (uint32_t)strtoul(argv[++i], NULL, 10);
		else
			break;
	}
	if (argc - i != 2) {
		fprintf(stderr, "usage: bm_host_upgrade [--fff] [--resume] [--stp-timeout MS] PORT "
				"IMAGE\n");
		return 2;
	}
	struct bm_flash_image src;
	if (map_image(argv[i + 1], &src) < 0) {
		fprintf(stderr, "bm_host_upgrade: cannot map %s: %s\n", argv[i + 1],
			strerror(errno));
		return 3;
	}
	static struct host_hw hw = {.lock = PTHREAD_MUTEX_INITIALIZER,
				    .irq = PTHREAD_COND_INITIALIZER};
	const struct bm_board board = {
	    .tx = host_tx, .set_baud = host_set_baud, .idle = host_idle, .hw = &hw};
	bm_port_init(&port, &board);
	hw.port = &port;
	if (open_uart(&hw, argv[i]) < 0) {
		fprintf(stderr, "bm_host_upgrade: cannot open %s: %s\n", argv[i], strerror(errno));
		return 4;
	}
	pthread_t rx, tick;
	pthread_create(&rx, NULL, uart_rx_thread, &hw);
	pthread_create(&tick, NULL, systick_thread, &hw);

	const char *slash = strrchr(argv[i + 1], '/');
	struct sqns_image img;
	bm_flash_image_init(&img, &src, slash ? slash + 1 : argv[i + 1]);
	opts.image = &img;
	uint32_t last = 0;
	struct sqns_config cfg = {
	    .ops = &bm_port_ops,
	    .port = &port,
	    .on_event = on_event,
	    .user = &last,
	    .baud = 921600,
	    .timeouts = {.stp_ms = stp_ms},
	};
	int r = sqns_init(&ctx, &cfg);
	if (r == SQNS_OK)
		r = sqns_upgrade(&ctx, &opts, NULL, 0);

	atomic_store(&hw.stop, true);
	pthread_join(rx, NULL);
	pthread_join(tick, NULL);
	close(hw.fd);
	printf(
	    "result: %s (%d), stage %d, build %u, ring dropped %u, sizeof(struct sqns_ctx) %zu\n",
	    sqns_strerror(r), r, (int)ctx.res.stage, ctx.res.plan.running_build, port.rx.dropped,
	    sizeof ctx);
	return r == SQNS_OK ? 0 : 1;
}
