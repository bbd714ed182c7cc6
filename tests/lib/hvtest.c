/* SPDX-License-Identifier: MIT */
/* Fixture-tree builders: see hvtest.h for the exact values written. */
#include "hvtest.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define CPUDIR "devices/system/cpu"

static int join(char *buf, size_t len, const char *root, const char *rel)
{
	int n = snprintf(buf, len, "%s/%s", root, rel);
	return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

static int mkdir_p(const char *path)
{
	char tmp[PATH_MAX];
	size_t n = strlen(path);

	if (n >= sizeof(tmp))
		return -ENAMETOOLONG;
	memcpy(tmp, path, n + 1);
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
		return -errno;
	return 0;
}

static int parent_mkdir(const char *path)
{
	char tmp[PATH_MAX];
	char *slash;

	snprintf(tmp, sizeof(tmp), "%s", path);
	slash = strrchr(tmp, '/');
	if (!slash || slash == tmp)
		return 0;
	*slash = '\0';
	return mkdir_p(tmp);
}

char *hvt_tmpdir(const char *tag)
{
	const char *base = getenv("TMPDIR");
	char tmpl[PATH_MAX];

	if (!base || !*base)
		base = "/tmp";
	snprintf(tmpl, sizeof(tmpl), "%s/hvt-%s-XXXXXX", base, tag ? tag : "t");
	if (!mkdtemp(tmpl))
		return NULL;
	return strdup(tmpl);
}

static int vwrite(const char *root, const char *rel, const char *fmt,
                  va_list ap)
{
	char path[PATH_MAX];
	char *data = NULL;
	int n, rc, fd;

	if ((rc = join(path, sizeof(path), root, rel)) ||
	    (rc = parent_mkdir(path)))
		return rc;
	n = vasprintf(&data, fmt, ap);
	if (n < 0)
		return -ENOMEM;
	/* Replace, don't follow: a test may have swapped in a symlink. */
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	if (write(fd, data, (size_t)n) != n)
		rc = -EIO;
	close(fd);
out:
	free(data);
	return rc;
}

int hvt_write(const char *root, const char *relpath, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vwrite(root, relpath, fmt, ap);
	va_end(ap);
	return rc;
}

int hvt_sys(const hvt_host *h, const char *relpath, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vwrite(h->sys, relpath, fmt, ap);
	va_end(ap);
	return rc;
}

int hvt_proc(const hvt_host *h, const char *relpath, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = vwrite(h->proc, relpath, fmt, ap);
	va_end(ap);
	return rc;
}

static int rm_cb(const char *p, const struct stat *sb, int flag,
                 struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(p) < 0 && errno != ENOENT ? -1 : 0;
}

int hvt_rmtree(const char *path)
{
	struct stat st;

	if (lstat(path, &st) < 0)
		return errno == ENOENT ? 0 : -errno;
	if (!S_ISDIR(st.st_mode))
		return unlink(path) < 0 ? -errno : 0;
	return nftw(path, rm_cb, 16, FTW_DEPTH | FTW_PHYS) ? -EIO : 0;
}

int hvt_rm(const char *root, const char *relpath)
{
	char path[PATH_MAX];
	int rc = join(path, sizeof(path), root, relpath);

	return rc ? rc : hvt_rmtree(path);
}

int hvt_mkdir(const char *root, const char *relpath)
{
	char path[PATH_MAX];
	int rc = join(path, sizeof(path), root, relpath);

	return rc ? rc : mkdir_p(path);
}

int hvt_symlink(const char *root, const char *target, const char *relpath)
{
	char path[PATH_MAX];
	int rc;

	if ((rc = join(path, sizeof(path), root, relpath)) ||
	    (rc = parent_mkdir(path)))
		return rc;
	unlink(path);
	return symlink(target, path) < 0 ? -errno : 0;
}

char *hvt_read(const char *root, const char *relpath)
{
	char path[PATH_MAX];
	FILE *f;
	char *buf = NULL;
	size_t cap = 0, len = 0;

	if (join(path, sizeof(path), root, relpath))
		return NULL;
	f = fopen(path, "rb");
	if (!f)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			char *nb = realloc(buf, cap + 8192);
			if (!nb) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
			cap += 8192;
		}
		size_t r = fread(buf + len, 1, 4096, f);
		len += r;
		if (r < 4096)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	return buf;
}

