/* SPDX-License-Identifier: MIT */
/* Fixture trees of arm64 hosts, in the layouts their kernels (6.1) give:
 * QEMU's virt board (no cpufreq, no cpuidle states), an ACPI server under
 * cppc_cpufreq with psci_idle states (Ampere Altra class, Neoverse-N1), and
 * a device-tree board under the scmi cpufreq driver with per-cluster
 * policies and an OPP table. */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include "hvtest.h"

#define CPUDIR "devices/system/cpu"

static uint32_t arm_midr(hvt_arm_kind k)
{
	switch (k) {
	case HVT_ARM_CPPC:
		return 0x413fd0c1; /* ARM Neoverse-N1 r3p1 */
	case HVT_ARM_SCMI:
		return 0x411fd070; /* ARM Cortex-A57 r1p0 */
	default:
		return 0x000f0510; /* QEMU -cpu max: implementer 0 */
	}
}

/* arm64 /proc/cpuinfo: no "model name", the MIDR in five lines. */
static int arm_cpuinfo(const hvt_host *h, unsigned ncpu, uint32_t midr)
{
	char buf[32768];
	size_t o = 0;

	for (unsigned c = 0; c < ncpu && o < sizeof(buf) - 512; c++)
		o += (size_t)snprintf(
		    buf + o, sizeof(buf) - o,
		    "processor\t: %u\nBogoMIPS\t: 50.00\nFeatures\t: fp asimd "
		    "evtstrm aes pmull sha1 sha2 crc32 atomics fphp asimdhp "
		    "cpuid asimdrdm lrcpc dcpop asimddp ssbs\nCPU implementer"
		    "\t: 0x%02x\nCPU architecture: 8\nCPU variant\t: 0x%x\n"
		    "CPU part\t: 0x%03x\nCPU revision\t: %u\n\n",
		    c, midr >> 24, (midr >> 20) & 0xf, (midr >> 4) & 0xfff,
		    midr & 0xf);
	return hvt_proc(h, "cpuinfo", "%s", buf);
}

#define SYS(...)                                    \
	do {                                        \
		if ((rc = hvt_sys(h, __VA_ARGS__))) \
			return rc;                  \
	} while (0)

