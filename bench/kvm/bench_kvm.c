/* SPDX-License-Identifier: MIT */
/* bench_kvm: cost of one kvm-backend sample per domain and per vCPU, and
 * its ratio to the floor measured in the same run: reading the very files
 * one steady sample reads, (A) open+read+close each, (B) pread on fds
 * opened beforehand.
 *
 *   bench_kvm [N1,N2,...] [vcpus] [samples]
 *     a generated procfs of N QEMU processes x V vCPUs (one tap each) on
 *     $TMPDIR (default /dev/shm, an in-memory fs like procfs); default
 *     1000,2000 4 30.
 *   bench_kvm --live [N1,...] [vcpus] [samples]
 *     N real processes that look like QEMU (comm, command line, vCPU
 *     threads named "CPU n/KVM", all asleep), read through the real /proc:
 *     the kernel's own cost of generating stat/schedstat/status/io, which a
 *     tmpfs fixture does not pay. No taps. Default 1000 4 30.
 *
 * Samples and floors are measured in alternating rounds (a fresh backend,
 * one cold sample, 5 timed samples, then 5 passes of each floor), so a
 * change in the machine's load moves both alike. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/env.h"
#include "hv/platform.h"
#include "hv/sample.h"
#include "kvm/kvm_int.h"
#include "kvmfix.h"

#define ROUND 5 /* timed samples (and floor passes) per round */
#define MAX_VCPU 64
#define CHILD_FLAG "-hvkit-bench-child"

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static int build(const char *proc, const char *sys, int from, int to, int nv)
{
	kf_vcpu v[64];
	char argname[64], tap[16];
	const char *taps[2] = {tap, NULL};

	for (int d = from; d < to; d++) {
		int pid = 10000 + d * 100;
		const char *argv[] = {"qemu-system-x86_64",
		                      "-name",
		                      argname,
		                      "-m",
		                      "2G",
		                      "-smp",
		                      "4",
		                      "-accel",
		                      "kvm",
		                      NULL};
		kf_proc p = {.pid = pid,
		             .comm = "qemu-system-x86",
		             .exe = "/usr/bin/qemu-system-x86_64",
		             .starttime = 1000 + (uint64_t)d,
		             .utime = 500,
		             .stime = 100,
		             .argv = argv,
		             .rss_pages = 50000,
		             .io_read = 1,
		             .io_write = 2,
		             .nvcpu = nv,
		             .vcpu = v,
		             .nextra = 2,
		             .taps = taps};
		snprintf(argname, sizeof(argname),
		         "guest=vm%05d,debug-threads=on", d);
		snprintf(tap, sizeof(tap), "tap%d", d);
		for (int i = 0; i < nv; i++)
			v[i] = (kf_vcpu){.tid = pid + 1 + i,
			                 .utime = 100,
			                 .stime = 5,
			                 .guest = 90,
			                 .processor = i % 2,
			                 .run_ns = 1000,
			                 .wait_ns = 10,
			                 .cpus_allowed = i ? "0-1" : "1"};
		if (kf_write_proc(proc, &p) || kf_write_tap(sys, tap, 1000))
			return -1;
	}
	return 0;
}

static int build_netdev(const char *proc, int n)
{
	char **names = calloc((size_t)n, sizeof(*names));
	uint64_t *bases = calloc((size_t)n, sizeof(*bases));
	int rc = 0;

	for (int d = 0; d < n; d++) {
		if (asprintf(&names[d], "tap%d", d) < 0)
			return -1;
		bases[d] = 1000 + (uint64_t)d;
	}
	/* All in one namespace: the first guest's view serves them all. */
	rc = kf_write_netdev(proc, 10000, (const char *const *)names, bases, n);
	for (int d = 0; d < n; d++)
		free(names[d]);
	free(names);
	free(bases);
	return rc;
}

/* One domain of the run: its pid and vCPU thread ids. */
struct bdom {
	int pid;
	int tid[MAX_VCPU];
};

enum taps { TAPS_NONE, TAPS_NETDEV, TAPS_SYSFS };

/* The files one steady-state sample reads, as absolute paths: per domain
 * stat and io, per vCPU stat and schedstat, and status for one vCPU in
 * HV_KVM_AFF_PERIOD (the backend re-reads affinity in turn); taps as one
 * net/dev (read through the first domain) or 8 sysfs files each. */
