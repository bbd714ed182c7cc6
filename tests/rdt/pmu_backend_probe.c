/* SPDX-License-Identifier: MIT */
/* e2e probe through the whole chain: kvm backend + perf enricher. Two
 * samples SECONDS apart; each vCPU's task-clock delta in hv_vcpu.hw[0] is
 * compared with the thread's own run time (/proc/PID/task/TID/schedstat)
 * read right before and after each sample (±10%, 20 ms floor).
 *   rdt_pmu_backend_probe SECONDS PID
 * 77 when the kvm backend is not built in or perf is not permitted. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hv/backend.h"

static unsigned long long sched_ns(unsigned pid, int tid)
{
	char p[96];
	unsigned long long ns = 0;
	FILE *f;

	snprintf(p, sizeof(p), "/proc/%u/task/%d/schedstat", pid, tid);
	if ((f = fopen(p, "r"))) {
		if (fscanf(f, "%llu", &ns) != 1)
			ns = 0;
		fclose(f);
	}
	return ns;
}

static const hv_dom *find(hv_snap *s, unsigned pid)
{
	return hv_snap_find_id(s, pid);
}

int main(int argc, char **argv)
{
	hv_env env;
	hv_err e = {0};
	hv_backend *b = NULL;
	hv_backend_opts o = {0};
	hv_snap *s0 = NULL, *s1 = NULL;
	const hv_dom *d0, *d1;
	unsigned pid;
	unsigned long long a0[64], a1[64], b0[64], b1[64];
	int bad = 0;

	if (argc != 3)
		return 2;
	pid = (unsigned)atoi(argv[2]);
	hv_env_init(&env, &e);
	o.name = "kvm";
	o.pmu_events = "task-clock";
	if (hv_backend_open(&env, &o, &b, &e)) {
		printf("SKIP: kvm backend: %s\n", e.msg);
		return 77;
	}
	if (hv_backend_sample(b, &s0, &e) || !(d0 = find(s0, pid)) ||
	    !d0->nr_vcpu || d0->nr_vcpu > 64) {
		printf("FAIL: first sample / domain %u: %s\n", pid, e.msg);
		return 1;
	}
	for (uint32_t v = 0; v < d0->nr_vcpu; v++)
		b0[v] = sched_ns(pid, d0->vcpu[v].tid);
	hv_snap_unref(s0);
	if (hv_backend_sample(b, &s0, &e) || !(d0 = find(s0, pid)))
		return 1;
	for (uint32_t v = 0; v < d0->nr_vcpu; v++)
		a0[v] = sched_ns(pid, d0->vcpu[v].tid);
	if (d0->vcpu[0].hw[0].why == HV_NA_UNAVAILABLE &&
	    strstr(hv_snap_host(s0)->hw_note, "perf_event_open")) {
		printf("SKIP: %s\n", hv_snap_host(s0)->hw_note);
		return 77;
	}
	usleep((useconds_t)(atof(argv[1]) * 1e6));
	for (uint32_t v = 0; v < d0->nr_vcpu; v++)
		b1[v] = sched_ns(pid, d0->vcpu[v].tid);
	if (hv_backend_sample(b, &s1, &e) || !(d1 = find(s1, pid)) ||
	    d1->nr_vcpu != d0->nr_vcpu)
		return 1;
	for (uint32_t v = 0; v < d1->nr_vcpu; v++)
		a1[v] = sched_ns(pid, d1->vcpu[v].tid);
	printf("slot 0 \"%s\", note \"%s\"\n", hv_snap_host(s1)->hw_name[0],
	       hv_snap_host(s1)->hw_note);
	for (uint32_t v = 0; v < d1->nr_vcpu; v++) {
		hv_u64 x0 = d0->vcpu[v].hw[0], x1 = d1->vcpu[v].hw[0];
		/* the sample lies between the before/after reads */
		double lo = (double)(b1[v] - a0[v]),
		       hi = (double)(a1[v] - b0[v]);
		double got, tol;
		if (!hv_ok(x0) || !hv_ok(x1)) {
			printf("vCPU %u: counter missing (%s)\n", v,
			       hv_why_str((hv_why)x1.why));
			bad = 1;
			continue;
		}
		got = (double)(x1.v - x0.v);
		tol = hi * 0.10 > 20e6 ? hi * 0.10 : 20e6;
		printf("vCPU %u tid %d: task-clock %.1f ms, schedstat "
		       "%.1f..%.1f ms\n",
		       v, d1->vcpu[v].tid, got / 1e6, lo / 1e6, hi / 1e6);
		if (got < lo - tol || got > hi + tol)
			bad = 1;
	}
	hv_snap_unref(s0);
	hv_snap_unref(s1);
	hv_backend_close(b);
	return bad;
}
