/* SPDX-License-Identifier: MIT */
/*
 * --bootrom FILE: the raw boot ROM image, or Pycom's Python modules that carry
 * it. What is accepted:
 *
 *  - a file that starts with "UPGR": the raw image, sent as it is;
 *  - Python source with one assignment to BOOTROM whose value is a base64
 *    decoding call applied to a string literal, for example
 *        BOOTROM=binascii.a2b_base64(b"""...""")                  (sqnsbr.py)
 *        BOOTROM = zlib.decompress(binascii.a2b_base64(b"""...""")) (sqnsbrz.py)
 *    The assignment may be indented (a class attribute) or made through an
 *    attribute (self.BOOTROM = ...), with any spacing and line breaks inside
 *    the parentheses. The call is any dotted name ending in a2b_base64,
 *    b64decode, standard_b64decode or decodebytes (binascii, ubinascii,
 *    base64); a decompress call around it means the decoded bytes are zlib (or
 *    gzip) data, and data that starts with a zlib header but not with UPGR is
 *    inflated too. The literal may have a b, r, br or rb prefix and single,
 *    double, or tripled quotes. Inside it, whitespace, backslash-newline and
 *    the escapes \n \r \t are skipped, as a2b_base64 skips them; any other
 *    character that is not base64 is an error, and so is text that stops in
 *    the middle of a 4-character group.
 *
 * Anything else (an ELF file, a .dup, other binary data, other text) is
 * refused with one line that says what was found.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "bootrom.h"

#define PROBE_LEN 512u

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

/* memmem, which Windows's C library lacks: the first n bytes of `what` in [p, p + len). */
static const char *find_bytes(const char *p, size_t len, const char *what, size_t n)
{
	for (const char *end = p + len; n && (size_t)(end - p) >= n; p++) {
		p = memchr(p, what[0], (size_t)(end - p) - n + 1);
		if (!p)
			return NULL;
		if (memcmp(p, what, n) == 0)
			return p;
	}
	return NULL;
}

/* The next whole word `word` (not part of a longer name) in [p, end), or NULL; text starts at s. */
static const char *find_word(const char *s, const char *p, const char *end, const char *word)
{
	size_t n = strlen(word);
	while (p < end && (size_t)(end - p) >= n) {
		const char *hit = find_bytes(p, (size_t)(end - p), word, n);
		if (!hit)
			return NULL;
		bool before = hit > s && ident_char(hit[-1]);
		bool after = hit + n < end && ident_char(hit[n]);
		if (!before && !after)
			return hit;
		p = hit + 1;
	}
	return NULL;
}

/* Spaces, tabs, line breaks and backslash-newline continuations. */
static const char *skip_space(const char *p, const char *end)
{
	while (p < end) {
		if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == '\f')
			p++;
		else if (*p == '\\' && p + 1 < end && (p[1] == '\n' || p[1] == '\r'))
			p += 2;
		else
			break;
	}
	return p;
}

static bool name_is(const char *t, size_t n, const char *name)
{
	return strlen(name) == n && memcmp(t, name, n) == 0;
}

/* A name that ends in one of the base64 decoders (the part after the last dot). */
static bool is_base64_call(const char *t, size_t n)
{
	return name_is(t, n, "a2b_base64") || name_is(t, n, "b64decode") ||
	       name_is(t, n, "standard_b64decode") || name_is(t, n, "decodebytes");
}

static bool is_string_prefix(const char *t, size_t n)
{
	char p[3] = "";
	if (n == 0 || n > 2)
		return false;
	for (size_t i = 0; i < n; i++)
		p[i] = (char)(t[i] | 0x20); /* lower case */
	return strcmp(p, "b") == 0 || strcmp(p, "r") == 0 || strcmp(p, "br") == 0 ||
	       strcmp(p, "rb") == 0;
}

struct literal {
	const char *body; /* between the quotes */
	size_t len;
	bool decompress; /* the value is decompress(...(literal)) */
};

