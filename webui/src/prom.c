/* SPDX-License-Identifier: MIT */
/* /metrics: Prometheus text 0.0.4 and OpenMetrics 1.0.0 from one snapshot.
 *
 * Rules kept here (see docs/arch/webui.md): base units, counters end in
 * _total, one HELP/TYPE per family emitted just before its first sample (a
 * family with no sample is left out), no timestamps, missing values are
 * omitted rather than written as 0, label values escaped. Counters come
 * straight from the snapshot's raw cumulative values, so they never go
 * negative; a reset (rebooted guest) is a new `domain` life that Prometheus
 * sees as a counter reset. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/version.h"
#include "web.h"

enum kind { K_COUNTER, K_GAUGE, K_INFO };

typedef struct fam {
	const char *base; /* without _total / _info */
	enum kind kind;
	const char *unit; /* OpenMetrics UNIT, NULL = none */
	const char *help;
} fam;

typedef struct ctx {
	web_buf *o;
	enum web_prom_fmt fmt;
	const fam *cur;
	int started;
} ctx;

static void fam_begin(ctx *c, const fam *f)
{
	c->cur = f;
	c->started = 0;
}

static void fam_header(ctx *c)
{
	const fam *f = c->cur;
	web_buf *o = c->o;
	if (c->fmt == WEB_PROM_OPENMETRICS) {
		static const char *const tn[] = {"counter", "gauge", "info"};
		web_buf_printf(o, "# TYPE %s %s\n", f->base, tn[f->kind]);
		if (f->unit)
			web_buf_printf(o, "# UNIT %s %s\n", f->base, f->unit);
		web_buf_printf(o, "# HELP %s %s\n", f->base, f->help);
	} else {
		const char *suf = f->kind == K_COUNTER ? "_total"
		                  : f->kind == K_INFO  ? "_info"
		                                       : "";
		web_buf_printf(o, "# HELP %s%s %s\n", f->base, suf, f->help);
		web_buf_printf(o, "# TYPE %s%s %s\n", f->base, suf,
		               f->kind == K_COUNTER ? "counter" : "gauge");
	}
	c->started = 1;
}

/* Start a sample line: name{ ... caller writes labels ... */
static void s_open(ctx *c)
{
	if (!c->started)
		fam_header(c);
	web_buf_puts(c->o, c->cur->base);
	if (c->cur->kind == K_COUNTER)
		web_buf_put(c->o, "_total", 6);
	else if (c->cur->kind == K_INFO)
		web_buf_put(c->o, "_info", 5);
}

static void s_fixed(ctx *c, const char *labels, size_t llen, uint64_t v,
                    unsigned dec)
{
	s_open(c);
	if (llen) {
		web_buf_putc(c->o, '{');
		web_buf_put(c->o, labels, llen);
		web_buf_putc(c->o, '}');
	}
	web_buf_putc(c->o, ' ');
	web_buf_fixed(c->o, v, dec);
	web_buf_putc(c->o, '\n');
}

static void s_u64(ctx *c, const char *labels, size_t llen, hv_u64 v,
                  unsigned dec, uint64_t mul)
{
	if (!hv_ok(v))
		return; /* missing is omitted, never 0 */
	s_fixed(c, labels, llen, v.v * mul, dec);
}

static void s_dbl(ctx *c, const char *labels, size_t llen, double v)
{
	s_open(c);
	if (llen) {
		web_buf_putc(c->o, '{');
		web_buf_put(c->o, labels, llen);
		web_buf_putc(c->o, '}');
	}
	web_buf_putc(c->o, ' ');
	web_buf_double(c->o, v);
	web_buf_putc(c->o, '\n');
}

/* ---- label sets, prepared once per render ---- */
typedef struct lset {
	web_buf b;
	size_t *off; /* n+1 offsets */
	size_t n;
} lset;

static const char *ls_get(const lset *l, size_t i, size_t *len)
{
	*len = l->off[i + 1] - l->off[i];
	return l->b.p ? l->b.p + l->off[i] : "";
}

static int cmp_dom(const void *a, const void *b)
{
	const hv_dom *x = *(const hv_dom *const *)a;
	const hv_dom *y = *(const hv_dom *const *)b;
	int r = strcmp(x->name, y->name);
	if (!r)
		r = strcmp(x->uuid, y->uuid);
	if (!r)
		r = (x->key > y->key) - (x->key < y->key);
	return r;
}

