/* SPDX-License-Identifier: MIT */
/* The screen's header panel: summary line (time, host, backend, uptime,
 * STALE), domains by state, memory and pCPUs, the pCPU heatmap, and the
 * frequency and C-state meters. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "tui.h"

static void title_line(xt_ui *u, const hv_snap *s, const hv_host *h)
{
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
	bool other = strcmp(bn, h->backend) != 0; /* replay (kvm) */
	xt_cmvprintw(0, 0, "xentop-ng - %s  %s  backend %s%s%s%s  up %s  %s%s",
	             tbuf, h->hostname, bn, other ? " (" : "",
	             other ? h->backend : "", other ? ")" : "", up,
	             h->hv_version[0] ? "version " : "", h->hv_version);
	if (h->arch[0])
		xt_cprintw("  %s%s%s", h->arch, h->cpu_model[0] ? " " : "",
		           h->cpu_model);
	/* Stale: the collector has not delivered for three periods. */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double age = ((double)now.tv_sec * 1e9 + (double)now.tv_nsec -
	              (double)hv_snap_wall_ns(s)) /
	             1e9;
	if (!u->o->replay && age > 3 * u->o->delay_s + 1) {
		xt_cattr(u, C_STALE, true);
		attron(A_BOLD);
		xt_cprintw("  STALE %.0fs", age);
		attroff(A_BOLD);
		xt_cattr(u, C_STALE, false);
	}
}

static void states_line(int y, const hv_snap *s)
{
	unsigned run = 0, blk = 0, pau = 0, cra = 0, dyi = 0, shu = 0;
	size_t nd = hv_snap_ndom(s);
	for (size_t i = 0; i < nd; i++) {
		uint32_t st = hv_snap_dom(s, i)->state;
		if (st & HV_DS_RUNNING)
			run++;
		else if (st & HV_DS_BLOCKED)
			blk++;
		else if (st & HV_DS_PAUSED)
			pau++;
		else if (st & (HV_DS_SHUTDOWN | HV_DS_SHUTOFF))
			shu++;
		else if (st & HV_DS_CRASHED)
			cra++;
		else if (st & HV_DS_DYING)
			dyi++;
	}
	xt_cmvprintw(y, 0,
	             "%zu domains: %u running, %u blocked, %u paused, %u "
	             "crashed, %u dying, %u shutdown",
	             nd, run, blk, pau, cra, dyi, shu);
}

static void mem_line(int y, const hv_host *h, const hv_host_rate *hr)
{
	uint32_t on = 0, off = 0;
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		if (h->pcpu[i].online == 0)
			off++;
		else
			on++;
	}
	char tot[16] = "-", used[16] = "-", fre[16] = "-";
	if (hv_ok(h->mem_total_kib))
		hv_fmt_human((double)h->mem_total_kib.v * 1024, tot,
		             sizeof(tot));
	if (hv_ok(h->mem_free_kib)) {
		hv_fmt_human((double)h->mem_free_kib.v * 1024, fre,
		             sizeof(fre));
		if (hv_ok(h->mem_total_kib))
			hv_fmt_human(
			    (double)(h->mem_total_kib.v - h->mem_free_kib.v) *
			        1024,
			    used, sizeof(used));
	}
	xt_cmvprintw(y, 0,
	             "Mem: %sB total, %sB used, %sB free   CPUs: %u online, "
	             "%u offline",
	             tot, used, fre, on, off);
	if (hr && !isnan(hr->busy_pct))
		xt_cprintw("  busy %.1f%%", hr->busy_pct);
	/* The source named: RAPL, hwmon (counters) or hwmon~ (power
	 * readings, so attributed energy is an estimate); "power -" with
	 * none, the reason being in hvctl energy and /api/v1. */
	if (hr && !isnan(hr->host_watts))
		xt_cprintw("  %s %.1f W",
		           hr->energy_src == HV_ESRC_RAPL          ? "RAPL"
		           : hr->energy_src == HV_ESRC_HWMON_POWER ? "hwmon~"
		                                                   : "hwmon",
		           hr->host_watts);
	else
		xt_cprintw("  %s -", hr && hr->energy_src == HV_ESRC_RAPL
		                         ? "RAPL"
		                         : "power");
}

