/* SPDX-License-Identifier: MIT */
/* pmu_count N: what the hardware aliases encode to on this host, then each
 * counted on this thread (user mode) around a loop of N iterations of two
 * instructions (subs + b.ne on arm64), so instructions can be checked
 * against known work. For the arm64 guest test (tests/rdt/
 * test_pmu_arm64_guest.sh); prints one "key value..." line per fact. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "hv/pmu.h"

static void spin(uint64_t n)
{
#if defined(__aarch64__)
	__asm__ volatile("1: subs %0, %0, #1\n\tb.ne 1b" : "+r"(n) : : "cc");
#else
	for (volatile uint64_t i = 0; i < n; i++)
		;
#endif
}

static void count(const hv_env *env, const char *alias, uint64_t n)
{
	hv_pmu_ev ev;
	hv_err e = {0};
	uint64_t v = 0;
	long fd;

	if (hv_pmu_encode_env(env, alias, 0, &ev, &e)) {
		printf("event %s none: %s\n", alias, e.msg);
		return;
	}
	ev.attr.exclude_kernel = 1;
	ev.attr.exclude_hv = 1;
	ev.attr.read_format = 0;
	ev.attr.disabled = 1;
	printf("event %s type %u config 0x%llx desc %s\n", alias, ev.attr.type,
	       (unsigned long long)ev.attr.config, ev.desc);
	fd = syscall(SYS_perf_event_open, &ev.attr, 0, -1, -1, 0);
	if (fd < 0) {
		/* a fact to check, not a failure of the probe */
		printf("count %s open-failed %s\n", alias, strerror(errno));
		return;
	}
	ioctl((int)fd, PERF_EVENT_IOC_ENABLE, 0);
	spin(n);
	ioctl((int)fd, PERF_EVENT_IOC_DISABLE, 0);
	if (read((int)fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
		v = 0;
	close((int)fd);
	printf("count %s %" PRIu64 " loop %" PRIu64 "\n", alias, v, n);
}

int main(int argc, char **argv)
{
	uint64_t n = argc > 1 ? strtoull(argv[1], NULL, 0) : 1000000;
	hv_env env;
	hv_err e = {0};
	hv_pmu *p = NULL;
	char why[64];

	if (hv_env_init(&env, &e)) {
		fprintf(stderr, "pmu_count: %s\n", e.msg);
		return 1;
	}
	printf("hw_check %d %s\n", hv_pmu_hw_check(&env, why, sizeof(why)),
	       why);
	if (hv_pmu_open(&env, HV_PMU_EVENTS_DEFAULT, &p, &e) == 0) {
		for (size_t i = 0; i < hv_pmu_nslots(p); i++)
			printf("slot %s %s\n", hv_pmu_slot(p, i),
			       hv_pmu_slot_event(p, i));
		printf("note %s\n", hv_pmu_note(p));
		hv_pmu_close(p);
	} else {
		printf("open-failed %s\n", e.msg);
	}
	count(&env, "instructions", n);
	count(&env, "cycles", n);
	count(&env, "llc_misses", n);
	return 0;
}