/*
 * The string literal that starts at q (its opening quote): 1 with lit set, or
 * -1 when it is never closed.
 */
static int string_at(const char *q, const char *end, struct literal *lit)
{
	char quote = *q;
	size_t qlen = end - q >= 3 && q[1] == quote && q[2] == quote ? 3 : 1;
	const char *p = q + qlen;
	lit->body = p;
	while (p < end) {
		if (*p == '\\') {
			p += 2;
			continue;
		}
		if (qlen == 1 && *p == '\n')
			return -1;
		if (*p == quote &&
		    (qlen == 1 || (end - p >= 3 && p[1] == quote && p[2] == quote))) {
			lit->len = (size_t)(p - lit->body);
			return 1;
		}
		p++;
	}
	return -1;
}

/*
 * The value after `BOOTROM =` at p: dotted names, opening parentheses, then a
 * string literal. 1 when it is a base64 decoding of a literal (lit set), 0
 * when it is something else, -1 when its literal is never closed.
 */
static int parse_value(const char *p, const char *end, struct literal *lit)
{
	bool base64 = false;
	lit->decompress = false;
	for (;;) {
		p = skip_space(p, end);
		if (p >= end)
			return 0;
		if (*p == '(' || *p == '.') {
			p++;
			continue;
		}
		const char *t = p;
		while (p < end && ident_char(*p))
			p++;
		size_t n = (size_t)(p - t);
		bool quote_next = p < end && (*p == '"' || *p == '\'');
		if (n == 0 && !quote_next)
			return 0;
		if (quote_next && (n == 0 || is_string_prefix(t, n)))
			return base64 ? string_at(p, end, lit) : 0;
		if (quote_next)
			return 0;
		if (name_is(t, n, "decompress"))
			lit->decompress = true;
		if (is_base64_call(t, n))
			base64 = true;
	}
}

