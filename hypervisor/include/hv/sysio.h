/* SPDX-License-Identifier: MIT */
/* Small, strict readers for kernel text files (sysfs, procfs, resctrl).
 * Used by libhv's backends and platform layer only; consumers go through the
 * sample model. Each parser rejects trailing garbage, overflow and empty
 * files with -EINVAL and a message naming the file. */
#ifndef HV_SYSIO_H
#define HV_SYSIO_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Read a whole small file into buf (NUL-terminated). Returns bytes read or
 * negative errno. -ENOENT when it vanished (a CPU unplugged, a VM exited). */
ssize_t hv_read_file(const char *path, char *buf, size_t len, hv_err *err);

/* Same through an already-open fd with pread(0): cheap re-reads. */
ssize_t hv_pread_all(int fd, char *buf, size_t len, const char *what,
                     hv_err *err);

/* Read one value. Whitespace (including sysfs' trailing newline and EPP's
 * trailing space) is trimmed. */
int hv_read_u64(const char *path, uint64_t *out, hv_err *err);
int hv_read_s64(const char *path, int64_t *out, hv_err *err);
int hv_read_str(const char *path, char *buf, size_t len, hv_err *err);

/* Parse helpers on text already in memory. */
char *hv_trim(char *s); /* drops leading and trailing whitespace in place */
int hv_parse_u64(const char *s, uint64_t *out);   /* decimal, trimmed */
int hv_parse_hex64(const char *s, uint64_t *out); /* resctrl masks */

/* Write a value (no newline added beyond what sysfs accepts). */
int hv_write_str(const char *path, const char *val, hv_err *err);

/* Parse a cpulist ("0-3,8,10-11") into a bitmap of nbits. */
int hv_parse_cpulist(const char *s, uint64_t *bits, size_t nbits);

/* Copy a name from an untrusted source: control and bidi characters become
 * '?', invalid UTF-8 bytes become '?', truncation never splits a UTF-8
 * character. Always NUL-terminates. */
void hv_sanitize_name(char *dst, size_t len, const char *src, size_t srclen);

#ifdef __cplusplus
}
#endif
#endif