static char **file_list(const char *proc, const char *sys,
                        const struct bdom *dom, int n, int nv, enum taps taps,
                        size_t *count)
{
	static const char *const nf[8] = {
	    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
	    "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"};
	size_t per = 2 + 3 * (size_t)nv + 8, k = 0, nvcpu = 0;
	char **v = calloc((size_t)n * per + 2, sizeof(*v));

	if (!v)
		return NULL;
	for (int d = 0; d < n; d++) {
		const char *f2[2] = {"stat", "io"};
		for (int i = 0; i < 2; i++)
			if (asprintf(&v[k++], "%s/%d/%s", proc, dom[d].pid,
			             f2[i]) < 0)
				return NULL;
		for (int c = 0; c < nv; c++, nvcpu++) {
			const char *tf[3] = {"stat", "schedstat", "status"};
			int nt = nvcpu % HV_KVM_AFF_PERIOD ? 2 : 3;
			for (int i = 0; i < nt; i++)
				if (asprintf(&v[k++], "%s/%d/task/%d/%s", proc,
				             dom[d].pid, dom[d].tid[c],
				             tf[i]) < 0)
					return NULL;
		}
		for (int i = 0; taps == TAPS_SYSFS && i < 8; i++)
			if (asprintf(&v[k++],
			             "%s/class/net/tap%d/statistics/%s", sys, d,
			             nf[i]) < 0)
				return NULL;
	}
	if (taps == TAPS_NETDEV && n &&
	    asprintf(&v[k++], "%s/%d/net/dev", proc, dom[0].pid) < 0)
		return NULL;
	*count = k;
	return v;
}

static void free_list(char **files, size_t n)
{
	for (size_t i = 0; files && i < n; i++)
		free(files[i]);
	free(files);
}

/* (A): open, one read of the size the backend uses, close. */
static double floor_open(char **files, size_t n)
{
	char buf[4096];
	double t0 = now();

	for (size_t i = 0; i < n; i++) {
		int fd = open(files[i], O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (read(fd, buf, sizeof(buf)) < 0)
			buf[0] = 0;
		close(fd);
	}
	return now() - t0;
}

/* (B): one pread each on fds opened beforehand (untimed), in chunks under
 * the fd limit. */
static double floor_pread(char **files, size_t n, int *fds, size_t chunk)
{
	char buf[4096];
	double total = 0;

	for (size_t c = 0; c < n; c += chunk) {
		size_t e = c + chunk < n ? c + chunk : n;
		double t0;
		for (size_t i = c; i < e; i++)
			fds[i] = open(files[i], O_RDONLY | O_CLOEXEC);
		t0 = now();
		for (size_t i = c; i < e; i++)
			if (fds[i] >= 0 &&
			    pread(fds[i], buf, sizeof(buf), 0) < 0)
				buf[0] = 0;
		total += now() - t0;
		for (size_t i = c; i < e; i++)
			if (fds[i] >= 0)
				close(fds[i]);
	}
	return total;
}

static int to_int(const char *s, int dflt)
{
	char *end;
	long v = strtol(s, &end, 10);

	return (end == s || *end || v < 0 || v > 1000000) ? dflt : (int)v;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_d);
	return v[n / 2];
}

struct result {
	double first, med, min, fa, fb; /* seconds */
	unsigned fds;
};

/* Rounds of: a fresh backend, one cold sample, ROUND timed samples, then
 * ROUND passes of each floor; ns timed samples in all. want: the domains a
 * sample must show (live: at least that many, other QEMUs may run). */
