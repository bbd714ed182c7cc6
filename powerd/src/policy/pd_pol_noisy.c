/* SPDX-License-Identifier: MIT */
/* [noisy]: the noisy-neighbour policy. Its decisions come from the shared
 * rdtpolicy library (rdt_policy_step, also hv-rdt's `watch`) and are
 * resctrl moves, not libhv knobs, so pd_noisy.c steps and acts on it with
 * its own undo records; this entry holds its configuration. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "pd_pol.h"

/* A cache bit mask: hex digits, optional 0x, not zero. */
static int parse_mask(const hv_cfg_key *k, void *obj, char *v, char *why,
                      size_t wlen)
{
	const char *h = v;
	bool nz = false;

	if (!strncmp(h, "0x", 2) || !strncmp(h, "0X", 2))
		h += 2;
	if (!*h || strlen(h) > 16) {
		snprintf(
		    why, wlen,
		    "expected a hex mask of 1 to 16 digits (e.g. 0x3), got "
		    "'%s'",
		    v);
		return -EINVAL;
	}
	for (const char *q = h; *q; q++) {
		if (!isxdigit((unsigned char)*q)) {
			snprintf(why, wlen, "'%s' is not a hex mask (e.g. 0x3)",
			         v);
			return -EINVAL;
		}
		nz |= *q != '0';
	}
	if (!nz) {
		snprintf(why, wlen, "an empty mask (%s) allows no cache at all",
		         v);
		return -EINVAL;
	}
	snprintf((char *)obj + k->off, (size_t)k->max, "%s", h);
	return 0;
}

static const hv_cfg_key keys[] = {
    {"noisy", "enabled", HV_CFG_BOOL, PD_OFF(noisy.enabled), 0, 0, "no",
     "turn the policy on", NULL, NULL},
    {"noisy", "llc_bytes", HV_CFG_NUM, PD_OFF(noisy.llc_bytes), 0, 1e12, "0",
     "cache occupancy threshold (0 = unused)", NULL, NULL},
    {"noisy", "mbm_bytes_per_s", HV_CFG_NUM, PD_OFF(noisy.mbm_Bps), 0, 1e13,
     "0", "memory bandwidth threshold (0 = unused)", NULL, NULL},
    /* from 0.1 s: rdt_policy reads 0 as "its default" */
    {"noisy", "hold", HV_CFG_SECS, PD_OFF(noisy.hold_s), 0.1, 86400, "10",
     "over a threshold this long -> restricted", NULL, NULL},
    {"noisy", "calm", HV_CFG_SECS, PD_OFF(noisy.calm_s), 0.1, 86400, "30",
     "calm this long -> released", NULL, NULL},
    {"noisy", "calm_ratio", HV_CFG_NUM, PD_OFF(noisy.calm_ratio), 0.01, 1,
     "0.8", "calm below this ratio x every threshold", NULL, NULL},
    {"noisy", "gone", HV_CFG_SECS, PD_OFF(noisy.gone_s), 0.1, 86400, "10",
     "missing from the samples this long -> released as gone", NULL, NULL},
    {"noisy", "l3_mask", HV_CFG_FUNC, PD_OFF(noisy.l3_mask), 0, 20, NULL,
     "restricted class L3 mask (hex)", NULL, parse_mask},
    {"noisy", "mb_percent", HV_CFG_UINT, PD_OFF(noisy.mb_percent), 1, 100, NULL,
     "restricted class memory bandwidth %", NULL, NULL},
    {"noisy", "max_restricted", HV_CFG_UINT, PD_OFF(noisy.max_restricted), 0,
     4096, "0", "most domains restricted at once (0 = no limit)", NULL, NULL},
    {"noisy", "class", HV_CFG_WORD, PD_OFF(noisy.class_name), 0, PD_NAME_LEN,
     "hvkit-restricted", "name of the restricted class", NULL, NULL},
    {0},
};

static int check(const pd_config *c, const char *file, const hv_cfg_lines *l,
                 hv_err *err)
{
	if (!c->noisy.enabled)
		return 0;
	if (c->noisy.llc_bytes <= 0 && c->noisy.mbm_Bps <= 0)
		return hv_err_set(err, EINVAL,
		                  "%s:%u: [noisy] is enabled but sets neither "
		                  "llc_bytes nor mbm_bytes_per_s",
		                  file, pd_cfg_line(l, "noisy", "enabled"));
	if (!c->noisy.l3_mask[0] && !c->noisy.mb_percent)
		return hv_err_set(
		    err, EINVAL,
		    "%s:%u: [noisy] is enabled but the restricted "
		    "class has neither l3_mask nor mb_percent",
		    file, pd_cfg_line(l, "noisy", "enabled"));
	if (!c->noisy.class_name[0])
		return hv_err_set(err, EINVAL, "%s:%u: [noisy] class is empty",
		                  file, pd_cfg_line(l, "noisy", "class"));
	return 0;
}

const pd_policy pd_pol_noisy = {
    .name = "noisy",
    .keys = keys,
    .check = check,
};