static const fam F_COL_OK = {
    "hv_collector_success", K_GAUGE, NULL,
    "1 when the collector's last sample succeeded, else 0."};
static const fam F_COL_LAST = {"hv_collector_last_sample_timestamp_seconds",
                               K_GAUGE, "seconds",
                               "Wall-clock time of the last successful sample "
                               "(served snapshot is at most one period old)."};
static const fam F_COL_N = {"hv_collector_samples", K_COUNTER, NULL,
                            "Successful samples taken by the collector."};
static const fam F_COL_FAIL = {"hv_collector_failures", K_COUNTER, NULL,
                               "Samples that failed."};
static const fam F_COL_COST = {"hv_collector_sample_duration_seconds", K_GAUGE,
                               "seconds", "Time the last sample took."};
static const fam F_RRD_UPD = {"hv_rrd_updates", K_COUNTER, NULL,
                              "RRD files hv-webd created or updated."};
static const fam F_RRD_ERR = {
    "hv_rrd_write_errors", K_COUNTER, NULL,
    "RRD file creations or updates that failed (disk full, rrdcached down); "
    "history already written is kept."};
static const fam F_SNAP_TS = {
    "hv_snapshot_timestamp_seconds", K_GAUGE, "seconds",
    "Wall-clock time of the snapshot these metrics come from."};
static const fam F_HOST_INFO = {
    "hv_host", K_INFO, NULL,
    "Host identity: hostname, backend and hypervisor version."};
static const fam F_BUILD_INFO = {
    "hv_build", K_INFO, NULL,
    "hvkit build: its version and the backend this hv-webd samples."};
static const fam F_HOST_MEM = {"hv_host_memory_bytes", K_GAUGE, "bytes",
                               "Host memory in total."};
static const fam F_HOST_FREE = {"hv_host_memory_free_bytes", K_GAUGE, "bytes",
                                "Host memory free."};
static const fam F_HOST_UP = {"hv_host_uptime_seconds", K_GAUGE, "seconds",
                              "Host uptime."};
static const fam F_HOST_NDOM = {"hv_host_domains", K_GAUGE, NULL,
                                "Domains (guests) seen in the snapshot."};
static const fam F_HOST_CE = {"hv_host_corrected_errors", K_COUNTER, NULL,
                              "Corrected hardware errors on the host."};
static const fam F_BUDGET = {"hv_host_power_budget_watts", K_GAUGE, "watts",
                             "Configured package power budget."};
static const fam F_POWERD = {"hv_powerd_up", K_GAUGE, NULL,
                             "1 when hv-powerd's state file shows it running."};
static const fam F_PD_HELD = {
    "hv_powerd_held_knobs", K_GAUGE, NULL,
    "Knobs hv-powerd currently holds changed (restored on its exit)."};
static const fam F_PD_HWERR = {
    "hv_powerd_cpu_offlined_for_errors", K_GAUGE, NULL,
    "1 for each physical CPU hv-powerd took offline for hardware errors."};
static const fam F_PD_PARKED = {
    "hv_powerd_cpu_parked", K_GAUGE, NULL,
    "1 for each physical CPU hv-powerd parked (offlined) to save power."};
static const fam F_PC_ON = {
    "hv_pcpu_online", K_GAUGE, NULL,
    "1 when the physical CPU is online, 0 when offline."};
static const fam F_PC_BUSY = {"hv_pcpu_busy_seconds", K_COUNTER, "seconds",
                              "Time the physical CPU was busy."};
static const fam F_PC_IDLE = {"hv_pcpu_idle_seconds", K_COUNTER, "seconds",
                              "Time the physical CPU was idle."};
static const fam F_PC_HZ = {"hv_pcpu_frequency_hertz", K_GAUGE, "hertz",
                            "Current frequency of the physical CPU."};
static const fam F_PC_MIN = {"hv_pcpu_frequency_min_hertz", K_GAUGE, "hertz",
                             "Policy minimum frequency."};
static const fam F_PC_MAX = {"hv_pcpu_frequency_max_hertz", K_GAUGE, "hertz",
                             "Policy maximum frequency."};
static const fam F_PC_GOV = {
    "hv_pcpu_cpufreq", K_INFO, NULL,
    "cpufreq governor and driver of the physical CPU."};