static int psci_idle(const hvt_host *h, unsigned ncpu)
{
	static const struct {
		const char *name, *desc;
		unsigned lat, res;
	} st[] = {{"WFI", "ARM WFI", 1, 1},
	          {"cpu-sleep", "cpu-sleep", 150, 2000},
	          {"cluster-sleep", "cluster-sleep", 1200, 6500}};
	char rel[PATH_MAX];
	int rc;

	SYS(CPUDIR "/cpuidle/current_driver", "psci_idle\n");
	SYS(CPUDIR "/cpuidle/current_governor", "menu\n");
	SYS(CPUDIR "/cpuidle/current_governor_ro", "menu\n");
	SYS(CPUDIR "/cpuidle/available_governors", "ladder menu teo \n");
	for (unsigned c = 0; c < ncpu; c++)
		for (unsigned k = 0; k < 3; k++) {
#define ST(file, ...)                                                          \
	do {                                                                   \
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/cpuidle/state%u/%s", \
		         c, k, file);                                          \
		SYS(rel, __VA_ARGS__);                                         \
	} while (0)
			ST("name", "%s\n", st[k].name);
			ST("desc", "%s\n", st[k].desc);
			ST("latency", "%u\n", st[k].lat);
			ST("residency", "%u\n", st[k].res);
			ST("usage", "%u\n", 100 * (k + 1) + c);
			ST("time", "%u\n", 1000000 * (k + 1) + c);
			ST("disable", "0\n");
			ST("default_status", "enabled\n");
			ST("above", "0\n");
			ST("below", "0\n");
			ST("rejected", "0\n");
			ST("power", "0\n");
#undef ST
		}
	return 0;
}

static int policy(const hvt_host *h, unsigned pol, unsigned first,
                  unsigned last, const char *driver)
{
	char rel[PATH_MAX];
	int rc;
#define PF(file, ...)                                                          \
	do {                                                                   \
		snprintf(rel, sizeof(rel), CPUDIR "/cpufreq/policy%u/%s", pol, \
		         file);                                                \
		SYS(rel, __VA_ARGS__);                                         \
	} while (0)
	PF("scaling_driver", "%s\n", driver);
	PF("scaling_governor", "schedutil\n");
	PF("scaling_available_governors", "conservative ondemand userspace "
	                                  "powersave performance schedutil\n");
	PF("affected_cpus", first == last ? "%u\n" : "%u-%u\n", first, last);
	PF("related_cpus", first == last ? "%u\n" : "%u-%u\n", first, last);
	if (driver[0] == 'c') { /* cppc_cpufreq: no table, no stats */
		PF("cpuinfo_min_freq", "1000000\n");
		PF("cpuinfo_max_freq", "3000000\n");
		PF("scaling_min_freq", "1000000\n");
		PF("scaling_max_freq", "3000000\n");
		PF("scaling_cur_freq", "%u\n", 2800000 + pol * 1000);
		PF("cpuinfo_transition_latency", "0\n");
	} else { /* scmi: the OPP table */
		PF("cpuinfo_min_freq", "600000\n");
		PF("cpuinfo_max_freq", "2000000\n");
		PF("scaling_min_freq", "600000\n");
		PF("scaling_max_freq", "2000000\n");
		PF("scaling_cur_freq", "1500000\n");
		PF("cpuinfo_transition_latency", "250000\n");
		PF("scaling_available_frequencies",
		   "600000 1000000 1500000 2000000 \n");
		PF("stats/time_in_state",
		   "600000 100\n1000000 200\n1500000 300\n2000000 400\n");
		PF("stats/total_trans", "17\n");
	}
#undef PF
	for (unsigned c = first; c <= last; c++) {
		char tgt[32];
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/cpufreq", c);
		snprintf(tgt, sizeof(tgt), "../cpufreq/policy%u", pol);
		if ((rc = hvt_symlink(h->sys, tgt, rel)))
			return rc;
	}
	return 0;
}

static int cppc(const hvt_host *h, unsigned ncpu)
{
	char rel[PATH_MAX];
	int rc;

	for (unsigned c = 0; c < ncpu; c++) {
#define CP(file, ...)                                                       \
	do {                                                                \
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/acpi_cppc/%s", c, \
		         file);                                             \
		SYS(rel, __VA_ARGS__);                                      \
	} while (0)
		CP("highest_perf", "3000\n");
		CP("nominal_perf", "3000\n");
		CP("lowest_nonlinear_perf", "1500\n");
		CP("lowest_perf", "1000\n");
		CP("nominal_freq", "3000\n");
		CP("lowest_freq", "1000\n");
		CP("reference_perf", "25\n");
		CP("wraparound_time", "18446744073709551615\n");
		CP("feedback_ctrs", "ref:1000000 del:120000000\n");
#undef CP
		if ((rc = policy(h, c, c, c, "cppc_cpufreq")))
			return rc;
	}
	return 0;
}

int hvt_build_arm64_host(const hvt_host *h, unsigned ncpu, hvt_arm_kind kind)
{
	hvt_cpu_opts o = {.ncpu = ncpu, .cpu0_online_file = 1};
	uint32_t midr = arm_midr(kind);
	char rel[PATH_MAX];
	int rc;

	if (ncpu == 0 || ncpu > 64 || (kind == HVT_ARM_SCMI && ncpu % 2))
		return -EINVAL;
	if ((rc = hvt_build_cpus(h, &o)) ||
	    (rc = hvt_build_procstat(h, ncpu, NULL, NULL)) ||
	    (rc = hvt_build_procmisc(h)) || (rc = arm_cpuinfo(h, ncpu, midr)) ||
	    (rc = hvt_proc(h, "sys/kernel/arch", "aarch64\n")))
		return rc;
	for (unsigned c = 0; c < ncpu; c++) {
		/* arm64 has no dies: the kernel's default -1. */
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/topology/die_id", c);
		SYS(rel, "-1\n");
		snprintf(rel, sizeof(rel),
		         CPUDIR "/cpu%u/regs/identification/midr_el1", c);
		SYS(rel, "0x%016x\n", midr);
		snprintf(rel, sizeof(rel),
		         CPUDIR "/cpu%u/regs/identification/revidr_el1", c);
		SYS(rel, "0x0000000000000000\n");
	}
	switch (kind) {
	case HVT_ARM_VIRT:
		/* No cpufreq directory at all; cpuidle without states. */
		SYS(CPUDIR "/cpuidle/current_driver", "none\n");
		SYS(CPUDIR "/cpuidle/current_governor_ro", "menu\n");
		return 0;
	case HVT_ARM_CPPC:
		if ((rc = cppc(h, ncpu)))
			return rc;
		return psci_idle(h, ncpu);
	case HVT_ARM_SCMI:
		/* Two-CPU clusters share a policy named after their first. */
		for (unsigned c = 0; c < ncpu; c += 2)
			if ((rc = policy(h, c, c, c + 1, "scmi")))
				return rc;
		return psci_idle(h, ncpu);
	}
	return -EINVAL;
}

int hvt_cppc_set_feedback(const hvt_host *h, unsigned cpu, uint64_t ref,
                          uint64_t del)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/acpi_cppc/feedback_ctrs",
	         cpu);
	return hvt_sys(h, rel, "ref:%llu del:%llu\n", (unsigned long long)ref,
	               (unsigned long long)del);
}
