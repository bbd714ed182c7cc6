/* SPDX-License-Identifier: MIT */
/* Platform sampling cost on fixture hosts of 64..512 CPUs (intel_pstate,
 * intel_idle with 4 states, RAPL): a cached sample (what the kvm backend
 * does every second) against the baseline of rediscovering everything
 * each time (open + sample + close), measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "hv/platform.h"
#include "hvtest.h"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(void)
{
	static const unsigned sizes[] = {64, 256, 512};
	const int reps = 10;

	printf("%6s %14s %18s %8s\n", "CPUS", "SAMPLE_MS", "REDISCOVER_MS",
	       "RATIO");
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		hvt_host *h = hvt_host_new("bench");
		hv_env env;
		hv_plat *p = NULL;
		double t0, cached, full;

		if (!h || hvt_build_intel_host(h, sizes[i], 2)) {
			fprintf(stderr, "fixture failed\n");
			return 1;
		}
		hvt_host_env(h, &env);
		if (hv_plat_open(&env, &p, NULL))
			return 1;
		t0 = now();
		for (int r = 0; r < reps; r++) {
			hv_snap *s = hv_snap_new();
			hv_plat_sample(p, s, NULL);
			hv_snap_unref(s);
		}
		cached = (now() - t0) / reps;
		hv_plat_close(p);
		t0 = now();
		for (int r = 0; r < reps; r++) {
			hv_snap *s = hv_snap_new();
			hv_plat *q = NULL;
			hv_plat_open(&env, &q, NULL);
			hv_plat_sample(q, s, NULL);
			hv_plat_close(q);
			hv_snap_unref(s);
		}
		full = (now() - t0) / reps;
		printf("%6u %14.2f %18.2f %8.2f\n", sizes[i], cached * 1e3,
		       full * 1e3, full / cached);
		hvt_host_free(h);
	}
	return 0;
}