/* 1: found (lit set), 0: no BOOTROM literal, -1: one whose string is never closed. */
static int find_literal(const char *s, size_t len, struct literal *lit)
{
	const char *end = s + len;
	for (const char *p = s; (p = find_word(s, p, end, "BOOTROM")) != NULL; p++) {
		const char *q = p + strlen("BOOTROM");
		while (q < end && (*q == ' ' || *q == '\t'))
			q++;
		if (q >= end || *q != '=' || (q + 1 < end && q[1] == '='))
			continue;
		int r = parse_value(q + 1, end, lit);
		if (r != 0)
			return r;
	}
	return 0;
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* What a2b_base64 skips: whitespace, and the escapes that stand for it. Returns its length. */
static size_t b64_skip(const char *s, size_t i, size_t len)
{
	char c = s[i];
	if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
		return 1;
	if (c == '\\' && i + 1 < len && s[i + 1] != '\0' && strchr("\n\rnrt", s[i + 1]))
		return 2;
	return 0;
}

static void bad_char(char *why, size_t why_len, char c, size_t at)
{
	if (c > ' ' && c < 0x7f)
		snprintf(why, why_len,
			 "its BOOTROM literal is not valid base64: '%c' at character %zu", c, at);
	else
		snprintf(why, why_len,
			 "its BOOTROM literal is not valid base64: byte 0x%02x at character %zu",
			 (unsigned char)c, at);
}

/* Decode base64 text into out (room for len / 4 * 3 + 3 bytes); false with why on error. */
static bool b64_decode(const char *s, size_t len, uint8_t *out, size_t *out_len, char *why,
		       size_t why_len)
{
	uint32_t group = 0;
	unsigned k = 0, pad = 0;
	bool ended = false; /* a group closed by padding: only whitespace may follow */
	size_t o = 0;
	for (size_t i = 0; i < len;) {
		size_t skip = b64_skip(s, i, len);
		if (skip) {
			i += skip;
			continue;
		}
		int v = s[i] == '=' ? 0 : b64_value(s[i]);
		if (v < 0 || ended || (s[i] == '=' && k < 2) || (s[i] != '=' && pad)) {
			if (ended || (s[i] != '=' && pad))
				snprintf(why, why_len,
					 "its BOOTROM literal is not valid base64: text after the "
					 "'=' padding, at character %zu",
					 i);
			else if (s[i] == '=')
				snprintf(
				    why, why_len,
				    "its BOOTROM literal is not valid base64: '=' at character "
				    "%zu, inside a group",
				    i);
			else
				bad_char(why, why_len, s[i], i);
			return false;
		}
		pad += s[i] == '=';
		group = group << 6 | (uint32_t)v;
		i++;
		if (++k < 4)
			continue;
		uint8_t b[3] = {(uint8_t)(group >> 16), (uint8_t)(group >> 8), (uint8_t)group};
		memcpy(out + o, b, 3 - pad);
		o += 3 - pad;
		ended = pad > 0;
		k = 0;
		group = 0;
	}
	if (k != 0) {
		snprintf(why, why_len,
			 "its BOOTROM literal is not valid base64: the text stops in the middle "
			 "of a 4-character group (cut short?)");
		return false;
	}
	*out_len = o;
	return true;
}

static bool zlib_header(const uint8_t *p, size_t n)
{
	if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return true; /* gzip */
	return n >= 2 && (p[0] & 0x0f) == 8 && (p[0] >> 4) <= 7 && ((p[0] << 8) | p[1]) % 31 == 0;
}

static bool inflate_error(z_stream *z, int r, char *why, size_t why_len)
{
	if (r == Z_MEM_ERROR)
		snprintf(why, why_len, "out of memory while inflating its BOOTROM literal");
	else if (r == Z_OK || r == Z_BUF_ERROR)
		snprintf(why, why_len,
			 "its BOOTROM literal's zlib data is damaged: it stops before the end of "
			 "the compressed stream");
	else
		snprintf(why, why_len, "its BOOTROM literal's zlib data is damaged: %s",
			 z->msg ? z->msg : "invalid data");
	inflateEnd(z);
	return false;
}

/* zlib.decompress: zlib or gzip data into a malloc'd buffer. */
static bool inflate_all(const uint8_t *in, size_t n, uint8_t **out, size_t *out_len, char *why,
			size_t why_len)
{
	z_stream z = {.next_in = (Bytef *)(uintptr_t)in, .avail_in = (uInt)n};
	int r = inflateInit2(&z, 15 + 32); /* a zlib or a gzip header */
	if (r != Z_OK)
		return inflate_error(&z, r, why, why_len);
	size_t cap = n * 4 + 4096;
	uint8_t *buf = NULL;
	for (;;) {
		if (!buf || z.avail_out == 0) {
			if (buf)
				cap *= 2;
			uint8_t *bigger = cap <= BOOTROM_MAX_SIZE ? realloc(buf, cap) : NULL;
			if (!bigger) {
				free(buf);
				if (cap > BOOTROM_MAX_SIZE) {
					snprintf(
					    why, why_len,
					    "its BOOTROM literal inflates to over %u MiB: not a "
					    "boot ROM",
					    BOOTROM_MAX_SIZE >> 20);
					inflateEnd(&z);
					return false;
				}
				return inflate_error(&z, Z_MEM_ERROR, why, why_len);
			}
			buf = bigger;
			z.next_out = buf + z.total_out;
			z.avail_out = (uInt)(cap - z.total_out);
		}
		r = inflate(&z, Z_NO_FLUSH);
		if (r == Z_STREAM_END)
			break;
		if ((r == Z_OK || r == Z_BUF_ERROR) && z.avail_out == 0)
			continue;
		free(buf);
		return inflate_error(&z, r, why, why_len);
	}
	*out = buf;
	*out_len = z.total_out;
	inflateEnd(&z);
	return true;
}

enum bootrom_python bootrom_from_python(const char *src, size_t len, uint8_t **out, size_t *out_len,
					char *why, size_t why_len)
{
	struct literal lit;
	int found = find_literal(src, len, &lit);
	if (found == 0)
		return BOOTROM_PY_NO_LITERAL;
	if (found < 0) {
		snprintf(why, why_len, "its BOOTROM string literal is never closed (cut short?)");
		return BOOTROM_PY_BROKEN;
	}
	uint8_t *raw = malloc(lit.len / 4 * 3 + 3);
	size_t raw_len;
	if (!raw) {
		snprintf(why, why_len, "out of memory while decoding its BOOTROM literal");
		return BOOTROM_PY_BROKEN;
	}
	if (!b64_decode(lit.body, lit.len, raw, &raw_len, why, why_len)) {
		free(raw);
		return BOOTROM_PY_BROKEN;
	}
	bool upgr = raw_len >= 4 && memcmp(raw, BOOTROM_MAGIC, 4) == 0;
	if (lit.decompress || (!upgr && zlib_header(raw, raw_len))) {
		bool ok = inflate_all(raw, raw_len, out, out_len, why, why_len);
		free(raw);
		return ok ? BOOTROM_PY_OK : BOOTROM_PY_BROKEN;
	}
	*out = raw;
	*out_len = raw_len;
	return BOOTROM_PY_OK;
}

/* The first bytes, as "UPGR" when printable, else as hex. */
static void describe_start(const uint8_t *p, size_t n, char *out, size_t len)
{
	bool printable = n > 0;
	n = n < 4 ? n : 4;
	for (size_t i = 0; i < n; i++)
		printable = printable && p[i] >= ' ' && p[i] < 0x7f && p[i] != '"';
	if (printable) {
		snprintf(out, len, "\"%.*s\"", (int)n, (const char *)p);
		return;
	}
	size_t o = (size_t)snprintf(out, len, "the bytes");
	for (size_t i = 0; i < n && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, " %02x", p[i]);
}

/* Text: no NUL and no control byte but whitespace; bytes above 127 allowed (UTF-8). */
static bool looks_text(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] == 0 || (p[i] < ' ' && !strchr("\t\n\r\f\v", p[i])))
			return false;
	return n > 0;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t a = strlen(s), b = strlen(tail);
	return a >= b && strcmp(s + a - b, tail) == 0;
}

