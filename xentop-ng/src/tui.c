/* SPDX-License-Identifier: MIT */
/* The interactive screen (ncursesw). Panels, top to bottom: the host header
 * (summary, pCPU heatmap, frequency and C-state line), the domain table
 * with optional per-domain expansion, and the bottom line (keys, prompt or
 * status). Keys are table-driven (keys[] below, which also writes the help
 * screen). A key redraws from the snapshot already held; only the
 * collector's thread samples. */
#include <curses.h>
#include <inttypes.h>
#include <langinfo.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "xt.h"

#define MAX_VIS 64
#define MAX_EXP 64
#define SPARK_N 12

enum ui_mode { M_NORMAL, M_FILTER, M_DELAY, M_HELP, M_CHOOSER };
enum { C_HDR = 1, C_LOW, C_MID, C_HIGH, C_STALE, C_ON, C_HEAT0 };

struct xt_ui {
	xt_machine *m;
	xt_opts *o;
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

static void cprintw(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void cprintw(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vclip(fmt, ap);
	va_end(ap);
}

static void cmvprintw(int y, int x, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void cmvprintw(int y, int x, const char *fmt, ...)
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

static void save_columns(xt_ui *u)
{
	size_t l = 0;
	if (!u->custom)
		return; /* keep following the defaults */
	u->o->columns[0] = 0;
	for (int i = 0; i < u->nvis; i++)
		l += (size_t)snprintf(u->o->columns + l,
		                      sizeof(u->o->columns) - l, "%s%s",
		                      i ? "," : "", xt_cols[u->vis[i]].name);
}

static xt_ctx ctx(const xt_ui *u)
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
	xt_ctx c = ctx(u);
	int sc = xt_col_find(u->o->sort);
	u->t.sort_col = sc < 0 ? 0 : sc;
	u->t.reverse = u->o->reverse;
	u->t.dom0_first = u->o->dom0_first;
	snprintf(u->t.filter, sizeof(u->t.filter), "%s", u->o->filter);
	xt_table_build(&u->t, u->m->cur, &c);
	u->dirty = false;
}

static bool expanded(const xt_ui *u, uint64_t key)
{
	for (int i = 0; i < u->nexp; i++)
		if (u->exp[i] == key)
			return true;
	return false;
}

static const xt_row *sel_row(const xt_ui *u)
{
	if (u->sel < 0 || (size_t)u->sel >= u->t.nshow)
		return NULL;
	return &u->t.rows[u->t.order[u->sel]];
}

static int pct_color(double v)
{
	if (isnan(v))
		return 0;
	return v >= 80 ? C_HIGH : v >= 30 ? C_MID : C_LOW;
}

static void cattr(xt_ui *u, int pair, bool on)
{
	if (!u->color || !pair)
		return;
	if (on)
		attron(COLOR_PAIR(pair));
	else
		attroff(COLOR_PAIR(pair));
}

/* A glyph for a level 0..1 (NAN: blank). */
static const char *glyph(const xt_ui *u, double f)
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

/* ---------------------------------------------------------- header */

/* Machine checks, only once there are any (a healthy host keeps its
 * header): totals, the pCPU with most corrected errors, pages offlined. */
static int mce_line(const hv_host *h, int y)
{
	uint64_t ce = 0, ue = 0, worst = 0;
	uint32_t wcpu = 0, off = 0;

	for (uint32_t k = 0; k < h->nr_pcpu; k++) {
		const hv_pcpu *p = &h->pcpu[k];
		if (hv_ok(p->ce_count)) {
			ce += p->ce_count.v;
			if (p->ce_count.v > worst) {
				worst = p->ce_count.v;
				wcpu = p->id;
			}
		}
		if (hv_ok(p->ue_count))
			ue += p->ue_count.v;
	}
	for (uint32_t i = 0; i < h->nr_page; i++)
		off += h->page[i].state != HV_PAGE_ONLINE &&
		       h->page[i].state != HV_PAGE_UNKNOWN;
	if (!ce && !ue && !h->nr_page)
		return y;
	cmvprintw(y, 0, "MCE: %llu corrected, %llu uncorrected",
	          (unsigned long long)ce, (unsigned long long)ue);
	if (worst)
		cprintw("  most on pCPU %u (%llu)", wcpu,
		        (unsigned long long)worst);
	cprintw("  pages: %u with errors, %u offline", h->nr_page, off);
	return y + 1;
}

static int draw_header(xt_ui *u)
{
	const hv_snap *s = u->m->cur;
	const hv_host *h = hv_snap_host(s);
	const hv_rates *rt = hv_snap_rates(s);
	const hv_host_rate *hr = rt ? hv_rates_host(rt) : NULL;
	int y = 0;
	char tbuf[16], up[32] = "-";
	time_t wt = (time_t)(hv_snap_wall_ns(s) / 1000000000);
	struct tm tm;
	localtime_r(&wt, &tm);
	strftime(tbuf, sizeof(tbuf), "%H:%M:%S", &tm);
	if (hv_ok(h->uptime_ns)) {
		uint64_t sec = h->uptime_ns.v / 1000000000;
		snprintf(up, sizeof(up),
		         "%" PRIu64 "d %02" PRIu64 ":%02" PRIu64, sec / 86400,
		         sec / 3600 % 24, sec / 60 % 60);
	}
	const char *bn = hv_backend_name(u->m->be);
	cmvprintw(y, 0, "xentop-ng - %s  %s  backend %s%s%s%s  up %s  %s%s",
	          tbuf, h->hostname, bn, strcmp(bn, h->backend) ? " (" : "",
	          strcmp(bn, h->backend) ? h->backend : "",
	          strcmp(bn, h->backend) ? ")" : "", up,
	          h->hv_version[0] ? "version " : "", h->hv_version);
	/* Stale: the collector has not delivered for three periods. */
	hv_collector_stats st;
	hv_collector_stats_get(u->m->col, &st);
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double age = ((double)now.tv_sec * 1e9 + (double)now.tv_nsec -
	              (double)hv_snap_wall_ns(s)) /
	             1e9;
	if (!u->o->replay && age > 3 * u->o->delay_s + 1) {
		cattr(u, C_STALE, true);
		attron(A_BOLD);
		cprintw("  STALE %.0fs", age);
		attroff(A_BOLD);
		cattr(u, C_STALE, false);
	}
	y++;
	unsigned run = 0, blk = 0, pau = 0, cra = 0, dyi = 0, shu = 0;
	size_t nd = hv_snap_ndom(s);
	for (size_t i = 0; i < nd; i++) {
		uint32_t st2 = hv_snap_dom(s, i)->state;
		if (st2 & HV_DS_RUNNING)
			run++;
		else if (st2 & HV_DS_BLOCKED)
			blk++;
		else if (st2 & HV_DS_PAUSED)
			pau++;
		else if (st2 & (HV_DS_SHUTDOWN | HV_DS_SHUTOFF))
			shu++;
		else if (st2 & HV_DS_CRASHED)
			cra++;
		else if (st2 & HV_DS_DYING)
			dyi++;
	}
	cmvprintw(y++, 0,
	          "%zu domains: %u running, %u blocked, %u paused, %u crashed, "
	          "%u dying, %u shutdown",
	          nd, run, blk, pau, cra, dyi, shu);
	uint32_t on = 0, off = 0;
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		if (h->pcpu[i].online == 0)
			off++;
		else
			on++;
	}
	char tot[16] = "-", used[16] = "-", fre[16] = "-";
	if (hv_ok(h->mem_total_kib))
		xt_human((double)h->mem_total_kib.v * 1024, tot, sizeof(tot));
	if (hv_ok(h->mem_free_kib)) {
		xt_human((double)h->mem_free_kib.v * 1024, fre, sizeof(fre));
		if (hv_ok(h->mem_total_kib))
			xt_human(
			    (double)(h->mem_total_kib.v - h->mem_free_kib.v) *
			        1024,
			    used, sizeof(used));
	}
	cmvprintw(y, 0,
	          "Mem: %sB total, %sB used, %sB free   CPUs: %u online, "
	          "%u offline",
	          tot, used, fre, on, off);
	if (h->cpu_khz)
		cprintw(" @ %uMHz", h->cpu_khz / 1000);
	if (hr && !isnan(hr->busy_pct))
		cprintw("  busy %.1f%%", hr->busy_pct);
	if (hr && !isnan(hr->pkg_watts))
		cprintw("  RAPL %.1f W", hr->pkg_watts);
	else
		cprintw("  RAPL -");
	y++;

	/* pCPU heatmap: one cell per pCPU, or per group of pCPUs when there
	 * are more than fit in three lines (256+ pCPU hosts). */
	static const char *const hm_name[] = {"busy", "freq", "deepC"};
	int w = COLS - 7;
	if (h->nr_pcpu && w > 8) {
		uint32_t per =
		    (h->nr_pcpu + (uint32_t)w * 3 - 1) / ((uint32_t)w * 3);
		if (per < 1)
			per = 1;
		uint32_t cells = (h->nr_pcpu + per - 1) / per;
		cmvprintw(y, 0, "%-6s", hm_name[u->o->heatmap]);
		int x = 7;
		for (uint32_t cidx = 0; cidx < cells; cidx++) {
			double sum = 0;
			int n = 0;
			for (uint32_t k = cidx * per;
			     k < (cidx + 1) * per && k < h->nr_pcpu; k++) {
				const hv_pcpu *p = &h->pcpu[k];
				const hv_pcpu_rate *pr =
				    hr && k < hr->nr_pcpu ? &hr->pcpu[k] : NULL;
				double v = NAN;
				if (u->o->heatmap == 0 && pr)
					v = pr->busy_pct / 100;
				else if (u->o->heatmap == 1 &&
				         hv_ok(p->cur_khz) &&
				         hv_ok(p->hw_max_khz) &&
				         p->hw_max_khz.v)
					v = (double)p->cur_khz.v /
					    (double)p->hw_max_khz.v;
				else if (u->o->heatmap == 2 && pr &&
				         p->nr_cstate)
					v = pr->cstate_pct[p->nr_cstate - 1] /
					    100;
				if (!isnan(v)) {
					sum += v;
					n++;
				}
			}
			double v = n ? sum / n : NAN;
			if (x >= COLS) {
				y++;
				x = 7;
			}
			int pair =
			    isnan(v) ? 0 : C_HEAT0 + (v >= .8) + (v >= .3);
			cattr(u, pair, true);
			mvaddstr(y, x++, glyph(u, v));
			cattr(u, pair, false);
		}
		if (per > 1)
			cprintw(" (%u pCPUs/cell)", per);
		y++;
	}
	/* Frequency and C-state residency, averaged over online pCPUs. */
	double khz = 0, cs[HV_CSTATE_MAX] = {0};
	int nk = 0, nc = 0;
	const hv_pcpu *p0 = h->nr_pcpu ? &h->pcpu[0] : NULL;
	for (uint32_t k = 0; k < h->nr_pcpu; k++) {
		const hv_pcpu *p = &h->pcpu[k];
		if (hv_ok(p->cur_khz)) {
			khz += (double)p->cur_khz.v;
			nk++;
		}
		if (hr && k < hr->nr_pcpu && p->nr_cstate &&
		    !isnan(hr->pcpu[k].cstate_pct[0])) {
			for (uint32_t j = 0; j < p->nr_cstate; j++)
				cs[j] += hr->pcpu[k].cstate_pct[j];
			nc++;
		}
	}
	move(y, 0);
	if (nk)
		cprintw("Freq avg %.2f GHz", khz / nk / 1e6);
	else
		cprintw("Freq -");
	cprintw("   C-states:");
	if (nc && p0) {
		for (uint32_t j = 0; j < p0->nr_cstate; j++)
			cprintw(" %s %.0f%%", p0->cstate[j].name, cs[j] / nc);
	} else {
		cprintw(" -");
	}
	y++;
	y = mce_line(h, y);
	return y;
}

/* ---------------------------------------------------------- table */

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
	return col->width;
}

