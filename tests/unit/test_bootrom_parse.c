/* SPDX-License-Identifier: MIT */
/* bootrom_from_python: the shapes of Pycom's sqnsbr.py / sqnsbrz.py, and what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "bootrom.h"

static enum bootrom_python decode(const char *src, char *out, size_t out_len, char *why)
{
	uint8_t *img = NULL;
	size_t n = 0;
	enum bootrom_python r = bootrom_from_python(src, strlen(src), &img, &n, why, 300);
	if (r == BOOTROM_PY_OK) {
		assert_true(n < out_len);
		memcpy(out, img, n);
		out[n] = '\0';
		free(img);
	}
	return r;
}

static void test_shapes(void **state)
{
	(void)state;
	static const char *const shapes[] = {
	    /* sqnsbr.py: "UPGR boot" in base64, a class attribute */
	    "class bootrom(object):\n    BOOTROM=binascii.a2b_base64(b\"\"\"VVBHUiBib290\"\"\")\n",
	    /* wrapped, spaced, single quotes, escapes */
	    "BOOTROM = binascii.a2b_base64(\n  b'VVBH\\nUiBi\\\nb290')\n",
	    "x = len(self.BOOTROM)\nself.BOOTROM = base64.b64decode(rb'''VVBHUiBi b290''')\n",
	    /* sqnsbrz.py: zlib.compress(b"UPGR boot") */
	    "BOOTROM=zlib.decompress(binascii.a2b_base64(b\"\"\"eJwLDXAPUkjKzy8BAA4qAxM=\"\"\"))\n",
	    /* compressed without saying so: the zlib header tells */
	    "BOOTROM=binascii.a2b_base64(b\"eJwLDXAPUkjKzy8BAA4qAxM=\")\n",
	};
	for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
		char out[64], why[300];
		assert_int_equal(decode(shapes[i], out, sizeof out, why), BOOTROM_PY_OK);
		assert_string_equal(out, "UPGR boot");
	}
}

static void test_refusals(void **state)
{
	(void)state;
	char out[64], why[300];
	assert_int_equal(decode("import os\nBOOTROM = open('x').read()\n", out, sizeof out, why),
			 BOOTROM_PY_NO_LITERAL);
	assert_int_equal(decode("MYBOOTROM=binascii.a2b_base64(b'VVBH')\n", out, sizeof out, why),
			 BOOTROM_PY_NO_LITERAL);
	assert_int_equal(
	    decode("BOOTROM=binascii.a2b_base64(b'VVB!HUiBi')\n", out, sizeof out, why),
	    BOOTROM_PY_BROKEN);
	assert_non_null(strstr(why, "'!'"));
	assert_int_equal(decode("BOOTROM=binascii.a2b_base64(b'VVBHUiB')\n", out, sizeof out, why),
			 BOOTROM_PY_BROKEN);
	assert_non_null(strstr(why, "middle of a 4-character group"));
	assert_int_equal(
	    decode("BOOTROM=binascii.a2b_base64(b'VVBHUg==VVBH')\n", out, sizeof out, why),
	    BOOTROM_PY_BROKEN);
	assert_int_equal(decode("BOOTROM=binascii.a2b_base64(b\"\"\"VVBH", out, sizeof out, why),
			 BOOTROM_PY_BROKEN);
	assert_non_null(strstr(why, "never closed"));
	assert_int_equal(decode("BOOTROM=zlib.decompress(binascii.a2b_base64(b'eJwLDXAPUkjK'))\n",
				out, sizeof out, why),
			 BOOTROM_PY_BROKEN);
	assert_non_null(strstr(why, "zlib data is damaged"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shapes),
	    cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
