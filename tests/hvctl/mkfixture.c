/* SPDX-License-Identifier: MIT */
/* hvt-mkfixture KIND NCPU: build a fixture host with the hvtest builders
 * and print its root (sys/, proc/, dev/, run/ below it). For script tests;
 * the caller removes the tree. KIND: intel (intel_pstate, intel_idle,
 * RAPL, EDAC), acpi (acpi-cpufreq with stats, haltpoll, cpu0 online
 * file, no RAPL), acpi-meter (acpi plus an ACPI power meter on hwmon0),
 * arm64-virt, arm64-cppc, arm64-hwmon (arm64-virt plus scmi_sensors on
 * hwmon0 and a temperature-only cpu_thermal on hwmon1). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hvtest.h"

int main(int argc, char **argv)
{
	hvt_host *h;
	unsigned n;
	int rc;

	if (argc != 3 || (n = (unsigned)atoi(argv[2])) == 0) {
		fprintf(stderr, "usage: hvt-mkfixture "
		                "intel|acpi|acpi-meter|arm64-virt|arm64-cppc|"
		                "arm64-hwmon NCPU\n");
		return 2;
	}
	h = hvt_host_new("hvctl");
	if (!h)
		return 1;
	if (!strcmp(argv[1], "intel")) {
		rc = hvt_build_intel_host(h, n, 1);
	} else if (!strcmp(argv[1], "acpi") || !strcmp(argv[1], "acpi-meter")) {
		rc = hvt_build_cpus(
		    h, &(hvt_cpu_opts){.ncpu = n, .cpu0_online_file = 1});
		if (!rc)
			rc = hvt_build_procstat(h, n, NULL, NULL);
		if (!rc)
			rc = hvt_build_procmisc(h);
		if (!rc)
			rc = hvt_build_acpi_cpufreq(h, n);
		if (!rc)
			rc = hvt_build_haltpoll(h, n);
		if (!rc)
			rc = hvt_build_devqos(h);
		if (!rc && !strcmp(argv[1], "acpi-meter"))
			rc = hvt_build_hwmon(h, 0, HVT_HWMON_POWER_METER, NULL);
	} else if (!strcmp(argv[1], "arm64-virt")) {
		rc = hvt_build_arm64_host(h, n, HVT_ARM_VIRT);
	} else if (!strcmp(argv[1], "arm64-cppc")) {
		rc = hvt_build_arm64_host(h, n, HVT_ARM_CPPC);
	} else if (!strcmp(argv[1], "arm64-hwmon")) {
		rc = hvt_build_arm64_host(h, n, HVT_ARM_VIRT);
		if (!rc)
			rc = hvt_build_hwmon(h, 0, HVT_HWMON_SCMI, NULL);
		if (!rc)
			rc = hvt_build_hwmon(h, 1, HVT_HWMON_TEMP,
			                     "cpu_thermal");
	} else {
		fprintf(stderr, "hvt-mkfixture: unknown kind %s\n", argv[1]);
		rc = -1;
	}
	if (rc) {
		fprintf(stderr, "hvt-mkfixture: build failed (%d)\n", rc);
		hvt_rmtree(h->root);
		free(h);
		return 1;
	}
	printf("%s\n", h->root);
	free(h); /* keep the tree */
	return 0;
}
