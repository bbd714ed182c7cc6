/* SPDX-License-Identifier: MIT */
/* bench_lvgroups: what libvirtd spends on each stats group of
 * virConnectGetAllDomainStats. For each group alone, then for the groups
 * hvkit asks for and for all of them, CALLS bulk calls (ACTIVE | NOWAIT,
 * as hvkit's source), 50 ms apart, counting libvirtd's CPU time (the sum
 * of its threads' run time in /proc/PID/task/.../schedstat, ns) and
 * ours ("hvkit": state and block, balloon every HV_LV_BALLOON_EVERY-th
 * call, as the source does when procfs has every tap). Usage: bench_lvgroups URI LIBVIRTD_PID [CALLS]. Prints one line
 * per set: "group NAME libvirtd_us_per_call N client_us_per_call N
 * call_ms N keys N". Links libvirt directly: a benchmark, not libhv. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "libvirt/lv_int.h"

#define FLAGS                                       \
	(VIR_CONNECT_GET_ALL_DOMAINS_STATS_ACTIVE | \
	 VIR_CONNECT_GET_ALL_DOMAINS_STATS_NOWAIT)

static unsigned long long run_ns(const char *pid)
{
	char path[256];
	unsigned long long sum = 0;
	struct dirent *e;
	DIR *d;

	snprintf(path, sizeof(path), "/proc/%s/task", pid);
	d = opendir(path);
	if (!d)
		return 0;
	while ((e = readdir(d))) {
		unsigned long long v;
		FILE *f;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "/proc/%s/task/%s/schedstat", pid,
		         e->d_name);
		f = fopen(path, "r");
		if (f && fscanf(f, "%llu", &v) == 1)
			sum += v;
		if (f)
			fclose(f);
	}
	closedir(d);
	return sum;
}

static unsigned long long self_ns(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ((unsigned long long)ru.ru_utime.tv_sec +
	        (unsigned long long)ru.ru_stime.tv_sec) *
	           1000000000ULL +
	       ((unsigned long long)ru.ru_utime.tv_usec +
	        (unsigned long long)ru.ru_stime.tv_usec) *
	           1000ULL;
}

static unsigned long long mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (unsigned long long)ts.tv_sec * 1000000000ULL +
	       (unsigned long long)ts.tv_nsec;
}

static void quiet(void *arg, virErrorPtr e)
{
	(void)arg;
	(void)e;
}

/* extra: a group added to every HV_LV_BALLOON_EVERY-th call, as hvkit's
 * source adds the balloon group. */
static int one_set(virConnectPtr c, const char *pid, const char *name,
                   unsigned groups, unsigned extra, int calls)
{
	unsigned long long l0 = run_ns(pid), s0 = self_ns(), wall = 0;
	struct timespec gap = {0, 50000000};
	int keys = 0;

	for (int i = 0; i < calls; i++) {
		virDomainStatsRecordPtr *r = NULL;
		unsigned long long t0 = mono_ns();
		unsigned g =
		    groups | (i % HV_LV_BALLOON_EVERY == 0 ? extra : 0);
		int n = virConnectGetAllDomainStats(c, g, &r, FLAGS);
		wall += mono_ns() - t0;
		if (n < 0) {
			fprintf(stderr, "bench_lvgroups: %s: %s\n", name,
			        virGetLastErrorMessage());
			return -1;
		}
		keys = 0;
		for (int j = 0; j < n; j++)
			keys += r[j]->nparams;
		virDomainStatsRecordListFree(r);
		nanosleep(&gap, NULL);
	}
	printf("group %s libvirtd_us_per_call %.0f client_us_per_call %.0f "
	       "call_ms %.2f keys %d\n",
	       name, (double)(run_ns(pid) - l0) / 1e3 / calls,
	       (double)(self_ns() - s0) / 1e3 / calls,
	       (double)wall / 1e6 / calls, keys);
	return 0;
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		unsigned groups, extra;
	} sets[] = {
	    {"state", VIR_DOMAIN_STATS_STATE, 0},
	    {"cpu-total", VIR_DOMAIN_STATS_CPU_TOTAL, 0},
	    {"balloon", VIR_DOMAIN_STATS_BALLOON, 0},
	    {"vcpu", VIR_DOMAIN_STATS_VCPU, 0},
	    {"interface", VIR_DOMAIN_STATS_INTERFACE, 0},
	    {"block", VIR_DOMAIN_STATS_BLOCK, 0},
	    {"all-six",
	     VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_CPU_TOTAL |
	         VIR_DOMAIN_STATS_BALLOON | VIR_DOMAIN_STATS_VCPU |
	         VIR_DOMAIN_STATS_INTERFACE | VIR_DOMAIN_STATS_BLOCK,
	     0},
	    {"state+balloon", VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON,
	     0},
	    {"state+block", VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BLOCK, 0},
	    {"state+balloon+block",
	     VIR_DOMAIN_STATS_STATE | VIR_DOMAIN_STATS_BALLOON |
	         VIR_DOMAIN_STATS_BLOCK,
	     0},
	    {"hvkit", HV_LV_GROUPS, HV_LV_GROUP_BALLOON},
	};
	int calls = argc > 3 ? atoi(argv[3]) : 30;
	virConnectPtr c;
	int rc = 0;

	if (argc < 3 || calls < 1)
		return fprintf(stderr,
		               "usage: bench_lvgroups URI PID [CALLS]\n"),
		       2;
	virSetErrorFunc(NULL, quiet);
	c = virConnectOpenReadOnly(argv[1]);
	if (!c)
		return fprintf(stderr, "bench_lvgroups: %s\n",
		               virGetLastErrorMessage()),
		       1;
	for (size_t i = 0; i < sizeof(sets) / sizeof(sets[0]) && !rc; i++)
		rc = one_set(c, argv[2], sets[i].name, sets[i].groups,
		             sets[i].extra, calls);
	virConnectClose(c);
	return rc ? 1 : 0;
}
