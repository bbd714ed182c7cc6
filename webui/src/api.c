/* SPDX-License-Identifier: MIT */
/* JSON for /api/v1: written straight into a buffer (1,000 domains every
 * second would be ~20,000 cJSON nodes per request otherwise). Numbers that
 * are missing are null, never 0; rates come from the collector's attached
 * hv_rates (NAN = missing). Schema: docs/arch/webui.md. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/rates.h"
#include "web.h"

#define KEY(b, k) web_buf_puts(b, "\"" k "\":")

static void num(web_buf *b, const char *k, double v, int comma)
{
	if (comma)
		web_buf_putc(b, ',');
	web_buf_putc(b, '"');
	web_buf_puts(b, k);
	web_buf_put(b, "\":", 2);
	web_buf_json_num(b, v);
}

static void u64v(web_buf *b, const char *k, hv_u64 v, double scale, int comma)
{
	num(b, k, hv_ok(v) ? (double)v.v * scale : NAN, comma);
}

static void str(web_buf *b, const char *k, const char *v, int comma)
{
	if (comma)
		web_buf_putc(b, ',');
	web_buf_putc(b, '"');
	web_buf_puts(b, k);
	web_buf_put(b, "\":", 2);
	web_buf_json_str(b, v);
}

const char *web_state_str(uint32_t st, char out[8])
{
	/* xentop's "dsbcpr" letters, plus 'o' for KVM's shut-off guest. */
	out[0] = (st & HV_DS_DYING) ? 'd' : '-';
	out[1] = (st & HV_DS_SHUTDOWN) ? 's' : '-';
	out[2] = (st & HV_DS_BLOCKED) ? 'b' : '-';
	out[3] = (st & HV_DS_CRASHED) ? 'c' : '-';
	out[4] = (st & HV_DS_PAUSED) ? 'p' : '-';
	out[5] = (st & HV_DS_RUNNING) ? 'r' : '-';
	out[6] = (st & HV_DS_SHUTOFF) ? 'o' : '\0';
	out[7] = '\0';
	return out;
}

static void head(web_buf *o, const hv_snap *s)
{
	web_buf_printf(o, "{\"schema\":%d", WEB_SCHEMA);
	if (s) {
		web_buf_puts(o, ",\"seq\":");
		web_buf_u64(o, hv_snap_seq(s));
		web_buf_puts(o, ",\"time\":");
		web_buf_fixed(o, (uint64_t)hv_snap_wall_ns(s) / 1000000u, 3);
	}
}

void web_json_error(web_buf *o, int status, const char *msg)
{
	web_buf_printf(o,
	               "{\"schema\":%d,\"error\":{\"status\":%d,\"message\":",
	               WEB_SCHEMA, status);
	web_buf_json_str(o, msg);
	web_buf_puts(o, "}}");
}

static void key_str(web_buf *o, uint64_t key)
{
	web_buf_putc(o, '"');
	web_buf_u64(o, key);
	web_buf_putc(o, '"');
}

const hv_dom *web_find_dom(const hv_snap *s, const char *id)
{
	if (!s || !id || !*id)
		return NULL;
	char *end = NULL;
	unsigned long long k = strtoull(id, &end, 10);
	if (end && !*end) {
		const hv_dom *d = hv_snap_find_key(s, k);
		if (d)
			return d;
	}
	size_t n = hv_snap_ndom(s);
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		if (!strcmp(d->uuid, id) || !strcmp(d->name, id))
			return d;
	}
	return NULL;
}

static const hv_dom_rate *rate_of(const hv_snap *s, const hv_dom *d)
{
	return hv_snap_rates(s) ? hv_rates_for(s, d) : NULL;
}

