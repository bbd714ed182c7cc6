/* SPDX-License-Identifier: MIT */
/* [hwerr]: each CPU has a leaky bucket, as mcelog's: every new corrected
 * error adds one, the bucket leaks threshold errors per window, and a CPU
 * whose bucket holds more than threshold is taken offline, sticky until
 * exit, if every safety rule holds (max_offline, keep_online, never cpu0,
 * a CPU without hotplug or a pinned one); a refusal is one alert note.
 *
 * Pages (hv_host.page) whose errors within page_window reach
 * page_threshold are soft-offlined once (mem/ADDR/offline, one way).
 *
 * Inputs: hv_pcpu.ce_count (corrected errors) as pd_cpu.ce/ce_ok. Another
 * input is a field in pd_cpu (pd_view_build), a pd_bucket in pd_cpu_mem
 * and a check in over_threshold() beside the corrected-error one; the
 * safety rules and the offlining below stay as they are. */
#include <stdio.h>
#include <string.h>

#include "pd_pol.h"

/* Keep only count changes; a count that went down is a reset. */
static void hist_push(pd_hist *h, double t, uint64_t v)
{
	if (h->n && v < h->h[h->n - 1].v)
		h->n = 0;
	if (h->n && v == h->h[h->n - 1].v)
		return;
	if (h->n == PD_CE_HIST) {
		memmove(h->h, h->h + 1, (PD_CE_HIST - 1) * sizeof(h->h[0]));
		h->n--;
	}
	h->h[h->n].t = t;
	h->h[h->n].v = v;
	h->n++;
}

/* The count at the start of the window: the newest change at or before it
 * (kept), else the oldest known. */
static uint64_t hist_base(pd_hist *h, double t, double window)
{
	while (h->n > 1 && h->h[1].t <= t - window) {
		memmove(h->h, h->h + 1, (h->n - 1) * sizeof(h->h[0]));
		h->n--;
	}
	return h->h[0].v;
}

/* Feed counter value v at time t into bucket b, which leaks cap per
 * window seconds. The first count seen, and a count that went down (a
 * reset: driver reload, source reopened), is only a base: errors counted
 * before it are not known to be recent. A missing count is never fed, so
 * it is neither an error nor a reset; the errors a gap hid still count
 * when the count comes back, as the counter is cumulative. */
static void bucket_feed(pd_bucket *b, double t, uint64_t v, unsigned cap,
                        double window)
{
	if (!b->known || v < b->last) {
		b->known = true;
		b->base = b->last = v;
		b->t = t;
		b->level = 0;
		return;
	}
	if (window > 0 && t > b->t)
		b->level -= (t - b->t) * cap / window;
	if (b->level <= 0) {
		b->level = 0;
		b->base = b->last;
	}
	b->level += (double)(v - b->last);
	b->last = v;
	b->t = t;
}

/* Whether cpu p's bucket holds more than the threshold. */
static bool over_threshold(const pd_config *c, pd_cpu_mem *cm, const pd_cpu *p,
                           double t)
{
	if (!p->ce_ok)
		return false;
	bucket_feed(&cm->ce, t, p->ce, c->hwerr.threshold, c->hwerr.window_s);
	return cm->ce.level > c->hwerr.threshold;
}

/* Say once when the backend gives no per-CPU counts (Linux has none in
 * sysfs): the policy is then inert, not silently broken. */
static int note_nodata(pd_mem *m, const pd_view *v, pd_out *o)
{
	bool any = false;

	for (unsigned i = 0; i < v->ncpu; i++)
		any |= v->cpu[i].ce_ok;
	if (any) {
		m->hwerr.nodata_noted = false;
		return 0;
	}
	if (!v->ncpu || m->hwerr.nodata_noted)
		return 0;
	m->hwerr.nodata_noted = true;
	return pd_note_add(o, "hwerr", "warn",
	                   "no per-CPU corrected-error counts from this "
	                   "backend (%s): the hardware-error policy cannot act",
	                   v->ras_note[0] ? v->ras_note
	                                  : "hv_pcpu.ce_count unsupported");
}

