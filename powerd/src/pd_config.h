/* SPDX-License-Identifier: MIT */
/* hv-powerd configuration: an INI-like file of [section] headers and
 * "key = value" lines, parsed strictly. Any error names the file, the line
 * and what is wrong, and the whole file is rejected (no partial configs). */
#ifndef PD_CONFIG_H
#define PD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>

#include "hv/err.h"

#define PD_MAX_LATDOMS 16
#define PD_NAME_LEN 64
#define PD_GOV_LEN 24

/* A frequency given either as kHz or as a percentage of the CPU's
 * cpuinfo_max_freq ("1200000" or "60%"). */
typedef struct pd_khz {
	double v;
	bool pct;
} pd_khz;

enum pd_freq_action { PD_FREQ_GOVERNOR = 0, PD_FREQ_CAP = 1 };
/* How the latency guard limits idle depth: per-CPU C-state disable knobs,
 * a global PM QoS request (/dev/cpu_dma_latency, dropped by the kernel
 * when hv-powerd's fd closes, even on a crash), or on Xen the hypervisor's
 * max_cstate (Xen reports no exit latencies, so the depth is given). */
enum pd_lat_method { PD_LAT_CSTATE = 0, PD_LAT_QOS = 1, PD_LAT_XEN = 2 };

typedef struct pd_config {
	/* [daemon] */
	double period_s;  /* decision round */
	char backend[16]; /* "" = auto */
	/* [frequency] */
	struct {
		bool enabled;
		double high_pct, low_pct; /* package utilisation thresholds */
		double hold_s;    /* low must last this long to go down */
		double up_hold_s; /* high must last this long to go up */
		int action;       /* enum pd_freq_action */
		char low_governor[PD_GOV_LEN];
		char high_governor[PD_GOV_LEN]; /* "" = release (original) */
		pd_khz low_max;
	} freq;
	/* [parking] */
	struct {
		bool enabled;
		unsigned min_online;
		double park_below_pct;   /* demand after parking stays below */
		double unpark_above_pct; /* demand above this share of online */
		double hold_s;
		double cooldown_s;
	} park;
	/* [latency] */
	struct {
		bool enabled;
		unsigned ndom;
		char dom[PD_MAX_LATDOMS][PD_NAME_LEN];
		double busy_pct; /* domain cpu% (100 = one pCPU) = busy */
		unsigned max_latency_us; /* deeper states are disabled */
		double hold_s;           /* idle this long before release */
		int method;              /* enum pd_lat_method */
		unsigned xen_max_cstate; /* method = xen */
	} lat;
	/* [hwerr] */
	struct {
		bool enabled;
		unsigned
		    threshold; /* offline when CEs rise by more than this */
		double window_s;
		unsigned max_offline;
		unsigned keep_online;
		/* soft-offline a page when its errors within page_window reach
		 * page_threshold; 0 = never */
		unsigned page_threshold;
		double page_window_s;
	} hwerr;
	/* [budget] */
	struct {
		bool enabled;
		double watts;
		double release_pct; /* step back up below this share of watts */
		double hold_s;
		double step_pct; /* of cpuinfo_max_freq per step */
		pd_khz floor;
	} budget;
	/* [energy] */
	struct {
		bool enabled;
		double interval_s; /* journal an energy record this often */
	} energy;
	/* [noisy] noisy-neighbour policy (rdt_policy), acted on through
	 * libhv's resctrl API */
	struct {
		bool enabled;
		double llc_bytes;  /* occupancy threshold; 0 = unused */
		double mbm_Bps;    /* total bandwidth threshold; 0 = unused */
		double hold_s;     /* over this long → restricted */
		double calm_s;     /* calm this long → released */
		double calm_ratio; /* calm below ratio x threshold */
		double gone_s;     /* missing this long → released as gone */
		char
		    l3_mask[20]; /* restricted class L3 mask (hex), "" = none */
		unsigned mb_percent;     /* restricted class MB, 0 = none */
		unsigned max_restricted; /* 0 = no limit */
		char class_name[PD_NAME_LEN];
	} noisy;
} pd_config;

void pd_config_defaults(pd_config *c);
/* Parse text (name is used in messages). Returns 0 or -EINVAL with
 * "FILE:LINE: what" in err. c is only written on success. */
int pd_config_parse(const char *name, const char *text, pd_config *c,
                    hv_err *err);
int pd_config_load(const char *path, pd_config *c, hv_err *err);
/* The i-th key of the file ([daemon], then each policy's section), NULL
 * after the last: the tables the reader works from, for docs and tests. */
struct hv_cfg_key;
const struct hv_cfg_key *pd_config_key(size_t i);
/* Resolve a pd_khz against a CPU's maximum; 0 when max is unknown and the
 * value is a percentage. */
unsigned long pd_khz_resolve(pd_khz k, unsigned long hw_max_khz);

#endif
