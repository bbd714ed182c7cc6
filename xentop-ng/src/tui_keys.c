/* SPDX-License-Identifier: MIT */
/* The screen's keys: one table (keys[]) that dispatches a key and writes
 * the help screen; the column chooser, the filter and delay prompts, and
 * the mouse. A key changes what is shown; it never resamples. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static void k_quit(xt_ui *u)
{
	u->quit = true;
}
static void k_nets(xt_ui *u)
{
	u->o->nets = !u->o->nets;
}
static void k_vbds(xt_ui *u)
{
	u->o->vbds = !u->o->vbds;
}
static void k_vcpus(xt_ui *u)
{
	u->o->vcpus = !u->o->vcpus;
}
static void k_repeat(xt_ui *u)
{
	u->o->repeat_header = !u->o->repeat_header;
	snprintf(u->status, sizeof(u->status),
	         "repeat header applies to batch output (-r)");
}
static void sort_by(xt_ui *u, int ci)
{
	if (ci == u->t.sort_col)
		u->o->reverse = !u->o->reverse;
	else
		u->o->reverse = false;
	snprintf(u->o->sort, sizeof(u->o->sort), "%s",
	         xt_col_name(&xt_cols[ci]));
	u->dirty = true;
}
static int vis_index(const xt_ui *u, int ci)
{
	for (int i = 0; i < u->nvis; i++)
		if (u->vis[i] == ci)
			return i;
	return -1;
}
static void sort_step(xt_ui *u, int dir)
{
	int i = vis_index(u, u->t.sort_col);
	i = i < 0 ? 0 : (i + dir + u->nvis) % u->nvis;
	snprintf(u->o->sort, sizeof(u->o->sort), "%s",
	         xt_col_name(&xt_cols[u->vis[i]]));
	u->o->reverse = false;
	u->dirty = true;
}
static void k_sort_next(xt_ui *u)
{
	sort_step(u, 1);
}
static void k_sort_prev(xt_ui *u)
{
	sort_step(u, -1);
}
static void k_reverse(xt_ui *u)
{
	u->o->reverse = !u->o->reverse;
	u->dirty = true;
}
static void k_sort_cpu(xt_ui *u)
{
	snprintf(u->o->sort, sizeof(u->o->sort), "cpu_pct");
	u->o->reverse = false;
	u->dirty = true;
}
static void k_sort_mem(xt_ui *u)
{
	snprintf(u->o->sort, sizeof(u->o->sort), "mem");
	u->o->reverse = false;
	u->dirty = true;
}
static void k_sort_time(xt_ui *u)
{
	snprintf(u->o->sort, sizeof(u->o->sort), "cpu");
	u->o->reverse = false;
	u->dirty = true;
}
static void k_filter(xt_ui *u)
{
	u->mode = M_FILTER;
	snprintf(u->input, sizeof(u->input), "%s", u->o->filter);
	u->inlen = (int)strlen(u->input);
}
static void k_delay(xt_ui *u)
{
	u->mode = M_DELAY;
	u->input[0] = 0;
	u->inlen = 0;
}
static void k_help(xt_ui *u)
{
	u->mode = M_HELP;
}
static void k_chooser(xt_ui *u)
{
	u->mode = M_CHOOSER;
	u->csel = 0;
}
static void k_pct(xt_ui *u)
{
	u->o->host_pct = !u->o->host_pct;
	u->dirty = true;
}
static void k_pause(xt_ui *u)
{
	u->paused = !u->paused;
}
static void k_heat(xt_ui *u)
{
	u->o->heatmap = (u->o->heatmap + 1) % 3;
}
static void k_expand(xt_ui *u)
{
	const xt_row *r = xt_ui_sel_row(u);
	if (!r)
		return;
	for (int i = 0; i < u->nexp; i++) {
		if (u->exp[i] == r->d->key) {
			u->exp[i] = u->exp[--u->nexp];
			return;
		}
	}
	if (u->nexp < MAX_EXP)
		u->exp[u->nexp++] = r->d->key;
}
static void k_repaint(xt_ui *u)
{
	(void)u;
	clearok(curscr, TRUE);
}
static void k_up(xt_ui *u)
{
	u->sel--;
}
static void k_down(xt_ui *u)
{
	u->sel++;
}
static long page(void)
{
	return LINES > 12 ? LINES - 10 : 1;
}
static void k_pgup(xt_ui *u)
{
	u->sel -= page();
}
static void k_pgdn(xt_ui *u)
{
	u->sel += page();
}
static void k_home(xt_ui *u)
{
	u->sel = 0;
}
static void k_end(xt_ui *u)
{
	u->sel = (long)u->t.nshow - 1;
}
static void k_write(xt_ui *u);

static const struct key {
	int key, key2, key3;
	const char *label;
	const char *help;
	void (*fn)(xt_ui *);
} keys[] = {
    {'d', 'D', 0, "D", "delay between samples (fractional)", k_delay},
    {'n', 'N', 0, "N", "per-interface network rows (all domains)", k_nets},
    {'b', 'B', 0, "B", "per-device block rows (all domains)", k_vbds},
    {'v', 'V', 0, "V", "per-vCPU rows with rates (all domains)", k_vcpus},
    {'r', 'R', 0, "R", "repeat header (batch)", k_repeat},
    {'s', 'S', '>', "S >", "sort by next column", k_sort_next},
    {'<', 0, 0, "<", "sort by previous column", k_sort_prev},
    {'I', 'i', 0, "I", "invert sort order", k_reverse},
    {'P', 0, 0, "P", "sort by CPU(%)", k_sort_cpu},
    {'M', 0, 0, "M", "sort by memory", k_sort_mem},
    {'T', 0, 0, "T", "sort by CPU time", k_sort_time},
    {'/', '\\', KEY_F(4), "/ F4", "filter by name, id or UUID", k_filter},
    {'%', 0, 0, "%", "CPU(%): one pCPU = 100% / whole host = 100%", k_pct},
    {'m', 0, 0, "m", "heatmap: busy, frequency, deepest C-state", k_heat},
    {'Z', 'z', 0, "Z", "pause/resume the display (sampling goes on)", k_pause},
    {'\n', '\r', KEY_ENTER, "Enter", "expand/collapse the selected domain",
     k_expand},
    {'e', ' ', 0, "e Space", "expand/collapse the selected domain", k_expand},
    {'c', 'o', KEY_F(2), "c o F2", "choose columns", k_chooser},
    {'W', 0, 0, "W", "write settings now", k_write},
    {'h', '?', KEY_F(1), "h ? F1", "this help", k_help},
    {KEY_UP, 'k', 0, "Up", "select previous domain", k_up},
    {KEY_DOWN, 'j', 0, "Down", "select next domain", k_down},
    {KEY_PPAGE, 0, 0, "PgUp", "page up", k_pgup},
    {KEY_NPAGE, 0, 0, "PgDn", "page down", k_pgdn},
    {KEY_HOME, 'g', 0, "Home", "first domain", k_home},
    {KEY_END, 'G', 0, "End", "last domain", k_end},
    {12, 0, 0, "^L", "repaint", k_repaint},
    {'q', 'Q', 27, "Q Esc", "quit (settings are saved)", k_quit},
};
#define NKEYS (sizeof(keys) / sizeof(keys[0]))

static void k_write(xt_ui *u)
{
	xt_ui_save_columns(u);
	if (!u->cfg_path) {
		snprintf(u->status, sizeof(u->status),
		         "no config file (--no-config or no HOME)");
		return;
	}
	xt_config_save(u->o, u->cfg_path, u->status, sizeof(u->status));
}

void xt_ui_draw_help(xt_ui *u)
{
	int y = 0;
	(void)u;
	attron(A_BOLD);
	xt_cmvprintw(y++, 0, "xentop-ng %s - keys (any key returns)",
	             XT_VERSION);
	attroff(A_BOLD);
	for (size_t i = 0; i < NKEYS && y < LINES - 4; i++)
		xt_cmvprintw(y++, 2, "%-8s %s", keys[i].label, keys[i].help);
	y++;
	xt_cmvprintw(y++, 0,
	             "CPU(%%): 100%% = one pCPU busy (xentop); HOST(%%): "
	             "100%% = every online pCPU.");
	xt_cmvprintw(y++, 0,
	             "'-' = missing (reason in the status line for the "
	             "selected domain); dim 'stale' = a source missed "
	             "its deadline.");
}

void xt_ui_draw_chooser(xt_ui *u)
{
	int y = 0;
	attron(A_BOLD);
	xt_cmvprintw(y++, 0,
	             "Columns: Up/Down move, Space toggles, Esc/Enter "
	             "done");
	attroff(A_BOLD);
	int first = u->csel > LINES - 4 ? u->csel - (LINES - 4) : 0;
	for (size_t i = (size_t)first; i < xt_ncols && y < LINES - 1; i++) {
		bool on = vis_index(u, (int)i) >= 0;
		if ((int)i == u->csel)
			attron(A_REVERSE);
		xt_cmvprintw(y++, 2, "[%c] %-12s %s", on ? 'x' : ' ',
		             xt_col_header(&xt_cols[i]),
		             xt_col_help(&xt_cols[i]));
		if ((int)i == u->csel)
			attroff(A_REVERSE);
	}
}

static void chooser_key(xt_ui *u, int ch)
{
	if (ch == KEY_UP && u->csel > 0)
		u->csel--;
	else if (ch == KEY_DOWN && u->csel < (int)xt_ncols - 1)
		u->csel++;
	else if (ch == ' ') {
		int i = vis_index(u, u->csel);
		if (i >= 0 && u->nvis > 1) {
			memmove(&u->vis[i], &u->vis[i + 1],
			        (size_t)(u->nvis - i - 1) * sizeof(int));
			u->nvis--;
		} else if (i < 0 && u->nvis < MAX_VIS) {
			/* Keep the table order: insert by column index. */
			int at = 0;
			while (at < u->nvis && u->vis[at] < u->csel)
				at++;
			memmove(&u->vis[at + 1], &u->vis[at],
			        (size_t)(u->nvis - at) * sizeof(int));
			u->vis[at] = u->csel;
			u->nvis++;
		}
		u->custom = true;
		xt_ui_save_columns(u);
	} else if (ch == 27 || ch == '\n' || ch == '\r' || ch == 'q' ||
	           ch == KEY_ENTER) {
		u->mode = M_NORMAL;
	}
}

