/* SPDX-License-Identifier: MIT */
/* The screen's own pieces, shared by its files: tui.c (the screen, frame
 * and bottom line, run loop), tui_header.c (host summary, heatmap,
 * frequency and C-state meters), tui_table.c (domain table and
 * expansion), tui_keys.c (key table, help, column chooser, prompts, mouse).
 * Not part of xentop-ng's interface (xt.h). */
#ifndef XT_TUI_H
#define XT_TUI_H

#include <curses.h>

#include "xt.h"

#define MAX_VIS 64
#define MAX_EXP 64
#define SPARK_N 12

enum ui_mode { M_NORMAL, M_FILTER, M_DELAY, M_HELP, M_CHOOSER };
enum { C_HDR = 1, C_LOW, C_MID, C_HIGH, C_STALE, C_ON, C_HEAT0 };

struct xt_ui {
	xt_machine *m;
	xt_opts *o;
	const char *cfg_path; /* settings file, NULL with --no-config */
	SCREEN *scr;
	bool own_term; /* newterm() on a caller's FILEs */
	xt_table t;
	int vis[MAX_VIS]; /* chosen columns */
	int nvis;
	int dvis[MAX_VIS]; /* drawn this frame */
	int ndvis;
	bool custom; /* columns chosen by the user (config, flag, chooser) */
	bool paused; /* Z: keep showing this sample; the collector goes on */
	long sel, top;
	uint64_t exp[MAX_EXP];
	int nexp;
	enum ui_mode mode;
	char input[64];
	int inlen;
	int csel;
	char status[200];
	bool utf8, color, dirty, quit;
	int hdr_y;
	int hdr_x[MAX_VIS + 1];
	long row_at[512]; /* screen line -> display index, -1 none */
};

/* printw that clips at the right edge instead of wrapping. */
void xt_cprintw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void xt_cmvprintw(int y, int x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void xt_cattr(xt_ui *u, int pair, bool on);     /* colour pair, if colours */
int xt_pct_color(double v);                     /* pair for a percentage */
const char *xt_glyph(const xt_ui *u, double f); /* level 0..1, NAN blank */

xt_ctx xt_ui_ctx(const xt_ui *u);
bool xt_ui_expanded(const xt_ui *u, uint64_t key);
const xt_row *xt_ui_sel_row(const xt_ui *u);
void xt_ui_save_columns(xt_ui *u);

/* Panels; each returns the next free line where it says so. */
int xt_ui_draw_header(xt_ui *u);
void xt_ui_draw_table(xt_ui *u, int y0);
void xt_ui_draw_help(xt_ui *u);
void xt_ui_draw_chooser(xt_ui *u);

#endif
