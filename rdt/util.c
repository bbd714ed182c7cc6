/* SPDX-License-Identifier: MIT */
/* Helpers every hv-rdt command shares: messages, resctrl and backend
 * opening, classes of tasks, number cells, capability text, signals. */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/pmu.h"
#include "rdt.h"

int rdt_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap); /* "hv-rdt: ...\n" on stderr */
	va_end(ap);
	return RDT_FAIL;
}

int rdt_bad_usage(const rdt_ctx *c)
{
	if (c->cmd)
		fprintf(stderr, "hv-rdt: usage: hv-rdt [OPTIONS] %s%s%s\n",
		        c->cmd->name, c->cmd->args[0] ? " " : "", c->cmd->args);
	return RDT_USAGE;
}

int rdt_need_rc(rdt_ctx *c)
{
	hv_err e = {0};

	if (c->rc)
		return 0;
	if (hv_rc_open(&c->env, &c->rc, &e))
		return rdt_fail("%s", e.msg);
	return 0;
}

int rdt_open_backend(const rdt_ctx *c, int pmu, hv_backend **b, hv_err *err)
{
	hv_backend_opts bo = {0};
	const char *name = c->o.backend;

	bo.name = name;
	/* synth and replay thread ids are not real threads of this host */
	if (name && (!strcmp(name, "synth") || !strcmp(name, "replay")))
		pmu = 0;
	if (pmu)
		bo.pmu_events =
		    c->o.events ? c->o.events : HV_PMU_EVENTS_DEFAULT;
	if (bo.pmu_events && !*bo.pmu_events)
		bo.pmu_events = NULL;
	return hv_backend_open(&c->env, &bo, b, err);
}

void rdt_block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGTERM);
	sigprocmask(SIG_BLOCK, set, NULL);
}

const char *rdt_cls_arg(const char *c)
{
	return !strcmp(c, "default") ? "" : c;
}

const char *rdt_cls_show(const char *c)
{
	return *c ? c : "default";
}

void rdt_classmap_free(rdt_classmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->tids[i]);
	m->n = 0;
}

int rdt_classmap_load(hv_resctrl *rc, rdt_classmap *m, hv_err *err)
{
	size_t n = 0;
	int r;

	memset(m, 0, sizeof(*m));
	r = hv_rc_classes(rc, m->name + 1, RDT_MAX_CLASSES, &n, err);
	if (r)
		return r;
	m->name[0][0] = '\0';
	m->n = n + 1;
	for (size_t i = 0; i < m->n; i++) {
		size_t cap = 65536, got = 0;
		m->tids[i] = malloc(cap * sizeof(int32_t));
		if (!m->tids[i])
			return hv_err_set(err, ENOMEM, "out of memory");
		if (hv_rc_tasks_read(rc, m->name[i], m->tids[i], cap, &got,
		                     NULL))
			got = 0;
		m->ntids[i] = got;
	}
	return 0;
}

const char *rdt_classmap_of(const rdt_classmap *m, int32_t pid)
{
	if (!m->n)
		return NULL; /* resctrl not mounted */
	for (size_t i = 1; i < m->n; i++)
		for (size_t j = 0; j < m->ntids[i]; j++)
			if (m->tids[i][j] == pid)
				return m->name[i];
	/* a task in no class is in the root (default) class */
	return "";
}

void rdt_fmt_num(char *buf, size_t len, double v, double div)
{
	if (isnan(v))
		snprintf(buf, len, "-");
	else
		snprintf(buf, len, "%.1f", v / div);
}

void rdt_fmt_rate(char *buf, size_t len, double v)
{
	const char *suf = "";

	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	if (v >= 1e9) {
		v /= 1e9;
		suf = "G";
	} else if (v >= 1e6) {
		v /= 1e6;
		suf = "M";
	} else if (v >= 1e3) {
		v /= 1e3;
		suf = "k";
	}
	snprintf(buf, len, "%.1f%s", v, suf);
}

cJSON *rdt_jnum(double v)
{
	return isnan(v) ? cJSON_CreateNull() : cJSON_CreateNumber(v);
}

void rdt_describe(const hv_rc_info *in, char *buf, size_t len)
{
	snprintf(buf, len, "%s%s%s%s, %u L3 domain%s, CLOSIDs %u, RMIDs %u",
	         in->cdp          ? "L3 CAT+CDP"
	         : in->l3.present ? "L3 CAT"
	                          : "no L3 CAT",
	         in->mb.present ? ", MBA" : "",
	         in->mon_features & HV_RC_MON_OCC ? ", CMT" : "",
	         in->mon_features & (HV_RC_MON_TOTAL | HV_RC_MON_LOCAL)
	             ? ", MBM"
	             : "",
	         in->nr_l3, in->nr_l3 == 1 ? "" : "s", in->num_closids,
	         in->num_rmids);
}

void rdt_print_caps(const hv_rc_info *in)
{
	const hv_rc_cat *cats[] = {&in->l3, &in->l3code, &in->l3data, &in->l2};
	const char *names[] = {"L3", "L3CODE", "L3DATA", "L2"};
	char desc[160];

	rdt_describe(in, desc, sizeof(desc));
	printf("resctrl: %s (vendor %s)\n", desc,
	       in->vendor == HV_RC_VENDOR_AMD     ? "amd"
	       : in->vendor == HV_RC_VENDOR_INTEL ? "intel"
	                                          : "unknown");
	for (int i = 0; i < 4; i++)
		if (cats[i]->present)
			printf("%s: cbm_mask %llx (%u ways), min_cbm_bits %u, "
			       "shareable %llx, %s masks, %u CLOSIDs\n",
			       names[i], (unsigned long long)cats[i]->cbm_mask,
			       cats[i]->cbm_len, cats[i]->min_cbm_bits,
			       (unsigned long long)cats[i]->shareable_bits,
			       cats[i]->sparse ? "sparse" : "contiguous",
			       cats[i]->num_closids);
	if (in->mb.present)
		printf("MB: %u..%u %s, granularity %u, %s, %u CLOSIDs\n",
		       in->mb.min_bw, in->mb.max_bw,
		       in->mb.unit == HV_RC_MB_AMD8   ? "x 1/8 GB/s"
		       : in->mb.unit == HV_RC_MB_MBPS ? "MiB/s"
		                                      : "%",
		       in->mb.bw_gran,
		       in->mb.delay_linear ? "linear" : "non-linear",
		       in->mb.num_closids);
	if (in->mon)
		printf("monitoring: %s%s%s, %u RMIDs\n",
		       in->mon_features & HV_RC_MON_OCC ? "llc_occupancy " : "",
		       in->mon_features & HV_RC_MON_TOTAL ? "mbm_total_bytes "
		                                          : "",
		       in->mon_features & HV_RC_MON_LOCAL ? "mbm_local_bytes"
		                                          : "",
		       in->num_rmids);
}

/* Sleep, returning 1 when SIGINT/SIGTERM arrived (they are blocked and
 * taken here, so no handler state is needed). */
int rdt_wait_or_signal(const sigset_t *set, double sec)
{
	struct timespec ts;

	ts.tv_sec = (time_t)sec;
	ts.tv_nsec = (long)((sec - (double)ts.tv_sec) * 1e9);
	for (;;) {
		int s = sigtimedwait(set, NULL, &ts);
		if (s > 0)
			return 1;
		if (errno == EAGAIN)
			return 0;
		if (errno != EINTR)
			return 0;
	}
}
