/* SPDX-License-Identifier: MIT */
/* The hardware-counter aliases on ARM hosts, encode only (qemu-user has no
 * perf_event_open). libpfm4's ARM tables exist only in its arm64 build, so
 * the per-core cases run in the arm64 cross build (label arm64), with
 * LIBPFM_FORCE_PMU choosing the core (libpfm4 otherwise names it from the
 * real /proc/cpuinfo). Each alias is checked against a copy of the kernel's
 * armv8_pmuv3 events/ directory in its exact format ("event=0x0008\n",
 * 0x%04llx since Linux 5.x), the independent source for the numbers; the
 * Arm ARM's common event numbers are spelled out here a second time.
 * Every build: the x86/generic mapping (amd64, or an ARM core libpfm4 does
 * not know), and big.LITTLE hosts refused with the reason. */
#include <ctype.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hv/pmu.h"
#include "hvtest.h"

#define DEVS "bus/event_source/devices"

typedef struct kev {
	const char *name; /* the kernel's file name under events/ */
	unsigned num;     /* Arm ARM common event number */
} kev;

/* What the kernel lists depends on the core's PMCEID registers. */
static const kev n1_events[] = {{"l1d_cache_refill", 0x03},
                                {"l1d_cache", 0x04},
                                {"inst_retired", 0x08},
                                {"br_mis_pred", 0x10},
                                {"cpu_cycles", 0x11},
                                {"l2d_cache", 0x16},
                                {"l2d_cache_refill", 0x17},
                                {"stall_frontend", 0x23},
                                {"stall_backend", 0x24},
                                {"l3d_cache_refill", 0x2a},
                                {"ll_cache_rd", 0x36},
                                {"ll_cache_miss_rd", 0x37},
                                {NULL, 0}};
static const kev a57_events[] = {
    {"l1d_cache_refill", 0x03}, {"l1d_cache", 0x04},  {"inst_retired", 0x08},
    {"br_mis_pred", 0x10},      {"cpu_cycles", 0x11}, {"l2d_cache", 0x16},
    {"l2d_cache_refill", 0x17}, {"bus_access", 0x19}, {NULL, 0}};
static hvt_host *host_with(const char *const *plain, const char *kpmu,
                           const kev *ev, hv_env *env)
{
	hvt_host *h = hvt_host_new("pmuarm");
	char rel[256];

	assert_non_null(h);
	for (int i = 0; plain && plain[i]; i++) {
		snprintf(rel, sizeof(rel), DEVS "/%s/type", plain[i]);
		assert_int_equal(0, hvt_sys(h, rel, "%d\n", i + 1));
	}
	if (kpmu) {
		/* the type is dynamic (idr): never what the encoding uses */
		snprintf(rel, sizeof(rel), DEVS "/%s/type", kpmu);
		assert_int_equal(0, hvt_sys(h, rel, "10\n"));
		snprintf(rel, sizeof(rel), DEVS "/%s/cpus", kpmu);
		assert_int_equal(0, hvt_sys(h, rel, "0-3\n"));
		snprintf(rel, sizeof(rel), DEVS "/%s/format/event", kpmu);
		assert_int_equal(0, hvt_sys(h, rel, "config:0-15\n"));
	}
	for (; kpmu && ev && ev->name; ev++) {
		snprintf(rel, sizeof(rel), DEVS "/%s/events/%s", kpmu,
		         ev->name);
		assert_int_equal(0, hvt_sys(h, rel, "event=0x%04x\n", ev->num));
	}
	hvt_host_env(h, env);
	return h;
}

static const char *const plain_pmus[] = {"software", "tracepoint", "breakpoint",
                                         NULL};

/* Every build: with no ARM core named, the generic perf events, exactly
 * as before ARM tables were used (x86 unchanged). */
static void t_generic(void **st)
{
	static const struct {
		const char *alias;
		uint64_t config;
	} want[] = {{"instructions", PERF_COUNT_HW_INSTRUCTIONS},
	            {"cycles", PERF_COUNT_HW_CPU_CYCLES},
	            {"llc_misses", PERF_COUNT_HW_CACHE_MISSES}};
	hv_env env;
	hv_err e = {0};
	hv_pmu_ev ev;
	hvt_host *h = host_with(plain_pmus, "armv8_pmuv3_0", n1_events, &env);

	(void)st;
#ifdef __aarch64__
	/* only libpfm4's generic PMU, as on a core it has no table for
	 * (QEMU's max), even when run on one it knows */
	setenv("LIBPFM_FORCE_PMU", "perf", 1);
#else
	unsetenv("LIBPFM_FORCE_PMU");
#endif
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		assert_int_equal(
		    0, hv_pmu_encode_env(&env, want[i].alias, 1, &ev, &e));
		assert_int_equal(PERF_TYPE_HARDWARE, ev.attr.type);
		assert_int_equal(want[i].config, ev.attr.config);
		assert_true(ev.hw);
		assert_string_equal(want[i].alias, ev.name);
		assert_non_null(strstr(ev.desc, "perf::"));
		printf("# %-12s -> %s\n", ev.name, ev.desc);
	}
	assert_int_equal(0, hv_pmu_encode_env(&env, "task-clock", 1, &ev, &e));
	assert_int_equal(PERF_TYPE_SOFTWARE, ev.attr.type);
	unsetenv("LIBPFM_FORCE_PMU");
	hvt_host_free(h);
}

