/* SPDX-License-Identifier: MIT */
/* [frequency]: mean busy % of the online CPUs of each package. Below low
 * for hold -> the low governor or a max_khz cap; above high for up_hold ->
 * back (release, or the high governor). Unknown utilisation keeps the
 * level and the timers. */
#include <errno.h>
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
	char val[PD_VAL_LEN];

	if (c->freq.action == PD_FREQ_GOVERNOR) {
		const char *g = m->freq.pkg[k].low ? c->freq.low_governor
		                                   : c->freq.high_governor;
		if (!g[0])
			return 0;
		return pd_claim_cpu(cl, HV_KNOB_GOVERNOR, p->id, 0, g,
		                    "frequency", m->freq.reason[k]);
	}
	if (!m->freq.pkg[k].low || !p->hw_max_khz)
		return 0;
	unsigned long khz = pd_khz_resolve(c->freq.low_max, p->hw_max_khz);
	if (khz < p->hw_min_khz)
		khz = p->hw_min_khz;
	snprintf(val, sizeof(val), "%lu", khz);
	return pd_claim_cpu(cl, HV_KNOB_MAX_KHZ, p->id, 0, val, "frequency",
	                    m->freq.reason[k]);
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
	return pd_own_release(h, "frequency", m->freq.release);
}

static const char *const actions[] = {"governor", "cap", NULL};

static const hv_cfg_key keys[] = {
    {"frequency", "enabled", HV_CFG_BOOL, PD_OFF(freq.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    {"frequency", "high", HV_CFG_NUM, PD_OFF(freq.high_pct), 0, 100, "70",
     "package utilisation % above which the level goes back up", NULL, NULL},
    {"frequency", "low", HV_CFG_NUM, PD_OFF(freq.low_pct), 0, 100, "30",
     "package utilisation % below which the level goes down", NULL, NULL},
    {"frequency", "hold", HV_CFG_SECS, PD_OFF(freq.hold_s), 0, 86400, "10",
     "how long low must last", NULL, NULL},
    {"frequency", "up_hold", HV_CFG_SECS, PD_OFF(freq.up_hold_s), 0, 86400, "0",
     "how long high must last", NULL, NULL},
    {"frequency", "action", HV_CFG_ENUM, PD_OFF(freq.action), 0, 0, "governor",
     "governor (low_governor) or cap (low_max)", actions, NULL},
    {"frequency", "low_governor", HV_CFG_WORD, PD_OFF(freq.low_governor), 0,
     PD_GOV_LEN, "powersave", "governor while low", NULL, NULL},
    {"frequency", "high_governor", HV_CFG_WORD, PD_OFF(freq.high_governor), 0,
     PD_GOV_LEN, "", "governor while high (empty: the original)", NULL, NULL},
    {"frequency", "low_max", HV_CFG_FUNC, PD_OFF(freq.low_max), 0, 0, "60%",
     "max frequency while low, kHz or % of the maximum", NULL, pd_cfg_khz},
    {0},
};

static int check(const pd_config *c, const char *file, const hv_cfg_lines *l,
                 hv_err *err)
{
	if (!c->freq.enabled)
		return 0;
	if (c->freq.low_pct >= c->freq.high_pct)
		return hv_err_set(err, EINVAL,
		                  "%s:%u: [frequency] low (%g) must be below "
		                  "high (%g)",
		                  file, pd_cfg_line(l, "frequency", "low"),
		                  c->freq.low_pct, c->freq.high_pct);
	if (c->freq.action == PD_FREQ_GOVERNOR && !c->freq.low_governor[0])
		return hv_err_set(err, EINVAL,
		                  "%s:%u: [frequency] action = governor needs "
		                  "low_governor",
		                  file,
		                  pd_cfg_line(l, "frequency", "low_governor"));
	return 0;
}

const pd_policy pd_pol_frequency = {
    .name = "frequency",
    .keys = keys,
    .check = check,
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
    .release = release,
};
