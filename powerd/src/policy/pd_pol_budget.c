/* SPDX-License-Identifier: MIT */
/* [budget]: package power over watts -> cap max frequency step % lower per
 * round (not below floor or the hardware minimum); below release % of
 * watts for hold -> step % back up per hold; at 100 % the cap goes. The
 * band between release % and 100 % holds the cap. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pd_pol.h"

static void step_down(const pd_config *c, pd_mem *m, double w)
{
	m->budget.under_seen = false;
	m->budget.cap_pct -= c->budget.step_pct;
	if (m->budget.cap_pct < 1)
		m->budget.cap_pct = 1;
	snprintf(m->budget.reason, PD_REASON_LEN,
	         "package power %.1f W > budget %g W: cap max frequency at "
	         "%.0f%% (step %g%%)",
	         w, c->budget.watts, m->budget.cap_pct, c->budget.step_pct);
}

static void step_up(const pd_config *c, pd_mem *m, double w, double t)
{
	if (!m->budget.under_seen) {
		m->budget.under_seen = true;
		m->budget.under_since = t;
	}
	if (t - m->budget.under_since < c->budget.hold_s - 1e-9)
		return;
	m->budget.cap_pct += c->budget.step_pct;
	m->budget.under_since = t;
	if (m->budget.cap_pct >= 100) {
		m->budget.cap_pct = 100;
		m->budget.under_seen = false;
	}
	snprintf(m->budget.reason, PD_REASON_LEN,
	         "package power %.1f W < %g%% of budget %g W for %gs: raise "
	         "cap to %.0f%%",
	         w, c->budget.release_pct, c->budget.watts, c->budget.hold_s,
	         m->budget.cap_pct);
	if (m->budget.cap_pct >= 100)
		snprintf(m->budget.release, PD_REASON_LEN, "%s",
		         m->budget.reason);
}

static unsigned long cap_khz(const pd_config *c, const pd_mem *m,
                             const pd_cpu *p)
{
	unsigned long khz =
	    (unsigned long)llround(p->hw_max_khz * m->budget.cap_pct / 100);
	unsigned long fl = pd_khz_resolve(c->budget.floor, p->hw_max_khz);

	if (khz < fl)
		khz = fl;
	if (khz < p->hw_min_khz)
		khz = p->hw_min_khz;
	if (khz > p->hw_max_khz)
		khz = p->hw_max_khz;
	return khz;
}

static int decide(const pd_config *c, pd_mem *m, const pd_view *v,
                  pd_claims *cl, pd_out *o)
{
	double w = v->pkg_watts;
	int rc = 0;

	(void)o;
	m->budget.release[0] = '\0';
	/* unknown power keeps the cap and the timer */
	if (!isnan(w) && w > c->budget.watts)
		step_down(c, m, w);
	else if (!isnan(w) &&
	         w < c->budget.watts * c->budget.release_pct / 100 &&
	         m->budget.cap_pct < 100)
		step_up(c, m, w, v->t);
	else if (!isnan(w))
		m->budget.under_seen = false;
	if (m->budget.cap_pct >= 100)
		return 0;
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		char val[PD_VAL_LEN];
		if (p->online != 1 || !p->hw_max_khz || !p->governor[0])
			continue;
		snprintf(val, sizeof(val), "%lu", cap_khz(c, m, p));
		rc = pd_claim_cpu(cl, HV_KNOB_MAX_KHZ, p->id, 0, val, "budget",
		                  m->budget.reason);
	}
	return rc;
}

static bool enabled(const pd_config *c)
{
	return c->budget.enabled;
}

static void forget(pd_mem *m)
{
	m->budget.cap_pct = 100;
}

static const char *release(const pd_mem *m, const pd_hold *h)
{
	return pd_own_release(h, "budget", m->budget.release);
}

static const hv_cfg_key keys[] = {
    {"budget", "enabled", HV_CFG_BOOL, PD_OFF(budget.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    {"budget", "watts", HV_CFG_NUM, PD_OFF(budget.watts), 0.001, 1e6, "100",
     "package power budget", NULL, NULL},
    {"budget", "release", HV_CFG_NUM, PD_OFF(budget.release_pct), 1, 100, "90",
     "step back up below this % of watts", NULL, NULL},
    {"budget", "hold", HV_CFG_SECS, PD_OFF(budget.hold_s), 0, 86400, "10",
     "for this long per step up", NULL, NULL},
    {"budget", "step", HV_CFG_NUM, PD_OFF(budget.step_pct), 0.1, 100, "10",
     "cap step, % of the maximum frequency", NULL, NULL},
    {"budget", "floor", HV_CFG_FUNC, PD_OFF(budget.floor), 0, 0, "40%",
     "never cap below, kHz or % of the maximum", NULL, pd_cfg_khz},
    {0},
};

static int check(const pd_config *c, const char *file, const hv_cfg_lines *l,
                 hv_err *err)
{
	if (c->budget.enabled && c->budget.floor.pct && c->budget.floor.v < 1)
		return hv_err_set(err, EINVAL, "%s:%u: [budget] floor too low",
		                  file, pd_cfg_line(l, "budget", "floor"));
	return 0;
}

const pd_policy pd_pol_budget = {
    .name = "budget",
    .keys = keys,
    .check = check,
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
    .release = release,
};
