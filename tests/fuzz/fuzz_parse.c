/* SPDX-License-Identifier: MIT */
/* libFuzzer harness: the text parsers (showver, ATI1, firmware file names). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "sqnsupgrade.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[4096];
	if (size >= sizeof text)
		size = sizeof text - 1;
	memcpy(text, data, size);
	text[size] = '\0';
	uint32_t build;
	struct sqns_image_info info;
	(void)sqns_parse_showver_build(text, "Software", &build);
	(void)sqns_parse_showver_build(text, "Bootloader0", &build);
	(void)sqns_parse_ati1_build(text, &build);
	if (sqns_parse_image_name(text, &info) && info.differential && info.from == 0 &&
	    info.build == 0)
		__builtin_trap(); /* a parsed differential name always has numbers */
	return 0;
}
