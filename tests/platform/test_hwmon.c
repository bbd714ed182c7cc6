/* SPDX-License-Identifier: MIT */
/* hwmon power and energy sensors as the energy source (hwmon.c, rates.c):
 * scmi_sensors, acpi_power_meter's legacy layout, apm_xgene, amd_energy in
 * their drivers' file layouts (tests/lib/hvtest_hwmon.c); exact watts from
 * counters advanced by a known amount over a known time; a counter reset;
 * malformed values; temperature-only chips; no source at all; RAPL
 * preferred; energy attribution to a domain; a chip that vanishes; the
 * record/replay format. Runs on both architectures (label arm64 too). */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/rates.h"
#include "hv/snapjson.h"
#include "plat_fx.h"

#define S(n) ((uint64_t)(n)*1000000000ull)

/* arm64 (QEMU virt: no RAPL) or an x86 host without RAPL (acpi-cpufreq
 * class), 2 CPUs; the chips are added by the test before fx_open. */
static fx *host(int arm)
{
	fx *f = fx_new_tag("hwmon");

	if (arm) {
		assert_int_equal(0,
		                 hvt_build_arm64_host(f->h, 2, HVT_ARM_VIRT));
		return f;
	}
	assert_int_equal(0, hvt_build_cpus(f->h, &(hvt_cpu_opts){.ncpu = 2}));
	assert_int_equal(0, hvt_build_procstat(f->h, 2, NULL, NULL));
	assert_int_equal(0, hvt_build_procmisc(f->h));
	assert_int_equal(0, hvt_proc(f->h, "sys/kernel/arch", "x86_64\n"));
	return f;
}

/* A sample at a chosen monotonic time, with one domain whose CPU time and
 * the host's busy time are set, so attribution has known shares. */
static hv_snap *at(fx *f, uint64_t mono, uint64_t busy_ns, uint64_t dom_ns)
{
	hv_snap *s = fx_sample(f);
	hv_host *h = hv_snap_host_mut(s);
	hv_dom *d = hv_snap_add_dom(s);
	hv_err err = {0};

	assert_non_null(d);
	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		h->pcpu[i].busy_ns = hv_val(i ? 0 : busy_ns);
	d->key = 1;
	d->id = 1;
	snprintf(d->name, sizeof(d->name), "vm1");
	d->cpu_ns = hv_val(dom_ns);
	hv_snap_set_time(s, mono, 0, 0);
	assert_int_equal(0, hv_snap_seal(s, &err));
	return s;
}

static hv_rates *rates(const hv_snap *a, const hv_snap *b)
{
	hv_err err = {0};
	hv_rates *r = hv_rates_compute(a, b, &err);

	assert_non_null(r);
	return r;
}

static const hv_hwmon *find(const hv_host *h, const char *path, size_t *i)
{
	for (size_t k = 0; k < h->nr_hwmon; k++)
		if (!strcmp(h->hwmon[k].path, path)) {
			if (i)
				*i = k;
			return &h->hwmon[k];
		}
	fail_msg("no sensor %s", path);
	return NULL;
}

static void note_has(const hv_host *h, const char *want)
{
	if (!strstr(h->energy_note, want))
		fail_msg("note \"%s\" lacks \"%s\"", h->energy_note, want);
}

static void assert_near(double got, double want)
{
	if (isnan(got) || fabs(got - want) > 1e-9)
		fail_msg("got %.12g, want %.12g", got, want);
}

/* SCMI energy counters: exact layout, the counters (not the power sensor,
 * not the temperature) are the source; +5 J and +3 J over 2 s = 2.5 W and
 * 1.5 W, host 4 W, and the domain that used half the busy time gets 2 W. */
