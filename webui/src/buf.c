/* SPDX-License-Identifier: MIT */
/* Growable text buffer with the few formatters the renderers need. Integer
 * and fixed-point printing is hand-written because /metrics for 1,000
 * domains is ~60,000 numbers and snprintf dominates otherwise. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

void web_buf_init(web_buf *b)
{
	memset(b, 0, sizeof(*b));
}

void web_buf_free(web_buf *b)
{
	free(b->p);
	memset(b, 0, sizeof(*b));
}

int web_buf_reserve(web_buf *b, size_t extra)
{
	if (b->oom)
		return -1;
	if (b->len + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->len + extra + 1)
		cap *= 2;
	char *p = realloc(b->p, cap);
	if (!p) {
		b->oom = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void web_buf_put(web_buf *b, const char *s, size_t n)
{
	if (web_buf_reserve(b, n))
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

void web_buf_puts(web_buf *b, const char *s)
{
	web_buf_put(b, s, strlen(s));
}

void web_buf_putc(web_buf *b, char c)
{
	if (web_buf_reserve(b, 1))
		return;
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void web_buf_printf(web_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[256];
	int n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n < sizeof(tmp)) {
		web_buf_put(b, tmp, (size_t)n);
		return;
	}
	if (web_buf_reserve(b, (size_t)n))
		return;
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void web_buf_u64(web_buf *b, uint64_t v)
{
	char tmp[24];
	int i = sizeof(tmp);
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	web_buf_put(b, tmp + i, sizeof(tmp) - (size_t)i);
}

void web_buf_fixed(web_buf *b, uint64_t v, unsigned decimals)
{
	static const uint64_t pow10[] = {
	    1ull,      10ull,      100ull,      1000ull,      10000ull,
	    100000ull, 1000000ull, 10000000ull, 100000000ull, 1000000000ull};
	if (decimals == 0 || decimals > 9) {
		web_buf_u64(b, v);
		return;
	}
	uint64_t ip = v / pow10[decimals], fp = v % pow10[decimals];
	web_buf_u64(b, ip);
	if (!fp)
		return;
	char tmp[12];
	unsigned n = decimals;
	while (fp % 10 == 0) { /* trim trailing zeros */
		fp /= 10;
		n--;
	}
	tmp[0] = '.';
	for (unsigned i = n; i > 0; i--) {
		tmp[i] = (char)('0' + fp % 10);
		fp /= 10;
	}
	web_buf_put(b, tmp, n + 1);
}

void web_buf_double(web_buf *b, double v)
{
	if (isnan(v)) {
		web_buf_puts(b, "NaN");
	} else if (isinf(v)) {
		web_buf_puts(b, v > 0 ? "+Inf" : "-Inf");
	} else if (v == (double)(int64_t)v && fabs(v) < 9e15) {
		if (v < 0) {
			web_buf_putc(b, '-');
			web_buf_u64(b, (uint64_t)(-(int64_t)v));
		} else {
			web_buf_u64(b, (uint64_t)(int64_t)v);
		}
	} else {
		web_buf_printf(b, "%.6g", v);
	}
}

void web_buf_prom_label(web_buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\')
			web_buf_put(b, "\\\\", 2);
		else if (*s == '"')
			web_buf_put(b, "\\\"", 2);
		else if (*s == '\n')
			web_buf_put(b, "\\n", 2);
		else
			web_buf_putc(b, *s);
	}
}

void web_buf_json_str(web_buf *b, const char *s)
{
	web_buf_putc(b, '"');
	for (const unsigned char *u = (const unsigned char *)s; *u; u++) {
		switch (*u) {
		case '"':
			web_buf_put(b, "\\\"", 2);
			break;
		case '\\':
			web_buf_put(b, "\\\\", 2);
			break;
		case '\n':
			web_buf_put(b, "\\n", 2);
			break;
		case '\r':
			web_buf_put(b, "\\r", 2);
			break;
		case '\t':
			web_buf_put(b, "\\t", 2);
			break;
		case '<':
			web_buf_put(b, "\\u003c", 6);
			break; /* safe in HTML */
		default:
			if (*u < 0x20)
				web_buf_printf(b, "\\u%04x", *u);
			else
				web_buf_putc(b, (char)*u);
		}
	}
	web_buf_putc(b, '"');
}

void web_buf_json_num(web_buf *b, double v)
{
	if (!isfinite(v)) {
		web_buf_puts(b, "null");
		return;
	}
	if (v == (double)(int64_t)v && fabs(v) < 9e15) {
		web_buf_double(b, v);
		return;
	}
	web_buf_printf(b, "%.6g", v);
}

char *web_buf_steal(web_buf *b, size_t *len)
{
	char *p = b->p;
	if (len)
		*len = b->len;
	b->p = NULL;
	b->len = b->cap = 0;
	return p;
}
