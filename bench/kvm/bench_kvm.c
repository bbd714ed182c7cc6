/* SPDX-License-Identifier: MIT */
/* bench_kvm: cost of one kvm-backend sample over a generated procfs with N
 * QEMU processes x V vCPUs (one tap each), per domain and per vCPU, and its
 * ratio to the floor measured in the same run: reading the very files one
 * sample reads, (a) open+read+close each, (b) pread on fds opened
 * beforehand. Usage: bench_kvm [N1,N2,...] [vcpus] [samples]
 * (default 1000,2000 4 15). The fixture lives in $TMPDIR (default
 * /dev/shm, an in-memory fs like procfs). */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/platform.h"
#include "hv/sample.h"
#include "kvm/kvm_int.h"
#include "kvmfix.h"

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

/* The files one steady-state sample reads, as absolute paths. */
static char **file_list(const char *proc, const char *sys, int n, int nv,
                        int netdev, size_t *count)
{
	static const char *const nf[8] = {
	    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
	    "tx_bytes", "tx_packets", "tx_errors", "tx_dropped"};
	size_t per = 2 + 3 * (size_t)nv + 8, k = 0;
	char **v = calloc((size_t)n * per + 1, sizeof(*v));

	for (int d = 0; d < n; d++) {
		int pid = 10000 + d * 100;
		const char *f3[2] = {"stat", "io"};
		for (int i = 0; i < 2; i++)
			if (asprintf(&v[k++], "%s/%d/%s", proc, pid, f3[i]) < 0)
				return NULL;
		for (int c = 0; c < nv; c++) {
			const char *tf[3] = {"stat", "schedstat", "status"};
			for (int i = 0; i < 3; i++)
				if (asprintf(&v[k++], "%s/%d/task/%d/%s", proc,
				             pid, pid + 1 + c, tf[i]) < 0)
					return NULL;
		}
		if (!netdev) {
			for (int i = 0; i < 8; i++)
				if (asprintf(&v[k++],
				             "%s/class/net/tap%d/statistics/%s",
				             sys, d, nf[i]) < 0)
					return NULL;
		}
	}
	if (netdev && asprintf(&v[k++], "%s/10000/net/dev", proc) < 0)
		return NULL;
	*count = k;
	return v;
}

