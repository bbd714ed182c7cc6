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
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/fields.h"
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
static const fam F_BUILD_INFO = {
    "hv_build", K_INFO, NULL,
    "hvkit build: its version and the backend this hv-webd samples."};
static const fam F_HOST_NDOM = {"hv_host_domains", K_GAUGE, NULL,
                                "Domains (guests) seen in the snapshot."};
static const fam F_PAGES_OFF = {
    "hv_memory_pages_offlined", K_COUNTER, NULL,
    "Physical pages taken out of service, by who: hvkit (soft-offline), "
    "kernel (poisoned by the kernel), xen."};
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
static const fam F_PC_CS = {"hv_pcpu_cstate_residency_seconds", K_COUNTER,
                            "seconds", "Time spent in the idle (C-) state."};
static const fam F_PC_CSN = {"hv_pcpu_cstate_entries", K_COUNTER, NULL,
                             "Entries into the idle (C-) state."};
static const fam F_PC_CSD = {"hv_pcpu_cstate_disabled", K_GAUGE, NULL,
                             "1 when the idle state is disabled."};
static const fam F_RAPL = {
    "hv_rapl_energy_joules", K_COUNTER, "joules",
    "Energy counted by the RAPL zone (wraps are resets)."};
static const fam F_RAPL_LIM = {"hv_rapl_power_limit_watts", K_GAUGE, "watts",
                               "RAPL constraint 0 power limit."};

static const fam F_HWMON_E = {
    "hv_hwmon_energy_joules", K_COUNTER, "joules",
    "Energy counted by a hwmon sensor (energyN_input; a drop is a reset)."};
static const fam F_HWMON_P = {
    "hv_hwmon_power_watts", K_GAUGE, "watts",
    "Power read from a hwmon sensor (powerN_average, else powerN_input)."};

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

/* ---- families from the field registry (hv/fields.h) ---- */

/* Records of one kind with their prepared label sets; NULL records (a
 * duplicate domain) are skipped. */
typedef struct recs {
	const void *const *r;
	const lset *ls; /* NULL: no labels */
	size_t n;
} recs;

static fam fam_of(const hv_field *f)
{
	static const enum kind k[] = {
	    [HV_FK_GAUGE] = K_GAUGE,
	    [HV_FK_COUNTER] = K_COUNTER,
	    [HV_FK_INFO] = K_INFO,
	};
	return (fam){f->prom, k[f->kind], f->prom_unit, f->help};
}

static const char *labels_of(const recs *R, size_t i, size_t *ll)
{
	if (!R->ls) {
		*ll = 0;
		return "";
	}
	return ls_get(R->ls, i, ll);
}

/* One value: {labels[,extra]} raw*mul/10^dec; missing is left out. */
static void field_line(ctx *c, const hv_field *f, const void *rec,
                       const char *l, size_t ll)
{
	hv_u64 x = hv_field_u64(f, rec);
	if (!hv_ok(x) || (f->flags & HV_FF_PROM_NZ && !x.v))
		return;
	s_open(c);
	if (ll || f->prom_label) {
		web_buf_putc(c->o, '{');
		web_buf_put(c->o, l, ll);
		if (f->prom_label) {
			if (ll)
				web_buf_putc(c->o, ',');
			web_buf_puts(c->o, f->prom_label);
		}
		web_buf_putc(c->o, '}');
	}
	web_buf_putc(c->o, ' ');
	web_buf_fixed(c->o, x.v * (f->mul ? f->mul : 1), f->dec);
	web_buf_putc(c->o, '\n');
}

/* Info rows of one family: their values are labels of a single "1". */
static void info_line(ctx *c, const hv_field *const *g, size_t m,
                      const void *rec, const char *l, size_t ll)
{
	bool any = false;
	for (size_t j = 0; j < m; j++)
		any |= g[j]->type != HV_FT_STR ||
		       !(g[j]->flags & HV_FF_OMIT_EMPTY) ||
		       hv_field_str(g[j], rec, NULL, 0)[0];
	if (!any)
		return;
	s_open(c);
	web_buf_putc(c->o, '{');
	web_buf_put(c->o, l, ll);
	for (size_t j = 0; j < m; j++) {
		const char *v = hv_field_str(g[j], rec, NULL, 0);
		if (ll || j)
			web_buf_putc(c->o, ',');
		web_buf_puts(c->o, g[j]->prom_label);
		web_buf_put(c->o, "=\"", 2);
		if (v)
			web_buf_prom_label(c->o, v);
		else
			web_buf_u64(c->o, hv_field_u64(g[j], rec).v);
		web_buf_putc(c->o, '"');
	}
	web_buf_puts(c->o, "} 1\n");
}

