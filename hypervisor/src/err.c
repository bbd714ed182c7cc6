/* SPDX-License-Identifier: MIT */
#include "hv/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int hv_err_set(hv_err *err, int code, const char *fmt, ...)
{
	if (code < 0)
		code = -code;
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
	char pre[HV_ERR_MSG], old[HV_ERR_MSG];
	va_list ap;

	if (!err)
		return 0;
	va_start(ap, fmt);
	vsnprintf(pre, sizeof(pre), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	snprintf(err->msg, sizeof(err->msg), "%s: %s", pre, old);
	return -err->code;
}

void hv_err_clear(hv_err *err)
{
	if (err) {
		err->code = 0;
		err->msg[0] = '\0';
	}
}