static double floor_open(char **files, size_t n)
{
	static char buf[1 << 20];
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

/* pread on fds opened beforehand, in chunks under the fd limit. */
static double floor_pread(char **files, size_t n, int *fds, size_t chunk)
{
	static char buf[1 << 20];
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

int main(int argc, char **argv)
{
	const char *list = argc > 1 ? argv[1] : "1000,2000";
	int nv = argc > 2 ? to_int(argv[2], -1) : 4;
	int ns = argc > 3 ? to_int(argv[3], -1) : 15;
	const char *tmp = getenv("TMPDIR") ? getenv("TMPDIR") : "/dev/shm";
	char root[4096], proc[4200], sys[4200], cmd[4300];
	struct rlimit rl;
	int built = 0;
	char *save = NULL, *lcopy = strdup(list);

	if (nv < 1 || nv > 64 || ns < 3)
		return 2;
	/* Like a daemon would: allow the fd cache to hold every counter. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	snprintf(root, sizeof(root), "%s/hvkit-bench-kvm-XXXXXX", tmp);
	if (!mkdtemp(root)) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(proc, sizeof(proc), "%s/proc", root);
	snprintf(sys, sizeof(sys), "%s/sys", root);
	setenv("HVKIT_PROCFS", proc, 1);
	setenv("HVKIT_SYSFS", sys, 1);
	snprintf(cmd, sizeof(cmd), "%s/dev", root);
	setenv("HVKIT_DEVFS", cmd, 1);
	printf("bench_kvm: %d vCPUs per domain, 1 tap each, %d samples, "
	       "fixture on %s, RLIMIT_NOFILE %llu\n",
	       nv, ns, tmp, (unsigned long long)rl.rlim_cur);
	printf("%6s %6s %8s %9s %7s %8s %9s %9s %7s %7s %6s\n", "doms", "taps",
	       "first_ms", "sample_ms", "us/dom", "us/vcpu", "floorA_ms",
	       "floorB_ms", "xfloorA", "xfloorB", "fds");
	for (char *tok = strtok_r(lcopy, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		int n = to_int(tok, 0);

		if (n <= 0 || ns > 256)
			continue;
		if (n > built) {
			if (build(proc, sys, built, n, nv)) {
				fprintf(stderr, "fixture build failed\n");
				return 1;
			}
			built = n;
		}
		for (int netdev = 1; netdev >= 0; netdev--) {
			hv_env env;
			hv_err err = {0};
			hv_backend_opts o = {.qmp_dirs = "/nonexistent"};
			void *priv = NULL;
			double t[256], fa[256], fb[256], first = 0;
			size_t nfiles = 0;
			char **files;
			int *fds;
			unsigned cached;
			char nd[4300];

			snprintf(nd, sizeof(nd), "%s/10000/net/dev", proc);
			unlink(nd);
			if (netdev && build_netdev(proc, n)) {
				fprintf(stderr, "net/dev build failed\n");
				return 1;
			}
			hv_env_init(&env, &err);
			if (hv_kvm_ops.open(&env, &o, &priv, &err)) {
				fprintf(stderr, "open: %s\n", err.msg);
				return 1;
			}
			for (int i = -1; i < ns; i++) {
				hv_snap *s = hv_snap_new();
				double t0 = now();
				if (hv_kvm_ops.sample(priv, s, &err)) {
					fprintf(stderr, "sample: %s\n",
					        err.msg);
					return 1;
				}
				t0 = now() - t0;
				if (hv_snap_ndom(s) != (size_t)n) {
					fprintf(stderr,
					        "expected %d domains, got "
					        "%zu\n",
					        n, hv_snap_ndom(s));
					return 1;
				}
				hv_snap_unref(s);
				if (i < 0)
					first = t0;
				else
					t[i] = t0;
			}
			cached = hv_kvm_cached_fds(priv);
			hv_kvm_ops.close(priv);
			files = file_list(proc, sys, n, nv, netdev, &nfiles);
			fds = calloc(nfiles, sizeof(*fds));
			for (int i = 0; i < ns; i++) {
				fa[i] = floor_open(files, nfiles);
				fb[i] = floor_pread(files, nfiles, fds,
				                    (size_t)rl.rlim_cur - 256);
			}
			{
				double ms = median(t, ns), a = median(fa, ns),
				       b = median(fb, ns);
				printf("%6d %6s %8.2f %9.2f %7.2f %8.3f %9.2f "
				       "%9.2f %7.2f %7.2f %6u\n",
				       n, netdev ? "netdev" : "sysfs",
				       first * 1e3, ms * 1e3, ms * 1e6 / n,
				       ms * 1e6 / ((double)n * nv), a * 1e3,
				       b * 1e3, ms / a, ms / b, cached);
			}
			for (size_t i = 0; i < nfiles; i++)
				free(files[i]);
			free(files);
			free(fds);
		}
	}
	printf(
	    "sample_ms: median steady-state sample (first_ms: cold, with "
	    "discovery). floorA: open+read+close of the files one sample "
	    "reads (%d per domain; with taps=netdev %d per domain + one "
	    "/proc/10000/net/dev); floorB: one pread of each of those files on "
	    "fds opened beforehand. fds: descriptors the backend keeps "
	    "open (budget: RLIMIT_NOFILE - 1024).\n",
	    2 + 3 * nv + 8, 2 + 3 * nv);
	free(lcopy);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	if (system(cmd) != 0)
		fprintf(stderr, "cleanup of %s failed\n", root);
	return 0;
}