static void state_lines(ctx *c, const hv_field *f, const void *rec,
                        const char *l, size_t ll)
{
	size_t ns;
	const hv_state_name *sn = hv_dom_state_names(&ns);
	uint32_t st = *(const uint32_t *)((const char *)rec + f->off);
	for (size_t k = 0; k < ns; k++) {
		s_open(c);
		web_buf_putc(c->o, '{');
		web_buf_put(c->o, l, ll);
		web_buf_putc(c->o, ',');
		web_buf_puts(c->o, f->prom_label);
		web_buf_put(c->o, "=\"", 2);
		web_buf_puts(c->o, sn[k].name);
		web_buf_puts(c->o, (st & sn[k].bit) ? "\"} 1\n" : "\"} 0\n");
	}
}

/* Rows g[0..m) share one family; records outer, rows inner. */
static void family(ctx *c, const hv_field *const *g, size_t m, const recs *R)
{
	fam f = fam_of(g[0]);
	fam_begin(c, &f);
	for (size_t i = 0; i < R->n; i++) {
		if (!R->r[i])
			continue;
		size_t ll;
		const char *l = labels_of(R, i, &ll);
		if (g[0]->kind == HV_FK_INFO)
			info_line(c, g, m, R->r[i], l, ll);
		else if (g[0]->type == HV_FT_STATE)
			state_lines(c, g[0], R->r[i], l, ll);
		else
			for (size_t j = 0; j < m; j++)
				field_line(c, g[j], R->r[i], l, ll);
	}
	c->cur = NULL; /* f goes out of scope */
}

/* The families of a child table (vCPUs, NICs, disks) of every domain; the
 * child's label is `ch->prom_label` = its name, or its number. */
static void child_families(ctx *c, const hv_field *ch, const recs *R)
{
	const hv_field *v[32];
	size_t nv = hv_fields_view(ch->child, HV_FV_PROM, v, 32);
	size_t nrow;
	const hv_field *t = hv_fields(ch->child, &nrow);
	const hv_field *name = NULL, *id = NULL;
	for (size_t i = 0; i < nrow; i++) {
		if (t[i].type == HV_FT_STR && !strcmp(t[i].name, "name"))
			name = &t[i];
		if (t[i].type == HV_FT_U32 && !strcmp(t[i].name, "id"))
			id = &t[i];
	}
	if (!(ch->flags & HV_FF_BY_ID))
		id = NULL;
	/* ,interface=" once, not per line: this is the hot loop */
	char pre[48];
	int pl = snprintf(pre, sizeof(pre), ",%s=\"", ch->prom_label);
	for (size_t k = 0; k < nv && k < 32; k++) {
		fam f = fam_of(v[k]);
		uint64_t mul = v[k]->mul ? v[k]->mul : 1;
		fam_begin(c, &f);
		for (size_t i = 0; i < R->n; i++) {
			if (!R->r[i])
				continue;
			size_t ll, nc, sz;
			const char *l = labels_of(R, i, &ll);
			const char *x =
			    hv_field_children(ch, R->r[i], &nc, &sz);
			for (size_t j = 0; j < nc; j++, x += sz) {
				hv_u64 val = hv_field_u64(v[k], x);
				if (!hv_ok(val))
					continue;
				s_open(c);
				web_buf_putc(c->o, '{');
				web_buf_put(c->o, l, ll);
				web_buf_put(c->o, pre, (size_t)pl);
				if (name)
					web_buf_prom_label(
					    c->o,
					    hv_field_str(name, x, NULL, 0));
				else
					web_buf_u64(c->o,
					            id ? hv_field_u64(id, x).v
					               : j);
				web_buf_put(c->o, "\"} ", 3);
				web_buf_fixed(c->o, val.v * mul, v[k]->dec);
				web_buf_putc(c->o, '\n');
			}
		}
		c->cur = NULL;
	}
}

/* Families of `rec` whose prom_pos is in [lo, hi): rows of one family are
 * adjacent in the view. */
