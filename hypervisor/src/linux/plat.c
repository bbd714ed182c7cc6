/* SPDX-License-Identifier: MIT */
/* Linux platform layer: open/close, sampling order and knob dispatch.
 * Static facts (topology, available lists, cpuidle states, RAPL zones) are
 * found once at open; each sample re-reads only what changes. */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/sysio.h"
#include "plat_int.h"

int plat_path(const hv_plat *p, hv_root root, char *buf, size_t len,
              const char *fmt, ...)
{
	char rel[PATH_MAX];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(rel))
		return -ENAMETOOLONG;
	return hv_env_path(&p->env, root, buf, len, "%s", rel);
}

uint64_t plat_ticks_ns(const hv_plat *p, uint64_t ticks)
{
	return (uint64_t)((unsigned __int128)ticks * 1000000000u /
	                  (uint64_t)p->clk_tck);
}

hv_why plat_why(int rc, hv_why missing)
{
	switch (-rc) {
	case 0:
		return HV_OK;
	case ENOENT:
	case ENOTDIR:
		return missing;
	case EACCES:
	case EPERM:
	case EBUSY:
	case ENODEV:
	case EAGAIN:
		return HV_NA_UNAVAILABLE;
	default:
		return HV_NA_ERROR;
	}
}

hv_u64 plat_u64(const char *path, hv_why missing)
{
	uint64_t v;
	int rc = hv_read_u64(path, &v, NULL);

	return rc ? hv_na(plat_why(rc, missing)) : hv_val(v);
}

int plat_u32_cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

long plat_numbered(const char *name, const char *pfx)
{
	size_t l = strlen(pfx);
	char *end;
	unsigned long n;

	if (strncmp(name, pfx, l) || name[l] < '0' || name[l] > '9')
		return -1;
	n = strtoul(name + l, &end, 10);
	return *end || n > 65535 ? -1 : (long)n;
}

int plat_has(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

int plat_write(const char *path, const char *val, hv_err *err)
{
	char buf[HV_PLAT_VAL_MAX + 2];
	int n = snprintf(buf, sizeof(buf), "%s\n", val);

	if (n < 0 || (size_t)n >= sizeof(buf))
		return hv_err_set(err, EINVAL, "%s: value too long", path);
	return hv_write_str(path, buf, err);
}

int hv_plat_open(const hv_env *env, hv_plat **out, hv_err *err)
{
	hv_plat *p = calloc(1, sizeof(*p));
	int rc = 0;

	*out = NULL;
	if (!p)
		return hv_err_set(err, ENOMEM, "platform: out of memory");
	p->env = *env;
	p->stat_fd = -1;
	p->qos_fd = -1;
	p->qos_val = -1;
	p->clk_tck = sysconf(_SC_CLK_TCK);
	if (p->clk_tck <= 0)
		p->clk_tck = 100;
	hv_host_ident(env, p->arch, sizeof(p->arch), p->cpu_model,
	              sizeof(p->cpu_model));
	if ((rc = plat_cpu_discover(p, err)) ||
	    (rc = plat_rapl_discover(p, err)) ||
	    (rc = plat_hwmon_discover(p, err)) ||
	    (rc = plat_edac_discover(p, err)))
		goto out;
	plat_mce_open(p);
	*out = p;
	p = NULL;
out:
	hv_plat_close(p);
	return rc;
}

void hv_plat_close(hv_plat *p)
{
	if (!p)
		return;
	hv_plat_qos_release(p);
	if (p->stat_fd >= 0)
		close(p->stat_fd);
	plat_mce_close(p);
	plat_cpu_free(p);
	free(p->statbuf);
	free(p->rapl);
	free(p->hwmon);
	free(p->mc);
	free(p->mcc);
	free(p->dimm);
	free(p);
}

/* A host with no cpufreq or no cpuidle at all is normal (QEMU's virt board
 * has neither: no OPP table, no CPPC, no PSCI idle states); say so. */
static void plat_notes(const hv_plat *p, hv_host *h)
{
	int freq = 0, idle = 0;

	for (uint32_t i = 0; i < p->ncpu; i++) {
		freq |= p->cpu[i].has_freq;
		idle |= p->cpu[i].nstate > 0;
	}
	h->freq_note[0] = h->idle_note[0] = '\0';
	if (!freq)
		snprintf(h->freq_note, sizeof(h->freq_note),
		         "no cpufreq driver: the firmware describes no "
		         "P-states (no ACPI _PSS or CPPC, no OPP table or "
		         "SCMI performance domain)");
	if (!idle)
		snprintf(h->idle_note, sizeof(h->idle_note),
		         "no cpuidle states (driver %s): the firmware "
		         "describes none beyond the architecture's wait "
		         "(WFI / HLT)",
		         h->idle_driver[0] ? h->idle_driver : "none");
}

int hv_plat_sample(hv_plat *p, hv_snap *s, hv_err *err)
{
	hv_host *h = hv_snap_host_mut(s);
	int rc;

	if (!h)
		return hv_err_set(err, EINVAL,
		                  "platform: snapshot has no host");
	plat_procmisc_sample(p, h);
	if ((rc = plat_cpu_sample(p, s, h, err)) < 0)
		return rc;
	/* hv_host.pcpu is now filled: add /proc/stat times. A bad /proc/stat
	 * marks the times, it does not fail the sample. */
	(void)plat_procstat_sample(p, h, NULL);
	plat_cpuidle_global(p, h);
	if ((rc = plat_rapl_sample(p, s, h, err)) < 0 ||
	    (rc = plat_hwmon_sample(p, s, h, err)) < 0)
		return rc;
	plat_edac_sample(p, s, h);
	plat_mce_sample(p, s);
	h->cpu_khz = p->cpu_khz;
	plat_notes(p, h);
	snprintf(h->arch, sizeof(h->arch), "%s", p->arch);
	snprintf(h->cpu_model, sizeof(h->cpu_model), "%s", p->cpu_model);
	return 0;
}

/* "cpu/N/rest" -> N and rest, in libhv's one grammar (hv_knob_parse). */
static int parse_knob(const char *knob, hv_knob *k, const char **rest)
{
	if (hv_knob_parse(knob, k, NULL) || !hv_knob_is_cpu(k->kind))
		return -ENOTSUP;
	*rest = strchr(knob + 4, '/') + 1;
	return 0;
}

static int check_cpu(hv_plat *p, unsigned cpu, hv_err *err)
{
	if (cpu >= p->ncpu || !p->cpu[cpu].present)
		return hv_err_set(err, ENODEV, "cpu%u: no such CPU", cpu);
	return 0;
}

static int online_get(hv_plat *p, unsigned cpu, char *val, size_t len,
                      hv_err *err)
{
	int on = plat_cpu_online(p, cpu);

	if (on < 0)
		return hv_err_set(err, EIO, "cpu%u: online state unreadable",
		                  cpu);
	snprintf(val, len, "%d", on);
	return 0;
}

static int online_set(hv_plat *p, unsigned cpu, const char *val, hv_err *err)
{
	char path[PATH_MAX];
	unsigned online = 0;
	int rc;

	if (strcmp(val, "0") && strcmp(val, "1"))
		return hv_err_set(err, EINVAL,
		                  "cpu%u: online must be 0 or 1, not \"%s\"",
		                  cpu, val);
	if (!p->cpu[cpu].has_online) {
		if (!strcmp(val, "1"))
			return 0; /* always online: nothing to do */
		return hv_err_set(err, EPERM, "cpu%u cannot be offlined: %s",
		                  cpu,
		                  cpu == 0 ? "it is the boot CPU (no online "
		                             "file)"
		                           : "the kernel gives it no online "
		                             "file (not hotpluggable)");
	}
	if (!strcmp(val, "0")) {
		if (cpu == 0)
			return hv_err_set(err, EPERM,
			                  "cpu0 cannot be offlined: it is the "
			                  "boot CPU");
		for (unsigned i = 0; i < p->ncpu; i++)
			if (i != cpu && p->cpu[i].present &&
			    plat_cpu_online(p, i) == 1)
				online++;
		if (online == 0 && plat_cpu_online(p, cpu) == 1)
			return hv_err_set(err, EBUSY,
			                  "cpu%u cannot be offlined: it is the "
			                  "last online CPU",
			                  cpu);
	}
	if ((rc = plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	                    HV_PLAT_CPUDIR "/cpu%u/online", cpu)))
		return hv_err_set(err, -rc, "cpu%u: path too long", cpu);
	if ((rc = plat_write(path, val, err)))
		return rc;
	return 0;
}

