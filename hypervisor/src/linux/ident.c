/* SPDX-License-Identifier: MIT */
/* Host identification: the kernel's architecture and the CPU model, from
 * /proc/cpuinfo's "model name" (x86) or the ARM Main ID Register, MIDR_EL1
 * (sysfs cpuN/regs/identification/midr_el1, else cpuinfo's "CPU
 * implementer/variant/part/revision" lines; arm64 cpuinfo has no model
 * name). */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>

#include "hv/platform.h"
#include "hv/sysio.h"

/* Implementers and parts as the Arm ARM and the kernel's cputype.h name
 * them; an unknown one is shown by number. */
static const struct {
	uint8_t impl;
	const char *name;
} impls[] = {
    {0x41, "ARM"},     {0x42, "Broadcom"},  {0x43, "Cavium"},
    {0x46, "Fujitsu"}, {0x48, "HiSilicon"}, {0x4e, "NVIDIA"},
    {0x50, "APM"},     {0x51, "Qualcomm"},  {0x61, "Apple"},
    {0xc0, "Ampere"},
};

static const struct {
	uint8_t impl;
	uint16_t part;
	const char *name;
} parts[] = {
    {0x41, 0xd03, "Cortex-A53"},  {0x41, 0xd04, "Cortex-A35"},
    {0x41, 0xd05, "Cortex-A55"},  {0x41, 0xd07, "Cortex-A57"},
    {0x41, 0xd08, "Cortex-A72"},  {0x41, 0xd09, "Cortex-A73"},
    {0x41, 0xd0a, "Cortex-A75"},  {0x41, 0xd0b, "Cortex-A76"},
    {0x41, 0xd0c, "Neoverse-N1"}, {0x41, 0xd0d, "Cortex-A77"},
    {0x41, 0xd40, "Neoverse-V1"}, {0x41, 0xd41, "Cortex-A78"},
    {0x41, 0xd49, "Neoverse-N2"}, {0x41, 0xd4f, "Neoverse-V2"},
    {0x41, 0xd8e, "Neoverse-N3"}, {0x43, 0x0af, "ThunderX2"},
    {0x46, 0x001, "A64FX"},       {0x48, 0xd01, "Kunpeng-920"},
    {0x4e, 0x004, "Carmel"},      {0x50, 0x000, "X-Gene"},
    {0x51, 0xc00, "Falkor"},      {0xc0, 0xac3, "AmpereOne"},
};

void hv_midr_name(uint32_t midr, char *buf, size_t len)
{
	uint8_t impl = (uint8_t)(midr >> 24);
	unsigned variant = (midr >> 20) & 0xf, rev = midr & 0xf;
	uint16_t part = (uint16_t)((midr >> 4) & 0xfff);
	const char *in = NULL, *pn = NULL;

	for (size_t i = 0; i < sizeof(impls) / sizeof(impls[0]); i++)
		if (impls[i].impl == impl)
			in = impls[i].name;
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i].impl == impl && parts[i].part == part)
			pn = parts[i].name;
	if (in && pn)
		snprintf(buf, len, "%s %s r%up%u", in, pn, variant, rev);
	else if (in)
		snprintf(buf, len, "%s part 0x%03x r%up%u", in, part, variant,
		         rev);
	else
		snprintf(buf, len, "implementer 0x%02x part 0x%03x r%up%u",
		         impl, part, variant, rev);
}

/* The value after "key\t: " on the first line starting with key. */
static int cpuinfo_field(const char *buf, const char *key, char *out,
                         size_t len)
{
	size_t kl = strlen(key);

	for (const char *l = buf; l && *l;
	     l = strchr(l, '\n'), l = l ? l + 1 : l) {
		const char *c, *nl;

		if (strncmp(l, key, kl) ||
		    (l[kl] != '\t' && l[kl] != ' ' && l[kl] != ':'))
			continue;
		c = strchr(l, ':');
		nl = strchr(l, '\n');
		if (!c || (nl && c > nl))
			continue;
		c++;
		while (*c == ' ' || *c == '\t')
			c++;
		snprintf(out, len, "%.*s",
		         (int)(nl ? (size_t)(nl - c) : strlen(c)), c);
		return 0;
	}
	return -ENOENT;
}

/* MIDR from cpuinfo's four lines (strtoul base 0 takes "0x41" and "1"). */
static int cpuinfo_midr(const char *buf, uint32_t *midr)
{
	static const struct {
		const char *key;
		unsigned shift;
		unsigned long max;
	} f[] = {{"CPU implementer", 24, 0xff},
	         {"CPU variant", 20, 0xf},
	         {"CPU part", 4, 0xfff},
	         {"CPU revision", 0, 0xf}};
	uint32_t m = 0xfu << 16; /* architecture: "by ID registers" */

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		char v[32], *end;
		unsigned long x;

		if (cpuinfo_field(buf, f[i].key, v, sizeof(v)))
			return -ENOENT;
		errno = 0;
		x = strtoul(v, &end, 0);
		if (errno || end == v || x > f[i].max)
			return -EINVAL;
		m |= (uint32_t)x << f[i].shift;
	}
	*midr = m;
	return 0;
}

/* MIDR of the first CPU that has the sysfs register file. */
static int sysfs_midr(const hv_env *env, uint32_t *midr)
{
	for (unsigned cpu = 0; cpu < 8; cpu++) {
		char p[PATH_MAX], raw[32];
		uint64_t v;

		if (hv_env_path(env, HV_ROOT_SYS, p, sizeof(p),
		                "devices/system/cpu/cpu%u/regs/identification/"
		                "midr_el1",
		                cpu))
			return -ENAMETOOLONG;
		/* "0x00000000413fd0c1" */
		if (hv_read_str(p, raw, sizeof(raw), NULL) == 0 &&
		    hv_parse_hex64(raw, &v) == 0 && v <= UINT32_MAX) {
			*midr = (uint32_t)v;
			return 0;
		}
	}
	return -ENOENT;
}

void hv_host_ident(const hv_env *env, char *arch, size_t alen, char *model,
                   size_t mlen)
{
	char p[PATH_MAX], *buf = NULL;
	uint32_t midr;

	/* kernel.arch (Linux >= 5.19) under the procfs root, so fixtures say
	 * which machine they are; else the running kernel's. */
	if (hv_env_path(env, HV_ROOT_PROC, p, sizeof(p), "sys/kernel/arch") ||
	    hv_read_str(p, arch, alen, NULL) || !arch[0]) {
		struct utsname u;
		snprintf(arch, alen, "%s", uname(&u) ? "" : u.machine);
	}
	model[0] = '\0';
	if (sysfs_midr(env, &midr) == 0) {
		hv_midr_name(midr, model, mlen);
		goto out;
	}
	buf = malloc(65536);
	if (!buf || hv_env_path(env, HV_ROOT_PROC, p, sizeof(p), "cpuinfo") ||
	    hv_read_file(p, buf, 65536, NULL) < 0)
		goto out;
	if (cpuinfo_field(buf, "model name", model, mlen) == 0)
		goto out;
	if (cpuinfo_midr(buf, &midr) == 0)
		hv_midr_name(midr, model, mlen);
out:
	free(buf);
}