static void test_scmi(void **state)
{
	fx *f = host(1);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_SCMI, NULL));
	assert_int_equal(
	    0, hvt_build_hwmon(f->h, 1, HVT_HWMON_TEMP, "cpu_thermal"));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	const hv_host *h = hv_snap_host(a);
	assert_int_equal(h->nr_hwmon, 3); /* temps are not read */
	const hv_hwmon *e1 = find(h, "hwmon0/energy1_input", NULL);
	assert_string_equal(e1->chip, "scmi_sensors");
	assert_string_equal(e1->label, "cluster0");
	assert_int_equal(e1->kind, HV_HWMON_ENERGY);
	assert_int_equal(e1->energy_uj.v, 1000000);
	assert_int_equal(e1->power_uw.why, HV_NA_UNSUPPORTED);
	assert_int_equal(e1->zone, 1);
	assert_int_equal(find(h, "hwmon0/energy2_input", NULL)->zone, 1);
	const hv_hwmon *p1 = find(h, "hwmon0/power1_input", NULL);
	assert_string_equal(p1->label, "sys");
	assert_int_equal(p1->power_uw.v, 3500000);
	assert_int_equal(p1->zone, 0); /* energy counters are preferred */
	note_has(h, "hwmon scmi_sensors: 2 energy counters");

	assert_int_equal(0,
	                 hvt_hwmon_set(f->h, 0, "energy1_input", "6000000\n"));
	assert_int_equal(0,
	                 hvt_hwmon_set(f->h, 0, "energy2_input", "5000000\n"));
	hv_snap *b = at(f, S(3), S(12), S(6));
	hv_rates *r = rates(a, b);
	const hv_host_rate *hr = hv_rates_host(r);
	size_t i1, i2, ip;
	find(hv_snap_host(b), "hwmon0/energy1_input", &i1);
	find(hv_snap_host(b), "hwmon0/energy2_input", &i2);
	find(hv_snap_host(b), "hwmon0/power1_input", &ip);
	assert_int_equal(hr->nr_hwmon, 3);
	assert_near(hr->hwmon[i1].watts, 2.5);
	assert_near(hr->hwmon[i2].watts, 1.5);
	assert_near(hr->hwmon[ip].watts, 3.5);
	assert_near(hr->host_watts, 4.0);
	assert_int_equal(hr->energy_src, HV_ESRC_HWMON_ENERGY);
	assert_true(isnan(hr->pkg_watts)); /* RAPL's figure: none here */
	assert_string_equal(hv_energy_src_str(hr->energy_src), "hwmon");
	assert_near(hv_rates_dom(r, 0)->watts, 2.0);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* acpi_power_meter's legacy layout (attributes and name in hwmonN/device/):
 * one power sensor, its averaging interval; host power is its reading and
 * the note says domain energy is estimated from readings. */
