/* SPDX-License-Identifier: MIT */
/* The screen's domain table: the chosen columns (default ones without data
 * hidden), a sortable header, one row per domain with CPU sparklines, and
 * the expansion rows (vCPUs, NICs, disks) of an expanded domain. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tui.h"

static int col_width(const xt_ui *u, int ci)
{
	const xt_col *col = &xt_cols[ci];
	if (ci == 0) { /* NAME: as wide as the longest shown, 10..24 */
		size_t w = 10;
		for (size_t k = 0; k < u->t.nshow && k < 4096; k++) {
			size_t l = strlen(u->t.rows[u->t.order[k]].d->name);
			if (l > w)
				w = l;
		}
		return w > 24 ? 24 : (int)w;
	}
	if (col->flags & XT_COL_SPARK)
		return SPARK_N;
	return xt_col_width(col);
}

static const char *col_header(const xt_ui *u, int ci)
{
	if (!strcmp(xt_col_name(&xt_cols[ci]), "cpu_pct"))
		return u->o->host_pct ? "HOST(%)" : "CPU(%)";
	return xt_col_header(&xt_cols[ci]);
}

static void draw_spark(xt_ui *u, const hv_dom *d, hv_snap *const *hist,
                       size_t nh, int y, int x, int w)
{
	double scale = (d->nr_vcpus ? d->nr_vcpus : 1) * 100.0;
	if (w <= 0)
		return;
	size_t start = nh > (size_t)w ? nh - (size_t)w : 0;
	move(y, x);
	for (size_t j = start; j < nh; j++) {
		const hv_dom *hd = hv_snap_find_key(hist[j], d->key);
		const hv_dom_rate *r = hd ? hv_rates_for(hist[j], hd) : NULL;
		double v = r ? r->cpu_pct : NAN;
		int pair = xt_pct_color(v / (d->nr_vcpus ? d->nr_vcpus : 1));
		xt_cattr(u, pair, true);
		addstr(xt_glyph(u, v / scale));
		xt_cattr(u, pair, false);
	}
}

/* KVM exits of the vCPU per second (its binary stats fd), when known. */
static void draw_vcpu_exits(const hv_vcpu *v, const hv_vcpu_rate *vr)
{
	char a[16], b[16];

	if (!hv_ok(v->kvm_exits))
		return;
	hv_fmt_human(vr ? vr->kvm_exits_ps : NAN, a, sizeof(a));
	hv_fmt_human(vr ? vr->kvm_wait_ps : NAN, b, sizeof(b));
	xt_cprintw("  exits %6s/s  wait %6s/s", a, b);
}

