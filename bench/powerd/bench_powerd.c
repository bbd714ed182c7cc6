/* SPDX-License-Identifier: MIT */
/* Cost of one hv-powerd decision round (pd_decide) against the host size,
 * with every policy on and the latency guard holding every deep C-state
 * (the largest held set), printed as µs per round and as a ratio to a
 * baseline measured in the same run: copying the view once (what any
 * round costs at least). Target: a round stays far below the 1 s period
 * at 4096 CPUs. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pd_config.h"
#include "pd_policy.h"

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void run(unsigned ncpu)
{
	pd_config c;
	pd_mem *m = pd_mem_new();
	pd_out o = {0};
	pd_view v = {0};
	pd_domv dom = {"db", 50, NAN, NAN};
	pd_cpu *copy = malloc(ncpu * sizeof(*copy));
	pd_hold *held = calloc(ncpu * 8 + 16, sizeof(*held));
	size_t nheld = 0;
	unsigned rounds = ncpu >= 2048 ? 50 : 200;
	double t0, base, dec;

	pd_config_defaults(&c);
	c.freq.enabled = c.park.enabled = c.lat.enabled = true;
	c.budget.enabled = c.hwerr.enabled = true;
	c.lat.ndom = 1;
	snprintf(c.lat.dom[0], PD_NAME_LEN, "db");
	v.ncpu = ncpu;
	v.cpu = calloc(ncpu, sizeof(*v.cpu));
	v.ndom = 1;
	v.dom = &dom;
	v.demand_cpus = ncpu * 0.6;
	v.pkg_watts = 50;
	for (unsigned i = 0; i < ncpu; i++) {
		pd_cpu *p = &v.cpu[i];
		p->id = i;
		p->online = 1;
		p->hotplug = i != 0;
		p->pkg = (int)(i / 64);
		p->core = (int)(i / 2);
		p->busy_pct = 60;
		p->hw_min_khz = 800000;
		p->hw_max_khz = p->max_khz = 4000000;
		snprintf(p->governor, sizeof(p->governor), "performance");
		p->nr_cstate = 4;
		p->cstate_lat_us[1] = 2;
		p->cstate_lat_us[2] = 50;
		p->cstate_lat_us[3] = 133;
		p->ce_ok = true;
	}
	/* First round: take what it decides as held. */
	pd_decide(&c, m, &v, held, 0, &o);
	for (size_t i = 0; i < o.n; i++) {
		snprintf(held[nheld].knob, PD_KNOB_LEN, "%s", o.d[i].knob);
		snprintf(held[nheld].cur, PD_VAL_LEN, "%s", o.d[i].value);
		snprintf(held[nheld].orig, PD_VAL_LEN, "0");
		snprintf(held[nheld].policy, PD_POLICY_LEN, "%s",
		         o.d[i].policy);
		nheld++;
	}
	t0 = now();
	for (unsigned r = 0; r < rounds; r++) {
		memcpy(copy, v.cpu, ncpu * sizeof(*copy));
		__asm__ volatile("" ::"r"(copy) : "memory");
	}
	base = (now() - t0) / rounds;
	t0 = now();
	for (unsigned r = 0; r < rounds; r++) {
		v.t += 1;
		pd_decide(&c, m, &v, held, nheld, &o);
	}
	dec = (now() - t0) / rounds;
	printf("%5u CPUs  %6zu held  decide %9.1f us/round  view copy %7.2f us"
	       "  ratio %7.1fx  (%.3f%% of a 1 s period)\n",
	       ncpu, nheld, dec * 1e6, base * 1e6, dec / base, dec * 100);
	free(copy);
	free(held);
	free(v.cpu);
	pd_out_free(&o);
	pd_mem_free(m);
}

int main(void)
{
	unsigned sizes[] = {8, 64, 512, 4096};
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++)
		run(sizes[i]);
	return 0;
}
