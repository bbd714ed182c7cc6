/* SPDX-License-Identifier: MIT */
/* The change path every setting command ends in: knob writes on one or the
 * selected CPUs as one libhv transaction (hv_txn), rolled back newest first
 * on the first refusal, so a refusal leaves nothing changed. */
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

/* One knob of the change: as printed (a knob already at val prints as
 * val -> val, though nothing is written). */
static int apply_one(hv_txn *t, const char *knob, const char *val,
                     hv_change *out, hv_err *err)
{
	int rc = hv_txn_set(t, knob, val, NULL, err);
	size_t n;

	if (rc < 0)
		return rc;
	if (rc == 1) {
		snprintf(out->knob, sizeof(out->knob), "%s", knob);
		snprintf(out->old, sizeof(out->old), "%s", val);
		snprintf(out->new_, sizeof(out->new_), "%s", val);
		return 0;
	}
	*out = hv_txn_changes(t, &n)[hv_txn_find(t, knob)];
	return 0;
}

int hvctl_apply(hvctl_ctx *c, const char *fmt, const char *val, bool all_online,
                unsigned single)
{
	uint64_t bits[HVCTL_MAXCPU / 64] = {0};
	hv_knob_io io = hv_knob_io_backend(c->b);
	hv_change *chg = NULL;
	hv_txn *t = NULL;
	size_t n = 0;
	hv_snap *s = NULL;
	hv_err err = {0}, e2 = {0};
	char knob[HV_KNOB_LEN];
	int rc = 0;

	if (all_online && (rc = hvctl_parse_cpus(c, bits)))
		return rc;
	/* One CPU needs no sample (a kvm sample also polls QMP). */
	if (all_online && (rc = hvctl_take(c, &s)))
		return rc;
	const hv_host *h = s ? hv_snap_host(s) : NULL;
	chg = calloc(h ? h->nr_pcpu + 1 : 1, sizeof(*chg));
	if (!chg || hv_txn_begin(&io, &t, &err)) {
		rc = hvctl_fail("out of memory");
		goto out;
	}
	if (!all_online) {
		snprintf(knob, sizeof(knob), fmt, single);
		if (apply_one(t, knob, val, &chg[n++], &err)) {
			rc = hvctl_fail("%s", err.msg);
			goto out;
		}
	}
	for (uint32_t i = 0; h && i < h->nr_pcpu; i++) {
		if (!hvctl_cpu_selected(c, bits, &h->pcpu[i]))
			continue;
		snprintf(knob, sizeof(knob), fmt, h->pcpu[i].id);
		if (apply_one(t, knob, val, &chg[n], &err)) {
			rc = hvctl_fail("%s", err.msg);
			if (hv_txn_rollback(t, &e2)) /* newest first */
				hvctl_fail("undo: %s", e2.msg);
			goto out;
		}
		n++;
	}
	if (!n) {
		rc = hvctl_fail("no CPU selected%s",
		                c->cpus ? " (check --cpu)" : "");
		goto out;
	}
	hv_txn_commit(t);
	rc = report(c, chg, n);
out:
	hv_txn_free(t);
	free(chg);
	hv_snap_unref(s);
	return rc;
}
