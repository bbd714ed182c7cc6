/* SPDX-License-Identifier: MIT */
/* hv-powerd's policy table and what its entries share. Internal to the
 * policies and pd_decide (pd_policy.c); the rest of hv-powerd sees only
 * pd_policy.h.
 *
 * A policy is one file (pd_pol_<name>.c) holding one pd_policy entry:
 * its config keys, its decision, what it forgets when switched off and
 * why its knobs are released. Entries are registered in pd_pol_table.c in
 * priority order. Policies are pure: the view and their memory in, claims
 * and notes out; they never touch the machine. */
#ifndef PD_POL_H
#define PD_POL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/cfg.h"
#include "hv/err.h"
#include "hv/knob.h"
#include "pd_config.h"
#include "pd_policy.h"

#define PD_CE_HIST 256 /* count changes kept per page inside the window */
#define PD_MAX_FAIL 64

/* A counter's changes inside a sliding window (hwerr). */
typedef struct pd_hist {
	unsigned n;
	struct {
		double t;
		uint64_t v;
	} h[PD_CE_HIST];
} pd_hist;

/* A leaky bucket over a cumulative counter (hwerr, per CPU, as mcelog's):
 * each new error adds one, the level leaks at capacity per window. */
typedef struct pd_bucket {
	bool known;    /* last/t hold a count: else the next one is the base */
	uint64_t last; /* the counter at t */
	uint64_t base; /* the counter when the bucket was last empty */
	double t;
	double level;
} pd_bucket;

typedef struct pd_cpu_mem {
	pd_bucket ce;
	bool hw_off;   /* offlined for errors: sticky until exit */
	bool hw_noted; /* refusal already reported */
	char hw_reason[PD_REASON_LEN];
	char unpark_reason[PD_REASON_LEN]; /* this round only */
	double backoff_until;
} pd_cpu_mem;

/* A page's error history and whether it was sent offline (hwerr). */
#define PD_PAGES 128
typedef struct pd_page_mem {
	uint64_t addr;
	pd_hist errs;
	bool claimed; /* soft-offline asked once: it cannot be undone */
	char reason[PD_REASON_LEN];
} pd_page_mem;

/* CPUs parked together (one SMT core). */
typedef struct pd_group {
	unsigned n;
	unsigned cpu[PD_SMT_MAX];
} pd_group;

/* Frequency level of one package, with its hysteresis timers. */
typedef struct pd_freq_pkg {
	double low_since, high_since;
	bool low;
	bool low_seen, high_seen;
} pd_freq_pkg;

/* Memory carried between rounds. Per-CPU state and the parking stack are
 * shared (hwerr takes a CPU off the stack, a refused offline backs a CPU
 * off for every policy); each policy owns its own part below. */
struct pd_mem {
	pd_cpu_mem *cpu;
	pd_group *grp;
	unsigned ncpu;
	unsigned ngroup; /* parking: a LIFO stack of SMT groups */
	struct {
		pd_freq_pkg pkg[PD_MAX_PKG];
		char reason[PD_MAX_PKG][PD_REASON_LEN]; /* this round */
		char release[PD_REASON_LEN];
	} freq;
	struct {
		double last_move;
		double low_since, unknown_since;
		bool moved;
		bool low_seen, unknown_seen;
		char reason[PD_REASON_LEN]; /* a group parked this round */
	} park;
	struct {
		bool on, idle_seen;
		double idle_since;
		char reason[PD_REASON_LEN];
		char release[PD_REASON_LEN];
	} lat;
	struct {
		bool nodata_noted;
		unsigned npage;
		pd_page_mem page[PD_PAGES];
		bool full_noted;
	} hwerr;
	struct {
		double cap_pct; /* 100 = no cap */
		double under_since;
		bool under_seen;
		char reason[PD_REASON_LEN];
		char release[PD_REASON_LEN];
	} budget;
	/* knobs the actuator could not set, with a back-off */
	unsigned nfail;
	struct {
		char knob[PD_KNOB_LEN];
		double until;
	} fail[PD_MAX_FAIL];
};

