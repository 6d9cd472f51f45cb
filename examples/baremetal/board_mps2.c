/* SPDX-License-Identifier: MIT */
/*
 * The example firmware on QEMU's mps2-an386 board (ARM MPS2, Cortex-M4, 25 MHz):
 * start-up with a painted stack, the CMSDK APB UART0 (receive interrupt into
 * the port's ring, polled transmit), SysTick at 1 kHz, the image partition in
 * flash, and ARM semihosting for what a test needs from outside: the command
 * line (which upgrade), a short log, and the exit status.
 *
 *   qemu-system-arm -M mps2-an386 -nodefaults -display none -kernel sqns_mps2_example.elf
 *     -chardev serial,id=modem,path=LINK -serial chardev:modem
 *     -device loader,file=PARTITION,addr=0x00040000,force-raw=on
 *     -semihosting-config enable=on,target=native,arg=sqns,arg=--fff
 *
 * PARTITION is a struct bm_fw_header and then the .dup bytes (tests/qemu
 * writes it): loaded, not linked, so one firmware serves every image.
 * Command line: sqns [--fff] [--resume] [--stp-timeout=MS]. --resume is
 * accepted like the CLI's: the modem's mode decides.
 * Exit status: 0 when sqns_upgrade returned SQNS_OK, 1 when it failed,
 * 2 for a bad command line, 3 without a valid image header, 4 on a fault.
 *
 * Line rate: QEMU's CMSDK UART hands pclk / BAUDDIV to its character device,
 * and a host tty device (-chardev serial) sets the tty's termios to it (the
 * nearest standard rate at or above 10/11 of it). So writing BAUDDIV moves the
 * pty's rate, which the simulator compares with its own, as a real UART's
 * rate must match the modem's: 921600 (BAUDDIV 27) and 115200 (217) both
 * work. Above pclk / 16 (1.5625 Mbaud) BAUDDIV is out of range: set_baud
 * refuses, so the faster rates are out of reach here.
 *
 * Semihosting (bkpt 0xab) needs a debugger on real hardware; without one it
 * faults. On a real board the log and the result go to a UART or LEDs instead.
 */
#include <stdint.h>

#include "bm_port.h"

#ifndef BM_STACK_SIZE
#define BM_STACK_SIZE 3072u /* must match the linker script's --defsym */
#endif
#define BM_SYSCLK_HZ 25000000u	  /* mps2-an386: core and APB clock */
#define BM_IMAGE_ADDR 0x00040000u /* the image partition, in SSRAM1 ("flash") */
#define BM_MODEM_BAUD 921600u
#define BM_STACK_PAINT 0x5A5A5A5Au

_Static_assert(sizeof(struct sqns_ctx) + sizeof(struct bm_port) + BM_STACK_SIZE <= 10u * 1024u,
	       "the updater must fit in 10 KiB of RAM");

/* CMSDK APB UART (ARM DDI 0479): one byte each way, no FIFO. */
struct cmsdk_uart {
	volatile uint32_t DATA, STATE, CTRL, INTSTATUS, BAUDDIV;
};
#define STATE_TXFULL (1u << 0)
#define STATE_RXFULL (1u << 1)
#define STATE_RXOVERRUN (1u << 3)
#define CTRL_TX_EN (1u << 0)
#define CTRL_RX_EN (1u << 1)
#define CTRL_RX_INTEN (1u << 3)
#define INT_RX (1u << 1) /* INTSTATUS / INTCLEAR, write 1 to clear */

struct systick_regs {
	volatile uint32_t CTRL, LOAD, VAL, CALIB;
};
#define UART0 ((struct cmsdk_uart *)0x40004000u)
#define SYSTICK ((struct systick_regs *)0xE000E010u)
#define NVIC_ISER0 (*(volatile uint32_t *)0xE000E100u)
#define UART0_RX_IRQN 0u /* UART0: RX interrupt 0, TX 1 on this board */

