/* SPDX-License-Identifier: MIT */
/* hvctl's house: the context every command gets, the command table entry,
 * and the helpers the command files share (hvctl_util.c). One file per
 * command group (cmd_*.c); the table (cmds.c) drives dispatch, --help and
 * the bash completion. */
#ifndef HVCTL_H
#define HVCTL_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/backend.h"
#include "hv/knob.h"
#include "hv/rates.h"
#include "hv/sample.h"

#define HVCTL_MAXCPU HV_KNOB_MAXCPU /* libhv's one CPU limit */

/* Exit statuses, as hvctl(1) says. */
enum { HVCTL_OK = 0, HVCTL_FAIL = 1, HVCTL_USAGE = 2 };

struct hvctl_cmd;

typedef struct hvctl_ctx {
	const char *backend_name;
	bool json;
	double interval;  /* < 0: the command's default */
	const char *cpus; /* --cpu LIST */
	double duration;  /* idle limit-latency --duration */
	hv_env env;
	hv_backend *b;
	const struct hvctl_cmd *cmd; /* the command running, for its usage */
} hvctl_ctx;

typedef int (*hvctl_fn)(hvctl_ctx *c, int argc, char **argv);

/* Options a command takes beyond --backend/--json (for help and
 * completion; the parser accepts them anywhere). */
enum {
	HVCTL_O_INTERVAL = 1u << 0,
	HVCTL_O_CPU = 1u << 1,
	HVCTL_O_DURATION = 1u << 2,
	HVCTL_DEFAULT = 1u << 8, /* the group's word alone runs this one */
};

typedef struct hvctl_cmd {
	const char *name; /* "cpu list": group word, then command word */
	const char *args; /* after the name in usage: "N", "STATE" */
	const char *help;
	hvctl_fn fn;
	unsigned flags; /* HVCTL_O_* | HVCTL_DEFAULT */
	int nargs;      /* arguments after the name; main checks the count */
} hvctl_cmd;

extern const hvctl_cmd hvctl_cmds[];
extern const size_t hvctl_ncmds;

/* "cpu [list] [--interval S]" into buf: the usage line --help prints. */
const char *hvctl_usage_line(const hvctl_cmd *k, char *buf, size_t len);

/* Messages: "hvctl: ..." on stderr. hvctl_fail returns HVCTL_FAIL;
 * hvctl_bad_usage prints the running command's usage, returns
 * HVCTL_USAGE. */
int hvctl_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int hvctl_bad_usage(const hvctl_ctx *c);

int hvctl_open_backend(hvctl_ctx *c);
int hvctl_take(hvctl_ctx *c, hv_snap **s);
/* The host is an ARM machine (hv_host.arch). */
bool hvctl_is_arm(const hv_host *h);
/* Two samples `interval` apart and their rates; caller frees all three
 * (set to NULL first, so the cleanup path is the same on failure). */
int hvctl_take_two(hvctl_ctx *c, double interval, hv_snap **a, hv_snap **b,
                   hv_rates **r);
void hvctl_sleep(double s);

/* Table cells: "-" for missing. */
const char *hvctl_u64s(char *buf, size_t len, hv_u64 v, double scale,
                       const char *fmt);
const char *hvctl_dbl(char *buf, size_t len, double v, const char *fmt);

/* JSON numbers: integers as they are, derived figures rounded to
 * HVCTL_JSON_DECIMALS places as xentop-ng --json prints them; missing or
 * not finite is null. */
#define HVCTL_JSON_DECIMALS 3
cJSON *hvctl_ju64(hv_u64 v);
cJSON *hvctl_jdbl(double v);
/* A counter scaled to a unit (ns to s, uJ to J), rounded to `decimals`. */
cJSON *hvctl_jscaled(hv_u64 v, double scale, int decimals);
int hvctl_print_json(cJSON *o); /* prints and frees o */

/* --cpu LIST as a bitmap (all zero when not given). */
int hvctl_parse_cpus(const hvctl_ctx *c, uint64_t *bits);
bool hvctl_cpu_selected(const hvctl_ctx *c, const uint64_t *bits,
                        const hv_pcpu *p);
/* Apply knob fmt (with %u for the CPU) = val on one CPU (all_online false)
 * or on each selected CPU; on the first refusal undo what was done. */
int hvctl_apply(hvctl_ctx *c, const char *fmt, const char *val, bool all_online,
                unsigned single);

#endif
