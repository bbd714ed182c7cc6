/* SPDX-License-Identifier: MIT */
/* Rates between two snapshots. Anything that cannot be computed honestly
 * (missing side, counter reset, zero interval, first sample) is NAN. */
#include "hv/rates.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct hv_rates {
	double dt;
	size_t ndom;
	hv_dom_rate *dom;
	hv_host_rate host;
	/* Everything below dom is one allocation list for a single free. */
	void **blocks;
	size_t nblocks, capblocks;
};

int hv_counter_delta(hv_u64 prev, hv_u64 cur, uint64_t wrap, uint64_t *out)
{
	if (!hv_ok(prev) || !hv_ok(cur))
		return -ENODATA;
	if (cur.v >= prev.v) {
		*out = cur.v - prev.v;
		return 0;
	}
	/* Went backwards: a wrap only if the counter has a known wrap point
	 * and the old value lies below it. */
	if (wrap && prev.v <= wrap) {
		*out = (wrap - prev.v) + cur.v;
		return 0;
	}
	return -ERANGE;
}

static void *rblock(hv_rates *r, size_t n)
{
	void *p;

	if (r->nblocks == r->capblocks) {
		size_t cap = r->capblocks ? r->capblocks * 2 : 16;
		void **nb = realloc(r->blocks, cap * sizeof(*nb));
		if (!nb)
			return NULL;
		r->blocks = nb;
		r->capblocks = cap;
	}
	p = calloc(1, n ? n : 1);
	if (p)
		r->blocks[r->nblocks++] = p;
	return p;
}

void hv_rates_free(hv_rates *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nblocks; i++)
		free(r->blocks[i]);
	free(r->blocks);
	free(r);
}

double hv_rates_dt(const hv_rates *r)
{
	return r->dt;
}
const hv_host_rate *hv_rates_host(const hv_rates *r)
{
	return &r->host;
}

const hv_dom_rate *hv_rates_dom(const hv_rates *r, size_t i)
{
	return r && i < r->ndom ? &r->dom[i] : NULL;
}

const hv_dom_rate *hv_rates_for(const hv_snap *cur, const hv_dom *d)
{
	const hv_rates *r = hv_snap_rates(cur);
	long i;

	if (!r || !d)
		return NULL;
	i = hv_snap_index(cur, d);
	return i < 0 ? NULL : hv_rates_dom(r, (size_t)i);
}

/* Per-second rate of a counter, NAN when it cannot be had. */
static double per_s(hv_u64 p, hv_u64 c, double dt)
{
	uint64_t d;

	if (dt <= 0 || hv_counter_delta(p, c, 0, &d))
		return NAN;
	return (double)d / dt;
}

/* Sum of per-second rates; NAN only if no term was computable. */
static void acc(double *sum, double v)
{
	if (isnan(v))
		return;
	*sum = isnan(*sum) ? v : *sum + v;
}

static void fill_nan(double *a, size_t n)
{
	for (size_t i = 0; i < n; i++)
		a[i] = NAN;
}

static const hv_vcpu *find_vcpu(const hv_dom *d, uint32_t id, uint32_t hint)
{
	if (hint < d->nr_vcpu && d->vcpu[hint].id == id)
		return &d->vcpu[hint];
	for (uint32_t i = 0; i < d->nr_vcpu; i++)
		if (d->vcpu[i].id == id)
			return &d->vcpu[i];
	return NULL;
}

static const hv_net *find_net(const hv_dom *d, const hv_net *n, uint32_t hint)
{
	if (hint < d->nr_net && !strcmp(d->net[hint].name, n->name) &&
	    d->net[hint].id == n->id)
		return &d->net[hint];
	for (uint32_t i = 0; i < d->nr_net; i++)
		if (!strcmp(d->net[i].name, n->name) && d->net[i].id == n->id)
			return &d->net[i];
	return NULL;
}

