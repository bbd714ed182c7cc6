/* SPDX-License-Identifier: MIT */
/* kvmfix: builds QEMU processes in a fixture procfs (and their taps in a
 * fixture sysfs or their PID/net/dev) with the kernel's exact file formats. Shared by the kvm
 * fixture tests and bench/kvm. Files are rewritten in place (O_TRUNC), as
 * the kernel regenerates them, so cached descriptors see new values. */
#ifndef KVMFIX_H
#define KVMFIX_H

#include <stddef.h>
#include <stdint.h>

typedef struct kf_vcpu {
	int tid;
	const char *comm;      /* "CPU 0/KVM"; NULL = "CPU <i>/KVM" */
	char state;            /* 'R', 'S'; 0 = 'S' */
	uint64_t utime, stime; /* ticks */
	uint64_t guest;        /* ticks */
	int processor;
	uint64_t run_ns, wait_ns; /* schedstat */
	const char *cpus_allowed; /* Cpus_allowed_list; NULL = "0-1" */
} kf_vcpu;

typedef struct kf_proc {
	int pid;
	const char *comm;        /* "qemu-system-x86" */
	const char *exe;         /* exe symlink target, NULL = none */
	char state;              /* 0 = 'S' */
	uint64_t flags;          /* stat field 9 */
	uint64_t starttime;      /* ticks */
	uint64_t utime, stime;   /* whole process */
	const char *const *argv; /* NULL-terminated */
	uint64_t rss_pages;
	uint64_t io_read, io_write, io_syscr, io_syscw;
	int nvcpu;
	const kf_vcpu *vcpu;
	int nextra;              /* extra non-vCPU threads (main loop, rcu) */
	const char *const *taps; /* NULL-terminated tap names (fdinfo iff) */
	const char *netns;       /* ns/net link target, NULL = KF_NETNS */
} kf_proc;

/* The initial network namespace's ns/net link target. */
#define KF_NETNS "net:[4026531840]"

/* Write a whole file (binary safe), creating parents; in place. */
int kf_put(const char *root, const char *rel, const void *data, size_t len);
int kf_putf(const char *root, const char *rel, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* A stat line as the kernel prints it (52 fields; rss = field 24,
 * pages). */
int kf_stat_line(char *buf, size_t len, int pid, const char *comm, char state,
                 uint64_t flags, uint64_t utime, uint64_t stime,
                 uint64_t starttime, int nthreads, int processor,
                 uint64_t guest, uint64_t rss);

/* proc/PID/{stat,cmdline,statm,io,status,comm,exe,task/TID/...,fdinfo/N,
 * fd/,ns/net} for p under procroot, and proc/self/ns/net (KF_NETNS: the
 * collector's namespace) when missing. */
int kf_write_proc(const char *procroot, const kf_proc *p);
/* Just the counters that change between samples (stat, task stat and
 * schedstat, io, statm). */
int kf_update_proc(const char *procroot, const kf_proc *p);

/* sys/class/net/NAME/statistics/{rx,tx}_{bytes,packets,errors,dropped}:
 * rx_bytes = base+1, rx_packets = base+2, rx_errors = base+3,
 * rx_dropped = base+4, tx_bytes = base+5, ... tx_dropped = base+8. */
int kf_write_tap(const char *sysroot, const char *name, uint64_t base);

/* proc/PID/net/dev (the network namespace of PID as it sees it) with lo
 * and one line per name, counters as kf_write_tap's for the same base (rx
 * fields 1-4, tx fields 9-12; fifo/frame/... 0). */
int kf_write_netdev(const char *procroot, int pid, const char *const *names,
                    const uint64_t *bases, int n);

/* One debugfs counter file of a VM: <sysroot>/kernel/debug/kvm/PID-4/NAME
 * holding "V\n" (the VM fd is 4 in the fixtures). */
int kf_debugfs(const char *sysroot, int pid, const char *name, uint64_t v);

/* One sealed sample of an open kvm backend (priv), NULL when sampling or
 * sealing failed: the fixture tests' common step. */
struct hv_snap;
struct hv_dom;
struct hv_snap *kf_sample(void *priv);
/* The same, stamped with CLOCK_MONOTONIC mono_ns (for rates). */
struct hv_snap *kf_sample_at(void *priv, uint64_t mono_ns);
/* The domain named name in s, NULL if none. */
const struct hv_dom *kf_dom(const struct hv_snap *s, const char *name);
#endif
