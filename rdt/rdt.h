/* SPDX-License-Identifier: MIT */
/* hv-rdt's house: options, the context every command gets, the command
 * table entry (rdt_cmds in cmds.c drives dispatch, --help and the bash
 * completion) and the helpers the command files share (util.c). */
#ifndef RDT_H
#define RDT_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/backend.h"
#include "hv/resctrl.h"

#define RDT_MAX_CLASSES 64

/* Exit statuses, as hv-rdt(1) says. */
enum { RDT_OK = 0, RDT_FAIL = 1, RDT_USAGE = 2 };

typedef struct rdt_opts {
	long iters;   /* -1 = until interrupted */
	double delay; /* seconds */
	int json;
	int no_start;
	const char *backend;
	const char *events; /* NULL = default, "" = none */
} rdt_opts;

typedef struct rdt_ctx {
	rdt_opts o;
	hv_env env;
	hv_resctrl *rc; /* opened by rdt_need_rc, closed by main */
	const struct rdt_cmd *cmd;
} rdt_ctx;

typedef int (*rdt_fn)(rdt_ctx *c, int argc, char **argv);

typedef struct rdt_cmd {
	const char *name; /* "alloc set": group word, then command word */
	const char *args; /* "CLASS LINE..." */
	const char *help;
	rdt_fn fn;
	int min_args, max_args; /* checked by main; max -1: no limit */
	bool need_rc;           /* main opens resctrl into ctx->rc first */
} rdt_cmd;

extern const rdt_cmd rdt_cmds[];
extern const size_t rdt_ncmds;

/* "hv-rdt: ..." on stderr; returns RDT_FAIL. */
int rdt_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The running command's usage on stderr; returns RDT_USAGE. */
int rdt_bad_usage(const rdt_ctx *c);

/* Open resctrl into c->rc (once); RDT_FAIL with the reason printed. */
int rdt_need_rc(rdt_ctx *c);
/* A backend with PMU events when pmu (not on synth/replay). */
int rdt_open_backend(const rdt_ctx *c, int pmu, hv_backend **b, hv_err *err);

/* "default" on the command line is the root group "". */
const char *rdt_cls_arg(const char *c);
const char *rdt_cls_show(const char *c);

/* Class of every class member: tasks of each class, matched by pid. */
typedef struct rdt_classmap {
	size_t n;
	char name[RDT_MAX_CLASSES + 1][HV_RC_NAME_LEN];
	int32_t *tids[RDT_MAX_CLASSES + 1];
	size_t ntids[RDT_MAX_CLASSES + 1];
} rdt_classmap;

void rdt_classmap_free(rdt_classmap *m);
int rdt_classmap_load(hv_resctrl *rc, rdt_classmap *m, hv_err *err);
/* NULL when resctrl is not mounted, "" for the root class. */
const char *rdt_classmap_of(const rdt_classmap *m, int32_t pid);

void rdt_fmt_num(char *buf, size_t len, double v, double div);
void rdt_fmt_rate(char *buf, size_t len, double v);
cJSON *rdt_jnum(double v);
void rdt_describe(const hv_rc_info *in, char *buf, size_t len);
void rdt_print_caps(const hv_rc_info *in);

/* Append the undo of what was just done for "alloc undo". */
/* 0 when kept (fsynced); else the caller puts the change back. */
int rdt_undo_keep(const hv_env *env, hv_rc_undo *u);
/* Apply u (a failed or unrecorded change back), reporting a failure. */
void rdt_roll_back(hv_resctrl *rc, hv_rc_undo *u);

/* Block SIGINT/SIGTERM into set, to be taken by rdt_wait_or_signal. */
void rdt_block_signals(sigset_t *set);
/* Sleep sec; 1 when SIGINT/SIGTERM arrived. */
int rdt_wait_or_signal(const sigset_t *set, double sec);

#endif
