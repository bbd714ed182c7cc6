/* SPDX-License-Identifier: MIT */
/* What the policies share: claims, notes, view lookups, the parking
 * stack. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_pol.h"

int pd_claim_add(pd_claims *cl, const char *knob, const char *val,
                 const char *policy, const char *reason)
{
	if (cl->n == cl->cap) {
		size_t nc = cl->cap ? cl->cap * 2 : 64;
		pd_claim *p = realloc(cl->c, nc * sizeof(*p));
		if (!p)
			return -ENOMEM;
		cl->c = p;
		cl->cap = nc;
	}
	pd_claim *c = &cl->c[cl->n];
	snprintf(c->knob, sizeof(c->knob), "%s", knob);
	snprintf(c->value, sizeof(c->value), "%s", val);
	c->policy = policy;
	c->reason = reason;
	c->seq = cl->n++;
	return 0;
}

int pd_note_add(pd_out *o, const char *policy, const char *level,
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