static const fam F_PC_CS = {"hv_pcpu_cstate_residency_seconds", K_COUNTER,
                            "seconds", "Time spent in the idle (C-) state."};
static const fam F_PC_CSN = {"hv_pcpu_cstate_entries", K_COUNTER, NULL,
                             "Entries into the idle (C-) state."};
static const fam F_PC_CSD = {"hv_pcpu_cstate_disabled", K_GAUGE, NULL,
                             "1 when the idle state is disabled."};
static const fam F_PC_CE = {
    "hv_pcpu_corrected_errors", K_COUNTER, NULL,
    "Corrected hardware errors attributed to the physical CPU."};
static const fam F_RAPL = {
    "hv_rapl_energy_joules", K_COUNTER, "joules",
    "Energy counted by the RAPL zone (wraps are resets)."};
static const fam F_RAPL_LIM = {"hv_rapl_power_limit_watts", K_GAUGE, "watts",
                               "RAPL constraint 0 power limit."};
static const fam F_D_INFO = {
    "hv_domain", K_INFO, NULL,
    "Domain identity; id is the Xen domid or QEMU pid."};
static const fam F_D_STATE = {"hv_domain_state", K_GAUGE, NULL,
                              "1 for each state flag the domain has."};
static const fam F_D_CPU = {"hv_domain_cpu_seconds", K_COUNTER, "seconds",
                            "CPU time charged to the domain."};
static const fam F_D_VCPUS = {"hv_domain_vcpus", K_GAUGE, NULL,
                              "Configured virtual CPUs."};
static const fam F_D_MEM = {"hv_domain_memory_bytes", K_GAUGE, "bytes",
                            "Current memory of the domain."};
static const fam F_D_MAXMEM = {"hv_domain_memory_maximum_bytes", K_GAUGE,
                               "bytes", "Configured maximum memory."};
static const fam F_D_TARGET = {"hv_domain_memory_target_bytes", K_GAUGE,
                               "bytes", "Balloon target."};
static const fam F_D_RSS = {"hv_domain_memory_resident_bytes", K_GAUGE, "bytes",
                            "Host memory resident for the domain."};
static const fam F_V_TIME = {"hv_domain_vcpu_cpu_seconds", K_COUNTER, "seconds",
                             "Run time of the virtual CPU."};
static const fam F_V_GUEST = {"hv_domain_vcpu_guest_seconds", K_COUNTER,
                              "seconds",
                              "Run time of the virtual CPU in guest mode."};
static const fam F_V_STEAL = {
    "hv_domain_vcpu_steal_seconds", K_COUNTER, "seconds",
    "Time the virtual CPU was runnable but waiting (steal)."};
static const fam F_V_ON = {"hv_domain_vcpu_online", K_GAUGE, NULL,
                           "1 when the virtual CPU is online."};
static const fam F_N_RXB = {"hv_domain_network_receive_bytes", K_COUNTER,
                            "bytes", "Bytes received by the guest."};
static const fam F_N_RXP = {"hv_domain_network_receive_packets", K_COUNTER,
                            NULL, "Packets received by the guest."};
static const fam F_N_RXE = {"hv_domain_network_receive_errors", K_COUNTER, NULL,
                            "Receive errors."};
static const fam F_N_RXD = {"hv_domain_network_receive_drops", K_COUNTER, NULL,
                            "Receive drops."};
static const fam F_N_TXB = {"hv_domain_network_transmit_bytes", K_COUNTER,
                            "bytes", "Bytes sent by the guest."};
static const fam F_N_TXP = {"hv_domain_network_transmit_packets", K_COUNTER,
                            NULL, "Packets sent by the guest."};
static const fam F_N_TXE = {"hv_domain_network_transmit_errors", K_COUNTER,
                            NULL, "Transmit errors."};
static const fam F_N_TXD = {"hv_domain_network_transmit_drops", K_COUNTER, NULL,
                            "Transmit drops."};
static const fam F_B_RDB = {"hv_domain_block_read_bytes", K_COUNTER, "bytes",
                            "Bytes read from the virtual disk."};
static const fam F_B_WRB = {"hv_domain_block_write_bytes", K_COUNTER, "bytes",
                            "Bytes written to the virtual disk."};
static const fam F_B_RDR = {"hv_domain_block_read_requests", K_COUNTER, NULL,
                            "Read requests."};
