/* SPDX-License-Identifier: MIT */
/* Strict readers for kernel text files. Kernel files are small; a value
 * that does not parse is an error with the file named, never a 0. */
#include "hv/sysio.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The whole (small) file at fd into buf: with pread from offset 0 (a cached
 * fd, re-read each sample), or with read from where a fresh fd stands. */
static ssize_t read_all(int fd, char *buf, size_t len, bool at0,
                        const char *what, hv_err *err)
{
	size_t got = 0;

	if (len == 0)
		return hv_err_set(err, EINVAL, "%s: zero-size buffer", what);
	while (got < len - 1) {
		ssize_t r =
		    at0 ? pread(fd, buf + got, len - 1 - got, (off_t)got)
		        : read(fd, buf + got, len - 1 - got);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			buf[got] = '\0';
			return hv_err_set(err, e, "%s: %s", what, strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	return (ssize_t)got;
}

ssize_t hv_pread_all(int fd, char *buf, size_t len, const char *what,
                     hv_err *err)
{
	return read_all(fd, buf, len, true, what, err);
}

ssize_t hv_read_file(const char *path, char *buf, size_t len, hv_err *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		int e = errno;
		if (len)
			buf[0] = '\0';
		return hv_err_set(err, e, "%s: %s", path, strerror(e));
	}
	/* read, not pread: some files are not seekable and refuse pread
	 * with ESPIPE (debugfs kvm/PID-FD/ counters: nonseekable_open). */
	n = read_all(fd, buf, len, false, path, err);
	close(fd);
	return n;
}

char *hv_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int hv_parse_u64(const char *s, uint64_t *out)
{
	char buf[64], *t, *end;
	size_t n = strlen(s);
	unsigned long long v;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	t = hv_trim(buf);
	if (!*t || !isdigit((unsigned char)*t))
		return -EINVAL; /* rejects "", "-1", "Unavailable" */
	errno = 0;
	v = strtoull(t, &end, 10);
	if (errno == ERANGE || *end)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int hv_parse_hex64(const char *s, uint64_t *out)
{
	char buf[64], *t, *end;
	size_t n = strlen(s);
	unsigned long long v;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, s, n + 1);
	t = hv_trim(buf);
	if (t[0] == '0' && (t[1] == 'x' || t[1] == 'X'))
		t += 2;
	if (!*t || !isxdigit((unsigned char)*t))
		return -EINVAL;
	errno = 0;
	v = strtoull(t, &end, 16);
	if (errno == ERANGE || *end)
		return -EINVAL;
	*out = (uint64_t)v;
	return 0;
}

int hv_read_str(const char *path, char *buf, size_t len, hv_err *err)
{
	char tmp[4096] = {0}; /* analyzer cannot see pread fill it */
	ssize_t n = hv_read_file(path, tmp, sizeof(tmp), err);
	char *t;
	size_t l;

	if (n < 0)
		return (int)n;
	t = hv_trim(tmp);
	l = strlen(t);
	if (l >= len)
		return hv_err_set(err, EOVERFLOW, "%s: value too long", path);
	memcpy(buf, t, l + 1);
	return 0;
}

int hv_read_u64(const char *path, uint64_t *out, hv_err *err)
{
	char buf[64];
	int rc = hv_read_str(path, buf, sizeof(buf), err);

	if (rc)
		return rc;
	if (hv_parse_u64(buf, out))
		return hv_err_set(err, EINVAL, "%s: not a number: \"%.32s\"",
		                  path, buf);
	return 0;
}

int hv_read_s64(const char *path, int64_t *out, hv_err *err)
{
	char buf[64] = "", *end;
	int rc = hv_read_str(path, buf, sizeof(buf), err);
	long long v;

	if (rc)
		return rc;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (!buf[0] || errno == ERANGE || *end)
		return hv_err_set(err, EINVAL, "%s: not a number: \"%.32s\"",
		                  path, buf);
	*out = (int64_t)v;
	return 0;
}

int hv_write_str(const char *path, const char *val, hv_err *err)
{
	/* O_TRUNC as a shell redirect does: sysfs ignores it, fixture files need it. */
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	size_t n = strlen(val);
	ssize_t w;

	if (fd < 0) {
		int e = errno;
		return hv_err_set(err, e, "%s: %s", path, strerror(e));
	}
	w = write(fd, val, n);
	if (w < 0 || (size_t)w != n) {
		int e = w < 0 ? errno : EIO;
		close(fd);
		return hv_err_set(err, e, "writing \"%s\" to %s: %s", val, path,
		                  strerror(e));
	}
	if (close(fd) < 0) {
		int e = errno;
		return hv_err_set(err, e, "writing \"%s\" to %s: %s", val, path,
		                  strerror(e));
	}
	return 0;
}

int hv_parse_cpulist(const char *s, uint64_t *bits, size_t nbits)
{
	const char *p = s;

	memset(bits, 0, ((nbits + 63) / 64) * sizeof(uint64_t));
	while (*p && *p != '\n') {
		char *end;
		unsigned long a, b;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!isdigit((unsigned char)*p))
			return -EINVAL;
		a = strtoul(p, &end, 10);
		b = a;
		if (*end == '-') {
			p = end + 1;
			if (!isdigit((unsigned char)*p))
				return -EINVAL;
			b = strtoul(p, &end, 10);
		}
		if (b < a || b >= nbits)
			return -ERANGE;
		for (unsigned long i = a; i <= b; i++)
			bits[i / 64] |= 1ULL << (i % 64);
		p = end;
		if (*p == ',')
			p++;
		else if (*p && *p != '\n' && *p != ' ')
			return -EINVAL;
	}
	return 0;
}

/* Length of a valid UTF-8 sequence at s (max n bytes), 0 if invalid. */
static size_t utf8_len(const unsigned char *s, size_t n)
{
	size_t len;
	uint32_t cp;

	if (s[0] < 0x80)
		return 1;
	if ((s[0] & 0xe0) == 0xc0) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if ((s[0] & 0xf0) == 0xe0) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if ((s[0] & 0xf8) == 0xf0) {
		len = 4;
		cp = s[0] & 0x07;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	/* Overlong forms, surrogates, beyond Unicode. */
	if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
	    (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	/* C1 controls and bidi overrides/isolates would garble a terminal. */
	if ((cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f)
		return 0;
	return len;
}

void hv_sanitize_name(char *dst, size_t len, const char *src, size_t srclen)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0, i = 0;

	if (!len)
		return;
	while (i < srclen && s[i]) {
		size_t l = utf8_len(s + i, srclen - i);
		if (l == 1 && (s[i] < 0x20 || s[i] == 0x7f))
			l = 0;
		if (l == 0) {
			if (o + 1 >= len)
				break;
			dst[o++] = '?';
			i++;
			/* Skip continuation bytes of the bad sequence. */
			while (i < srclen && (s[i] & 0xc0) == 0x80)
				i++;
			continue;
		}
		if (o + l >= len)
			break; /* never split a character */
		memcpy(dst + o, s + i, l);
		o += l;
		i += l;
	}
	dst[o] = '\0';
}
