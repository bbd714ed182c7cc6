/* SPDX-License-Identifier: MIT */
/* pCPUs: present CPUs, online state and hotplug, topology. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

static int32_t read_topo(hv_plat *p, unsigned cpu, const char *file)
{
	char path[PATH_MAX];
	int64_t v;

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/cpu%u/topology/%s", cpu, file) ||
	    hv_read_s64(path, &v, NULL) || v < 0 || v > INT32_MAX)
		return -1; /* die_id is -1 on kernels without dies */
	return (int32_t)v;
}

/* The present set, as a bitmap; falls back to scanning cpuN dirs. */
static int read_present(hv_plat *p, uint64_t *bits, char *raw, size_t rlen)
{
	char path[PATH_MAX];
	DIR *d;
	struct dirent *e;

	memset(bits, 0, HV_PLAT_MAXCPU / 8);
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               HV_PLAT_CPUDIR "/present") &&
	    !hv_read_str(path, raw, rlen, NULL) &&
	    !hv_parse_cpulist(raw, bits, HV_PLAT_MAXCPU))
		return 0;
	raw[0] = '\0';
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), HV_PLAT_CPUDIR))
		return -ENAMETOOLONG;
	d = opendir(path);
	if (!d)
		return 0; /* no CPUs visible: nr_pcpu 0 */
	while ((e = readdir(d))) {
		char *end;
		unsigned long n;
		if (strncmp(e->d_name, "cpu", 3) || e->d_name[3] < '0' ||
		    e->d_name[3] > '9')
			continue;
		n = strtoul(e->d_name + 3, &end, 10);
		if (!*end && n < HV_PLAT_MAXCPU)
			bits[n / 64] |= 1ull << (n % 64);
	}
	closedir(d);
	return 0;
}

void plat_cpu_free(hv_plat *p)
{
	free(p->cpu);
	p->cpu = NULL;
	p->ncpu = 0;
}

int plat_cpu_discover(hv_plat *p, hv_err *err)
{
	uint64_t *bits = calloc(HV_PLAT_MAXCPU / 64, sizeof(uint64_t));
	char path[PATH_MAX];
	unsigned n = 0;
	int rc = 0;

	plat_cpu_free(p);
	p->rediscover = 0;
	if (!bits)
		return hv_err_set(err, ENOMEM, "platform: out of memory");
	if ((rc = read_present(p, bits, p->present, sizeof(p->present)))) {
		hv_err_set(err, -rc, "platform: cannot list CPUs");
		goto out;
	}
	for (unsigned i = 0; i < HV_PLAT_MAXCPU; i++)
		if (bits[i / 64] & (1ull << (i % 64)))
			n = i + 1;
	if (n) {
		p->cpu = calloc(n, sizeof(*p->cpu));
		if (!p->cpu) {
			rc = hv_err_set(err, ENOMEM, "platform: out of memory");
			goto out;
		}
	}
	p->ncpu = n;
	for (unsigned i = 0; i < n; i++) {
		plat_cpu *c = &p->cpu[i];
		if (!(bits[i / 64] & (1ull << (i % 64))))
			continue;
		c->present = 1;
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               HV_PLAT_CPUDIR "/cpu%u/online", i))
			c->has_online = (uint8_t)plat_has(path);
		c->pkg = read_topo(p, i, "physical_package_id");
		c->die = read_topo(p, i, "die_id");
		c->core = read_topo(p, i, "core_id");
		plat_cpufreq_discover(p, i);
		plat_cpuidle_discover(p, i);
	}
	p->cpu_khz = 0;
	for (unsigned i = 0; i < n; i++) {
		uint64_t khz;
		if (!p->cpu[i].has_freq)
			continue;
		/* Nominal (non-turbo) frequency where the driver tells it. */
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               HV_PLAT_CPUDIR "/%s/base_frequency",
		               p->cpu[i].fdir) &&
		    !hv_read_u64(path, &khz, NULL) && khz <= UINT32_MAX)
			p->cpu_khz = (uint32_t)khz;
		break;
	}
	/* No base_frequency (cppc_cpufreq on arm64): CPPC's nominal_freq. */
	for (unsigned i = 0; i < n && !p->cpu_khz; i++)
		if (p->cpu[i].present && p->cpu[i].cppc_nom_khz)
			p->cpu_khz = p->cpu[i].cppc_nom_khz;