static void fields_range(ctx *c, hv_rec rec, const recs *R, unsigned lo,
                         unsigned hi)
{
	const hv_field *v[96];
	size_t nv = hv_fields_view(rec, HV_FV_PROM, v, 96);
	if (nv > 96)
		nv = 96;
	for (size_t k = 0; k < nv;) {
		size_t e = k + 1;
		while (e < nv && v[k]->type != HV_FT_CHILD &&
		       v[e]->type != HV_FT_CHILD &&
		       !strcmp(v[e]->prom, v[k]->prom))
			e++;
		unsigned pos = v[k]->prom_pos ? v[k]->prom_pos : 256;
		if (pos >= lo && pos < hi) {
			if (v[k]->type == HV_FT_CHILD)
				child_families(c, v[k], R);
			else
				family(c, v + k, e - k, R);
		}
		k = e;
	}
}

static void pcpu_cstates(ctx *c, const hv_host *h, const lset *ls)
{
	static const size_t cs_off[] = {offsetof(hv_cstate, time_ns),
	                                offsetof(hv_cstate, usage)};
	const fam *cs_fam[] = {&F_PC_CS, &F_PC_CSN, &F_PC_CSD};
	for (int k = 0; k < 3; k++) {
		fam_begin(c, cs_fam[k]);
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			const hv_pcpu *p = &h->pcpu[i];
			size_t ll;
			const char *l = ls_get(ls, i, &ll);
			for (uint32_t j = 0;
			     j < p->nr_cstate && j < HV_CSTATE_MAX; j++) {
				const hv_cstate *cs = &p->cstate[j];
				hv_u64 v =
				    k == 2
				        ? hv_val(cs->disabled ? 1 : 0)
				        : *(const hv_u64 *)((const char *)cs +
				                            cs_off[k]);
				dev_line(c, l, ll, "state", cs->name, v,
				         k == 0 ? 9 : 0);
			}
		}
	}
}

static void render_host(ctx *c, const hv_snap *s, const web_prom_extra *x)
{
	const hv_host *h = hv_snap_host(s);
	web_buf *o = c->o;
	char lab[32];
	const void *hr[1] = {h};
	recs H = {hr, NULL, 1};

	if (hv_snap_wall_ns(s) > 0) {
		fam_begin(c, &F_SNAP_TS);
		s_open(c);
		web_buf_putc(o, ' ');
		web_buf_fixed(o, (uint64_t)hv_snap_wall_ns(s), 9);
		web_buf_putc(o, '\n');
	}
	/* hv_host_info (registry rows 1-5), the build, then the rest. */
	fields_range(c, HV_REC_HOST, &H, 1, 6);
	fam_begin(c, &F_BUILD_INFO);
	s_open(c);
	web_buf_puts(o, "{version=\"" HV_VERSION "\",backend=\"");
	web_buf_prom_label(o, h->backend);
	web_buf_puts(o, "\"} 1\n");
	fields_range(c, HV_REC_HOST, &H, 6, 9);
	fam_begin(c, &F_HOST_NDOM);
	s_dbl(c, "", 0, (double)hv_snap_ndom(s));
	fields_range(c, HV_REC_HOST, &H, 9, 257);
	if (h->page_why == HV_OK) {
		/* Pages never come back: a count of those out of service. */
		static const char *const who[] = {"hvkit", "kernel", "xen"};
		uint64_t n[3] = {0, 0, 0};
		for (uint32_t i = 0; i < h->nr_page; i++) {
			const hv_page *pg = &h->page[i];
			if (pg->state == HV_PAGE_SOFT_OFFLINE)
				n[strstr(pg->reason, "hvkit") ? 0 : 1]++;
			else if (pg->state == HV_PAGE_XEN_OFFLINE ||
			         pg->state == HV_PAGE_XEN_PENDING)
				n[2]++;
		}
		fam_begin(c, &F_PAGES_OFF);
		for (int k = 0; k < 3; k++) {
			snprintf(lab, sizeof(lab), "reason=\"%s\"", who[k]);
			s_fixed(c, lab, strlen(lab), n[k], 0);
		}
	}
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
}

static void render_pcpus(ctx *c, const hv_snap *s)
{
	const hv_host *h = hv_snap_host(s);
	lset ls = {0};
	const void **r = malloc((h->nr_pcpu + 1) * sizeof(*r));
	ls.off = malloc((h->nr_pcpu + 1) * sizeof(size_t));
	web_buf_init(&ls.b);
	if (!r || !ls.off) {
		c->o->oom = 1;
		goto out;
	}
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		r[i] = &h->pcpu[i];
		ls.off[i] = ls.b.len;
		web_buf_puts(&ls.b, "cpu=\"");
		web_buf_u64(&ls.b, h->pcpu[i].id);
		web_buf_putc(&ls.b, '"');
	}
	ls.off[h->nr_pcpu] = ls.b.len;
	ls.n = h->nr_pcpu;
	recs P = {r, &ls, h->nr_pcpu};
	fields_range(c, HV_REC_PCPU, &P, 1, 20);
	pcpu_cstates(c, h, &ls);
	fields_range(c, HV_REC_PCPU, &P, 20, 257);
