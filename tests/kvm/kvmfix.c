/* SPDX-License-Identifier: MIT */
#include "kvmfix.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "hv/backend.h"
#include "hv/sample.h"

static int mkparents(char *path)
{
	for (char *p = path + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(path, 0755) < 0 && errno != EEXIST) {
			*p = '/';
			return -errno;
		}
		*p = '/';
	}
	return 0;
}

int kf_put(const char *root, const char *rel, const void *data, size_t len)
{
	char path[PATH_MAX];
	int fd, rc = 0;

	if (snprintf(path, sizeof(path), "%s/%s", root, rel) >=
	    (int)sizeof(path))
		return -ENAMETOOLONG;
	if ((rc = mkparents(path)))
		return rc;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return -errno;
	if (write(fd, data, len) != (ssize_t)len)
		rc = -EIO;
	close(fd);
	return rc;
}

int kf_putf(const char *root, const char *rel, const char *fmt, ...)
{
	char *s = NULL;
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vasprintf(&s, fmt, ap);
	va_end(ap);
	if (n < 0)
		return -ENOMEM;
	rc = kf_put(root, rel, s, (size_t)n);
	free(s);
	return rc;
}

int kf_stat_line(char *buf, size_t len, int pid, const char *comm, char state,
                 uint64_t flags, uint64_t utime, uint64_t stime,
                 uint64_t starttime, int nthreads, int processor,
                 uint64_t guest, uint64_t rss)
{
	int n = snprintf(
	    buf, len,
	    "%d (%s) %c 1 %d %d 0 -1 %llu 1000 0 3 0 %llu %llu 0 0 20 0 "
	    "%d 0 %llu 4000000000 %llu 18446744073709551615 1 1 0 0 0 0 0 "
	    "4096 17003 0 0 0 17 %d 0 0 0 %llu 0 0 0 0 0 0 0 0 0\n",
	    pid, comm, state ? state : 'S', pid, pid, (unsigned long long)flags,
	    (unsigned long long)utime, (unsigned long long)stime, nthreads,
	    (unsigned long long)starttime, (unsigned long long)rss, processor,
	    (unsigned long long)guest);
	return n < 0 || (size_t)n >= len ? -EOVERFLOW : 0;
}

static int write_status(const char *root, const char *rel, const char *name,
                        char state, int tgid, int pid, const char *cpus)
{
	return kf_putf(
	    root, rel,
	    "Name:\t%s\nUmask:\t0022\nState:\t%c (%s)\nTgid:\t%d\n"
	    "Ngid:\t0\nPid:\t%d\nPPid:\t1\nTracerPid:\t0\n"
	    "Uid:\t0\t0\t0\t0\nGid:\t0\t0\t0\t0\nFDSize:\t64\n"
	    "Groups:\t \nNStgid:\t%d\nNSpid:\t%d\nNSpgid:\t%d\n"
	    "NSsid:\t%d\nVmPeak:\t 1200000 kB\nVmSize:\t 1100000 kB\n"
	    "VmLck:\t       0 kB\nVmPin:\t       0 kB\n"
	    "VmHWM:\t  210000 kB\nVmRSS:\t  200000 kB\n"
	    "RssAnon:\t  190000 kB\nRssFile:\t   10000 kB\n"
	    "RssShmem:\t       0 kB\nVmData:\t  900000 kB\n"
	    "VmStk:\t     132 kB\nVmExe:\t    6000 kB\nVmLib:\t   30000 kB\n"
	    "VmPTE:\t     600 kB\nVmSwap:\t       0 kB\n"
	    "HugetlbPages:\t       0 kB\nCoreDumping:\t0\nTHP_enabled:\t1\n"
	    "Threads:\t6\nSigQ:\t0/94000\nSigPnd:\t0000000000000000\n"
	    "ShdPnd:\t0000000000000000\nSigBlk:\t0000000010002240\n"
	    "SigIgn:\t0000000000001000\nSigCgt:\t0000000100004243\n"
	    "CapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\n"
	    "CapEff:\t000001ffffffffff\nCapBnd:\t000001ffffffffff\n"
	    "CapAmb:\t0000000000000000\nNoNewPrivs:\t0\nSeccomp:\t0\n"
	    "Seccomp_filters:\t0\nSpeculation_Store_Bypass:\tvulnerable\n"
	    "SpeculationIndirectBranch:\talways enabled\n"
	    "Cpus_allowed:\t3\nCpus_allowed_list:\t%s\n"
	    "Mems_allowed:\t00000000,00000001\nMems_allowed_list:\t0\n"
	    "voluntary_ctxt_switches:\t1500\n"
	    "nonvoluntary_ctxt_switches:\t40\n",
	    name, state ? state : 'S', state == 'R' ? "running" : "sleeping",
	    tgid, pid, pid, pid, tgid, tgid, cpus ? cpus : "0-1");
}

