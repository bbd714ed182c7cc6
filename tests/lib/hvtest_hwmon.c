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

/* A chip: its parent device, name (NULL: the legacy layout, name among
 * the files) and files, each "file", "value" as the driver prints it. */
typedef struct kv {
	const char *file, *val;
} kv;
typedef struct chipdef {
	const char *parent, *name;
	const kv *files;
} chipdef;

/* scmi-hwmon: labels are the firmware's sensor names (these are
 * illustrative); energy in uJ, power in uW, temperature in m°C. */
static const kv scmi_files[] = {{"temp1_input", "45000\n"},
                                {"temp1_label", "soc\n"},
                                {"energy1_input", "1000000\n"},
                                {"energy1_label", "cluster0\n"},
                                {"energy2_input", "2000000\n"},
                                {"energy2_label", "cluster1\n"},
                                {"power1_input", "3500000\n"},
                                {"power1_label", "sys\n"},
                                {NULL, NULL}};
/* acpi_power_meter: hwmon_device_register() on the ACPI device with no
 * name; every attribute, `name` too, is the ACPI device's (hwmonN/device/). */
static const kv meter_files[] = {
    {"device/name", "power_meter\n"},
    {"device/power1_average", "245000000\n"},
    {"device/power1_average_interval", "1000\n"},
    {"device/power1_average_interval_min", "1000\n"},
    {"device/power1_average_interval_max", "60000\n"},
    {"device/power1_accuracy", "95.0%\n"},
    {"device/power1_is_battery", "0\n"},
    {"device/power1_model_number", "\n"},
    {"device/power1_oem_info", "\n"},
    {"device/power1_serial_number", "\n"},
    {"device/power/control", "auto\n"},
    {NULL, NULL}};
/* xgene-hwmon (APM X-Gene, SLIMpro or PCC mailbox): "apm_xgene". */
static const kv xgene_files[] = {
    {"temp1_input", "41000\n"},      {"temp1_label", "SoC Temperature\n"},
    {"temp1_critical_alarm", "0\n"}, {"power1_input", "12000000\n"},
    {"power1_label", "CPU power\n"}, {"power2_input", "3000000\n"},
    {"power2_label", "IO power\n"},  {NULL, NULL}};
/* amd_energy (out of tree since 5.13; AMD Fam17h+ without RAPL):
 * energyN_input per core "Ecore000".., then per socket "Esocket0";
 * root-only files (0400) on a real host. */
static const kv amd_files[] = {{"energy1_input", "100000000\n"},
                               {"energy1_label", "Ecore000\n"},
                               {"energy2_input", "200000000\n"},
                               {"energy2_label", "Ecore001\n"},
                               {"energy3_input", "500000000\n"},
                               {"energy3_label", "Esocket0\n"},
                               {NULL, NULL}};
/* A temperature-only chip (coretemp, nvme, cpu_thermal...). */
static const kv temp_files[] = {{"temp1_input", "52000\n"},
                                {"temp1_label", "Package id 0\n"},
                                {"temp1_crit", "100000\n"},
                                {NULL, NULL}};

static const chipdef chips[] = {
    [HVT_HWMON_SCMI] = {"platform/firmware:scmi/scmi_dev.4", "scmi_sensors",
                        scmi_files},
    [HVT_HWMON_POWER_METER] = {"LNXSYSTM:00/LNXSYBUS:00/ACPI000D:00", NULL,
                               meter_files},
    [HVT_HWMON_XGENE] = {"platform/APMC0D29:00", "apm_xgene", xgene_files},
    [HVT_HWMON_AMD_ENERGY] = {"platform/amd_energy.0", "amd_energy", amd_files},
    [HVT_HWMON_TEMP] = {NULL, NULL, temp_files},
};

int hvt_build_hwmon(const hvt_host *h, unsigned n, hvt_hwmon_kind kind,
                    const char *name)
{
	const chipdef *d =
	    &chips[kind <= HVT_HWMON_TEMP ? kind : HVT_HWMON_TEMP];
	char parent[64];
	int rc;

	if (kind == HVT_HWMON_TEMP || !d->parent) {
		snprintf(parent, sizeof(parent), "platform/%s.0",
		         name ? name : "coretemp");
		rc = chip(h, n, parent, name ? name : "coretemp");
	} else {
		rc = chip(h, n, d->parent, d->name);
	}
	for (const kv *f = d->files; !rc && f->file; f++)
		rc = hvt_hwmon_set(h, n, f->file, "%s", f->val);
	return rc;
}
