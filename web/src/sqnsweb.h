/* SPDX-License-Identifier: MIT */
/* What web/app.js calls in the WebAssembly engine (web/src/sqnsweb.c). */
#ifndef SQNSWEB_H
#define SQNSWEB_H

#include <stdint.h>

void sqnsweb_set_image(int which, const char *name, uint32_t size);
int sqnsweb_check(int fff, int force);
int sqnsweb_file_refusal(void);
void sqnsweb_set_fixed_rate(int fixed);
int sqnsweb_set_release(const char *name, uint32_t count);
int sqnsweb_add_member(const char *name, uint32_t size);
const char *sqnsweb_words_release_problem(int from_run);
const char *sqnsweb_words_choice(void);
int sqnsweb_upgrade(int dry_run, int fff, int force, uint32_t baud, uint32_t stall_ms);
const char *sqnsweb_strerror(int err);
const char *sqnsweb_mode_name(int mode);
const char *sqnsweb_showver(void);
const char *sqnsweb_report(void);
const char *sqnsweb_parse_name(const char *name);
const char *sqnsweb_result(void);
const char *sqnsweb_constants(void);
/* A Pycom board's REPL (sqnsupgrade_board.h): statuses, faults and methods as its enums. */
int sqnsweb_board_take(void);
int sqnsweb_board_mirror(int method);
int sqnsweb_board_release(void);
int sqnsweb_board_fault(void);
const char *sqnsweb_board_text(int which);
const char *sqnsweb_board_call(int method);

/* The library's words (src/words), as the page names things. */
const char *sqnsweb_event_words(void);
unsigned sqnsweb_event_flags(void);
void sqnsweb_set_port_name(const char *name);
const char *sqnsweb_words_welcome(void);
const char *sqnsweb_words_wait(int phase, int seconds);
const char *sqnsweb_words_busy(int seconds);
const char *sqnsweb_words_plan(void);
const char *sqnsweb_words_refusal(int why, int from_run);
const char *sqnsweb_words_failure(int err, uint32_t silent_ms, const char *port_words);
const char *sqnsweb_words_result(int showver);
const char *sqnsweb_words_bootrom_pending(void);

#endif
