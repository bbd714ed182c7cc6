/* SPDX-License-Identifier: MIT */
#include "pd_view.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ras.h"
#include "hv/rates.h"

void pd_view_free(pd_view *v)
{
	free(v->cpu);
	free(v->dom);
	free(v->page);
	memset(v, 0, sizeof(*v));
}

static unsigned long khz(hv_u64 x)
{
	return hv_ok(x) ? (unsigned long)x.v : 0;
}

static void fill_cpu(pd_cpu *c, const hv_pcpu *p, const hv_host_rate *hr,
                     unsigned i)
{
	c->id = p->id;
	c->online = p->online == 1 ? 1 : p->online == 0 ? 0 : -1;
	c->hotplug = p->hotplug;
	c->pkg = p->pkg;
	c->core = p->core;
	c->busy_pct = hr && i < hr->nr_pcpu && p->online == 1
	                  ? hr->pcpu[i].busy_pct
	                  : NAN;
	c->hw_min_khz = khz(p->hw_min_khz);
	c->hw_max_khz = khz(p->hw_max_khz);
	c->max_khz = khz(p->max_khz);
	memcpy(c->governor, p->governor,
	       sizeof(c->governor) < sizeof(p->governor)
	           ? sizeof(c->governor) - 1
	           : sizeof(p->governor) - 1);
	c->nr_cstate = p->nr_cstate < PD_CSTATES ? p->nr_cstate : PD_CSTATES;
	for (unsigned k = 0; k < c->nr_cstate; k++) {
		c->cstate_lat_us[k] = p->cstate[k].latency_us;
		c->cstate_disabled[k] = p->cstate[k].disabled;
	}
	c->ce_ok = hv_ok(p->ce_count);
	c->ce = p->ce_count.v;
	c->ue = hv_ok(p->ue_count) ? p->ue_count.v : 0;
	c->last_bank = p->last_bank;
}

/* Pinning: a vCPU allowed on a strict subset of the host's CPUs pins each
 * CPU of that subset. */
static void mark_pinned(pd_view *v, const hv_dom *d, unsigned nr_pcpu)
{
	for (uint32_t vi = 0; vi < d->nr_vcpu; vi++) {
		const uint64_t *aff = d->vcpu[vi].affinity;
		unsigned nbits = 0;
		if (!aff || !nr_pcpu)
			continue;
		for (unsigned b = 0; b < nr_pcpu; b++)
			nbits += (aff[b / 64] >> (b % 64)) & 1;
		if (nbits >= nr_pcpu)
			continue;
		for (unsigned b = 0; b < nr_pcpu; b++) {
			if (!((aff[b / 64] >> (b % 64)) & 1))
				continue;
			for (unsigned i = 0; i < v->ncpu; i++)
				if (v->cpu[i].id == b && !v->cpu[i].pinned) {
					v->cpu[i].pinned = true;
					memcpy(v->cpu[i].pinned_by, d->name,
					       PD_NAME_LEN - 1);
				}
		}
	}
}

/* Sums for demand: domains' CPU and steal, in % of one pCPU. */
typedef struct sums {
	double busy, steal, domcpu;
	unsigned nbusy, nsteal, ndomcpu;
} sums;

static void fill_dom(pd_view *v, const hv_snap *s, const hv_dom *d,
                     const hv_rates *r, sums *t)
{
	const hv_dom_rate *dr = r ? hv_rates_for(s, d) : NULL;
	pd_domv *dv = &v->dom[v->ndom++];

	memcpy(dv->name, d->name, sizeof(dv->name) - 1);
	dv->cpu_pct = dr && !dr->fresh ? dr->cpu_pct : NAN;
	dv->watts = dr && !dr->fresh ? dr->watts : NAN;
	dv->energy_j = hv_ok(d->energy_uj) ? d->energy_uj.v / 1e6 : NAN;
	if (!isnan(dv->cpu_pct)) {
		t->domcpu += dv->cpu_pct;
		t->ndomcpu++;
	}
	if (dr && !dr->fresh && !isnan(dr->steal_pct)) {
		t->steal += dr->steal_pct;
		t->nsteal++;
	}
}

