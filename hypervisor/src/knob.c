/* SPDX-License-Identifier: MIT */
#include "hv/knob.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sample.h"

/* Suffixes after "cpu/N/", by kind (cstate is built apart). */
static const char *const cpu_leaf[] = {
    [HV_KNOB_ONLINE] = "online",   [HV_KNOB_GOVERNOR] = "governor",
    [HV_KNOB_MIN_KHZ] = "min_khz", [HV_KNOB_MAX_KHZ] = "max_khz",
    [HV_KNOB_EPP] = "epp",
};

#define XEN_MAX_CSTATE "xen/max_cstate"
#define QOS_LATENCY "qos/cpu_dma_latency"

bool hv_knob_is_cpu(hv_knob_kind kind)
{
	return kind <= HV_KNOB_CSTATE_DISABLE;
}

/* Plain decimal below limit: digits only, no leading zero. *end is left
 * after the digits. -ENOTSUP when not a number, -ERANGE when too big. */
static int plain_num(const char *s, unsigned limit, unsigned *out,
                     const char **end)
{
	unsigned long v = 0;
	const char *p = s;

	if (*p < '0' || *p > '9' || (p[0] == '0' && p[1] >= '0' && p[1] <= '9'))
		return -ENOTSUP;
	for (; *p >= '0' && *p <= '9'; p++) {
		v = v * 10 + (unsigned long)(*p - '0');
		if (v >= limit)
			v = limit; /* saturate: no overflow, still too big */
	}
	*end = p;
	if (v >= limit)
		return -ERANGE;
	*out = (unsigned)v;
	return 0;
}

static int parse_cpu_rest(const char *name, const char *rest, hv_knob *k,
                          hv_err *err)
{
	const char *end;
	int rc;

	for (size_t i = 0; i < sizeof(cpu_leaf) / sizeof(cpu_leaf[0]); i++)
		if (cpu_leaf[i] && !strcmp(rest, cpu_leaf[i])) {
			k->kind = (hv_knob_kind)i;
			return 0;
		}
	if (strncmp(rest, "cstate/", 7))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	rc = plain_num(rest + 7, HV_CSTATE_MAX, &k->state, &end);
	if (rc == -ERANGE)
		return hv_err_set(err, ERANGE,
		                  "%s: C-state index is %u at most", name,
		                  HV_CSTATE_MAX - 1);
	if (rc || strcmp(end, "/disable"))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	k->kind = HV_KNOB_CSTATE_DISABLE;
	return 0;
}

int hv_knob_parse(const char *name, hv_knob *k, hv_err *err)
{
	const char *end;
	int rc;

	memset(k, 0, sizeof(*k));
	if (!name)
		return hv_err_set(err, EINVAL, "no knob name");
	if (!strcmp(name, XEN_MAX_CSTATE)) {
		k->kind = HV_KNOB_XEN_MAX_CSTATE;
		return 0;
	}
	if (!strcmp(name, QOS_LATENCY)) {
		k->kind = HV_KNOB_QOS_LATENCY;
		return 0;
	}
	if (strncmp(name, "cpu/", 4))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	rc = plain_num(name + 4, HV_KNOB_MAXCPU, &k->cpu, &end);
	if (rc == -ERANGE)
		return hv_err_set(err, ERANGE, "%s: CPU number is %u at most",
		                  name, HV_KNOB_MAXCPU - 1);
	if (rc || *end != '/')
		return hv_err_set(err, ENOTSUP, "%s: no such knob", name);
	return parse_cpu_rest(name, end + 1, k, err);
}

int hv_knob_fmt(const hv_knob *k, char *buf, size_t len)
{
	int n;

	if (!k || (unsigned)k->kind >= HV_KNOB_NKINDS ||
	    (hv_knob_is_cpu(k->kind) && k->cpu >= HV_KNOB_MAXCPU) ||
	    (k->kind == HV_KNOB_CSTATE_DISABLE && k->state >= HV_CSTATE_MAX))
		return -EINVAL;
	if (k->kind == HV_KNOB_XEN_MAX_CSTATE)
		n = snprintf(buf, len, "%s", XEN_MAX_CSTATE);
	else if (k->kind == HV_KNOB_QOS_LATENCY)
		n = snprintf(buf, len, "%s", QOS_LATENCY);
	else if (k->kind == HV_KNOB_CSTATE_DISABLE)
		n = snprintf(buf, len, "cpu/%u/cstate/%u/disable", k->cpu,
		             k->state);
	else
		n = snprintf(buf, len, "cpu/%u/%s", k->cpu, cpu_leaf[k->kind]);
	if (n < 0 || (size_t)n >= len)
		return -ENAMETOOLONG;
	return n;
}
