/* SPDX-License-Identifier: MIT */
/* [energy]: per-domain energy and watts (libhv's attribution) journalled
 * every interval and written to state.json every round. It decides
 * nothing, so it has no decide(): the daemon's round records it
 * (main.c). */
#include "pd_pol.h"

static const hv_cfg_key keys[] = {
    {"energy", "enabled", HV_CFG_BOOL, PD_OFF(energy.enabled), 0, 0, "no",
     "journal per-domain energy", NULL, NULL},
    {"energy", "interval", HV_CFG_SECS, PD_OFF(energy.interval_s), 1, 86400,
     "60", "an energy record this often", NULL, NULL},
    {0},
};

const pd_policy pd_pol_energy = {
    .name = "energy",
    .keys = keys,
};
