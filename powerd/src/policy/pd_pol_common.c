/* SPDX-License-Identifier: MIT */
/* What the policies share: claims, notes, view lookups, the parking
 * stack. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_pol.h"

void *pd_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first)
{
	size_t nc;
	void *q;

	if (n < *cap)
		return arr;
	nc = *cap ? *cap * 2 : first;
	if ((q = realloc(arr, nc * size)))
		*cap = nc;
	return q;
}

const char *pd_own_release(const pd_hold *h, const char *policy,
                           const char *reason)
{
	return !strcmp(h->policy, policy) && reason[0] ? reason : NULL;
}

int pd_claim_add(pd_claims *cl, int cpu, const char *knob, const char *val,
                 const char *policy, const char *reason)
{
	pd_claim *c = pd_grow(cl->c, &cl->cap, cl->n, sizeof(*c), 64);

	if (!c)
		return -ENOMEM;
	cl->c = c;
	c = &cl->c[cl->n];
	snprintf(c->knob, sizeof(c->knob), "%s", knob);
	snprintf(c->value, sizeof(c->value), "%s", val);
	c->policy = policy;
	c->reason = reason;
	c->cpu = cpu;
	c->seq = cl->n++;
	return 0;
}

int pd_claim_cpu(pd_claims *cl, hv_knob_kind kind, unsigned cpu, unsigned state,
                 const char *val, const char *policy, const char *reason)
{
	hv_knob k = {.kind = kind, .cpu = cpu, .state = state};
	char knob[PD_KNOB_LEN];
	int rc = hv_knob_fmt(&k, knob, sizeof(knob));

	if (rc < 0)
		return rc;
	return pd_claim_add(cl, hv_knob_is_cpu(kind) ? (int)cpu : -1, knob, val,
	                    policy, reason);
}

int pd_note_add(pd_out *o, const char *policy, const char *level,
                const char *fmt, ...)
{
	pd_note *p = pd_grow(o->note, &o->capnote, o->nnote, sizeof(*p), 8);
	va_list ap;

	if (!p)
		return -ENOMEM;
	o->note = p;
	pd_note *n = &o->note[o->nnote++];
	snprintf(n->policy, sizeof(n->policy), "%s", policy);
	snprintf(n->level, sizeof(n->level), "%s", level);
	va_start(ap, fmt);
	vsnprintf(n->msg, sizeof(n->msg), fmt, ap);
	va_end(ap);
	return 0;
}

const pd_cpu *pd_view_cpu(const pd_view *v, unsigned id)
{
	if (id < v->ncpu && v->cpu[id].id == id)
		return &v->cpu[id];
	for (unsigned i = 0; i < v->ncpu; i++)
		if (v->cpu[i].id == id)
			return &v->cpu[i];
	return NULL;
}

unsigned pd_view_online(const pd_view *v)
{
	unsigned n = 0;

	for (unsigned i = 0; i < v->ncpu; i++)
		n += v->cpu[i].online == 1;
	return n;
}

bool pd_ends_with(const char *s, const char *suf)
{
	size_t a = strlen(s), b = strlen(suf);

	return a >= b && !strcmp(s + a - b, suf);
}

bool pd_group_drop_cpu(pd_mem *m, unsigned cpu)
{
	for (unsigned gi = 0; gi < m->ngroup; gi++)
		for (unsigned i = 0; i < m->grp[gi].n; i++) {
			if (m->grp[gi].cpu[i] != cpu)
				continue;
			memmove(&m->grp[gi], &m->grp[gi + 1],
			        (m->ngroup - gi - 1) * sizeof(m->grp[0]));
			m->ngroup--;
			return true;
		}
	return false;
}
