/* SPDX-License-Identifier: MIT */
/* xentop-ng internals, split as htop is: the Machine (collector and current
 * snapshot), the Table of Rows (one per domain, filtered and sorted), the
 * column table that both the batch printer and the screen draw from, and
 * the outputs (batch text, JSON Lines, CSV, recording). */
#ifndef XT_H
#define XT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "hv/backend.h"
#include "hv/collector.h"
#include "hv/fields.h"
#include "hv/rates.h"
#include "hv/sample.h"

#include "hv/version.h"

#define XT_VERSION HV_VERSION

/* ---- options (command line, then config file, then keys) ---- */
enum xt_mode { XT_TUI = 0, XT_BATCH, XT_JSON, XT_CSV };

typedef struct xt_opts {
	double delay_s;    /* -d, fractional */
	enum xt_mode mode; /* -b, --json, --csv */
	long iterations;   /* -i / -n; 0 = forever */
	bool vcpus, nets, vbds, repeat_header, full_name, pcpus, dom0_first;
	bool host_pct; /* CPU% as share of the whole host */
	bool mouse;
	bool color; /* false with NO_COLOR or --no-color */
	const char *backend;
	const char *record;
	const char *replay;
	unsigned synth_domains, synth_vcpus;
	char sort[24]; /* column name */
	bool reverse;
	char columns[512]; /* comma-separated column names, "" = default */
	char filter[64];
	int heatmap; /* 0 busy, 1 frequency, 2 deep C-state */
	bool no_config;
} xt_opts;

void xt_opts_default(xt_opts *o);
/* Parses argv. Returns 0 to run, 1 when --help/--version printed (exit 0),
 * -1 on a usage error (message written to err). */
int xt_opts_parse(xt_opts *o, int argc, char **argv, FILE *out, FILE *err);
void xt_usage(FILE *f);

/* Config file: $XDG_CONFIG_HOME/hvkit/xentop-ng.conf (~/.config/...). */
int xt_config_path(char *buf, size_t len);
int xt_config_load(xt_opts *o, const char *path, char *msg, size_t msglen);
int xt_config_save(const xt_opts *o, const char *path, char *msg,
                   size_t msglen);

/* ---- Machine: backend + collector + the snapshot on screen ---- */
typedef struct xt_machine {
	hv_backend *be;
	hv_collector *col;
	hv_snap *cur; /* referenced; what is displayed */
	uint64_t cur_seq;
	bool threaded;
	FILE *record; /* --record */
	uint64_t recorded_seq;
	hv_err last_err;
} xt_machine;

int xt_machine_open(xt_machine *m, const xt_opts *o, hv_err *err);
/* Start the sampling thread (TUI). */
int xt_machine_start(xt_machine *m, hv_err *err);
/* Batch: take one sample on this thread and make it current. */
int xt_machine_step(xt_machine *m, hv_err *err);
/* Threaded: pick up the latest snapshot; true when it is new. Never
 * blocks on the backend. */
bool xt_machine_poll(xt_machine *m);
/* --record: write samples taken since the last call (while paused). */
void xt_machine_record(xt_machine *m);
void xt_machine_close(xt_machine *m);

/* ---- Rows and columns ---- */
typedef struct xt_row {
	const hv_dom *d;
	const hv_dom_rate *r; /* NULL on a first sample */
	/* xentop sums, computed once per sample */
	uint64_t net_tx, net_rx;
	bool net_ok;
	uint64_t vbd_oo, vbd_rd, vbd_wr, vbd_rsect, vbd_wsect;
	bool vbd_ok;
	double key; /* sort key of a numeric column, read once per sort */
} xt_row;

typedef struct xt_ctx {
	const hv_snap *s;
	const hv_host *h;
	bool host_pct;
	bool full_name;
} xt_ctx;

enum xt_col_flags {
	XT_COL_XENTOP = 1 << 0,  /* one of xentop's 19, printed by -b */
	XT_COL_LEFT = 1 << 1,    /* left aligned on screen */
	XT_COL_GROW = 1 << 2,    /* grows as xentop's do: digits(v+1) */
	XT_COL_DEFAULT = 1 << 3, /* shown on screen by default */
	XT_COL_TEXT = 1 << 4,    /* sorts as text, ascending */
	XT_COL_SPARK = 1 << 5,   /* drawn by the screen (history) */
	XT_COL_AUTO = 1 << 6, /* default column hidden while no domain has it */
	XT_COL_CUT = 1 << 7, /* cut to its width (xentop's %10.10s) unless -f */
};