/* Why an online CPU over the threshold may not go offline, or NULL. */
static const char *refusal(const pd_config *c, const pd_cpu *p, unsigned offl,
                           unsigned online, char *buf, size_t len)
{
	if (p->id == 0)
		return "it is cpu0";
	if (!p->hotplug)
		return "it cannot be hot-unplugged";
	if (p->pinned)
		snprintf(buf, len, "domain %s is pinned to it", p->pinned_by);
	else if (offl >= c->hwerr.max_offline)
		snprintf(buf, len, "max_offline %u CPUs already offlined",
		         c->hwerr.max_offline);
	else if (online <= c->hwerr.keep_online)
		snprintf(buf, len, "only %u CPUs online (keep_online %u)",
		         online, c->hwerr.keep_online);
	else
		return NULL;
	return buf;
}

/* The counts behind a trip, for the journal and the notes: the rise since
 * the bucket was last empty, and what the bucket still holds. */
static void counts(const pd_config *c, const pd_cpu_mem *cm, char *buf,
                   size_t len)
{
	snprintf(buf, len,
	         "corrected errors rose by %llu (%llu -> %llu) > threshold "
	         "%u: leaky bucket at %.2f, leaking %u per %gs",
	         (unsigned long long)(cm->ce.last - cm->ce.base),
	         (unsigned long long)cm->ce.base,
	         (unsigned long long)cm->ce.last, c->hwerr.threshold,
	         cm->ce.level, c->hwerr.threshold, c->hwerr.window_s);
}

static void offline(const pd_config *c, pd_mem *m, const pd_cpu *p,
                    unsigned offl)
{
	pd_cpu_mem *cm = &m->cpu[p->id];
	char why[PD_REASON_LEN / 2];

	cm->hw_off = true;
	counts(c, cm, why, sizeof(why));
	snprintf(cm->hw_reason, PD_REASON_LEN,
	         "ALERT cpu %u: %s; offlined %u of max %u", p->id, why, offl,
	         c->hwerr.max_offline);
	/* A parked CPU with errors stays offline for errors instead. */
	pd_group_drop_cpu(m, p->id);
}

/* The page's memory, added (with a zero base: libhv's list holds every
 * page that had an error since the source opened, so a new page's errors
 * are all new) when there is room. */
static pd_page_mem *page_mem(pd_mem *m, const pd_pagev *pg, double t)
{
	for (unsigned i = 0; i < m->hwerr.npage; i++)
		if (m->hwerr.page[i].addr == pg->addr)
			return &m->hwerr.page[i];
	if (m->hwerr.npage == PD_PAGES)
		return NULL;
	pd_page_mem *pm = &m->hwerr.page[m->hwerr.npage++];
	memset(pm, 0, sizeof(*pm));
	pm->addr = pg->addr;
	hist_push(&pm->errs, t, 0);
	return pm;
}

/* Pages whose errors within page_window reach page_threshold are
 * soft-offlined, once: the kernel migrates the contents and never gives
 * the page back, so there is no safety rule to weigh and nothing to undo.
 * The actuator journals the change as one way. */
static int decide_pages(const pd_config *c, pd_mem *m, const pd_view *v,
                        pd_claims *cl, pd_out *o)
{
	int rc = 0;

	if (!c->hwerr.page_threshold)
		return 0;
	for (unsigned i = 0; i < v->npage && !rc; i++) {
		const pd_pagev *pg = &v->page[i];
		pd_page_mem *pm = page_mem(m, pg, v->t);
		uint64_t base, rise;
		if (!pm) {
			if (!m->hwerr.full_noted) {
				m->hwerr.full_noted = true;
				rc = pd_note_add(
				    o, "hwerr", "warn",
				    "more than %d pages with errors: "
				    "later ones are not watched",
				    PD_PAGES);
			}
			continue;
		}
		hist_push(&pm->errs, v->t, pg->errs);
		base = hist_base(&pm->errs, v->t, c->hwerr.page_window_s);
		rise = pg->errs - base;
		if (pm->claimed || !pg->online ||
		    rise < c->hwerr.page_threshold)
			continue;
		pm->claimed = true;
		snprintf(pm->reason, sizeof(pm->reason),
		         "ALERT page 0x%llx: %llu errors within %gs >= "
		         "page_threshold %u; soft-offline (cannot be undone)",
		         (unsigned long long)pg->addr, (unsigned long long)rise,
		         c->hwerr.page_window_s, c->hwerr.page_threshold);
	}
	for (unsigned i = 0; i < m->hwerr.npage && !rc; i++) {
		char knob[PD_KNOB_LEN];
		const pd_page_mem *pm = &m->hwerr.page[i];
		if (!pm->claimed || !pm->reason[0])
			continue;
		snprintf(knob, sizeof(knob), "mem/0x%llx/offline",
		         (unsigned long long)pm->addr);
		rc = pd_claim_add(cl, -1, knob, "1", "hwerr", pm->reason);
	}
	return rc;
}