static int write_counters(const char *root, const kf_proc *p)
{
	char rel[128], line[512];
	int rc, nthr = 1 + p->nvcpu + p->nextra;

	snprintf(rel, sizeof(rel), "%d/stat", p->pid);
	if ((rc = kf_stat_line(line, sizeof(line), p->pid, p->comm, p->state,
	                       p->flags, p->utime, p->stime, p->starttime, nthr,
	                       0, 0, p->rss_pages)) ||
	    (rc = kf_putf(root, rel, "%s", line)))
		return rc;
	snprintf(rel, sizeof(rel), "%d/statm", p->pid);
	if ((rc = kf_putf(root, rel, "275000 %llu 2500 1500 0 225000 0\n",
	                  (unsigned long long)p->rss_pages)))
		return rc;
	snprintf(rel, sizeof(rel), "%d/io", p->pid);
	if ((rc = kf_putf(root, rel,
	                  "rchar: %llu\nwchar: %llu\nsyscr: %llu\n"
	                  "syscw: %llu\nread_bytes: %llu\nwrite_bytes: %llu\n"
	                  "cancelled_write_bytes: 0\n",
	                  (unsigned long long)p->io_read + 4096,
	                  (unsigned long long)p->io_write + 4096,
	                  (unsigned long long)p->io_syscr,
	                  (unsigned long long)p->io_syscw,
	                  (unsigned long long)p->io_read,
	                  (unsigned long long)p->io_write)))
		return rc;
	for (int i = 0; i < p->nvcpu; i++) {
		const kf_vcpu *v = &p->vcpu[i];
		char comm[32];
		snprintf(comm, sizeof(comm), "%s",
		         v->comm ? v->comm : "CPU ?/KVM");
		if (!v->comm)
			snprintf(comm, sizeof(comm), "CPU %d/KVM", i);
		snprintf(rel, sizeof(rel), "%d/task/%d/stat", p->pid, v->tid);
		if ((rc = kf_stat_line(line, sizeof(line), v->tid, comm,
		                       v->state, 0x40, v->utime, v->stime,
		                       p->starttime + 5, nthr, v->processor,
		                       v->guest, p->rss_pages)) ||
		    (rc = kf_putf(root, rel, "%s", line)))
			return rc;
		snprintf(rel, sizeof(rel), "%d/task/%d/schedstat", p->pid,
		         v->tid);
		if ((rc = kf_putf(root, rel, "%llu %llu 4242\n",
		                  (unsigned long long)v->run_ns,
		                  (unsigned long long)v->wait_ns)))
			return rc;
	}
	return 0;
}

/* PID/ns/net (pid < 0: self/ns/net) -> target, replaced if present. */
static int put_link(const char *root, int pid, const char *target)
{
	char rel[64], path[PATH_MAX];
	int rc;

	if (pid < 0)
		snprintf(rel, sizeof(rel), "self/ns/x");
	else
		snprintf(rel, sizeof(rel), "%d/ns/x", pid);
	if ((rc = kf_put(root, rel, "", 0))) /* creates ns/ */
		return rc;
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	unlink(path);
	path[strlen(path) - 1] = '\0';
	strcat(path, "net");
	unlink(path);
	return symlink(target, path) < 0 ? -errno : 0;
}