static const hv_blk *find_blk(const hv_dom *d, const hv_blk *b, uint32_t hint)
{
	if (hint < d->nr_blk && !strcmp(d->blk[hint].name, b->name) &&
	    d->blk[hint].id == b->id)
		return &d->blk[hint];
	for (uint32_t i = 0; i < d->nr_blk; i++)
		if (!strcmp(d->blk[i].name, b->name) && d->blk[i].id == b->id)
			return &d->blk[i];
	return NULL;
}

/* Which hw slots are instructions and cycles, for IPC. */
static void hw_slots(const hv_host *h, int *ins, int *cyc)
{
	*ins = *cyc = -1;
	for (uint32_t i = 0; i < h->nr_hw && i < HV_HW_MAX; i++) {
		if (*ins < 0 && (strcasestr(h->hw_name[i], "instructions") ||
		                 strcasestr(h->hw_name[i], "inst_retired")))
			*ins = (int)i;
		else if (*cyc < 0 &&
		         (strcasestr(h->hw_name[i], "cycles") ||
		          strcasestr(h->hw_name[i], "clk_unhalted")))
			*cyc = (int)i;
	}
}

/* Per-device rate arrays of all domains come from three pools, one
 * allocation each, carved in domain order. */
struct pools {
	hv_vcpu_rate *vcpu;
	hv_net_rate *net;
	hv_blk_rate *blk;
};

/* Carves the domain's device rate arrays from the pools and sets every
 * figure to NAN (unknown) before anything is computed. */
static void dom_rate_init(const hv_dom *c, hv_dom_rate *out, struct pools *pl)
{
	out->key = c->key;
	out->vcpu = c->nr_vcpu ? pl->vcpu : NULL;
	out->net = c->nr_net ? pl->net : NULL;
	out->blk = c->nr_blk ? pl->blk : NULL;
	pl->vcpu += c->nr_vcpu;
	pl->net += c->nr_net;
	pl->blk += c->nr_blk;
	out->cpu_pct = NAN;
	out->cpu_host_pct = out->guest_pct = out->steal_pct = NAN;
	out->net_rx_Bps = out->net_tx_Bps = out->net_rx_pps = out->net_tx_pps =
	    NAN;
	out->blk_rd_Bps = out->blk_wr_Bps = out->blk_rd_iops =
	    out->blk_wr_iops = NAN;
	fill_nan(out->hw_ps, HV_HW_MAX);
	out->ipc = out->mbm_total_Bps = out->mbm_local_Bps = out->watts = NAN;
	out->kvm_exits_ps = out->kvm_mmio_ps = out->kvm_io_ps = NAN;
	out->kvm_wait_ps = out->kvm_hvc_ps = out->kvm_irq_ps = NAN;
	out->kvm_signal_ps = NAN;
	for (uint32_t i = 0; i < c->nr_vcpu; i++) {
		out->vcpu[i].cpu_pct = out->vcpu[i].guest_pct = NAN;
		out->vcpu[i].steal_pct = NAN;
		out->vcpu[i].kvm_exits_ps = out->vcpu[i].kvm_wait_ps = NAN;
		fill_nan(out->vcpu[i].hw_ps, HV_HW_MAX);
	}
	for (uint32_t i = 0; i < c->nr_net; i++)
		fill_nan(&out->net[i].rx_Bps,
		         sizeof(hv_net_rate) / sizeof(double));
	for (uint32_t i = 0; i < c->nr_blk; i++)
		fill_nan(&out->blk[i].rd_Bps,
		         sizeof(hv_blk_rate) / sizeof(double));
}

