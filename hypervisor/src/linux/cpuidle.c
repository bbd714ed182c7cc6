/* SPDX-License-Identifier: MIT */
/* cpuidle: driver, governor, per-CPU C-states (usage, time in µs,
 * disable). The set of states is fixed per driver: found at open. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

static int spath(const hv_plat *p, unsigned cpu, unsigned st, char *buf,
                 size_t len, const char *file)
{
	return plat_path(p, HV_ROOT_SYS, buf, len,
	                 HV_PLAT_CPUDIR "/cpu%u/cpuidle/state%u/%s", cpu, st,
	                 file);
}

void plat_cpuidle_discover(hv_plat *p, unsigned cpu)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX], buf[64];

	c->nstate = 0;
	for (unsigned k = 0; k < HV_CSTATE_MAX; k++) {
		plat_cstate *st = &c->st[k];
		uint64_t lat;

		if (spath(p, cpu, k, path, sizeof(path), "name") ||
		    hv_read_str(path, buf, sizeof(buf), NULL))
			break;
		hv_sanitize_name(st->name, sizeof(st->name), buf, strlen(buf));
		st->desc[0] = '\0';
		if (!spath(p, cpu, k, path, sizeof(path), "desc") &&
		    !hv_read_str(path, buf, sizeof(buf), NULL))
			hv_sanitize_name(st->desc, sizeof(st->desc), buf,
			                 strlen(buf));
		st->latency_us = 0;
		if (!spath(p, cpu, k, path, sizeof(path), "latency") &&
		    !hv_read_u64(path, &lat, NULL) && lat <= UINT32_MAX)
			st->latency_us = (uint32_t)lat;
		c->nstate = k + 1;
	}
}

void plat_cpuidle_sample(hv_plat *p, unsigned cpu, hv_pcpu *pc)
{
	plat_cpu *c = &p->cpu[cpu];
	char path[PATH_MAX];

	pc->nr_cstate = c->nstate;
	for (unsigned k = 0; k < c->nstate; k++) {
		hv_cstate *cs = &pc->cstate[k];
		uint64_t v;
		int rc;

		snprintf(cs->name, sizeof(cs->name), "%s", c->st[k].name);
		snprintf(cs->desc, sizeof(cs->desc), "%s", c->st[k].desc);
		cs->latency_us = c->st[k].latency_us;
		cs->usage = hv_na(HV_NA_ERROR);
		cs->time_ns = hv_na(HV_NA_ERROR);
		if (!spath(p, cpu, k, path, sizeof(path), "usage"))
			cs->usage = plat_u64(path, HV_NA_UNAVAILABLE);
		if (!spath(p, cpu, k, path, sizeof(path), "time")) {
			rc = hv_read_u64(path, &v, NULL);
			if (rc == -ENOENT && pc->online != 0)
				p->rediscover = 1; /* CPU or driver gone */
			/* µs; saturating so a garbage value cannot wrap */
			cs->time_ns =
			    rc ? hv_na(plat_why(rc, HV_NA_UNAVAILABLE))
			       : hv_val(v > UINT64_MAX / 1000 ? UINT64_MAX
			                                      : v * 1000);
		}
		cs->disabled = 0;
		if (!spath(p, cpu, k, path, sizeof(path), "disable") &&
		    !hv_read_u64(path, &v, NULL))
			cs->disabled = v != 0;
	}
}

void plat_cpuidle_global(hv_plat *p, hv_host *h)
{
	char path[PATH_MAX];

	h->idle_driver[0] = h->idle_governor[0] = '\0';
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               HV_PLAT_CPUDIR "/cpuidle/current_driver") &&
	    hv_read_str(path, h->idle_driver, sizeof(h->idle_driver), NULL))
		h->idle_driver[0] = '\0';
	/* current_governor is absent unless cpuidle_sysfs_switch on older
	 * kernels; current_governor_ro is always there. */
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               HV_PLAT_CPUDIR "/cpuidle/current_governor") &&
	    !hv_read_str(path, h->idle_governor, sizeof(h->idle_governor),
	                 NULL))
		return;
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               HV_PLAT_CPUDIR "/cpuidle/current_governor_ro") &&
	    hv_read_str(path, h->idle_governor, sizeof(h->idle_governor), NULL))
		h->idle_governor[0] = '\0';
}

static int check_state(hv_plat *p, unsigned cpu, unsigned st, char *path,
                       size_t len, hv_err *err)
{
	if (st >= p->cpu[cpu].nstate)
		return hv_err_set(err, ENODEV, "cpu%u has no idle state %u%s",
		                  cpu, st,
		                  p->cpu[cpu].nstate ? "" : " (no cpuidle)");
	if (spath(p, cpu, st, path, len, "disable"))
		return hv_err_set(err, ENAMETOOLONG, "cpu%u: path too long",
		                  cpu);
	return 0;
}

int plat_cpuidle_knob_get(hv_plat *p, unsigned cpu, unsigned state, char *val,
                          size_t len, hv_err *err)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = check_state(p, cpu, state, path, sizeof(path), err)))
		return rc;
	return hv_read_str(path, val, len, err);
}

int plat_cpuidle_knob_set(hv_plat *p, unsigned cpu, unsigned state,
                          const char *val, hv_err *err)
{
	char path[PATH_MAX];
	int rc;

	if (strcmp(val, "0") && strcmp(val, "1"))
		return hv_err_set(err, EINVAL,
		                  "cpu%u: cstate disable must be 0 or 1, not "
		                  "\"%s\"",
		                  cpu, val);
	if ((rc = check_state(p, cpu, state, path, sizeof(path), err)))
		return rc;
	return plat_write(path, val, err);
}
