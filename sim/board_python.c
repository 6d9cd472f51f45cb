/* SPDX-License-Identifier: MIT */
/*
 * --board's Python (board_private.h): the subset of MicroPython a host sends
 * to the REPL: `import`, `os.uname()`, `print(...)` and
 * `sqnsupgrade.uart(recovery, updater)`; anything else gets the error
 * MicroPython would give.
 */
#include "board_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum module { MOD_OS = 1, MOD_UOS = 2, MOD_SQNS = 4, MOD_SYS = 8, MOD_MACHINE = 16, MOD_TIME = 32 };

static const struct {
	const char *name;
	unsigned bit;
} modules[] = {
    {"os", MOD_OS},	      {"uos", MOD_UOS},	  {"sqnsupgrade", MOD_SQNS}, {"sys", MOD_SYS},
    {"machine", MOD_MACHINE}, {"time", MOD_TIME}, {"utime", MOD_TIME},
};

/* ---- the REPL's Python ---- */

enum vtype { V_NONE, V_STR, V_INT, V_BOOL, V_MODULE, V_FUNC, V_UNAME };

struct val {
	enum vtype t;
	char s[256]; /* V_STR text; V_MODULE/V_FUNC name */
	long i;
};

struct parser {
	struct sim *s;
	const char *p;
	bool syntax;
	bool failed; /* an exception: board->err holds it */
	bool pending;
};

static void raise_error(struct parser *ps, const char *fmt, const char *arg)
{
	struct board *b = ps->s->board;
	int n;

	if (ps->failed)
		return;
	ps->failed = true;
	n = snprintf(b->err, sizeof(b->err),
		     "Traceback (most recent call last):\n  File \"<stdin>\", line 1, in "
		     "<module>\n");
	if (n > 0 && (size_t)n < sizeof(b->err))
		snprintf(b->err + n, sizeof(b->err) - (size_t)n, fmt, arg);
}

static void syntax_error(struct parser *ps)
{
	if (ps->failed)
		return;
	ps->failed = ps->syntax = true;
	snprintf(ps->s->board->err, sizeof(ps->s->board->err),
		 "Traceback (most recent call last):\n  File \"<stdin>\", line 1\n"
		 "SyntaxError: invalid syntax\n");
}

static void skip_space(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static bool ident_char(char c, bool first)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
	       (!first && c >= '0' && c <= '9');
}

static bool ident(struct parser *ps, char *out, size_t len)
{
	size_t n = 0;

	skip_space(ps);
	if (!ident_char(*ps->p, true))
		return false;
	while (ident_char(*ps->p, n == 0)) {
		if (n + 1 < len)
			out[n++] = *ps->p;
		ps->p++;
	}
	out[n] = '\0';
	return true;
}

static bool accept(struct parser *ps, char c)
{
	skip_space(ps);
	if (*ps->p != c)
		return false;
	ps->p++;
	return true;
}

static unsigned module_bit(const char *name)
{
	for (size_t i = 0; i < sizeof(modules) / sizeof(modules[0]); i++)
		if (strcmp(modules[i].name, name) == 0)
			return modules[i].bit;
	return 0;
}

static void uname_repr(struct sim *s, char *out, size_t len)
{
	const char *n = s->cfg.board.name;

	snprintf(out, len,
		 "(sysname='%s', nodename='%s', release='" RELEASE "', version='" MPY_VERSION
		 "', machine='%s with ESP32')",
		 n, n, n);
}

static void str_of(struct sim *s, const struct val *v, bool repr, char *out, size_t len)
{
	switch (v->t) {
	case V_NONE:
		snprintf(out, len, "None");
		break;
	case V_STR:
		snprintf(out, len, repr ? "'%s'" : "%s", v->s);
		break;
	case V_INT:
		snprintf(out, len, "%ld", v->i);
		break;
	case V_BOOL:
		snprintf(out, len, "%s", v->i ? "True" : "False");
		break;
	case V_MODULE:
		snprintf(out, len, "<module '%s'>", v->s);
		break;
	case V_FUNC:
		snprintf(out, len, "<function %s>", v->s);
		break;
	case V_UNAME:
		uname_repr(s, out, len);
		break;
	}
}

static void expr(struct parser *ps, struct val *v);

static bool truthy(const struct val *v)
{
	return (v->t == V_BOOL || v->t == V_INT) ? v->i != 0 : v->t == V_STR ? v->s[0] != 0 : false;
}

static void start_uart(struct parser *ps, bool recovery, const char *mfile);

