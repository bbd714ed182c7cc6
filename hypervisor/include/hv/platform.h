/* SPDX-License-Identifier: MIT */
/* The Linux host platform layer: pCPUs, hotplug, cpufreq, cpuidle, PM QoS,
 * powercap RAPL and corrected-error counts, read under hv_env roots with
 * the kernel's exact formats. Used by the kvm backend (and for RAPL by any
 * backend that can see it); consumers see the results in hv_host. */
#ifndef HV_PLATFORM_H
#define HV_PLATFORM_H

#include <stddef.h>
#include <stdint.h>

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct hv_plat hv_plat;

int hv_plat_open(const hv_env *env, hv_plat **out, hv_err *err);
void hv_plat_close(hv_plat *p); /* NULL allowed */

/* Fill s's hv_host: hostname, uptime, memory, pCPUs (online, topology,
 * /proc/stat times, cpufreq, cpuidle, P-state residency), RAPL zones,
 * corrected errors. Parts that are absent are marked, not failed. */
int hv_plat_sample(hv_plat *p, hv_snap *s, hv_err *err);

/* Knobs as in hv/backend.h (cpu/N/...). */
int hv_plat_knob_get(hv_plat *p, const char *knob, char *val, size_t len,
                     hv_err *err);
int hv_plat_knob_set(hv_plat *p, const char *knob, const char *val,
                     hv_err *err);

/* Available governors / frequencies of cpuN, space-separated as sysfs has
 * them; "" when the file is absent. */
int hv_plat_cpufreq_avail(hv_plat *p, unsigned cpu, char *governors,
                          size_t glen, char *freqs, size_t flen, hv_err *err);

/* PM QoS CPU latency limit held through /dev/cpu_dma_latency: the kernel
 * drops it when the fd closes, so a crashed holder leaves nothing behind. */
int hv_plat_qos_hold(hv_plat *p, int32_t latency_us, hv_err *err);
void hv_plat_qos_release(hv_plat *p);
int32_t hv_plat_qos_held(const hv_plat *p); /* -1 when none */

/* The host's architecture ("x86_64", "aarch64": kernel.arch under the
 * procfs root, else uname) and CPU model (x86 cpuinfo "model name"; on ARM
 * the MIDR from sysfs regs/identification/midr_el1 or cpuinfo's "CPU
 * implementer/part" lines, named as "ARM Neoverse-N1 r3p1"). Empty strings
 * when unknown; never fails. */
void hv_host_ident(const hv_env *env, char *arch, size_t alen, char *model,
                   size_t mlen);
/* An ARM MIDR_EL1 value as "ARM Cortex-A57 r1p3" (unknown parts by number). */
void hv_midr_name(uint32_t midr, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