static int run(int ns, size_t want, int live, char **files, size_t nfiles,
               size_t chunk, struct result *r)
{
	double *t = calloc((size_t)ns, sizeof(double));
	double *fa = calloc((size_t)ns, sizeof(double));
	double *fb = calloc((size_t)ns, sizeof(double));
	int *fds = calloc(nfiles ? nfiles : 1, sizeof(int));
	int done = 0, rc = -1;

	memset(r, 0, sizeof(*r));
	if (!t || !fa || !fb || !fds)
		goto out;
	while (done < ns) {
		int m = ns - done < ROUND ? ns - done : ROUND;
		hv_env env;
		hv_err err = {0};
		hv_backend_opts o = {.qmp_dirs = "/nonexistent"};
		void *priv = NULL;

		hv_env_init(&env, &err);
		if (hv_kvm_ops.open(&env, &o, &priv, &err)) {
			fprintf(stderr, "open: %s\n", err.msg);
			goto out;
		}
		for (int i = -1; i < m; i++) {
			hv_snap *s = hv_snap_new();
			double t0 = now();
			size_t nd;
			if (!s || hv_kvm_ops.sample(priv, s, &err)) {
				fprintf(stderr, "sample: %s\n",
				        s ? err.msg : "out of memory");
				hv_snap_unref(s);
				hv_kvm_ops.close(priv);
				goto out;
			}
			t0 = now() - t0;
			nd = hv_snap_ndom(s);
			hv_snap_unref(s);
			if (live ? nd < want : nd != want) {
				fprintf(stderr,
				        "expected %zu domains, got %zu\n", want,
				        nd);
				hv_kvm_ops.close(priv);
				goto out;
			}
			if (i < 0 && done == 0)
				r->first = t0;
			else if (i >= 0)
				t[done + i] = t0;
		}
		r->fds = hv_kvm_cached_fds(priv);
		hv_kvm_ops.close(priv);
		for (int i = 0; i < m; i++) {
			fa[done + i] = floor_open(files, nfiles);
			fb[done + i] = floor_pread(files, nfiles, fds, chunk);
		}
		done += m;
	}
	r->med = median(t, ns);
	r->min = t[0];
	r->fa = median(fa, ns);
	r->fb = median(fb, ns);
	rc = 0;
out:
	free(t);
	free(fa);
	free(fb);
	free(fds);
	return rc;
}

static void print_head(void)
{
	printf("%6s %6s %8s %9s %7s %7s %8s %9s %9s %7s %7s %6s\n", "doms",
	       "taps", "first_ms", "sample_ms", "min_ms", "us/dom", "us/vcpu",
	       "floorA_ms", "floorB_ms", "xfloorA", "xfloorB", "fds");
}

static void print_row(int n, int nv, const char *taps, const struct result *r)
{
	printf("%6d %6s %8.2f %9.2f %7.2f %7.2f %8.3f %9.2f %9.2f %7.2f "
	       "%7.2f %6u\n",
	       n, taps, r->first * 1e3, r->med * 1e3, r->min * 1e3,
	       r->med * 1e6 / n, r->med * 1e6 / ((double)n * nv), r->fa * 1e3,
	       r->fb * 1e3, r->med / r->fa, r->med / r->fb, r->fds);
	fflush(stdout);
}

static void print_files(int nv, const char *more)
{
	printf("Files per domain (steady sample): stat, io, per vCPU stat and "
	       "schedstat, status for 1 vCPU in %d: %g%s.\n",
	       HV_KVM_AFF_PERIOD, 2 + 2 * nv + (double)nv / HV_KVM_AFF_PERIOD,
	       more);
}

/* ---- the generated procfs ---- */