/* Pages with errors (libhv's list, when it has one). */
static void fill_pages(pd_view *v, const hv_host *h)
{
	for (unsigned i = 0; h->page_why == HV_OK && i < h->nr_page; i++) {
		const hv_page *pg = &h->page[i];
		pd_pagev *o = &v->page[v->npage++];
		o->addr = pg->addr;
		o->errs = pg->ce + pg->ue;
		o->online = pg->state == HV_PAGE_ONLINE;
		o->ce = pg->ce;
		o->ue = pg->ue;
		o->state = hv_page_state_str((enum hv_page_state)pg->state);
		memcpy(o->reason, pg->reason, sizeof(o->reason));
	}
}

int pd_view_build(const hv_snap *s, pd_view *v, hv_err *err)
{
	const hv_host *h = hv_snap_host(s);
	const hv_rates *r = hv_snap_rates(s);
	const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
	size_t nd = hv_snap_ndom(s);
	sums t = {0};

	memset(v, 0, sizeof(*v));
	v->t = (double)hv_snap_mono_ns(s) / 1e9;
	v->demand_cpus = NAN;
	v->pkg_watts = hr ? hr->pkg_watts : NAN;
	v->ncpu = h->nr_pcpu;
	v->cpu = calloc(v->ncpu ? v->ncpu : 1, sizeof(*v->cpu));
	v->dom = calloc(nd ? nd : 1, sizeof(*v->dom));
	v->page = calloc(h->nr_page ? h->nr_page : 1, sizeof(*v->page));
	if (!v->cpu || !v->dom || !v->page) {
		pd_view_free(v);
		return hv_err_set(err, ENOMEM, "view: out of memory");
	}
	snprintf(v->ras_note, sizeof(v->ras_note), "%s", h->ras_note);
	fill_pages(v, h);
	for (unsigned i = 0; i < h->nr_pcpu; i++) {
		fill_cpu(&v->cpu[i], &h->pcpu[i], hr, i);
		v->ras_ok |= v->cpu[i].ce_ok;
		if (h->pcpu[i].online == 1 && !isnan(v->cpu[i].busy_pct)) {
			t.busy += v->cpu[i].busy_pct;
			t.nbusy++;
		}
	}
	for (size_t di = 0; di < nd; di++) {
		fill_dom(v, s, hv_snap_dom(s, di), r, &t);
		mark_pinned(v, hv_snap_dom(s, di), h->nr_pcpu);
	}
	if (t.nbusy) {
		double dom = t.ndomcpu ? t.domcpu / 100.0 : 0;
		double b = t.busy / 100.0;
		v->demand_cpus =
		    (b > dom ? b : dom) + (t.nsteal ? t.steal / 100.0 : 0);
	}
	return 0;
}

void pd_view_overlay(pd_view *v, const pd_hold *held, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int cpu = pd_knob_cpu(held[i].knob);
		const char *k = held[i].knob;
		size_t kl = strlen(k);
		unsigned st;
		pd_cpu *c = NULL;

		for (unsigned j = 0; cpu >= 0 && j < v->ncpu; j++)
			if (v->cpu[j].id == (unsigned)cpu)
				c = &v->cpu[j];
		if (!c)
			continue;
		if (kl > 7 && !strcmp(k + kl - 7, "/online")) {
			c->online = !strcmp(held[i].cur, "1") ? 1 : 0;
			if (!c->online)
				c->busy_pct = NAN;
		} else if (kl > 9 && !strcmp(k + kl - 9, "/governor")) {
			snprintf(c->governor, sizeof(c->governor), "%s",
			         held[i].cur);
		} else if (kl > 8 && !strcmp(k + kl - 8, "/max_khz")) {
			c->max_khz = strtoul(held[i].cur, NULL, 10);
		} else if (pd_knob_cstate(k, &st) >= 0 && st < PD_CSTATES) {
			c->cstate_disabled[st] = !strcmp(held[i].cur, "1");
		}
	}
}
