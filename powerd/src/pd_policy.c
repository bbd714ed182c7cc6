/* SPDX-License-Identifier: MIT */
#include "pd_policy.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/knob.h"

#define CE_HIST 256 /* count changes kept per CPU inside the window */
#define MAX_FAIL 64

typedef struct cpu_mem {
	unsigned nh;
	struct {
		double t;
		uint64_t ce;
	} h[CE_HIST];
	bool hw_off;   /* offlined for errors: sticky until exit */
	bool hw_noted; /* refusal already reported */
	char hw_reason[PD_REASON_LEN];
	char unpark_reason[PD_REASON_LEN]; /* this round only */
	double backoff_until;
} cpu_mem;

typedef struct group {
	unsigned n;
	unsigned cpu[PD_SMT_MAX];
} group;

struct pd_mem {
	cpu_mem *cpu;
	group *grp;
	unsigned ncpu;
	unsigned ngroup; /* parking: a LIFO stack of SMT groups */
	unsigned nfail;
	/* frequency, per package */
	struct {
		double low_since, high_since;
		bool low;
		bool low_seen, high_seen;
	} pkg[PD_MAX_PKG];
	/* parking */
	double last_move;
	double low_since, unknown_since;
	bool moved;
	bool low_seen, unknown_seen;
	/* latency guard */
	bool lat_on, lat_idle_seen;
	double lat_idle_since;
	/* budget */
	double cap_pct; /* 100 = no cap */
	double under_since;
	bool under_seen;
	bool hw_nodata_noted;
	char freq_release[PD_REASON_LEN];
	char lat_reason[PD_REASON_LEN];
	char lat_release[PD_REASON_LEN];
	char budget_reason[PD_REASON_LEN];
	char budget_release[PD_REASON_LEN];
	/* knobs the actuator could not set, with a back-off */
	struct {
		char knob[PD_KNOB_LEN];
		double until;
	} fail[MAX_FAIL];
};

typedef struct claim {
	char knob[PD_KNOB_LEN];
	char value[PD_VAL_LEN];
	const char *policy;
	const char *reason;
	size_t seq;
} claim;

typedef struct claims {
	size_t n, cap;
	claim *c;
} claims;

pd_mem *pd_mem_new(void)
{
	pd_mem *m = calloc(1, sizeof(*m));

	if (m)
		m->cap_pct = 100;
	return m;
}

void pd_mem_free(pd_mem *m)
{
	if (!m)
		return;
	free(m->cpu);
	free(m->grp);
	free(m);
}

void pd_out_reset(pd_out *o)
{
	o->n = 0;
	o->nnote = 0;
}

void pd_out_free(pd_out *o)
{
	free(o->d);
	free(o->note);
	memset(o, 0, sizeof(*o));
}

/* Knob names are libhv's (hv_knob_parse): one grammar, one CPU limit. */
int pd_knob_cpu(const char *knob)
{
	hv_knob k;

	if (hv_knob_parse(knob, &k, NULL) || !hv_knob_is_cpu(k.kind))
		return -1;
	return (int)k.cpu;
}

int pd_knob_cstate(const char *knob, unsigned *state)
{
	hv_knob k;

	if (hv_knob_parse(knob, &k, NULL) || k.kind != HV_KNOB_CSTATE_DISABLE)
		return -1;
	*state = k.state;
	return (int)k.cpu;
}

static bool ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

static int ensure_cpus(pd_mem *m, unsigned ncpu)
{
	if (ncpu <= m->ncpu)
		return 0;
	cpu_mem *nc = realloc(m->cpu, ncpu * sizeof(*nc));
	group *ng = realloc(m->grp, ncpu * sizeof(*ng));
	if (nc)
		m->cpu = nc;
	if (ng)
		m->grp = ng;
	if (!nc || !ng)
		return -ENOMEM;
	memset(m->cpu + m->ncpu, 0, (ncpu - m->ncpu) * sizeof(*nc));
	m->ncpu = ncpu;
	return 0;
}

