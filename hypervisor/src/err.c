/* SPDX-License-Identifier: MIT */
#include "hv/err.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hv_err_set(hv_err *err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
	/* An error must never read as success (errno can be 0 after a
	 * short read or a library failure). */
	if (code == 0)
		code = EIO;
	if (err) {
		va_list ap;
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return -code;
}

int hv_err_prefix(hv_err *err, const char *fmt, ...)
{
	char old[HV_ERR_MSG];
	va_list ap;
	int n;

	if (!err)
		return 0;
	memcpy(old, err->msg, sizeof(old));
	va_start(ap, fmt);
	n = vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n + 2 < sizeof(err->msg)) {
		/* Keep as much of the original message as fits. */
		size_t left = sizeof(err->msg) - (size_t)n - 2;
		size_t ol = strnlen(old, sizeof(old) - 1);
		memcpy(err->msg + n, ": ", 2);
		if (ol > left - 1)
			ol = left - 1;
		memcpy(err->msg + n + 2, old, ol);
		err->msg[(size_t)n + 2 + ol] = '\0';
	}
	return -err->code;
}

void hv_err_clear(hv_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
