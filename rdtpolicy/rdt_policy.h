/* SPDX-License-Identifier: MIT */
/* Noisy-neighbour policy: a domain whose cache occupancy or memory
 * bandwidth stays over its threshold for hold_s seconds is moved to a
 * restricted class; it goes back when it has stayed calm (below
 * calm_ratio x every threshold) for calm_s seconds. Two thresholds and two
 * timers give hysteresis, so a load square wave near the threshold does
 * not flap.
 *
 * Pure: no I/O, no clock. The caller (hv-powerd's loop, hv-rdt) feeds the
 * figures of each sample with its monotonic time and carries out the
 * actions (hv_rc_assign_pid to cfg.restricted_class / back to the class
 * recorded in the action), journalling them. Missing figures (NAN) are no
 * evidence either way: timers neither start nor reset. */
#ifndef RDT_POLICY_H
#define RDT_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct rdt_policy_cfg {
	double llc_max_bytes; /* <= 0: not used */
	double mbm_max_Bps;   /* total bandwidth; <= 0: not used */
	double hold_s;        /* over threshold this long → restrict (10) */
	double calm_s;        /* calm this long → release (30) */
	double calm_ratio;    /* calm below ratio x threshold (0.8) */
	double gone_s;        /* missing from samples this long → gone (10) */
	unsigned max_restricted;   /* 0 = no limit */
	char restricted_class[48]; /* "hvkit-restricted" */
} rdt_policy_cfg;

/* One domain's figures at one sample. */
typedef struct rdt_policy_in {
	uint64_t key;     /* hv_dom.key */
	uint32_t id;      /* hv_dom.id */
	double llc_bytes; /* NAN when missing */
	double mbm_Bps;   /* NAN when missing */
} rdt_policy_in;

enum rdt_policy_act { RDT_ACT_RESTRICT = 1, RDT_ACT_RELEASE = 2 };

typedef struct rdt_policy_action {
	uint64_t key;
	uint32_t id;
	int act;          /* enum rdt_policy_act */
	char reason[128]; /* inputs and threshold, for the journal */
} rdt_policy_action;

typedef struct rdt_policy rdt_policy;

/* Defaults filled for zero fields; returns NULL on ENOMEM or a bad cfg
 * (no threshold, negative times, ratio outside (0,1]). */
void rdt_policy_defaults(rdt_policy_cfg *cfg);
rdt_policy *rdt_policy_new(const rdt_policy_cfg *cfg);
void rdt_policy_free(rdt_policy *p);

/* Feed one sample (all domains present now). A domain not in `in` keeps
 * its state for gone_s seconds, as it may be back in the next sample;
 * then it is forgotten, and if it was restricted a RELEASE action (reason
 * "gone ...") lets the caller undo its assignment (threads that exited
 * need no restoring; its groups do). Returns the number of actions
 * written to out (at most max). */
size_t rdt_policy_step(rdt_policy *p, double now_s, const rdt_policy_in *in,
                       size_t n, rdt_policy_action *out, size_t max);

/* Whether the policy currently holds the domain restricted. */
int rdt_policy_is_restricted(const rdt_policy *p, uint64_t key);
/* Tell the policy an action failed (e.g. no CLOSID): state goes back. */
void rdt_policy_undo(rdt_policy *p, const rdt_policy_action *a);

/* Inputs from a snapshot with rates (collector): llc_bytes and
 * mbm_total_Bps. Returns the count written (<= max). */
size_t rdt_policy_inputs(const hv_snap *s, rdt_policy_in *out, size_t max);

#ifdef __cplusplus
}
#endif
#endif
