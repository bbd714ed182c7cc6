/* SPDX-License-Identifier: MIT */
/* [noisy]: the noisy-neighbour policy (rdt_policy) acted on through libhv's
 * resctrl API. Every change is journalled and its intent written to
 * <rundir>/noisy.state BEFORE it is made; the undo record libhv returns is
 * kept in <rundir>/noisy.undo (atomic rename, fsynced) so a restart after
 * a crash can remove the class and put tasks and schemata back. */
#ifndef PD_NOISY_H
#define PD_NOISY_H

#include <stdbool.h>

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"
#include "pd_act.h"
#include "pd_config.h"
#include "rdt_policy.h"

typedef struct pd_noisy pd_noisy;

/* The [noisy] section as rdt_policy settings (pure). */
void pd_noisy_policy_cfg(const pd_config *c, rdt_policy_cfg *pc);

/* Restore what a crashed run left (noisy.undo, noisy.state), whatever
 * the current configuration says. 0 when nothing was left. */
int pd_noisy_recover(const hv_env *env, pd_act *act, hv_err *err);
/* Open resctrl for the policy. With dry, resctrl is only read. */
int pd_noisy_open(const hv_env *env, const pd_config *c, pd_act *act, bool dry,
                  pd_noisy **out, hv_err *err);
/* One decision round on a snapshot with rates at monotonic time t. */
void pd_noisy_step(pd_noisy *n, const hv_snap *s, double t);
/* Undo everything (release all, remove the class). Returns -errno. */
int pd_noisy_restore(pd_noisy *n, const char *why);
void pd_noisy_free(pd_noisy *n); /* restores first; NULL allowed */

#endif