static int draw_sub(xt_ui *u, int y, int maxy, const xt_row *r, bool all)
{
	const hv_dom *d = r->d;
	const hv_dom_rate *dr = r->r;
	char a[16], b[16], c2[16], d2[16];
	if (all || u->o->vcpus) {
		for (uint32_t i = 0; i < d->nr_vcpu && y < maxy; i++) {
			const hv_vcpu *v = &d->vcpu[i];
			const hv_vcpu_rate *vr =
			    dr && dr->vcpu ? &dr->vcpu[i] : NULL;
			double cp = vr ? vr->cpu_pct : NAN;
			xt_cmvprintw(y, 2, "vCPU%-3u %s", v->id,
			             v->online ? "online " : "offline");
			if (hv_ok(v->time_ns))
				xt_cprintw("  time %8" PRIu64 "s",
				           v->time_ns.v / 1000000000);
			else
				xt_cprintw("  time %8s ", "-");
			xt_cprintw("  cpu ");
			xt_cattr(u, xt_pct_color(cp), true);
			if (isnan(cp))
				xt_cprintw("%6s", "-");
			else
				xt_cprintw("%5.1f%%", cp);
			xt_cattr(u, xt_pct_color(cp), false);
			if (vr && !isnan(vr->steal_pct))
				xt_cprintw("  steal %5.1f%%", vr->steal_pct);
			else
				xt_cprintw("  steal %6s", "-");
			if (v->pcpu >= 0)
				xt_cprintw("  on pCPU %d", v->pcpu);
			draw_vcpu_exits(v, vr);
			y++;
		}
	}
	if (all || u->o->nets) {
		for (uint32_t i = 0; i < d->nr_net && y < maxy; i++) {
			const hv_net *n = &d->net[i];
			const hv_net_rate *nr =
			    dr && dr->net ? &dr->net[i] : NULL;
			hv_fmt_human(nr ? nr->rx_Bps : NAN, a, sizeof(a));
			hv_fmt_human(nr ? nr->tx_Bps : NAN, b, sizeof(b));
			hv_fmt_human(hv_ok(n->rx_bytes) ? (double)n->rx_bytes.v
			                                : NAN,
			             c2, sizeof(c2));
			hv_fmt_human(hv_ok(n->tx_bytes) ? (double)n->tx_bytes.v
			                                : NAN,
			             d2, sizeof(d2));
			xt_cmvprintw(
			    y++, 2,
			    "Net%u %-10s RX %6sB/s total %6sB  TX %6sB/s "
			    "total %6sB",
			    i, n->name, a, c2, b, d2);
		}
	}
	if (all || u->o->vbds) {
		for (uint32_t i = 0; i < d->nr_blk && y < maxy; i++) {
			const hv_blk *k = &d->blk[i];
			const hv_blk_rate *br =
			    dr && dr->blk ? &dr->blk[i] : NULL;
			hv_fmt_human(br ? br->rd_Bps : NAN, a, sizeof(a));
			hv_fmt_human(br ? br->wr_Bps : NAN, b, sizeof(b));
			hv_fmt_human(br ? br->rd_iops : NAN, c2, sizeof(c2));
			hv_fmt_human(br ? br->wr_iops : NAN, d2, sizeof(d2));
			xt_cmvprintw(
			    y, 2,
			    "VBD %-18.18s RD %6sB/s %5s IOPS  WR %6sB/s "
			    "%5s IOPS",
			    k->name, a, c2, b, d2);
			if (br && !isnan(br->rd_lat_ms))
				xt_cprintw("  lat r %.2fms w %.2fms",
				           br->rd_lat_ms, br->wr_lat_ms);
			y++;
		}
	}
	return y;
}

/* With the default columns, hide IPC/LLC/MBW/WATTS while no domain has
 * the figure (no perf, resctrl or RAPL here); chosen columns are always
 * drawn. Fills dvis and the widths; true when a sparkline is shown. */
static bool drawn_columns(xt_ui *u, const xt_ctx *c, int *wid)
{
	bool spark = false;
	u->ndvis = 0;
	for (int i = 0; i < u->nvis; i++) {
		const xt_col *col = &xt_cols[u->vis[i]];
		bool any = !(col->flags & XT_COL_AUTO) || u->custom;
		for (size_t k = 0; !any && k < u->t.nshow && k < 256; k++)
			any = !isnan(
			    xt_col_num(col, &u->t.rows[u->t.order[k]], c));
		if (any)
			u->dvis[u->ndvis++] = u->vis[i];
	}
	for (int i = 0; i < u->ndvis; i++) {
		wid[i] = col_width(u, u->dvis[i]);
		spark |= (xt_cols[u->dvis[i]].flags & XT_COL_SPARK) != 0;
	}
	return spark;
}

/* Header, reverse video; sort column bold. Remembers where each column
 * starts for mouse clicks. */
static void table_header(xt_ui *u, int y0, const int *wid)
{
	char cell[160];
	u->hdr_y = y0;
	attron(A_REVERSE);
	move(y0, 0);
	hline(' ', COLS);
	int x = 0;
	for (int i = 0; i < u->ndvis && x < COLS; i++) {
		int ci = u->dvis[i];
		bool sorted = ci == u->t.sort_col;
		u->hdr_x[i] = x;
		if (sorted)
			attron(A_BOLD);
		if (xt_cols[ci].flags & XT_COL_LEFT)
			snprintf(cell, sizeof(cell), "%-*s", wid[i],
			         col_header(u, ci));
		else
			snprintf(cell, sizeof(cell), "%*s", wid[i],
			         col_header(u, ci));
		mvaddnstr(y0, x, cell, COLS - x);
		if (sorted)
			attroff(A_BOLD);
		x += wid[i] + 1;
	}
	u->hdr_x[u->ndvis] = x;
	attroff(A_REVERSE);
}

