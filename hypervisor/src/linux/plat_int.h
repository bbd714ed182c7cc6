/* SPDX-License-Identifier: MIT */
/* Internals of the Linux platform layer, shared by src/linux/ files. */
#ifndef HV_PLAT_INT_H
#define HV_PLAT_INT_H

#include <limits.h>
#include <stdint.h>

#include "hv/knob.h"
#include "hv/platform.h"

#define HV_PLAT_CPUDIR "devices/system/cpu"
#define HV_PLAT_MAXCPU HV_KNOB_MAXCPU /* one CPU limit (hv/knob.h) */
#define HV_PLAT_VAL_MAX 128           /* longest knob value we write */

/* Static facts about one cpuidle state, found at open. */
typedef struct plat_cstate {
	char name[16];
	char desc[32];
	uint32_t latency_us;
} plat_cstate;

/* Static facts about one CPU, found at open (or rediscovery). */
typedef struct plat_cpu {
	uint8_t present;
	uint8_t has_online; /* cpuN/online exists: hotplug possible */
	int32_t pkg, die, core;
	/* cpufreq */
	uint8_t has_freq;
	uint8_t has_tis; /* stats/time_in_state */
	uint8_t has_epp;
	char fdir[48]; /* "cpu3/cpufreq" or "cpufreq/policy3" */
	char driver[24];
	char govs[256];  /* scaling_available_governors, trimmed */
	char freqs[512]; /* scaling_available_frequencies, trimmed */
	char epps[256];  /* energy_performance_available_preferences */
	hv_u64 hw_min, hw_max;
	/* ACPI CPPC (acpi_cppc/): static levels, found at discovery */
	uint8_t has_cppc;
	hv_u64 cppc_high, cppc_nom, cppc_low;
	uint32_t cppc_ref_khz, cppc_nom_khz;
	/* cpuidle */
	uint32_t nstate;
	plat_cstate st[HV_CSTATE_MAX];
} plat_cpu;

typedef struct plat_rapl {
	char zone[64]; /* intel-rapl:0:1 */
	char name[32];
	int32_t pkg;
	uint64_t max_range_uj;
	uint8_t has_limit;
} plat_rapl;

/* A hwmon power or energy sensor (hwmon.c). */
typedef struct plat_hwmon {
	char dir[40];   /* "hwmon2", or "hwmon2/device" (legacy layout) */
	char file[24];  /* "energy1_input", "power1_average" */
	char chip[32];  /* the chip's `name` */
	char label[32]; /* *_label, sanitised */
	uint32_t hw;    /* N of hwmonN */
	uint32_t idx;   /* N of energyN / powerN */
	uint8_t kind;   /* enum hv_hwmon_kind */
	uint8_t zone;   /* counted in the host's energy source */
	uint32_t interval_ms;
} plat_hwmon;

/* A kernel u32 error count extended past its wrap (edac.c). */
typedef struct plat_ecount {
	uint64_t ext;  /* extended count */
	uint64_t last; /* last raw value */
	uint8_t seen;
	uint8_t why; /* hv_why of the last read */
} plat_ecount;

typedef struct plat_mccount {
	plat_ecount ce, ue;
} plat_mccount;

typedef struct plat_dimm {
	uint32_t mc, idx;
	uint8_t csrow; /* csrowN/ layout (no dimmN/ dirs) */
	char label[32];
	plat_ecount ce, ue;
} plat_dimm;

struct plat_mce; /* mce.c */

struct hv_plat {
	hv_env env;
	long clk_tck;  /* USER_HZ for /proc/stat, time_in_state */
	uint32_t ncpu; /* highest present id + 1 */
	plat_cpu *cpu;
	char present[256];            /* raw present list, to notice changes */
	int rediscover;               /* a cached CPU file vanished: rescan */
	int rapl_rediscover;          /* a RAPL zone vanished */
	uint32_t cpu_khz;             /* base_frequency of the first CPU */
	char arch[16], cpu_model[64]; /* hv_host_ident, at open */
	uint32_t nrapl;
	plat_rapl *rapl;
	uint32_t nhwmon;
	plat_hwmon *hwmon;
	int hwmon_rediscover; /* a sensor file vanished */
	char hwmon_none[64]; /* chips with no power/energy sensor: "coretemp" */
	uint32_t nmc;        /* EDAC memory controllers */
	uint32_t *mc;        /* their numbers */
	plat_mccount *mcc;   /* their extended counts */
	uint32_t ndimm;      /* EDAC DIMMs or csrows */
	plat_dimm *dimm;
	int edac_rediscover;  /* a count file vanished */
	struct plat_mce *mce; /* machine-check source, NULL when none */
	int stat_fd;          /* /proc/stat kept open for pread */
	char *statbuf;
	size_t statcap;
	int qos_fd;
	int32_t qos_val;
};

