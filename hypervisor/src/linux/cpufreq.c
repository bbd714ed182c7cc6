/* SPDX-License-Identifier: MIT */
/* cpufreq: policy limits, governor, EPP, P-state residency.
 * cpuN/cpufreq is a symlink to cpufreq/policyM on current kernels (a real
 * directory on old ones); we read through cpuN/cpufreq and fall back to
 * cpufreq/policyN. stats/ is absent under intel_pstate (no table). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

static int fpath(const hv_plat *p, unsigned cpu, char *buf, size_t len,
                 const char *file)
{
	return plat_path(p, HV_ROOT_SYS, buf, len, HV_PLAT_CPUDIR "/%s/%s",
	                 p->cpu[cpu].fdir, file);
}

static void read_static(const hv_plat *p, unsigned cpu, const char *file,
                        char *dst, size_t len)
{
	char path[PATH_MAX];

	dst[0] = '\0';
	if (fpath(p, cpu, path, sizeof(path), file) ||
	    hv_read_str(path, dst, len, NULL))
		dst[0] = '\0';
}

static hv_u64 cppc_u64(const hv_plat *p, unsigned cpu, const char *file)
{
	char path[PATH_MAX];

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/cpu%u/acpi_cppc/%s", cpu, file))
		return hv_na(HV_NA_ERROR);
	return plat_u64(path, HV_NA_UNSUPPORTED);
}

/* cpuN/acpi_cppc: present under cppc_cpufreq (arm64 ACPI servers) and on
 * x86 with CPPC. nominal_freq is in MHz; the feedback counters' reference
 * counter runs at reference_perf, so its clock is nominal_freq scaled by
 * reference_perf / nominal_perf. */
static void cppc_discover(hv_plat *p, unsigned cpu)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX];
	hv_u64 ref, mhz;

	c->has_cppc = 0;
	c->cppc_ref_khz = c->cppc_nom_khz = 0;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/cpu%u/acpi_cppc", cpu) ||
	    !plat_has(path))
		return;
	c->has_cppc = 1;
	c->cppc_high = cppc_u64(p, cpu, "highest_perf");
	c->cppc_nom = cppc_u64(p, cpu, "nominal_perf");
	c->cppc_low = cppc_u64(p, cpu, "lowest_perf");
	ref = cppc_u64(p, cpu, "reference_perf");
	mhz = cppc_u64(p, cpu, "nominal_freq");
	if (!hv_ok(mhz) || mhz.v == 0 || mhz.v > UINT32_MAX / 1000)
		return;
	c->cppc_nom_khz = (uint32_t)(mhz.v * 1000);
	/* reference_perf is optional: absent, the counter runs at nominal. */
	if (!hv_ok(ref) || !hv_ok(c->cppc_nom) || !c->cppc_nom.v)
		c->cppc_ref_khz = c->cppc_nom_khz;
	else if (ref.v <= c->cppc_nom.v)
		c->cppc_ref_khz =
		    (uint32_t)(mhz.v * 1000 * ref.v / c->cppc_nom.v);
}

static void cppc_sample(hv_plat *p, unsigned cpu, hv_pcpu *pc)
{
	const plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX], buf[128];
	uint64_t r, d;

	pc->cppc_highest_perf = pc->cppc_nominal_perf = pc->cppc_lowest_perf =
	    pc->cppc_fb_ref = pc->cppc_fb_del = hv_na(HV_NA_UNSUPPORTED);
	pc->cppc_ref_khz = 0;
	if (!c->has_cppc)
		return;
	pc->cppc_highest_perf = c->cppc_high;
	pc->cppc_nominal_perf = c->cppc_nom;
	pc->cppc_lowest_perf = c->cppc_low;
	pc->cppc_ref_khz = c->cppc_ref_khz;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	              HV_PLAT_CPUDIR "/cpu%u/acpi_cppc/feedback_ctrs", cpu))
		return;
	/* Reading it asks the CPU (an IPI; EIO/EBUSY while it sleeps). */
	int rc = hv_read_str(path, buf, sizeof(buf), NULL);
	if (rc) {
		pc->cppc_fb_ref = pc->cppc_fb_del =
		    hv_na(plat_why(rc, HV_NA_UNSUPPORTED));
		return;
	}
	/* "ref:R del:D" */
	char *del = strstr(buf, " del:");
	if (strncmp(buf, "ref:", 4) || !del) {
		pc->cppc_fb_ref = pc->cppc_fb_del = hv_na(HV_NA_ERROR);
		return;
	}
	*del = '\0';
	if (hv_parse_u64(buf + 4, &r) || hv_parse_u64(del + 5, &d)) {
		pc->cppc_fb_ref = pc->cppc_fb_del = hv_na(HV_NA_ERROR);
		return;
	}
	pc->cppc_fb_ref = hv_val(r);
	pc->cppc_fb_del = hv_val(d);
}

