/* SPDX-License-Identifier: MIT */
/* perf counting on a thread of this process (allowed at any
 * perf_event_paranoid for one's own threads): encoding of guest-only bits,
 * the software fallback and its note, task-clock against the thread's own
 * CPU clock, and hv_pmu_fill on a snapshot. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/pmu.h"

typedef struct spin {
	volatile int stop;
	volatile int32_t tid;
	clockid_t clk;
} spin;

static void *spinner(void *arg)
{
	spin *s = arg;

	s->tid = (int32_t)syscall(SYS_gettid);
	while (!s->stop)
		;
	return NULL;
}

static uint64_t cpu_ns(clockid_t c)
{
	struct timespec ts;

	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void t_encode(void **st)
{
	struct perf_event_attr a;
	char name[64];
	int hw;
	hv_err e = {0};

	(void)st;
	assert_int_equal(0, hv_pmu_encode("instructions", 1, &a, name,
	                                  sizeof(name), &hw, &e));
	assert_true(hw);
	assert_string_equal("instructions", name);
	assert_int_equal(PERF_TYPE_HARDWARE, a.type);
	assert_int_equal(PERF_COUNT_HW_INSTRUCTIONS, a.config);
	assert_int_equal(1, a.exclude_host);
	assert_int_equal(0, a.exclude_guest);
	assert_int_equal(0, a.inherit);
	assert_int_equal(
	    0, hv_pmu_encode("task-clock", 1, &a, name, sizeof(name), &hw, &e));
	assert_false(hw);
	assert_int_equal(PERF_TYPE_SOFTWARE, a.type);
	assert_int_equal(PERF_COUNT_SW_TASK_CLOCK, a.config);
	assert_int_equal(0, a.exclude_host);
	assert_int_equal(0, a.exclude_guest);
	assert_int_equal(-EINVAL, hv_pmu_encode("no_such_event_xyz", 1, &a,
	                                        name, sizeof(name), &hw, &e));
#ifdef HV_HAVE_PFM
	assert_int_equal(0, hv_pmu_encode("perf::CONTEXT-SWITCHES", 1, &a, name,
	                                  sizeof(name), &hw, &e));
	assert_int_equal(PERF_COUNT_SW_CONTEXT_SWITCHES, a.config);
#endif
}

static void t_fallback_and_count(void **st)
{
	hv_env env;
	hv_err e = {0};
	hv_pmu *p = NULL;
	spin s = {0};
	pthread_t th;
	char why[64];
	int hw = hv_pmu_hw_available(why, sizeof(why));
	hv_u64 v0[HV_HW_MAX], v1[HV_HW_MAX];
	uint64_t c0, c1;
	size_t tc = 99;

	(void)st;
	hv_env_init(&env, &e);
	assert_int_equal(0, hv_pmu_open(&env, HV_PMU_EVENTS_DEFAULT, &p, &e));
	if (!hw) {
		/* said once, clearly; software events replace hardware */
		assert_non_null(strstr(hv_pmu_note(p), "software events"));
		assert_string_equal("task-clock", hv_pmu_slot(p, 0));
		assert_string_equal("context-switches", hv_pmu_slot(p, 1));
		assert_int_equal(2, hv_pmu_nslots(p));
		tc = 0;
		printf("# no hardware counters here: %s\n", why);
	} else {
		assert_string_equal("", hv_pmu_note(p));
		assert_string_equal("instructions", hv_pmu_slot(p, 0));
	}
	hv_pmu_close(p);

	assert_int_equal(0, hv_pmu_open(&env, "task-clock", &p, &e));
	tc = 0;
	assert_int_equal(0, pthread_create(&th, NULL, spinner, &s));
	while (!s.tid)
		;
	assert_int_equal(0, pthread_getcpuclockid(th, &s.clk));
	assert_int_equal(0, hv_pmu_read_tid(p, 1, s.tid, v0, &e));
	c0 = cpu_ns(s.clk);
	/* a shared machine may give the spinner little CPU: wait for CPU
	 * time, not wall time */
	for (int i = 0; i < 1000 && cpu_ns(s.clk) - c0 < 80000000ull; i++)
		usleep(20000);
	assert_int_equal(0, hv_pmu_read_tid(p, 1, s.tid, v1, &e));
	c1 = cpu_ns(s.clk);
	assert_true(hv_ok(v0[tc]) && hv_ok(v1[tc]));
	{
		double a = (double)(v1[tc].v - v0[tc].v), b = (double)(c1 - c0);
		double tol = b * 0.1 > 2e6 ? b * 0.1 : 2e6;
		printf("# task-clock %.1f ms, thread CPU clock %.1f ms\n",
		       a / 1e6, b / 1e6);
		assert_true(b > 50e6);
		assert_true(a > b - tol && a < b + tol);
	}
	/* the enricher fills vCPU slots by tid and names the slots */
	{
		hv_snap *sn = hv_snap_new();
		hv_dom *d = hv_snap_add_dom(sn);
		hv_vcpu *vc;
		d->key = 5;
		d->id = (uint32_t)getpid();
		vc = hv_snap_vcpus(sn, d, 2);
		d->nr_vcpu = 2;
		vc[0].tid = s.tid;
		vc[1].tid = -1; /* Xen-style: left alone */
		hv_pmu_fill(p, sn);
		assert_int_equal(1, hv_snap_host(sn)->nr_hw);
		assert_string_equal("task-clock", hv_snap_host(sn)->hw_name[0]);
		assert_true(hv_ok(hv_snap_dom(sn, 0)->vcpu[0].hw[0]));
		assert_int_equal(HV_NA_UNSUPPORTED,
		                 hv_snap_dom(sn, 0)->vcpu[1].hw[0].why);
		hv_snap_unref(sn);
	}
	s.stop = 1;
	pthread_join(th, NULL);
	/* a thread that is gone: marked, not zero */
	{
		hv_snap *sn = hv_snap_new();
		hv_dom *d = hv_snap_add_dom(sn);
		hv_vcpu *vc;
		d->key = 6;
		vc = hv_snap_vcpus(sn, d, 1);
		d->nr_vcpu = 1;
		vc[0].tid = 0x3ffffff0; /* no such thread */
		hv_pmu_fill(p, sn);
		assert_int_equal(HV_NA_UNAVAILABLE,
		                 hv_snap_dom(sn, 0)->vcpu[0].hw[0].why);
		hv_snap_unref(sn);
	}
	hv_pmu_close(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_encode),
	    cmocka_unit_test(t_fallback_and_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