void web_json_host(const hv_snap *s, const hv_collector_stats *st, web_buf *o)
{
	head(o, s);
	if (s) {
		const hv_host *h = hv_snap_host(s);
		const hv_rates *r = hv_snap_rates(s);
		const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
		unsigned online = 0;
		for (uint32_t i = 0; i < h->nr_pcpu; i++)
			online += h->pcpu[i].online == 1;
		web_buf_puts(o, ",\"host\":{");
		str(o, "hostname", h->hostname, 0);
		str(o, "backend", h->backend, 1);
		str(o, "hv_version", h->hv_version, 1);
		str(o, "idle_driver", h->idle_driver, 1);
		str(o, "idle_governor", h->idle_governor, 1);
		u64v(o, "uptime_s", h->uptime_ns, 1e-9, 1);
		u64v(o, "mem_total_bytes", h->mem_total_kib, 1024, 1);
		u64v(o, "mem_free_bytes", h->mem_free_kib, 1024, 1);
		num(o, "cpu_hz", h->cpu_khz ? h->cpu_khz * 1000.0 : NAN, 1);
		num(o, "nr_pcpu", h->nr_pcpu, 1);
		num(o, "online_pcpus", online, 1);
		num(o, "domains", (double)hv_snap_ndom(s), 1);
		num(o, "busy_pct", hr ? hr->busy_pct : NAN, 1);
		num(o, "power_watts", hr ? hr->pkg_watts : NAN, 1);
		u64v(o, "ce_total", h->ce_total, 1, 1);
		str(o, "hw_note", h->hw_note, 1);
		web_buf_puts(o, ",\"rapl\":[");
		for (uint32_t i = 0; i < h->nr_rapl; i++) {
			const hv_rapl *z = &h->rapl[i];
			web_buf_puts(o, i ? ",{" : "{");
			str(o, "name", z->name, 0);
			str(o, "path", z->path, 1);
			num(o, "pkg", z->pkg, 1);
			u64v(o, "energy_j", z->energy_uj, 1e-6, 1);
			u64v(o, "limit_watts", z->limit_uw, 1e-6, 1);
			num(o, "watts",
			    hr && i < hr->nr_rapl ? hr->rapl[i].watts : NAN, 1);
			web_buf_putc(o, '}');
		}
		web_buf_puts(o, "]}");
	}
	if (st) {
		web_buf_puts(o, ",\"collector\":{");
		num(o, "samples", (double)st->samples, 0);
		num(o, "failures", (double)st->failures, 1);
		num(o, "last_cost_s", st->last_cost_ns / 1e9, 1);
		web_buf_puts(o, ",\"last_ok_time\":");
		if (st->last_ok_wall_ns > 0)
			web_buf_fixed(
			    o, (uint64_t)st->last_ok_wall_ns / 1000000u, 3);
		else
			web_buf_puts(o, "null");
		web_buf_puts(o, ",\"ok\":");
		web_buf_puts(o, st->samples && !st->last_err.code ? "true"
		                                                  : "false");
		str(o, "error", st->last_err.code ? st->last_err.msg : "", 1);
		web_buf_putc(o, '}');
	}
	web_buf_putc(o, '}');
}

static void dom_summary(web_buf *o, const hv_snap *s, const hv_dom *d)
{
	const hv_dom_rate *r = rate_of(s, d);
	char st[8];
	web_buf_puts(o, "{\"key\":");
	key_str(o, d->key);
	num(o, "id", d->id, 1);
	str(o, "name", d->name, 1);
	str(o, "uuid", d->uuid, 1);
	str(o, "state", web_state_str(d->state, st), 1);
	num(o, "vcpus", d->nr_vcpus, 1);
	u64v(o, "mem_bytes", d->mem_kib, 1024, 1);
	u64v(o, "maxmem_bytes", d->maxmem_kib, 1024, 1);
	u64v(o, "cpu_s", d->cpu_ns, 1e-9, 1);
	num(o, "cpu_pct", r ? r->cpu_pct : NAN, 1);
	num(o, "steal_pct", r ? r->steal_pct : NAN, 1);
	num(o, "net_rx_Bps", r ? r->net_rx_Bps : NAN, 1);
	num(o, "net_tx_Bps", r ? r->net_tx_Bps : NAN, 1);
	num(o, "blk_rd_Bps", r ? r->blk_rd_Bps : NAN, 1);
	num(o, "blk_wr_Bps", r ? r->blk_wr_Bps : NAN, 1);
	num(o, "watts", r ? r->watts : NAN, 1);
	web_buf_puts(o, ",\"stale\":");
	web_buf_puts(o, d->stale ? "true" : "false");
	str(o, "note", d->note, 1);
}

void web_json_domains(const hv_snap *s, web_buf *o)
{
	head(o, s);
	web_buf_puts(o, ",\"domains\":[");
	size_t n = s ? hv_snap_ndom(s) : 0;
	web_buf_reserve(o, n * 420);
	for (size_t i = 0; i < n; i++) {
		if (i)
			web_buf_putc(o, ',');
		dom_summary(o, s, hv_snap_dom(s, i));
		web_buf_putc(o, '}');
	}
	web_buf_puts(o, "]}");
}

