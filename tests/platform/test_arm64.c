/* SPDX-License-Identifier: MIT */
/* The platform layer on arm64 fixture trees (tests/lib/hvtest_arm64.c):
 * identification from MIDR, cppc_cpufreq with CPPC levels and feedback
 * counters, scmi per-cluster policies, psci_idle, a board with neither
 * cpufreq nor cpuidle, and cpu0's hotplug refusal although it has an online
 * file. Runs on both architectures (and under qemu-user, label arm64). */
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

#include "hv/platform.h"
#include "hv/rates.h"
#include "hvtest.h"

typedef struct fx {
	hvt_host *h;
	hv_env env;
	hv_plat *p;
} fx;

static fx *fx_new(hvt_arm_kind kind, unsigned ncpu)
{
	fx *f = calloc(1, sizeof(*f));
	hv_err err = {0};

	assert_non_null(f);
	f->h = hvt_host_new("arm64");
	assert_non_null(f->h);
	assert_int_equal(0, hvt_build_arm64_host(f->h, ncpu, kind));
	hvt_host_env(f->h, &f->env);
	if (hv_plat_open(&f->env, &f->p, &err))
		fail_msg("hv_plat_open: %s", err.msg);
	return f;
}

static void fx_free(fx *f)
{
	hv_plat_close(f->p);
	hvt_host_free(f->h);
	free(f);
}

static hv_snap *sample(fx *f, uint64_t mono_ns)
{
	hv_snap *s = hv_snap_new();
	hv_err err = {0};

	assert_non_null(s);
	if (hv_plat_sample(f->p, s, &err))
		fail_msg("hv_plat_sample: %s", err.msg);
	hv_snap_set_time(s, mono_ns, 0, 0);
	assert_int_equal(0, hv_snap_seal(s, &err));
	return s;
}

static void test_midr_names(void **state)
{
	char b[64];
	(void)state;

	hv_midr_name(0x413fd0c1, b, sizeof(b));
	assert_string_equal(b, "ARM Neoverse-N1 r3p1");
	hv_midr_name(0x411fd070, b, sizeof(b));
	assert_string_equal(b, "ARM Cortex-A57 r1p0");
	hv_midr_name(0x481fd010, b, sizeof(b));
	assert_string_equal(b, "HiSilicon Kunpeng-920 r1p0");
	hv_midr_name(0x410fd999, b, sizeof(b));
	assert_string_equal(b, "ARM part 0xd99 r0p9");
	hv_midr_name(0x000f0510, b, sizeof(b)); /* QEMU -cpu max */
	assert_string_equal(b, "implementer 0x00 part 0x051 r0p0");
}

/* QEMU's virt board: no cpufreq, no cpuidle states; both are normal and
 * said so. cpu0 has an online file on arm64 and is still refused. */
static void test_virt_board(void **state)
{
	(void)state;
	fx *f = fx_new(HVT_ARM_VIRT, 2);
	hv_snap *s = sample(f, 1000000000ull);
	const hv_host *h = hv_snap_host(s);
	hv_err err = {0};
	char *v;

	assert_string_equal(h->arch, "aarch64");
	assert_string_equal(h->cpu_model, "implementer 0x00 part 0x051 r0p0");
	assert_int_equal(h->cpu_khz, 0);
	assert_int_equal(h->nr_pcpu, 2);
	assert_int_equal(h->pcpu[0].cur_khz.why, HV_NA_UNSUPPORTED);
	assert_int_equal(h->pcpu[0].nr_cstate, 0);
	assert_int_equal(h->pcpu[0].cppc_nominal_perf.why, HV_NA_UNSUPPORTED);
	assert_string_equal(h->idle_driver, "none");
	assert_non_null(strstr(h->freq_note, "no cpufreq driver"));
	assert_non_null(strstr(h->idle_note, "driver none"));
	/* It has an online file, and still cannot be taken offline. */
	assert_int_equal(h->pcpu[0].hotplug, 0);
	assert_int_equal(h->pcpu[1].hotplug, 1);
	assert_int_equal(h->pcpu[0].online, 1);
	assert_int_equal(-EPERM,
	                 hv_plat_knob_set(f->p, "cpu/0/online", "0", &err));
	assert_non_null(strstr(err.msg, "boot CPU"));
	v = hvt_read(f->h->sys, "devices/system/cpu/cpu0/online");
	assert_string_equal(v, "1\n");
	free(v);
	/* PSCI hotplug of any other CPU goes through its online file. */
	assert_int_equal(0, hv_plat_knob_set(f->p, "cpu/1/online", "0", &err));
	v = hvt_read(f->h->sys, "devices/system/cpu/cpu1/online");
	assert_string_equal(v, "0\n");
	free(v);
	hv_snap_unref(s);
	fx_free(f);
}