static void test_power_meter(void **state)
{
	fx *f = host(0);
	(void)state;

	assert_int_equal(0,
	                 hvt_build_hwmon(f->h, 0, HVT_HWMON_POWER_METER, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	const hv_host *h = hv_snap_host(a);
	assert_int_equal(h->nr_hwmon, 1);
	const hv_hwmon *z = find(h, "hwmon0/device/power1_average", NULL);
	assert_string_equal(z->chip, "power_meter");
	assert_string_equal(z->label, "");
	assert_int_equal(z->kind, HV_HWMON_POWER);
	assert_int_equal(z->power_uw.v, 245000000);
	assert_int_equal(z->energy_uj.why, HV_NA_UNSUPPORTED);
	assert_int_equal(z->interval_ms, 1000);
	assert_int_equal(z->zone, 1);
	note_has(h, "hwmon power_meter: 1 power sensor");
	note_has(h, "(estimated)");

	assert_int_equal(
	    0, hvt_hwmon_set(f->h, 0, "device/power1_average", "250500000\n"));
	hv_snap *b = at(f, S(2), S(14), S(6));
	hv_rates *r = rates(a, b);
	const hv_host_rate *hr = hv_rates_host(r);
	assert_near(hr->hwmon[0].watts, 250.5);
	assert_near(hr->host_watts, 250.5);
	assert_int_equal(hr->energy_src, HV_ESRC_HWMON_POWER);
	assert_string_equal(hv_energy_src_str(hr->energy_src), "hwmon-power");
	assert_near(hv_rates_dom(r, 0)->watts, 250.5 / 4);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* apm_xgene: CPU and IO power add up to the host's 15 W. */
static void test_xgene(void **state)
{
	fx *f = host(1);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 2, HVT_HWMON_XGENE, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	hv_snap *b = at(f, S(2), S(11), S(5));
	const hv_host *h = hv_snap_host(b);
	assert_int_equal(h->nr_hwmon, 2);
	assert_string_equal(h->hwmon[0].path, "hwmon2/power1_input");
	assert_string_equal(h->hwmon[0].label, "CPU power");
	assert_string_equal(h->hwmon[0].chip, "apm_xgene");
	assert_string_equal(h->hwmon[1].label, "IO power");
	assert_int_equal(h->hwmon[1].power_uw.v, 3000000);
	hv_rates *r = rates(a, b);
	assert_near(hv_rates_host(r)->host_watts, 15.0);
	assert_near(hv_rates_dom(r, 0)->watts, 0.0); /* used no CPU */
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* amd_energy (x86 without RAPL): the socket counter is the zone, the
 * per-core counters inside it are shown but not added again. */
static void test_amd_energy(void **state)
{
	fx *f = host(0);
	(void)state;

	assert_int_equal(0,
	                 hvt_build_hwmon(f->h, 0, HVT_HWMON_AMD_ENERGY, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	const hv_host *h = hv_snap_host(a);
	assert_int_equal(h->nr_hwmon, 3);
	assert_int_equal(find(h, "hwmon0/energy1_input", NULL)->zone, 0);
	assert_int_equal(find(h, "hwmon0/energy2_input", NULL)->zone, 0);
	assert_int_equal(find(h, "hwmon0/energy3_input", NULL)->zone, 1);
	note_has(h, "hwmon amd_energy: 1 energy counter");
	assert_int_equal(
	    0, hvt_hwmon_set(f->h, 0, "energy3_input", "510000000\n"));
	assert_int_equal(
	    0, hvt_hwmon_set(f->h, 0, "energy1_input", "104000000\n"));
	hv_snap *b = at(f, S(2), S(11), S(5));
	hv_rates *r = rates(a, b);
	assert_near(hv_rates_host(r)->host_watts, 10.0);
	assert_near(hv_rates_host(r)->hwmon[0].watts, 4.0);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* A counter that goes back (driver reloaded) gives no rate for that
 * interval, never a negative one, and the host power is unknown then; the
 * next interval counts from the new value. */
static void test_reset(void **state)
{
	fx *f = host(1);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_SCMI, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	assert_int_equal(0, hvt_hwmon_set(f->h, 0, "energy1_input", "500\n"));
	assert_int_equal(0,
	                 hvt_hwmon_set(f->h, 0, "energy2_input", "3000000\n"));
	hv_snap *b = at(f, S(2), S(11), S(6));
	hv_rates *r = rates(a, b);
	const hv_host_rate *hr = hv_rates_host(r);
	assert_true(isnan(hr->hwmon[0].watts));
	assert_near(hr->hwmon[1].watts, 1.0);
	assert_true(isnan(hr->host_watts));
	assert_true(isnan(hv_rates_dom(r, 0)->watts));
	hv_rates_free(r);
	assert_int_equal(0,
	                 hvt_hwmon_set(f->h, 0, "energy1_input", "2000500\n"));
	hv_snap *c = at(f, S(4), S(12), S(6));
	r = rates(b, c);
	assert_near(hv_rates_host(r)->hwmon[0].watts, 1.0);
	assert_near(hv_rates_host(r)->host_watts, 1.0);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	hv_snap_unref(c);
	fx_free(f);
}

/* Malformed values: that sensor is `error`, named in the note; the other
 * sensors are intact; the host power is unknown, not a partial sum. */
static void test_malformed(void **state)
{
	static const char *const bad[] = {"12a4\n", "\n", "-5\n",
	                                  "99999999999999999999999\n"};
	fx *f = host(1);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_XGENE, NULL));
	fx_open(f);
	for (size_t k = 0; k < sizeof(bad) / sizeof(*bad); k++) {
		assert_int_equal(
		    0, hvt_hwmon_set(f->h, 0, "power2_input", "%s", bad[k]));
		hv_snap *a = at(f, S(1), S(10), S(5));
		hv_snap *b = at(f, S(2), S(11), S(5));
		const hv_host *h = hv_snap_host(b);
		assert_int_equal(h->nr_hwmon, 2);
		assert_int_equal(h->hwmon[1].power_uw.why, HV_NA_ERROR);
		assert_int_equal(h->hwmon[0].power_uw.v, 12000000);
		note_has(h, "hwmon0/power2_input: not a number");
		hv_rates *r = rates(a, b);
		assert_near(hv_rates_host(r)->hwmon[0].watts, 12.0);
		assert_true(isnan(hv_rates_host(r)->hwmon[1].watts));
		assert_true(isnan(hv_rates_host(r)->host_watts));
		hv_rates_free(r);
		hv_snap_unref(a);
		hv_snap_unref(b);
	}
	fx_free(f);
}

/* No source: hwmon chips with temperatures only, or no hwmon at all; on
 * arm64 and on x86, each said with its reason; no host power, no domain
 * power. */
static void no_source(int arm, int temps, const char *want)
{
	fx *f = host(arm);

	if (temps) {
		assert_int_equal(
		    0, hvt_build_hwmon(f->h, 0, HVT_HWMON_TEMP, "coretemp"));
		assert_int_equal(
		    0, hvt_build_hwmon(f->h, 3, HVT_HWMON_TEMP, "nvme"));
	}
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	hv_snap *b = at(f, S(2), S(11), S(6));
	const hv_host *h = hv_snap_host(b);
	assert_int_equal(h->nr_hwmon, 0);
	assert_int_equal(h->nr_rapl, 0);
	note_has(h, "no energy source: ");
	note_has(h, want);
	hv_rates *r = rates(a, b);
	assert_int_equal(hv_rates_host(r)->energy_src, HV_ESRC_NONE);
	assert_true(isnan(hv_rates_host(r)->host_watts));
	assert_true(isnan(hv_rates_dom(r, 0)->watts));
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

static void test_no_source(void **state)
{
	(void)state;
	no_source(1, 1,
	          "RAPL is x86 only; no power or energy sensor on hwmon "
	          "chips coretemp, nvme");
	no_source(1, 0, "RAPL is x86 only; no hwmon chips");
	no_source(0, 1,
	          "no RAPL zones (no powercap intel-rapl); no power or "
	          "energy sensor on hwmon chips coretemp, nvme");
}

/* RAPL where present is preferred: the hwmon sensors are shown, none is
 * counted, and the host power is RAPL's. */
static void test_rapl_preferred(void **state)
{
	fx *f = host(0);
	(void)state;

	assert_int_equal(0, hvt_build_rapl(f->h, 1, 0, 0));
	assert_int_equal(0,
	                 hvt_build_hwmon(f->h, 0, HVT_HWMON_POWER_METER, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	assert_int_equal(0, hvt_rapl_set_energy(f->h, "intel-rapl:0", 3000000));
	hv_snap *b = at(f, S(2), S(11), S(5));
	const hv_host *h = hv_snap_host(b);
	assert_int_equal(h->nr_hwmon, 1);
	assert_int_equal(h->hwmon[0].zone, 0);
	note_has(h, "RAPL (powercap); hwmon sensors shown, not counted");
	hv_rates *r = rates(a, b);
	assert_int_equal(hv_rates_host(r)->energy_src, HV_ESRC_RAPL);
	assert_near(hv_rates_host(r)->pkg_watts, 2.0); /* package-0: +2 J */
	assert_near(hv_rates_host(r)->host_watts, 2.0);
	assert_near(hv_rates_host(r)->hwmon[0].watts, 245.0);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* A GPU's sensors (i915 counts its energy, amdgpu reads its power) measure
 * the device, not the host: listed, never counted; the power meter is the
 * source even at a higher hwmonN, and with only a GPU there is none. */
static void test_gpu_not_host(void **state)
{
	fx *f = host(0);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_TEMP, "i915"));
	assert_int_equal(0,
	                 hvt_hwmon_set(f->h, 0, "energy1_input", "7000000\n"));
	assert_int_equal(0,
	                 hvt_build_hwmon(f->h, 1, HVT_HWMON_POWER_METER, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	assert_int_equal(
	    0, hvt_hwmon_set(f->h, 0, "energy1_input", "107000000\n"));
	hv_snap *b = at(f, S(2), S(11), S(5));
	const hv_host *h = hv_snap_host(b);
	size_t ig, im;
	assert_int_equal(h->nr_hwmon, 2);
	assert_int_equal(find(h, "hwmon0/energy1_input", &ig)->zone, 0);
	assert_int_equal(find(h, "hwmon1/device/power1_average", &im)->zone, 1);
	note_has(h, "hwmon power_meter: 1 power sensor");
	hv_rates *r = rates(a, b);
	const hv_host_rate *hr = hv_rates_host(r);
	assert_near(hr->hwmon[ig].watts, 100.0); /* shown: the GPU's 100 W */
	assert_near(hr->host_watts, 245.0);
	assert_int_equal(hr->energy_src, HV_ESRC_HWMON_POWER);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);

	f = host(0);
	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_TEMP, "amdgpu"));
	assert_int_equal(
	    0, hvt_hwmon_set(f->h, 0, "power1_average", "40000000\n"));
	fx_open(f);
	a = at(f, S(1), S(10), S(5));
	b = at(f, S(2), S(11), S(5));
	h = hv_snap_host(b);
	assert_int_equal(h->nr_hwmon, 1);
	assert_int_equal(h->hwmon[0].zone, 0);
	note_has(h, "no energy source: no RAPL zones (no powercap "
	            "intel-rapl); hwmon power and energy sensors only on "
	            "devices (amdgpu), not the host's");
	r = rates(a, b);
	assert_int_equal(hv_rates_host(r)->energy_src, HV_ESRC_NONE);
	assert_near(hv_rates_host(r)->hwmon[0].watts, 40.0);
	assert_true(isnan(hv_rates_host(r)->host_watts));
	assert_true(isnan(hv_rates_dom(r, 0)->watts));
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* The driver unloads: its sensors read unavailable once, then are gone. */
static void test_vanish(void **state)
{
	fx *f = host(1);
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_XGENE, NULL));
	fx_open(f);
	hv_snap_unref(at(f, S(1), S(10), S(5)));
	assert_int_equal(0, hvt_rm(f->h->sys, "class/hwmon/hwmon0"));
	hv_snap *b = at(f, S(2), S(11), S(5));
	assert_int_equal(hv_snap_host(b)->nr_hwmon, 2);
	assert_int_equal(hv_snap_host(b)->hwmon[0].power_uw.why,
	                 HV_NA_UNAVAILABLE);
	hv_snap *c = at(f, S(3), S(12), S(5));
	assert_int_equal(hv_snap_host(c)->nr_hwmon, 0);
	note_has(hv_snap_host(c), "no hwmon chips");
	hv_snap_unref(b);
	hv_snap_unref(c);
	fx_free(f);
}

/* hvkit.snap records carry the sensors and the note (replay shows them). */
static void test_snapjson(void **state)
{
	fx *f = host(1);
	hv_err err = {0};
	char *line = NULL;
	hv_snap *back = NULL;
	(void)state;

	assert_int_equal(0, hvt_build_hwmon(f->h, 0, HVT_HWMON_SCMI, NULL));
	fx_open(f);
	hv_snap *a = at(f, S(1), S(10), S(5));
	if (hv_snapjson_write(a, &line, &err) ||
	    hv_snapjson_parse(line, strlen(line), &back, &err))
		fail_msg("snapjson: %s", err.msg);
	const hv_host *h = hv_snap_host(a), *g = hv_snap_host(back);
	assert_int_equal(g->nr_hwmon, h->nr_hwmon);
	for (uint32_t i = 0; i < h->nr_hwmon; i++) {
		assert_string_equal(g->hwmon[i].path, h->hwmon[i].path);
		assert_string_equal(g->hwmon[i].label, h->hwmon[i].label);
		assert_int_equal(g->hwmon[i].zone, h->hwmon[i].zone);
		assert_int_equal(g->hwmon[i].energy_uj.v,
		                 h->hwmon[i].energy_uj.v);
		assert_int_equal(g->hwmon[i].power_uw.why,
		                 h->hwmon[i].power_uw.why);
	}
	assert_string_equal(g->energy_note, h->energy_note);
	free(line);
	hv_snap_unref(back);
	hv_snap_unref(a);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_scmi),
	    cmocka_unit_test(test_power_meter),
	    cmocka_unit_test(test_xgene),
	    cmocka_unit_test(test_amd_energy),
	    cmocka_unit_test(test_reset),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_no_source),
	    cmocka_unit_test(test_rapl_preferred),
	    cmocka_unit_test(test_gpu_not_host),
	    cmocka_unit_test(test_vanish),
	    cmocka_unit_test(test_snapjson),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