int kf_update_proc(const char *procroot, const kf_proc *p)
{
	return write_counters(procroot, p);
}

int kf_write_proc(const char *root, const kf_proc *p)
{
	char rel[128], line[512], *cmd = NULL;
	size_t clen = 0;
	int rc, nthr = 1 + p->nvcpu + p->nextra;

	for (int i = 0; p->argv && p->argv[i]; i++)
		clen += strlen(p->argv[i]) + 1;
	cmd = malloc(clen + 1);
	if (!cmd)
		return -ENOMEM;
	clen = 0;
	for (int i = 0; p->argv && p->argv[i]; i++) {
		size_t l = strlen(p->argv[i]) + 1;
		memcpy(cmd + clen, p->argv[i], l);
		clen += l;
	}
	snprintf(rel, sizeof(rel), "%d/cmdline", p->pid);
	rc = kf_put(root, rel, cmd, clen);
	free(cmd);
	if (rc)
		return rc;
	snprintf(rel, sizeof(rel), "%d/comm", p->pid);
	if ((rc = kf_putf(root, rel, "%s\n", p->comm)))
		return rc;
	snprintf(rel, sizeof(rel), "%d/status", p->pid);
	if ((rc = write_status(root, rel, p->comm, p->state, p->pid, p->pid,
	                       NULL)))
		return rc;
	if (p->exe) {
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/%d/exe", root, p->pid);
		unlink(path);
		if (symlink(p->exe, path) < 0)
			return -errno;
	}
	if ((rc = write_counters(root, p)))
		return rc;
	if ((rc = put_link(root, p->pid, p->netns ? p->netns : KF_NETNS)))
		return rc;
	{
		char path[PATH_MAX];
		snprintf(path, sizeof(path), "%s/self/ns/net", root);
		if (access(path, F_OK) < 0 &&
		    (rc = put_link(root, -1, KF_NETNS)))
			return rc;
	}
	/* The main thread and helpers are threads too. */
	for (int i = 0; i <= p->nextra; i++) {
		int tid = i == 0 ? p->pid : p->pid + 900 + i;
		const char *tc = i == 0 ? p->comm : "call_rcu";
		snprintf(rel, sizeof(rel), "%d/task/%d/comm", p->pid, tid);
		if ((rc = kf_putf(root, rel, "%s\n", tc)))
			return rc;
		snprintf(rel, sizeof(rel), "%d/task/%d/stat", p->pid, tid);
		if ((rc = kf_stat_line(line, sizeof(line), tid, tc, 'S', 0x40,
		                       1, 1, p->starttime, nthr, 0, 0,
		                       p->rss_pages)) ||
		    (rc = kf_putf(root, rel, "%s", line)))
			return rc;
	}
	for (int i = 0; i < p->nvcpu; i++) {
		const kf_vcpu *v = &p->vcpu[i];
		char comm[32];
		if (v->comm)
			snprintf(comm, sizeof(comm), "%s", v->comm);
		else
			snprintf(comm, sizeof(comm), "CPU %d/KVM", i);
		snprintf(rel, sizeof(rel), "%d/task/%d/comm", p->pid, v->tid);
		if ((rc = kf_putf(root, rel, "%s\n", comm)))
			return rc;
		snprintf(rel, sizeof(rel), "%d/task/%d/status", p->pid, v->tid);
		if ((rc = write_status(root, rel, comm, v->state, p->pid,
		                       v->tid, v->cpus_allowed)))
			return rc;
	}
	/* fds: 0-2 plain, then an eventfd, then one tun fd per tap. */
	for (int fd = 0; fd < 4; fd++) {
		snprintf(rel, sizeof(rel), "%d/fdinfo/%d", p->pid, fd);
		if ((rc = kf_putf(root, rel,
		                  "pos:\t0\nflags:\t02\nmnt_id:\t25\n"
		                  "ino:\t%d\n%s",
		                  100 + fd,
		                  fd == 3 ? "eventfd-count:                0\n"
		                            "eventfd-id: 12\n"
		                          : "")))
			return rc;
	}
	for (int t = 0; p->taps && p->taps[t]; t++) {
		snprintf(rel, sizeof(rel), "%d/fdinfo/%d", p->pid, 20 + t);
		if ((rc = kf_putf(root, rel,
		                  "pos:\t0\nflags:\t04002\nmnt_id:\t26\n"
		                  "ino:\t%d\niff:\t%s\n",
		                  200 + t, p->taps[t])))
			return rc;
	}
	return 0;
}

