/* SPDX-License-Identifier: MIT */
/* Per-vCPU counters through perf_event_open on each vCPU thread (KVM: the
 * "CPU n/KVM" threads), events named as libpfm4 strings. The enricher side
 * (hv_pmu_open/fill/close) is declared in hv/enrich.h; this header adds what
 * tools and tests need to see.
 *
 * Event names: the short aliases below or any libpfm4 string
 * ("INST_RETIRED:ANY_P", "perf::TASK-CLOCK"). Hardware events count guest
 * mode only (exclude_host=1, libpfm4's :mg=1:mh=0), the figure a guest's
 * own `perf` would see. Software events count the thread (host and guest).
 *   alias            libpfm4                 hv_host.hw_name slot
 *   instructions     perf::INSTRUCTIONS      "instructions"
 *   cycles           perf::CYCLES            "cycles"
 *   llc_misses       perf::CACHE-MISSES      "llc_misses"
 *   task-clock       perf::TASK-CLOCK        "task-clock"   (ns)
 *   context-switches perf::CONTEXT-SWITCHES  "context-switches"
 * Rates: the core computes IPC from the slots named instructions/cycles;
 * misses per kilo-instruction = 1000 * llc_misses / instructions.
 *
 * On a machine without a hardware PMU (hv_pmu_hw_note() says why), the
 * hardware events are replaced by task-clock and context-switches and
 * hv_host.hw_note says so; nothing is shown as a measured zero. A thread
 * that cannot be counted (perf_event_open: EACCES without root or with
 * perf_event_paranoid > 1 on another user's process) has its slots marked
 * HV_NA_UNAVAILABLE and the note names the reason. */
#ifndef HV_PMU_H
#define HV_PMU_H

#include <linux/perf_event.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/enrich.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_PMU_EVENTS_DEFAULT "instructions,cycles,llc_misses"
#define HV_PMU_EVENTS_SOFT "task-clock,context-switches"

/* Encode one event (alias or libpfm4 string) into attr; name gets the slot
 * name; *hw says whether it is a hardware (PMU) event. guest_only applies
 * exclude_host=1 / exclude_guest=0 to hardware events. */
int hv_pmu_encode(const char *ev, int guest_only, struct perf_event_attr *attr,
                  char *name, size_t len, int *hw, hv_err *err);

/* 1 when the CPU PMU counts here (tested on the calling thread), else 0
 * with the reason in why. */
int hv_pmu_hw_available(char *why, size_t len);

size_t hv_pmu_nslots(const hv_pmu *p);
const char *hv_pmu_slot(const hv_pmu *p, size_t i);
/* "" or why events were replaced / threads could not be counted. */
const char *hv_pmu_note(const hv_pmu *p);

/* Count on one thread outside a snapshot (tools, tests): opens on first
 * use, returns the cumulative scaled values for each slot. */
int hv_pmu_read_tid(hv_pmu *p, uint64_t key, int32_t tid,
                    hv_u64 vals[HV_HW_MAX], hv_err *err);

#ifdef __cplusplus
}
#endif
#endif