static struct bm_port port;
static struct sqns_ctx ctx;
static uint32_t retries; /* SQNS_EV_RETRY events: the retry path ran */

void Reset_Handler(void);
void Fault_Handler(void);
void SysTick_Handler(void);
void UART0RX_Handler(void);
int main(void);

/* ---- semihosting: the test's window into the board ---- */

#define SYS_WRITE0 0x04u
#define SYS_GET_CMDLINE 0x15u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

static int semihost(uint32_t op, const void *arg)
{
	register uint32_t r0 __asm__("r0") = op;
	register const void *r1 __asm__("r1") = arg;
	__asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
	return (int)r0;
}

__attribute__((noreturn)) static void semihost_exit(uint32_t status)
{
	const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, status};
	(void)semihost(SYS_EXIT_EXTENDED, block);
	for (;;)
		__asm__ volatile("wfi");
}

/* One log line at a time, in a static buffer (the stack stays the updater's). */
static struct {
	char buf[112];
	uint32_t len;
} line;

static void put_s(const char *s)
{
	while (*s && line.len < sizeof line.buf - 2)
		line.buf[line.len++] = *s++;
}

static void put_u(uint32_t v)
{
	char digits[10];
	uint32_t n = 0;
	do {
		digits[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (n && line.len < sizeof line.buf - 2)
		line.buf[line.len++] = digits[--n];
}

static void put_i(int v)
{
	if (v < 0) {
		put_s("-");
		put_u((uint32_t)0 - (uint32_t)v);
	} else {
		put_u((uint32_t)v);
	}
}

static void put_end(void)
{
	line.buf[line.len++] = '\n';
	line.buf[line.len] = '\0';
	(void)semihost(SYS_WRITE0, line.buf);
	line.len = 0;
}

/* ---- the board: UART0, SysTick, WFI ---- */

void SysTick_Handler(void)
{
	bm_port_tick_isr(&port);
}

/*
 * The receive interrupt is a level held by INTSTATUS.RX: clear it first, then
 * empty the holding register, so a byte arriving meanwhile raises it again
 * rather than being left behind with its interrupt cleared.
 */
void UART0RX_Handler(void)
{
	UART0->INTSTATUS = INT_RX;
	while (UART0->STATE & STATE_RXFULL)
		bm_port_rx_isr(&port, (uint8_t)UART0->DATA);
	if (UART0->STATE & STATE_RXOVERRUN) {
		UART0->STATE = STATE_RXOVERRUN; /* a byte was lost in the UART itself */
		port.rx.dropped++;
	}
}

static int uart_tx(void *hw, const uint8_t *buf, size_t len)
{
	struct cmsdk_uart *u = hw;
	for (size_t i = 0; i < len; i++) {
		while (u->STATE & STATE_TXFULL)
			;
		u->DATA = buf[i];
	}
	return SQNS_OK;
}

static int uart_set_baud(void *hw, uint32_t baud)
{
	struct cmsdk_uart *u = hw;
	if (baud == 0 || BM_SYSCLK_HZ / baud < 16u)
		return SQNS_ERR_IO;
	u->BAUDDIV = (BM_SYSCLK_HZ + baud / 2u) / baud;
	return SQNS_OK;
}

static void wait_for_interrupt(void *hw)
{
	(void)hw;
	__asm__ volatile("wfi");
}

static const struct bm_board board = {
    .tx = uart_tx,
    .set_baud = uart_set_baud,
    .idle = wait_for_interrupt,
    .hw = UART0,
};

static void hw_init(void)
{
	bm_port_init(&port, &board);
	(void)uart_set_baud(UART0, BM_MODEM_BAUD);
	UART0->CTRL = CTRL_TX_EN | CTRL_RX_EN | CTRL_RX_INTEN;
	NVIC_ISER0 = 1u << UART0_RX_IRQN;
	SYSTICK->LOAD = BM_SYSCLK_HZ / 1000u - 1u;
	SYSTICK->VAL = 0;
	SYSTICK->CTRL = 7u; /* processor clock, interrupt, enable */
}

/* ---- the upgrade ---- */

static void on_event(void *user, const struct sqns_event *ev)
{
	uint32_t *last = user;
	if (ev->type == SQNS_EV_PHASE) {
		put_s("phase ");
		put_u((uint32_t)ev->phase);
		put_end();
	} else if (ev->type == SQNS_EV_SESSION) {
		put_s("session: version ");
		put_i(ev->value);
		put_s(", max transfer ");
		put_u(ev->total);
		put_end();
		*last = 0;
	} else if (ev->type == SQNS_EV_PROGRESS && ev->total >= 100u) {
		/* 32-bit arithmetic only: no 64-bit division routine linked in. */
		uint32_t pct = ev->done / (ev->total / 100u);
		if (pct > 100u)
			pct = 100u;
		if (pct >= *last + 25u || (pct == 100u && *last != 100u)) {
			put_s("progress ");
			put_u(pct);
			put_s("%");
			put_end();
			*last = pct;
		}
	} else if (ev->type == SQNS_EV_RETRY) {
		retries++;
		put_s("retry ");
		put_i(ev->value);
		put_s(" after error ");
		put_i(ev->err);
		put_end();
	}
}

static bool starts_with(const char *s, const char *prefix, const char **rest)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return false;
	*rest = s;
	return true;
}

/* The semihosting command line: "sqns [--fff] [--resume] [--stp-timeout=MS]". */
static bool parse_cmdline(struct sqns_upgrade_opts *opts, uint32_t *stp_ms)
{
	static char cmdline[96];
	struct {
		char *buf;
		uint32_t len;
	} block = {cmdline, sizeof cmdline};
	if (semihost(SYS_GET_CMDLINE, &block) != 0)
		return true; /* no command line: the normal method */
	cmdline[sizeof cmdline - 1] = '\0';
	char *p = cmdline;
	bool first = true;
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		if (!*p)
			break;
		char *word = p;
		while (*p && *p != ' ')
			p++;
		if (*p)
			*p++ = '\0';
		const char *rest;
		if (first) {
			first = false; /* the program's name */
		} else if (starts_with(word, "--fff", &rest) && *rest == '\0') {
			opts->fff = true;
		} else if (starts_with(word, "--resume", &rest) && *rest == '\0') {
			/* accepted like the CLI's --resume: the modem's mode decides */
		} else if (starts_with(word, "--stp-timeout=", &rest) && *rest) {
			uint32_t v = 0;
			for (; *rest >= '0' && *rest <= '9'; rest++)
				v = v * 10u + (uint32_t)(*rest - '0');
			if (*rest)
				return false;
			*stp_ms = v;
		} else {
			return false;
		}
	}
	return true;
}

