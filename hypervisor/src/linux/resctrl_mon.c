/* SPDX-License-Identifier: MIT */
/* The resctrl enricher: fills hv_dom.llc_bytes / mbm_total_bytes /
 * mbm_local_bytes for domains that have a monitoring group "hvkit-<id>"
 * (see hv/resctrl.h) under the root or under any class.
 *
 * MBM counters are summed over L3 domains through a per-domain accumulator:
 * a single L3 domain's counter going backwards (AMD reassigns hardware
 * counters, a BMEC reconfiguration clears them) would otherwise make the sum
 * look like less traffic, not a reset. Such a sample is marked missing and
 * the accumulator continues from the new raw values, so rates are NAN over
 * the reset and right afterwards. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>

#include "hv/enrich.h"
#include "resctrl_int.h"

typedef struct mon_state {
	uint64_t key;
	uint64_t gen; /* last fill that saw this domain */
	int seen;
	int valid[HV_RC_MAX_DOM][2]; /* prev raw known per L3 domain, event */
	uint64_t prev[HV_RC_MAX_DOM][2];
	uint64_t acc[2];
} mon_state;

struct hv_rdtmon {
	hv_resctrl *rc;
	mon_state *st;
	size_t nst, cap;
	uint64_t gen;
};

int hv_rdtmon_open(const hv_env *env, hv_rdtmon **out, hv_err *err)
{
	hv_rdtmon *m;
	hv_resctrl *rc = NULL;
	hv_err e = {0};
	int r;

	*out = NULL;
	r = hv_rc_open(env, &rc, &e);
	if (r == -ENOENT)
		return 0; /* not mounted: nothing to add */
	if (r) {
		if (err)
			*err = e;
		return r;
	}
	if (!rc->info.mon) {
		hv_rc_close(rc);
		return 0;
	}
	if (!(m = calloc(1, sizeof(*m)))) {
		hv_rc_close(rc);
		return hv_err_set(err, ENOMEM, "out of memory");
	}
	m->rc = rc;
	*out = m;
	return 0;
}

void hv_rdtmon_close(hv_rdtmon *m)
{
	if (!m)
		return;
	hv_rc_close(m->rc);
	free(m->st);
	free(m);
}

static mon_state *state_for(hv_rdtmon *m, uint64_t key)
{
	for (size_t i = 0; i < m->nst; i++)
		if (m->st[i].key == key)
			return &m->st[i];
	if (m->nst == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		mon_state *ns = realloc(m->st, nc * sizeof(*ns));
		if (!ns)
			return NULL;
		m->st = ns;
		m->cap = nc;
	}
	memset(&m->st[m->nst], 0, sizeof(m->st[0]));
	m->st[m->nst].key = key;
	return &m->st[m->nst++];
}

static int owns(const hv_dom *d, const int32_t *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((uint32_t)t[i] == d->id)
			return 1;
		for (uint32_t v = 0; v < d->nr_vcpu; v++)
			if (d->vcpu[v].tid > 0 && d->vcpu[v].tid == t[i])
				return 1;
	}
	return 0;
}

static void note(hv_dom *d, const char *what)
{
	size_t l = strlen(d->note);

	if (l + 2 < sizeof(d->note))
		snprintf(d->note + l, sizeof(d->note) - l, "%s%s",
		         l ? "; " : "", what);
}

/* Combine L3 domains of one MBM event into the accumulator. */
static hv_u64 mbm_sum(mon_state *st, const hv_rc_mon_raw *raw, int ev,
                      const char **why)
{
	const hv_u64 *v = ev ? raw->local : raw->total;
	int bad = 0;
	hv_why reason = HV_OK;

	for (uint32_t i = 0; i < raw->n; i++) {
		if (!hv_ok(v[i])) {
			st->valid[i][ev] = 0;
			bad = 1;
			reason = (hv_why)v[i].why;
			continue;
		}
		if (st->valid[i][ev]) {
			if (v[i].v < st->prev[i][ev]) {
				bad = 1; /* reset: this interval is unknown */
				reason = HV_NA_ERROR;
				*why = "mbm counter reset";
			} else {
				st->acc[ev] += v[i].v - st->prev[i][ev];
			}
		} else if (!st->seen) {
			st->acc[ev] += v[i].v; /* start at the kernel's sum */
		}
		st->prev[i][ev] = v[i].v;
		st->valid[i][ev] = 1;
	}
	if (bad) {
		if (!*why)
			*why = reason == HV_NA_ERROR ? "mbm Error"
			       : reason == HV_NA_UNSUPPORTED
			           ? "mbm unsupported"
			           : "mbm Unavailable";
		return hv_na(reason);
	}
	return hv_val(st->acc[ev]);
}