static const fam F_B_WRR = {"hv_domain_block_write_requests", K_COUNTER, NULL,
                            "Write requests."};
static const fam F_B_FLR = {"hv_domain_block_flush_requests", K_COUNTER, NULL,
                            "Flush requests."};
static const fam F_B_RDT = {"hv_domain_block_read_time_seconds", K_COUNTER,
                            "seconds", "Time spent on reads."};
static const fam F_B_WRT = {"hv_domain_block_write_time_seconds", K_COUNTER,
                            "seconds", "Time spent on writes."};
static const fam F_B_FLT = {"hv_domain_block_flush_time_seconds", K_COUNTER,
                            "seconds", "Time spent on flushes."};
static const fam F_D_LLC = {"hv_domain_llc_occupancy_bytes", K_GAUGE, "bytes",
                            "Last-level cache occupancy (resctrl / PSR)."};
static const fam F_D_MBM = {
    "hv_domain_memory_bandwidth_bytes", K_COUNTER, "bytes",
    "Memory traffic counted by MBM; scope is total or local."};
static const fam F_D_ENERGY = {
    "hv_domain_energy_joules", K_COUNTER, "joules",
    "Package energy attributed to the domain by the collector."};
static const fam F_D_STALE = {
    "hv_domain_stale", K_GAUGE, NULL,
    "1 when a data source of the domain missed its deadline this sample."};

static const struct {
	uint32_t bit;
	const char *name;
} states[] = {
    {HV_DS_RUNNING, "running"}, {HV_DS_BLOCKED, "blocked"},
    {HV_DS_PAUSED, "paused"},   {HV_DS_SHUTDOWN, "shutdown"},
    {HV_DS_CRASHED, "crashed"}, {HV_DS_DYING, "dying"},
    {HV_DS_SHUTOFF, "shutoff"},
};

/* Per-domain fields of hv_dom / hv_vcpu / ... as offsets, to loop over
 * families without a function per family. */
#define DOFF(f) offsetof(hv_dom, f)

static void dom_u64_fam(ctx *c, const fam *f, const hv_dom *const *d,
                        const lset *ls, size_t n, size_t off, unsigned dec,
                        uint64_t mul)
{
	fam_begin(c, f);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		size_t ll;
		const char *l = ls_get(ls, i, &ll);
		s_u64(c, l, ll, *(const hv_u64 *)((const char *)d[i] + off),
		      dec, mul);
	}
}

static void vcpu_fam(ctx *c, const fam *f, const hv_dom *const *d,
                     const lset *ls, size_t n, size_t off)
{
	fam_begin(c, f);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		size_t ll;
		const char *l = ls_get(ls, i, &ll);
		for (uint32_t k = 0; k < d[i]->nr_vcpu; k++) {
			const hv_vcpu *v = &d[i]->vcpu[k];
			hv_u64 x = *(const hv_u64 *)((const char *)v + off);
			if (!hv_ok(x))
				continue;
			s_open(c);
			web_buf_putc(c->o, '{');
			web_buf_put(c->o, l, ll);
			web_buf_puts(c->o, ",vcpu=\"");
			web_buf_u64(c->o, v->id);
			web_buf_put(c->o, "\"} ", 3);
			web_buf_fixed(c->o, x.v, 9);
			web_buf_putc(c->o, '\n');
		}
	}
}

static void dev_line(ctx *c, const char *l, size_t ll, const char *lname,
                     const char *dev, hv_u64 x, unsigned dec)
{
	if (!hv_ok(x))
		return;
	s_open(c);
	web_buf_putc(c->o, '{');
	web_buf_put(c->o, l, ll);
	web_buf_putc(c->o, ',');
	web_buf_puts(c->o, lname);
	web_buf_put(c->o, "=\"", 2);
	web_buf_prom_label(c->o, dev);
	web_buf_put(c->o, "\"} ", 3);
	web_buf_fixed(c->o, x.v, dec);
	web_buf_putc(c->o, '\n');
}

static void net_fam(ctx *c, const fam *f, const hv_dom *const *d,
                    const lset *ls, size_t n, size_t off)
{
	fam_begin(c, f);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		size_t ll;
		const char *l = ls_get(ls, i, &ll);
		for (uint32_t k = 0; k < d[i]->nr_net; k++) {
			const hv_net *x = &d[i]->net[k];
			dev_line(c, l, ll, "interface", x->name,
			         *(const hv_u64 *)((const char *)x + off), 0);
		}
	}
}

