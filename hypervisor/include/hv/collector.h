/* SPDX-License-Identifier: MIT */
/* The collector samples a backend on its own thread at a (fractional)
 * period, attaches rates and attributed energy to each snapshot, keeps a
 * ring of recent snapshots and hands consumers the latest one without
 * blocking on the backend. Consumers hold references (hv_snap_unref). */
#ifndef HV_COLLECTOR_H
#define HV_COLLECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "hv/backend.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_collector_opts {
	double period_s; /* default 1.0; >= 0.05 */
	unsigned ring;   /* snapshots kept, default 600 */
} hv_collector_opts;

typedef struct hv_collector_stats {
	uint64_t samples;      /* successful samples */
	uint64_t failures;     /* samples that returned an error */
	uint64_t last_cost_ns; /* cost of the last sample */
	int64_t last_ok_wall_ns;
	hv_err last_err; /* code 0 when the last sample succeeded */
} hv_collector_stats;

typedef struct hv_collector hv_collector;

/* The collector borrows b; close the backend after freeing the collector. */
int hv_collector_new(hv_backend *b, const hv_collector_opts *opts,
                     hv_collector **out, hv_err *err);
/* Start the sampling thread (takes a first sample synchronously). */
int hv_collector_start(hv_collector *c, hv_err *err);
/* One sample on the caller's thread (for --once, batch and tests). */
int hv_collector_step(hv_collector *c, hv_err *err);
void hv_collector_set_period(hv_collector *c, double period_s);
double hv_collector_period(const hv_collector *c);
/* Stop the thread and free everything; NULL allowed, idempotent. */
void hv_collector_free(hv_collector *c);

/* Latest snapshot with a reference taken, or NULL before the first. */
hv_snap *hv_collector_latest(hv_collector *c);
/* Wait until a snapshot with seq > after_seq exists or timeout_ms passes
 * (-1 = forever). Returns it referenced, or NULL on timeout/stop. */
hv_snap *hv_collector_wait(hv_collector *c, uint64_t after_seq, int timeout_ms);
/* Up to max recent snapshots, oldest first, each referenced. */
size_t hv_collector_history(hv_collector *c, hv_snap **out, size_t max);
void hv_collector_stats_get(hv_collector *c, hv_collector_stats *st);
hv_backend *hv_collector_backend(hv_collector *c);

#ifdef __cplusplus
}
#endif
#endif
