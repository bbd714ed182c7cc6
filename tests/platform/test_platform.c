/* SPDX-License-Identifier: MIT */
/* Platform layer against fixture trees in the kernel's exact formats. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/platform.h"
#include "hv/rates.h"
#include "hvtest.h"
#include "plat_fx.h"

#define CPU "devices/system/cpu/"

static uint64_t tick_ns(uint64_t t)
{
	return t * 1000000000ull / (uint64_t)sysconf(_SC_CLK_TCK);
}

static fx *fx_new(void)
{
	fx *f = fx_new_tag("plat");
	return f;
}

static hv_snap *sample(fx *f)
{
	return fx_sample(f);
}

static void test_intel_host(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);

	assert_string_equal(h->hostname, "fixture-host");
	assert_true(hv_ok(h->uptime_ns));
	assert_int_equal(h->uptime_ns.v, 12345670000000ull);
	assert_int_equal(h->mem_total_kib.v, 16384000);
	assert_int_equal(h->mem_free_kib.v, 12000000);
	assert_string_equal(h->idle_driver, "intel_idle");
	assert_string_equal(h->idle_governor, "menu");
	assert_int_equal(h->nr_pcpu, 4);
	/* cpu0: no online file (x86 >= 6.5): online, not hotpluggable */
	assert_int_equal(h->pcpu[0].online, 1);
	assert_int_equal(h->pcpu[0].hotplug, 0);
	assert_int_equal(h->pcpu[1].hotplug, 1);
	assert_int_equal(h->pcpu[3].pkg, 0);
	assert_int_equal(h->pcpu[3].core, 1);
	assert_int_equal(h->pcpu[2].core, 1);
	assert_int_equal(h->pcpu[1].core, 0);
	assert_int_equal(h->pcpu[3].die, 0);
	/* cpu1: user 1100 nice 10 system 500 irq 5 softirq 7 steal 3; guest
	 * 200 is inside user and must not be added again. */
	assert_true(hv_ok(h->pcpu[1].busy_ns));
	assert_int_equal(h->pcpu[1].busy_ns.v, tick_ns(1625));
	assert_int_equal(h->pcpu[1].idle_ns.v, tick_ns(21050));
	const hv_pcpu *c = &h->pcpu[1];
	assert_string_equal(c->driver, "intel_pstate");
	assert_string_equal(c->governor, "powersave");
	assert_string_equal(c->epp, "balance_performance");
	assert_int_equal(c->cur_khz.v, 1801000);
	assert_int_equal(c->min_khz.v, 800000);
	assert_int_equal(c->max_khz.v, 4200000);
	assert_int_equal(c->hw_min_khz.v, 800000);
	assert_int_equal(c->hw_max_khz.v, 4200000);
	assert_int_equal(c->nr_pstate, 0); /* no stats/ under intel_pstate */
	assert_int_equal(c->nr_cstate, 4);
	assert_string_equal(c->cstate[3].name, "C6");
	assert_string_equal(c->cstate[3].desc, "MWAIT 0x20");
	assert_int_equal(c->cstate[3].latency_us, 133);
	assert_int_equal(c->cstate[3].usage.v, 401);
	assert_int_equal(c->cstate[3].time_ns.v, 4000001000ull);
	assert_int_equal(c->cstate[2].disabled, 0);
	assert_int_equal(c->ce_count.why, HV_NA_UNSUPPORTED);
	assert_true(hv_ok(h->ce_total));
	assert_int_equal(h->ce_total.v, 7);
	/* RAPL in numeric order: package, its core and dram subzones */
	assert_int_equal(h->nr_rapl, 3);
	assert_string_equal(h->rapl[0].path, "intel-rapl:0");
	assert_string_equal(h->rapl[0].name, "package-0");
	assert_int_equal(h->rapl[0].pkg, 0);
	assert_int_equal(h->rapl[0].energy_uj.v, 1000000);
	assert_int_equal(h->rapl[0].max_range_uj, 262143328850ull);
	assert_int_equal(h->rapl[0].limit_uw.v, 95000000);
	assert_string_equal(h->rapl[1].path, "intel-rapl:0:0");
	assert_string_equal(h->rapl[1].name, "core");
	assert_int_equal(h->rapl[1].pkg, -1);
	assert_int_equal(h->rapl[1].limit_uw.why, HV_NA_UNSUPPORTED);
	assert_string_equal(h->rapl[2].name, "dram");
	assert_int_equal(h->rapl[2].max_range_uj, 65532610987ull);

	char g[256], fr[256];
	assert_int_equal(0, hv_plat_cpufreq_avail(f->p, 2, g, sizeof(g), fr,
	                                          sizeof(fr), NULL));
	assert_string_equal(g, "performance powersave");
	assert_string_equal(fr, "");
	hv_snap_unref(s);
	fx_free(f);
}