typedef struct xt_col {
	const char *name; /* stable id for config and --sort */
	const char *header;
	int width;
	unsigned flags;
	const char *help;
	/* Sort key; NAN when missing (sorted last). */
	double (*num)(const xt_row *r, const xt_ctx *c);
	/* Text; returns false for a missing value (printed "-"). */
	bool (*text)(const xt_row *r, const xt_ctx *c, char *buf, size_t len);
	/* A row of libhv's field registry: id, header, width, help, format
	 * and value come from it (the members above stay unset). */
	const hv_field *f;
} xt_col;

extern const xt_col xt_cols[];
extern const size_t xt_ncols;
int xt_col_find(const char *name); /* index or -1 */
/* A column's id, header, help and width, its sort key (NAN missing) and
 * text (false when missing), whichever kind of column it is. */
const char *xt_col_name(const xt_col *col);
const char *xt_col_header(const xt_col *col);
const char *xt_col_help(const xt_col *col);
int xt_col_width(const xt_col *col);
/* Inline: the sort calls them per comparison. */
static inline double xt_col_num(const xt_col *col, const xt_row *r,
                                const xt_ctx *c)
{
	if (col->f)
		return hv_field_num(col->f, r->d, r->r);
	return col->num(r, c);
}
static inline bool xt_col_text(const xt_col *col, const xt_row *r,
                               const xt_ctx *c, char *buf, size_t len)
{
	if (col->f)
		return hv_field_fmt(col->f, r->d, r->r, buf, len) != 0;
	return col->text(r, c, buf, len);
}
/* Writes the cell for column i into buf, exactly width wide (more if
 * the value is wider); left or right aligned. */
void xt_cell(const xt_col *col, const xt_row *r, const xt_ctx *c, int width,
             bool left, char *buf, size_t len);
/* xentop's INT_FIELD_WIDTH(v + 1). */
int xt_digits1(uint64_t v);

typedef struct xt_table {
	xt_row *rows;
	size_t n, cap;
	size_t *order; /* display list: indexes into rows after filter/sort */
	size_t nshow;
	int sort_col;
	bool reverse;
	bool dom0_first;
	char filter[64];
} xt_table;

void xt_table_init(xt_table *t);
void xt_table_free(xt_table *t);
/* Rebuild rows from s, then filter and sort. */
int xt_table_build(xt_table *t, const hv_snap *s, const xt_ctx *c);
void xt_table_sort(xt_table *t, const xt_ctx *c);
bool xt_row_matches(const xt_row *r, const char *filter);

/* ---- outputs ---- */
/* xentop -b: header, rows, -v/-n/-x sub-rows, -p pCPU table. */
void xt_batch_print(FILE *f, xt_table *t, const xt_ctx *c, const xt_opts *o);
/* One JSON object per sample (schema hvkit.xentop/1). */
int xt_json_print(FILE *f, const hv_snap *s, const xt_ctx *c);
/* Long CSV rows; header printed once by the caller. */
#define XT_CSV_HEADER "timestamp,domain,uuid,metric,value"
int xt_csv_print(FILE *f, const hv_snap *s, const xt_ctx *c);
void xt_iso8601(int64_t wall_ns, char *buf, size_t len);

/* ---- screen ---- */
typedef struct xt_ui xt_ui;
/* Run the interactive screen until quit. Returns exit status. */
int xt_tui_run(xt_machine *m, xt_opts *o, const char *config_path);
/* For the benchmark and tests: a screen on an arbitrary terminal. */
xt_ui *xt_ui_new(xt_machine *m, xt_opts *o, FILE *out, FILE *in,
                 const char *term);
void xt_ui_render(xt_ui *u);
int xt_ui_key(xt_ui *u, int ch); /* 0 = quit */
void xt_ui_free(xt_ui *u);

#endif