int hv_plat_knob_get(hv_plat *p, const char *knob, char *val, size_t len,
                     hv_err *err)
{
	const char *rest;
	unsigned cpu;
	hv_knob k;
	int rc;

	if (!strncmp(knob, "mem/", 4))
		return plat_mem_knob_get(p, knob, val, len, err);
	if (parse_knob(knob, &k, &rest))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", knob);
	cpu = k.cpu;
	if ((rc = check_cpu(p, cpu, err)))
		return rc;
	if (!strcmp(rest, "online"))
		return online_get(p, cpu, val, len, err);
	if (k.kind == HV_KNOB_CSTATE_DISABLE)
		return plat_cpuidle_knob_get(p, cpu, k.state, val, len, err);
	if (!strcmp(rest, "governor") || !strcmp(rest, "min_khz") ||
	    !strcmp(rest, "max_khz") || !strcmp(rest, "epp"))
		return plat_cpufreq_knob_get(p, cpu, rest, val, len, err);
	return hv_err_set(err, ENOTSUP, "%s: no such knob", knob);
}

int hv_plat_knob_set(hv_plat *p, const char *knob, const char *val, hv_err *err)
{
	const char *rest;
	unsigned cpu;
	hv_knob k;
	int rc;

	if (!val)
		return hv_err_set(err, EINVAL, "%s: no value", knob);
	if (!strncmp(knob, "mem/", 4))
		return plat_mem_knob_set(p, knob, val, err);
	if (parse_knob(knob, &k, &rest))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", knob);
	cpu = k.cpu;
	if ((rc = check_cpu(p, cpu, err)))
		return rc;
	if (!strcmp(rest, "online"))
		return online_set(p, cpu, val, err);
	if (k.kind == HV_KNOB_CSTATE_DISABLE)
		return plat_cpuidle_knob_set(p, cpu, k.state, val, err);
	if (!strcmp(rest, "governor") || !strcmp(rest, "min_khz") ||
	    !strcmp(rest, "max_khz") || !strcmp(rest, "epp"))
		return plat_cpufreq_knob_set(p, cpu, rest, val, err);
	return hv_err_set(err, ENOTSUP, "%s: no such knob", knob);
}

int hv_plat_cpufreq_avail(hv_plat *p, unsigned cpu, char *governors,
                          size_t glen, char *freqs, size_t flen, hv_err *err)
{
	int rc;

	if ((rc = check_cpu(p, cpu, err)))
		return rc;
	if (governors && glen)
		snprintf(governors, glen, "%s", p->cpu[cpu].govs);
	if (freqs && flen)
		snprintf(freqs, flen, "%s", p->cpu[cpu].freqs);
	return 0;
}