/* vCPU rates, summed into the domain's guest, steal and hw figures. */
static void dom_rate_vcpus(const hv_dom *p, const hv_dom *c, hv_dom_rate *out,
                           double dt, double dt_ns)
{
	for (uint32_t i = 0; i < c->nr_vcpu; i++) {
		const hv_vcpu *cv = &c->vcpu[i], *pv = find_vcpu(p, cv->id, i);
		hv_vcpu_rate *o = &out->vcpu[i];
		if (!pv)
			continue;
		o->cpu_pct = per_s(pv->time_ns, cv->time_ns, dt_ns) * 100.0;
		o->guest_pct = per_s(pv->guest_ns, cv->guest_ns, dt_ns) * 100.0;
		o->steal_pct = per_s(pv->wait_ns, cv->wait_ns, dt_ns) * 100.0;
		o->kvm_exits_ps = per_s(pv->kvm_exits, cv->kvm_exits, dt);
		o->kvm_wait_ps =
		    per_s(pv->kvm_wait_exits, cv->kvm_wait_exits, dt);
		acc(&out->guest_pct, o->guest_pct);
		acc(&out->steal_pct, o->steal_pct);
		for (int k = 0; k < HV_HW_MAX; k++) {
			o->hw_ps[k] = per_s(pv->hw[k], cv->hw[k], dt);
			acc(&out->hw_ps[k], o->hw_ps[k]);
		}
	}
}

/* Interface rates, summed into the domain's network figures. */
static void dom_rate_nets(const hv_dom *p, const hv_dom *c, hv_dom_rate *out,
                          double dt)
{
	for (uint32_t i = 0; i < c->nr_net; i++) {
		const hv_net *cn = &c->net[i], *pn = find_net(p, cn, i);
		hv_net_rate *o = &out->net[i];
		if (!pn)
			continue;
		o->rx_Bps = per_s(pn->rx_bytes, cn->rx_bytes, dt);
		o->tx_Bps = per_s(pn->tx_bytes, cn->tx_bytes, dt);
		o->rx_pps = per_s(pn->rx_pkts, cn->rx_pkts, dt);
		o->tx_pps = per_s(pn->tx_pkts, cn->tx_pkts, dt);
		o->rx_errs_ps = per_s(pn->rx_errs, cn->rx_errs, dt);
		o->tx_errs_ps = per_s(pn->tx_errs, cn->tx_errs, dt);
		o->rx_drop_ps = per_s(pn->rx_drop, cn->rx_drop, dt);
		o->tx_drop_ps = per_s(pn->tx_drop, cn->tx_drop, dt);
		acc(&out->net_rx_Bps, o->rx_Bps);
		acc(&out->net_tx_Bps, o->tx_Bps);
		acc(&out->net_rx_pps, o->rx_pps);
		acc(&out->net_tx_pps, o->tx_pps);
	}
}

/* The interval two disk readings span: the samples', or the readings' own
 * when both carry one (libvirt's calls); 0 (no rate) for the same
 * reading seen twice. */
static double blk_dt(const hv_blk *p, const hv_blk *c, double dt)
{
	if (!p->read_ns || !c->read_ns)
		return dt;
	return c->read_ns > p->read_ns ? (double)(c->read_ns - p->read_ns) / 1e9
	                               : 0;
}