int kf_write_tap(const char *sysroot, const char *name, uint64_t base)
{
	static const char *const f[8] = {
	    "rx_bytes", "rx_packets", "rx_errors", "rx_dropped",
	    "tx_bytes", "tx_packets", "tx_errors", "tx_dropped",
	};
	char rel[128];
	int rc;

	for (int i = 0; i < 8; i++) {
		snprintf(rel, sizeof(rel), "class/net/%s/statistics/%s", name,
		         f[i]);
		if ((rc = kf_putf(sysroot, rel, "%llu\n",
		                  (unsigned long long)base + 1ULL +
		                      (unsigned long long)i)))
			return rc;
	}
	return 0;
}

int kf_write_netdev(const char *procroot, int pid, const char *const *names,
                    const uint64_t *bases, int n)
{
	size_t cap = 512 + (size_t)n * 256, len = 0; /* lines <= 200 B */
	char *buf = malloc(cap), rel[32];
	int rc;

	if (!buf)
		return -ENOMEM;
	len += (size_t)snprintf(
	    buf + len, cap - len,
	    "Inter-|   Receive                            "
	    "                    |  Transmit\n"
	    " face |bytes    packets errs drop fifo frame compressed "
	    "multicast|bytes    packets errs drop fifo colls carrier "
	    "compressed\n"
	    "    lo:  123456     789    0    0    0     0          0"
	    "         0   123456     789    0    0    0     0       0"
	    "          0\n");
	for (int i = 0; i < n; i++) {
		unsigned long long b = (unsigned long long)bases[i];
		len += (size_t)snprintf(
		    buf + len, cap - len,
		    "%6s: %llu %llu %llu %llu    0     0          0"
		    "         0 %llu %llu %llu %llu    0     0       0"
		    "          0\n",
		    names[i], b + 1, b + 2, b + 3, b + 4, b + 5, b + 6, b + 7,
		    b + 8);
	}
	snprintf(rel, sizeof(rel), "%d/net/dev", pid);
	rc = kf_put(procroot, rel, buf, len);
	free(buf);
	return rc;
}

int kf_debugfs(const char *sysroot, int pid, const char *name, uint64_t v)
{
	char rel[128], txt[24];
	int n;

	snprintf(rel, sizeof(rel), "kernel/debug/kvm/%d-4/%s", pid, name);
	n = snprintf(txt, sizeof(txt), "%llu\n", (unsigned long long)v);
	return kf_put(sysroot, rel, txt, (size_t)n);
}

struct hv_snap *kf_sample(void *priv)
{
	return kf_sample_at(priv, 0);
}

struct hv_snap *kf_sample_at(void *priv, uint64_t mono_ns)
{
	hv_err err = {0};
	hv_snap *s = hv_snap_new();

	if (!s)
		return NULL;
	if (hv_kvm_ops.sample(priv, s, &err)) {
		hv_snap_unref(s);
		return NULL;
	}
	if (mono_ns)
		hv_snap_set_time(s, mono_ns, 0, 0);
	if (hv_snap_seal(s, &err)) {
		hv_snap_unref(s);
		return NULL;
	}
	return s;
}

const struct hv_dom *kf_dom(const struct hv_snap *s, const char *name)
{
	for (size_t i = 0; i < hv_snap_ndom(s); i++)
		if (!strcmp(hv_snap_dom(s, i)->name, name))
			return hv_snap_dom(s, i);
	return NULL;
}