static const char *col_header(const xt_ui *u, int ci)
{
	if (!strcmp(xt_cols[ci].name, "cpu_pct"))
		return u->o->host_pct ? "HOST(%)" : "CPU(%)";
	return xt_cols[ci].header;
}

static void draw_spark(xt_ui *u, const hv_dom *d, hv_snap **hist, size_t nh,
                       int y, int x, int w)
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
		int pair = pct_color(v / (d->nr_vcpus ? d->nr_vcpus : 1));
		cattr(u, pair, true);
		addstr(glyph(u, v / scale));
		cattr(u, pair, false);
	}
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
			cmvprintw(y, 2, "vCPU%-3u %s", v->id,
			          v->online ? "online " : "offline");
			if (hv_ok(v->time_ns))
				cprintw("  time %8" PRIu64 "s",
				        v->time_ns.v / 1000000000);
			else
				cprintw("  time %8s ", "-");
			cprintw("  cpu ");
			cattr(u, pct_color(cp), true);
			if (isnan(cp))
				cprintw("%6s", "-");
			else
				cprintw("%5.1f%%", cp);
			cattr(u, pct_color(cp), false);
			if (vr && !isnan(vr->steal_pct))
				cprintw("  steal %5.1f%%", vr->steal_pct);
			else
				cprintw("  steal %6s", "-");
			if (v->pcpu >= 0)
				cprintw("  on pCPU %d", v->pcpu);
			y++;
		}
	}
	if (all || u->o->nets) {
		for (uint32_t i = 0; i < d->nr_net && y < maxy; i++) {
			const hv_net *n = &d->net[i];
			const hv_net_rate *nr =
			    dr && dr->net ? &dr->net[i] : NULL;
			xt_human(nr ? nr->rx_Bps : NAN, a, sizeof(a));
			xt_human(nr ? nr->tx_Bps : NAN, b, sizeof(b));
			xt_human(hv_ok(n->rx_bytes) ? (double)n->rx_bytes.v
			                            : NAN,
			         c2, sizeof(c2));
			xt_human(hv_ok(n->tx_bytes) ? (double)n->tx_bytes.v
			                            : NAN,
			         d2, sizeof(d2));
			cmvprintw(y++, 2,
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
			xt_human(br ? br->rd_Bps : NAN, a, sizeof(a));
			xt_human(br ? br->wr_Bps : NAN, b, sizeof(b));
			xt_human(br ? br->rd_iops : NAN, c2, sizeof(c2));
			xt_human(br ? br->wr_iops : NAN, d2, sizeof(d2));
			cmvprintw(y, 2,
			          "VBD %-18.18s RD %6sB/s %5s IOPS  WR %6sB/s "
			          "%5s IOPS",
			          k->name, a, c2, b, d2);
			if (br && !isnan(br->rd_lat_ms))
				cprintw("  lat r %.2fms w %.2fms",
				        br->rd_lat_ms, br->wr_lat_ms);
			y++;
		}
	}
	return y;
}