static void prompt_key(xt_ui *u, int ch)
{
	if (ch == 27) {
		if (u->mode == M_FILTER) {
			u->o->filter[0] = 0; /* Esc clears the filter */
			u->dirty = true;
		}
		u->mode = M_NORMAL;
		return;
	}
	if (ch == '\n' || ch == '\r' || ch == KEY_ENTER) {
		if (u->mode == M_DELAY) {
			char *end;
			double d = strtod(u->input, &end);
			if (end != u->input && !*end && d >= 0.05 &&
			    d <= 86400) {
				u->o->delay_s = d;
				hv_collector_set_period(u->m->col, d);
			} else {
				snprintf(u->status, sizeof(u->status),
				         "bad delay '%s'", u->input);
			}
		}
		u->mode = M_NORMAL;
		return;
	}
	if ((ch == KEY_BACKSPACE || ch == 127 || ch == 8) && u->inlen > 0)
		u->input[--u->inlen] = 0;
	else if (ch >= 32 && ch < 127 && u->inlen < (int)sizeof(u->input) - 1) {
		u->input[u->inlen++] = (char)ch;
		u->input[u->inlen] = 0;
	}
	if (u->mode == M_FILTER) { /* incremental */
		snprintf(u->o->filter, sizeof(u->o->filter), "%s", u->input);
		u->sel = 0;
		u->dirty = true;
	}
}