void plat_cpufreq_discover(hv_plat *p, unsigned cpu)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX];

	cppc_discover(p, cpu);
	c->has_freq = 0;
	snprintf(c->fdir, sizeof(c->fdir), "cpu%u/cpufreq", cpu);
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), HV_PLAT_CPUDIR "/%s",
	              c->fdir) ||
	    !plat_has(path)) {
		snprintf(c->fdir, sizeof(c->fdir), "cpufreq/policy%u", cpu);
		if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		              HV_PLAT_CPUDIR "/%s", c->fdir) ||
		    !plat_has(path))
			return;
	}
	c->has_freq = 1;
	read_static(p, cpu, "scaling_driver", c->driver, sizeof(c->driver));
	read_static(p, cpu, "scaling_available_governors", c->govs,
	            sizeof(c->govs));
	read_static(p, cpu, "scaling_available_frequencies", c->freqs,
	            sizeof(c->freqs));
	read_static(p, cpu, "energy_performance_available_preferences", c->epps,
	            sizeof(c->epps));
	if (!fpath(p, cpu, path, sizeof(path), "energy_performance_preference"))
		c->has_epp = (uint8_t)plat_has(path);
	if (!fpath(p, cpu, path, sizeof(path), "stats/time_in_state"))
		c->has_tis = (uint8_t)plat_has(path);
	c->hw_min = hv_na(HV_NA_UNSUPPORTED);
	c->hw_max = hv_na(HV_NA_UNSUPPORTED);
	if (!fpath(p, cpu, path, sizeof(path), "cpuinfo_min_freq"))
		c->hw_min = plat_u64(path, HV_NA_UNSUPPORTED);
	if (!fpath(p, cpu, path, sizeof(path), "cpuinfo_max_freq"))
		c->hw_max = plat_u64(path, HV_NA_UNSUPPORTED);
}

static hv_u64 read_khz(hv_plat *p, unsigned cpu, const char *file)
{
	char path[PATH_MAX];
	hv_u64 v;

	if (fpath(p, cpu, path, sizeof(path), file))
		return hv_na(HV_NA_ERROR);
	v = plat_u64(path, HV_NA_UNAVAILABLE);
	return v;
}

/* "<kHz> <ticks>\n" per line; ticks are USER_HZ (the doc's "10 ms"). */
static void read_tis(hv_plat *p, unsigned cpu, hv_pcpu *pc)
{
	char path[PATH_MAX], buf[4096];
	char *s, *save = NULL;
	uint32_t n = 0;

	pc->nr_pstate = 0;
	if (fpath(p, cpu, path, sizeof(path), "stats/time_in_state") ||
	    hv_read_file(path, buf, sizeof(buf), NULL) < 0)
		return;
	for (s = strtok_r(buf, "\n", &save); s && n < HV_PSTATE_MAX;
	     s = strtok_r(NULL, "\n", &save)) {
		char *sp = strchr(s, ' ');
		uint64_t khz, ticks;
		if (!sp)
			break;
		*sp = '\0';
		if (hv_parse_u64(s, &khz))
			break;
		pc->pstate[n].khz = khz;
		pc->pstate[n].time_ns = hv_parse_u64(sp + 1, &ticks)
		                            ? hv_na(HV_NA_ERROR)
		                            : hv_val(plat_ticks_ns(p, ticks));
		n++;
	}
	pc->nr_pstate = n;
}

void plat_cpufreq_sample(hv_plat *p, unsigned cpu, hv_pcpu *pc)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX];
	int rc;

	pc->governor[0] = pc->driver[0] = pc->epp[0] = '\0';
	pc->nr_pstate = 0;
	cppc_sample(p, cpu, pc);
	if (!c->has_freq) {
		pc->cur_khz = pc->min_khz = pc->max_khz = pc->hw_min_khz =
		    pc->hw_max_khz = hv_na(HV_NA_UNSUPPORTED);
		return;
	}
	snprintf(pc->driver, sizeof(pc->driver), "%s", c->driver);
	pc->hw_min_khz = c->hw_min;
	pc->hw_max_khz = c->hw_max;
	if (!fpath(p, cpu, path, sizeof(path), "scaling_governor")) {
		rc =
		    hv_read_str(path, pc->governor, sizeof(pc->governor), NULL);
		/* Gone on an online CPU: removed. Old kernels drop an
		 * offline CPU's policy link: no rescan for that. */
		if (rc == -ENOENT && pc->online != 0)
			p->rediscover = 1;
		if (rc)
			pc->governor[0] = '\0';
	}
	pc->cur_khz = read_khz(p, cpu, "scaling_cur_freq");
	pc->min_khz = read_khz(p, cpu, "scaling_min_freq");
	pc->max_khz = read_khz(p, cpu, "scaling_max_freq");
	if (c->has_epp &&
	    !fpath(p, cpu, path, sizeof(path), "energy_performance_preference"))
		if (hv_read_str(path, pc->epp, sizeof(pc->epp), NULL))
			pc->epp[0] = '\0';
	if (c->has_tis)
		read_tis(p, cpu, pc);
}