static void draw_table(xt_ui *u, int y0)
{
	xt_ctx c = ctx(u);
	int maxy = LINES - 1;
	char cell[160];
	int wid[MAX_VIS];
	hv_snap *hist[SPARK_N + 1];
	size_t nh = 0;
	bool spark = false;
	/* With the default columns, hide IPC/LLC/MBW/WATTS while no domain
	 * has the figure (no perf, resctrl or RAPL here); chosen columns are
	 * always drawn. */
	u->ndvis = 0;
	for (int i = 0; i < u->nvis; i++) {
		const xt_col *col = &xt_cols[u->vis[i]];
		bool any = !(col->flags & XT_COL_AUTO) || u->custom;
		for (size_t k = 0; !any && k < u->t.nshow && k < 256; k++)
			any = !isnan(col->num(&u->t.rows[u->t.order[k]], &c));
		if (any)
			u->dvis[u->ndvis++] = u->vis[i];
	}
	for (int i = 0; i < u->ndvis; i++) {
		wid[i] = col_width(u, u->dvis[i]);
		spark |= (xt_cols[u->dvis[i]].flags & XT_COL_SPARK) != 0;
	}
	if (spark)
		nh = hv_collector_history(u->m->col, hist, SPARK_N);

	/* Header, reverse video; sort column bold and marked. */
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
		if (sorted) {
			attroff(A_BOLD);
		}
		x += wid[i] + 1;
	}
	u->hdr_x[u->ndvis] = x;
	attroff(A_REVERSE);

	for (int i = 0; i < 512; i++)
		u->row_at[i] = -1;
	/* Keep the selection visible. */
	long rows_avail = maxy - y0 - 1;
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
		x = 0;
		for (int i = 0; i < u->ndvis && x < COLS; i++) {
			int ci = u->dvis[i];
			const xt_col *col = &xt_cols[ci];
			if (col->flags & XT_COL_SPARK) {
				draw_spark(u, r->d, hist, nh, y, x,
				           wid[i] < COLS - x ? wid[i]
				                             : COLS - x);
			} else {
				xt_cell(col, r, &c, wid[i],
				        col->flags & XT_COL_LEFT, cell,
				        sizeof(cell));
				int pair = 0;
				if (!strcmp(col->name, "cpu_pct") ||
				    !strcmp(col->name, "steal"))
					pair = pct_color(
					    col->num(r, &c) /
					    (u->o->host_pct ||
					             !strcmp(col->name, "steal")
					         ? 1
					         : (r->d->nr_vcpus
					                ? r->d->nr_vcpus
					                : 1)));
				if (is_sel)
					pair = 0;
				cattr(u, pair, true);
				mvaddnstr(y, x, cell,
				          wid[i] < COLS - x ? wid[i]
				                            : COLS - x);
				cattr(u, pair, false);
			}
			x += wid[i] + 1;
		}
		if (r->d->stale && x < COLS - 2) {
			cattr(u, C_STALE, true);
			mvaddnstr(y, x, "stale", COLS - x);
			cattr(u, C_STALE, false);
		}
		if (r->d->stale)
			attroff(A_DIM);
		if (is_sel)
			attroff(A_REVERSE);
		y++;
		bool ex = expanded(u, r->d->key);
		if (ex || u->o->vcpus || u->o->nets || u->o->vbds)
			y = draw_sub(u, y, maxy, r, ex);
	}
	for (size_t j = 0; j < nh; j++)
		hv_snap_unref(hist[j]);
}