out:
	free(bits);
	return rc;
}

/* The kernel's online list, bit for cpu (1/0), -1 if unreadable. */
static int list_online(hv_plat *p, unsigned cpu)
{
	char path[PATH_MAX], raw[1024];
	uint64_t *bits;
	int on = -1;

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/online") ||
	    hv_read_str(path, raw, sizeof(raw), NULL))
		return -1;
	bits = calloc(HV_PLAT_MAXCPU / 64, sizeof(uint64_t));
	if (bits && !hv_parse_cpulist(raw, bits, HV_PLAT_MAXCPU))
		on = !!(bits[cpu / 64] & (1ull << (cpu % 64)));
	free(bits);
	return on;
}

int plat_cpu_online(hv_plat *p, unsigned cpu)
{
	char path[PATH_MAX];
	uint64_t v;
	int rc, on;

	if (cpu >= p->ncpu || !p->cpu[cpu].present)
		return -1;
	if (!p->cpu[cpu].has_online) {
		/* Not hotpluggable (cpu0 on x86 >= 6.5): online unless the
		 * kernel's list says otherwise (maxcpus=). */
		on = list_online(p, cpu);
		return on < 0 ? 1 : on;
	}
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/cpu%u/online", cpu))
		return -1;
	rc = hv_read_u64(path, &v, NULL);
	if (rc == -ENOENT)
		p->rediscover = 1; /* the CPU was removed */
	if (rc || v > 1)
		return -1;
	return (int)v;
}

/* Has the present set changed since discovery (CPU hot-add/remove)? */
static int present_changed(hv_plat *p)
{
	char path[PATH_MAX], raw[sizeof(p->present)];

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/present") ||
	    hv_read_str(path, raw, sizeof(raw), NULL))
		return p->present[0] != '\0';
	return strcmp(raw, p->present) != 0;
}

int plat_cpu_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err)
{
	unsigned n = 0, k = 0;
	int rc;

	if (p->rediscover || present_changed(p)) {
		if ((rc = plat_cpu_discover(p, err)))
			return rc;
	}
	for (unsigned i = 0; i < p->ncpu; i++)
		n += p->cpu[i].present;
	h->nr_pcpu = 0;
	h->pcpu = NULL;
	if (!n)
		return 0;
	h->pcpu = hv_snap_pcpus(s, n);
	if (!h->pcpu)
		return hv_err_set(err, ENOMEM, "platform: out of memory");
	h->nr_pcpu = n;
	for (unsigned i = 0; i < p->ncpu; i++) {
		plat_cpu *c = &p->cpu[i];
		hv_pcpu *pc;
		if (!c->present)
			continue;
		pc = &h->pcpu[k++];
		pc->id = i;
		pc->online = (int8_t)plat_cpu_online(p, i);
		pc->hotplug = c->has_online && i != 0;
		pc->pkg = c->pkg;
		pc->die = c->die;
		pc->core = c->core;
		/* procstat.c fills these for CPUs that have a line. */
		pc->busy_ns = hv_na(HV_NA_UNAVAILABLE);
		pc->idle_ns = hv_na(HV_NA_UNAVAILABLE);
		/* No sysfs file counts errors per CPU: mce.c fills these
		 * from the tracepoint when it is open. */
		pc->ce_count = pc->ue_count = hv_na(HV_NA_UNSUPPORTED);
		pc->last_err_ns = hv_na(HV_NA_UNSUPPORTED);
		plat_cpufreq_sample(p, i, pc);
		plat_cpuidle_sample(p, i, pc);
	}
	return 0;
}