static void test_acpi_haltpoll(void **state)
{
	(void)state;
	fx *f = fx_new();
	/* Old layout for cpu1: cpufreq as a real directory, no policy dir */
	assert_int_equal(0, hvt_build_cpus(f->h, &(hvt_cpu_opts){.ncpu = 2}));
	assert_int_equal(0, hvt_build_procstat(f->h, 2, NULL, NULL));
	assert_int_equal(0, hvt_build_acpi_cpufreq(f->h, 2));
	assert_int_equal(0, hvt_build_haltpoll(f->h, 2));
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);

	assert_string_equal(h->idle_driver, "haltpoll");
	assert_string_equal(h->idle_governor, "haltpoll");
	assert_int_equal(h->nr_rapl, 0);
	assert_int_equal(h->ce_total.why, HV_NA_UNSUPPORTED);
	assert_int_equal(h->mem_total_kib.why, HV_NA_UNAVAILABLE);
	const hv_pcpu *c = &h->pcpu[1];
	assert_string_equal(c->driver, "acpi-cpufreq");
	assert_string_equal(c->governor, "ondemand");
	assert_string_equal(c->epp, "");
	assert_int_equal(c->cur_khz.v, 2000000);
	assert_int_equal(c->nr_pstate, 4);
	assert_int_equal(c->pstate[0].khz, 2400000);
	assert_int_equal(c->pstate[0].time_ns.v, tick_ns(101));
	assert_int_equal(c->pstate[3].khz, 1200000);
	assert_int_equal(c->pstate[3].time_ns.v, tick_ns(400));
	assert_int_equal(c->nr_cstate, 2);
	assert_string_equal(c->cstate[1].name, "haltpoll idle");
	assert_string_equal(c->cstate[1].desc, "default architecture idle");
	assert_int_equal(c->cstate[1].latency_us, 1);

	char g[256], fr[256];
	assert_int_equal(0, hv_plat_cpufreq_avail(f->p, 0, g, sizeof(g), fr,
	                                          sizeof(fr), NULL));
	assert_string_equal(fr, "2400000 2000000 1600000 1200000");
	hv_snap_unref(s);

	/* The cpuN/cpufreq directory (not a symlink) layout of old kernels,
	 * and a policyN-only layout. */
	hv_plat_close(f->p);
	f->p = NULL;
	assert_int_equal(0, hvt_rm(f->h->sys, CPU "cpu0/cpufreq"));
	assert_int_equal(0, hvt_rm(f->h->sys, CPU "cpu1/cpufreq"));
	assert_int_equal(0, hvt_sys(f->h, CPU "cpu1/cpufreq/scaling_governor",
	                            "performance\n"));
	assert_int_equal(0, hvt_sys(f->h, CPU "cpu1/cpufreq/scaling_driver",
	                            "acpi-cpufreq\n"));
	fx_open(f);
	s = sample(f);
	h = hv_snap_host(s);
	assert_string_equal(h->pcpu[0].governor, "ondemand"); /* policy0 */
	assert_string_equal(h->pcpu[1].governor, "performance");
	assert_int_equal(h->pcpu[1].cur_khz.why, HV_NA_UNAVAILABLE);
	hv_snap_unref(s);
	fx_free(f);
}

