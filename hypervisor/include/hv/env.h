/* SPDX-License-Identifier: MIT */
/* Host path roots. Every host file libhv reads or writes is resolved under one
 * of these roots so that tests can point the same code at a fixture tree:
 *   HVKIT_SYSFS   stands for /sys  (cpufreq, cpuidle, powercap, resctrl, net)
 *   HVKIT_PROCFS  stands for /proc
 *   HVKIT_DEVFS   stands for /dev  (cpu_dma_latency, kvm)
 *   HVKIT_RUNDIR  where daemons keep state (default /run/hvkit)
 * Unset means the real path. */
#ifndef HV_ENV_H
#define HV_ENV_H

#include <limits.h>
#include <stddef.h>

#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum hv_root {
	HV_ROOT_SYS = 0,
	HV_ROOT_PROC,
	HV_ROOT_DEV,
	HV_ROOT_RUN,
} hv_root;

typedef struct hv_env {
	char sys[PATH_MAX];
	char proc[PATH_MAX];
	char dev[PATH_MAX];
	char run[PATH_MAX];
	int redirected; /* nonzero when sys or proc is not the real one */
} hv_env;

/* Fill from the process environment (see above). */
int hv_env_init(hv_env *env, hv_err *err);

/* Build ROOT + formatted relative path ("devices/system/cpu/cpu%u/online").
 * Returns 0 or -ENAMETOOLONG. */
int hv_env_path(const hv_env *env, hv_root root, char *buf, size_t len,
                const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* For main(), before opening a backend: raise the soft RLIMIT_NOFILE to
 * the hard limit. The kvm backend keeps a descriptor open per counter file
 * (about 15 per guest with 4 vCPUs) within RLIMIT_NOFILE - 1024 (half the
 * limit when it is small): the usual soft limit of 1024 caches about 34
 * guests. libhv never changes process limits by itself. Returns the soft
 * limit now in force (RLIM_INFINITY as (unsigned long)-1), or 0 if it could
 * not be read. */
unsigned long hv_env_raise_nofile(void);

#ifdef __cplusplus
}
#endif
#endif