/* Is word a space-separated member of list? */
static int in_list(const char *list, const char *word)
{
	size_t wl = strlen(word);
	const char *s = list;

	if (!wl)
		return 0;
	while ((s = strstr(s, word))) {
		int start = s == list || s[-1] == ' ';
		int stop = s[wl] == '\0' || s[wl] == ' ' || s[wl] == '\n';
		if (start && stop)
			return 1;
		s += wl;
	}
	return 0;
}

static const char *knob_file(const char *what)
{
	if (!strcmp(what, "governor"))
		return "scaling_governor";
	if (!strcmp(what, "min_khz"))
		return "scaling_min_freq";
	if (!strcmp(what, "max_khz"))
		return "scaling_max_freq";
	return "energy_performance_preference";
}

int plat_cpufreq_knob_get(hv_plat *p, unsigned cpu, const char *what, char *val,
                          size_t len, hv_err *err)
{
	char path[PATH_MAX];
	int rc;

	if (!p->cpu[cpu].has_freq)
		return hv_err_set(err, ENOTSUP, "cpu%u has no cpufreq", cpu);
	if (!strcmp(what, "epp") && !p->cpu[cpu].has_epp)
		return hv_err_set(err, ENOTSUP,
		                  "cpu%u: driver %s has no "
		                  "energy_performance_preference",
		                  cpu, p->cpu[cpu].driver);
	if ((rc = fpath(p, cpu, path, sizeof(path), knob_file(what))))
		return hv_err_set(err, -rc, "cpu%u: path too long", cpu);
	return hv_read_str(path, val, len, err);
}

static int read_limit(hv_plat *p, unsigned cpu, const char *file, uint64_t *v,
                      hv_err *err)
{
	char path[PATH_MAX];

	if (fpath(p, cpu, path, sizeof(path), file))
		return hv_err_set(err, ENAMETOOLONG, "cpu%u: path too long",
		                  cpu);
	return hv_read_u64(path, v, err);
}

int plat_cpufreq_knob_set(hv_plat *p, unsigned cpu, const char *what,
                          const char *val, hv_err *err)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX], avail[sizeof(c->govs)];
	uint64_t v = 0, other = 0;
	int rc;

	if (!c->has_freq)
		return hv_err_set(err, ENOTSUP, "cpu%u has no cpufreq", cpu);
	if (!strcmp(what, "governor")) {
		/* Fresh list: a governor module may have been loaded. */
		read_static(p, cpu, "scaling_available_governors", avail,
		            sizeof(avail));
		if (!in_list(avail, val))
			return hv_err_set(err, EINVAL,
			                  "cpu%u: governor \"%s\" not "
			                  "available (have: %s)",
			                  cpu, val, avail[0] ? avail : "none");
	} else if (!strcmp(what, "min_khz") || !strcmp(what, "max_khz")) {
		int is_min = what[1] == 'i';
		if (hv_parse_u64(val, &v))
			return hv_err_set(err, EINVAL,
			                  "cpu%u: %s must be a kHz number, "
			                  "not \"%s\"",
			                  cpu, what, val);
		if ((hv_ok(c->hw_min) && v < c->hw_min.v) ||
		    (hv_ok(c->hw_max) && v > c->hw_max.v))
			return hv_err_set(err, ERANGE,
			                  "cpu%u: %s %s kHz outside hardware "
			                  "limits %llu..%llu kHz",
			                  cpu, what, val,
			                  (unsigned long long)c->hw_min.v,
			                  (unsigned long long)c->hw_max.v);
		if ((rc = read_limit(p, cpu,
		                     is_min ? "scaling_max_freq"
		                            : "scaling_min_freq",
		                     &other, err)))
			return rc;
		if (is_min ? v > other : v < other)
			return hv_err_set(err, EINVAL,
			                  "cpu%u: %s %s kHz would make min > "
			                  "max (current %s %llu kHz)",
			                  cpu, what, val,
			                  is_min ? "max" : "min",
			                  (unsigned long long)other);
	} else {
		if (!c->has_epp)
			return hv_err_set(err, ENOTSUP,
			                  "cpu%u: driver %s has no "
			                  "energy_performance_preference",
			                  cpu, c->driver);
		/* HWP drivers also take a raw 0..255 value. */
		if (!in_list(c->epps, val) &&
		    (hv_parse_u64(val, &v) || v > 255))
			return hv_err_set(err, EINVAL,
			                  "cpu%u: EPP \"%s\" not available "
			                  "(have: %s)",
			                  cpu, val, c->epps);
	}
	if ((rc = fpath(p, cpu, path, sizeof(path), knob_file(what))))
		return hv_err_set(err, -rc, "cpu%u: path too long", cpu);
	return plat_write(path, val, err);
}
