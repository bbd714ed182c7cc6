/* SPDX-License-Identifier: MIT */
/* [parking]: demand (in CPUs) against what is online. Park one SMT group
 * when demand stays below park_below % of what stays online for hold (and
 * cooldown passed); unpark LIFO at once above unpark_above %; unknown
 * demand for hold -> unpark all. Never cpu0, a CPU without hotplug, a
 * pinned one, or below min_online; siblings go together. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_pol.h"

/* Xen core parking's "power" order: from the package with the fewest online
 * CPUs (packs load onto few packages), then the highest-numbered core, so
 * unparking in reverse (LIFO) brings back the most recent first. */
static bool topo_known(const pd_cpu *p)
{
	return p->pkg >= 0 && p->core >= 0;
}

static int cmp_topo(const void *a, const void *b)
{
	const pd_cpu *x = *(const pd_cpu *const *)a;
	const pd_cpu *y = *(const pd_cpu *const *)b;
	bool kx = topo_known(x), ky = topo_known(y);

	if (kx != ky)
		return kx ? -1 : 1;
	if (kx && x->pkg != y->pkg)
		return x->pkg < y->pkg ? -1 : 1;
	if (kx && x->core != y->core)
		return x->core < y->core ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static bool park_ok(const pd_view *v, const pd_mem *m, const pd_cpu *q)
{
	if (q->id == 0 || !q->hotplug || q->online != 1 || q->pinned)
		return false;
	return !(q->id < m->ncpu &&
	         (m->cpu[q->id].backoff_until > v->t || m->cpu[q->id].hw_off));
}

/* The SMT group starting at idx[i] (one CPU when the topology is
 * unknown): its end in *j, whether it may park, its highest CPU id. */
static bool group_at(const pd_view *v, const pd_mem *m, const pd_cpu **idx,
                     unsigned i, unsigned *j, pd_group *g, unsigned *top)
{
	const pd_cpu *p = idx[i];
	bool ok = park_ok(v, m, p);

	*j = i + 1;
	*top = p->id;
	g->n = 0;
	if (topo_known(p))
		while (*j < v->ncpu && topo_known(idx[*j]) &&
		       idx[*j]->pkg == p->pkg && idx[*j]->core == p->core)
			(*j)++;
	if (*j - i > PD_SMT_MAX)
		ok = false;
	for (unsigned k = i; k < *j && ok; k++) {
		ok = park_ok(v, m, idx[k]);
		g->cpu[g->n++] = idx[k]->id;
		if (idx[k]->id > *top)
			*top = idx[k]->id;
	}
	return ok;
}

/* Groups come from one sort by (pkg, core), so picking is O(n log n) even
 * on hosts with thousands of CPUs. */
static bool pick_park(const pd_view *v, const pd_mem *m, pd_group *out)
{
	unsigned pkg_online[PD_MAX_PKG] = {0};
	const pd_cpu **idx = malloc((v->ncpu ? v->ncpu : 1) * sizeof(*idx));
	bool found = false;
	unsigned best_pkg_on = 0, best_id = 0;

	if (!idx)
		return false;
	for (unsigned i = 0; i < v->ncpu; i++) {
		const pd_cpu *p = &v->cpu[i];
		idx[i] = p;
		if (p->online == 1 && p->pkg >= 0 && p->pkg < PD_MAX_PKG)
			pkg_online[p->pkg]++;
	}
	qsort(idx, v->ncpu, sizeof(*idx), cmp_topo);
	for (unsigned i = 0, j; i < v->ncpu; i = j) {
		const pd_cpu *p = idx[i];
		unsigned on, top;
		pd_group g = {0};
		if (!group_at(v, m, idx, i, &j, &g, &top))
			continue;
		on =
		    p->pkg >= 0 && p->pkg < PD_MAX_PKG ? pkg_online[p->pkg] : 0;
		if (!found || on < best_pkg_on ||
		    (on == best_pkg_on && top > best_id)) {
			found = true;
			best_pkg_on = on;
			best_id = top;
			*out = g;
		}
	}
	free(idx);
	return found;
}

static void moved(pd_mem *m, double t)
{
	m->park.moved = true;
	m->park.last_move = t;
}

static void unpark_top(pd_mem *m, const char *reason)
{
	pd_group *g = &m->grp[--m->ngroup];

	for (unsigned i = 0; i < g->n; i++)
		if (g->cpu[i] < m->ncpu)
			snprintf(m->cpu[g->cpu[i]].unpark_reason, PD_REASON_LEN,
			         "%s", reason);
}

/* Drop groups someone else brought back, and unpark at once any group a
 * domain got pinned to. */
static void drop_returned(pd_mem *m, const pd_view *v)
{
	for (unsigned gi = 0; gi < m->ngroup;) {
		pd_group *g = &m->grp[gi];
		bool pinned = false, back = false;
		const char *by = "";
		unsigned pc = 0;
		for (unsigned i = 0; i < g->n; i++) {
			const pd_cpu *p = pd_view_cpu(v, g->cpu[i]);
			if (!p || p->online == 1)
				back = true;
			if (p && p->pinned) {
				pinned = true;
				by = p->pinned_by;
				pc = p->id;
			}
		}
		if (!pinned && !back) {
			gi++;
			continue;
		}
		for (unsigned i = 0; i < g->n; i++)
			if (g->cpu[i] < m->ncpu)
				snprintf(m->cpu[g->cpu[i]].unpark_reason,
				         PD_REASON_LEN,
				         pinned ? "cpu %u is now pinned by "
				                  "domain %s"
				                : "cpu %u came back online "
				                  "outside hv-powerd%s",
				         pinned ? pc : g->cpu[i], by);
		memmove(g, g + 1, (m->ngroup - gi - 1) * sizeof(*g));
		m->ngroup--;
		moved(m, v->t);
	}
}

/* Demand unknown: after hold, unpark everything (fail safe). */
static void demand_unknown(const pd_config *c, pd_mem *m, const pd_view *v)
{
	char why[PD_REASON_LEN];

	m->park.low_seen = false;
	if (!m->park.unknown_seen) {
		m->park.unknown_seen = true;
		m->park.unknown_since = v->t;
	}
	if (v->t - m->park.unknown_since < c->park.hold_s || !m->ngroup)
		return;
	snprintf(why, sizeof(why),
	         "demand unknown for %.1fs: unparking all (fail safe)",
	         v->t - m->park.unknown_since);
	while (m->ngroup)
		unpark_top(m, why);
	moved(m, v->t);
}

static bool need_more(const pd_config *c, double d, unsigned online)
{
	return d > online * c->park.unpark_above_pct / 100.0 ||
	       online < c->park.min_online;
}

/* Bring CPUs back before demand reaches what is online. */
static bool unpark_for_demand(const pd_config *c, pd_mem *m, const pd_view *v,
                              double d, unsigned online)
{
	char why[PD_REASON_LEN];

	if (!m->ngroup || !need_more(c, d, online))
		return false;
	snprintf(why, sizeof(why),
	         "demand %.2f CPUs > %g%% of %u online (%.2f)%s", d,
	         c->park.unpark_above_pct, online,
	         online * c->park.unpark_above_pct / 100.0,
	         online < c->park.min_online ? ", below min_online" : "");
	for (unsigned cap = online; m->ngroup && need_more(c, d, cap);) {
		cap += m->grp[m->ngroup - 1].n;
		unpark_top(m, why);
	}
	moved(m, v->t);
	m->park.low_seen = false;
	return true;
}

static void park_low(const pd_config *c, pd_mem *m, const pd_view *v, double d,
                     unsigned online)
{
	pd_group g;

	if (!pick_park(v, m, &g) || online < g.n ||
	    online - g.n < c->park.min_online ||
	    d >= (online - g.n) * c->park.park_below_pct / 100.0) {
		m->park.low_seen = false;
		return;
	}
	if (!m->park.low_seen) {
		m->park.low_seen = true;
		m->park.low_since = v->t;
	}
	if (v->t - m->park.low_since < c->park.hold_s - 1e-9 ||
	    (m->park.moved &&
	     v->t - m->park.last_move < c->park.cooldown_s - 1e-9))
		return;
	m->grp[m->ngroup++] = g;
	moved(m, v->t);
	m->park.low_seen = false;
	snprintf(m->park.reason, PD_REASON_LEN,
	         "demand %.2f CPUs < %g%% of the %u that stay online (%.2f) "
	         "for %gs; core of cpu %u (%u thread%s), min_online %u",
	         d, c->park.park_below_pct, online - g.n,
	         (online - g.n) * c->park.park_below_pct / 100.0,
	         c->park.hold_s, g.cpu[0], g.n, g.n > 1 ? "s" : "",
	         c->park.min_online);
}

static int decide(const pd_config *c, pd_mem *m, const pd_view *v,
                  pd_claims *cl, pd_out *o)
{
	unsigned online = pd_view_online(v);
	double d = v->demand_cpus;
	int rc = 0;

	(void)o;
	m->park.reason[0] = '\0';
	drop_returned(m, v);
	if (isnan(d)) {
		demand_unknown(c, m, v);
	} else {
		m->park.unknown_seen = false;
		if (!unpark_for_demand(c, m, v, d, online))
			park_low(c, m, v, d, online);
	}
	for (unsigned gi = 0; gi < m->ngroup && !rc; gi++)
		for (unsigned i = 0; i < m->grp[gi].n && !rc; i++)
			rc = pd_claim_cpu(cl, HV_KNOB_ONLINE, m->grp[gi].cpu[i],
			                  0, "0", "parking", m->park.reason);
	return rc;
}

static bool enabled(const pd_config *c)
{
	return c->park.enabled;
}

static void forget(pd_mem *m)
{
	m->ngroup = 0;
}

/* A CPU brought back names why, whichever policy held it offline. */
static const char *release(const pd_mem *m, const pd_hold *h)
{
	int cpu = pd_knob_cpu(h->knob);

	if (!pd_ends_with(h->knob, "/online") || cpu < 0 ||
	    (unsigned)cpu >= m->ncpu || !m->cpu[cpu].unpark_reason[0])
		return NULL;
	return m->cpu[cpu].unpark_reason;
}

static const hv_cfg_key keys[] = {
    {"parking", "enabled", HV_CFG_BOOL, PD_OFF(park.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    {"parking", "min_online", HV_CFG_UINT, PD_OFF(park.min_online), 1, 4096,
     "2", "never fewer CPUs online", NULL, NULL},
    {"parking", "park_below", HV_CFG_NUM, PD_OFF(park.park_below_pct), 1, 100,
     "40", "park while demand stays below this % of what stays online", NULL,
     NULL},
    {"parking", "unpark_above", HV_CFG_NUM, PD_OFF(park.unpark_above_pct), 1,
     100, "75", "unpark at once above this % of what is online", NULL, NULL},
    {"parking", "hold", HV_CFG_SECS, PD_OFF(park.hold_s), 0, 86400, "30",
     "how long demand must stay low", NULL, NULL},
    {"parking", "cooldown", HV_CFG_SECS, PD_OFF(park.cooldown_s), 0, 86400,
     "20", "least time between two moves", NULL, NULL},
    {0},
};

static int check(const pd_config *c, const char *file, const hv_cfg_lines *l,
                 hv_err *err)
{
	if (c->park.enabled &&
	    c->park.park_below_pct >= c->park.unpark_above_pct)
		return hv_err_set(err, EINVAL,
		                  "%s:%u: [parking] park_below (%g) must be "
		                  "below unpark_above (%g)",
		                  file, pd_cfg_line(l, "parking", "park_below"),
		                  c->park.park_below_pct,
		                  c->park.unpark_above_pct);
	return 0;
}

const pd_policy pd_pol_parking = {
    .name = "parking",
    .keys = keys,
    .check = check,
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
    .release = release,
};