static int add_claim(claims *cl, const char *knob, const char *val,
                     const char *policy, const char *reason)
{
	if (cl->n == cl->cap) {
		size_t nc = cl->cap ? cl->cap * 2 : 64;
		claim *p = realloc(cl->c, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		cl->c = p;
		cl->cap = nc;
	}
	claim *c = &cl->c[cl->n];
	snprintf(c->knob, sizeof(c->knob), "%s", knob);
	snprintf(c->value, sizeof(c->value), "%s", val);
	c->policy = policy;
	c->reason = reason;
	c->seq = cl->n++;
	return 0;
}

static int add_decision(pd_out *o, const char *knob, const char *val,
                        bool release, const char *policy, const char *reason)
{
	if (o->n == o->cap) {
		size_t nc = o->cap ? o->cap * 2 : 32;
		pd_decision *p = realloc(o->d, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		o->d = p;
		o->cap = nc;
	}
	pd_decision *d = &o->d[o->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->knob, sizeof(d->knob), "%s", knob);
	snprintf(d->value, sizeof(d->value), "%s", val ? val : "");
	d->release = release;
	snprintf(d->policy, sizeof(d->policy), "%s", policy);
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	return 0;
}

static int add_note(pd_out *o, const char *policy, const char *level,
                    const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int add_note(pd_out *o, const char *policy, const char *level,
                    const char *fmt, ...)
{
	va_list ap;

	if (o->nnote == o->capnote) {
		size_t nc = o->capnote ? o->capnote * 2 : 8;
		pd_note *p = realloc(o->note, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		o->note = p;
		o->capnote = nc;
	}
	pd_note *n = &o->note[o->nnote++];
	snprintf(n->policy, sizeof(n->policy), "%s", policy);
	snprintf(n->level, sizeof(n->level), "%s", level);
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
	return 0;
}

static const pd_cpu *find_cpu(const pd_view *v, unsigned id)
{
	if (id < v->ncpu && v->cpu[id].id == id)
		return &v->cpu[id];
	for (unsigned i = 0; i < v->ncpu; i++)
		if (v->cpu[i].id == id)
			return &v->cpu[i];
	return NULL;
}

static unsigned count_online(const pd_view *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < v->ncpu; i++)
		n += v->cpu[i].online == 1;
	return n;
}

static bool failed_recently(const pd_mem *m, const char *knob, double t)
{
	for (unsigned i = 0; i < m->nfail; i++)
		if (!strcmp(m->fail[i].knob, knob) && t < m->fail[i].until)
			return true;
	return false;
}

/* ---- frequency ---------------------------------------------------- */

static int policy_freq(const pd_config *c, pd_mem *m, const pd_view *v,
                       claims *cl, char (*reasons)[PD_REASON_LEN])
{
	double sum[PD_MAX_PKG] = {0};
	unsigned cnt[PD_MAX_PKG] = {0};
	int rc = 0;

	m->freq_release[0] = '\0';
	for (unsigned i = 0; i < v->ncpu; i++) {
		const pd_cpu *p = &v->cpu[i];
		unsigned k =
		    p->pkg >= 0 && p->pkg < PD_MAX_PKG ? (unsigned)p->pkg : 0;
		if (p->online == 1 && !isnan(p->busy_pct)) {
			sum[k] += p->busy_pct;
			cnt[k]++;
		}
	}
	for (unsigned k = 0; k < PD_MAX_PKG; k++) {
		double u;
		if (!cnt[k])
			continue; /* unknown: keep the level and the timers */
		u = sum[k] / cnt[k];
		if (!m->pkg[k].low) {
			m->pkg[k].high_seen = false;
			if (u < c->freq.low_pct) {
				if (!m->pkg[k].low_seen) {
					m->pkg[k].low_seen = true;
					m->pkg[k].low_since = v->t;
				}
				if (v->t - m->pkg[k].low_since >=
				    c->freq.hold_s - 1e-9) {
					m->pkg[k].low = true;
					m->pkg[k].low_seen = false;
				}
			} else {
				m->pkg[k].low_seen = false;
			}
		} else {
			m->pkg[k].low_seen = false;
			if (u > c->freq.high_pct) {
				if (!m->pkg[k].high_seen) {
					m->pkg[k].high_seen = true;
					m->pkg[k].high_since = v->t;
				}
				if (v->t - m->pkg[k].high_since >=
				    c->freq.up_hold_s - 1e-9) {
					m->pkg[k].low = false;
					m->pkg[k].high_seen = false;
					snprintf(
					    m->freq_release,
					    sizeof(m->freq_release),
					    "package %u utilisation %.1f%% "
					    "> high %g%%",
					    k, u, c->freq.high_pct);
				}
			} else {
				m->pkg[k].high_seen = false;
			}
		}
		snprintf(reasons[k], PD_REASON_LEN,
		         "package %u utilisation %.1f%% over %u online CPUs "
		         "(%s %g%%, hold %gs)",
		         k, u, cnt[k], m->pkg[k].low ? "< low" : "> high",
		         m->pkg[k].low ? c->freq.low_pct : c->freq.high_pct,
		         m->pkg[k].low ? c->freq.hold_s : c->freq.up_hold_s);
	}
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		unsigned k =
		    p->pkg >= 0 && p->pkg < PD_MAX_PKG ? (unsigned)p->pkg : 0;
		char knob[PD_KNOB_LEN], val[PD_VAL_LEN];
		if (p->online != 1 || !p->governor[0])
			continue;
		if (c->freq.action == PD_FREQ_GOVERNOR) {
			const char *g = m->pkg[k].low ? c->freq.low_governor
			                              : c->freq.high_governor;
			if (!g[0])
				continue;
			snprintf(knob, sizeof(knob), "cpu/%u/governor", p->id);
			rc = add_claim(cl, knob, g, "frequency", reasons[k]);
		} else if (m->pkg[k].low && p->hw_max_khz) {
			unsigned long khz =
			    pd_khz_resolve(c->freq.low_max, p->hw_max_khz);
			if (khz < p->hw_min_khz)
				khz = p->hw_min_khz;
			snprintf(knob, sizeof(knob), "cpu/%u/max_khz", p->id);
			snprintf(val, sizeof(val), "%lu", khz);
			rc = add_claim(cl, knob, val, "frequency", reasons[k]);
		}
	}
	return rc;
}

/* ---- core parking ------------------------------------------------- */

static bool group_member_seen(const group *g, unsigned id)
{
	for (unsigned i = 0; i < g->n; i++)
		if (g->cpu[i] == id)
			return true;
	return false;
}

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

/* Groups come from one sort by (pkg, core), so picking is O(n log n) even
 * on hosts with thousands of CPUs. */
static bool pick_park(const pd_view *v, const pd_mem *m, group *out)
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
	for (unsigned i = 0; i < v->ncpu;) {
		const pd_cpu *p = idx[i];
		unsigned j = i + 1, on, top = p->id;
		bool ok = park_ok(v, m, p);
		group g = {0};
		if (topo_known(p))
			while (j < v->ncpu && topo_known(idx[j]) &&
			       idx[j]->pkg == p->pkg && idx[j]->core == p->core)
				j++;
		if (j - i > PD_SMT_MAX)
			ok = false;
		for (unsigned k = i; k < j && ok; k++) {
			ok = park_ok(v, m, idx[k]);
			g.cpu[g.n++] = idx[k]->id;
			if (idx[k]->id > top)
				top = idx[k]->id;
		}
		i = j;
		if (!ok)
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

static void unpark_top(pd_mem *m, const char *fmt_reason)
{
	group *g = &m->grp[--m->ngroup];

	for (unsigned i = 0; i < g->n; i++)
		if (g->cpu[i] < m->ncpu)
			snprintf(m->cpu[g->cpu[i]].unpark_reason, PD_REASON_LEN,
			         "%s", fmt_reason);
}

static int policy_park(const pd_config *c, pd_mem *m, const pd_view *v,
                       claims *cl, pd_out *o, char *reason)
{
	unsigned online = count_online(v);
	double d = v->demand_cpus;
	char why[PD_REASON_LEN];
	int rc = 0;

	(void)o;
	/* Drop groups someone else brought back, and unpark at once any group
	 * a domain got pinned to. */
	for (unsigned gi = 0; gi < m->ngroup;) {
		group *g = &m->grp[gi];
		bool pinned = false, back = false;
		const char *by = "";
		unsigned pc = 0;
		for (unsigned i = 0; i < g->n; i++) {
			const pd_cpu *p = find_cpu(v, g->cpu[i]);
			if (!p || p->online == 1)
				back = true;
			if (p && p->pinned) {
				pinned = true;
				by = p->pinned_by;
				pc = p->id;
			}
		}
		if (pinned || back) {
			for (unsigned i = 0; i < g->n; i++)
				if (g->cpu[i] < m->ncpu)
					snprintf(
					    m->cpu[g->cpu[i]].unpark_reason,
					    PD_REASON_LEN,
					    pinned ? "cpu %u is now pinned "
					             "by domain %s"
					           : "cpu %u came back "
					             "online outside "
					             "hv-powerd%s",
					    pinned ? pc : g->cpu[i], by);
			memmove(g, g + 1, (m->ngroup - gi - 1) * sizeof(*g));
			m->ngroup--;
			m->moved = true;
			m->last_move = v->t;
			continue;
		}
		gi++;
	}

	if (isnan(d)) {
		m->low_seen = false;
		if (!m->unknown_seen) {
			m->unknown_seen = true;
			m->unknown_since = v->t;
		}
		if (v->t - m->unknown_since >= c->park.hold_s && m->ngroup) {
			snprintf(why, sizeof(why),
			         "demand unknown for %.1fs: unparking all "
			         "(fail safe)",
			         v->t - m->unknown_since);
			while (m->ngroup)
				unpark_top(m, why);
			m->moved = true;
			m->last_move = v->t;
		}
		goto claims;
	}
	m->unknown_seen = false;

	/* Bring CPUs back before demand reaches what is online. */
	if (m->ngroup && (d > online * c->park.unpark_above_pct / 100.0 ||
	                  online < c->park.min_online)) {
		unsigned cap = online;
		snprintf(why, sizeof(why),
		         "demand %.2f CPUs > %g%% of %u online (%.2f)%s", d,
		         c->park.unpark_above_pct, online,
		         online * c->park.unpark_above_pct / 100.0,
		         online < c->park.min_online ? ", below min_online"
		                                     : "");
		while (m->ngroup &&
		       (d > cap * c->park.unpark_above_pct / 100.0 ||
		        cap < c->park.min_online)) {
			cap += m->grp[m->ngroup - 1].n;
			unpark_top(m, why);
		}
		m->moved = true;
		m->last_move = v->t;
		m->low_seen = false;
		goto claims;
	}

	group g;
	if (pick_park(v, m, &g) && online >= g.n &&
	    online - g.n >= c->park.min_online &&
	    d < (online - g.n) * c->park.park_below_pct / 100.0) {
		if (!m->low_seen) {
			m->low_seen = true;
			m->low_since = v->t;
		}
		if (v->t - m->low_since >= c->park.hold_s - 1e-9 &&
		    (!m->moved ||
		     v->t - m->last_move >= c->park.cooldown_s - 1e-9)) {
			m->grp[m->ngroup++] = g;
			m->moved = true;
			m->last_move = v->t;
			m->low_seen = false;
			snprintf(reason, PD_REASON_LEN,
			         "demand %.2f CPUs < %g%% of the %u that stay "
			         "online (%.2f) for %gs; core of cpu %u "
			         "(%u thread%s), min_online %u",
			         d, c->park.park_below_pct, online - g.n,
			         (online - g.n) * c->park.park_below_pct /
			             100.0,
			         c->park.hold_s, g.cpu[0], g.n,
			         g.n > 1 ? "s" : "", c->park.min_online);
		}
	} else {
		m->low_seen = false;
	}

claims:
	for (unsigned gi = 0; gi < m->ngroup && !rc; gi++)
		for (unsigned i = 0; i < m->grp[gi].n && !rc; i++) {
			char knob[PD_KNOB_LEN];
			snprintf(knob, sizeof(knob), "cpu/%u/online",
			         m->grp[gi].cpu[i]);
			rc = add_claim(cl, knob, "0", "parking", reason);
		}
	return rc;
}

/* ---- latency guard ------------------------------------------------ */

static int policy_lat(const pd_config *c, pd_mem *m, const pd_view *v,
                      claims *cl)
{
	bool busy = false, known = false;
	int rc = 0;

	m->lat_release[0] = '\0';
	for (unsigned i = 0; i < v->ndom; i++)
		for (unsigned j = 0; j < c->lat.ndom; j++) {
			const pd_domv *d = &v->dom[i];
			if (strcmp(d->name, c->lat.dom[j]))
				continue;
			if (isnan(d->cpu_pct))
				continue;
			known = true;
			if (d->cpu_pct > c->lat.busy_pct && !busy) {
				busy = true;
				if (c->lat.method == PD_LAT_XEN)
					snprintf(
					    m->lat_reason, PD_REASON_LEN,
					    "latency-critical domain %s busy "
					    "(%.1f%% > %g%%): Xen max_cstate "
					    "%u",
					    d->name, d->cpu_pct,
					    c->lat.busy_pct,
					    c->lat.xen_max_cstate);
				else
					snprintf(
					    m->lat_reason, PD_REASON_LEN,
					    "latency-critical domain %s busy "
					    "(%.1f%% > %g%%): %s %u us",
					    d->name, d->cpu_pct,
					    c->lat.busy_pct,
					    c->lat.method == PD_LAT_QOS
					        ? "PM QoS CPU latency limit"
					        : "C-states disabled above "
					          "exit latency",
					    c->lat.max_latency_us);
			}
		}
	if (busy) {
		m->lat_on = true;
		m->lat_idle_seen = false;
	} else if (m->lat_on && known) {
		if (!m->lat_idle_seen) {
			m->lat_idle_seen = true;
			m->lat_idle_since = v->t;
		}
		if (v->t - m->lat_idle_since >= c->lat.hold_s - 1e-9) {
			m->lat_on = false;
			m->lat_idle_seen = false;
			snprintf(m->lat_release, PD_REASON_LEN,
			         "latency-critical domains idle (<= %g%%) for "
			         "%gs",
			         c->lat.busy_pct, c->lat.hold_s);
		}
	} else if (m->lat_on && v->ndom == 0) {
		/* Every latency-critical domain is gone: release too. */
		if (!m->lat_idle_seen) {
			m->lat_idle_seen = true;
			m->lat_idle_since = v->t;
		}
		if (v->t - m->lat_idle_since >= c->lat.hold_s - 1e-9) {
			m->lat_on = false;
			m->lat_idle_seen = false;
			snprintf(m->lat_release, PD_REASON_LEN,
			         "latency-critical domains gone for %gs",
			         c->lat.hold_s);
		}
	}
	if (!m->lat_on)
		return 0;
	if (c->lat.method == PD_LAT_XEN) {
		char val[PD_VAL_LEN];
		snprintf(val, sizeof(val), "%u", c->lat.xen_max_cstate);
		return add_claim(cl, "xen/max_cstate", val, "latency",
		                 m->lat_reason);
	}
	if (c->lat.method == PD_LAT_QOS) {
		char val[PD_VAL_LEN];
		snprintf(val, sizeof(val), "%u", c->lat.max_latency_us);
		return add_claim(cl, PD_QOS_KNOB, val, "latency",
		                 m->lat_reason);
	}
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		if (p->online != 1)
			continue;
		for (unsigned s = 0; s < p->nr_cstate && s < PD_CSTATES && !rc;
		     s++) {
			char knob[PD_KNOB_LEN];
			if (p->cstate_lat_us[s] <= c->lat.max_latency_us)
				continue;
			snprintf(knob, sizeof(knob), "cpu/%u/cstate/%u/disable",
			         p->id, s);
			rc = add_claim(cl, knob, "1", "latency", m->lat_reason);
		}
	}
	return rc;
}

/* ---- hardware errors ---------------------------------------------- */

static int policy_hwerr(const pd_config *c, pd_mem *m, const pd_view *v,
                        claims *cl, pd_out *o)
{
	unsigned online = count_online(v), offl = 0;
	int rc = 0;

	for (unsigned i = 0; i < m->ncpu; i++)
		offl += m->cpu[i].hw_off;
	/* Say once when the backend gives no per-CPU counts (Linux has
	 * none in sysfs): the policy is then inert, not silently broken. */
	bool any = false;
	for (unsigned i = 0; i < v->ncpu; i++)
		any |= v->cpu[i].ce_ok;
	if (!any && v->ncpu && !m->hw_nodata_noted) {
		m->hw_nodata_noted = true;
		rc = add_note(o, "hwerr", "warn",
		              "no per-CPU corrected-error counts from this "
		              "backend (hv_pcpu.ce_count unsupported): the "
		              "hardware-error policy cannot act");
	} else if (any) {
		m->hw_nodata_noted = false;
	}
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		cpu_mem *cm;
		uint64_t base;
		if (p->id >= m->ncpu || !p->ce_ok)
			continue;
		cm = &m->cpu[p->id];
		/* Keep only count changes; a count that went down is a reset. */
		if (cm->nh && p->ce < cm->h[cm->nh - 1].ce)
			cm->nh = 0;
		if (!cm->nh || p->ce != cm->h[cm->nh - 1].ce) {
			if (cm->nh == CE_HIST) {
				memmove(cm->h, cm->h + 1,
				        (CE_HIST - 1) * sizeof(cm->h[0]));
				cm->nh--;
			}
			cm->h[cm->nh].t = v->t;
			cm->h[cm->nh].ce = p->ce;
			cm->nh++;
		}
		/* The count at the start of the window: the newest change at or
		 * before it (kept), else the oldest known. */
		while (cm->nh > 1 && cm->h[1].t <= v->t - c->hwerr.window_s) {
			memmove(cm->h, cm->h + 1,
			        (cm->nh - 1) * sizeof(cm->h[0]));
			cm->nh--;
		}
		base = cm->h[0].ce;
		if (p->ce - base <= c->hwerr.threshold || cm->hw_off ||
		    cm->backoff_until > v->t)
			continue;
		/* Over the threshold: offline if every safety rule holds. */
		const char *refuse = NULL;
		char rbuf[160];
		if (p->online != 1)
			refuse = NULL; /* already offline: nothing to do */
		else if (p->id == 0)
			refuse = "it is cpu0";
		else if (!p->hotplug)
			refuse = "it cannot be hot-unplugged";
		else if (p->pinned) {
			snprintf(rbuf, sizeof(rbuf),
			         "domain %s is pinned to it", p->pinned_by);
			refuse = rbuf;
		} else if (offl >= c->hwerr.max_offline) {
			snprintf(rbuf, sizeof(rbuf),
			         "max_offline %u CPUs already offlined",
			         c->hwerr.max_offline);
			refuse = rbuf;
		} else if (online <= c->hwerr.keep_online) {
			snprintf(rbuf, sizeof(rbuf),
			         "only %u CPUs online (keep_online %u)", online,
			         c->hwerr.keep_online);
			refuse = rbuf;
		}
		if (p->online != 1)
			continue;
		if (refuse) {
			if (!cm->hw_noted) {
				cm->hw_noted = true;
				rc = add_note(
				    o, "hwerr", "alert",
				    "cpu %u: corrected errors rose by "
				    "%llu (> %u) within %gs but NOT "
				    "offlined: %s",
				    p->id, (unsigned long long)(p->ce - base),
				    c->hwerr.threshold, c->hwerr.window_s,
				    refuse);
			}
			continue;
		}
		cm->hw_off = true;
		offl++;
		online--;
		snprintf(cm->hw_reason, PD_REASON_LEN,
		         "ALERT cpu %u: corrected errors rose by %llu (%llu -> "
		         "%llu) > threshold %u within %gs; offlined %u of max "
		         "%u",
		         p->id, (unsigned long long)(p->ce - base),
		         (unsigned long long)base, (unsigned long long)p->ce,
		         c->hwerr.threshold, c->hwerr.window_s, offl,
		         c->hwerr.max_offline);
		/* A parked CPU with errors stays offline for errors instead. */
		for (unsigned gi = 0; gi < m->ngroup; gi++)
			if (group_member_seen(&m->grp[gi], p->id)) {
				memmove(&m->grp[gi], &m->grp[gi + 1],
				        (m->ngroup - gi - 1) *
				            sizeof(m->grp[0]));
				m->ngroup--;
				break;
			}
	}
	for (unsigned i = 0; i < m->ncpu && !rc; i++) {
		char knob[PD_KNOB_LEN];
		if (!m->cpu[i].hw_off)
			continue;
		snprintf(knob, sizeof(knob), "cpu/%u/online", i);
		rc = add_claim(cl, knob, "0", "hwerr", m->cpu[i].hw_reason);
	}
	return rc;
}

/* ---- power budget ------------------------------------------------- */

static int policy_budget(const pd_config *c, pd_mem *m, const pd_view *v,
                         claims *cl)
{
	double w = v->pkg_watts;
	int rc = 0;

	m->budget_release[0] = '\0';
	if (!isnan(w)) {
		if (w > c->budget.watts) {
			m->under_seen = false;
			m->cap_pct -= c->budget.step_pct;
			if (m->cap_pct < 1)
				m->cap_pct = 1;
			snprintf(m->budget_reason, PD_REASON_LEN,
			         "package power %.1f W > budget %g W: cap "
			         "max frequency at %.0f%% (step %g%%)",
			         w, c->budget.watts, m->cap_pct,
			         c->budget.step_pct);
		} else if (w < c->budget.watts * c->budget.release_pct / 100 &&
		           m->cap_pct < 100) {
			if (!m->under_seen) {
				m->under_seen = true;
				m->under_since = v->t;
			}
			if (v->t - m->under_since >= c->budget.hold_s - 1e-9) {
				m->cap_pct += c->budget.step_pct;
				m->under_since = v->t;
				if (m->cap_pct >= 100) {
					m->cap_pct = 100;
					m->under_seen = false;
				}
				snprintf(m->budget_reason, PD_REASON_LEN,
				         "package power %.1f W < %g%% of "
				         "budget %g W for %gs: raise cap to "
				         "%.0f%%",
				         w, c->budget.release_pct,
				         c->budget.watts, c->budget.hold_s,
				         m->cap_pct);
				if (m->cap_pct >= 100)
					snprintf(m->budget_release,
					         PD_REASON_LEN, "%s",
					         m->budget_reason);
			}
		} else {
			m->under_seen = false;
		}
	}
	if (m->cap_pct >= 100)
		return 0;
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		char knob[PD_KNOB_LEN], val[PD_VAL_LEN];
		unsigned long khz, fl;
		if (p->online != 1 || !p->hw_max_khz || !p->governor[0])
			continue;
		khz = (unsigned long)llround(p->hw_max_khz * m->cap_pct / 100);
		fl = pd_khz_resolve(c->budget.floor, p->hw_max_khz);
		if (khz < fl)
			khz = fl;
		if (khz < p->hw_min_khz)
			khz = p->hw_min_khz;
		if (khz > p->hw_max_khz)
			khz = p->hw_max_khz;
		snprintf(knob, sizeof(knob), "cpu/%u/max_khz", p->id);
		snprintf(val, sizeof(val), "%lu", khz);
		rc = add_claim(cl, knob, val, "budget", m->budget_reason);
	}
	return rc;
}

