/* SPDX-License-Identifier: MIT */
/* [frequency]: mean busy % of the online CPUs of each package. Below low
 * for hold -> the low governor or a max_khz cap; above high for up_hold ->
 * back (release, or the high governor). Unknown utilisation keeps the
 * level and the timers. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pd_pol.h"

static unsigned pkg_of(const pd_cpu *p)
{
	return p->pkg >= 0 && p->pkg < PD_MAX_PKG ? (unsigned)p->pkg : 0;
}

/* Hysteresis for one package at utilisation u. */
static void step_level(const pd_config *c, pd_mem *m, unsigned k, double u,
                       double t)
{
	pd_freq_pkg *s = &m->freq.pkg[k];

	if (!s->low) {
		s->high_seen = false;
		if (u >= c->freq.low_pct) {
			s->low_seen = false;
			return;
		}
		if (!s->low_seen) {
			s->low_seen = true;
			s->low_since = t;
		}
		if (t - s->low_since >= c->freq.hold_s - 1e-9) {
			s->low = true;
			s->low_seen = false;
		}
		return;
	}
	s->low_seen = false;
	if (u <= c->freq.high_pct) {
		s->high_seen = false;
		return;
	}
	if (!s->high_seen) {
		s->high_seen = true;
		s->high_since = t;
	}
	if (t - s->high_since >= c->freq.up_hold_s - 1e-9) {
		s->low = false;
		s->high_seen = false;
		snprintf(m->freq.release, sizeof(m->freq.release),
		         "package %u utilisation %.1f%% > high %g%%", k, u,
		         c->freq.high_pct);
	}
}

static void step_packages(const pd_config *c, pd_mem *m, const pd_view *v)
{
	double sum[PD_MAX_PKG] = {0};
	unsigned cnt[PD_MAX_PKG] = {0};

	for (unsigned i = 0; i < v->ncpu; i++) {
		const pd_cpu *p = &v->cpu[i];
		if (p->online == 1 && !isnan(p->busy_pct)) {
			sum[pkg_of(p)] += p->busy_pct;
			cnt[pkg_of(p)]++;
		}
	}
	for (unsigned k = 0; k < PD_MAX_PKG; k++) {
		bool low;
		double u;
		m->freq.reason[k][0] = '\0';
		if (!cnt[k])
			continue; /* unknown: keep the level and the timers */
		u = sum[k] / cnt[k];
		step_level(c, m, k, u, v->t);
		low = m->freq.pkg[k].low;
		snprintf(m->freq.reason[k], PD_REASON_LEN,
		         "package %u utilisation %.1f%% over %u online CPUs "
		         "(%s %g%%, hold %gs)",
		         k, u, cnt[k], low ? "< low" : "> high",
		         low ? c->freq.low_pct : c->freq.high_pct,
		         low ? c->freq.hold_s : c->freq.up_hold_s);
	}
}

static int claim_cpu(const pd_config *c, const pd_mem *m, const pd_cpu *p,
                     pd_claims *cl)
{
	unsigned k = pkg_of(p);
	char knob[PD_KNOB_LEN], val[PD_VAL_LEN];

	if (c->freq.action == PD_FREQ_GOVERNOR) {
		const char *g = m->freq.pkg[k].low ? c->freq.low_governor
		                                   : c->freq.high_governor;
		if (!g[0])
			return 0;
		snprintf(knob, sizeof(knob), "cpu/%u/governor", p->id);
		return pd_claim_add(cl, knob, g, "frequency",
		                    m->freq.reason[k]);
	}
	if (!m->freq.pkg[k].low || !p->hw_max_khz)
		return 0;
	unsigned long khz = pd_khz_resolve(c->freq.low_max, p->hw_max_khz);
	if (khz < p->hw_min_khz)
		khz = p->hw_min_khz;
	snprintf(knob, sizeof(knob), "cpu/%u/max_khz", p->id);
	snprintf(val, sizeof(val), "%lu", khz);
	return pd_claim_add(cl, knob, val, "frequency", m->freq.reason[k]);
}

static int decide(const pd_config *c, pd_mem *m, const pd_view *v,
                  pd_claims *cl, pd_out *o)
{
	int rc = 0;

	(void)o;
	m->freq.release[0] = '\0';
	step_packages(c, m, v);
	for (unsigned i = 0; i < v->ncpu && !rc; i++)
		if (v->cpu[i].online == 1 && v->cpu[i].governor[0])
			rc = claim_cpu(c, m, &v->cpu[i], cl);
	return rc;
}

static bool enabled(const pd_config *c)
{
	return c->freq.enabled;
}

static void forget(pd_mem *m)
{
	for (unsigned k = 0; k < PD_MAX_PKG; k++)
		m->freq.pkg[k].low = false;
}

static const char *release(const pd_mem *m, const pd_hold *h)
{
	if (strcmp(h->policy, "frequency") || !m->freq.release[0])
		return NULL;
	return m->freq.release;
}

const pd_policy pd_pol_frequency = {
    .name = "frequency",
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
    .release = release,
};