/* What a policy wants held this round. */
typedef struct pd_claim {
	char knob[PD_KNOB_LEN];
	char value[PD_VAL_LEN];
	const char *policy;
	const char *reason; /* must live until pd_decide returns */
	int cpu;            /* the knob's CPU, -1 for none */
	size_t seq;
} pd_claim;

typedef struct pd_claims {
	size_t n, cap;
	pd_claim *c;
} pd_claims;

typedef struct pd_policy {
	const char *name; /* the journal's "policy" and the [section] */
	/* config: the section's keys (offsets into pd_config, ended by a
	 * {0} row) and the checks across them once the whole file is read
	 * (NULL = none); lines says where each key was set */
	const hv_cfg_key *keys;
	int (*check)(const pd_config *c, const char *file,
	             const hv_cfg_lines *lines, hv_err *err);
	/* NULL for a policy acted on outside pd_decide (energy, noisy) */
	bool (*enabled)(const pd_config *c);
	int (*decide)(const pd_config *c, pd_mem *m, const pd_view *v,
	              pd_claims *cl, pd_out *o);
	/* switched off by a reload: drop state, so its knobs are released */
	void (*forget)(pd_mem *m);
	/* why a held knob nobody claims goes back, or NULL (not ours, or no
	 * reason this round) */
	const char *(*release)(const pd_mem *m, const pd_hold *h);
} pd_policy;

/* Priority order: a claim first in this order wins a merge tie. */
extern const pd_policy *const pd_policies[];
extern const size_t pd_npolicies;

extern const pd_policy pd_pol_hwerr, pd_pol_budget, pd_pol_latency,
    pd_pol_parking, pd_pol_frequency, pd_pol_energy, pd_pol_noisy;

/* ---- config helpers (pd_config.c) ---- */
/* A frequency as kHz or a percentage of the maximum (pd_khz). */
int pd_cfg_khz(const hv_cfg_key *k, void *obj, char *v, char *why, size_t wlen);
/* The line of sect's key, else of its "enabled" (0 = neither set). */
unsigned pd_cfg_line(const hv_cfg_lines *l, const char *sect, const char *key);
#define PD_OFF(f) offsetof(pd_config, f)

/* ---- shared helpers (pd_pol_common.c) ---- */
/* Claim cpu's knob of kind (state: the C-state of HV_KNOB_CSTATE_DISABLE;
 * cpu is ignored for the host-wide kinds), named by hv_knob_fmt so there
 * is one spelling of each knob; a name it cannot build (cpu >=
 * HV_KNOB_MAXCPU) is its negative errno. */
int pd_claim_cpu(pd_claims *cl, hv_knob_kind kind, unsigned cpu, unsigned state,
                 const char *val, const char *policy, const char *reason);
/* cpu: the knob's CPU or -1 (the policy knows it; no name parsing). */
int pd_claim_add(pd_claims *cl, int cpu, const char *knob, const char *val,
                 const char *policy, const char *reason);
int pd_note_add(pd_out *o, const char *policy, const char *level,
                const char *fmt, ...) __attribute__((format(printf, 4, 5)));
const pd_cpu *pd_view_cpu(const pd_view *v, unsigned id);
unsigned pd_view_online(const pd_view *v);
bool pd_ends_with(const char *s, const char *suf);
/* reason when h is held by policy and reason is set, else NULL. */
const char *pd_own_release(const pd_hold *h, const char *policy,
                           const char *reason);
/* arr (n used of *cap) with room for one more, or NULL (arr kept). */
void *pd_grow(void *arr, size_t *cap, size_t n, size_t size, size_t first);
/* Remove the parked group holding cpu, if any; true when one was. */
bool pd_group_drop_cpu(pd_mem *m, unsigned cpu);

#endif