/* ---- merge and diff ----------------------------------------------- */

static int cmp_claim(const void *a, const void *b)
{
	const claim *x = a, *y = b;
	int r = strcmp(x->knob, y->knob);

	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Does candidate b win over the current winner a for this knob? */
static bool wins(const claim *a, const claim *b)
{
	if (ends_with(a->knob, "/online"))
		return !strcmp(b->value, "0") && strcmp(a->value, "0");
	if (ends_with(a->knob, "/disable"))
		return !strcmp(b->value, "1") && strcmp(a->value, "1");
	if (ends_with(a->knob, "_khz"))
		return strtoull(b->value, NULL, 10) <
		       strtoull(a->value, NULL, 10);
	return false; /* first claim (highest priority policy) wins */
}

static int cmp_holdp(const void *a, const void *b)
{
	const pd_hold *const *x = a, *const *y = b;

	return strcmp((*x)->knob, (*y)->knob);
}

static int cmp_key_holdp(const void *k, const void *b)
{
	const pd_hold *const *y = b;

	return strcmp(k, (*y)->knob);
}

/* O(log n) lookups: thousands of CPUs x C-states are thousands of knobs. */
static const pd_hold *find_held(const pd_hold **idx, size_t n, const char *knob)
{
	const pd_hold *const *r =
	    n ? bsearch(knob, idx, n, sizeof(*idx), cmp_key_holdp) : NULL;

	return r ? *r : NULL;
}

static int cmp_key_claim(const void *k, const void *b)
{
	const claim *y = b;

	return strcmp(k, y->knob);
}

/* Ordering for the actuator: bring CPUs back first, then other releases,
 * then new settings, offlining last. */
static int dec_rank(const pd_decision *d)
{
	bool on = ends_with(d->knob, "/online");

	if (on && d->release)
		return 0;
	if (d->release)
		return 1;
	if (!on)
		return 2;
	return 3;
}

static int cmp_dec(const void *a, const void *b)
{
	const pd_decision *x = a, *y = b;
	int rx = dec_rank(x), ry = dec_rank(y);

	if (rx != ry)
		return rx - ry;
	return strcmp(x->knob, y->knob);
}

int pd_decide(const pd_config *c, pd_mem *m, const pd_view *v,
              const pd_hold *held, size_t nheld, pd_out *o)
{
	claims cl = {0};
	const pd_hold **hidx = NULL;
	char(*freason)[PD_REASON_LEN] = NULL;
	char park_reason[PD_REASON_LEN] = "";
	unsigned maxid = 0;
	int rc = 0;

	pd_out_reset(o);
	for (unsigned i = 0; i < v->ncpu; i++)
		if (v->cpu[i].id + 1 > maxid)
			maxid = v->cpu[i].id + 1;
	if ((rc = ensure_cpus(m, maxid)))
		goto out;
	for (unsigned i = 0; i < m->ncpu; i++)
		m->cpu[i].unpark_reason[0] = '\0';
	freason = calloc(PD_MAX_PKG, sizeof(*freason));
	if (!freason) {
		rc = -ENOMEM;
		goto out;
	}

	/* A policy switched off (by a reload) forgets its state, so its knobs
	 * are released below. Claim order is the priority order. */
	if (c->hwerr.enabled)
		rc = policy_hwerr(c, m, v, &cl, o);
	else
		for (unsigned i = 0; i < m->ncpu; i++)
			m->cpu[i].hw_off = m->cpu[i].hw_noted = false;
	if (!rc && c->budget.enabled)
		rc = policy_budget(c, m, v, &cl);
	else if (!c->budget.enabled)
		m->cap_pct = 100;
	if (!rc && c->lat.enabled)
		rc = policy_lat(c, m, v, &cl);
	else if (!c->lat.enabled)
		m->lat_on = false;
	if (!rc && c->park.enabled)
		rc = policy_park(c, m, v, &cl, o, park_reason);
	else if (!c->park.enabled)
		m->ngroup = 0;
	if (!rc && c->freq.enabled)
		rc = policy_freq(c, m, v, &cl, freason);
	else if (!c->freq.enabled)
		for (unsigned k = 0; k < PD_MAX_PKG; k++)
			m->pkg[k].low = false;
	if (rc)
		goto out;

	if (cl.n)
		qsort(cl.c, cl.n, sizeof(*cl.c), cmp_claim);
	if (nheld) {
		hidx = malloc(nheld * sizeof(*hidx));
		if (!hidx) {
			rc = -ENOMEM;
			goto out;
		}
		for (size_t i = 0; i < nheld; i++)
			hidx[i] = &held[i];
		qsort(hidx, nheld, sizeof(*hidx), cmp_holdp);
	}
	for (size_t i = 0; i < cl.n && !rc;) {
		size_t j = i + 1;
		const claim *w = &cl.c[i];
		const pd_hold *h;
		const pd_cpu *p;
		int cpu;
		for (; j < cl.n && !strcmp(cl.c[j].knob, w->knob); j++)
			if (wins(w, &cl.c[j]))
				w = &cl.c[j];
		i = j;
		h = find_held(hidx, nheld, w->knob);
		if (h && !strcmp(h->cur, w->value))
			continue;
		if (failed_recently(m, w->knob, v->t))
			continue;
		cpu = pd_knob_cpu(w->knob);
		p = cpu >= 0 ? find_cpu(v, (unsigned)cpu) : NULL;
		/* cpufreq/cpuidle knobs of an offline CPU wait for it. */
		if (!ends_with(w->knob, "/online") && p && p->online != 1)
			continue;
		/* A C-state the operator disabled already needs no hold. */
		if (!h && p && ends_with(w->knob, "/disable")) {
			unsigned s;
			if (pd_knob_cstate(w->knob, &s) >= 0 &&
			    s < PD_CSTATES && p->cstate_disabled[s] &&
			    !strcmp(w->value, "1"))
				continue;
		}
		rc = add_decision(o, w->knob, w->value, false, w->policy,
		                  w->reason && w->reason[0] ? w->reason
		                                            : w->policy);
	}
	for (size_t i = 0; i < nheld && !rc; i++) {
		const pd_hold *h = &held[i];
		bool claimed = false;
		const char *why = NULL;
		int cpu = pd_knob_cpu(h->knob);
		const pd_cpu *p = cpu >= 0 ? find_cpu(v, (unsigned)cpu) : NULL;
		claimed = cl.n && bsearch(h->knob, cl.c, cl.n, sizeof(*cl.c),
		                          cmp_key_claim);
		if (claimed || failed_recently(m, h->knob, v->t))
			continue;
		if (!ends_with(h->knob, "/online") && p && p->online != 1)
			continue;
		if (ends_with(h->knob, "/online") && cpu >= 0 &&
		    (unsigned)cpu < m->ncpu && m->cpu[cpu].unpark_reason[0])
			why = m->cpu[cpu].unpark_reason;
		else if (!strcmp(h->policy, "frequency") && m->freq_release[0])
			why = m->freq_release;
		else if (!strcmp(h->policy, "latency") && m->lat_release[0])
			why = m->lat_release;
		else if (!strcmp(h->policy, "budget") && m->budget_release[0])
			why = m->budget_release;
		else
			why = "no policy claims it any more";
		rc = add_decision(o, h->knob, "", true, h->policy, why);
	}
	if (!rc && o->n)
		qsort(o->d, o->n, sizeof(*o->d), cmp_dec);
out:
	free(cl.c);
	free(hidx);
	free(freason);
	return rc;
}

void pd_mem_rejected(pd_mem *m, const pd_config *c, const char *knob, double t)
{
	int cpu = pd_knob_cpu(knob);
	double back = c->park.cooldown_s > c->period_s * 10 ? c->park.cooldown_s
	                                                    : c->period_s * 10;

	if (ends_with(knob, "/online") && cpu >= 0) {
		for (unsigned gi = 0; gi < m->ngroup; gi++)
			if (group_member_seen(&m->grp[gi], (unsigned)cpu)) {
				memmove(&m->grp[gi], &m->grp[gi + 1],
				        (m->ngroup - gi - 1) *
				            sizeof(m->grp[0]));
				m->ngroup--;
				break;
			}
		if ((unsigned)cpu < m->ncpu) {
			m->cpu[cpu].backoff_until = t + back;
			m->cpu[cpu].hw_off = false;
		}
		return;
	}
	for (unsigned i = 0; i < m->nfail; i++)
		if (!strcmp(m->fail[i].knob, knob)) {
			m->fail[i].until = t + back;
			return;
		}
	if (m->nfail == MAX_FAIL) {
		memmove(m->fail, m->fail + 1,
		        (MAX_FAIL - 1) * sizeof(m->fail[0]));
		m->nfail--;
	}
	snprintf(m->fail[m->nfail].knob, PD_KNOB_LEN, "%s", knob);
	m->fail[m->nfail++].until = t + back;
}

unsigned pd_mem_parked(const pd_mem *m, unsigned *cpus, unsigned max)
{
	unsigned n = 0;

	for (unsigned gi = 0; gi < m->ngroup; gi++)
		for (unsigned i = 0; i < m->grp[gi].n; i++) {
			if (n < max)
				cpus[n] = m->grp[gi].cpu[i];
			n++;
		}
	return n;
}

unsigned pd_mem_hwerr_offlined(const pd_mem *m, unsigned *cpus, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < m->ncpu; i++)
		if (m->cpu[i].hw_off) {
			if (n < max)
				cpus[n] = i;
			n++;
		}
	return n;
}