static bool looks_python(const char *src, size_t len, const char *name)
{
	static const char *const words[] = {"import", "def", "class", "BOOTROM"};
	if (ends_with(name, ".py") || ends_with(name, ".pyw"))
		return true;
	for (size_t i = 0; i < sizeof words / sizeof words[0]; i++)
		if (find_word(src, src, src + len, words[i]))
			return true;
	return false;
}

/* The file's text, whole, into a malloc'd buffer; NULL with why on failure. */
static char *read_all(struct image_file *f, char *why, size_t why_len)
{
	char *text = malloc(f->image.size);
	if (!text)
		snprintf(why, why_len, "out of memory reading '%s'", image_file_name(f));
	else if (f->image.read(f, 0, (uint8_t *)text, f->image.size) != SQNS_OK)
		snprintf(why, why_len, "cannot read boot ROM file '%s'", image_file_name(f));
	else
		return text;
	free(text);
	return NULL;
}

/* A text file: the BOOTROM literal of Python source, decoded into f's memory. */
static enum bootrom_status open_python(struct image_file *f, char *why, size_t why_len)
{
	const char *name = image_file_name(f);
	if (f->image.size > 4u * BOOTROM_MAX_SIZE) {
		snprintf(why, why_len,
			 "'%s' is a text file of %u bytes, too big to hold a boot ROM", name,
			 f->image.size);
		return BOOTROM_NOT_BOOTROM;
	}
	char *text = read_all(f, why, why_len);
	if (!text)
		return BOOTROM_FILE_ERROR;
	uint8_t *img = NULL;
	size_t img_len = 0;
	char err[300];
	enum bootrom_python r =
	    bootrom_from_python(text, f->image.size, &img, &img_len, err, sizeof err);
	bool python = looks_python(text, f->image.size, name);
	free(text);
	if (r == BOOTROM_PY_NO_LITERAL && python)
		snprintf(why, why_len,
			 "'%s' looks like Python but holds no base64 BOOTROM literal (such as "
			 "BOOTROM=binascii.a2b_base64(b\"\"\"...\"\"\") in Pycom's sqnsbr.py)",
			 name);
	else if (r == BOOTROM_PY_NO_LITERAL)
		snprintf(why, why_len,
			 "'%s' is a text file, not a boot ROM (a boot ROM starts with %s; Pycom's "
			 "sqnsbr.py and sqnsbrz.py hold one as base64)",
			 name, BOOTROM_MAGIC);
	else if (r == BOOTROM_PY_BROKEN)
		snprintf(why, why_len, "'%s': %s", name, err);
	if (r != BOOTROM_PY_OK)
		return BOOTROM_NOT_BOOTROM;
	if (img_len < 4 || memcmp(img, BOOTROM_MAGIC, 4) != 0 || img_len > BOOTROM_MAX_SIZE ||
	    img_len < IMAGE_MIN_SIZE) {
		char start[40];
		describe_start(img, img_len, start, sizeof start);
		if (img_len < IMAGE_MIN_SIZE || img_len > BOOTROM_MAX_SIZE)
			snprintf(why, why_len,
				 "'%s' holds a BOOTROM literal of %zu bytes: that is no boot ROM",
				 name, img_len);
		else
			snprintf(why, why_len,
				 "'%s' holds a BOOTROM literal, but it decodes to data that starts "
				 "with %s: not a boot ROM (a boot ROM starts with %s)",
				 name, start, BOOTROM_MAGIC);
		free(img);
		return BOOTROM_NOT_BOOTROM;
	}
	image_file_use_memory(f, img, (uint32_t)img_len);
	return BOOTROM_OK;
}

