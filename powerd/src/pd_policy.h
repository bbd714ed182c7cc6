/* SPDX-License-Identifier: MIT */
/* hv-powerd's policies: pure functions from a view of the host (and the
 * policy memory carried between rounds) to decisions. No I/O here: the
 * actuator (pd_act.h) is the only writer, and these functions can be driven
 * by synthetic traces in tests.
 *
 * Each policy states what it wants held this round (claims: knob = value).
 * Claims on the same knob are merged (online "0" wins, the lowest max_khz
 * wins, a disabled C-state wins), then compared with what the actuator
 * holds: a new or changed value becomes a "set" decision, a held knob that
 * nobody claims any more becomes a "release" (write the original back). */
#ifndef PD_POLICY_H
#define PD_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/knob.h" /* knob names: hv_knob_parse/fmt */
#include "pd_config.h"

#define PD_KNOB_LEN 64
#define PD_VAL_LEN 64
#define PD_REASON_LEN 320
#define PD_POLICY_LEN 16
#define PD_CSTATES 10
#define PD_MAX_PKG 64
#define PD_SMT_MAX 8

/* The pseudo-knob of the global PM QoS request (method = qos): "none" when
 * hv-powerd holds no request, else the latency in µs. */
#define PD_QOS_KNOB "qos/cpu_dma_latency"

typedef struct pd_cpu {
	unsigned id;
	int online;      /* 1, 0, -1 unknown */
	bool hotplug;    /* has an online knob */
	int pkg, core;   /* -1 unknown */
	double busy_pct; /* NAN when unknown (offline, first sample) */
	bool pinned;     /* a vCPU may run only on a strict subset with it */
	char pinned_by[PD_NAME_LEN];
	unsigned long hw_min_khz, hw_max_khz, max_khz; /* 0 unknown */
	char governor[PD_GOV_LEN];                     /* "" = no cpufreq */
	unsigned nr_cstate;
	unsigned cstate_lat_us[PD_CSTATES];
	bool cstate_disabled[PD_CSTATES];
	bool ce_ok;
	uint64_t ce;
	uint64_t ue;   /* uncorrected (survived), 0 when unknown */
	int last_bank; /* -1 none */
} pd_cpu;

typedef struct pd_domv {
	char name[PD_NAME_LEN];
	double cpu_pct;  /* 100 = one pCPU, NAN unknown */
	double watts;    /* attributed package power, NAN unknown */
	double energy_j; /* attributed energy since the domain started, NAN */
} pd_domv;

/* A physical page with errors (hv_host.page). */
typedef struct pd_pagev {
	uint64_t addr;
	uint64_t errs; /* corrected + uncorrected with this address */
	bool online;   /* still in service */
	uint64_t ce, ue;
	const char *state; /* hv_page_state_str */
	char reason[48];
} pd_pagev;

typedef struct pd_view {
	double t;          /* monotonic seconds */
	bool ras_ok;       /* per-CPU machine-check counts are read */
	char ras_note[96]; /* why not, or what was lost */
	unsigned ncpu;
	pd_cpu *cpu;
	unsigned npage;
	pd_pagev *page;
	unsigned ndom;
	pd_domv *dom;
	/* Demand in pCPUs: busy time of the online pCPUs (domains and host)
	 * plus the domains' runnable-but-waiting time; NAN unknown. */
	double demand_cpus;
	double pkg_watts; /* NAN unknown */
} pd_view;

/* A knob the actuator holds: its value now and the original to restore. */
typedef struct pd_hold {
	char knob[PD_KNOB_LEN];
	char cur[PD_VAL_LEN];
	char orig[PD_VAL_LEN];
	char policy[PD_POLICY_LEN];
} pd_hold;

typedef struct pd_decision {
	char knob[PD_KNOB_LEN];
	char value[PD_VAL_LEN]; /* for a release: "" (the actuator knows) */
	bool release;
	char policy[PD_POLICY_LEN];
	char reason[PD_REASON_LEN];
} pd_decision;

/* Something an operator must see that is not a change (a refused offline). */
typedef struct pd_note {
	char policy[PD_POLICY_LEN];
	char level[8]; /* "alert", "warn", "info" */
	char msg[PD_REASON_LEN];
} pd_note;

typedef struct pd_out {
	size_t n, cap;
	pd_decision *d;
	size_t nnote, capnote;
	pd_note *note;
} pd_out;

typedef struct pd_mem pd_mem;

pd_mem *pd_mem_new(void);
void pd_mem_free(pd_mem *m); /* NULL allowed */
void pd_out_reset(pd_out *o);
void pd_out_free(pd_out *o);

/* One decision round. Updates m; fills o (reset first). Returns 0 or
 * -ENOMEM. */
int pd_decide(const pd_config *c, pd_mem *m, const pd_view *v,
              const pd_hold *held, size_t nheld, pd_out *o);

/* The actuator could not apply a decision on knob: forget the claim and
 * back off before trying that knob again. */
void pd_mem_rejected(pd_mem *m, const pd_config *c, const char *knob, double t);

/* For state and tests. */
unsigned pd_mem_parked(const pd_mem *m, unsigned *cpus, unsigned max);
unsigned pd_mem_hwerr_offlined(const pd_mem *m, unsigned *cpus, unsigned max);

/* Parse "cpu/N/online" and friends; returns the CPU or -1. */
int pd_knob_cpu(const char *knob);
/* Parse "cpu/N/cstate/S/disable": returns N and sets *state, or -1. */
int pd_knob_cstate(const char *knob, unsigned *state);

#endif