/* Linker script symbols (mps2.ld). */
extern uint32_t _sflash, _sidata, _sdata, _edata, _sbss, _ebss, _sstack, _estack;

static uint32_t span(const uint32_t *from, const uint32_t *to)
{
	return (uint32_t)((uintptr_t)to - (uintptr_t)from);
}

/* The stack's high-water mark: painted words never overwritten lie at its bottom. */
static uint32_t stack_used(void)
{
	const volatile uint32_t *w = &_sstack;
	while (w < &_estack && *w == BM_STACK_PAINT)
		w++;
	return span((const uint32_t *)(uintptr_t)w, &_estack);
}

static void report_resources(void)
{
	uint32_t data = span(&_sdata, &_edata), bss = span(&_sbss, &_ebss);
	uint32_t stack = span(&_sstack, &_estack);
	put_s("stack: ");
	put_u(stack_used());
	put_s(" of ");
	put_u(stack);
	put_s(" bytes used (high-water mark)");
	put_end();
	put_s("ram: ");
	put_u(data + bss + stack);
	put_s(" bytes (.data ");
	put_u(data);
	put_s(" + .bss ");
	put_u(bss);
	put_s(" + stack ");
	put_u(stack);
	put_s("); flash: ");
	put_u(span(&_sflash, &_sidata) + data);
	put_s(" bytes");
	put_end();
}

