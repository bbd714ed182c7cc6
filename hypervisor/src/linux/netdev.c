/* SPDX-License-Identifier: MIT */
/* /proc/net/dev lines (see netdev.h). Hot: the kvm backend parses one
 * net/dev per network namespace per sample, so numbers are read without
 * strtoull and the text is never copied or modified. */
#include "linux/netdev.h"

#include <string.h>

#define U64_MAX_DEC "18446744073709551615"

/* One unsigned decimal after spaces or tabs, ending before end at a
 * space, a tab or end itself. */
static int field(const char **p, const char *end, uint64_t *out)
{
	const char *s = *p, *d;
	uint64_t x = 0;

	while (s < end && (*s == ' ' || *s == '\t'))
		s++;
	for (d = s; s < end && (unsigned)((unsigned char)*s - '0') < 10u; s++)
		x = x * 10 + (uint64_t)((unsigned char)*s - '0');
	/* Only a 20-digit number can overflow. */
	if (s == d || s - d > 20 ||
	    (s - d == 20 && memcmp(d, U64_MAX_DEC, 20) > 0))
		return -1;
	if (s < end && *s != ' ' && *s != '\t')
		return -1;
	*p = s;
	*out = x;
	return 0;
}

/* Parse the line [s, end); 1 when it is an interface line. */
static int parse_line(const char *s, const char *end, hv_netdev_row *row)
{
	const char *colon, *q;
	uint64_t f[16];

	while (s < end && *s == ' ')
		s++;
	colon = memchr(s, ':', (size_t)(end - s));
	if (!colon || colon == s)
		return 0;
	q = colon + 1;
	for (int i = 0; i < 16; i++)
		if (field(&q, end, &f[i]))
			return 0;
	row->name = s;
	row->name_len = (size_t)(colon - s);
	/* The rest of the 16: fifo frame compressed multicast | fifo colls
	 * carrier compressed, unused. */
	for (int i = 0; i < 4; i++) {
		row->v[HV_NETDEV_RX_BYTES + i] = f[i];
		row->v[HV_NETDEV_TX_BYTES + i] = f[8 + i];
	}
	return 1;
}

int hv_netdev_next(const char **pos, hv_netdev_row *row)
{
	const char *s = *pos;

	while (s && *s) {
		const char *nl = strchr(s, '\n');
		const char *end = nl ? nl : s + strlen(s);
		int ok = parse_line(s, end, row);

		s = nl ? nl + 1 : end;
		if (ok) {
			*pos = s;
			return 1;
		}
	}
	*pos = s;
	return 0;
}

int hv_netdev_is_netdev(const char *text)
{
	return text && strncmp(text, "Inter-|", 7) == 0;
}