/* Disk rates and latencies, summed into the domain's block figures. */
static void dom_rate_blks(const hv_dom *p, const hv_dom *c, hv_dom_rate *out,
                          double sample_dt)
{
	for (uint32_t i = 0; i < c->nr_blk; i++) {
		const hv_blk *cb = &c->blk[i], *pb = find_blk(p, cb, i);
		hv_blk_rate *o = &out->blk[i];
		uint64_t dreq, dns;
		double dt;
		if (!pb)
			continue;
		dt = blk_dt(pb, cb, sample_dt);
		if (dt <= 0)
			continue; /* no new reading: rates stay NAN */
		o->rd_Bps = per_s(pb->rd_bytes, cb->rd_bytes, dt);
		o->wr_Bps = per_s(pb->wr_bytes, cb->wr_bytes, dt);
		o->rd_iops = per_s(pb->rd_reqs, cb->rd_reqs, dt);
		o->wr_iops = per_s(pb->wr_reqs, cb->wr_reqs, dt);
		o->fl_iops = per_s(pb->fl_reqs, cb->fl_reqs, dt);
		if (!hv_counter_delta(pb->rd_reqs, cb->rd_reqs, 0, &dreq) &&
		    !hv_counter_delta(pb->rd_ns, cb->rd_ns, 0, &dns))
			o->rd_lat_ms =
			    dreq ? (double)dns / (double)dreq / 1e6 : NAN;
		if (!hv_counter_delta(pb->wr_reqs, cb->wr_reqs, 0, &dreq) &&
		    !hv_counter_delta(pb->wr_ns, cb->wr_ns, 0, &dns))
			o->wr_lat_ms =
			    dreq ? (double)dns / (double)dreq / 1e6 : NAN;
		acc(&out->blk_rd_Bps, o->rd_Bps);
		acc(&out->blk_wr_Bps, o->wr_Bps);
		acc(&out->blk_rd_iops, o->rd_iops);
		acc(&out->blk_wr_iops, o->wr_iops);
	}
}

static void dom_rate(const hv_dom *p, const hv_dom *c, hv_dom_rate *out,
                     struct pools *pl, double dt, uint32_t online, int ins,
                     int cyc)
{
	double dt_ns = dt * 1e9;

	dom_rate_init(c, out, pl);
	if (!p || dt <= 0) {
		out->fresh = !p;
		return;
	}

	out->cpu_pct = per_s(p->cpu_ns, c->cpu_ns, dt_ns) * 100.0;
	if (online)
		out->cpu_host_pct = out->cpu_pct / online;

	dom_rate_vcpus(p, c, out, dt, dt_ns);
	if (ins >= 0 && cyc >= 0 && out->hw_ps[cyc] > 0)
		out->ipc = out->hw_ps[ins] / out->hw_ps[cyc];
	dom_rate_nets(p, c, out, dt);
	dom_rate_blks(p, c, out, dt);
	out->mbm_total_Bps = per_s(p->mbm_total_bytes, c->mbm_total_bytes, dt);
	out->mbm_local_Bps = per_s(p->mbm_local_bytes, c->mbm_local_bytes, dt);
	out->kvm_exits_ps = per_s(p->kvm_exits, c->kvm_exits, dt);
	out->kvm_mmio_ps = per_s(p->kvm_mmio_exits, c->kvm_mmio_exits, dt);
	out->kvm_io_ps = per_s(p->kvm_io_exits, c->kvm_io_exits, dt);
	out->kvm_wait_ps = per_s(p->kvm_wait_exits, c->kvm_wait_exits, dt);
	out->kvm_hvc_ps = per_s(p->kvm_hvc_exits, c->kvm_hvc_exits, dt);
	out->kvm_irq_ps = per_s(p->kvm_irq_exits, c->kvm_irq_exits, dt);
	out->kvm_signal_ps =
	    per_s(p->kvm_signal_exits, c->kvm_signal_exits, dt);
}

static const hv_pcpu *find_pcpu(const hv_host *h, uint32_t id, uint32_t hint)
{
	if (hint < h->nr_pcpu && h->pcpu[hint].id == id)
		return &h->pcpu[hint];
	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		if (h->pcpu[i].id == id)
			return &h->pcpu[i];
	return NULL;
}

/* Average frequency over the interval: time-weighted P-state residency,
 * else CPPC feedback counters; NAN when neither is there. */
