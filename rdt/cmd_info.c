/* SPDX-License-Identifier: MIT */
/* hv-rdt info: what resctrl and the PMU offer on this host. */
#include <stdio.h>
#include <stdlib.h>

#include "hv/pmu.h"
#include "rdt.h"

static const char *const hw_aliases[] = {"instructions", "cycles",
                                         "llc_misses"};

/* What each hardware alias counts here (the event libpfm4 encoded for this
 * host's core), or why it is left out. */
static void hw_event(const hv_env *env, size_t i, char *buf, size_t len)
{
	hv_pmu_ev ev;
	hv_err e = {0};

	if (hv_pmu_encode_env(env, hw_aliases[i], 1, &ev, &e))
		snprintf(buf, len, "%s", e.msg);
	else
		snprintf(buf, len, "%s", ev.desc);
}

static void add_hw_events(cJSON *j, const hv_env *env)
{
	cJSON *ev = cJSON_AddObjectToObject(j, "hw_events");
	char d[HV_ERR_MSG];

	for (size_t i = 0; ev && i < sizeof(hw_aliases) / sizeof(*hw_aliases);
	     i++) {
		hw_event(env, i, d, sizeof(d));
		cJSON_AddStringToObject(ev, hw_aliases[i], d);
	}
}

static void print_hw(const hv_env *env, int hw, const char *why)
{
	char d[HV_ERR_MSG];

	printf("hardware counters: %s\n", hw ? "yes" : why);
	for (size_t i = 0; hw && i < sizeof(hw_aliases) / sizeof(*hw_aliases);
	     i++) {
		hw_event(env, i, d, sizeof(d));
		printf("  %-12s %s\n", hw_aliases[i], d);
	}
}

int rdt_cmd_info(rdt_ctx *ctx, int argc, char **argv)
{
	const rdt_opts *o = &ctx->o;
	char why[64];
	int hw = hv_pmu_hw_check(&ctx->env, why, sizeof(why));
	(void)argc, (void)argv;

	if (rdt_need_rc(ctx)) {
		printf("resctrl: not mounted\n");
		print_hw(&ctx->env, hw, why);
		return RDT_FAIL;
	}
	const hv_rc_info *in = hv_rc_info_get(ctx->rc);

	if (o->json) {
		cJSON *j = cJSON_CreateObject();
		char *t;
		cJSON_AddStringToObject(j, "vendor",
		                        in->vendor == HV_RC_VENDOR_AMD ? "amd"
		                        : in->vendor == HV_RC_VENDOR_INTEL
		                            ? "intel"
		                            : "unknown");
		cJSON_AddBoolToObject(j, "cdp", in->cdp);
		cJSON_AddNumberToObject(j, "num_closids", in->num_closids);
		cJSON_AddNumberToObject(j, "num_rmids", in->num_rmids);
		cJSON_AddNumberToObject(j, "l3_domains", in->nr_l3);
		if (in->l3.present) {
			char m[24];
			snprintf(m, sizeof(m), "%llx",
			         (unsigned long long)in->l3.cbm_mask);
			cJSON_AddStringToObject(j, "l3_cbm_mask", m);
			cJSON_AddNumberToObject(j, "l3_min_cbm_bits",
			                        in->l3.min_cbm_bits);
			cJSON_AddBoolToObject(j, "l3_sparse", in->l3.sparse);
		}
		cJSON_AddBoolToObject(j, "mba", in->mb.present);
		if (in->mb.present) {
			cJSON_AddNumberToObject(j, "mb_min", in->mb.min_bw);
			cJSON_AddNumberToObject(j, "mb_max", in->mb.max_bw);
			cJSON_AddNumberToObject(j, "mb_gran", in->mb.bw_gran);
		}
		cJSON_AddBoolToObject(j, "hw_counters", hw);
		cJSON_AddStringToObject(j, "hw_note", why);
		if (hw)
			add_hw_events(j, &ctx->env);
		t = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (!t)
			return 1;
		puts(t);
		free(t);
		return 0;
	}
	rdt_print_caps(in);
	print_hw(&ctx->env, hw, why);
	return 0;
}