static int bench_fixture(const char *list, int nv, int ns, rlim_t lim)
{
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/dev/shm";
	char root[4096], proc[4200], sys[4200], cmd[4300];
	char *save = NULL, *lcopy = strdup(list);
	struct bdom *dom = NULL;
	int built = 0, rc = 1;

	snprintf(root, sizeof(root), "%s/hvkit-bench-kvm-XXXXXX", tmp);
	if (!lcopy || !mkdtemp(root)) {
		perror("mkdtemp");
		free(lcopy);
		return 1;
	}
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	setenv("HVKIT_PROCFS", proc, 1);
	setenv("HVKIT_SYSFS", sys, 1);
	snprintf(cmd, sizeof(cmd), "%s/dev", root);
	setenv("HVKIT_DEVFS", cmd, 1);
	printf("bench_kvm: generated procfs on %s, %d vCPUs per domain, 1 tap "
	       "each, %d samples, RLIMIT_NOFILE %llu\n",
	       tmp, nv, ns, (unsigned long long)lim);
	print_head();
	for (char *tok = strtok_r(lcopy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int n = to_int(tok, 0);
		struct bdom *nd;

		if (n <= 0)
			continue;
		if (n > built) {
			if (build(proc, sys, built, n, nv)) {
				fprintf(stderr, "fixture build failed\n");
				goto out;
			}
			nd = realloc(dom, (size_t)n * sizeof(*dom));
			if (!nd)
				goto out;
			dom = nd;
			for (int d = built; d < n; d++) {
				dom[d].pid = 10000 + d * 100;
				for (int c = 0; c < nv; c++)
					dom[d].tid[c] = dom[d].pid + 1 + c;
			}
			built = n;
		}
		for (int netdev = 1; netdev >= 0; netdev--) {
			struct result r;
			size_t nfiles = 0;
			char **files;
			char ndp[4300];

			snprintf(ndp, sizeof(ndp), "%s/10000/net/dev", proc);
			unlink(ndp);
			if (netdev && build_netdev(proc, n)) {
				fprintf(stderr, "net/dev build failed\n");
				goto out;
			}
			files = file_list(proc, sys, dom, n, nv,
			                  netdev ? TAPS_NETDEV : TAPS_SYSFS,
			                  &nfiles);
			if (!files || run(ns, (size_t)n, 0, files, nfiles,
			                  (size_t)lim - 256, &r)) {
				free_list(files, nfiles);
				goto out;
			}
			free_list(files, nfiles);
			print_row(n, nv, netdev ? "netdev" : "sysfs", &r);
		}
	}
	print_files(nv, "; taps: 1 net/dev for all (netdev) or 8 sysfs files "
	                "each (sysfs)");
	rc = 0;
out:
	free(dom);
	free(lcopy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", root);
	return rc;
}

/* ---- live processes that look like QEMU ---- */

struct child_arg {
	int idx;
	pthread_barrier_t *bar;
	int *tid;
};

static void *vcpu_thread(void *p)
{
	struct child_arg *a = p;
	char name[16];

	snprintf(name, sizeof(name), "CPU %d/KVM", a->idx);
	prctl(PR_SET_NAME, name);
	a->tid[a->idx] = gettid();
	pthread_barrier_wait(a->bar);
	for (;;)
		pause();
	return NULL;
}

/* argv: qemu-system-x86_64 -name guest=...,debug-threads=on -smp V -m 64
 * -accel kvm CHILD_FLAG READY_FD HOLD_FD. Sends {pid, tids} on READY_FD
 * and lives until HOLD_FD reaches EOF (the bench ended or died). */
static int child_main(int argc, char **argv)
{
	struct bdom rec = {.pid = getpid()};
	struct child_arg a[MAX_VCPU];
	pthread_barrier_t bar;
	pthread_attr_t at;
	int ready = atoi(argv[argc - 2]), hold = atoi(argv[argc - 1]);
	int nv = atoi(argv[4]);
	char c;

	if (nv < 1 || nv > MAX_VCPU)
		return 2;
	prctl(PR_SET_NAME, "qemu-system-x86");
	pthread_barrier_init(&bar, NULL, (unsigned)nv + 1);
	pthread_attr_init(&at);
	pthread_attr_setstacksize(&at, 64 * 1024);
	for (int i = 0; i < nv; i++) {
		pthread_t th;
		a[i] =
		    (struct child_arg){.idx = i, .bar = &bar, .tid = rec.tid};
		if (pthread_create(&th, &at, vcpu_thread, &a[i]))
			return 3;
	}
	pthread_barrier_wait(&bar);
	if (write(ready, &rec, sizeof(rec)) != (ssize_t)sizeof(rec))
		return 4;
	close(ready);
	while (read(hold, &c, 1) < 0 && errno == EINTR)
		;
	_exit(0);
}

/* Children from..to-1; *forked counts those forked, for the caller to
 * reap. A child that fails before it reports (exec, threads) is waited
 * for 10 s, not forever: the parent holds the ready pipe's write end. */
static int spawn(int from, int to, int nv, int ready[2], int hold[2],
                 struct bdom *dom, int *forked)
{
	for (int d = from; d < to; d++) {
		char name[64], smp[16], rfd[16], hfd[16];
		char *const cargv[] = {"qemu-system-x86_64",
		                       "-name",
		                       name,
		                       "-smp",
		                       smp,
		                       "-m",
		                       "64",
		                       "-accel",
		                       "kvm",
		                       CHILD_FLAG,
		                       rfd,
		                       hfd,
		                       NULL};
		pid_t pid;

		snprintf(name, sizeof(name), "guest=bench%05d,debug-threads=on",
		         d);
		snprintf(smp, sizeof(smp), "%d", nv);
		snprintf(rfd, sizeof(rfd), "%d", ready[1]);
		snprintf(hfd, sizeof(hfd), "%d", hold[0]);
		pid = fork();
		if (pid < 0) {
			perror("fork");
			return -1;
		}
		if (pid == 0) {
			/* only these two ends survive the exec */
			fcntl(ready[1], F_SETFD, 0);
			fcntl(hold[0], F_SETFD, 0);
			execv("/proc/self/exe", cargv);
			_exit(127);
		}
		*forked = d + 1;
	}
	for (int d = from; d < to; d++) {
		struct pollfd pf = {.fd = ready[0], .events = POLLIN};
		struct bdom rec;
		ssize_t r = -1;
		int pr;
		do
			pr = poll(&pf, 1, 10000);
		while (pr < 0 && errno == EINTR);
		if (pr == 1) {
			do
				r = read(ready[0], &rec, sizeof(rec));
			while (r < 0 && errno == EINTR);
		}
		if (r != (ssize_t)sizeof(rec)) {
			fprintf(stderr, "a child did not start\n");
			return -1;
		}
		dom[d] = rec;
	}
	return 0;
}

static int bench_live(const char *list, int nv, int ns, rlim_t lim)
{
	char *save = NULL, *lcopy = strdup(list);
	struct bdom *dom = NULL;
	int ready[2] = {-1, -1}, hold[2] = {-1, -1}, started = 0, rc = 1;

	unsetenv("HVKIT_PROCFS");
	if (!lcopy || pipe2(ready, O_CLOEXEC) || pipe2(hold, O_CLOEXEC)) {
		perror("pipe");
		goto out;
	}
	printf("bench_kvm --live: real /proc, processes that look like QEMU "
	       "with %d sleeping vCPU threads each, no taps, %d samples, "
	       "RLIMIT_NOFILE %llu\n",
	       nv, ns, (unsigned long long)lim);
	print_head();
	for (char *tok = strtok_r(lcopy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int n = to_int(tok, 0);
		struct result r;
		size_t nfiles = 0;
		char **files;

		if (n <= 0)
			continue;
		if (n > started) {
			struct bdom *nd =
			    realloc(dom, (size_t)n * sizeof(*dom));
			if (!nd)
				goto out;
			dom = nd;
			if (spawn(started, n, nv, ready, hold, dom, &started))
				goto out;
		}
		files =
		    file_list("/proc", "/sys", dom, n, nv, TAPS_NONE, &nfiles);
		if (!files || run(ns, (size_t)n, 1, files, nfiles,
		                  (size_t)lim - 256, &r)) {
			free_list(files, nfiles);
			goto out;
		}
		free_list(files, nfiles);
		print_row(n, nv, "none", &r);
	}
	print_files(nv, ", generated by the kernel on each read");
	rc = 0;
out:
	/* EOF on the hold pipe ends every child */
	if (hold[1] >= 0)
		close(hold[1]);
	for (int i = 0; i < 2; i++) {
		if (ready[i] >= 0)
			close(ready[i]);
	}
	if (hold[0] >= 0)
		close(hold[0]);
	while (started > 0 && wait(NULL) > 0)
		;
	free(dom);
	free(lcopy);
	return rc;
}

int main(int argc, char **argv)
{
	int live = argc > 1 && strcmp(argv[1], "--live") == 0;
	const char *list;
	int nv, ns;
	rlim_t lim;

	if (argc > 10 && strcmp(argv[argc - 3], CHILD_FLAG) == 0)
		return child_main(argc, argv);
	argv += live;
	argc -= live;
	list = argc > 1 ? argv[1] : live ? "1000" : "1000,2000";
	nv = argc > 2 ? to_int(argv[2], -1) : 4;
	ns = argc > 3 ? to_int(argv[3], -1) : 30;
	if (nv < 1 || nv > MAX_VCPU || ns < 3 || ns > 1000) {
		fprintf(stderr, "usage: bench_kvm [--live] [N1,N2,...] [vcpus "
		                "1-64] [samples 3-1000]\n");
		return 2;
	}
	/* As every tool does before it opens a backend. */
	lim = hv_env_raise_nofile();
	if (lim < 1024)
		lim = 1024;
	return live ? bench_live(list, nv, ns, lim)
	            : bench_fixture(list, nv, ns, lim);
}