static void blk_fam(ctx *c, const fam *f, const hv_dom *const *d,
                    const lset *ls, size_t n, size_t off, unsigned dec)
{
	fam_begin(c, f);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		size_t ll;
		const char *l = ls_get(ls, i, &ll);
		for (uint32_t k = 0; k < d[i]->nr_blk; k++) {
			const hv_blk *x = &d[i]->blk[k];
			dev_line(c, l, ll, "device", x->name,
			         *(const hv_u64 *)((const char *)x + off), dec);
		}
	}
}

static void render_collector(ctx *c, const web_prom_extra *x)
{
	const hv_collector_stats *st = x ? x->st : NULL;
	if (!st)
		return;
	fam_begin(c, &F_COL_OK);
	s_dbl(c, "", 0, (st->samples > 0 && st->last_err.code == 0) ? 1 : 0);
	if (st->last_ok_wall_ns > 0) {
		fam_begin(c, &F_COL_LAST);
		s_open(c);
		web_buf_putc(c->o, ' ');
		web_buf_fixed(c->o, (uint64_t)st->last_ok_wall_ns, 9);
		web_buf_putc(c->o, '\n');
	}
	fam_begin(c, &F_COL_N);
	s_dbl(c, "", 0, (double)st->samples);
	fam_begin(c, &F_COL_FAIL);
	s_dbl(c, "", 0, (double)st->failures);
	if (st->samples > 0) {
		fam_begin(c, &F_COL_COST);
		s_open(c);
		web_buf_putc(c->o, ' ');
		web_buf_fixed(c->o, st->last_cost_ns, 9);
		web_buf_putc(c->o, '\n');
	}
	if (x->rrd) {
		fam_begin(c, &F_RRD_UPD);
		s_dbl(c, "", 0, (double)x->rrd_updates);
		fam_begin(c, &F_RRD_ERR);
		s_dbl(c, "", 0, (double)x->rrd_write_errors);
	}
}

