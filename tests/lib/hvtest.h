/* SPDX-License-Identifier: MIT */
/* hvtest: shared fixture-tree builders for hvkit tests.
 *
 * A fixture "host" is a temp directory with sys/, proc/, dev/ and run/
 * subtrees laid out exactly as the kernel does (formats from
 * docs/arch/platform.md and the kernel docs). Point libhv at it with
 * hvt_host_env() (an hv_env) or hvt_host_setenv() (HVKIT_SYSFS,
 * HVKIT_PROCFS, HVKIT_DEVFS, HVKIT_RUNDIR for child processes such as
 * hvctl). Everything returns 0 or a negative errno; nothing aborts, so
 * wrap calls in assert_int_equal(0, ...).
 *
 * Values written by the builders are deterministic and documented next to
 * each builder so tests can assert exact numbers.
 *
 * Typical use:
 *     hvt_host *h = hvt_host_new("plat");
 *     hvt_build_cpus(h, &(hvt_cpu_opts){.ncpu = 4, .smt = 2});
 *     hvt_build_procstat(h, 4, NULL);
 *     hvt_build_intel_pstate(h, 4);
 *     hv_env env; hvt_host_env(h, &env);
 *     ... hv_plat_open(&env, ...) ...
 *     hvt_host_free(h);               // removes the tree (unless HVT_KEEP=1)
 */
#ifndef HVTEST_H
#define HVTEST_H

#include <limits.h>
#include <stdint.h>

#include "hv/env.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Generic file helpers (root-relative, mkdir -p of parents) ---- */

/* Make a fresh directory /tmp/hvt-<tag>-XXXXXX ($TMPDIR honoured).
 * Returns a malloc'd path (free it) or NULL. */
char *hvt_tmpdir(const char *tag);
/* Write root/relpath with exactly the formatted bytes (no newline added),
 * creating parent directories. */