/* Keep the selection on screen. */
static void scroll_to_sel(xt_ui *u, long rows_avail)
{
	if (u->sel >= (long)u->t.nshow)
		u->sel = (long)u->t.nshow - 1;
	if (u->sel < 0)
		u->sel = 0;
	if (u->sel < u->top)
		u->top = u->sel;
	if (u->sel >= u->top + rows_avail)
		u->top = u->sel - rows_avail + 1;
	if (u->top < 0)
		u->top = 0;
}

/* CPU(%) and STEAL% coloured by load: CPU(%) per vCPU unless HOST(%). */
static int cell_color(const xt_ui *u, const xt_col *col, const xt_row *r,
                      const xt_ctx *c)
{
	bool steal = !strcmp(xt_col_name(col), "steal");
	if (!steal && strcmp(xt_col_name(col), "cpu_pct"))
		return 0;
	double div =
	    u->o->host_pct || steal ? 1 : (r->d->nr_vcpus ? r->d->nr_vcpus : 1);
	return xt_pct_color(xt_col_num(col, r, c) / div);
}

typedef struct hist {
	hv_snap *s[SPARK_N + 1];
	size_t n;
} hist;

/* One domain's row; returns the column after the last cell. */
static int table_row(xt_ui *u, int y, const xt_row *r, bool is_sel,
                     const int *wid, const hist *h, const xt_ctx *c)
{
	char cell[160];
	int x = 0;
	for (int i = 0; i < u->ndvis && x < COLS; i++) {
		const xt_col *col = &xt_cols[u->dvis[i]];
		int w = wid[i] < COLS - x ? wid[i] : COLS - x;
		if (col->flags & XT_COL_SPARK) {
			draw_spark(u, r->d, h->s, h->n, y, x, w);
		} else {
			xt_cell(col, r, c, wid[i], col->flags & XT_COL_LEFT,
			        cell, sizeof(cell));
			int pair = is_sel ? 0 : cell_color(u, col, r, c);
			xt_cattr(u, pair, true);
			mvaddnstr(y, x, cell, w);
			xt_cattr(u, pair, false);
		}
		x += wid[i] + 1;
	}
	return x;
}

void xt_ui_draw_table(xt_ui *u, int y0)
{
	xt_ctx c = xt_ui_ctx(u);
	int maxy = LINES - 1;
	int wid[MAX_VIS];
	hist h = {.n = 0};
	if (drawn_columns(u, &c, wid))
		h.n = hv_collector_history(u->m->col, h.s, SPARK_N);
	table_header(u, y0, wid);
	for (int i = 0; i < 512; i++)
		u->row_at[i] = -1;
	scroll_to_sel(u, maxy - y0 - 1);

	int y = y0 + 1;
	for (long k = u->top; k < (long)u->t.nshow && y < maxy; k++) {
		const xt_row *r = &u->t.rows[u->t.order[k]];
		bool is_sel = k == u->sel;
		if (y < 512)
			u->row_at[y] = k;
		if (is_sel)
			attron(A_REVERSE);
		if (r->d->stale)
			attron(A_DIM);
		move(y, 0);
		if (is_sel)
			hline(' ', COLS);
		int x = table_row(u, y, r, is_sel, wid, &h, &c);
		if (r->d->stale && x < COLS - 2) {
			xt_cattr(u, C_STALE, true);
			mvaddnstr(y, x, "stale", COLS - x);
			xt_cattr(u, C_STALE, false);
		}
		if (r->d->stale)
			attroff(A_DIM);
		if (is_sel)
			attroff(A_REVERSE);
		y++;
		bool ex = xt_ui_expanded(u, r->d->key);
		if (ex || u->o->vcpus || u->o->nets || u->o->vbds)
			y = draw_sub(u, y, maxy, r, ex);
	}
	for (size_t j = 0; j < h.n; j++)
		hv_snap_unref(h.s[j]);
}
