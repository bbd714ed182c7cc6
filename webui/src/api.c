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

#include "hv/fields.h"
#include "hv/ras.h"
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

/* A row of the field registry as "key":value; base units, null missing. */
static void field_json(web_buf *o, const hv_field *f, const void *rec,
                       const void *rate, int comma)
{
	char st[HV_STATE_LEN];
	switch (f->type) {
	case HV_FT_STR:
	case HV_FT_STATE:
		str(o, f->api, hv_field_str(f, rec, st, sizeof(st)), comma);
		break;
	case HV_FT_FLAG:
		if (comma)
			web_buf_putc(o, ',');
		web_buf_putc(o, '"');
		web_buf_puts(o, f->api);
		web_buf_put(o, "\":", 2);
		web_buf_puts(o, hv_field_u64(f, rec).v ? "true" : "false");
		break;
	default:
		num(o, f->api, hv_field_base(f, rec, rate), comma);
	}
}

/* The rows of a record in an output's order with api_pos in [lo, hi) (0
 * counts as 256), children left out: looked up once per request. */
typedef struct view {
	const hv_field *f[96];
	size_t n;
} view;

static void view_init(view *v, hv_rec rec, unsigned views, unsigned lo,
                      unsigned hi)
{
	const hv_field *all[96];
	size_t n = hv_fields_view(rec, views, all, 96);
	v->n = 0;
	for (size_t i = 0; i < n && i < 96; i++) {
		unsigned pos = all[i]->api_pos ? all[i]->api_pos : 256;
		if (pos >= lo && pos < hi && all[i]->type != HV_FT_CHILD)
			v->f[v->n++] = all[i];
	}
}

static void view_json(web_buf *o, const view *v, const void *r,
                      const void *rate, int comma)
{
	for (size_t i = 0; i < v->n; i++)
		field_json(o, v->f[i], r, rate, comma || i);
}