int hvt_write(const char *root, const char *relpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Remove root/relpath (file, symlink or whole tree). Missing is not an
 * error. */
int hvt_rm(const char *root, const char *relpath);
/* mkdir -p root/relpath. */
int hvt_mkdir(const char *root, const char *relpath);
/* Symlink root/relpath -> target (target taken verbatim, may be relative). */
int hvt_symlink(const char *root, const char *target, const char *relpath);
/* Whole content of root/relpath, malloc'd and NUL-terminated; NULL if
 * missing. */
char *hvt_read(const char *root, const char *relpath);
/* rm -rf path. */
int hvt_rmtree(const char *path);

/* ---- Fixture host ---- */
typedef struct hvt_host {
	char root[PATH_MAX];
	char sys[PATH_MAX];  /* root/sys  -> HVKIT_SYSFS */
	char proc[PATH_MAX]; /* root/proc -> HVKIT_PROCFS */
	char dev[PATH_MAX];  /* root/dev  -> HVKIT_DEVFS */
	char run[PATH_MAX];  /* root/run  -> HVKIT_RUNDIR */
} hvt_host;

hvt_host *hvt_host_new(const char *tag); /* NULL on failure */
void hvt_host_free(hvt_host *h);         /* rm -rf unless HVT_KEEP=1 */
void hvt_host_env(const hvt_host *h, hv_env *env); /* redirected env */
void hvt_host_setenv(const hvt_host *h); /* export HVKIT_* for children */

/* Shorthands: write under h->sys / h->proc / h->dev. */
int hvt_sys(const hvt_host *h, const char *relpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int hvt_proc(const hvt_host *h, const char *relpath, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* ---- Builders (paths relative to sys/ unless noted) ---- */

/* CPUs: devices/system/cpu/{possible,present,online,offline,kernel_max},
 * cpuN/online ("1\n"; cpu0 gets none unless cpu0_online_file, as on
 * x86 >= 6.5), cpuN/topology/{physical_package_id,die_id,core_id,
 * thread_siblings_list,core_cpus_list,package_cpus_list}.
 * Topology: per_pkg = ncpu/npkg; cpu i is in package i/per_pkg, die 0,
 * core (i%per_pkg)/smt; SMT siblings are consecutive ("0-1"). */
typedef struct hvt_cpu_opts {
	unsigned ncpu;        /* logical CPUs (required, <= 1024) */
	unsigned npkg;        /* packages, 0 = 1 */
	unsigned smt;         /* threads per core, 0 = 1 */
	int cpu0_online_file; /* 1: cpu0 has an online file (old kernels) */
} hvt_cpu_opts;
int hvt_build_cpus(const hvt_host *h, const hvt_cpu_opts *o);
/* Mark cpu offline/online: cpuN/online and the online/offline lists. */
int hvt_set_cpu_online(const hvt_host *h, unsigned ncpu, unsigned cpu,
                       int online);

/* /proc/stat times in USER_HZ ticks, kernel field order. */
typedef struct hvt_cputimes {
	uint64_t user, nice, system, idle, iowait, irq, softirq, steal, guest,
	    guest_nice;
} hvt_cputimes;
/* The default pattern used when t == NULL: for cpu c,
 * user=1000+100c nice=10 system=500 idle=20000+1000c iowait=50 irq=5
 * softirq=7 steal=3 guest=200 guest_nice=0 (guest is part of user). */
void hvt_default_cputimes(unsigned cpu, hvt_cputimes *t);
/* proc/stat: "cpu  ..." total line, one "cpuN ..." line per CPU whose
 * online[] is nonzero (online == NULL: all; offline CPUs have no line, as
 * in the kernel), then intr/ctxt/btime/processes/procs_running/
 * procs_blocked/softirq lines. */
int hvt_build_procstat(const hvt_host *h, unsigned ncpu, const hvt_cputimes *t,
                       const uint8_t *online);
/* proc/meminfo (MemTotal 16384000 kB, MemFree 8000000 kB, MemAvailable
 * 12000000 kB, ... the usual lines), proc/uptime "12345.67 23456.78\n",
 * proc/sys/kernel/hostname "fixture-host\n", and pid 1 (systemd: stat,
 * comm, cmdline) as every real /proc has. */
int hvt_build_procmisc(const hvt_host *h);

/* cpufreq, intel_pstate active: devices/system/cpu/cpufreq/policyN/ with
 * cpuN/cpufreq -> ../cpufreq/policyN symlinks. Per CPU c:
 * scaling_driver intel_pstate, scaling_governor powersave,
 * scaling_available_governors "performance powersave",
 * cpuinfo_min_freq 800000, cpuinfo_max_freq 4200000,
 * scaling_min_freq 800000, scaling_max_freq 4200000,
 * scaling_cur_freq 1800000+1000c, cpuinfo_transition_latency 4294967295,
 * energy_performance_preference "balance_performance",
 * energy_performance_available_preferences
 *   "default performance balance_performance balance_power power \n"
 * (trailing space, as the kernel prints it), affected_cpus/related_cpus
 * "c". No stats/ directory. Also intel_pstate/{status,no_turbo,...}. */
int hvt_build_intel_pstate(const hvt_host *h, unsigned ncpu);

/* cpufreq, acpi-cpufreq with stats: policyN as above, driver
 * acpi-cpufreq, governor ondemand, governors "conservative ondemand
 * userspace powersave performance schedutil", frequencies
 * "2400000 2000000 1600000 1200000 " (trailing space), cpuinfo 1200000..
 * 2400000, scaling_min 1200000, scaling_max 2400000, scaling_cur 2000000,
 * stats/time_in_state "2400000 <100+c>\n2000000 200\n1600000 300\n
 * 1200000 400\n" (10 ms units), stats/total_trans "42\n". No EPP files. */
int hvt_build_acpi_cpufreq(const hvt_host *h, unsigned ncpu);

/* cpuidle, intel_idle: cpuidle/{current_driver "intel_idle",
 * current_governor "menu", current_governor_ro "menu",
 * available_governors "ladder menu teo "}, and per CPU c states
 *   0 POLL "CPUIDLE CORE POLL IDLE" latency 0 residency 0
 *   1 C1   "MWAIT 0x00"             latency 2 residency 2
 *   2 C1E  "MWAIT 0x01"             latency 10 residency 20
 *   3 C6   "MWAIT 0x20"             latency 133 residency 400
 * with usage = 100*(k+1)+c, time = 1000000*(k+1)+c (µs), disable 0,
 * default_status enabled, above/below/rejected 0, power 0. */
int hvt_build_intel_idle(const hvt_host *h, unsigned ncpu);
/* cpuidle, cpuidle-haltpoll (a KVM guest, like this CI machine): driver
 * and governor "haltpoll"; states 0 POLL (latency 0), 1 "haltpoll idle"
 * "default architecture idle" (latency 1, residency 1); usage and time as
 * above. */
int hvt_build_haltpoll(const hvt_host *h, unsigned ncpu);

/* powercap RAPL, the kernel's layout: devices/virtual/powercap/intel-rapl/
 * {enabled}, intel-rapl:P/ (name "package-P", energy_uj 1000000*(P+1),
 * max_energy_range_uj 262143328850, constraint_0_name long_term,
 * constraint_0_power_limit_uw 95000000, constraint_1_name short_term,
 * constraint_1_power_limit_uw 120000000, enabled 1) and subzones
 * intel-rapl:P:0 "core" (energy 500000*(P+1)) and, when dram,
 * intel-rapl:P:1 "dram" (energy 200000*(P+1), max range 65532610987),
 * each symlinked from class/powercap/<zone> as in the kernel.
 * amd = 1: no dram, no constraint files (AMD Fam17h+). */
int hvt_build_rapl(const hvt_host *h, unsigned npkg, int dram, int amd);
/* Set a zone's energy_uj ("intel-rapl:0", "intel-rapl:0:1"). */
int hvt_rapl_set_energy(const hvt_host *h, const char *zone, uint64_t uj);

/* EDAC: devices/system/edac/mc/mcN/{ce_count,ue_count,mc_name} with
 * ce_count = ce[N]. */
int hvt_build_edac(const hvt_host *h, unsigned nmc, const uint64_t *ce);

/* dev/cpu_dma_latency as a plain file: writes land in it, so a test can
 * read back the binary s32. */
int hvt_build_devqos(const hvt_host *h);

/* Everything for a typical Intel KVM host: ncpu CPUs in npkg packages with
 * SMT 2 (if ncpu is even), cpu0 without online file, procstat default
 * pattern, procmisc, intel_pstate, intel_idle, RAPL with dram, EDAC with
 * 2 controllers (ce 3 and 4), devqos. */
int hvt_build_intel_host(const hvt_host *h, unsigned ncpu, unsigned npkg);

/* arm64 hosts (hvtest_arm64.c): CPUs as hvt_build_cpus with cpu0's online
 * file (arm64 has one), die_id -1, cpuN/regs/identification/{midr_el1,
 * revidr_el1}, an arm64 proc/cpuinfo (CPU implementer/variant/part/
 * revision, no model name), proc/sys/kernel/arch "aarch64", procstat and
 * procmisc. No powercap, hwmon or EDAC. Then by kind:
 *   VIRT  QEMU virt, -cpu max (MIDR 0x000f0510): no cpufreq directory,
 *         cpuidle/current_driver "none" and no cpuN/cpuidle.
 *   CPPC  ACPI server, Neoverse-N1 r3p1 (0x413fd0c1): cppc_cpufreq, one
 *         policy per CPU (cpuinfo 1000000..3000000, cur 2800000+policy, no
 *         table, no stats), cpuN/acpi_cppc {highest_perf 3000,
 *         nominal_perf 3000, lowest_nonlinear_perf 1500, lowest_perf 1000,
 *         nominal_freq 3000 (MHz), lowest_freq 1000, reference_perf 25,
 *         wraparound_time, feedback_ctrs "ref:1000000 del:120000000"};
 *         psci_idle states WFI (1 us), cpu-sleep (150), cluster-sleep
 *         (1200), usage/time as hvt_build_intel_idle.
 *   SCMI  device-tree board, Cortex-A57 r1p0 (0x411fd070): scmi cpufreq,
 *         a policy per two-CPU cluster (policy0: cpus 0-1, policy2: 2-3),
 *         OPPs 600000 1000000 1500000 2000000 with stats; psci_idle. */
typedef enum hvt_arm_kind {
	HVT_ARM_VIRT = 0,
	HVT_ARM_CPPC,
	HVT_ARM_SCMI,
} hvt_arm_kind;
int hvt_build_arm64_host(const hvt_host *h, unsigned ncpu, hvt_arm_kind kind);
/* Set cpuN/acpi_cppc/feedback_ctrs. */
int hvt_cppc_set_feedback(const hvt_host *h, unsigned cpu, uint64_t ref,
                          uint64_t del);

/* hwmon chips (hvtest_hwmon.c) as hwmonN, in their drivers' layouts:
 *   SCMI         scmi_sensors: temp1 "soc" 45000; energy1 "cluster0"
 *                1000000, energy2 "cluster1" 2000000 (uJ); power1 "sys"
 *                3500000 (uW).
 *   POWER_METER  acpi_power_meter, legacy layout (everything, name too,
 *                in hwmonN/device/): power1_average 245000000,
 *                power1_average_interval 1000, _min 1000, _max 60000,
 *                power1_accuracy "95.0%", is_battery 0, empty model/oem/
 *                serial strings.
 *   XGENE        apm_xgene: temp1 "SoC Temperature" 41000, power1 "CPU
 *                power" 12000000, power2 "IO power" 3000000.
 *   AMD_ENERGY   amd_energy: energy1 "Ecore000" 100000000, energy2
 *                "Ecore001" 200000000, energy3 "Esocket0" 500000000.
 *   TEMP         name (default "coretemp"): temp1_input 52000 only.
 * Every chip has uevent, power/ (runtime PM) and a device link. */
typedef enum hvt_hwmon_kind {
	HVT_HWMON_SCMI = 0,
	HVT_HWMON_POWER_METER,
	HVT_HWMON_XGENE,
	HVT_HWMON_AMD_ENERGY,
	HVT_HWMON_TEMP,
} hvt_hwmon_kind;
int hvt_build_hwmon(const hvt_host *h, unsigned n, hvt_hwmon_kind kind,
                    const char *name);
/* Write class/hwmon/hwmonN/<file> ("energy1_input", "device/name"). */
int hvt_hwmon_set(const hvt_host *h, unsigned n, const char *file,
                  const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* ---- Daemons under test (hv-powerd, hv-webd ...) ---- */

/* Start argv[0] with argv, stderr appended to log: the child dies with the
 * test (PR_SET_PDEATHSIG), so a failed assertion or a timeout leaves no
 * orphan daemon. Returns the pid, or a negative errno. */
int hvt_spawn(char *const argv[], const char *log);
/* Stop pid if it still runs (signal sig, SIGKILL after 5 s), reap it and
 * return its wait status; -1 if it was not ours or already reaped. */
int hvt_reap(int pid, int sig);
/* Sleep ms milliseconds. */
void hvt_nap_ms(unsigned ms);

#ifdef __cplusplus
}
#endif
#endif
