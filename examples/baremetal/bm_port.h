/* SPDX-License-Identifier: MIT */
/*
 * An example bare-metal port for libsqnsupgrade: struct sqns_port_ops over a
 * UART whose receive interrupt fills a ring buffer, and a millisecond tick
 * counter advanced by a timer interrupt. No heap, no stdio, no OS.
 *
 * The board supplies three small functions (struct bm_board): send bytes
 * (polled), set the line rate, and wait for the next interrupt (WFI). Its
 * interrupt handlers call bm_port_rx_isr() for every received byte and
 * bm_port_tick_isr() once a millisecond. examples/baremetal/board_m4.c is a
 * Cortex-M4 board; tests/embedded/host_board.c the same port on a PC, with
 * threads in the interrupts' place, driven against the simulator.
 */
#ifndef BM_PORT_H
#define BM_PORT_H

#include "bm_ring.h"
#include "sqnsupgrade.h"

struct bm_board {
	/* Send every byte (polling the transmitter); SQNS_OK or SQNS_ERR_IO. */
	int (*tx)(void *hw, const uint8_t *buf, size_t len);
	/* Change the UART's rate; SQNS_OK or SQNS_ERR_IO (rate not reachable). */
	int (*set_baud)(void *hw, uint32_t baud);
	/* Sleep until an interrupt (WFI); returning at once is fine too. */
	void (*idle)(void *hw);
	void *hw;
};

struct bm_port {
	struct bm_ring rx;
	_Atomic uint32_t ms; /* the tick counter */
	const struct bm_board *board;
};

/* The sqns_config.ops to use with sqns_config.port = a struct bm_port *. */
extern const struct sqns_port_ops bm_port_ops;

void bm_port_init(struct bm_port *p, const struct bm_board *board);

/* From the UART receive interrupt: one received byte (dropped if the ring is full). */
void bm_port_rx_isr(struct bm_port *p, uint8_t byte);

/* From a 1 kHz timer interrupt. */
void bm_port_tick_isr(struct bm_port *p);

/* A firmware image read from memory-mapped flash (base, size). */
struct bm_flash_image {
	const uint8_t *base;
	uint32_t size;
};

/*
 * What a board finds at the start of its image partition in flash: this
 * header, then the .dup bytes. Whatever brings the image to the board writes
 * both (a flashing tool; in QEMU, tests/qemu loads them with -device loader).
 */
struct bm_fw_header {
	uint32_t magic; /* BM_FW_MAGIC */
	uint32_t size;	/* bytes of image after the header */
	char name[56];	/* NAME-BUILD.dup, NUL-terminated */
};
#define BM_FW_MAGIC 0x534e5153u /* "SQNS" little-endian */

/* Fill img to stream src; name is the file name (NAME-BUILD.dup), may be NULL. */
void bm_flash_image_init(struct sqns_image *img, const struct bm_flash_image *src,
			 const char *name);

#endif