int web_json_domain(const hv_snap *s, const char *id, web_buf *o, hv_err *err)
{
	const hv_dom *d = web_find_dom(s, id);
	if (!d)
		return hv_err_set(err, ENOENT, "no domain '%s'", id);
	const hv_dom_rate *r = rate_of(s, d);
	head(o, s);
	web_buf_puts(o, ",\"domain\":");
	dom_summary(o, s, d);
	u64v(o, "target_bytes", d->target_kib, 1024, 1);
	u64v(o, "rss_bytes", d->rss_kib, 1024, 1);
	u64v(o, "llc_bytes", d->llc_bytes, 1, 1);
	u64v(o, "energy_j", d->energy_uj, 1e-6, 1);
	num(o, "start_s", d->start_ns ? d->start_ns / 1e9 : NAN, 1);
	web_buf_puts(o, ",\"vcpu\":[");
	for (uint32_t i = 0; i < d->nr_vcpu; i++) {
		const hv_vcpu *v = &d->vcpu[i];
		const hv_vcpu_rate *vr = r && r->vcpu ? &r->vcpu[i] : NULL;
		web_buf_puts(o, i ? ",{" : "{");
		num(o, "id", v->id, 0);
		num(o, "pcpu", v->pcpu >= 0 ? v->pcpu : NAN, 1);
		num(o, "online", v->online, 1);
		u64v(o, "time_s", v->time_ns, 1e-9, 1);
		u64v(o, "steal_s", v->wait_ns, 1e-9, 1);
		num(o, "cpu_pct", vr ? vr->cpu_pct : NAN, 1);
		num(o, "steal_pct", vr ? vr->steal_pct : NAN, 1);
		web_buf_putc(o, '}');
	}
	web_buf_puts(o, "],\"net\":[");
	for (uint32_t i = 0; i < d->nr_net; i++) {
		const hv_net *x = &d->net[i];
		const hv_net_rate *xr = r && r->net ? &r->net[i] : NULL;
		web_buf_puts(o, i ? ",{" : "{");
		str(o, "name", x->name, 0);
		u64v(o, "rx_bytes", x->rx_bytes, 1, 1);
		u64v(o, "tx_bytes", x->tx_bytes, 1, 1);
		u64v(o, "rx_pkts", x->rx_pkts, 1, 1);
		u64v(o, "tx_pkts", x->tx_pkts, 1, 1);
		num(o, "rx_Bps", xr ? xr->rx_Bps : NAN, 1);
		num(o, "tx_Bps", xr ? xr->tx_Bps : NAN, 1);
		web_buf_putc(o, '}');
	}
	web_buf_puts(o, "],\"blk\":[");
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		const hv_blk *x = &d->blk[i];
		const hv_blk_rate *xr = r && r->blk ? &r->blk[i] : NULL;
		web_buf_puts(o, i ? ",{" : "{");
		str(o, "name", x->name, 0);
		u64v(o, "rd_bytes", x->rd_bytes, 1, 1);
		u64v(o, "wr_bytes", x->wr_bytes, 1, 1);
		u64v(o, "rd_reqs", x->rd_reqs, 1, 1);
		u64v(o, "wr_reqs", x->wr_reqs, 1, 1);
		num(o, "rd_Bps", xr ? xr->rd_Bps : NAN, 1);
		num(o, "wr_Bps", xr ? xr->wr_Bps : NAN, 1);
		num(o, "rd_iops", xr ? xr->rd_iops : NAN, 1);
		num(o, "wr_iops", xr ? xr->wr_iops : NAN, 1);
		web_buf_putc(o, '}');
	}
	web_buf_puts(o, "]}}");
	return 0;
}

double web_pcpu_deep_pct(const hv_pcpu_rate *pr, const hv_pcpu *p)
{
	/* Share of time in idle states past the first (POLL/C1): the
	 * heatmap's "how deep does this CPU sleep". */
	if (!pr || p->nr_cstate < 2)
		return NAN;
	double t = 0;
	for (uint32_t j = 1; j < p->nr_cstate && j < HV_CSTATE_MAX; j++) {
		if (isnan(pr->cstate_pct[j]))
			return NAN;
		t += pr->cstate_pct[j];
	}
	return t;
}

