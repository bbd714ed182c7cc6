/* SPDX-License-Identifier: MIT */
#include "rdt_policy.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/rates.h"

typedef struct pol_dom {
	uint64_t key;
	uint32_t id;
	int restricted;
	double seen;       /* time of the last sample that had it */
	double over_since; /* NAN when not over */
	double calm_since; /* NAN when not calm */
} pol_dom;

struct rdt_policy {
	rdt_policy_cfg cfg;
	pol_dom *d;
	size_t n, cap;
	unsigned nrestricted;
};

void rdt_policy_defaults(rdt_policy_cfg *c)
{
	if (c->hold_s == 0)
		c->hold_s = 10;
	if (c->calm_s == 0)
		c->calm_s = 30;
	if (c->calm_ratio == 0)
		c->calm_ratio = 0.8;
	if (c->gone_s == 0)
		c->gone_s = 10;
	if (!c->restricted_class[0])
		snprintf(c->restricted_class, sizeof(c->restricted_class),
		         "hvkit-restricted");
}

rdt_policy *rdt_policy_new(const rdt_policy_cfg *cfg)
{
	rdt_policy *p;
	rdt_policy_cfg c = *cfg;

	rdt_policy_defaults(&c);
	if ((c.llc_max_bytes <= 0 && c.mbm_max_Bps <= 0) || c.hold_s < 0 ||
	    c.calm_s < 0 || c.gone_s < 0 || c.calm_ratio <= 0 ||
	    c.calm_ratio > 1)
		return NULL;
	p = calloc(1, sizeof(*p));
	if (p)
		p->cfg = c;
	return p;
}

void rdt_policy_free(rdt_policy *p)
{
	if (!p)
		return;
	free(p->d);
	free(p);
}

static pol_dom *find(const rdt_policy *p, uint64_t key)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->d[i].key == key)
			return &p->d[i];
	return NULL;
}

static pol_dom *get(rdt_policy *p, uint64_t key)
{
	pol_dom *d = find(p, key);

	if (d)
		return d;
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 16;
		pol_dom *nd = realloc(p->d, nc * sizeof(*nd));
		if (!nd)
			return NULL;
		p->d = nd;
		p->cap = nc;
	}
	d = &p->d[p->n++];
	memset(d, 0, sizeof(*d));
	d->key = key;
	d->over_since = d->calm_since = NAN;
	return d;
}

/* 1 over, 0 calm, -1 neither (between the thresholds) or no data */
static int classify(const rdt_policy_cfg *c, const rdt_policy_in *in)
{
	int have = 0, over = 0, calm = 1;

	if (c->llc_max_bytes > 0 && !isnan(in->llc_bytes)) {
		have = 1;
		over |= in->llc_bytes > c->llc_max_bytes;
		calm &= in->llc_bytes < c->llc_max_bytes * c->calm_ratio;
	}
	if (c->mbm_max_Bps > 0 && !isnan(in->mbm_Bps)) {
		have = 1;
		over |= in->mbm_Bps > c->mbm_max_Bps;
		calm &= in->mbm_Bps < c->mbm_max_Bps * c->calm_ratio;
	}
	if (!have)
		return -2;
	return over ? 1 : calm ? 0 : -1;
}

size_t rdt_policy_step(rdt_policy *p, double now, const rdt_policy_in *in,
                       size_t n, rdt_policy_action *out, size_t max)
{
	const rdt_policy_cfg *c = &p->cfg;
	size_t na = 0;

	for (size_t i = 0; i < n; i++) {
		pol_dom *d = get(p, in[i].key);
		int k = classify(c, &in[i]);

		if (!d)
			continue;
		d->id = in[i].id;
		d->seen = now;
		if (k == -2)
			continue; /* no evidence: keep the timers */
		if (k == 1) {
			d->calm_since = NAN;
			if (isnan(d->over_since))
				d->over_since = now;
		} else {
			d->over_since = NAN;
			if (k == 0 && isnan(d->calm_since))
				d->calm_since = now;
			if (k == -1)
				d->calm_since = NAN;
		}
		if (na >= max)
			continue;
		if (!d->restricted && !isnan(d->over_since) &&
		    now - d->over_since >= c->hold_s &&
		    (!c->max_restricted ||
		     p->nrestricted < c->max_restricted)) {
			rdt_policy_action *a = &out[na++];
			a->key = in[i].key;
			a->id = in[i].id;
			a->act = RDT_ACT_RESTRICT;
			snprintf(
			    a->reason, sizeof(a->reason),
			    "llc %.0f B (max %.0f), mbm %.0f B/s (max %.0f) "
			    "over for %.0f s",
			    in[i].llc_bytes, c->llc_max_bytes, in[i].mbm_Bps,
			    c->mbm_max_Bps, now - d->over_since);
			d->restricted = 1;
			d->calm_since = NAN;
			p->nrestricted++;
		} else if (d->restricted && !isnan(d->calm_since) &&
		           now - d->calm_since >= c->calm_s) {
			rdt_policy_action *a = &out[na++];
			a->key = in[i].key;
			a->id = in[i].id;
			a->act = RDT_ACT_RELEASE;
			snprintf(a->reason, sizeof(a->reason),
			         "calm (below %.0f%% of thresholds) for %.0f s",
			         c->calm_ratio * 100, now - d->calm_since);
			d->restricted = 0;
			d->over_since = NAN;
			p->nrestricted--;
		}
	}
	/* A domain missing from a sample may be back in the next (a read
	 * that failed, a pid list taken mid-change): its state and timers
	 * are kept for gone_s. Forgetting a restricted domain at once would
	 * leave it restricted for good once it is seen again. */
	for (size_t i = 0; i < p->n;) {
		pol_dom *d = &p->d[i];
		if (now - d->seen < c->gone_s) {
			i++;
			continue;
		}
		if (d->restricted) {
			rdt_policy_action *a;
			if (na >= max) {
				i++;
				continue; /* next step */
			}
			a = &out[na++];
			a->key = d->key;
			a->id = d->id;
			a->act = RDT_ACT_RELEASE;
			snprintf(a->reason, sizeof(a->reason),
			         "gone (not seen for %.0f s)", now - d->seen);
			p->nrestricted--;
		}
		p->d[i] = p->d[--p->n];
	}
	return na;
}

int rdt_policy_is_restricted(const rdt_policy *p, uint64_t key)
{
	const pol_dom *d = find(p, key);
	return d && d->restricted;
}

void rdt_policy_undo(rdt_policy *p, const rdt_policy_action *a)
{
	pol_dom *d = find(p, a->key);

	if (!d)
		return;
	if (a->act == RDT_ACT_RESTRICT && d->restricted) {
		d->restricted = 0;
		p->nrestricted--;
	} else if (a->act == RDT_ACT_RELEASE && !d->restricted) {
		d->restricted = 1;
		p->nrestricted++;
	}
}

size_t rdt_policy_inputs(const hv_snap *s, rdt_policy_in *out, size_t max)
{
	size_t n = hv_snap_ndom(s), k = 0;

	for (size_t i = 0; i < n && k < max; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *r = hv_rates_for(s, d);

		out[k].key = d->key;
		out[k].id = d->id;
		out[k].llc_bytes =
		    hv_ok(d->llc_bytes) ? (double)d->llc_bytes.v : NAN;
		out[k].mbm_Bps = r ? r->mbm_total_Bps : NAN;
		k++;
	}
	return k;
}