/* Build a path under a root from a printf format (hv_env_path with a
 * va_list-free wrapper). */
int plat_path(const hv_plat *p, hv_root root, char *buf, size_t len,
              const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Nanoseconds from USER_HZ ticks, without overflow. */
uint64_t plat_ticks_ns(const hv_plat *p, uint64_t ticks);

/* Read one value, mapping failures to a hv_why: ENOENT -> unsupported (or
 * unavailable when the caller knows the file should exist), EACCES/EPERM/
 * EBUSY -> unavailable, parse errors -> error. */
hv_u64 plat_u64(const char *path, hv_why missing);
hv_why plat_why(int rc, hv_why missing);
int plat_has(const char *path); /* exists (follows symlinks) */
/* Directory entries "<pfx>N" (mc3, hwmon2) -> N (at most 65535), else -1;
 * and the qsort order of such numbers. */
long plat_numbered(const char *name, const char *pfx);
int plat_u32_cmp(const void *a, const void *b);
/* Write val plus '\n', as echo(1) does: every sysfs store takes it, and a
 * fixture file written back by undo keeps its exact bytes. */
int plat_write(const char *path, const char *val, hv_err *err);

/* cpu.c */
int plat_cpu_discover(hv_plat *p, hv_err *err);
void plat_cpu_free(hv_plat *p);
int plat_cpu_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err);
int plat_cpu_online(hv_plat *p, unsigned cpu); /* 1, 0, -1 unknown */
/* procstat.c */
int plat_procstat_sample(hv_plat *p, hv_host *h, hv_err *err);
void plat_procmisc_sample(hv_plat *p, hv_host *h);
/* cpufreq.c */
void plat_cpufreq_discover(hv_plat *p, unsigned cpu);
void plat_cpufreq_sample(hv_plat *p, unsigned cpu, hv_pcpu *pc);
int plat_cpufreq_knob_get(hv_plat *p, unsigned cpu, const char *what, char *val,
                          size_t len, hv_err *err);
int plat_cpufreq_knob_set(hv_plat *p, unsigned cpu, const char *what,
                          const char *val, hv_err *err);
/* cpuidle.c */
void plat_cpuidle_discover(hv_plat *p, unsigned cpu);
void plat_cpuidle_sample(hv_plat *p, unsigned cpu, hv_pcpu *pc);
void plat_cpuidle_global(hv_plat *p, hv_host *h);
int plat_cpuidle_knob_get(hv_plat *p, unsigned cpu, unsigned state, char *val,
                          size_t len, hv_err *err);
int plat_cpuidle_knob_set(hv_plat *p, unsigned cpu, unsigned state,
                          const char *val, hv_err *err);
/* powercap.c */
int plat_rapl_discover(hv_plat *p, hv_err *err);
int plat_rapl_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err);
/* hwmon.c: power and energy sensors, the energy source without RAPL */
int plat_hwmon_discover(hv_plat *p, hv_err *err);
int plat_hwmon_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err);
/* edac.c */
int plat_edac_discover(hv_plat *p, hv_err *err);
void plat_edac_sample(hv_plat *p, hv_snap *s, hv_host *h);
void plat_edac_count(plat_ecount *c, hv_u64 raw); /* extend one read */
/* mce.c: the mce:mce_record tracepoint through perf, per-page state from
 * /proc/kpageflags, and the soft-offline knob (mem/ADDR/offline). */
void plat_mce_open(hv_plat *p);
void plat_mce_close(hv_plat *p);
void plat_mce_sample(hv_plat *p, hv_snap *s);
int plat_mem_knob_get(hv_plat *p, const char *knob, char *val, size_t len,
                      hv_err *err);
int plat_mem_knob_set(hv_plat *p, const char *knob, const char *val,
                      hv_err *err);

#endif
