/* SPDX-License-Identifier: MIT */
/* [latency]: while a latency-critical domain is busy, limit idle depth:
 * disable the C-states deeper than max_latency_us on the online CPUs
 * (method = cstate), hold one PM QoS request (qos), or Xen's max_cstate
 * (xen). Idle (or gone) for hold -> release. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hv/sysio.h"
#include "pd_pol.h"

static void busy_reason(const pd_config *c, pd_mem *m, const pd_domv *d)
{
	if (c->lat.method == PD_LAT_XEN)
		snprintf(m->lat.reason, PD_REASON_LEN,
		         "latency-critical domain %s busy (%.1f%% > %g%%): Xen "
		         "max_cstate %u",
		         d->name, d->cpu_pct, c->lat.busy_pct,
		         c->lat.xen_max_cstate);
	else
		snprintf(m->lat.reason, PD_REASON_LEN,
		         "latency-critical domain %s busy (%.1f%% > %g%%): %s "
		         "%u us",
		         d->name, d->cpu_pct, c->lat.busy_pct,
		         c->lat.method == PD_LAT_QOS
		             ? "PM QoS CPU latency limit"
		             : "C-states disabled above exit latency",
		         c->lat.max_latency_us);
}

/* Whether a named domain is busy (the first one gives the reason); *known
 * when any named domain has a figure. */
static bool any_busy(const pd_config *c, pd_mem *m, const pd_view *v,
                     bool *known)
{
	bool busy = false;

	*known = false;
	for (unsigned i = 0; i < v->ndom; i++)
		for (unsigned j = 0; j < c->lat.ndom; j++) {
			const pd_domv *d = &v->dom[i];
			if (strcmp(d->name, c->lat.dom[j]) || isnan(d->cpu_pct))
				continue;
			*known = true;
			if (d->cpu_pct > c->lat.busy_pct && !busy) {
				busy = true;
				busy_reason(c, m, d);
			}
		}
	return busy;
}

/* Quiet for hold -> off, with the release reason. */
static void idle_for(const pd_config *c, pd_mem *m, double t, bool gone)
{
	if (!m->lat.idle_seen) {
		m->lat.idle_seen = true;
		m->lat.idle_since = t;
	}
	if (t - m->lat.idle_since < c->lat.hold_s - 1e-9)
		return;
	m->lat.on = false;
	m->lat.idle_seen = false;
	if (gone)
		snprintf(m->lat.release, PD_REASON_LEN,
		         "latency-critical domains gone for %gs",
		         c->lat.hold_s);
	else
		snprintf(m->lat.release, PD_REASON_LEN,
		         "latency-critical domains idle (<= %g%%) for %gs",
		         c->lat.busy_pct, c->lat.hold_s);
}

static int claim_cstates(const pd_config *c, const pd_mem *m, const pd_view *v,
                         pd_claims *cl)
{
	int rc = 0;

	for (unsigned i = 0; i < v->ncpu && !rc; i++) {
		const pd_cpu *p = &v->cpu[i];
		if (p->online != 1)
			continue;
		for (unsigned s = 0; s < p->nr_cstate && s < PD_CSTATES && !rc;
		     s++) {
			if (p->cstate_lat_us[s] <= c->lat.max_latency_us)
				continue;
			rc = pd_claim_cpu(cl, HV_KNOB_CSTATE_DISABLE, p->id, s,
			                  "1", "latency", m->lat.reason);
		}
	}
	return rc;
}

static int decide(const pd_config *c, pd_mem *m, const pd_view *v,
                  pd_claims *cl, pd_out *o)
{
	bool known;
	char val[PD_VAL_LEN];

	(void)o;
	m->lat.release[0] = '\0';
	if (any_busy(c, m, v, &known)) {
		m->lat.on = true;
		m->lat.idle_seen = false;
	} else if (m->lat.on && (known || v->ndom == 0)) {
		/* idle, or every latency-critical domain is gone */
		idle_for(c, m, v->t, !known);
	}
	if (!m->lat.on)
		return 0;
	if (c->lat.method == PD_LAT_XEN) {
		snprintf(val, sizeof(val), "%u", c->lat.xen_max_cstate);
		return pd_claim_cpu(cl, HV_KNOB_XEN_MAX_CSTATE, 0, 0, val,
		                    "latency", m->lat.reason);
	}
	if (c->lat.method == PD_LAT_QOS) {
		snprintf(val, sizeof(val), "%u", c->lat.max_latency_us);
		return pd_claim_cpu(cl, HV_KNOB_QOS_LATENCY, 0, 0, val,
		                    "latency", m->lat.reason);
	}
	return claim_cstates(c, m, v, cl);
}