static void test_rapl_wrap(void **state)
{
	(void)state;
	fx *f = fx_new();
	hv_err err = {0};
	assert_int_equal(0, hvt_build_cpus(f->h, &(hvt_cpu_opts){.ncpu = 2}));
	assert_int_equal(0, hvt_build_rapl(f->h, 2, 0, 1)); /* AMD */
	fx_open(f);
	const uint64_t max = 262143328850ull;
	assert_int_equal(
	    0, hvt_rapl_set_energy(f->h, "intel-rapl:0", max - 30000000));
	assert_int_equal(0, hvt_rapl_set_energy(f->h, "intel-rapl:1", 5000));
	hv_snap *a = sample(f);
	hv_snap_set_time(a, 1000000000ull, 0, 0);
	assert_int_equal(0, hv_snap_seal(a, &err));
	/* package 0 wraps: 30 J to the wrap point + 20 J after it */
	assert_int_equal(0,
	                 hvt_rapl_set_energy(f->h, "intel-rapl:0", 20000000));
	assert_int_equal(0,
	                 hvt_rapl_set_energy(f->h, "intel-rapl:1", 10005000));
	hv_snap *b = sample(f);
	hv_snap_set_time(b, 3000000000ull, 0, 0); /* 2 s later */
	assert_int_equal(0, hv_snap_seal(b, &err));
	const hv_host *h = hv_snap_host(b);
	assert_int_equal(h->nr_rapl, 4); /* AMD: package + core per pkg */
	assert_string_equal(h->rapl[2].path, "intel-rapl:1");
	assert_int_equal(h->rapl[2].pkg, 1);
	assert_int_equal(h->rapl[0].limit_uw.why, HV_NA_UNSUPPORTED);
	hv_rates *r = hv_rates_compute(a, b, &err);
	assert_non_null(r);
	const hv_host_rate *hr = hv_rates_host(r);
	assert_true(fabs(hr->rapl[0].watts - 25.0) < 1e-3);
	assert_true(hr->rapl[0].watts > 0);
	assert_true(fabs(hr->rapl[2].watts - 5.0) < 1e-6);
	assert_true(fabs(hr->pkg_watts - 30.0) < 1e-3);
	uint64_t d;
	assert_int_equal(0,
	                 hv_counter_delta(a ? hv_snap_host(a)->rapl[0].energy_uj
	                                    : hv_na(HV_NA_ERROR),
	                                  h->rapl[0].energy_uj, max, &d));
	assert_true(d >= 50000000 && d <= 50000001);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

static void test_malformed(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	assert_int_equal(0, hvt_build_acpi_cpufreq(f->h, 4)); /* stats */
	fx_open(f);
	/* garbage, empty and overflowing numbers; a truncated stat line */
	assert_int_equal(
	    0, hvt_sys(f->h, CPU "cpufreq/policy1/scaling_cur_freq", "12a4\n"));
	assert_int_equal(
	    0, hvt_sys(f->h, CPU "cpufreq/policy2/scaling_cur_freq", "%s", ""));
	assert_int_equal(0,
	                 hvt_sys(f->h, CPU "cpufreq/policy3/scaling_cur_freq",
	                         "99999999999999999999999\n"));
	assert_int_equal(0, hvt_sys(f->h,
	                            CPU "cpufreq/policy1/stats/time_in_state",
	                            "2400000 12a4\n2000000 200\n"));
	assert_int_equal(
	    0, hvt_sys(f->h, CPU "cpu2/cpuidle/state1/time", "%s", ""));
	assert_int_equal(0, hvt_rapl_set_energy(f->h, "intel-rapl:0:0", 0));
	assert_int_equal(
	    0, hvt_sys(f->h, "class/powercap/intel-rapl:0/energy_uj", "-5\n"));
	assert_int_equal(
	    0, hvt_sys(f->h, "devices/system/edac/mc/mc1/ce_count", "x\n"));
	assert_int_equal(0, hvt_proc(f->h, "stat",
	                             "cpu  1 2 3 4 5 6 7 8 9 10\n"
	                             "cpu0 100 0 50 1000 0 0 0 0 0 0\n"
	                             "cpu1 1x0 0 50 1000 0 0 0 0 0 0\n"
	                             "cpu2 100 0 50 1000 0 0 0 0 0 0\n"
	                             "cpu3 100 0"));
	assert_int_equal(0, hvt_proc(f->h, "uptime", "abc\n"));
	assert_int_equal(0, hvt_proc(f->h, "meminfo", "MemTotal: lots kB\n"));
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->nr_pcpu, 4);
	assert_int_equal(h->pcpu[1].cur_khz.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[2].cur_khz.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[3].cur_khz.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[0].cur_khz.v, 2000000); /* rest intact */
	assert_int_equal(h->pcpu[1].pstate[0].time_ns.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[1].pstate[1].time_ns.v, tick_ns(200));
	assert_int_equal(h->pcpu[2].cstate[1].time_ns.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[2].cstate[2].time_ns.v, 3000002000ull);
	assert_int_equal(h->rapl[0].energy_uj.why, HV_NA_ERROR);
	assert_int_equal(h->rapl[1].energy_uj.v, 0);
	assert_int_equal(h->ce_total.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[0].busy_ns.v, tick_ns(150));
	assert_int_equal(h->pcpu[1].busy_ns.why, HV_NA_ERROR);
	assert_int_equal(h->pcpu[2].idle_ns.v, tick_ns(1000));
	assert_int_equal(h->pcpu[3].busy_ns.why, HV_NA_ERROR); /* truncated */
	assert_int_equal(h->uptime_ns.why, HV_NA_ERROR);
	assert_int_equal(h->mem_total_kib.why, HV_NA_ERROR);
	hv_snap_unref(s);
	fx_free(f);
}