static void mouse_key(xt_ui *u)
{
	MEVENT ev;
	if (getmouse(&ev) != OK)
		return;
	if (ev.bstate & BUTTON4_PRESSED) {
		u->sel -= 3;
	} else if (ev.bstate & (BUTTON5_PRESSED)) {
		u->sel += 3;
	} else if (ev.y == u->hdr_y) {
		for (int i = 0; i < u->ndvis; i++)
			if (ev.x >= u->hdr_x[i] && ev.x < u->hdr_x[i + 1])
				sort_by(u, u->dvis[i]);
	} else if (ev.y >= 0 && ev.y < 512 && u->row_at[ev.y] >= 0) {
		if (u->sel == u->row_at[ev.y] &&
		    (ev.bstate & BUTTON1_DOUBLE_CLICKED))
			k_expand(u);
		u->sel = u->row_at[ev.y];
	}
}

int xt_ui_key(xt_ui *u, int ch)
{
	if (ch == ERR)
		return 1;
	if (ch == KEY_RESIZE) {
		clearok(curscr, TRUE); /* full repaint at the new size */
		return 1;
	}
	u->status[0] = 0;
	switch (u->mode) {
	case M_HELP:
		u->mode = M_NORMAL;
		return 1;
	case M_CHOOSER:
		chooser_key(u, ch);
		return 1;
	case M_FILTER:
	case M_DELAY:
		prompt_key(u, ch);
		return 1;
	case M_NORMAL:
		break;
	}
	if (ch == KEY_MOUSE) {
		mouse_key(u);
		return 1;
	}
	for (size_t i = 0; i < NKEYS; i++) {
		if (ch == keys[i].key || (keys[i].key2 && ch == keys[i].key2) ||
		    (keys[i].key3 && ch == keys[i].key3)) {
			keys[i].fn(u);
			break;
		}
	}
	return !u->quit;
}
