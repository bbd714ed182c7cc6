/* SPDX-License-Identifier: MIT */
#include "pd_log.h"

#include <stdarg.h>
#include <stdio.h>

void pd_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	fprintf(stderr, "<%d>hv-powerd: %s\n", level, buf);
}
