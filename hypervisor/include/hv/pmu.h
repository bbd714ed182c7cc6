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
 *   alias            libpfm4 (x86, unknown ARM)  ARM core libpfm4 knows
 *   instructions     perf::INSTRUCTIONS          <core>::INST_RETIRED 0x08
 *   cycles           perf::CYCLES                <core>::CPU_CYCLES   0x11
 *   llc_misses       perf::CACHE-MISSES          the first the core has:
 *                                                LL_CACHE_MISS_RD 0x37,
 *                                                L3D_CACHE_REFILL 0x2a,
 *                                                L2D_CACHE_REFILL 0x17
 *   task-clock       perf::TASK-CLOCK (ns)
 *   context-switches perf::CONTEXT-SWITCHES
 * The slot (hv_host.hw_name) is the alias. "ARM core libpfm4 knows": its
 * default core PMU is an ARM one (arm_n1, arm_n2, arm_v1, arm_v2, arm_ac53,
 * arm_ac57, arm_kunpeng, arm_thunderx2, arm_a64fx, arm_xgene in 4.13; no
 * Cortex-A72, no QEMU max). ARM encodings are PERF_TYPE_RAW with the event
 * number, which the kernel hands to the CPU PMU (armv8_pmuv3_0, whose own
 * type is dynamic). An event the kernel's single ARM CPU PMU does not list
 * under events/ (its PMCEID says the core lacks it) is not used; an alias
 * left with none (llc_misses on QEMU's emulated PMU) is left out, and the
 * note says so. Otherwise the note names the LLC-miss event used
 * ("llc_misses = arm_n1::LL_CACHE_MISS_RD (0x37, last-level read misses)");
 * hv_pmu_slot_event() gives each slot's.
 * Rates: the core computes IPC from the slots named instructions/cycles;
 * misses per kilo-instruction = 1000 * llc_misses / instructions.
 *
 * Without a usable CPU PMU (hv_pmu_hw_check() says why) the hardware
 * events are replaced by task-clock and context-switches, once, and
 * hv_host.hw_note says so; nothing is shown as a measured zero and no open
 * fails per thread for it. Unusable: perf_event_open refuses the probe
 * (a KVM guest without vPMU), libpfm4 names an ARM core but the kernel
 * exposes no armv8_* PMU (Xen dom0 on ARM), or there are several (big.
 * LITTLE: a per-thread counter counts only while its thread runs on the
 * CPUs of the PMU that took it). A thread that cannot be counted
 * (perf_event_open: EACCES without root or with perf_event_paranoid > 1 on
 * another user's process) has its slots marked HV_NA_UNAVAILABLE and the
 * note names the reason. */
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
#define HV_PMU_DESC_LEN 80

typedef struct hv_pmu_ev {
	struct perf_event_attr attr;
	char name[HV_HW_NAME_LEN];  /* slot name: the alias or the string */
	char desc[HV_PMU_DESC_LEN]; /* what was encoded, e.g.
	                               "perf::CYCLES", "arm_n1::CPU_CYCLES
	                               (0x11, core cycles)" */
	int hw;                     /* a hardware (PMU) event */
} hv_pmu_ev;

/* Encode one event (alias or libpfm4 string) for the host under env's
 * roots (the kernel's PMU under <sysfs>/bus/event_source/devices; libpfm4
 * itself reads the real /proc/cpuinfo, LIBPFM_FORCE_PMU overrides it).
 * guest_only applies exclude_host=1 / exclude_guest=0 to hardware events.
 * -ENOENT: an alias the host's ARM PMU has no event for. */
int hv_pmu_encode_env(const hv_env *env, const char *ev, int guest_only,
                      hv_pmu_ev *out, hv_err *err);

/* hv_pmu_encode_env with the roots from the environment (HVKIT_SYSFS). */
int hv_pmu_encode(const char *ev, int guest_only, struct perf_event_attr *attr,
                  char *name, size_t len, int *hw, hv_err *err);

/* 1 when the CPU PMU counts here, else 0 with the reason in why (64
 * bytes hold any): the kernel's ARM CPU PMUs under env's sysfs root (none
 * while libpfm4 names an ARM core, or several), then perf_event_open on
 * the calling thread. */
int hv_pmu_hw_check(const hv_env *env, char *why, size_t len);
/* The same with the roots from the environment. */
int hv_pmu_hw_available(char *why, size_t len);

size_t hv_pmu_nslots(const hv_pmu *p);
const char *hv_pmu_slot(const hv_pmu *p, size_t i);
/* What slot i counts (hv_pmu_ev.desc). */
const char *hv_pmu_slot_event(const hv_pmu *p, size_t i);
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