/* The PMU refused for why: the default set opens with the two software
 * events in place of the hardware ones, and the note says why. */
static hv_pmu *refused(const hv_env *env, const char *why_want)
{
	hv_err e = {0};
	hv_pmu *p = NULL;
	char why[64], note[HV_NOTE_LEN];

	assert_int_equal(0, hv_pmu_hw_check(env, why, sizeof(why)));
	assert_string_equal(why_want, why);
	assert_int_equal(0, hv_pmu_open(env, HV_PMU_EVENTS_DEFAULT, &p, &e));
	assert_int_equal(2, hv_pmu_nslots(p));
	assert_string_equal("task-clock", hv_pmu_slot(p, 0));
	assert_string_equal("context-switches", hv_pmu_slot(p, 1));
	snprintf(note, sizeof(note),
	         "%s: hardware events replaced by software events", why_want);
	assert_string_equal(note, hv_pmu_note(p));
	return p;
}

/* CPU PMUs kpmu[0] (with events) and the others: refused once, with why. */
static void big_little(const char *const *kpmu, const kev *ev, const char *why)
{
	hv_env env;
	hv_pmu *p = NULL;
	hvt_host *h = host_with(plain_pmus, kpmu[0], ev, &env);
	char rel[256];

	for (int i = 1; kpmu[i]; i++) {
		snprintf(rel, sizeof(rel), DEVS "/%s/type", kpmu[i]);
		assert_int_equal(0, hvt_sys(h, rel, "%d\n", 10 + i));
	}
	p = refused(&env, why);
	printf("# %s\n", hv_pmu_note(p));
	hv_pmu_close(p);
	hvt_host_free(h);
}

/* Every build: several CPU PMUs (big.LITTLE): refused once, with why. */
static void t_big_little(void **st)
{
	static const char *const k[] = {"armv8_cortex_a53", "armv8_cortex_a72",
	                                NULL};

	(void)st;
	big_little(k, a57_events,
	           "2 CPU PMUs (big.LITTLE): a counter sees one type");
}

/* Every build: Armv9 cores' PMUs are named armv9_* by the kernel (a DT
 * phone-class SoC: Cortex-A510 + A710 + X2): big.LITTLE all the same. */
static void t_big_little_v9(void **st)
{
	static const char *const k[] = {
	    "armv9_cortex_a510", "armv9_cortex_a710", "armv9_cortex_x2", NULL};

	(void)st;
	big_little(k, n1_events,
	           "3 CPU PMUs (big.LITTLE): a counter sees one type");
}

#if defined(__aarch64__) && defined(HV_HAVE_PFM)
/* an N2 whose PMU lists no LL_CACHE_MISS_RD: the L3 event is used */
static const kev n2_no_ll_events[] = {{"inst_retired", 0x08},
                                      {"cpu_cycles", 0x11},
                                      {"l2d_cache_refill", 0x17},
                                      {"l3d_cache_refill", 0x2a},
                                      {NULL, 0}};
/* QEMU's emulated PMU (TCG, -cpu neoverse-n1): no cache events */
static const kev qemu_events[] = {
    {"inst_retired", 0x08}, {"cpu_cycles", 0x11}, {NULL, 0}};

/* The event number the kernel's fixture file gives, parsed here on its own. */
static unsigned kernel_num(const hvt_host *h, const char *kpmu,
                           const char *file)
{
	char rel[256], *s;
	unsigned v = 0;

	snprintf(rel, sizeof(rel), DEVS "/%s/events/%s", kpmu, file);
	s = hvt_read(h->sys, rel);
	assert_non_null(s);
	assert_int_equal(1, sscanf(s, "event=0x%x\n", &v));
	free(s);
	return v;
}

