/* SPDX-License-Identifier: MIT */
/* The policy table. Order is priority: on a knob two policies claim, the
 * merge keeps the safer value (online "0", the lowest max_khz, a disabled
 * C-state), else the claim of the policy listed first. energy and noisy
 * decide nothing in pd_decide (no decide()): they are here for their
 * configuration. */
#include "pd_pol.h"

const pd_policy *const pd_policies[] = {
    &pd_pol_hwerr,     &pd_pol_budget, &pd_pol_latency, &pd_pol_parking,
    &pd_pol_frequency, &pd_pol_energy, &pd_pol_noisy,
};
const size_t pd_npolicies = sizeof(pd_policies) / sizeof(pd_policies[0]);
