/* SPDX-License-Identifier: MIT */
/* e2e probe: count task-clock through libhv on the given threads of a QEMU
 * process and compare with the kernel's own run time of each thread
 * (/proc/PID/task/TID/schedstat, first field, ns) over the same interval.
 *   rdt_pmu_probe SECONDS PID TID...
 * Exit 0 when every thread agrees within 10% (or 20 ms for idle threads),
 * 77 when perf_event_open is not permitted, 1 otherwise. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/pmu.h"

static int schedstat(int pid, int tid, unsigned long long *ns)
{
	char p[96];
	FILE *f;
	int ok;

	snprintf(p, sizeof(p), "/proc/%d/task/%d/schedstat", pid, tid);
	if (!(f = fopen(p, "r")))
		return -1;
	ok = fscanf(f, "%llu", ns) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

int main(int argc, char **argv)
{
	hv_env env;
	hv_err e = {0};
	hv_pmu *p = NULL;
	int n = argc - 3, pid, bad = 0;
	double sec;
	hv_u64 v0[64][HV_HW_MAX], v1[64][HV_HW_MAX];
	unsigned long long s0[64], s1[64];

	if (argc < 4 || n > 64) {
		fprintf(stderr, "usage: rdt_pmu_probe SECONDS PID TID...\n");
		return 2;
	}
	sec = atof(argv[1]);
	pid = atoi(argv[2]);
	hv_env_init(&env, &e);
	if (hv_pmu_open(&env, "task-clock", &p, &e)) {
		fprintf(stderr, "hv_pmu_open: %s\n", e.msg);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		int tid = atoi(argv[3 + i]);
		if (hv_pmu_read_tid(p, 1, tid, v0[i], &e)) {
			printf("SKIP: %s\n", e.msg);
			hv_pmu_close(p);
			return e.code == EACCES || e.code == EPERM ? 77 : 1;
		}
		if (schedstat(pid, tid, &s0[i]))
			return 1;
	}
	usleep((useconds_t)(sec * 1e6));
	for (int i = 0; i < n; i++) {
		int tid = atoi(argv[3 + i]);
		double a, b, tol;
		if (hv_pmu_read_tid(p, 1, tid, v1[i], &e) ||
		    schedstat(pid, tid, &s1[i]) || !hv_ok(v0[i][0]) ||
		    !hv_ok(v1[i][0])) {
			printf("thread %d: read failed: %s\n", tid, e.msg);
			bad = 1;
			continue;
		}
		a = (double)(v1[i][0].v - v0[i][0].v);
		b = (double)(s1[i] - s0[i]);
		tol = b * 0.10 > 20e6 ? b * 0.10 : 20e6;
		printf(
		    "thread %d: task-clock %.1f ms, schedstat %.1f ms (%s)\n",
		    tid, a / 1e6, b / 1e6,
		    a - b <= tol && b - a <= tol ? "ok" : "MISMATCH");
		if (a - b > tol || b - a > tol)
			bad = 1;
	}
	hv_pmu_close(p);
	return bad;
}