static void render_host(ctx *c, const hv_snap *s, const web_prom_extra *x)
{
	const hv_host *h = hv_snap_host(s);
	web_buf *o = c->o;
	char lab[32];

	if (hv_snap_wall_ns(s) > 0) {
		fam_begin(c, &F_SNAP_TS);
		s_open(c);
		web_buf_putc(o, ' ');
		web_buf_fixed(o, (uint64_t)hv_snap_wall_ns(s), 9);
		web_buf_putc(o, '\n');
	}
	fam_begin(c, &F_HOST_INFO);
	s_open(c);
	web_buf_puts(o, "{hostname=\"");
	web_buf_prom_label(o, h->hostname);
	web_buf_puts(o, "\",backend=\"");
	web_buf_prom_label(o, h->backend);
	web_buf_puts(o, "\",version=\"");
	web_buf_prom_label(o, h->hv_version);
	web_buf_puts(o, "\"} 1\n");
	fam_begin(c, &F_BUILD_INFO);
	s_open(c);
	web_buf_puts(o, "{version=\"" HV_VERSION "\",backend=\"");
	web_buf_prom_label(o, h->backend);
	web_buf_puts(o, "\"} 1\n");

	fam_begin(c, &F_HOST_MEM);
	s_u64(c, "", 0, h->mem_total_kib, 0, 1024);
	fam_begin(c, &F_HOST_FREE);
	s_u64(c, "", 0, h->mem_free_kib, 0, 1024);
	fam_begin(c, &F_HOST_UP);
	s_u64(c, "", 0, h->uptime_ns, 9, 1);
	fam_begin(c, &F_HOST_NDOM);
	s_dbl(c, "", 0, (double)hv_snap_ndom(s));
	fam_begin(c, &F_HOST_CE);
	s_u64(c, "", 0, h->ce_total, 0, 1);
	if (x && x->power_budget_w > 0) {
		fam_begin(c, &F_BUDGET);
		s_dbl(c, "", 0, x->power_budget_w);
	}
	if (x && x->powerd_running >= 0) {
		fam_begin(c, &F_POWERD);
		s_dbl(c, "", 0, x->powerd_running);
	}
	if (x && x->pd && x->pd->running >= 0) {
		const web_powerd_info *pd = x->pd;
		if (pd->held >= 0) {
			fam_begin(c, &F_PD_HELD);
			s_dbl(c, "", 0, pd->held);
		}
		for (int k = 0; k < 2; k++) {
			fam_begin(c, k ? &F_PD_PARKED : &F_PD_HWERR);
			unsigned n = k ? pd->nparked : pd->nhwerr;
			const uint32_t *v = k ? pd->parked : pd->hwerr;
			for (unsigned i = 0; i < n; i++) {
				snprintf(lab, sizeof(lab), "cpu=\"%u\"", v[i]);
				s_fixed(c, lab, strlen(lab), 1, 0);
			}
		}
	}

	/* pCPU families: one pass per family keeps them grouped. */
#define PCPU_LOOP(famp, body)                                                \
	do {                                                                 \
		fam_begin(c, famp);                                          \
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {                  \
			const hv_pcpu *p = &h->pcpu[i];                      \
			int ll =                                             \
			    snprintf(lab, sizeof(lab), "cpu=\"%u\"", p->id); \
			(void)ll;                                            \
			body;                                                \
		}                                                            \
	} while (0)
	size_t L;
	PCPU_LOOP(
	    &F_PC_ON, if (p->online >= 0) {
		    L = strlen(lab);
		    s_fixed(c, lab, L, (uint64_t)p->online, 0);
	    });
	PCPU_LOOP(&F_PC_BUSY, s_u64(c, lab, strlen(lab), p->busy_ns, 9, 1));
	PCPU_LOOP(&F_PC_IDLE, s_u64(c, lab, strlen(lab), p->idle_ns, 9, 1));
	PCPU_LOOP(&F_PC_HZ, s_u64(c, lab, strlen(lab), p->cur_khz, 0, 1000));
	PCPU_LOOP(&F_PC_MIN, s_u64(c, lab, strlen(lab), p->min_khz, 0, 1000));
	PCPU_LOOP(&F_PC_MAX, s_u64(c, lab, strlen(lab), p->max_khz, 0, 1000));
	PCPU_LOOP(
	    &F_PC_GOV, if (p->governor[0] || p->driver[0]) {
		    s_open(c);
		    web_buf_putc(o, '{');
		    web_buf_puts(o, lab);
		    web_buf_puts(o, ",governor=\"");
		    web_buf_prom_label(o, p->governor);
		    web_buf_puts(o, "\",driver=\"");
		    web_buf_prom_label(o, p->driver);
		    web_buf_puts(o, "\"} 1\n");
	    });
	static const size_t cs_off[] = {offsetof(hv_cstate, time_ns),
	                                offsetof(hv_cstate, usage)};
	const fam *cs_fam[] = {&F_PC_CS, &F_PC_CSN};
	for (int k = 0; k < 2; k++) {
		PCPU_LOOP(
		    cs_fam[k],
		    for (uint32_t j = 0; j < p->nr_cstate && j < HV_CSTATE_MAX;
		         j++) {
			    const hv_cstate *cs = &p->cstate[j];
			    dev_line(
			        c, lab, strlen(lab), "state", cs->name,
			        *(const hv_u64 *)((const char *)cs + cs_off[k]),
			        k == 0 ? 9 : 0);
		    });
	}
	PCPU_LOOP(
	    &F_PC_CSD,
	    for (uint32_t j = 0; j < p->nr_cstate && j < HV_CSTATE_MAX; j++) {
		    const hv_cstate *cs = &p->cstate[j];
		    dev_line(c, lab, strlen(lab), "state", cs->name,
		             hv_val(cs->disabled ? 1 : 0), 0);
	    });
	PCPU_LOOP(&F_PC_CE, s_u64(c, lab, strlen(lab), p->ce_count, 0, 1));
#undef PCPU_LOOP

	for (int k = 0; k < 2; k++) {
		fam_begin(c, k ? &F_RAPL_LIM : &F_RAPL);
		for (uint32_t i = 0; i < h->nr_rapl; i++) {
			const hv_rapl *r = &h->rapl[i];
			hv_u64 v = k ? r->limit_uw : r->energy_uj;
			if (!hv_ok(v))
				continue;
			s_open(c);
			web_buf_puts(o, "{zone=\"");
			web_buf_prom_label(o, r->name);
			web_buf_puts(o, "\",path=\"");
			web_buf_prom_label(o, r->path);
			web_buf_put(o, "\"} ", 3);
			web_buf_fixed(o, v.v, 6);
			web_buf_putc(o, '\n');
		}
	}
}

