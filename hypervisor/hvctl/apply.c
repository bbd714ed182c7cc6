/* SPDX-License-Identifier: MIT */
/* The change path every setting command ends in: knob writes on one or the
 * selected CPUs, rolled back newest first on the first refusal, so a
 * refusal leaves nothing changed. */
#include <stdlib.h>

#include "hvctl.h"

static int report(const hvctl_ctx *c, const hv_change *chg, size_t n)
{
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON *arr = cJSON_AddArrayToObject(o, "changes");
		for (size_t i = 0; i < n; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "knob", chg[i].knob);
			cJSON_AddStringToObject(e, "old", chg[i].old);
			cJSON_AddStringToObject(e, "new", chg[i].new_);
			cJSON_AddItemToArray(arr, e);
		}
		return hvctl_print_json(o);
	}
	for (size_t i = 0; i < n; i++)
		printf("%s: %s -> %s\n", chg[i].knob, chg[i].old, chg[i].new_);
	return 0;
}

static void roll_back(hvctl_ctx *c, hv_change *chg, size_t n)
{
	while (n > 0) { /* newest first */
		hv_err e2 = {0};
		if (hv_knob_undo(c->b, &chg[--n], &e2))
			hvctl_fail("undo %s: %s", chg[n].knob, e2.msg);
	}
}

int hvctl_apply(hvctl_ctx *c, const char *fmt, const char *val, bool all_online,
                unsigned single)
{
	uint64_t bits[HVCTL_MAXCPU / 64] = {0};
	hv_change *chg = NULL;
	size_t n = 0;
	hv_snap *s = NULL;
	hv_err err = {0};
	char knob[HV_KNOB_LEN];
	int rc = 0;

	if (all_online && (rc = hvctl_parse_cpus(c, bits)))
		return rc;
	/* One CPU needs no sample (a kvm sample also polls QMP). */
	if (all_online && (rc = hvctl_take(c, &s)))
		return rc;
	const hv_host *h = s ? hv_snap_host(s) : NULL;
	chg = calloc(h ? h->nr_pcpu + 1 : 1, sizeof(*chg));
	if (!chg) {
		rc = hvctl_fail("out of memory");
		goto out;
	}
	if (!all_online) {
		snprintf(knob, sizeof(knob), fmt, single);
		if (hv_knob_set(c->b, knob, val, &chg[n++], &err)) {
			rc = hvctl_fail("%s", err.msg);
			goto out;
		}
	}
	for (uint32_t i = 0; h && i < h->nr_pcpu; i++) {
		if (!hvctl_cpu_selected(c, bits, &h->pcpu[i]))
			continue;
		snprintf(knob, sizeof(knob), fmt, h->pcpu[i].id);
		if (hv_knob_set(c->b, knob, val, &chg[n], &err)) {
			rc = hvctl_fail("%s", err.msg);
			roll_back(c, chg, n);
			goto out;
		}
		n++;
	}
	if (!n) {
		rc = hvctl_fail("no CPU selected%s",
		                c->cpus ? " (check --cpu)" : "");
		goto out;
	}
	rc = report(c, chg, n);
out:
	free(chg);
	hv_snap_unref(s);
	return rc;
}