/* uart(ffh_mode=False, mfile=None, ...): positional or by keyword. */
static void call_uart(struct parser *ps)
{
	struct val a = {.t = V_NONE};
	char kw[32], mfile[256] = "";
	int n = 0;
	bool recovery = false, has_mfile = false;

	while (!ps->failed && !accept(ps, ')')) {
		const char *save;

		if (n > 0 && !accept(ps, ',')) {
			syntax_error(ps);
			return;
		}
		save = ps->p;
		if (!(ident(ps, kw, sizeof(kw)) && accept(ps, '='))) {
			ps->p = save;
			snprintf(kw, sizeof(kw), "%s", n == 0 ? "ffh_mode" : n == 1 ? "mfile" : "");
		}
		expr(ps, &a);
		if (strcmp(kw, "ffh_mode") == 0) {
			recovery = truthy(&a);
		} else if (strcmp(kw, "mfile") == 0) {
			has_mfile = a.t == V_STR;
			snprintf(mfile, sizeof(mfile), "%s", has_mfile ? a.s : "");
		} else if (strcmp(kw, "color") != 0 && strcmp(kw, "debug") != 0 &&
			   strcmp(kw, "pkgdebug") != 0 && kw[0]) {
			raise_error(ps, "TypeError: unexpected keyword argument '%s'\n", kw);
		}
		n++;
	}
	if (!ps->failed)
		start_uart(ps, recovery, has_mfile ? mfile : NULL);
}

static void call(struct parser *ps, struct val *v)
{
	struct val arg = {.t = V_NONE};
	char text[600];

	if (v->t != V_FUNC) {
		char what[32];

		snprintf(what, sizeof(what), "%s", v->t == V_STR ? "str" : "module");
		raise_error(ps, "TypeError: '%s' object isn't callable\n", what);
		return;
	}
	if (strcmp(v->s, "uart") == 0) {
		call_uart(ps);
		*v = (struct val){.t = V_NONE};
		return;
	}
	if (!accept(ps, ')')) {
		expr(ps, &arg);
		if (!ps->failed && !accept(ps, ')'))
			syntax_error(ps);
	}
	if (ps->failed)
		return;
	if (strcmp(v->s, "print") == 0) {
		str_of(ps->s, &arg, false, text, sizeof(text));
		board_sayf(ps->s, "%s\n", text);
		*v = (struct val){.t = V_NONE};
	} else if (strcmp(v->s, "uname") == 0) {
		*v = (struct val){.t = V_UNAME};
	} else {
		raise_error(ps, "NotImplementedError: %s() is not simulated by sqnsim's board\n",
			    v->s);
	}
}

static void attribute(struct parser *ps, struct val *v)
{
	char name[64];
	static const char *const fields[] = {"sysname", "nodename", "release", "version",
					     "machine"};

	if (!ident(ps, name, sizeof(name))) {
		syntax_error(ps);
		return;
	}
	if (v->t == V_MODULE && (strcmp(v->s, "os") == 0 || strcmp(v->s, "uos") == 0) &&
	    strcmp(name, "uname") == 0) {
		*v = (struct val){.t = V_FUNC, .s = "uname"};
	} else if (v->t == V_MODULE && strcmp(v->s, "sqnsupgrade") == 0 &&
		   (strcmp(name, "uart") == 0 || strcmp(name, "run") == 0 ||
		    strcmp(name, "info") == 0 || strcmp(name, "version") == 0)) {
		*v = (struct val){.t = V_FUNC};
		snprintf(v->s, sizeof(v->s), "%s", name);
	} else if (v->t == V_UNAME) {
		for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
			if (strcmp(name, fields[i]) != 0)
				continue;
			*v = (struct val){.t = V_STR};
			if (i == 2)
				snprintf(v->s, sizeof(v->s), RELEASE);
			else if (i == 3)
				snprintf(v->s, sizeof(v->s), MPY_VERSION);
			else if (i == 4)
				snprintf(v->s, sizeof(v->s), "%s with ESP32",
					 ps->s->cfg.board.name);
			else
				snprintf(v->s, sizeof(v->s), "%s", ps->s->cfg.board.name);
			return;
		}
		raise_error(ps, "AttributeError: 'tuple' object has no attribute '%s'\n", name);
	} else {
		raise_error(ps, "AttributeError: 'module' object has no attribute '%s'\n", name);
	}
}

static void string_literal(struct parser *ps, struct val *v)
{
	char q = *ps->p++;
	size_t n = 0;

	v->t = V_STR;
	while (*ps->p && *ps->p != q) {
		if (n + 1 < sizeof(v->s))
			v->s[n++] = *ps->p;
		ps->p++;
	}
	v->s[n] = '\0';
	if (*ps->p != q) {
		syntax_error(ps);
		return;
	}
	ps->p++;
}

