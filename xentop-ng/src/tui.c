/* SPDX-License-Identifier: MIT */
/* The interactive screen (ncursesw). Panels, top to bottom: the host header
 * (tui_header.c), the domain table with optional per-domain expansion
 * (tui_table.c), and the bottom line (here: keys, prompt or status). Keys
 * are table-driven (tui_keys.c, which also writes the help screen). A key
 * redraws from the snapshot already held; only the collector's thread
 * samples. This file: drawing helpers, the frame, the run loop. */
#include <curses.h>
#include <inttypes.h>
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tui.h"

/* printw that clips at the right edge instead of wrapping onto the next
 * line (which would garble the panel below). */
static void vclip(const char *fmt, va_list ap)
{
	char buf[1024];
	int y, x;
	getyx(stdscr, y, x);
	(void)y;
	if (x >= COLS)
		return;
	vsnprintf(buf, sizeof(buf), fmt, ap);
	addnstr(buf, COLS - x);
}

void xt_cprintw(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vclip(fmt, ap);
	va_end(ap);
}

void xt_cmvprintw(int y, int x, const char *fmt, ...)
{
	va_list ap;
	if (move(y, x) == ERR)
		return;
	va_start(ap, fmt);
	vclip(fmt, ap);
	va_end(ap);
}

/* ---------------------------------------------------------- helpers */

static void set_columns(xt_ui *u)
{
	u->nvis = 0;
	if (u->o->columns[0]) {
		char buf[sizeof(u->o->columns)];
		snprintf(buf, sizeof(buf), "%s", u->o->columns);
		for (char *save, *tok = strtok_r(buf, ",", &save);
		     tok && u->nvis < MAX_VIS;
		     tok = strtok_r(NULL, ",", &save)) {
			int i = xt_col_find(tok);
			if (i >= 0)
				u->vis[u->nvis++] = i;
		}
	}
	u->custom = u->nvis > 0;
	if (!u->nvis)
		for (size_t i = 0; i < xt_ncols && u->nvis < MAX_VIS; i++)
			if (xt_cols[i].flags & XT_COL_DEFAULT)
				u->vis[u->nvis++] = (int)i;
}

void xt_ui_save_columns(xt_ui *u)
{
	size_t l = 0;
	if (!u->custom)
		return; /* keep following the defaults */
	u->o->columns[0] = 0;
	for (int i = 0; i < u->nvis; i++)
		l += (size_t)snprintf(
		    u->o->columns + l, sizeof(u->o->columns) - l, "%s%s",
		    i ? "," : "", xt_col_name(&xt_cols[u->vis[i]]));
}

xt_ctx xt_ui_ctx(const xt_ui *u)
{
	xt_ctx c = {.s = u->m->cur,
	            .h = u->m->cur ? hv_snap_host(u->m->cur) : NULL,
	            .host_pct = u->o->host_pct,
	            .full_name = false};
	return c;
}

static void rebuild(xt_ui *u)
{
	if (!u->m->cur)
		return;
	xt_ctx c = xt_ui_ctx(u);
	int sc = xt_col_find(u->o->sort);
	u->t.sort_col = sc < 0 ? 0 : sc;
	u->t.reverse = u->o->reverse;
	u->t.dom0_first = u->o->dom0_first;
	snprintf(u->t.filter, sizeof(u->t.filter), "%s", u->o->filter);
	xt_table_build(&u->t, u->m->cur, &c);
	u->dirty = false;
}

bool xt_ui_expanded(const xt_ui *u, uint64_t key)
{
	for (int i = 0; i < u->nexp; i++)
		if (u->exp[i] == key)
			return true;
	return false;
}

const xt_row *xt_ui_sel_row(const xt_ui *u)
{
	if (u->sel < 0 || (size_t)u->sel >= u->t.nshow)
		return NULL;
	return &u->t.rows[u->t.order[u->sel]];
}

int xt_pct_color(double v)
{
	if (isnan(v))
		return 0;
	return v >= 80 ? C_HIGH : v >= 30 ? C_MID : C_LOW;
}