static void render_domains(ctx *c, const hv_snap *s)
{
	size_t n = hv_snap_ndom(s);
	const hv_dom **d = NULL;
	lset ls = {0};
	web_buf *o = c->o;

	if (!n)
		return;
	d = malloc(n * sizeof(*d));
	ls.off = malloc((n + 1) * sizeof(size_t));
	if (!d || !ls.off) {
		o->oom = 1;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = hv_snap_dom(s, i);
	qsort(d, n, sizeof(*d), cmp_dom);
	web_buf_init(&ls.b);
	web_buf_reserve(&ls.b, n * 80);
	for (size_t i = 0; i < n; i++) {
		/* Same name and uuid twice would be duplicate series, which
		 * invalidates the whole exposition: keep the first. */
		if (i > 0 && d[i - 1] && !strcmp(d[i]->name, d[i - 1]->name) &&
		    !strcmp(d[i]->uuid, d[i - 1]->uuid))
			d[i] = NULL;
		ls.off[i] = ls.b.len;
		if (!d[i])
			continue;
		web_buf_puts(&ls.b, "domain=\"");
		web_buf_prom_label(&ls.b, d[i]->name);
		web_buf_puts(&ls.b, "\",uuid=\"");
		web_buf_prom_label(&ls.b, d[i]->uuid);
		web_buf_putc(&ls.b, '"');
	}
	ls.off[n] = ls.b.len;
	ls.n = n;
	if (ls.b.oom) {
		o->oom = 1;
		goto out;
	}

	size_t ll;
	const char *l;
	fam_begin(c, &F_D_INFO);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		l = ls_get(&ls, i, &ll);
		s_open(c);
		web_buf_putc(o, '{');
		web_buf_put(o, l, ll);
		web_buf_puts(o, ",id=\"");
		web_buf_u64(o, d[i]->id);
		web_buf_puts(o, "\"} 1\n");
	}
	fam_begin(c, &F_D_STATE);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		l = ls_get(&ls, i, &ll);
		for (size_t k = 0; k < sizeof(states) / sizeof(states[0]);
		     k++) {
			s_open(c);
			web_buf_putc(o, '{');
			web_buf_put(o, l, ll);
			web_buf_puts(o, ",state=\"");
			web_buf_puts(o, states[k].name);
			web_buf_puts(o, (d[i]->state & states[k].bit)
			                    ? "\"} 1\n"
			                    : "\"} 0\n");
		}
	}
	dom_u64_fam(c, &F_D_CPU, d, &ls, n, DOFF(cpu_ns), 9, 1);
	fam_begin(c, &F_D_VCPUS);
	for (size_t i = 0; i < n; i++) {
		if (!d[i] || !d[i]->nr_vcpus)
			continue;
		l = ls_get(&ls, i, &ll);
		s_fixed(c, l, ll, d[i]->nr_vcpus, 0);
	}
	dom_u64_fam(c, &F_D_MEM, d, &ls, n, DOFF(mem_kib), 0, 1024);
	dom_u64_fam(c, &F_D_MAXMEM, d, &ls, n, DOFF(maxmem_kib), 0, 1024);
	dom_u64_fam(c, &F_D_TARGET, d, &ls, n, DOFF(target_kib), 0, 1024);
	dom_u64_fam(c, &F_D_RSS, d, &ls, n, DOFF(rss_kib), 0, 1024);
	vcpu_fam(c, &F_V_TIME, d, &ls, n, offsetof(hv_vcpu, time_ns));
	vcpu_fam(c, &F_V_GUEST, d, &ls, n, offsetof(hv_vcpu, guest_ns));
	vcpu_fam(c, &F_V_STEAL, d, &ls, n, offsetof(hv_vcpu, wait_ns));
	fam_begin(c, &F_V_ON);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		l = ls_get(&ls, i, &ll);
		for (uint32_t k = 0; k < d[i]->nr_vcpu; k++) {
			s_open(c);
			web_buf_putc(o, '{');
			web_buf_put(o, l, ll);
			web_buf_puts(o, ",vcpu=\"");
			web_buf_u64(o, d[i]->vcpu[k].id);
			web_buf_puts(o, d[i]->vcpu[k].online ? "\"} 1\n"
			                                     : "\"} 0\n");
		}
	}
	const struct {
		const fam *f;
		size_t off;
	} nets[] = {
	    {&F_N_RXB, offsetof(hv_net, rx_bytes)},
	    {&F_N_RXP, offsetof(hv_net, rx_pkts)},
	    {&F_N_RXE, offsetof(hv_net, rx_errs)},
	    {&F_N_RXD, offsetof(hv_net, rx_drop)},
	    {&F_N_TXB, offsetof(hv_net, tx_bytes)},
	    {&F_N_TXP, offsetof(hv_net, tx_pkts)},
	    {&F_N_TXE, offsetof(hv_net, tx_errs)},
	    {&F_N_TXD, offsetof(hv_net, tx_drop)},
	};
	for (size_t k = 0; k < sizeof(nets) / sizeof(nets[0]); k++)
		net_fam(c, nets[k].f, d, &ls, n, nets[k].off);
	const struct {
		const fam *f;
		size_t off;
		unsigned dec;
	} blks[] = {
	    {&F_B_RDB, offsetof(hv_blk, rd_bytes), 0},
	    {&F_B_WRB, offsetof(hv_blk, wr_bytes), 0},
	    {&F_B_RDR, offsetof(hv_blk, rd_reqs), 0},
	    {&F_B_WRR, offsetof(hv_blk, wr_reqs), 0},
	    {&F_B_FLR, offsetof(hv_blk, fl_reqs), 0},
	    {&F_B_RDT, offsetof(hv_blk, rd_ns), 9},
	    {&F_B_WRT, offsetof(hv_blk, wr_ns), 9},
	    {&F_B_FLT, offsetof(hv_blk, fl_ns), 9},
	};
	for (size_t k = 0; k < sizeof(blks) / sizeof(blks[0]); k++)
		blk_fam(c, blks[k].f, d, &ls, n, blks[k].off, blks[k].dec);
	dom_u64_fam(c, &F_D_LLC, d, &ls, n, DOFF(llc_bytes), 0, 1);
	fam_begin(c, &F_D_MBM);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		l = ls_get(&ls, i, &ll);
		dev_line(c, l, ll, "scope", "total", d[i]->mbm_total_bytes, 0);
		dev_line(c, l, ll, "scope", "local", d[i]->mbm_local_bytes, 0);
	}
	dom_u64_fam(c, &F_D_ENERGY, d, &ls, n, DOFF(energy_uj), 6, 1);
	fam_begin(c, &F_D_STALE);
	for (size_t i = 0; i < n; i++) {
		if (!d[i])
			continue;
		l = ls_get(&ls, i, &ll);
		s_fixed(c, l, ll, d[i]->stale ? 1 : 0, 0);
	}