hvt_host *hvt_host_new(const char *tag)
{
	hvt_host *h = calloc(1, sizeof(*h));
	char *d = hvt_tmpdir(tag);

	if (!h || !d)
		goto fail;
	snprintf(h->root, sizeof(h->root), "%s", d);
	snprintf(h->sys, sizeof(h->sys), "%s/sys", d);
	snprintf(h->proc, sizeof(h->proc), "%s/proc", d);
	snprintf(h->dev, sizeof(h->dev), "%s/dev", d);
	snprintf(h->run, sizeof(h->run), "%s/run", d);
	if (mkdir_p(h->sys) || mkdir_p(h->proc) || mkdir_p(h->dev) ||
	    mkdir_p(h->run))
		goto fail;
	free(d);
	return h;
fail:
	if (d)
		hvt_rmtree(d);
	free(d);
	free(h);
	return NULL;
}

void hvt_host_free(hvt_host *h)
{
	const char *keep = getenv("HVT_KEEP");

	if (!h)
		return;
	if (!keep || strcmp(keep, "1"))
		hvt_rmtree(h->root);
	free(h);
}

void hvt_host_env(const hvt_host *h, hv_env *env)
{
	memset(env, 0, sizeof(*env));
	snprintf(env->sys, sizeof(env->sys), "%s", h->sys);
	snprintf(env->proc, sizeof(env->proc), "%s", h->proc);
	snprintf(env->dev, sizeof(env->dev), "%s", h->dev);
	snprintf(env->run, sizeof(env->run), "%s", h->run);
	env->redirected = 1;
}

void hvt_host_setenv(const hvt_host *h)
{
	setenv("HVKIT_SYSFS", h->sys, 1);
	setenv("HVKIT_PROCFS", h->proc, 1);
	setenv("HVKIT_DEVFS", h->dev, 1);
	setenv("HVKIT_RUNDIR", h->run, 1);
}

/* ---- CPUs ---- */

/* Format a set of CPUs as the kernel's cpulist ("0-3,8"). */
static void cpulist(char *buf, size_t len, const uint8_t *set, unsigned n)
{
	size_t o = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < n; i++) {
		unsigned j = i;
		if (!set[i])
			continue;
		while (j + 1 < n && set[j + 1])
			j++;
		o +=
		    (size_t)snprintf(buf + o, len - o, "%s%u", o ? "," : "", i);
		if (j > i)
			o += (size_t)snprintf(buf + o, len - o, "-%u", j);
		if (o >= len)
			return;
		i = j;
	}
}

static int write_lists(const hvt_host *h, unsigned ncpu, const uint8_t *on)
{
	char buf[8192];
	uint8_t off[1024];
	int rc;

	for (unsigned i = 0; i < ncpu; i++)
		off[i] = !on[i];
	cpulist(buf, sizeof(buf), on, ncpu);
	if ((rc = hvt_sys(h, CPUDIR "/online", "%s\n", buf)))
		return rc;
	cpulist(buf, sizeof(buf), off, ncpu);
	return hvt_sys(h, CPUDIR "/offline", "%s\n", buf);
}