static bool enabled(const pd_config *c)
{
	return c->lat.enabled;
}

static void forget(pd_mem *m)
{
	m->lat.on = false;
}

static const char *release(const pd_mem *m, const pd_hold *h)
{
	return pd_own_release(h, "latency", m->lat.release);
}

/* One name of the list into c->lat. */
static int add_domain(pd_config *c, char *tok, char *why, size_t wlen)
{
	char *t = hv_trim(tok);

	if (!*t)
		snprintf(why, wlen, "empty domain name in list");
	else if (strlen(t) >= PD_NAME_LEN)
		snprintf(why, wlen, "domain name '%s' too long", t);
	else if (c->lat.ndom == PD_MAX_LATDOMS)
		snprintf(why, wlen, "more than %d latency-critical domains",
		         PD_MAX_LATDOMS);
	else {
		snprintf(c->lat.dom[c->lat.ndom++], PD_NAME_LEN, "%s", t);
		return 0;
	}
	return -EINVAL;
}

/* "db1, web-2": the latency-critical domains. */
static int parse_domains(const hv_cfg_key *k, void *obj, char *v, char *why,
                         size_t wlen)
{
	pd_config *c = obj;
	char *next;
	int rc = 0;

	(void)k;
	c->lat.ndom = 0;
	for (char *tok = v; tok && !rc; tok = next) {
		char *comma = strchr(tok, ',');
		next = comma ? comma + 1 : NULL;
		if (comma)
			*comma = '\0';
		rc = add_domain(c, tok, why, wlen);
	}
	return rc;
}

static const char *const methods[] = {"cstate", "qos", "xen", NULL};

static const hv_cfg_key keys[] = {
    {"latency", "enabled", HV_CFG_BOOL, PD_OFF(lat.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    {"latency", "domains", HV_CFG_FUNC, PD_OFF(lat.dom), 0, 0, NULL,
     "latency-critical domains, comma-separated", NULL, parse_domains},
    {"latency", "busy", HV_CFG_NUM, PD_OFF(lat.busy_pct), 0, 100000, "5",
     "a domain above this CPU % (100 = one pCPU) is busy", NULL, NULL},
    {"latency", "max_latency_us", HV_CFG_UINT, PD_OFF(lat.max_latency_us), 0,
     1000000, "20", "deeper C-states (exit latency) are disabled", NULL, NULL},
    {"latency", "hold", HV_CFG_SECS, PD_OFF(lat.hold_s), 0, 86400, "30",
     "idle this long before release", NULL, NULL},
    {"latency", "method", HV_CFG_ENUM, PD_OFF(lat.method), 0, 0, "cstate",
     "cstate, qos (PM QoS request) or xen (max_cstate)", methods, NULL},
    {"latency", "xen_max_cstate", HV_CFG_UINT, PD_OFF(lat.xen_max_cstate), 0,
     15, "1", "Xen's max_cstate while busy (method = xen)", NULL, NULL},
    {0},
};

static int check(const pd_config *c, const char *file, const hv_cfg_lines *l,
                 hv_err *err)
{
	if (c->lat.enabled && c->lat.ndom == 0)
		return hv_err_set(err, EINVAL,
		                  "%s:%u: [latency] is enabled but lists no "
		                  "domains",
		                  file, pd_cfg_line(l, "latency", "enabled"));
	return 0;
}

const pd_policy pd_pol_latency = {
    .name = "latency",
    .keys = keys,
    .check = check,
    .enabled = enabled,
    .decide = decide,
    .forget = forget,
    .release = release,
};