static double pcpu_avg_khz(const hv_pcpu *p, const hv_pcpu *c)
{
	uint64_t tot = 0, wsum = 0;

	for (uint32_t k = 0; k < c->nr_pstate && k < p->nr_pstate; k++) {
		uint64_t d;
		if (c->pstate[k].khz != p->pstate[k].khz ||
		    hv_counter_delta(p->pstate[k].time_ns, c->pstate[k].time_ns,
		                     0, &d))
			continue;
		tot += d;
		wsum +=
		    d * (c->pstate[k].khz / 1000); /* MHz keeps it in 64 bits */
	}
	if (tot)
		return (double)wsum / (double)tot * 1000.0;
	if (c->cppc_ref_khz) {
		/* No P-state table (cppc_cpufreq): CPPC's feedback
		 * counters, delivered vs reference cycles. */
		uint64_t dr, dd;
		if (!hv_counter_delta(p->cppc_fb_ref, c->cppc_fb_ref, 0, &dr) &&
		    !hv_counter_delta(p->cppc_fb_del, c->cppc_fb_del, 0, &dd) &&
		    dr)
			return (double)c->cppc_ref_khz * (double)dd /
			       (double)dr;
	}
	return NAN;
}

/* One pCPU's busy, C-state and frequency figures. Its busy time is added
 * to *busy_dns, and its busy percentage to *sum / *n when it is online. */
static void pcpu_rate(const hv_pcpu *p, const hv_pcpu *c, hv_pcpu_rate *pr,
                      double dt, double *busy_dns, double *sum, unsigned *n)
{
	uint64_t db, di, dt_ns = (uint64_t)(dt * 1e9);

	pr->busy_pct = pr->avg_khz = NAN;
	fill_nan(pr->cstate_pct, HV_CSTATE_MAX);
	if (!p || dt <= 0)
		return;
	if (!hv_counter_delta(p->busy_ns, c->busy_ns, 0, &db) &&
	    !hv_counter_delta(p->idle_ns, c->idle_ns, 0, &di) && db + di) {
		pr->busy_pct = 100.0 * (double)db / (double)(db + di);
		*busy_dns =
		    isnan(*busy_dns) ? (double)db : *busy_dns + (double)db;
		if (c->online != 0) {
			*sum += pr->busy_pct;
			(*n)++;
		}
	}
	for (uint32_t k = 0; k < c->nr_cstate && k < p->nr_cstate; k++) {
		uint64_t d;
		if (!hv_counter_delta(p->cstate[k].time_ns,
		                      c->cstate[k].time_ns, 0, &d) &&
		    dt_ns)
			pr->cstate_pct[k] = 100.0 * (double)d / (double)dt_ns;
	}
	pr->avg_khz = pcpu_avg_khz(p, c);
}

/* RAPL domain watts, matched by path; packages summed into pkg_watts. */
static void rapl_rates(hv_host_rate *o, const hv_host *ph, const hv_host *ch,
                       double dt)
{
	for (uint32_t i = 0; i < ch->nr_rapl; i++) {
		const hv_rapl *c = &ch->rapl[i], *p = NULL;
		uint64_t d;
		o->rapl[i].watts = NAN;
		for (uint32_t k = 0; ph && k < ph->nr_rapl; k++)
			if (!strcmp(ph->rapl[k].path, c->path))
				p = &ph->rapl[k];
		if (!p || dt <= 0 ||
		    hv_counter_delta(p->energy_uj, c->energy_uj,
		                     c->max_range_uj, &d))
			continue;
		o->rapl[i].watts = (double)d / 1e6 / dt;
		if (c->pkg >= 0)
			acc(&o->pkg_watts, o->rapl[i].watts);
	}
}

int hv_energy_src(const hv_host *h)
{
	int src = HV_ESRC_NONE;

	if (h->nr_rapl)
		return HV_ESRC_RAPL;
	for (uint32_t i = 0; i < h->nr_hwmon && !src; i++)
		if (h->hwmon[i].zone)
			src = h->hwmon[i].kind == HV_HWMON_ENERGY
			          ? HV_ESRC_HWMON_ENERGY
			          : HV_ESRC_HWMON_POWER;
	return src;
}

const char *hv_energy_src_str(int src)
{
	switch (src) {
	case HV_ESRC_RAPL:
		return "rapl";
	case HV_ESRC_HWMON_ENERGY:
		return "hwmon";
	case HV_ESRC_HWMON_POWER:
		return "hwmon-power";
	default:
		return "none";
	}
}