/* Level 0..1 of one pCPU for the heatmap mode (NAN unknown). */
static double heat_of(int mode, const hv_pcpu *p, const hv_pcpu_rate *pr)
{
	if (mode == 0 && pr)
		return pr->busy_pct / 100;
	if (mode == 1 && hv_ok(p->cur_khz) && hv_ok(p->hw_max_khz) &&
	    p->hw_max_khz.v)
		return (double)p->cur_khz.v / (double)p->hw_max_khz.v;
	if (mode == 2 && pr && p->nr_cstate)
		return pr->cstate_pct[p->nr_cstate - 1] / 100;
	return NAN;
}

/* One cell per pCPU, or per group of pCPUs when there are more than fit
 * in three lines (256+ pCPU hosts). */
static int heatmap(xt_ui *u, int y, const hv_host *h, const hv_host_rate *hr)
{
	static const char *const hm_name[] = {"busy", "freq", "deepC"};
	int w = COLS - 7;
	if (!h->nr_pcpu || w <= 8)
		return y;
	uint32_t per = (h->nr_pcpu + (uint32_t)w * 3 - 1) / ((uint32_t)w * 3);
	if (per < 1)
		per = 1;
	uint32_t cells = (h->nr_pcpu + per - 1) / per;
	xt_cmvprintw(y, 0, "%-6s", hm_name[u->o->heatmap]);
	int x = 7;
	for (uint32_t cidx = 0; cidx < cells; cidx++) {
		double sum = 0;
		int n = 0;
		for (uint32_t k = cidx * per;
		     k < (cidx + 1) * per && k < h->nr_pcpu; k++) {
			const hv_pcpu_rate *pr =
			    hr && k < hr->nr_pcpu ? &hr->pcpu[k] : NULL;
			double v = heat_of(u->o->heatmap, &h->pcpu[k], pr);
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
		int pair = isnan(v) ? 0 : C_HEAT0 + (v >= .8) + (v >= .3);
		xt_cattr(u, pair, true);
		mvaddstr(y, x++, xt_glyph(u, v));
		xt_cattr(u, pair, false);
	}
	if (per > 1)
		xt_cprintw(" (%u pCPUs/cell)", per);
	return y + 1;
}

/* Frequency and C-state residency, averaged over online pCPUs. */
static void meters_line(int y, const hv_host *h, const hv_host_rate *hr)
{
	double khz = 0, cs[HV_CSTATE_MAX] = {0};
	int nk = 0, nc = 0;
	const hv_pcpu *p0 = h->nr_pcpu ? &h->pcpu[0] : NULL;
	for (uint32_t k = 0; k < h->nr_pcpu; k++) {
		const hv_pcpu *p = &h->pcpu[k];
		/* The one frequency figure: the mean of what the pCPU rows
		 * (-p) show for the online pCPUs, not the nominal clock. */
		if (p->online != 0 && hv_ok(p->cur_khz)) {
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
		xt_cprintw("Freq avg %.2f GHz", khz / nk / 1e6);
	else
		xt_cprintw("Freq -");
	xt_cprintw("   C-states:");
	if (nc && p0) {
		for (uint32_t j = 0; j < p0->nr_cstate; j++)
			xt_cprintw(" %s %.0f%%", p0->cstate[j].name,
			           cs[j] / nc);
	} else {
		xt_cprintw(" -");
	}
}

/* Machine checks, only once there are any (a healthy host keeps its
 * header): totals, the pCPU with most corrected errors, pages offlined. */
static int mce_line(int y, const hv_host *h)
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
	xt_cmvprintw(y, 0, "MCE: %llu corrected, %llu uncorrected",
	             (unsigned long long)ce, (unsigned long long)ue);
	if (worst)
		xt_cprintw("  most on pCPU %u (%llu)", wcpu,
		           (unsigned long long)worst);
	xt_cprintw("  pages: %u with errors, %u offline", h->nr_page, off);
	return y + 1;
}

int xt_ui_draw_header(xt_ui *u)
{
	const hv_snap *s = u->m->cur;
	const hv_host *h = hv_snap_host(s);
	const hv_rates *rt = hv_snap_rates(s);
	const hv_host_rate *hr = rt ? hv_rates_host(rt) : NULL;
	int y = 0;
	title_line(u, s, h);
	states_line(++y, s);
	mem_line(++y, h, hr);
	y = heatmap(u, ++y, h, hr);
	meters_line(y++, h, hr);
	y = mce_line(y, h);
	return y;
}