static enum bootrom_status sniff(struct image_file *f, char *why, size_t why_len)
{
	const char *name = image_file_name(f);
	uint8_t head[PROBE_LEN];
	size_t n = f->image.size < sizeof head ? f->image.size : sizeof head;
	char start[40];
	if (f->image.read(f, 0, head, n) != SQNS_OK) {
		snprintf(why, why_len, "cannot read boot ROM file '%s'", name);
		return BOOTROM_FILE_ERROR;
	}
	if (memcmp(head, BOOTROM_MAGIC, 4) == 0)
		return BOOTROM_OK;
	if (memcmp(head,
		   "\x7f"
		   "ELF",
		   4) == 0) {
		snprintf(why, why_len,
			 "'%s' is an ELF file (updater.elf), not a boot ROM: give the raw boot "
			 "ROM (it starts with %s), or Pycom's sqnsbr.py or sqnsbrz.py",
			 name, BOOTROM_MAGIC);
		return BOOTROM_NOT_BOOTROM;
	}
	if (looks_text(head, n))
		return open_python(f, why, why_len);
	describe_start(head, n, start, sizeof start);
	snprintf(why, why_len,
		 "'%s' is not a boot ROM: it starts with %s (a boot ROM starts with %s)", name,
		 start, BOOTROM_MAGIC);
	return BOOTROM_NOT_BOOTROM;
}

enum bootrom_status bootrom_open(struct image_file *f, const char *path, char *why, size_t why_len)
{
	if (!image_file_open(f, path, "boot ROM file", why, why_len))
		return BOOTROM_FILE_ERROR;
	enum bootrom_status r = sniff(f, why, why_len);
	if (r != BOOTROM_OK)
		image_file_close(f);
	return r;
}