static void test_cpu_vanishes(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	fx_open(f);
	/* cpu3 removed between listing (present still says 0-3) and reading */
	assert_int_equal(0, hvt_rm(f->h->sys, CPU "cpu3"));
	assert_int_equal(0, hvt_rm(f->h->sys, CPU "cpufreq/policy3"));
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->nr_pcpu, 4);
	assert_int_equal(h->pcpu[3].online, -1);
	assert_int_equal(h->pcpu[3].cur_khz.why, HV_NA_UNAVAILABLE);
	assert_int_equal(h->pcpu[3].cstate[0].time_ns.why, HV_NA_UNAVAILABLE);
	assert_int_equal(h->pcpu[2].cur_khz.v, 1802000);
	hv_snap_unref(s);
	/* the kernel's present list catches up: rediscovered */
	assert_int_equal(0, hvt_sys(f->h, CPU "present", "0-2\n"));
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->nr_pcpu, 3);
	assert_int_equal(h->pcpu[2].online, 1);
	hv_err err = {0};
	assert_int_equal(-ENODEV,
	                 hv_plat_knob_set(f->p, "cpu/3/online", "0", &err));
	assert_non_null(strstr(err.msg, "no such CPU"));
	hv_snap_unref(s);
	/* a RAPL zone vanishes after listing: marked, then rediscovered */
	assert_int_equal(0, hvt_rm(f->h->sys, "class/powercap/intel-rapl:0:1"));
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->nr_rapl, 3);
	assert_int_equal(h->rapl[2].energy_uj.why, HV_NA_UNAVAILABLE);
	assert_int_equal(h->rapl[0].energy_uj.v, 1000000);
	hv_snap_unref(s);
	s = sample(f);
	h = hv_snap_host(s);
	assert_int_equal(h->nr_rapl, 2);
	assert_string_equal(h->rapl[1].name, "core");
	hv_snap_unref(s);
	fx_free(f);
}

static void expect_file(fx *f, const char *rel, const char *want)
{
	char *v = hvt_read(f->h->sys, rel);
	assert_non_null(v);
	assert_string_equal(v, want);
	free(v);
}

