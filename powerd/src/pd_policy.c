/* SPDX-License-Identifier: MIT */
/* pd_decide: every enabled policy of the table claims, the claims are
 * merged per knob and compared with what the actuator holds. The policies
 * themselves are in policy/ (one file each). */
#include "pd_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/knob.h"
#include "policy/pd_pol.h"

pd_mem *pd_mem_new(void)
{
	pd_mem *m = calloc(1, sizeof(*m));

	if (m)
		m->budget.cap_pct = 100;
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

static int ensure_cpus(pd_mem *m, unsigned ncpu)
{
	if (ncpu <= m->ncpu)
		return 0;
	pd_cpu_mem *nc = realloc(m->cpu, ncpu * sizeof(*nc));
	pd_group *ng = realloc(m->grp, ncpu * sizeof(*ng));
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

static bool failed_recently(const pd_mem *m, const char *knob, double t)
{
	for (unsigned i = 0; i < m->nfail; i++)
		if (!strcmp(m->fail[i].knob, knob) && t < m->fail[i].until)
			return true;
	return false;
}

static int add_decision(pd_out *o, const char *knob, const char *val,
                        bool release, const char *policy, const char *reason)
{
	pd_decision *p = pd_grow(o->d, &o->cap, o->n, sizeof(*p), 32);

	if (!p)
		return -ENOMEM;
	o->d = p;
	pd_decision *d = &o->d[o->n++];
	memset(d, 0, sizeof(*d));
	snprintf(d->knob, sizeof(d->knob), "%s", knob);
	snprintf(d->value, sizeof(d->value), "%s", val ? val : "");
	d->release = release;
	snprintf(d->policy, sizeof(d->policy), "%s", policy);
	snprintf(d->reason, sizeof(d->reason), "%s", reason);
	return 0;
}

/* ---- merge and diff ----------------------------------------------- */

static int cmp_claim(const void *a, const void *b)
{
	const pd_claim *x = a, *y = b;
	int r = strcmp(x->knob, y->knob);

	if (r)
		return r;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Does candidate b win over the current winner a for this knob? */
static bool wins(const pd_claim *a, const pd_claim *b)
{
	if (pd_ends_with(a->knob, "/online"))
		return !strcmp(b->value, "0") && strcmp(a->value, "0");
	if (pd_ends_with(a->knob, "/disable"))
		return !strcmp(b->value, "1") && strcmp(a->value, "1");
	if (pd_ends_with(a->knob, "_khz"))
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
	const pd_claim *y = b;

	return strcmp(k, y->knob);
}

/* Ordering for the actuator: bring CPUs back first, then other releases,
 * then new settings, offlining last. */
static int dec_rank(const pd_decision *d)
{
	bool on = pd_ends_with(d->knob, "/online");

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

/* Per-CPU memory for every CPU id in the view; this round's unpark
 * reasons cleared. */
static int prepare(pd_mem *m, const pd_view *v)
{
	unsigned maxid = 0;
	int rc;

	for (unsigned i = 0; i < v->ncpu; i++)
		if (v->cpu[i].id + 1 > maxid)
			maxid = v->cpu[i].id + 1;
	if ((rc = ensure_cpus(m, maxid)))
		return rc;
	for (unsigned i = 0; i < m->ncpu; i++)
		m->cpu[i].unpark_reason[0] = '\0';
	return 0;
}

/* Every policy of the table, in priority order (the claim order). A
 * policy switched off (by a reload) forgets its state, so its knobs are
 * released below. */
static int run_policies(const pd_config *c, pd_mem *m, const pd_view *v,
                        pd_claims *cl, pd_out *o)
{
	int rc = 0;

	for (size_t i = 0; i < pd_npolicies; i++) {
		const pd_policy *p = pd_policies[i];
		if (!p->decide)
			continue;
		if (!p->enabled(c))
			p->forget(m);
		else if (!rc)
			rc = p->decide(c, m, v, cl, o);
	}
	return rc;
}

/* Whether winner w needs no decision: held at that value already, backing
 * off, on an offline CPU, or a C-state the operator disabled already. */
static bool skip_set(const pd_mem *m, const pd_view *v, const pd_claim *w,
                     const pd_hold *h)
{
	const pd_cpu *p;
	unsigned s;

	if (h && !strcmp(h->cur, w->value))
		return true;
	if (failed_recently(m, w->knob, v->t))
		return true;
	p = w->cpu >= 0 ? pd_view_cpu(v, (unsigned)w->cpu) : NULL;
	/* cpufreq/cpuidle knobs of an offline CPU wait for it. */
	if (!pd_ends_with(w->knob, "/online") && p && p->online != 1)
		return true;
	return !h && p && pd_ends_with(w->knob, "/disable") &&
	       pd_knob_cstate(w->knob, &s) >= 0 && s < PD_CSTATES &&
	       p->cstate_disabled[s] && !strcmp(w->value, "1");
}

/* Sorted claims -> one winner per knob -> set decisions. */
static int diff_sets(const pd_mem *m, const pd_view *v, const pd_claims *cl,
                     const pd_hold **hidx, size_t nheld, pd_out *o)
{
	int rc = 0;

	for (size_t i = 0, j; i < cl->n && !rc; i = j) {
		const pd_claim *w = &cl->c[i];
		for (j = i + 1; j < cl->n && !strcmp(cl->c[j].knob, w->knob);
		     j++)
			if (wins(w, &cl->c[j]))
				w = &cl->c[j];
		if (skip_set(m, v, w, find_held(hidx, nheld, w->knob)))
			continue;
		rc = add_decision(o, w->knob, w->value, false, w->policy,
		                  w->reason && w->reason[0] ? w->reason
		                                            : w->policy);
	}
	return rc;
}

static const char *release_reason(const pd_mem *m, const pd_hold *h)
{
	for (size_t i = 0; i < pd_npolicies; i++) {
		const char *why = pd_policies[i]->release
		                      ? pd_policies[i]->release(m, h)
		                      : NULL;
		if (why)
			return why;
	}
	return "no policy claims it any more";
}

/* Held knobs nobody claims -> release decisions. */
static int diff_releases(const pd_mem *m, const pd_view *v, const pd_claims *cl,
                         const pd_hold *held, size_t nheld, pd_out *o)
{
	int rc = 0;

	for (size_t i = 0; i < nheld && !rc; i++) {
		const pd_hold *h = &held[i];
		const pd_cpu *p;
		int cpu;
		if (cl->n && bsearch(h->knob, cl->c, cl->n, sizeof(*cl->c),
		                     cmp_key_claim))
			continue;
		if (failed_recently(m, h->knob, v->t))
			continue;
		cpu = pd_knob_cpu(h->knob);
		p = cpu >= 0 ? pd_view_cpu(v, (unsigned)cpu) : NULL;
		if (!pd_ends_with(h->knob, "/online") && p && p->online != 1)
			continue;
		rc = add_decision(o, h->knob, "", true, h->policy,
		                  release_reason(m, h));
	}
	return rc;
}

int pd_decide(const pd_config *c, pd_mem *m, const pd_view *v,
              const pd_hold *held, size_t nheld, pd_out *o)
{
	pd_claims cl = {0};
	const pd_hold **hidx = NULL;
	int rc;

	pd_out_reset(o);
	if ((rc = prepare(m, v)) || (rc = run_policies(c, m, v, &cl, o)))
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
	if ((rc = diff_sets(m, v, &cl, hidx, nheld, o)) ||
	    (rc = diff_releases(m, v, &cl, held, nheld, o)))
		goto out;
	if (o->n)
		qsort(o->d, o->n, sizeof(*o->d), cmp_dec);
out:
	free(cl.c);
	free(hidx);
	return rc;
}

void pd_mem_rejected(pd_mem *m, const pd_config *c, const char *knob, double t)
{
	int cpu = pd_knob_cpu(knob);
	double back = c->park.cooldown_s > c->period_s * 10 ? c->park.cooldown_s
	                                                    : c->period_s * 10;

	if (pd_ends_with(knob, "/online") && cpu >= 0) {
		pd_group_drop_cpu(m, (unsigned)cpu);
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
	if (m->nfail == PD_MAX_FAIL) {
		memmove(m->fail, m->fail + 1,
		        (PD_MAX_FAIL - 1) * sizeof(m->fail[0]));
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
