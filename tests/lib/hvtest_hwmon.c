/* SPDX-License-Identifier: MIT */
/* hwmon chips in the layouts their drivers give (kernel 6.1): each chip's
 * directory is under devices/ with `uevent`, `subsystem`-less `power/`
 * (runtime PM, which every device has) and a `device` link to its parent;
 * class/hwmon/hwmonN links to it. Values as the drivers print them:
 * decimal with a newline, microjoules and microwatts. */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "hvtest.h"

#define SYS(...)                                    \
	do {                                        \
		if ((rc = hvt_sys(h, __VA_ARGS__))) \
			return rc;                  \
	} while (0)

/* devices/<parent>/hwmon/hwmonN with the files every device has, linked
 * from class/hwmon/hwmonN; name written unless NULL (legacy layout). */
static int chip(const hvt_host *h, unsigned n, const char *parent,
                const char *name)
{
	char rel[PATH_MAX], tgt[PATH_MAX];
	int rc;

	snprintf(rel, sizeof(rel), "devices/%s/hwmon/hwmon%u/uevent", parent,
	         n);
	SYS(rel, "\n");
	snprintf(rel, sizeof(rel), "devices/%s/hwmon/hwmon%u/power/control",
	         parent, n);
	SYS(rel, "auto\n");
	snprintf(rel, sizeof(rel),
	         "devices/%s/hwmon/hwmon%u/power/runtime_status", parent, n);
	SYS(rel, "unsupported\n");
	snprintf(rel, sizeof(rel), "devices/%s/hwmon/hwmon%u/device", parent,
	         n);
	if ((rc = hvt_symlink(h->sys, "../../", rel)))
		return rc;
	if (name) {
		snprintf(rel, sizeof(rel), "devices/%s/hwmon/hwmon%u/name",
		         parent, n);
		SYS(rel, "%s\n", name);
	}
	snprintf(tgt, sizeof(tgt), "../../devices/%s/hwmon/hwmon%u", parent, n);
	snprintf(rel, sizeof(rel), "class/hwmon/hwmon%u", n);
	return hvt_symlink(h->sys, tgt, rel);
}

int hvt_hwmon_set(const hvt_host *h, unsigned n, const char *file,
                  const char *fmt, ...)
{
	char rel[PATH_MAX], val[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(val, sizeof(val), fmt, ap);
	va_end(ap);
	snprintf(rel, sizeof(rel), "class/hwmon/hwmon%u/%s", n, file);
	return hvt_sys(h, rel, "%s", val);
}

#define F(file, ...)                                               \
	do {                                                       \
		if ((rc = hvt_hwmon_set(h, n, file, __VA_ARGS__))) \
			return rc;                                 \
	} while (0)

/* scmi-hwmon: labels are the firmware's sensor names (these are
 * illustrative); energy in uJ, power in uW, temperature in m°C. */
static int scmi(const hvt_host *h, unsigned n)
{
	int rc;

	if ((rc = chip(h, n, "platform/firmware:scmi/scmi_dev.4",
	               "scmi_sensors")))
		return rc;
	F("temp1_input", "45000\n");
	F("temp1_label", "soc\n");
	F("energy1_input", "1000000\n");
	F("energy1_label", "cluster0\n");
	F("energy2_input", "2000000\n");
	F("energy2_label", "cluster1\n");
	F("power1_input", "3500000\n");
	F("power1_label", "sys\n");
	return 0;
}

/* acpi_power_meter: hwmon_device_register() on the ACPI device with no
 * name; every attribute, `name` too, is the ACPI device's (hwmonN/device/). */
static int power_meter(const hvt_host *h, unsigned n)
{
	int rc;

	if ((rc = chip(h, n, "LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00", NULL)))
		return rc;
	F("device/name", "power_meter\n");
	F("device/power1_average", "245000000\n");
	F("device/power1_average_interval", "1000\n");
	F("device/power1_average_interval_min", "1000\n");
	F("device/power1_average_interval_max", "60000\n");
	F("device/power1_accuracy", "95.0%%\n");
	F("device/power1_is_battery", "0\n");
	F("device/power1_model_number", "\n");
	F("device/power1_oem_info", "\n");
	F("device/power1_serial_number", "\n");
	F("device/power/control", "auto\n");
	return 0;
}

/* xgene-hwmon (APM X-Gene, SLIMpro or PCC mailbox): "apm_xgene". */
static int xgene(const hvt_host *h, unsigned n)
{
	int rc;

	if ((rc = chip(h, n, "platform/APMC0D29:00", "apm_xgene")))
		return rc;
	F("temp1_input", "41000\n");
	F("temp1_label", "SoC Temperature\n");
	F("temp1_critical_alarm", "0\n");
	F("power1_input", "12000000\n");
	F("power1_label", "CPU power\n");
	F("power2_input", "3000000\n");
	F("power2_label", "IO power\n");
	return 0;
}

/* amd_energy (out of tree since 5.13; AMD Fam17h+ without RAPL):
 * energyN_input per core "Ecore000".., then per socket "Esocket0";
 * root-only files (0400) on a real host. */
static int amd_energy(const hvt_host *h, unsigned n)
{
	int rc;

	if ((rc = chip(h, n, "platform/amd_energy.0", "amd_energy")))
		return rc;
	F("energy1_input", "100000000\n");
	F("energy1_label", "Ecore000\n");
	F("energy2_input", "200000000\n");
	F("energy2_label", "Ecore001\n");
	F("energy3_input", "500000000\n");
	F("energy3_label", "Esocket0\n");
	return 0;
}

/* A temperature-only chip (coretemp, nvme, cpu_thermal...). */
static int temp_only(const hvt_host *h, unsigned n, const char *name)
{
	char parent[64];
	int rc;

	snprintf(parent, sizeof(parent), "platform/%s.0", name);
	if ((rc = chip(h, n, parent, name)))
		return rc;
	F("temp1_input", "52000\n");
	F("temp1_label", "Package id 0\n");
	F("temp1_crit", "100000\n");
	return 0;
}

int hvt_build_hwmon(const hvt_host *h, unsigned n, hvt_hwmon_kind kind,
                    const char *name)
{
	switch (kind) {
	case HVT_HWMON_SCMI:
		return scmi(h, n);
	case HVT_HWMON_POWER_METER:
		return power_meter(h, n);
	case HVT_HWMON_XGENE:
		return xgene(h, n);
	case HVT_HWMON_AMD_ENERGY:
		return amd_energy(h, n);
	default:
		return temp_only(h, n, name ? name : "coretemp");
	}
}