int hvt_build_cpus(const hvt_host *h, const hvt_cpu_opts *o)
{
	unsigned n = o->ncpu, npkg = o->npkg ? o->npkg : 1;
	unsigned smt = o->smt ? o->smt : 1, per_pkg;
	uint8_t on[1024];
	char rel[PATH_MAX];
	int rc;

	if (n == 0 || n > 1024 || n % npkg || (n / npkg) % smt)
		return -EINVAL;
	per_pkg = n / npkg;
	if ((rc = hvt_sys(h, CPUDIR "/possible", "0-%u\n", n - 1)) ||
	    (rc = hvt_sys(h, CPUDIR "/present", "0-%u\n", n - 1)) ||
	    (rc = hvt_sys(h, CPUDIR "/kernel_max", "8191\n")))
		return rc;
	for (unsigned i = 0; i < n; i++) {
		unsigned pkg = i / per_pkg, core = (i % per_pkg) / smt;
		unsigned first = pkg * per_pkg + core * smt;
		char sib[32];

		on[i] = 1;
		if (smt > 1)
			snprintf(sib, sizeof(sib), "%u-%u", first,
			         first + smt - 1);
		else
			snprintf(sib, sizeof(sib), "%u", i);
		if (i > 0 || o->cpu0_online_file) {
			snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/online", i);
			if ((rc = hvt_sys(h, rel, "1\n")))
				return rc;
		}
#define TOPO(file, ...)                                                        \
	do {                                                                   \
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/topology/" file, i); \
		if ((rc = hvt_sys(h, rel, __VA_ARGS__)))                       \
			return rc;                                             \
	} while (0)
		TOPO("physical_package_id", "%u\n", pkg);
		TOPO("die_id", "0\n");
		TOPO("core_id", "%u\n", core);
		TOPO("thread_siblings_list", "%s\n", sib);
		TOPO("core_cpus_list", "%s\n", sib);
		TOPO("package_cpus_list", "%u-%u\n", pkg * per_pkg,
		     pkg * per_pkg + per_pkg - 1);
#undef TOPO
	}
	return write_lists(h, n, on);
}

int hvt_set_cpu_online(const hvt_host *h, unsigned ncpu, unsigned cpu,
                       int online)
{
	uint8_t on[1024];
	char rel[PATH_MAX];
	int rc;

	if (ncpu > 1024 || cpu >= ncpu)
		return -EINVAL;
	for (unsigned i = 0; i < ncpu; i++) {
		char *v;
		snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/online", i);
		v = hvt_read(h->sys, rel);
		on[i] = v ? v[0] == '1' : 1;
		free(v);
	}
	on[cpu] = online ? 1 : 0;
	snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/online", cpu);
	if ((rc = hvt_sys(h, rel, "%d\n", online ? 1 : 0)))
		return rc;
	return write_lists(h, ncpu, on);
}

/* ---- procfs ---- */

void hvt_default_cputimes(unsigned cpu, hvt_cputimes *t)
{
	*t = (hvt_cputimes){.user = 1000 + 100 * (uint64_t)cpu,
	                    .nice = 10,
	                    .system = 500,
	                    .idle = 20000 + 1000 * (uint64_t)cpu,
	                    .iowait = 50,
	                    .irq = 5,
	                    .softirq = 7,
	                    .steal = 3,
	                    .guest = 200,
	                    .guest_nice = 0};
}

static size_t put_times(char *buf, size_t len, const char *label,
                        const hvt_cputimes *t)
{
	int n = snprintf(
	    buf, len,
	    "%s %llu %llu %llu %llu %llu %llu %llu %llu %llu "
	    "%llu\n",
	    label, (unsigned long long)t->user, (unsigned long long)t->nice,
	    (unsigned long long)t->system, (unsigned long long)t->idle,
	    (unsigned long long)t->iowait, (unsigned long long)t->irq,
	    (unsigned long long)t->softirq, (unsigned long long)t->steal,
	    (unsigned long long)t->guest, (unsigned long long)t->guest_nice);
	return n < 0 ? 0 : (size_t)n;
}

int hvt_build_procstat(const hvt_host *h, unsigned ncpu, const hvt_cputimes *t,
                       const uint8_t *online)
{
	size_t cap = 256 + (size_t)ncpu * 160, o = 0;
	char *buf = malloc(cap);
	hvt_cputimes sum = {0}, one;
	int rc;

	if (!buf)
		return -ENOMEM;
	for (unsigned c = 0; c < ncpu; c++) {
		if (online && !online[c])
			continue;
		if (t)
			one = t[c];
		else
			hvt_default_cputimes(c, &one);
		sum.user += one.user;
		sum.nice += one.nice;
		sum.system += one.system;
		sum.idle += one.idle;
		sum.iowait += one.iowait;
		sum.irq += one.irq;
		sum.softirq += one.softirq;
		sum.steal += one.steal;
		sum.guest += one.guest;
		sum.guest_nice += one.guest_nice;
	}
	o += put_times(buf + o, cap - o, "cpu ", &sum); /* kernel: "cpu  " */
	for (unsigned c = 0; c < ncpu; c++) {
		char label[16];
		if (online && !online[c])
			continue;
		if (t)
			one = t[c];
		else
			hvt_default_cputimes(c, &one);
		snprintf(label, sizeof(label), "cpu%u", c);
		o += put_times(buf + o, cap - o, label, &one);
	}
	o += (size_t)snprintf(buf + o, cap - o,
	                      "intr 123456 12 0 0\nctxt 987654\n"
	                      "btime 1763800000\nprocesses 4321\n"
	                      "procs_running 2\nprocs_blocked 0\n"
	                      "softirq 5555 1 2 3 4 5 6 7 8 9 10\n");
	(void)o;
	rc = hvt_proc(h, "stat", "%s", buf);
	free(buf);
	return rc;
}

int hvt_build_procmisc(const hvt_host *h)
{
	int rc;

	if ((rc = hvt_proc(h, "meminfo",
	                   "MemTotal:       16384000 kB\n"
	                   "MemFree:         8000000 kB\n"
	                   "MemAvailable:   12000000 kB\n"
	                   "Buffers:          100000 kB\n"
	                   "Cached:          3000000 kB\n"
	                   "SwapCached:            0 kB\n"
	                   "SwapTotal:             0 kB\n"
	                   "SwapFree:              0 kB\n"
	                   "HugePages_Total:       0\n"
	                   "Hugepagesize:       2048 kB\n")) ||
	    (rc = hvt_proc(h, "uptime", "12345.67 23456.78\n")))
		return rc;
	/* A real /proc always has pid 1: an init that is not a guest. */
	if ((rc = hvt_proc(
	         h, "1/stat",
	         "1 (systemd) S 0 1 1 0 -1 4194560 55583 27216874 0 "
	         "4607 390 1309 260345 22202 20 0 1 0 22 46223360 "
	         "3619 18446744073709551615 1 1 0 0 0 0 671173123 "
	         "4096 1260 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n")) ||
	    (rc = hvt_proc(h, "1/comm", "systemd\n")) ||
	    (rc = hvt_write(h->proc, "1/cmdline", "%s%c", "/sbin/init", 0)))
		return rc;
	return hvt_proc(h, "sys/kernel/hostname", "fixture-host\n");
}

/* ---- cpufreq ---- */

static int policy_common(const hvt_host *h, unsigned c)
{
	char rel[PATH_MAX], tgt[64];
	int rc;

	snprintf(rel, sizeof(rel), CPUDIR "/cpufreq/policy%u/affected_cpus", c);
	if ((rc = hvt_sys(h, rel, "%u\n", c)))
		return rc;
	snprintf(rel, sizeof(rel), CPUDIR "/cpufreq/policy%u/related_cpus", c);
	if ((rc = hvt_sys(h, rel, "%u\n", c)))
		return rc;
	snprintf(tgt, sizeof(tgt), "../cpufreq/policy%u", c);
	snprintf(rel, sizeof(rel), CPUDIR "/cpu%u/cpufreq", c);
	return hvt_symlink(h->sys, tgt, rel);
}

#define PF(c, file, ...)                                                       \
	do {                                                                   \
		char rel_[PATH_MAX];                                           \
		snprintf(rel_, sizeof(rel_), CPUDIR "/cpufreq/policy%u/" file, \
		         c);                                                   \
		if ((rc = hvt_sys(h, rel_, __VA_ARGS__)))                      \
			return rc;                                             \
	} while (0)

int hvt_build_intel_pstate(const hvt_host *h, unsigned ncpu)
{
	int rc;

	for (unsigned c = 0; c < ncpu; c++) {
		if ((rc = policy_common(h, c)))
			return rc;
		PF(c, "scaling_driver", "intel_pstate\n");
		PF(c, "scaling_governor", "powersave\n");
		PF(c, "scaling_available_governors", "performance powersave\n");
		PF(c, "cpuinfo_min_freq", "800000\n");
		PF(c, "cpuinfo_max_freq", "4200000\n");
		PF(c, "scaling_min_freq", "800000\n");
		PF(c, "scaling_max_freq", "4200000\n");
		PF(c, "scaling_cur_freq", "%u\n", 1800000 + 1000 * c);
		PF(c, "cpuinfo_transition_latency", "4294967295\n");
		PF(c, "scaling_setspeed", "<unsupported>\n");
		PF(c, "energy_performance_preference", "balance_performance\n");
		PF(c, "energy_performance_available_preferences",
		   "default performance balance_performance balance_power "
		   "power \n");
	}
	if ((rc = hvt_sys(h, CPUDIR "/intel_pstate/status", "active\n")) ||
	    (rc = hvt_sys(h, CPUDIR "/intel_pstate/no_turbo", "0\n")) ||
	    (rc = hvt_sys(h, CPUDIR "/intel_pstate/max_perf_pct", "100\n")) ||
	    (rc = hvt_sys(h, CPUDIR "/intel_pstate/min_perf_pct", "19\n")))
		return rc;
	return 0;
}

int hvt_build_acpi_cpufreq(const hvt_host *h, unsigned ncpu)
{
	int rc;

	for (unsigned c = 0; c < ncpu; c++) {
		if ((rc = policy_common(h, c)))
			return rc;
		PF(c, "scaling_driver", "acpi-cpufreq\n");
		PF(c, "scaling_governor", "ondemand\n");
		PF(c, "scaling_available_governors",
		   "conservative ondemand userspace powersave performance "
		   "schedutil\n");
		PF(c, "scaling_available_frequencies",
		   "2400000 2000000 1600000 1200000 \n");
		PF(c, "cpuinfo_min_freq", "1200000\n");
		PF(c, "cpuinfo_max_freq", "2400000\n");
		PF(c, "scaling_min_freq", "1200000\n");
		PF(c, "scaling_max_freq", "2400000\n");
		PF(c, "scaling_cur_freq", "2000000\n");
		PF(c, "cpuinfo_transition_latency", "10000\n");
		PF(c, "scaling_setspeed", "<unsupported>\n");
		PF(c, "stats/time_in_state",
		   "2400000 %u\n2000000 200\n1600000 300\n1200000 400\n",
		   100 + c);
		PF(c, "stats/total_trans", "42\n");
	}
	return hvt_sys(h, CPUDIR "/cpufreq/boost", "1\n");
}
#undef PF

/* ---- cpuidle ---- */

typedef struct idle_state {
	const char *name, *desc;
	unsigned latency, residency;
} idle_state;

static int build_idle(const hvt_host *h, unsigned ncpu, const char *drv,
                      const char *gov, const char *govs, const idle_state *st,
                      unsigned nst)
{
	char rel[PATH_MAX];
	int rc;

	if ((rc = hvt_sys(h, CPUDIR "/cpuidle/current_driver", "%s\n", drv)) ||
	    (rc =
	         hvt_sys(h, CPUDIR "/cpuidle/current_governor", "%s\n", gov)) ||
	    (rc = hvt_sys(h, CPUDIR "/cpuidle/current_governor_ro", "%s\n",
	                  gov)) ||
	    (rc = hvt_sys(h, CPUDIR "/cpuidle/available_governors", "%s\n",
	                  govs)))
		return rc;
	for (unsigned c = 0; c < ncpu; c++) {
		for (unsigned k = 0; k < nst; k++) {
#define SF(file, ...)                                                  \
	do {                                                           \
		snprintf(rel, sizeof(rel),                             \
		         CPUDIR "/cpu%u/cpuidle/state%u/" file, c, k); \
		if ((rc = hvt_sys(h, rel, __VA_ARGS__)))               \
			return rc;                                     \
	} while (0)
			SF("name", "%s\n", st[k].name);
			SF("desc", "%s\n", st[k].desc);
			SF("latency", "%u\n", st[k].latency);
			SF("residency", "%u\n", st[k].residency);
			SF("power", "0\n");
			SF("usage", "%u\n", 100 * (k + 1) + c);
			SF("time", "%u\n", 1000000 * (k + 1) + c);
			SF("disable", "0\n");
			SF("default_status", "enabled\n");
			SF("above", "0\n");
			SF("below", "0\n");
			SF("rejected", "0\n");
#undef SF
		}
	}
	return 0;
}

int hvt_build_intel_idle(const hvt_host *h, unsigned ncpu)
{
	static const idle_state st[] = {
	    {"POLL", "CPUIDLE CORE POLL IDLE", 0, 0},
	    {"C1", "MWAIT 0x00", 2, 2},
	    {"C1E", "MWAIT 0x01", 10, 20},
	    {"C6", "MWAIT 0x20", 133, 400},
	};
	return build_idle(h, ncpu, "intel_idle", "menu", "ladder menu teo ", st,
	                  4);
}

int hvt_build_haltpoll(const hvt_host *h, unsigned ncpu)
{
	static const idle_state st[] = {
	    {"POLL", "CPUIDLE CORE POLL IDLE", 0, 0},
	    {"haltpoll idle", "default architecture idle", 1, 1},
	};
	return build_idle(h, ncpu, "haltpoll", "haltpoll", "haltpoll ", st, 2);
}

/* ---- powercap ---- */

#define RAPLDEV "devices/virtual/powercap/intel-rapl"

static int rapl_zone(const hvt_host *h, const char *devrel, const char *zone,
                     const char *name, uint64_t uj, uint64_t range, int limits)
{
	char rel[PATH_MAX], tgt[PATH_MAX];
	int rc;

#define ZF(file, ...)                                           \
	do {                                                    \
		snprintf(rel, sizeof(rel), "%s/" file, devrel); \
		if ((rc = hvt_sys(h, rel, __VA_ARGS__)))        \
			return rc;                              \
	} while (0)
	ZF("name", "%s\n", name);
	ZF("energy_uj", "%llu\n", (unsigned long long)uj);
	ZF("max_energy_range_uj", "%llu\n", (unsigned long long)range);
	ZF("enabled", "1\n");
	if (limits) {
		ZF("constraint_0_name", "long_term\n");
		ZF("constraint_0_power_limit_uw", "95000000\n");
		ZF("constraint_0_time_window_us", "27983872\n");
		ZF("constraint_0_max_power_uw", "95000000\n");
		ZF("constraint_1_name", "short_term\n");
		ZF("constraint_1_power_limit_uw", "120000000\n");
		ZF("constraint_1_time_window_us", "2440\n");
	}
#undef ZF
	/* class/powercap/<zone> -> ../../devices/virtual/powercap/... */
	snprintf(tgt, sizeof(tgt), "../../%s", devrel);
	snprintf(rel, sizeof(rel), "class/powercap/%s", zone);
	return hvt_symlink(h->sys, tgt, rel);
}

int hvt_build_rapl(const hvt_host *h, unsigned npkg, int dram, int amd)
{
	char dev[PATH_MAX], zone[64], name[32];
	int rc;

	if ((rc = hvt_sys(h, RAPLDEV "/enabled", "1\n")) ||
	    (rc = hvt_symlink(h->sys, "../../" RAPLDEV,
	                      "class/powercap/intel-rapl")))
		return rc;
	for (unsigned p = 0; p < npkg; p++) {
		snprintf(zone, sizeof(zone), "intel-rapl:%u", p);
		snprintf(dev, sizeof(dev), RAPLDEV "/%s", zone);
		snprintf(name, sizeof(name), "package-%u", p);
		if ((rc = rapl_zone(h, dev, zone, name, 1000000ull * (p + 1),
		                    262143328850ull, !amd)))
			return rc;
		snprintf(zone, sizeof(zone), "intel-rapl:%u:0", p);
		snprintf(dev, sizeof(dev), RAPLDEV "/intel-rapl:%u/%s", p,
		         zone);
		if ((rc = rapl_zone(h, dev, zone, "core", 500000ull * (p + 1),
		                    262143328850ull, 0)))
			return rc;
		if (dram && !amd) {
			snprintf(zone, sizeof(zone), "intel-rapl:%u:1", p);
			snprintf(dev, sizeof(dev), RAPLDEV "/intel-rapl:%u/%s",
			         p, zone);
			if ((rc = rapl_zone(h, dev, zone, "dram",
			                    200000ull * (p + 1), 65532610987ull,
			                    0)))
				return rc;
		}
	}
	return 0;
}

int hvt_rapl_set_energy(const hvt_host *h, const char *zone, uint64_t uj)
{
	char rel[PATH_MAX];

	snprintf(rel, sizeof(rel), "class/powercap/%s/energy_uj", zone);
	return hvt_sys(h, rel, "%llu\n", (unsigned long long)uj);
}

/* ---- EDAC, PM QoS ---- */

int hvt_build_edac(const hvt_host *h, unsigned nmc, const uint64_t *ce)
{
	char rel[PATH_MAX];
	int rc;

	for (unsigned i = 0; i < nmc; i++) {
		snprintf(rel, sizeof(rel),
		         "devices/system/edac/mc/mc%u/ce_count", i);
		if ((rc = hvt_sys(h, rel, "%llu\n", (unsigned long long)ce[i])))
			return rc;
		snprintf(rel, sizeof(rel),
		         "devices/system/edac/mc/mc%u/ue_count", i);
		if ((rc = hvt_sys(h, rel, "0\n")))
			return rc;
		snprintf(rel, sizeof(rel),
		         "devices/system/edac/mc/mc%u/mc_name", i);
		if ((rc = hvt_sys(h, rel, "Skylake Socket#%u IMC#0\n", i)))
			return rc;
	}
	return 0;
}

int hvt_build_devqos(const hvt_host *h)
{
	return hvt_write(h->dev, "cpu_dma_latency", "%s", "");
}

int hvt_build_intel_host(const hvt_host *h, unsigned ncpu, unsigned npkg)
{
	static const uint64_t ce[2] = {3, 4};
	hvt_cpu_opts o = {
	    .ncpu = ncpu,
	    .npkg = npkg ? npkg : 1,
	    .smt = (ncpu % 2 || ncpu / (npkg ? npkg : 1) % 2) ? 1 : 2};
	int rc;

	if ((rc = hvt_build_cpus(h, &o)) ||
	    (rc = hvt_build_procstat(h, ncpu, NULL, NULL)) ||
	    (rc = hvt_build_procmisc(h)) ||
	    (rc = hvt_build_intel_pstate(h, ncpu)) ||
	    (rc = hvt_build_intel_idle(h, ncpu)) ||
	    (rc = hvt_build_rapl(h, o.npkg, 1, 0)) ||
	    (rc = hvt_build_edac(h, 2, ce)) || (rc = hvt_build_devqos(h)))
		return rc;
	return 0;
}

/* ---- Daemons under test ---- */

int hvt_spawn(char *const argv[], const char *log)
{
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* A test that dies takes the daemon with it. */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == 1)
			_exit(125);
		if (log && !freopen(log, "a", stderr))
			_exit(126);
		execv(argv[0], argv);
		_exit(127);
	}
	return pid;
}

void hvt_nap_ms(unsigned ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int hvt_reap(int pid, int sig)
{
	int status = 0;
	if (pid <= 0)
		return -1;
	pid_t r = waitpid(pid, &status, WNOHANG);
	if (r == pid)
		return status;
	if (r < 0)
		return -1;
	kill(pid, sig);
	for (int i = 0; i < 500; i++) {
		if (waitpid(pid, &status, WNOHANG) == pid)
			return status;
		hvt_nap_ms(10);
	}
	kill(pid, SIGKILL);
	return waitpid(pid, &status, 0) == pid ? status : -1;
}