out:
	web_buf_free(&ls.b);
	free(ls.off);
	free(r);
}

/* One series of micro-units: {k0="v0",k1="v1",...} value/1e6; the label
 * names come from code, the values are escaped. */
static void s_micro(ctx *c, const char *const *kv, size_t n, uint64_t v)
{
	web_buf *o = c->o;
	s_open(c);
	for (size_t i = 0; i < n; i++) {
		web_buf_puts(o, i ? "\"," : "{");
		web_buf_puts(o, kv[2 * i]);
		web_buf_puts(o, "=\"");
		web_buf_prom_label(o, kv[2 * i + 1]);
	}
	web_buf_put(o, "\"} ", 3);
	web_buf_fixed(o, v, 6);
	web_buf_putc(o, '\n');
}

static void render_rapl(ctx *c, const hv_host *h)
{
	for (int k = 0; k < 2; k++) {
		fam_begin(c, k ? &F_RAPL_LIM : &F_RAPL);
		for (uint32_t i = 0; i < h->nr_rapl; i++) {
			const hv_rapl *r = &h->rapl[i];
			hv_u64 v = k ? r->limit_uw : r->energy_uj;
			const char *kv[] = {"zone", r->name, "path", r->path};
			if (hv_ok(v))
				s_micro(c, kv, 2, v.v);
		}
	}
}

/* hwmon sensors, each family only when the host has one of its kind. */
static void render_hwmon(ctx *c, const hv_host *h)
{
	for (int k = HV_HWMON_ENERGY; k <= HV_HWMON_POWER; k++) {
		int begun = 0;
		for (uint32_t i = 0; i < h->nr_hwmon; i++) {
			const hv_hwmon *z = &h->hwmon[i];
			hv_u64 v =
			    k == HV_HWMON_ENERGY ? z->energy_uj : z->power_uw;
			const char *kv[] = {"chip",  z->chip, "sensor",
			                    z->path, "label", z->label};
			if (z->kind != k || !hv_ok(v))
				continue;
			if (!begun++)
				fam_begin(c, k == HV_HWMON_ENERGY ? &F_HWMON_E
				                                  : &F_HWMON_P);
			s_micro(c, kv, 3, v.v);
		}
	}
}

/* Domains sorted by name (stable series order), label sets built once. */
static int dom_labels(const hv_snap *s, const hv_dom **d, lset *ls)
{
	size_t n = hv_snap_ndom(s);
	for (size_t i = 0; i < n; i++)
		d[i] = hv_snap_dom(s, i);
	qsort(d, n, sizeof(*d), cmp_dom);
	web_buf_reserve(&ls->b, n * 80);
	for (size_t i = 0; i < n; i++) {
		/* Same name and uuid twice would be duplicate series, which
		 * invalidates the whole exposition: keep the first. */
		if (i > 0 && d[i - 1] && !strcmp(d[i]->name, d[i - 1]->name) &&
		    !strcmp(d[i]->uuid, d[i - 1]->uuid))
			d[i] = NULL;
		ls->off[i] = ls->b.len;
		if (!d[i])
			continue;
		web_buf_puts(&ls->b, "domain=\"");
		web_buf_prom_label(&ls->b, d[i]->name);
		web_buf_puts(&ls->b, "\",uuid=\"");
		web_buf_prom_label(&ls->b, d[i]->uuid);
		web_buf_putc(&ls->b, '"');
	}
	ls->off[n] = ls->b.len;
	ls->n = n;
	return ls->b.oom ? -ENOMEM : 0;
}

static void render_domains(ctx *c, const hv_snap *s)
{
	size_t n = hv_snap_ndom(s);
	const hv_dom **d = NULL;
	lset ls = {0};

	if (!n)
		return;
	web_buf_init(&ls.b);
	d = malloc(n * sizeof(*d));
	ls.off = malloc((n + 1) * sizeof(size_t));
	if (!d || !ls.off || dom_labels(s, d, &ls)) {
		c->o->oom = 1;
		goto out;
	}
	recs D = {(const void *const *)d, &ls, n};
	fields_range(c, HV_REC_DOM, &D, 0, 257);
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
		render_pcpus(&c, snap);
		render_rapl(&c, hv_snap_host(snap));
		render_hwmon(&c, hv_snap_host(snap));
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