static void fill_dom(hv_rdtmon *m, hv_dom *d, const char *group)
{
	hv_rc_mon_raw raw;
	mon_state *st;
	const char *why = NULL;
	uint64_t occ = 0;
	hv_why occ_why = HV_OK;

	if (rc_mon_read(m->rc, group, &raw, NULL) || !raw.n)
		return;
	if (!(st = state_for(m, d->key)))
		return;
	for (uint32_t i = 0; i < raw.n; i++) {
		if (hv_ok(raw.occ[i]))
			occ += raw.occ[i].v;
		else
			occ_why = (hv_why)raw.occ[i].why;
	}
	d->llc_bytes = occ_why == HV_OK ? hv_val(occ) : hv_na(occ_why);
	if (occ_why != HV_OK && occ_why != HV_NA_UNSUPPORTED)
		note(d,
		     occ_why == HV_NA_ERROR ? "llc Error" : "llc Unavailable");
	d->mbm_total_bytes = mbm_sum(st, &raw, 0, &why);
	{
		const char *w2 = NULL;
		d->mbm_local_bytes = mbm_sum(st, &raw, 1, &w2);
		if (!why)
			why = w2;
	}
	if (why && strcmp(why, "mbm unsupported"))
		note(d, why);
	st->seen = 1;
	st->gen = m->gen;
	d->sources |= HV_SRC_RDT;
}

void hv_rdtmon_fill(hv_rdtmon *m, hv_snap *s)
{
	char(*cls)[HV_RC_NAME_LEN] = NULL, (*mg)[HV_RC_NAME_LEN] = NULL;
	/* candidate groups: id and path */
	struct cand {
		uint32_t id;
		char group[2 * HV_RC_NAME_LEN + 16];
	} *cand = NULL;
	size_t nc = 0, ncand = 0, ndom;

	if (!m || !s)
		return;
	m->gen++;
	cls = calloc(RC_MAX_GROUPS + 1, HV_RC_NAME_LEN);
	mg = calloc(RC_MAX_GROUPS, HV_RC_NAME_LEN);
	cand = calloc(RC_MAX_GROUPS * 4, sizeof(*cand));
	if (!cls || !mg || !cand)
		goto out;
	if (rc_lock(m->rc, LOCK_SH, NULL))
		goto out;
	/* cls[0] = "" is the root */
	if (rc_classes(m->rc, cls + 1, RC_MAX_GROUPS, &nc, NULL))
		nc = 0;
	for (size_t c = 0; c <= nc; c++) {
		size_t nm = 0;
		if (rc_mon_groups(m->rc, cls[c], mg, RC_MAX_GROUPS, &nm, NULL))
			continue;
		for (size_t i = 0; i < nm && ncand < RC_MAX_GROUPS * 4; i++) {
			uint64_t id;
			size_t pl = strlen(HV_RC_GROUP_PREFIX);
			char *end;
			if (strncmp(mg[i], HV_RC_GROUP_PREFIX, pl))
				continue;
			errno = 0;
			id = strtoull(mg[i] + pl, &end, 10);
			if (*end || errno || id > UINT32_MAX ||
			    end == mg[i] + pl)
				continue;
			cand[ncand].id = (uint32_t)id;
			if (c)
				snprintf(cand[ncand].group,
				         sizeof(cand[ncand].group),
				         "%s/mon_groups/%s", cls[c], mg[i]);
			else
				snprintf(cand[ncand].group,
				         sizeof(cand[ncand].group),
				         "mon_groups/%s", mg[i]);
			ncand++;
		}
	}
	ndom = hv_snap_ndom(s);
	for (size_t i = 0; i < ndom; i++) {
		hv_dom *d = hv_snap_dom_mut(s, i);
		for (size_t c = 0; c < ncand; c++) {
			int32_t *t = NULL;
			size_t nt = 0;
			int mine;
			if (cand[c].id != d->id)
				continue;
			/* A recycled pid must not inherit an old group: the
			 * group has to hold one of this domain's threads. */
			if (rc_tasks_read(m->rc, cand[c].group, &t, &nt, NULL))
				continue;
			mine = owns(d, t, nt);
			free(t);
			if (!mine)
				continue;
			fill_dom(m, d, cand[c].group);
			break;
		}
	}
	rc_unlock(m->rc);
	/* forget domains (or groups) that are gone: the snapshot is not
	 * sealed yet, so no key lookups */
	for (size_t i = 0; i < m->nst;) {
		if (m->st[i].gen != m->gen)
			m->st[i] = m->st[--m->nst];
		else
			i++;
	}
out:
	free(cls);
	free(mg);
	free(cand);
}
