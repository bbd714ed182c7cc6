/* SPDX-License-Identifier: MIT */
/* Snapshots as JSON Lines: the record format of `xentop-ng --record` and the
 * input of the replay backend.
 *
 * One snapshot is one JSON object on one line:
 *   {"schema":"hvkit.snap/1","seq":..,"time":"<ISO 8601 UTC>",
 *    "mono_ns":..,"wall_ns":..,"cost_ns":..,"host":{..},"doms":[..]}
 * Field names are those of the C structs in hv/sample.h, so the format reads
 * like the model. Every hv_u64 is written so that it round-trips exactly:
 *   present            a JSON number (a string of digits above 2^53,
 *                      because JSON readers keep numbers as doubles)
 *   missing            its reason as a string: "unsupported", "stale", ...
 *                      ("stale:123" when a missing value still carries v)
 * Parsing fills an unsealed snapshot; serialising then parsing then
 * serialising again yields the same bytes. */
#ifndef HV_SNAPJSON_H
#define HV_SNAPJSON_H

#include <stdio.h>

#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_SNAPJSON_SCHEMA "hvkit.snap/1"

/* Serialise s (sealed or not) to one line without the trailing newline.
 * *out is malloc'd; the caller frees it. */
int hv_snapjson_write(const hv_snap *s, char **out, hv_err *err);

/* Write one line plus '\n' to f and flush it, so a crash loses at most the
 * sample being written. */
int hv_snapjson_fwrite(const hv_snap *s, FILE *f, hv_err *err);

/* Fill the empty, unsealed snapshot s from one line (len bytes, need not be
 * NUL-terminated). Timestamps are set with hv_snap_set_time; seq is not
 * restored (the collector numbers what it hands out). On error s may be
 * partly filled: the caller discards it. */
int hv_snapjson_fill(hv_snap *s, const char *line, size_t len, hv_err *err);

/* hv_snap_new + hv_snapjson_fill; the result is unsealed. */
int hv_snapjson_parse(const char *line, size_t len, hv_snap **out, hv_err *err);

#ifdef __cplusplus
}
#endif
#endif