/* The same sensor in the older record: at the same index unless the
 * sensor list changed (amd_energy has a counter per core). */
static const hv_hwmon *find_hwmon(const hv_host *h, const hv_hwmon *c,
                                  uint32_t hint)
{
	if (!h)
		return NULL;
	if (hint < h->nr_hwmon && !strcmp(h->hwmon[hint].path, c->path))
		return &h->hwmon[hint];
	for (uint32_t i = 0; i < h->nr_hwmon; i++)
		if (!strcmp(h->hwmon[i].path, c->path))
			return &h->hwmon[i];
	return NULL;
}

static double hwmon_watts(const hv_host *ph, const hv_hwmon *c, uint32_t i,
                          double dt)
{
	const hv_hwmon *p;
	uint64_t d;

	if (c->kind == HV_HWMON_POWER)
		return hv_ok(c->power_uw) ? (double)c->power_uw.v / 1e6 : NAN;
	p = find_hwmon(ph, c, i);
	/* No wrap point is known: a drop is a reset (driver reloaded), and
	 * that interval has no rate rather than a negative one. */
	if (!p || dt <= 0 ||
	    hv_counter_delta(p->energy_uj, c->energy_uj, 0, &d))
		return NAN;
	return (double)d / 1e6 / dt;
}

/* hwmon watts per sensor, and the host power: RAPL's packages where there
 * is RAPL, else the zone sensors' sum, unknown when one of them is (a
 * partial sum would look like a drop in power). */
static void hwmon_rates(hv_host_rate *o, const hv_host *ph, const hv_host *ch,
                        double dt)
{
	double sum = 0;
	int n = 0, known = 1;

	for (uint32_t i = 0; i < ch->nr_hwmon; i++) {
		double w = hwmon_watts(ph, &ch->hwmon[i], i, dt);
		o->hwmon[i].watts = w;
		if (!ch->hwmon[i].zone)
			continue;
		n++;
		if (isnan(w))
			known = 0;
		else
			sum += w;
	}
	if (o->energy_src == HV_ESRC_RAPL)
		o->host_watts = o->pkg_watts;
	else if (n && known)
		o->host_watts = sum;
}

static int host_rate(hv_rates *r, const hv_host *ph, const hv_host *ch,
                     double dt, double *busy_dns)
{
	hv_host_rate *o = &r->host;
	double sum = 0;
	unsigned n = 0;

	o->busy_pct = o->pkg_watts = o->host_watts = NAN;
	*busy_dns = NAN;
	o->nr_pcpu = ch->nr_pcpu;
	o->pcpu =
	    ch->nr_pcpu ? rblock(r, ch->nr_pcpu * sizeof(hv_pcpu_rate)) : NULL;
	o->nr_rapl = ch->nr_rapl;
	o->rapl =
	    ch->nr_rapl ? rblock(r, ch->nr_rapl * sizeof(hv_rapl_rate)) : NULL;
	o->nr_hwmon = ch->nr_hwmon;
	o->hwmon = ch->nr_hwmon
	               ? rblock(r, ch->nr_hwmon * sizeof(hv_hwmon_rate))
	               : NULL;
	if ((ch->nr_pcpu && !o->pcpu) || (ch->nr_rapl && !o->rapl) ||
	    (ch->nr_hwmon && !o->hwmon))
		return -ENOMEM;
	o->energy_src = hv_energy_src(ch);
	for (uint32_t i = 0; i < ch->nr_pcpu; i++) {
		const hv_pcpu *c = &ch->pcpu[i];
		const hv_pcpu *p = ph ? find_pcpu(ph, c->id, i) : NULL;

		pcpu_rate(p, c, &o->pcpu[i], dt, busy_dns, &sum, &n);
	}
	if (n)
		o->busy_pct = sum / n;
	rapl_rates(o, ph, ch, dt);
	hwmon_rates(o, ph, ch, dt);
	return 0;
}