out:
	web_buf_free(&ls.b);
	free(ls.off);
	free(d);
}

void web_prom_render(const hv_snap *snap, const web_prom_extra *x,
                     enum web_prom_fmt fmt, web_buf *out)
{
	ctx c = {.o = out, .fmt = fmt};
	/* ~6.5 KB per domain with 4 vCPUs, 2 NICs, 2 disks. */
	web_buf_reserve(out, 16384 + (snap ? hv_snap_ndom(snap) * 7000 : 0));
	render_collector(&c, x);
	if (snap) {
		render_host(&c, snap, x);
		render_domains(&c, snap);
	}
	if (fmt == WEB_PROM_OPENMETRICS)
		web_buf_puts(out, "# EOF\n");
}

enum web_prom_fmt web_prom_negotiate(const char *accept)
{
	/* OpenMetrics when the scraper lists it with a non-zero q. */
	const char *p =
	    accept ? strstr(accept, "application/openmetrics-text") : NULL;
	if (!p)
		return WEB_PROM_TEXT;
	const char *end = strchr(p, ',');
	const char *q = strstr(p, "q=");
	if (q && (!end || q < end)) {
		double qv = strtod(q + 2, NULL);
		if (qv <= 0)
			return WEB_PROM_TEXT;
	}
	return WEB_PROM_OPENMETRICS;
}

const char *web_prom_ctype(enum web_prom_fmt fmt)
{
	return fmt == WEB_PROM_OPENMETRICS
	           ? "application/openmetrics-text; version=1.0.0; "
	             "charset=utf-8"
	           : "text/plain; version=0.0.4; charset=utf-8";
}