/* cppc_cpufreq: nominal clock from acpi_cppc/nominal_freq, CPPC levels,
 * and the delivered clock from the feedback counters: the reference
 * counter runs at nominal_freq * reference_perf / nominal_perf = 25 MHz,
 * so 112 delivered cycles per reference cycle are 2.8 GHz. */
static void test_cppc_server(void **state)
{
	(void)state;
	fx *f = fx_new(HVT_ARM_CPPC, 4);
	hv_snap *a = sample(f, 1000000000ull);
	hv_err err = {0};

	assert_int_equal(0, hvt_cppc_set_feedback(f->h, 1, 1000000 + 2500000,
	                                          120000000 + 280000000));
	hv_snap *b = sample(f, 2000000000ull);
	const hv_host *h = hv_snap_host(b);
	const hv_pcpu *c1 = &h->pcpu[1];

	assert_string_equal(h->arch, "aarch64");
	assert_string_equal(h->cpu_model, "ARM Neoverse-N1 r3p1");
	assert_int_equal(h->cpu_khz, 3000000);
	assert_string_equal(c1->driver, "cppc_cpufreq");
	assert_int_equal(c1->cur_khz.v, 2801000);
	assert_int_equal(c1->hw_max_khz.v, 3000000);
	assert_int_equal(c1->nr_pstate, 0);
	assert_int_equal(c1->cppc_highest_perf.v, 3000);
	assert_int_equal(c1->cppc_nominal_perf.v, 3000);
	assert_int_equal(c1->cppc_lowest_perf.v, 1000);
	assert_int_equal(c1->cppc_fb_ref.v, 3500000);
	assert_int_equal(c1->cppc_ref_khz, 25000);
	assert_string_equal(h->idle_driver, "psci_idle");
	assert_int_equal(c1->nr_cstate, 3);
	assert_string_equal(c1->cstate[0].name, "WFI");
	assert_string_equal(c1->cstate[2].name, "cluster-sleep");
	assert_int_equal(c1->cstate[1].latency_us, 150);
	assert_string_equal(h->freq_note, "");
	assert_string_equal(h->idle_note, "");
	assert_int_equal(h->nr_rapl, 0); /* no RAPL on ARM */

	hv_rates *r = hv_rates_compute(a, b, &err);
	assert_non_null(r);
	const hv_host_rate *hr = hv_rates_host(r);
	assert_true(fabs(hr->pcpu[1].avg_khz - 2800000.0) < 1.0);
	assert_true(isnan(hr->pcpu[0].avg_khz)); /* counters unchanged */
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	fx_free(f);
}

/* scmi: one policy per cluster (cpu1 reads policy0), an OPP table with
 * residency; identification from cpuinfo when sysfs has no regs/. */
static void test_scmi_board(void **state)
{
	(void)state;
	fx *f = fx_new(HVT_ARM_SCMI, 4);
	hv_snap *s = sample(f, 1000000000ull);
	const hv_host *h = hv_snap_host(s);

	assert_string_equal(h->cpu_model, "ARM Cortex-A57 r1p0");
	assert_string_equal(h->pcpu[1].driver, "scmi");
	assert_int_equal(h->pcpu[1].cur_khz.v, 1500000);
	assert_int_equal(h->pcpu[3].nr_pstate, 4);
	assert_int_equal(h->pcpu[3].pstate[3].khz, 2000000);
	assert_int_equal(h->pcpu[0].cppc_nominal_perf.why, HV_NA_UNSUPPORTED);
	hv_snap_unref(s);
	fx_free(f);

	f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->h = hvt_host_new("arm64");
	assert_int_equal(0, hvt_build_arm64_host(f->h, 2, HVT_ARM_SCMI));
	for (unsigned c = 0; c < 2; c++) {
		char rel[96];
		snprintf(rel, sizeof(rel),
		         "devices/system/cpu/cpu%u/regs/identification/"
		         "midr_el1",
		         c);
		assert_int_equal(0, hvt_rm(f->h->sys, rel));
	}
	char arch[16], model[64];
	hvt_host_env(f->h, &f->env);
	hv_host_ident(&f->env, arch, sizeof(arch), model, sizeof(model));
	assert_string_equal(arch, "aarch64");
	assert_string_equal(model, "ARM Cortex-A57 r1p0");
	hvt_host_free(f->h);
	free(f);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_midr_names),
	    cmocka_unit_test(test_virt_board),
	    cmocka_unit_test(test_cppc_server),
	    cmocka_unit_test(test_scmi_board),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