/* ---------------------------------------------------------- keys */

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
	snprintf(u->o->sort, sizeof(u->o->sort), "%s", xt_cols[ci].name);
	u->dirty = true;
}
static int vis_index(xt_ui *u, int ci)
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
	snprintf(u->o->sort, sizeof(u->o->sort), "%s", xt_cols[u->vis[i]].name);
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
	const xt_row *r = sel_row(u);
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

static const char *cfg_path_global; /* set by xt_tui_run, read by W */

static void k_write(xt_ui *u)
{
	save_columns(u);
	if (!cfg_path_global) {
		snprintf(u->status, sizeof(u->status),
		         "no config file (--no-config or no HOME)");
		return;
	}
	xt_config_save(u->o, cfg_path_global, u->status, sizeof(u->status));
}

static void draw_help(xt_ui *u)
{
	int y = 0;
	(void)u;
	attron(A_BOLD);
	cmvprintw(y++, 0, "xentop-ng %s - keys (any key returns)", XT_VERSION);
	attroff(A_BOLD);
	for (size_t i = 0; i < NKEYS && y < LINES - 4; i++)
		cmvprintw(y++, 2, "%-8s %s", keys[i].label, keys[i].help);
	y++;
	cmvprintw(y++, 0,
	          "CPU(%%): 100%% = one pCPU busy (xentop); HOST(%%): "
	          "100%% = every online pCPU.");
	cmvprintw(y++, 0,
	          "'-' = missing (reason in the status line for the "
	          "selected domain); dim 'stale' = a source missed "
	          "its deadline.");
}