void xt_cattr(xt_ui *u, int pair, bool on)
{
	if (!u->color || !pair)
		return;
	if (on)
		attron(COLOR_PAIR(pair));
	else
		attroff(COLOR_PAIR(pair));
}

/* A glyph for a level 0..1 (NAN: blank). */
const char *xt_glyph(const xt_ui *u, double f)
{
	static const char *const blocks[] = {"\u2581", "\u2582", "\u2583",
	                                     "\u2584", "\u2585", "\u2586",
	                                     "\u2587", "\u2588"};
	static const char *const ascii[] = {"_", ".", ":", "-",
	                                    "=", "+", "*", "#"};
	if (isnan(f))
		return " ";
	int i = (int)(f * 8);
	i = i < 0 ? 0 : i > 7 ? 7 : i;
	return u->utf8 ? blocks[i] : ascii[i];
}

/* ---------------------------------------------------------- frame */

static void draw_bottom(xt_ui *u)
{
	int y = LINES - 1;
	move(y, 0);
	clrtoeol();
	if (u->mode == M_FILTER) {
		xt_cprintw(
		    "Filter (name, id, UUID; Enter keeps, Esc clears): %s",
		    u->input);
		return;
	}
	if (u->mode == M_DELAY) {
		xt_cprintw("Delay(sec) [%g]: %s", u->o->delay_s, u->input);
		return;
	}
	hv_collector_stats st;
	hv_collector_stats_get(u->m->col, &st);
	const xt_row *r = xt_ui_sel_row(u);
	if (u->paused) {
		attron(A_BOLD);
		xt_cprintw("PAUSED (Z resumes)");
		attroff(A_BOLD);
		xt_cprintw("  %zu/%zu shown", u->t.nshow, u->t.n);
	} else if (u->status[0]) {
		xt_cprintw("%s", u->status);
	} else if (st.last_err.code) {
		xt_cattr(u, C_STALE, true);
		xt_cprintw("%s", st.last_err.msg);
		xt_cattr(u, C_STALE, false);
	} else if (r && r->d->note[0]) {
		xt_cprintw("%s: %s", r->d->name, r->d->note);
	} else {
		static const struct {
			char k;
			const char *rest;
			bool *flag;
		} * p, items[] = {{'D', "elay", NULL},  {'N', "etworks", NULL},
		                  {'B', " vbds", NULL}, {'V', "CPUs", NULL},
		                  {'S', "ort", NULL},   {'/', " filter", NULL},
		                  {'%', " cpu%", NULL}, {'c', "olumns", NULL},
		                  {'h', "elp", NULL},   {'Q', "uit", NULL}};
		bool flags[] = {false,          u->o->nets,
		                u->o->vbds,     u->o->vcpus,
		                false,          u->o->filter[0] != 0,
		                u->o->host_pct, false,
		                false,          false};
		move(y, 1);
		for (size_t i = 0; i < sizeof(items) / sizeof(items[0]); i++) {
			p = &items[i];
			attron(A_REVERSE);
			addch((chtype)(unsigned char)p->k);
			attroff(A_REVERSE);
			xt_cattr(u, flags[i] ? C_ON : 0, true);
			addstr(p->rest);
			xt_cattr(u, flags[i] ? C_ON : 0, false);
			addstr("  ");
		}
		xt_cprintw("%s%s  %s  %zu/%zu shown",
		           u->o->filter[0] ? "filter: " : "", u->o->filter,
		           u->o->host_pct ? "HOST(%): 100%=host"
		                          : "CPU(%): 100%=1 pCPU",
		           u->t.nshow, u->t.n);
	}
}

void xt_ui_render(xt_ui *u)
{
	if (u->dirty)
		rebuild(u);
	erase();
	if (!u->m->cur) {
		hv_collector_stats st;
		hv_collector_stats_get(u->m->col, &st);
		xt_cmvprintw(0, 0,
		             "xentop-ng: waiting for the first sample... %s",
		             st.last_err.msg);
	} else if (u->mode == M_HELP) {
		xt_ui_draw_help(u);
	} else if (u->mode == M_CHOOSER) {
		xt_ui_draw_chooser(u);
	} else {
		int y = xt_ui_draw_header(u);
		xt_ui_draw_table(u, y);
		draw_bottom(u);
	}
	refresh();
}