static void knob_roundtrip(fx *f, const char *knob, const char *rel,
                           const char *val)
{
	char old[64], cur[64];
	char *before = hvt_read(f->h->sys, rel);
	hv_err err = {0};
	assert_non_null(before);
	assert_int_equal(0,
	                 hv_plat_knob_get(f->p, knob, old, sizeof(old), &err));
	if (hv_plat_knob_set(f->p, knob, val, &err))
		fail_msg("%s=%s: %s", knob, val, err.msg);
	assert_int_equal(0,
	                 hv_plat_knob_get(f->p, knob, cur, sizeof(cur), &err));
	assert_string_equal(cur, val);
	assert_int_equal(0, hv_plat_knob_set(f->p, knob, old, &err));
	expect_file(f, rel, before); /* undo restores the exact bytes */
	free(before);
}

static void test_knobs(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	fx_open(f);
	hv_err err = {0};
	char v[64];

	assert_int_equal(0, hv_plat_knob_set(f->p, "cpu/2/online", "0", &err));
	expect_file(f, CPU "cpu2/online", "0\n");
	hv_snap *s = sample(f);
	assert_int_equal(hv_snap_host(s)->pcpu[2].online, 0);
	hv_snap_unref(s);
	assert_int_equal(
	    0, hv_plat_knob_get(f->p, "cpu/2/online", v, sizeof(v), &err));
	assert_string_equal(v, "0");
	assert_int_equal(0, hv_plat_knob_set(f->p, "cpu/2/online", "1", &err));
	expect_file(f, CPU "cpu2/online", "1\n");
	assert_int_equal(
	    0, hv_plat_knob_get(f->p, "cpu/0/online", v, sizeof(v), &err));
	assert_string_equal(v, "1");

	knob_roundtrip(f, "cpu/1/governor",
	               CPU "cpufreq/policy1/scaling_governor", "performance");
	knob_roundtrip(f, "cpu/1/min_khz",
	               CPU "cpufreq/policy1/scaling_min_freq", "1200000");
	knob_roundtrip(f, "cpu/1/max_khz",
	               CPU "cpufreq/policy1/scaling_max_freq", "3000000");
	knob_roundtrip(f, "cpu/3/epp",
	               CPU "cpufreq/policy3/energy_performance_preference",
	               "power");
	knob_roundtrip(f, "cpu/3/cstate/3/disable",
	               CPU "cpu3/cpuidle/state3/disable", "1");
	fx_free(f);
}

static void expect_refusal(fx *f, const char *knob, const char *val, int rc,
                           const char *reason)
{
	hv_err err = {0};
	int got = hv_plat_knob_set(f->p, knob, val, &err);
	if (got != rc || !strstr(err.msg, reason))
		fail_msg("%s=%s: rc %d (want %d) msg \"%s\" (want \"%s\")",
		         knob, val, got, rc, err.msg, reason);
}