static void draw_chooser(xt_ui *u)
{
	int y = 0;
	attron(A_BOLD);
	cmvprintw(y++, 0,
	          "Columns: Up/Down move, Space toggles, Esc/Enter "
	          "done");
	attroff(A_BOLD);
	int first = u->csel > LINES - 4 ? u->csel - (LINES - 4) : 0;
	for (size_t i = (size_t)first; i < xt_ncols && y < LINES - 1; i++) {
		bool on = vis_index(u, (int)i) >= 0;
		if ((int)i == u->csel)
			attron(A_REVERSE);
		cmvprintw(y++, 2, "[%c] %-12s %s", on ? 'x' : ' ',
		          xt_cols[i].header, xt_cols[i].help);
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
		save_columns(u);
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

/* ---------------------------------------------------------- frame */

static void draw_bottom(xt_ui *u)
{
	int y = LINES - 1;
	move(y, 0);
	clrtoeol();
	if (u->mode == M_FILTER) {
		cprintw("Filter (name, id, UUID; Enter keeps, Esc clears): %s",
		        u->input);
		return;
	}
	if (u->mode == M_DELAY) {
		cprintw("Delay(sec) [%g]: %s", u->o->delay_s, u->input);
		return;
	}
	hv_collector_stats st;
	hv_collector_stats_get(u->m->col, &st);
	const xt_row *r = sel_row(u);
	if (u->paused) {
		attron(A_BOLD);
		cprintw("PAUSED (Z resumes)");
		attroff(A_BOLD);
		cprintw("  %zu/%zu shown", u->t.nshow, u->t.n);
	} else if (u->status[0]) {
		cprintw("%s", u->status);
	} else if (st.last_err.code) {
		cattr(u, C_STALE, true);
		cprintw("%s", st.last_err.msg);
		cattr(u, C_STALE, false);
	} else if (r && r->d->note[0]) {
		cprintw("%s: %s", r->d->name, r->d->note);
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
			cattr(u, flags[i] ? C_ON : 0, true);
			addstr(p->rest);
			cattr(u, flags[i] ? C_ON : 0, false);
			addstr("  ");
		}
		cprintw("%s%s  %s  %zu/%zu shown",
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
		cmvprintw(0, 0, "xentop-ng: waiting for the first sample... %s",
		          st.last_err.msg);
	} else if (u->mode == M_HELP) {
		draw_help(u);
	} else if (u->mode == M_CHOOSER) {
		draw_chooser(u);
	} else {
		int y = draw_header(u);
		draw_table(u, y);
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
	cfg_path_global = config_path;
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
	save_columns(u);
	xt_ui_free(u);
	if (config_path) {
		char msg[300];
		if (xt_config_save(o, config_path, msg, sizeof(msg)))
			fprintf(stderr, "xentop-ng: %s\n", msg);
	}
	return 0;
}