xt_ui *xt_ui_new(xt_machine *m, xt_opts *o, FILE *out, FILE *in,
                 const char *term)
{
	xt_ui *u = calloc(1, sizeof(*u));
	if (!u)
		return NULL;
	u->m = m;
	u->o = o;
	xt_table_init(&u->t);
	if (out) {
		u->scr = newterm(term, out, in);
		if (!u->scr) {
			free(u);
			return NULL;
		}
		set_term(u->scr);
		u->own_term = true;
	} else {
		initscr();
	}
	const char *cs = nl_langinfo(CODESET);
	u->utf8 = cs && !strcmp(cs, "UTF-8");
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	u->color = o->color && has_colors();
	if (u->color) {
		start_color();
		use_default_colors();
		init_pair(C_HDR, -1, -1);
		init_pair(C_LOW, COLOR_GREEN, -1);
		init_pair(C_MID, COLOR_YELLOW, -1);
		init_pair(C_HIGH, COLOR_RED, -1);
		init_pair(C_STALE, COLOR_MAGENTA, -1);
		init_pair(C_ON, -1, COLOR_YELLOW);
		init_pair(C_HEAT0, COLOR_GREEN, -1);
		init_pair(C_HEAT0 + 1, COLOR_YELLOW, -1);
		init_pair(C_HEAT0 + 2, COLOR_RED, -1);
	}
	if (o->mouse)
		mousemask(BUTTON1_CLICKED | BUTTON1_DOUBLE_CLICKED |
		              BUTTON4_PRESSED | BUTTON5_PRESSED,
		          NULL);
	set_columns(u);
	u->dirty = true;
	return u;
}

void xt_ui_free(xt_ui *u)
{
	if (!u)
		return;
	endwin();
	if (u->own_term)
		delscreen(u->scr);
	xt_table_free(&u->t);
	free(u);
}

int xt_tui_run(xt_machine *m, xt_opts *o, const char *config_path)
{
	hv_err e = {0};
	if (xt_machine_start(m, &e)) {
		fprintf(stderr, "xentop-ng: %s\n", e.msg);
		return 1;
	}
	xt_ui *u = xt_ui_new(m, o, NULL, NULL, NULL);
	if (!u) {
		fprintf(stderr, "xentop-ng: cannot start the screen\n");
		return 1;
	}
	u->cfg_path = config_path;
	long shown = 0;
	/* Wake often enough to pick up a new sample promptly; a wake-up
	 * without a new sample or a key costs one mutex and no drawing. */
	timeout(100);
	bool need = true;
	/* With xentop's 3 s default the first rates would take 3 s: take one
	 * extra sample half a second in (once; a slow source is bounded by
	 * the backend's own deadlines), so CPU(%) shows almost at once. */
	bool warm = o->replay || o->delay_s <= 0.75;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (!warm) {
			struct timespec t1;
			clock_gettime(CLOCK_MONOTONIC, &t1);
			if ((double)(t1.tv_sec - t0.tv_sec) +
			        (double)(t1.tv_nsec - t0.tv_nsec) / 1e9 >=
			    0.5) {
				warm = true;
				const hv_rates *r =
				    m->cur ? hv_snap_rates(m->cur) : NULL;
				if (m->cur && (!r || isnan(hv_rates_dt(r))))
					(void)hv_collector_step(m->col, NULL);
			}
		}
		if (u->paused)
			xt_machine_record(m);
		else if (xt_machine_poll(m)) {
			u->dirty = true;
			need = true;
			shown++;
		}
		if (need) {
			xt_ui_render(u);
			need = false;
			if (o->iterations && shown >= o->iterations)
				break;
		}
		int ch = getch();
		if (ch == ERR)
			continue;
		need = true;
		if (!xt_ui_key(u, ch))
			break;
	}
	xt_ui_save_columns(u);
	xt_ui_free(u);
	if (config_path) {
		char msg[300];
		if (xt_config_save(o, config_path, msg, sizeof(msg)))
			fprintf(stderr, "xentop-ng: %s\n", msg);
	}
	return 0;
}
