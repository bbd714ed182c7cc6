/* SPDX-License-Identifier: MIT */
/* hv-rdt info: what resctrl and the PMU offer on this host. */
#include <stdio.h>
#include <stdlib.h>

#include "hv/pmu.h"
#include "rdt.h"

int rdt_cmd_info(rdt_ctx *ctx, int argc, char **argv)
{
	const rdt_opts *o = &ctx->o;
	char why[64];
	int hw = hv_pmu_hw_available(why, sizeof(why));
	(void)argc, (void)argv;

	if (rdt_need_rc(ctx)) {
		printf("resctrl: not mounted\nhardware counters: %s\n",
		       hw ? "yes" : why);
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
		t = cJSON_PrintUnformatted(j);
		cJSON_Delete(j);
		if (!t)
			return 1;
		puts(t);
		free(t);
		return 0;
	}
	rdt_print_caps(in);
	printf("hardware counters: %s\n", hw ? "yes" : why);
	return 0;
}
