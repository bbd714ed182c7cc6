/* SPDX-License-Identifier: MIT */
/* Daemon log lines on stderr. When stderr is the journal (JOURNAL_STREAM)
 * they carry sd-daemon priority prefixes ("<1>" alert ... "<6>" info),
 * which journald turns into priorities; on a terminal or a file they are
 * the same lines without the prefix. */
#ifndef PD_LOG_H
#define PD_LOG_H

enum pd_log_level {
	PD_LOG_ALERT = 1,
	PD_LOG_ERR = 3,
	PD_LOG_WARN = 4,
	PD_LOG_INFO = 6,
};

void pd_log(int level, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