static int decide(const pd_config *c, pd_mem *m, const pd_view *v,
                  pd_claims *cl, pd_out *o)
{
	unsigned online = pd_view_online(v), offl = 0;
	int rc;

	for (unsigned i = 0; i < m->ncpu; i++)
		offl += m->cpu[i].hw_off;
	rc = note_nodata(m, v, o);
	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		char buf[160], why[PD_REASON_LEN / 2];
		const char *no;
		if (p->id >= m->ncpu)
			continue;
		pd_cpu_mem *cm = &m->cpu[p->id];
		if (!over_threshold(c, cm, p, v->t) || cm->hw_off ||
		    cm->backoff_until > v->t || p->online != 1)
			continue;
		if (!(no = refusal(c, p, offl, online, buf, sizeof(buf)))) {
			offline(c, m, p, ++offl);
			online--;
		} else if (!cm->hw_noted) {
			cm->hw_noted = true;
			counts(c, cm, why, sizeof(why));
			rc = pd_note_add(o, "hwerr", "alert",
			                 "cpu %u: %s but NOT offlined: %s",
			                 p->id, why, no);
		}
	}
	for (unsigned i = 0; i < m->ncpu && !rc; i++)
		if (m->cpu[i].hw_off)
			rc = pd_claim_cpu(cl, HV_KNOB_ONLINE, i, 0, "0",
			                  "hwerr", m->cpu[i].hw_reason);
	if (!rc)
		rc = decide_pages(c, m, v, cl, o);
	return rc;
}

static bool enabled(const pd_config *c)
{
	return c->hwerr.enabled;
}

static void forget(pd_mem *m)
{
	for (unsigned i = 0; i < m->ncpu; i++) {
		m->cpu[i].hw_off = m->cpu[i].hw_noted = false;
		/* switched on again, the next count is a new base */
		memset(&m->cpu[i].ce, 0, sizeof(m->cpu[i].ce));
	}
	/* Offlined pages stay offline; their history restarts. */
	m->hwerr.npage = 0;
	m->hwerr.full_noted = false;
}

static const hv_cfg_key keys[] = {
    {"hwerr", "enabled", HV_CFG_BOOL, PD_OFF(hwerr.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    /* rasdaemon's CPU_CE_THRESHOLD per 24 h, as a bucket's capacity */
    {"hwerr", "threshold", HV_CFG_UINT, PD_OFF(hwerr.threshold), 0, 1000000000,
     "18", "offline when the CPU's leaky bucket holds more errors than this",
     NULL, NULL},
    {"hwerr", "window", HV_CFG_SECS, PD_OFF(hwerr.window_s), 1, 30 * 86400,
     "24h", "the bucket leaks threshold errors per window", NULL, NULL},
    {"hwerr", "max_offline", HV_CFG_UINT, PD_OFF(hwerr.max_offline), 0, 4096,
     "2", "never more CPUs offline for errors", NULL, NULL},
    {"hwerr", "keep_online", HV_CFG_UINT, PD_OFF(hwerr.keep_online), 1, 4096,
     "2", "never fewer CPUs online", NULL, NULL},
    {"hwerr", "page_threshold", HV_CFG_UINT, PD_OFF(hwerr.page_threshold), 0,
     1000000000, "10",
     "soft-offline a page with this many errors (0: never; cannot be undone)",
     NULL, NULL},
    {"hwerr", "page_window", HV_CFG_SECS, PD_OFF(hwerr.page_window_s), 1,
     30 * 86400, "24h", "within this window", NULL, NULL},
    {0},
};

const pd_policy pd_pol_hwerr = {
    .name = "hwerr",
    .keys = keys,
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
};