static void test_refusals(void **state)
{
	(void)state;
	fx *f = fx_new();
	assert_int_equal(0, hvt_build_intel_host(f->h, 4, 1));
	fx_open(f);
	char *before =
	    hvt_read(f->h->sys, CPU "cpufreq/policy1/scaling_governor");

	expect_refusal(f, "cpu/0/online", "0", -EPERM, "boot CPU");
	expect_refusal(f, "cpu/9/online", "0", -ENODEV, "no such CPU");
	expect_refusal(f, "cpu/1/online", "2", -EINVAL, "0 or 1");
	expect_refusal(f, "cpu/1/governor", "turbo", -EINVAL, "not available");

	assert_int_equal(
	    0, hv_plat_knob_set(f->p, "cpu/1/max_khz", "2000000", NULL));
	expect_refusal(f, "cpu/1/min_khz", "2100000", -EINVAL, "min > max");
	expect_refusal(f, "cpu/1/max_khz", "700000", -ERANGE, "hardware");
	expect_refusal(f, "cpu/1/max_khz", "5000000", -ERANGE, "hardware");
	expect_refusal(f, "cpu/1/max_khz", "fast", -EINVAL, "kHz");
	expect_refusal(f, "cpu/1/epp", "turbo", -EINVAL, "not available");
	expect_refusal(f, "cpu/1/cstate/7/disable", "1", -ENODEV,
	               "no idle state 7");
	expect_refusal(f, "cpu/1/cstate/1/disable", "yes", -EINVAL, "0 or 1");
	expect_refusal(f, "cpu/1/frobnicate", "1", -ENOTSUP, "no such knob");
	expect_refusal(f, "xen/max_cstate", "1", -ENOTSUP, "no such knob");
	expect_file(f, CPU "cpufreq/policy1/scaling_governor", before);
	free(before);
	/* last online CPU: cpu0 hotpluggable (old kernel) and offline */
	fx_free(f);
	f = fx_new();
	assert_int_equal(
	    0, hvt_build_cpus(
	           f->h, &(hvt_cpu_opts){.ncpu = 3, .cpu0_online_file = 1}));
	assert_int_equal(0, hvt_set_cpu_online(f->h, 3, 0, 0));
	assert_int_equal(0, hvt_set_cpu_online(f->h, 3, 1, 0));
	fx_open(f);
	expect_refusal(f, "cpu/2/online", "0", -EBUSY, "last online CPU");
	expect_refusal(f, "cpu/0/online", "0", -EPERM, "boot CPU");
	expect_refusal(f, "cpu/2/governor", "performance", -ENOTSUP,
	               "no cpufreq");
	expect_file(f, CPU "cpu2/online", "1\n");
	assert_int_equal(0, hv_plat_knob_set(f->p, "cpu/1/online", "1", NULL));
	assert_int_equal(0, hv_plat_knob_set(f->p, "cpu/2/online", "0", NULL));
	fx_free(f);
}

static void test_qos(void **state)
{
	(void)state;
	fx *f = fx_new();
	hv_err err = {0};
	int32_t v = -1;
	char path[4096];
	FILE *fp;

	assert_int_equal(0, hvt_build_cpus(f->h, &(hvt_cpu_opts){.ncpu = 2}));
	fx_open(f);
	assert_int_equal(-ENOENT, hv_plat_qos_hold(f->p, 20, &err));
	assert_int_equal(-1, hv_plat_qos_held(f->p));
	assert_int_equal(0, hvt_build_devqos(f->h));
	assert_int_equal(-EINVAL, hv_plat_qos_hold(f->p, -1, &err));
	assert_int_equal(0, hv_plat_qos_hold(f->p, 20, &err));
	assert_int_equal(0, hv_plat_qos_hold(f->p, 15, &err));
	assert_int_equal(15, hv_plat_qos_held(f->p));
	snprintf(path, sizeof(path), "%s/cpu_dma_latency", f->h->dev);
	fp = fopen(path, "rb");
	assert_non_null(fp);
	assert_int_equal(1, fread(&v, sizeof(v), 1, fp)); /* binary s32 */
	assert_int_equal(0, fgetc(fp) == EOF ? 0 : 1);
	fclose(fp);
	assert_int_equal(15, v);
	hv_plat_qos_release(f->p);
	hv_plat_qos_release(f->p);
	assert_int_equal(-1, hv_plat_qos_held(f->p));
	fx_free(f);
}

static void test_empty_host(void **state)
{
	(void)state;
	fx *f = fx_new(); /* nothing at all: everything marked, no failure */
	fx_open(f);
	hv_snap *s = sample(f);
	const hv_host *h = hv_snap_host(s);
	assert_int_equal(h->nr_pcpu, 0);
	assert_int_equal(h->nr_rapl, 0);
	assert_int_equal(h->uptime_ns.why, HV_NA_UNAVAILABLE);
	hv_snap_unref(s);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intel_host),
	    cmocka_unit_test(test_acpi_haltpoll),
	    cmocka_unit_test(test_rapl_wrap),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_cpu_vanishes),
	    cmocka_unit_test(test_knobs),
	    cmocka_unit_test(test_refusals),
	    cmocka_unit_test(test_qos),
	    cmocka_unit_test(test_empty_host),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