static void primary(struct parser *ps, struct val *v)
{
	char name[64];

	skip_space(ps);
	*v = (struct val){.t = V_NONE};
	if (*ps->p == '\'' || *ps->p == '"') {
		string_literal(ps, v);
	} else if (*ps->p >= '0' && *ps->p <= '9') {
		v->t = V_INT;
		v->i = strtol(ps->p, (char **)&ps->p, 10);
	} else if (ident(ps, name, sizeof(name))) {
		unsigned bit = module_bit(name);

		if (strcmp(name, "True") == 0 || strcmp(name, "False") == 0) {
			*v = (struct val){.t = V_BOOL, .i = name[0] == 'T'};
		} else if (strcmp(name, "None") == 0) {
			v->t = V_NONE;
		} else if (strcmp(name, "print") == 0) {
			*v = (struct val){.t = V_FUNC, .s = "print"};
		} else if (bit && (ps->s->board->imported & bit)) {
			v->t = V_MODULE;
			snprintf(v->s, sizeof(v->s), "%s", name);
		} else {
			raise_error(ps, "NameError: name '%s' isn't defined\n", name);
		}
	} else {
		syntax_error(ps);
	}
}

static void expr(struct parser *ps, struct val *v)
{
	primary(ps, v);
	while (!ps->failed && !ps->pending) {
		if (accept(ps, '.'))
			attribute(ps, v);
		else if (accept(ps, '('))
			call(ps, v);
		else
			break;
	}
}

static void import(struct parser *ps)
{
	char name[64];

	do {
		unsigned bit;

		if (!ident(ps, name, sizeof(name))) {
			syntax_error(ps);
			return;
		}
		bit = module_bit(name);
		if (!bit || (bit == MOD_SQNS && !ps->s->board->lte)) {
			raise_error(ps, "ImportError: no module named '%s'\n", name);
			return;
		}
		ps->s->board->imported |= bit;
	} while (accept(ps, ','));
}

/* One statement; in the friendly REPL an expression's value is printed. */
static void statement(struct parser *ps, bool echo_value)
{
	const char *start = ps->p;
	char word[64];
	struct val v;

	skip_space(ps);
	if (!*ps->p || strcmp(ps->p, "pass") == 0)
		return;
	if (ident(ps, word, sizeof(word)) && strcmp(word, "import") == 0) {
		import(ps);
	} else {
		ps->p = start;
		expr(ps, &v);
		if (!ps->failed && !ps->pending && echo_value && v.t != V_NONE) {
			char text[600];

			str_of(ps->s, &v, true, text, sizeof(text));
			board_sayf(ps->s, "%s\n", text);
		}
	}
	skip_space(ps);
	if (!ps->failed && !ps->pending && *ps->p)
		syntax_error(ps);
}

static void log_code(struct sim *s, const char *code, const char *mode)
{
	struct board *b = s->board;
	struct ev e;
	char error[64] = "";

	if (b->err[0]) {
		const char *last = b->err + strlen(b->err) - 1;

		while (last > b->err && last[-1] != '\n')
			last--;
		snprintf(error, sizeof(error), "%.*s", (int)strcspn(last, ":"), last);
	}
	ev_begin(&e, "repl");
	ev_str(&e, "mode", mode);
	ev_str(&e, "code", code);
	ev_str(&e, "error", error);
	ev_end(&s->log, &e);
}

bool board_run_code(struct sim *s, char *code, bool raw)
{
	struct board *b = s->board;
	struct parser ps = {.s = s};
	char *stmt = code;
	char quote = 0;

	b->err[0] = '\0';
	b->raw = raw;
	for (char *p = code;; p++) {
		if (quote && *p == quote)
			quote = 0;
		else if (!quote && (*p == '\'' || *p == '"'))
			quote = *p;
		if (*p && (quote || (*p != ';' && *p != '\n' && *p != '\r')))
			continue;
		char end = *p;

		*p = '\0';
		ps.p = stmt;
		statement(&ps, !raw);
		*p = end;
		if (ps.failed || ps.pending || !end)
			break;
		stmt = p + 1;
	}
	log_code(s, code, raw ? "raw" : "friendly");
	if (ps.pending)
		return true;
	board_code_done(s);
	return false;
}

/* ---- uart() from the REPL ---- */

static void start_uart(struct parser *ps, bool recovery, const char *mfile)
{
	if (!board_uart_start(ps->s, recovery, mfile)) {
		raise_error(ps, "OSError: [Errno 2] ENOENT: %s\n", mfile);
		return;
	}
	ps->pending = true;
}
