/* SPDX-License-Identifier: MIT */
/* Enrichers add data that does not depend on the hypervisor to a backend's
 * sample: cache occupancy and memory bandwidth from resctrl, and perf
 * counters on vCPU threads. hv_backend_sample() runs them after the
 * backend's own sample and before sealing, so every consumer sees the
 * figures in hv_dom / hv_vcpu. They mark what they cannot provide (with a
 * reason) and never fail the sample. */
#ifndef HV_ENRICH_H
#define HV_ENRICH_H

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

/* resctrl monitoring (hypervisor/src/linux/resctrl*.c) */
typedef struct hv_rdtmon hv_rdtmon;
/* Returns 0 with *out NULL when resctrl is not mounted or has no L3_MON. */
int hv_rdtmon_open(const hv_env *env, hv_rdtmon **out, hv_err *err);
/* Fill llc_bytes / mbm_*_bytes of domains that have a monitoring group. */
void hv_rdtmon_fill(hv_rdtmon *m, hv_snap *s);
void hv_rdtmon_close(hv_rdtmon *m);

/* perf counters on vCPU threads (hypervisor/src/linux/pmu*.c) */
typedef struct hv_pmu hv_pmu;
/* events: comma-separated libpfm4 strings. Falls back to software events
 * (and says so in hv_host.hw_note) when the machine has no PMU. */
int hv_pmu_open(const hv_env *env, const char *events, hv_pmu **out,
                hv_err *err);
/* Fill hv_vcpu.hw[] (by tid) and hv_host.nr_hw/hw_name/hw_note. */
void hv_pmu_fill(hv_pmu *p, hv_snap *s);
void hv_pmu_close(hv_pmu *p);

#ifdef __cplusplus
}
#endif
#endif