static void fields_json(web_buf *o, hv_rec rec, unsigned views, const void *r,
                        const void *rate, unsigned lo, unsigned hi, int comma)
{
	view v;
	view_init(&v, rec, views, lo, hi);
	view_json(o, &v, r, rate, comma);
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

/* Pages with errors (null when there is no source, not []) and EDAC
 * DIMMs: arrays beside the host record, as rapl. */
static void ras_json(web_buf *o, const hv_host *h)
{
	web_buf_puts(o, ",\"pages\":");
	web_buf_puts(o, h->page_why == HV_OK ? "[" : "null");
	for (uint32_t i = 0; h->page_why == HV_OK && i < h->nr_page; i++) {
		char hex[24];
		snprintf(hex, sizeof(hex), "0x%llx",
		         (unsigned long long)h->page[i].addr);
		web_buf_puts(o, i ? ",{" : "{");
		str(o, "addr", hex, 0);
		num(o, "ce", (double)h->page[i].ce, 1);
		num(o, "ue", (double)h->page[i].ue, 1);
		str(o, "state",
		    hv_page_state_str((enum hv_page_state)h->page[i].state), 1);
		str(o, "reason", h->page[i].reason, 1);
		web_buf_putc(o, '}');
	}
	if (h->page_why == HV_OK)
		web_buf_putc(o, ']');
	web_buf_puts(o, ",\"dimms\":[");
	for (uint32_t i = 0; i < h->nr_dimm; i++) {
		web_buf_puts(o, i ? ",{" : "{");
		str(o, "name", h->dimm[i].name, 0);
		str(o, "label", h->dimm[i].label, 1);
		u64v(o, "ce", h->dimm[i].ce, 1, 1);
		u64v(o, "ue", h->dimm[i].ue, 1, 1);
		web_buf_putc(o, '}');
	}
	web_buf_putc(o, ']');
}

/* The energy source (rapl, hwmon, hwmon-power, none), why, and the hwmon
 * power and energy sensors beside the host record, as rapl. */
static void energy_json(web_buf *o, const hv_host *h, const hv_host_rate *hr)
{
	str(o, "energy_source", hv_energy_src_str(hv_energy_src(h)), 1);
	str(o, "energy_note", h->energy_note, 1);
	web_buf_puts(o, ",\"hwmon\":[");
	for (uint32_t i = 0; i < h->nr_hwmon; i++) {
		const hv_hwmon *z = &h->hwmon[i];
		web_buf_puts(o, i ? ",{" : "{");
		str(o, "sensor", z->path, 0);
		str(o, "chip", z->chip, 1);
		str(o, "label", z->label, 1);
		str(o, "kind", z->kind == HV_HWMON_ENERGY ? "energy" : "power",
		    1);
		web_buf_puts(o, z->zone ? ",\"counted\":true"
		                        : ",\"counted\":false");
		u64v(o, "energy_j", z->energy_uj, 1e-6, 1);
		u64v(o, "power_watts", z->power_uw, 1e-6, 1);
		num(o, "watts",
		    hr && i < hr->nr_hwmon ? hr->hwmon[i].watts : NAN, 1);
		web_buf_putc(o, '}');
	}
	web_buf_putc(o, ']');
}

void web_json_host(const hv_snap *s, const hv_collector_stats *st, web_buf *o)
{
	head(o, s);
	if (s) {
		const hv_host *h = hv_snap_host(s);
		const hv_rates *r = hv_snap_rates(s);
		const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
		web_buf_puts(o, ",\"host\":{");
		fields_json(o, HV_REC_HOST, HV_FV_API, h, hr, 1, 12, 0);
		/* of the snapshot, not of the host record */
		num(o, "domains", (double)hv_snap_ndom(s), 1);
		fields_json(o, HV_REC_HOST, HV_FV_API, h, hr, 12, 257, 1);
		ras_json(o, h);
		energy_json(o, h, hr);
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

static void dom_summary(web_buf *o, const hv_snap *s, const hv_dom *d,
                        const view *v)
{
	web_buf_puts(o, "{\"key\":");
	key_str(o, d->key);
	view_json(o, v, d, rate_of(s, d), 1);
}

void web_json_domains(const hv_snap *s, web_buf *o)
{
	head(o, s);
	web_buf_puts(o, ",\"domains\":[");
	size_t n = s ? hv_snap_ndom(s) : 0;
	web_buf_reserve(o, n * 420);
	view v;
	view_init(&v, HV_REC_DOM, HV_FV_API, 0, 257);
	for (size_t i = 0; i < n; i++) {
		if (i)
			web_buf_putc(o, ',');
		dom_summary(o, s, hv_snap_dom(s, i), &v);
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
	view sum;
	view_init(&sum, HV_REC_DOM, HV_FV_API, 0, 257);
	dom_summary(o, s, d, &sum);
	fields_json(o, HV_REC_DOM, HV_FV_API_DETAIL, d, r, 0, 257, 1);
	/* child arrays: "vcpu":[{...}], "net":[...], "blk":[...] */
	const hv_field *v[16];
	size_t nv = hv_fields_view(HV_REC_DOM, HV_FV_API_DETAIL, v, 16);
	for (size_t k = 0; k < nv && k < 16; k++) {
		if (v[k]->type != HV_FT_CHILD)
			continue;
		web_buf_printf(o, ",\"%s\":[", v[k]->api);
		size_t nc = hv_field_nchild(v[k], d);
		view cv;
		view_init(&cv, v[k]->child, HV_FV_API, 0, 257);
		for (size_t i = 0; i < nc; i++) {
			const void *cr;
			uint32_t no;
			const void *c = hv_field_child(v[k], d, r, i, &cr, &no);
			web_buf_putc(o, i ? ',' : '{');
			if (i)
				web_buf_putc(o, '{');
			view_json(o, &cv, c, cr, 0);
			web_buf_putc(o, '}');
		}
		web_buf_putc(o, ']');
	}
	web_buf_puts(o, "}}");
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
		view v1, v2;
		view_init(&v1, HV_REC_PCPU, HV_FV_API, 1, 16);
		view_init(&v2, HV_REC_PCPU, HV_FV_API, 17, 257);
		const hv_host *h = hv_snap_host(s);
		const hv_rates *r = hv_snap_rates(s);
		const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			const hv_pcpu *p = &h->pcpu[i];
			const hv_pcpu_rate *pr =
			    hr && hr->pcpu && i < hr->nr_pcpu ? &hr->pcpu[i]
			                                      : NULL;
			web_buf_puts(o, i ? ",{" : "{");
			view_json(o, &v1, p, pr, 0);
			num(o, "deep_idle_pct", web_pcpu_deep_pct(pr, p), 1);
			view_json(o, &v2, p, pr, 1);
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
	num(o, "power_watts", hr ? hr->host_watts : NAN, 1);
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
		char st[HV_STATE_LEN];
		web_buf_puts(o, i ? ",[" : "[");
		key_str(o, d->key);
		web_buf_putc(o, ',');
		web_buf_json_str(o, d->name);
		web_buf_putc(o, ',');
		web_buf_json_str(o, hv_dom_state_str(d->state, st));
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
			v[1] = hr ? hr->host_watts : NAN;
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
