/* SPDX-License-Identifier: MIT */
#include "pd_log.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

/* stderr is the journal when JOURNAL_STREAM ("DEV:INODE", set by systemd
 * for a service whose stderr is the journal) names the same file. */
static bool stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;
	char *end;

	if (!js || fstat(STDERR_FILENO, &st))
		return false;
	dev = strtoull(js, &end, 10);
	if (end == js || *end != ':')
		return false;
	js = end + 1;
	ino = strtoull(js, &end, 10);
	if (end == js || *end)
		return false;
	return (unsigned long long)st.st_dev == dev &&
	       (unsigned long long)st.st_ino == ino;
}

void pd_log(int level, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (stderr_is_journal())
		fprintf(stderr, "<%d>hv-powerd: %s\n", level, buf);
	else
		fprintf(stderr, "hv-powerd: %s\n", buf);
}
