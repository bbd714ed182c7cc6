/* SPDX-License-Identifier: MIT */
/* Rates between two snapshots, per second of CLOCK_MONOTONIC.
 *
 * A missing rate is NAN (never 0): first sample of a domain, a source
 * missing on either side, a counter that went backwards (reset: rebooted
 * domain, reused id) or a zero interval. Counters with a known wrap point
 * (RAPL's max_energy_range_uj) are unwrapped. Domains are matched by
 * hv_dom.key, so a vanished domain simply has no rate and a new domain with
 * a recycled id starts fresh. */
#ifndef HV_RATES_H
#define HV_RATES_H

#include <stddef.h>
#include <stdint.h>

#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_vcpu_rate {
	double cpu_pct; /* 100 = one pCPU busy */
	double guest_pct;
	double steal_pct;                 /* runqueue wait as % of wall time */
	double hw_ps[HV_HW_MAX];          /* counter slot per second */
	double kvm_exits_ps, kvm_wait_ps; /* hv_vcpu.kvm_* per second */
} hv_vcpu_rate;

typedef struct hv_net_rate {
	double rx_Bps, tx_Bps, rx_pps, tx_pps;
	double rx_errs_ps, tx_errs_ps, rx_drop_ps, tx_drop_ps;
} hv_net_rate;

typedef struct hv_blk_rate {
	double rd_Bps, wr_Bps, rd_iops, wr_iops, fl_iops;
	double rd_lat_ms, wr_lat_ms; /* mean service time over the interval */
} hv_blk_rate;

typedef struct hv_dom_rate {
	uint64_t key;
	int fresh;           /* 1: no previous sample of this domain */
	double cpu_pct;      /* 100 = one pCPU (xentop convention) */
	double cpu_host_pct; /* 100 = every online pCPU */
	double guest_pct;
	double steal_pct; /* sum over vCPUs, 100 = one vCPU always waiting */
	double net_rx_Bps, net_tx_Bps, net_rx_pps, net_tx_pps;
	double blk_rd_Bps, blk_wr_Bps, blk_rd_iops, blk_wr_iops;
	double hw_ps[HV_HW_MAX]; /* summed over vCPUs */
	double ipc; /* when slots named instructions and cycles exist */
	double mbm_total_Bps, mbm_local_Bps;
	double watts; /* attributed package power */
	/* KVM exits per second (hv_dom.kvm_*) */
	double kvm_exits_ps, kvm_mmio_ps, kvm_io_ps, kvm_wait_ps, kvm_hvc_ps,
	    kvm_irq_ps, kvm_signal_ps;
	/* Parallel to the domain's arrays in the newer snapshot. */
	hv_vcpu_rate *vcpu;
	hv_net_rate *net;
	hv_blk_rate *blk;
} hv_dom_rate;

typedef struct hv_pcpu_rate {
	double busy_pct;                  /* 0..100 of this pCPU */
	double cstate_pct[HV_CSTATE_MAX]; /* residency share per state */
	double avg_khz;                   /* from P-state residency, else NAN */
} hv_pcpu_rate;

typedef struct hv_rapl_rate {
	double watts;
} hv_rapl_rate;

typedef struct hv_hwmon_rate {
	double watts; /* energy: counter delta / dt; power: the reading */
} hv_hwmon_rate;

/* The host's energy source: what host_watts and energy attribution use.
 * RAPL is preferred where present; hwmon sensors (hv_hwmon.zone) else. */
enum hv_energy_src {
	HV_ESRC_NONE = 0,
	HV_ESRC_RAPL,         /* powercap RAPL package zones */
	HV_ESRC_HWMON_ENERGY, /* hwmon energy counters (measured) */
	HV_ESRC_HWMON_POWER,  /* hwmon power readings: energy is estimated */
};

typedef struct hv_host_rate {
	double busy_pct;  /* mean over online pCPUs */
	double pkg_watts; /* sum over RAPL package zones, NAN if none */
	/* Host power from the energy source (what attribution shares out):
	 * pkg_watts with RAPL, else the hwmon zone sensors summed (NAN if
	 * one is unknown); NAN when there is no source. */
	double host_watts;
	uint32_t nr_pcpu;
	hv_pcpu_rate *pcpu; /* parallel to hv_host.pcpu of the newer snapshot */
	uint32_t nr_rapl;
	hv_rapl_rate *rapl;
	uint32_t nr_hwmon;
	hv_hwmon_rate *hwmon; /* parallel to hv_host.hwmon */
	int energy_src;       /* enum hv_energy_src */
} hv_host_rate;

typedef struct hv_rates hv_rates;

/* Compute rates of cur against prev. prev may be NULL (all rates NAN).
 * Returns NULL only on ENOMEM (err set). */
hv_rates *hv_rates_compute(const hv_snap *prev, const hv_snap *cur,
                           hv_err *err);
void hv_rates_free(hv_rates *r); /* NULL allowed */

double hv_rates_dt(const hv_rates *r); /* seconds between the samples */
const hv_host_rate *hv_rates_host(const hv_rates *r);
/* Rate of domain i of the newer snapshot. */
const hv_dom_rate *hv_rates_dom(const hv_rates *r, size_t i);
/* Convenience: rate for a domain record of the newer snapshot. */
const hv_dom_rate *hv_rates_for(const hv_snap *cur, const hv_dom *d);

/* The energy source a host record has (enum hv_energy_src), and its name:
 * "rapl", "hwmon", "hwmon-power", "none". */
int hv_energy_src(const hv_host *h);
const char *hv_energy_src_str(int src);

/* Counter difference. wrap > 0 means the counter wraps to 0 after
 * reaching wrap (RAPL max_energy_range_uj). Returns 0 and sets *out, or
 * -ERANGE when it went backwards without a wrap point (a reset), or
 * -ENODATA when either side is missing. */
int hv_counter_delta(hv_u64 prev, hv_u64 cur, uint64_t wrap, uint64_t *out);

#ifdef __cplusplus
}
#endif
#endif