void web_json_pcpus(const hv_snap *s, web_buf *o)
{
	head(o, s);
	web_buf_puts(o, ",\"pcpus\":[");
	if (s) {
		const hv_host *h = hv_snap_host(s);
		const hv_rates *r = hv_snap_rates(s);
		const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			const hv_pcpu *p = &h->pcpu[i];
			const hv_pcpu_rate *pr =
			    hr && hr->pcpu && i < hr->nr_pcpu ? &hr->pcpu[i]
			                                      : NULL;
			web_buf_puts(o, i ? ",{" : "{");
			num(o, "id", p->id, 0);
			num(o, "online", p->online >= 0 ? p->online : NAN, 1);
			num(o, "hotplug", p->hotplug, 1);
			num(o, "pkg", p->pkg >= 0 ? p->pkg : NAN, 1);
			num(o, "core", p->core >= 0 ? p->core : NAN, 1);
			u64v(o, "cur_hz", p->cur_khz, 1000, 1);
			u64v(o, "min_hz", p->min_khz, 1000, 1);
			u64v(o, "max_hz", p->max_khz, 1000, 1);
			u64v(o, "hw_min_hz", p->hw_min_khz, 1000, 1);
			u64v(o, "hw_max_hz", p->hw_max_khz, 1000, 1);
			str(o, "governor", p->governor, 1);
			str(o, "driver", p->driver, 1);
			str(o, "epp", p->epp, 1);
			num(o, "busy_pct", pr ? pr->busy_pct : NAN, 1);
			num(o, "avg_hz", pr ? pr->avg_khz * 1000 : NAN, 1);
			num(o, "deep_idle_pct", web_pcpu_deep_pct(pr, p), 1);
			u64v(o, "ce_count", p->ce_count, 1, 1);
			web_buf_puts(o, ",\"cstates\":[");
			for (uint32_t j = 0;
			     j < p->nr_cstate && j < HV_CSTATE_MAX; j++) {
				const hv_cstate *c = &p->cstate[j];
				web_buf_puts(o, j ? ",{" : "{");
				str(o, "name", c->name, 0);
				str(o, "desc", c->desc, 1);
				num(o, "latency_us", c->latency_us, 1);
				num(o, "disabled", c->disabled, 1);
				u64v(o, "time_s", c->time_ns, 1e-9, 1);
				u64v(o, "usage", c->usage, 1, 1);
				num(o, "pct", pr ? pr->cstate_pct[j] : NAN, 1);
				web_buf_putc(o, '}');
			}
			web_buf_puts(o, "]}");
		}
	}
	web_buf_puts(o, "]}");
}

void web_json_live(const hv_snap *s, web_buf *o)
{
	head(o, s);
	if (!s) {
		web_buf_putc(o, '}');
		return;
	}
	const hv_host *h = hv_snap_host(s);
	const hv_rates *r = hv_snap_rates(s);
	const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
	size_t n = hv_snap_ndom(s);
	web_buf_reserve(o, 256 + h->nr_pcpu * 40 + n * 160);
	web_buf_puts(o, ",\"host\":{");
	num(o, "busy_pct", hr ? hr->busy_pct : NAN, 0);
	num(o, "power_watts", hr ? hr->pkg_watts : NAN, 1);
	u64v(o, "mem_free_bytes", h->mem_free_kib, 1024, 1);
	u64v(o, "mem_total_bytes", h->mem_total_kib, 1024, 1);
	num(o, "domains", (double)n, 1);
	/* pcpu rows: [id, online, cur_hz, busy_pct, deep_idle_pct] */
	web_buf_puts(o, "},\"pcpu\":[");
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		const hv_pcpu_rate *pr =
		    hr && hr->pcpu && i < hr->nr_pcpu ? &hr->pcpu[i] : NULL;
		web_buf_puts(o, i ? ",[" : "[");
		web_buf_u64(o, p->id);
		web_buf_putc(o, ',');
		web_buf_json_num(o, p->online >= 0 ? p->online : NAN);
		web_buf_putc(o, ',');
		web_buf_json_num(o, hv_ok(p->cur_khz) ? p->cur_khz.v * 1000.0
		                                      : NAN);
		web_buf_putc(o, ',');
		web_buf_json_num(o, pr ? pr->busy_pct : NAN);
		web_buf_putc(o, ',');
		web_buf_json_num(o, web_pcpu_deep_pct(pr, p));
		web_buf_putc(o, ']');
	}
	/* dom rows: [key, name, state, vcpus, cpu_pct, steal_pct, mem_bytes,
	 *            net_rx_Bps, net_tx_Bps, blk_rd_Bps, blk_wr_Bps, watts] */
	web_buf_puts(o, "],\"dom\":[");
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *dr = r ? hv_rates_dom(r, i) : NULL;
		char st[8];
		web_buf_puts(o, i ? ",[" : "[");
		key_str(o, d->key);
		web_buf_putc(o, ',');
		web_buf_json_str(o, d->name);
		web_buf_putc(o, ',');
		web_buf_json_str(o, web_state_str(d->state, st));
		web_buf_putc(o, ',');
		web_buf_u64(o, d->nr_vcpus);
		const double v[] = {
		    dr ? dr->cpu_pct : NAN,
		    dr ? dr->steal_pct : NAN,
		    hv_ok(d->mem_kib) ? d->mem_kib.v * 1024.0 : NAN,
		    dr ? dr->net_rx_Bps : NAN,
		    dr ? dr->net_tx_Bps : NAN,
		    dr ? dr->blk_rd_Bps : NAN,
		    dr ? dr->blk_wr_Bps : NAN,
		    dr ? dr->watts : NAN,
		};
		for (size_t k = 0; k < sizeof(v) / sizeof(v[0]); k++) {
			web_buf_putc(o, ',');
			web_buf_json_num(o, v[k]);
		}
		web_buf_putc(o, ']');
	}
	web_buf_puts(o, "]}");
}

