/* SPDX-License-Identifier: MIT */
/*
 * A Cortex-M4 board for the example port (STM32F4-like USART2 and SysTick,
 * registers as structs at their addresses): the updater runs from main()
 * and upgrades the modem with an image stored in memory-mapped flash.
 * Builds with `bash scripts/cross.sh` (embedded/CMakeLists.txt); no real
 * hardware is needed to build or size it.
 *
 * Flash partition at BM_IMAGE_ADDR: struct bm_fw_header, then the .dup bytes,
 * written there by whatever brings the image to the board.
 */
#include <stdint.h>

#include "bm_port.h"

#ifndef BM_PCLK_HZ
#define BM_PCLK_HZ 42000000u /* the USART's bus clock */
#endif
#ifndef BM_CPU_HZ
#define BM_CPU_HZ 168000000u /* SysTick runs from the core clock */
#endif
#ifndef BM_STACK_SIZE
#define BM_STACK_SIZE 3072u /* must match the linker script's --defsym */
#endif
#define BM_IMAGE_ADDR 0x08040000u
#define BM_MODEM_BAUD 921600u

/* RAM: everything the updater needs, including the STP block buffer in the context. */
_Static_assert(sizeof(struct sqns_ctx) + sizeof(struct bm_port) + BM_STACK_SIZE <= 10u * 1024u,
	       "the updater must fit in 10 KiB of RAM");

struct usart_regs {
	volatile uint32_t SR, DR, BRR, CR1, CR2, CR3, GTPR;
};
struct systick_regs {
	volatile uint32_t CTRL, LOAD, VAL, CALIB;
};
#define USART2 ((struct usart_regs *)0x40004400u)
#define SYSTICK ((struct systick_regs *)0xE000E010u)
#define NVIC_ISER1 (*(volatile uint32_t *)0xE000E104u)
#define USART2_IRQN 38u

#define SR_ORE (1u << 3)
#define SR_RXNE (1u << 5)
#define SR_TXE (1u << 7)
#define CR1_RE (1u << 2)
#define CR1_TE (1u << 3)
#define CR1_RXNEIE (1u << 5)
#define CR1_UE (1u << 13)

static struct bm_port port;
static struct sqns_ctx ctx;

/* For a debugger: the outcome of the upgrade and what the modem was left in. */
volatile int bm_upgrade_result = 1;
volatile int bm_upgrade_stage = -1;
volatile uint32_t bm_upgrade_percent;

void Reset_Handler(void);
void Default_Handler(void);
void SysTick_Handler(void);
void USART2_IRQHandler(void);
int main(void);

void SysTick_Handler(void)
{
	bm_port_tick_isr(&port);
}

void USART2_IRQHandler(void)
{
	uint32_t sr = USART2->SR;
	if (sr & (SR_RXNE | SR_ORE)) /* reading DR clears both */
		bm_port_rx_isr(&port, (uint8_t)USART2->DR);
}

static int uart_tx(void *hw, const uint8_t *buf, size_t len)
{
	struct usart_regs *u = hw;
	for (size_t i = 0; i < len; i++) {
		while (!(u->SR & SR_TXE))
			;
		u->DR = buf[i];
	}
	return SQNS_OK;
}

static int uart_set_baud(void *hw, uint32_t baud)
{
	struct usart_regs *u = hw;
	if (baud == 0 || BM_PCLK_HZ / baud < 16u)
		return SQNS_ERR_IO;
	u->BRR = (BM_PCLK_HZ + baud / 2u) / baud; /* oversampling by 16 */
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
    .hw = USART2,
};

static void on_event(void *user, const struct sqns_event *ev)
{
	(void)user;
	/* 32-bit arithmetic only: no 64-bit division routine linked in for a percentage. */
	if (ev->type == SQNS_EV_PROGRESS && ev->total >= 100u)
		bm_upgrade_percent = ev->done / (ev->total / 100u);
}

static void hw_init(void)
{
	bm_port_init(&port, &board);
	(void)uart_set_baud(USART2, BM_MODEM_BAUD);
	USART2->CR1 = CR1_UE | CR1_TE | CR1_RE | CR1_RXNEIE;
	NVIC_ISER1 = 1u << (USART2_IRQN - 32u);
	SYSTICK->LOAD = BM_CPU_HZ / 1000u - 1u;
	SYSTICK->VAL = 0;
	SYSTICK->CTRL = 7u; /* core clock, interrupt, enable */
}

int main(void)
{
	hw_init();
	const struct bm_fw_header *h = (const struct bm_fw_header *)BM_IMAGE_ADDR;
	if (h->magic != BM_FW_MAGIC || h->name[sizeof h->name - 1] != '\0')
		return bm_upgrade_result = SQNS_ERR_IMAGE;
	struct bm_flash_image src = {.base = (const uint8_t *)(h + 1), .size = h->size};
	struct sqns_image img;
	bm_flash_image_init(&img, &src, h->name);
	struct sqns_config cfg = {
	    .ops = &bm_port_ops, .port = &port, .on_event = on_event, .baud = BM_MODEM_BAUD};
	int r = sqns_init(&ctx, &cfg);
	if (r == SQNS_OK) {
		struct sqns_upgrade_opts opts = {.image = &img};
		r = sqns_upgrade(&ctx, &opts, NULL, 0);
	}
	bm_upgrade_stage = (int)ctx.res.stage;
	return bm_upgrade_result = r;
}

/* ---- start-up: vector table, .data and .bss ---- */

extern uint32_t _sidata, _sdata, _edata, _sbss, _ebss, _estack;

void Reset_Handler(void)
{
	uint32_t *src = &_sidata;
	for (uint32_t *dst = &_sdata; dst < &_edata;)
		*dst++ = *src++;
	for (uint32_t *dst = &_sbss; dst < &_ebss;)
		*dst++ = 0;
	(void)main();
	for (;;)
		__asm__ volatile("wfi");
}

void Default_Handler(void)
{
	for (;;)
		;
}

#define HANDLER(f) ((uintptr_t)(f))
__attribute__((section(".isr_vector"),
	       used)) static const uintptr_t vectors[16 + USART2_IRQN + 1] = {
    [0] = (uintptr_t)&_estack,	     [1] = HANDLER(Reset_Handler),
    [2] = HANDLER(Default_Handler), /* NMI */
    [3] = HANDLER(Default_Handler), /* HardFault */
    [15] = HANDLER(SysTick_Handler), [16 + USART2_IRQN] = HANDLER(USART2_IRQHandler),
};