int main(void)
{
	hw_init();
	struct sqns_upgrade_opts opts = {0};
	uint32_t stp_ms = 0;
	if (!parse_cmdline(&opts, &stp_ms)) {
		put_s("usage: sqns [--fff] [--resume] [--stp-timeout=MS]");
		put_end();
		return 2;
	}
	const struct bm_fw_header *h = (const struct bm_fw_header *)BM_IMAGE_ADDR;
	if (h->magic != BM_FW_MAGIC || h->name[sizeof h->name - 1] != '\0') {
		put_s("no image header at the image partition");
		put_end();
		return 3;
	}
	struct bm_flash_image src = {.base = (const uint8_t *)(h + 1), .size = h->size};
	struct sqns_image img;
	bm_flash_image_init(&img, &src, h->name);
	opts.image = &img;
	put_s("upgrade: ");
	put_s(h->name);
	put_s(", ");
	put_u(h->size);
	put_s(opts.fff ? " bytes, FFF" : " bytes");
	put_end();

	uint32_t last = 0;
	struct sqns_config cfg = {
	    .ops = &bm_port_ops,
	    .port = &port,
	    .on_event = on_event,
	    .user = &last,
	    .baud = BM_MODEM_BAUD,
	    .timeouts = {.stp_ms = stp_ms},
	};
	int r = sqns_init(&ctx, &cfg);
	if (r == SQNS_OK)
		r = sqns_upgrade(&ctx, &opts, NULL, 0);

	put_s("result: ");
	put_s(sqns_strerror(r));
	put_s(" (");
	put_i(r);
	put_s("), stage ");
	put_u((uint32_t)ctx.res.stage);
	put_s(", build ");
	put_u(ctx.res.plan.running_build);
	put_s(", retries ");
	put_u(retries);
	put_s(", ring dropped ");
	put_u(port.rx.dropped);
	put_end();
	return r == SQNS_OK ? 0 : 1;
}

/* ---- start-up: stack paint, .data and .bss, vector table ---- */

void Reset_Handler(void)
{
	/* Paint the stack below this frame (no call until it is done). */
	uint32_t *sp;
	__asm__ volatile("mov %0, sp" : "=r"(sp));
	for (volatile uint32_t *w = &_sstack; w < sp - 8; w++)
		*w = BM_STACK_PAINT;
	uint32_t *src = &_sidata;
	for (uint32_t *dst = &_sdata; dst < &_edata;)
		*dst++ = *src++;
	for (uint32_t *dst = &_sbss; dst < &_ebss;)
		*dst++ = 0;
	int status = main();
	report_resources();
	semihost_exit((uint32_t)status);
}

void Fault_Handler(void)
{
	put_s("fault: exception ");
	uint32_t ipsr;
	__asm__ volatile("mrs %0, ipsr" : "=r"(ipsr));
	put_u(ipsr & 0x1ffu);
	put_end();
	semihost_exit(4);
}

#define HANDLER(f) ((uintptr_t)(f))
__attribute__((section(".isr_vector"),
	       used)) static const uintptr_t vectors[16 + UART0_RX_IRQN + 1] = {
    [0] = (uintptr_t)&_estack,	     [1] = HANDLER(Reset_Handler),
    [2] = HANDLER(Fault_Handler), /* NMI */
    [3] = HANDLER(Fault_Handler), /* HardFault */
    [4] = HANDLER(Fault_Handler), /* MemManage */
    [5] = HANDLER(Fault_Handler), /* BusFault */
    [6] = HANDLER(Fault_Handler), /* UsageFault */
    [15] = HANDLER(SysTick_Handler), [16 + UART0_RX_IRQN] = HANDLER(UART0RX_Handler),
};