/* The energy source's power (RAPL packages, else hwmon sensors) is shared
 * among domains by their share of the host's busy CPU time (guest time
 * where the backend has it, else the domain's CPU time): what stays idle or
 * is the host's own is not charged to guests. */
static void attribute_power(hv_rates *r, const hv_snap *prev,
                            const hv_snap *cur, double busy_dns)
{
	double W = r->host.host_watts, total = 0;

	if (isnan(W) || isnan(busy_dns) || busy_dns <= 0)
		return;
	for (size_t i = 0; i < r->ndom; i++) {
		const hv_dom *c = hv_snap_dom(cur, i);
		const hv_dom *p = hv_snap_find_key(prev, c->key);
		double used = NAN;
		if (!p)
			continue;
		if (!isnan(r->dom[i].guest_pct) && r->dom[i].guest_pct > 0)
			used = r->dom[i].guest_pct / 100.0 * r->dt * 1e9;
		else if (!isnan(r->dom[i].cpu_pct))
			used = r->dom[i].cpu_pct / 100.0 * r->dt * 1e9;
		if (isnan(used))
			continue;
		r->dom[i].watts = W * used / busy_dns;
		total += r->dom[i].watts;
	}
	/* Sampling skew can make shares add past 1: scale back to the host. */
	if (total > W && total > 0)
		for (size_t i = 0; i < r->ndom; i++)
			if (!isnan(r->dom[i].watts))
				r->dom[i].watts *= W / total;
}

hv_rates *hv_rates_compute(const hv_snap *prev, const hv_snap *cur, hv_err *err)
{
	hv_rates *r = calloc(1, sizeof(*r));
	const hv_host *ch = hv_snap_host(cur);
	uint32_t online = 0;
	double busy_dns;
	int ins, cyc;

	if (!r)
		goto nomem;
	r->dt = NAN;
	if (prev && hv_snap_mono_ns(cur) > hv_snap_mono_ns(prev))
		r->dt = (double)(hv_snap_mono_ns(cur) - hv_snap_mono_ns(prev)) /
		        1e9;
	double dt = isnan(r->dt) ? 0 : r->dt;
	for (uint32_t i = 0; i < ch->nr_pcpu; i++)
		online += ch->pcpu[i].online != 0;
	if (host_rate(r, prev ? hv_snap_host(prev) : NULL, ch, dt, &busy_dns))
		goto nomem;
	hw_slots(ch, &ins, &cyc);
	r->ndom = hv_snap_ndom(cur);
	size_t nv = 0, nn = 0, nb = 0;
	for (size_t i = 0; i < r->ndom; i++) {
		const hv_dom *c = hv_snap_dom(cur, i);
		nv += c->nr_vcpu;
		nn += c->nr_net;
		nb += c->nr_blk;
	}
	struct pools pl = {
	    .vcpu = rblock(r, nv * sizeof(hv_vcpu_rate)),
	    .net = rblock(r, nn * sizeof(hv_net_rate)),
	    .blk = rblock(r, nb * sizeof(hv_blk_rate)),
	};
	r->dom = rblock(r, r->ndom * sizeof(hv_dom_rate));
	if (!r->dom || !pl.vcpu || !pl.net || !pl.blk)
		goto nomem;
	for (size_t i = 0; i < r->ndom; i++) {
		const hv_dom *c = hv_snap_dom(cur, i);
		const hv_dom *p = prev ? hv_snap_find_key(prev, c->key) : NULL;
		dom_rate(p, c, &r->dom[i], &pl, dt, online, ins, cyc);
	}
	if (prev && dt > 0)
		attribute_power(r, prev, cur, busy_dns);
	return r;
nomem:
	hv_rates_free(r);
	hv_err_set(err, ENOMEM, "rates: out of memory");
	return NULL;
}