static void check_core(const char *core, const kev *kevs, const char *llc,
                       unsigned llc_num)
{
	static const struct {
		const char *alias, *ev, *file;
		unsigned num;
	} hw[] = {{"instructions", "INST_RETIRED", "inst_retired", 0x08},
	          {"cycles", "CPU_CYCLES", "cpu_cycles", 0x11}};
	char want[64], file[48];
	hv_env env;
	hv_err e = {0};
	hv_pmu_ev ev;
	hvt_host *h = host_with(plain_pmus, "armv8_pmuv3_0", kevs, &env);

	setenv("LIBPFM_FORCE_PMU", core, 1);
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(
		    0, hv_pmu_encode_env(&env, hw[i].alias, 1, &ev, &e));
		/* PERF_TYPE_RAW: the kernel gives it to the CPU PMU, whatever
		 * that PMU's own (dynamic) type number is */
		assert_int_equal(PERF_TYPE_RAW, ev.attr.type);
		assert_int_equal(hw[i].num, ev.attr.config);
		assert_int_equal(kernel_num(h, "armv8_pmuv3_0", hw[i].file),
		                 ev.attr.config);
		assert_int_equal(1, ev.attr.exclude_host);
		assert_int_equal(0, ev.attr.exclude_guest);
		snprintf(want, sizeof(want), "%s::%s", core, hw[i].ev);
		assert_non_null(strstr(ev.desc, want));
	}
	assert_int_equal(0, hv_pmu_encode_env(&env, "llc_misses", 1, &ev, &e));
	assert_int_equal(PERF_TYPE_RAW, ev.attr.type);
	assert_int_equal(llc_num, ev.attr.config);
	for (size_t i = 0; i < sizeof(file); i++)
		if (!(file[i] = (char)tolower((unsigned char)llc[i])))
			break;
	assert_int_equal(kernel_num(h, "armv8_pmuv3_0", file), ev.attr.config);
	snprintf(want, sizeof(want), "%s::%s", core, llc);
	assert_non_null(strstr(ev.desc, want));
	printf("# %-9s llc_misses -> %s\n", core, ev.desc);
	/* software aliases stay generic (built in when forced) */
	assert_int_equal(0, hv_pmu_encode_env(&env, "task-clock", 1, &ev, &e));
	assert_int_equal(PERF_TYPE_SOFTWARE, ev.attr.type);
	assert_int_equal(PERF_COUNT_SW_TASK_CLOCK, ev.attr.config);
	unsetenv("LIBPFM_FORCE_PMU");
	hvt_host_free(h);
}

static void t_arm_cores(void **st)
{
	(void)st;
	check_core("arm_n1", n1_events, "LL_CACHE_MISS_RD", 0x37);
	check_core("arm_v1", n1_events, "LL_CACHE_MISS_RD", 0x37);
	check_core("arm_ac57", a57_events, "L2D_CACHE_REFILL", 0x17);
	check_core("arm_ac53", a57_events, "L2D_CACHE_REFILL", 0x17);
	/* the kernel's list decides among what libpfm4's table has */
	check_core("arm_n2", n2_no_ll_events, "L3D_CACHE_REFILL", 0x2a);
}

/* QEMU's PMU on a core libpfm4 knows: llc_misses left out, said why. */
static void t_arm_no_llc(void **st)
{
	hv_env env;
	hv_err e = {0};
	hv_pmu_ev ev;
	hvt_host *h = host_with(plain_pmus, "armv8_pmuv3_0", qemu_events, &env);

	(void)st;
	setenv("LIBPFM_FORCE_PMU", "arm_n1", 1);
	assert_int_equal(-ENOENT,
	                 hv_pmu_encode_env(&env, "llc_misses", 1, &ev, &e));
	assert_string_equal("llc_misses left out: no such event on arm_n1 in "
	                    "armv8_pmuv3_0",
	                    e.msg);
	assert_int_equal(0, hv_pmu_encode_env(&env, "cycles", 1, &ev, &e));
	assert_int_equal(0x11, ev.attr.config);
	unsetenv("LIBPFM_FORCE_PMU");
	hvt_host_free(h);
}

/* Xen dom0 on ARM: libpfm4 names the CPU (arm_ac57) but event_source has
 * no CPU PMU. One note; the hardware slots are gone, so no open of them
 * can fail per thread. */
static void t_arm_dom0(void **st)
{
	static const char *const dom0[] = {
	    "software", "tracepoint", "breakpoint", "kprobe", "uprobe", NULL};
	const char *note = "no hardware PMU (kernel has none for arm_ac57): "
	                   "hardware events replaced by software events";
	hv_env env;
	hv_pmu *p = NULL;
	hv_snap *sn;
	hvt_host *h = host_with(dom0, NULL, NULL, &env);

	(void)st;
	assert_int_equal(0, hvt_build_arm64_host(h, 2, HVT_ARM_SCMI));
	setenv("LIBPFM_FORCE_PMU", "arm_ac57", 1);
	p = refused(&env, "no hardware PMU (kernel has none for arm_ac57)");
	assert_string_equal(note, hv_pmu_note(p));
	sn = hv_snap_new();
	hv_pmu_fill(p, sn);
	assert_int_equal(2, hv_snap_host(sn)->nr_hw);
	assert_string_equal(note, hv_snap_host(sn)->hw_note);
	hv_snap_unref(sn);
	hv_pmu_close(p);
	unsetenv("LIBPFM_FORCE_PMU");
	hvt_host_free(h);
}
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_generic),
		cmocka_unit_test(t_big_little),
		cmocka_unit_test(t_big_little_v9),
#if defined(__aarch64__) && defined(HV_HAVE_PFM)
		cmocka_unit_test(t_arm_cores),
		cmocka_unit_test(t_arm_no_llc),
		cmocka_unit_test(t_arm_dom0),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
