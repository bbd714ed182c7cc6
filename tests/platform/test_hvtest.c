/* SPDX-License-Identifier: MIT */
/* The shared fixture builders write the kernel's exact formats. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hvtest.h"

static void test_intel_host(void **state)
{
	(void)state;
	hvt_host *h = hvt_host_new("selftest");
	char *v;

	assert_non_null(h);
	assert_int_equal(0, hvt_build_intel_host(h, 4, 1));
	v = hvt_read(h->sys, "devices/system/cpu/cpu0/online");
	assert_null(v); /* x86 >= 6.5 */
	v = hvt_read(h->sys,
	             "devices/system/cpu/cpu3/topology/thread_siblings_list");
	assert_string_equal(v, "2-3\n");
	free(v);
	v = hvt_read(h->sys, "devices/system/cpu/cpu1/cpufreq/"
	                     "energy_performance_available_preferences");
	assert_string_equal(v, "default performance balance_performance "
	                       "balance_power power \n");
	free(v);
	v = hvt_read(h->sys,
	             "devices/system/cpu/cpu1/cpufreq/stats/time_in_state");
	assert_null(v);
	v = hvt_read(h->sys, "class/powercap/intel-rapl:0:1/name");
	assert_string_equal(v, "dram\n");
	free(v);
	v = hvt_read(h->proc, "stat");
	assert_non_null(strstr(v, "cpu1 1100 10 500 21000 50 5 7 3 200 0\n"));
	free(v);
	assert_int_equal(0, hvt_set_cpu_online(h, 4, 2, 0));
	v = hvt_read(h->sys, "devices/system/cpu/online");
	assert_string_equal(v, "0-1,3\n");
	free(v);
	v = hvt_read(h->sys, "devices/system/cpu/offline");
	assert_string_equal(v, "2\n");
	free(v);
	hvt_host_free(h);
}

static void test_acpi_haltpoll(void **state)
{
	(void)state;
	hvt_host *h = hvt_host_new("selftest");
	char *v;

	assert_int_equal(0, hvt_build_cpus(h, &(hvt_cpu_opts){.ncpu = 2}));
	assert_int_equal(0, hvt_build_acpi_cpufreq(h, 2));
	assert_int_equal(0, hvt_build_haltpoll(h, 2));
	v = hvt_read(h->sys,
	             "devices/system/cpu/cpufreq/policy1/stats/time_in_state");
	assert_string_equal(
	    v, "2400000 101\n2000000 200\n1600000 300\n1200000 400\n");
	free(v);
	v = hvt_read(h->sys, "devices/system/cpu/cpu1/cpuidle/state1/name");
	assert_string_equal(v, "haltpoll idle\n");
	free(v);
	hvt_host_free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_intel_host),
	    cmocka_unit_test(test_acpi_haltpoll),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