int web_json_ring_history(hv_snap *const *ring, size_t n, const char *id,
                          double range_s, web_buf *o, hv_err *err)
{
	const hv_snap *last = n ? ring[n - 1] : NULL;
	const hv_dom *d0 = NULL;
	uint64_t key = 0;
	char name[HV_NAME_LEN] = "";
	if (id) {
		d0 = web_find_dom(last, id);
		if (!d0)
			return hv_err_set(err, ENOENT, "no domain '%s'", id);
		key = d0->key;
		snprintf(name, sizeof(name), "%s", d0->name);
	}
	size_t first = 0;
	if (last && range_s > 0) {
		int64_t lim = hv_snap_wall_ns(last) - (int64_t)(range_s * 1e9);
		while (first < n && hv_snap_wall_ns(ring[first]) < lim)
			first++;
	}
	static const char *const dnames[] = {
	    "cpu_pct",    "steal_pct",  "mem_bytes",  "net_rx_Bps",
	    "net_tx_Bps", "blk_rd_Bps", "blk_wr_Bps", "watts"};
	static const char *const hnames[] = {"busy_pct", "power_watts",
	                                     "mem_free_bytes", "domains"};
	const char *const *names = id ? dnames : hnames;
	size_t ns = id ? 8 : 4;
	size_t cnt = n - first;
	double *vals = calloc(cnt * ns + 1, sizeof(double));
	if (!vals)
		return hv_err_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < cnt; i++) {
		const hv_snap *s = ring[first + i];
		const hv_rates *r = hv_snap_rates(s);
		double *v = vals + i * ns;
		for (size_t k = 0; k < ns; k++)
			v[k] = NAN;
		if (!id) {
			const hv_host *h = hv_snap_host(s);
			const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
			v[0] = hr ? hr->busy_pct : NAN;
			v[1] = hr ? hr->pkg_watts : NAN;
			v[2] = hv_ok(h->mem_free_kib)
			           ? h->mem_free_kib.v * 1024.0
			           : NAN;
			v[3] = (double)hv_snap_ndom(s);
			continue;
		}
		const hv_dom *d = hv_snap_find_key(s, key);
		if (!d)
			continue; /* not alive then: a gap */
		const hv_dom_rate *dr = r ? hv_rates_for(s, d) : NULL;
		v[0] = dr ? dr->cpu_pct : NAN;
		v[1] = dr ? dr->steal_pct : NAN;
		v[2] = hv_ok(d->mem_kib) ? d->mem_kib.v * 1024.0 : NAN;
		v[3] = dr ? dr->net_rx_Bps : NAN;
		v[4] = dr ? dr->net_tx_Bps : NAN;
		v[5] = dr ? dr->blk_rd_Bps : NAN;
		v[6] = dr ? dr->blk_wr_Bps : NAN;
		v[7] = dr ? dr->watts : NAN;
	}
	head(o, last);
	web_buf_puts(o, ",\"source\":\"ring\"");
	if (id) {
		web_buf_puts(o, ",\"key\":");
		key_str(o, key);
		str(o, "name", name, 1);
	}
	web_buf_puts(o, ",\"t\":[");
	for (size_t i = 0; i < cnt; i++) {
		if (i)
			web_buf_putc(o, ',');
		web_buf_fixed(
		    o, (uint64_t)hv_snap_wall_ns(ring[first + i]) / 1000000u,
		    3);
	}
	web_buf_puts(o, "],\"series\":{");
	for (size_t k = 0; k < ns; k++) {
		web_buf_printf(o, "%s\"%s\":[", k ? "," : "", names[k]);
		for (size_t i = 0; i < cnt; i++) {
			if (i)
				web_buf_putc(o, ',');
			web_buf_json_num(o, vals[i * ns + k]);
		}
		web_buf_putc(o, ']');
	}
	web_buf_puts(o, "}}");
	free(vals);
	return 0;
}
