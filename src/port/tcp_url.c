/* SPDX-License-Identifier: MIT */
/* socket://HOST:PORT into its parts: the one parser of both systems' tcp backends. */
#include <stdio.h>
#include <string.h>

#include "tcp.h"

bool tcp_parse_url(const char *url, char *buf, size_t len, const char **host, const char **port)
{
	static const char scheme[] = "socket://";
	if (strncmp(url, scheme, sizeof scheme - 1) != 0)
		return false;
	snprintf(buf, len, "%s", url + sizeof scheme - 1);
	char *colon = strrchr(buf, ':');
	*host = buf;
	*port = "";
	if (colon) {
		*colon = '\0';
		*port = colon + 1;
	}
	/* [::1]:2000 */
	if (buf[0] == '[' && colon && colon > buf && colon[-1] == ']') {
		colon[-1] = '\0';
		*host = buf + 1;
	}
	return true;
}
