/* SPDX-License-Identifier: MIT */
/* Error reporting for libhv: library code never prints or exits. Every
 * fallible function returns 0 or a negative errno and, when given a non-NULL
 * hv_err, leaves a message the caller can show. */
#ifndef HV_ERR_H
#define HV_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define HV_ERR_MSG 256

typedef struct hv_err {
	int code;             /* positive errno value, 0 when no error */
	char msg[HV_ERR_MSG]; /* human-readable, no trailing newline */
} hv_err;

/* Record an error; returns -code so callers can `return hv_err_set(...)`.
 * A NULL err is allowed. code is a positive errno (EINVAL, EIO, ...). */
int hv_err_set(hv_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Prefix an existing message with context ("cpu3: ...") keeping the code. */
int hv_err_prefix(hv_err *err, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

void hv_err_clear(hv_err *err);

#ifdef __cplusplus
}
#endif
#endif
