/* SPDX-License-Identifier: MIT */
/* The kvm backend's state and the functions its files share. Each file
 * holds one thing:
 *   kvm.c          ops table, one sample in phases (kvm_sample)
 *   kvm_fd.c       cached file reads within the fd budget
 *   kvm_discover.c /proc listing, pid table, QEMU classification, guests'
 *                  lifetime, QMP socket lookup
 *   kvm_vcpu.c     vCPU threads: discovery (names or QMP), stat,
 *                  schedstat, affinity
 *   kvm_net.c      taps: fdinfo scan, one net/dev per namespace, sysfs
 *                  fallback
 *   kvm_fill.c     one hv_dom from a guest's reads (procfs + QMP)
 *   kvm_parse.c    pure parsers; kvm_qmp.c the QMP client (kvm_int.h)
 * Not public API: tests use kvm_int.h only. See docs/arch/kvm.md. */
#ifndef HV_KVM_BE_H
#define HV_KVM_BE_H

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>

#include "hv/backend.h"
#include "hv/platform.h"
#include "kvm/kvm_int.h"
#include "libvirt/lv_int.h"
#include "linux/netdev.h"

#define PF_KTHREAD 0x00200000u
#define NET_NSTAT HV_NETDEV_NSTAT
#define RESCAN_PERIOD 64 /* samples between thread/tap re-discovery */
#define AFF_PERIOD HV_KVM_AFF_PERIOD
#define AFF_BITS 8192
#define HV_NETNS_LEN 48

struct kvcpu {
	int idx;
	int32_t tid;
	int fd_stat, fd_sched, fd_status;
	/* this sample */
	bool ok;
	char state;
	int32_t pcpu;
	hv_u64 time, guest, wait;
	/* affinity: status is read when the thread is found, then once per
	 * k->aff_period samples (staggered by tid), and at once when the
	 * thread ran outside the mask; reparsed only when the text changes */
	bool aff_read;
	char aff_text[128];
	bool aff_any, aff_ok;
	uint64_t *aff; /* nbits = kvm->nbits */
};

struct knet {
	char name[HV_IFNAME_LEN];
	int fd[NET_NSTAT];
	uint64_t v[NET_NSTAT]; /* host side, in net_stat_file order */
	bool ok[NET_NSTAT];
	bool gone;
	bool sysfs; /* last read from sysfs files (8 fds), not net/dev */
};

/* One KVM binary stats fd (kvm_statsfd.c): the VM's or a vCPU's. */
struct kstat {
	int fd;   /* KVM_GET_STATS_FD of a duplicate of the VMM's fd */
	int vfd;  /* that fd's number in the VMM */
	int vcpu; /* -1: the VM */
	struct hv_kvm_stats lay;
	struct hv_kvm_xsum x; /* this sample */
};

struct kguest {
	uint32_t pid;
	uint64_t starttime;
	uint64_t key;
	int dfd; /* /proc/PID: openat through it never reaches a new process */
	int fd_stat, fd_io;
	struct hv_kvm_cmd cmd;
	struct kvcpu *vcpu;
	uint32_t nvcpu;
	bool vcpu_named;     /* found by thread name */
	bool need_qmp_cpus;  /* ask query-cpus-fast for thread ids */
	uint64_t threads_at; /* seq of the next thread rescan */
	struct knet *net;
	uint32_t nnet;
	bool net_scanned;
	uint64_t net_at;
	char netns[HV_NETNS_LEN]; /* ns/net link target, "" = unknown */
	int fd_netdev;            /* <procfs>/PID/net/dev: its own view */
	int nsi;                  /* this sample's k->ns entry, -1 = none */
	hv_kvm_qmp *qmp;
	uint64_t qmp_find_at; /* next look in qmp_dirs */
	bool qmp_last_ok;     /* last round answered: block from QMP */
	char (*blk_name)[HV_DEVNAME_LEN]; /* last QMP device list */
	uint32_t nblk_name;
	/* KVM binary stats fds: the VM's and each vCPU's (kvm_statsfd.c) */
	uint32_t nks;
	struct kstat *ks;
	uint64_t ks_at;     /* seq of the next look for new stats fds */
	uint64_t qstats_at; /* seq of the next QMP query-stats ask */
	uint32_t ks_vcpus;  /* vCPU stats fds among them */
	uint32_t ks_nvcpu;  /* vCPU threads at the last look */
	bool ks_miss;       /* the last look missed one: retried, no sums */
	bool ks_ok;         /* this sample: every stats fd read */
	/* Not QEMU: another VMM found by its kvm-vm fd (kvmtool, crosvm,
	 * Firecracker, Cloud Hypervisor); no QMP, sizes only from its
	 * command line. */
	bool vmm;
	char kvmdbg[32]; /* debugfs kvm/PID-FD name, "" = none */
	char ks_why[96]; /* why the VMM's stats fds are not read */
	/* this sample */
	bool alive;
	struct hv_kvm_stat st;
	hv_u64 rss_kib;
	bool io_ok;
	uint8_t io_why; /* hv_why when !io_ok and io was read */
	struct hv_kvm_io io;
};

struct pent {
	uint32_t pid; /* 0 = empty slot */
	uint32_t comm_hash;
	uint64_t starttime;
	uint64_t first_seq;
	bool kthread;
	struct kguest *g; /* NULL: not QEMU */
};

struct ptab {
	struct pent *e;
	size_t cap; /* power of two */
};

struct ndent {
	char name[HV_IFNAME_LEN]; /* "" = empty slot */
	uint64_t v[NET_NSTAT];    /* in net_stat_file order */
};

/* One network namespace seen this sample: its net/dev, read once through
 * the first guest in it. */
struct kns {
	char id[HV_NETNS_LEN]; /* "net:[4026531840]", or "?PID" if unknown */
	struct ndent *nd;
	size_t ndslots;
	bool ok;
};

struct kvm {
	hv_env env;
	hv_plat *plat;
	hv_err plat_err;
	int procfd; /* HVKIT_PROCFS root */
	DIR *procdir;
	int netdfd; /* <sysfs>/class/net, -1 if absent */
	/* Taps live in their QEMU's network namespace: one read of a
	 * PID/net/dev per namespace gives every tap's counters there. */
	char self_ns[HV_NETNS_LEN]; /* ours, "" = unknown */
	char *ndbuf;
	size_t ndcap;
	struct kns *ns; /* this sample's namespaces; slots reused */
	size_t nns, ns_cap;
	char qmp_dirs[1024];
	int qmp_timeout_ms;
	/* libvirt (kvm_libvirt.c): started when a libvirt-managed guest is
	 * first seen; this sample's table, its status and why. */
	char lv_uri[256];
	unsigned lv_timeout_ms;
	hv_lv *lv;
	hv_lv_tab *lvt;
	enum hv_lv_status lvst;
	char lvwhy[HV_LV_WHY_LEN];
	bool lv_fixed;    /* tests: a table set by hv_kvm_set_libvirt */
	bool lv_want_nic; /* this sample: a NIC with a host device procfs
	                   * has no tap for (libvirt's interface group) */
	uint64_t tick_ns;
	uint64_t page_kib;
	uint64_t seq;
	unsigned nfds, fd_budget;
	unsigned nqmp; /* monitor sockets open during a round (last sample) */
	/* Keep status fds (read one sample in AFF_PERIOD) only when every
	 * counter file of the sample fits the budget as well. */
	bool keep_status;
	uint64_t now_ns, prev_ns; /* this and the last sample's start */
	uint64_t aff_max_ns;      /* oldest affinity shown */
	uint32_t aff_period;      /* AFF_PERIOD, fewer if samples are slow */
	uint32_t nbits;           /* affinity bitmap size = host nr_pcpu */
	struct ptab tab;
	struct kguest **live; /* guests of this sample, pid order */
	size_t nlive, live_cap;
	uint32_t *pids;
	size_t npids, pids_cap;
	void (*hook)(void *, int);
	void *hook_arg;
	/* KVM stats fds: given up for the host (not permitted, too old a
	 * kernel) and why; a test's opener instead of pidfd_getfd */
	bool ks_off;
	char ks_why[96];
	unsigned char *ksbuf;
	size_t ksbuf_len;
	int (*ks_open)(void *arg, uint32_t pid, int vfd);
	void *ks_arg;
};

/* snprintf(dst, size, "%s", src) without the format machinery: it ran
 * several times per guest per sample. */
static inline void hv_kvm_copy_str(char *dst, size_t size, const char *src)
{
	size_t l = strnlen(src, size - 1);

	memcpy(dst, src, l);
	dst[l] = '\0';
}

static inline uint32_t hv_kvm_str_hash(const char *s)
{
	uint32_t h = 2166136261u;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 16777619u;
	return h;
}

/* A read failed because the process or thread is gone. */
static inline bool hv_kvm_vanished(ssize_t rc)
{
	return rc == -ENOENT || rc == -ESRCH;
}

/* ---- kvm_exits.c: KVM's own counters (stats fds, QMP, debugfs) ---- */
void hv_kvm_exits_find(struct kvm *k, struct kguest *g);
void hv_kvm_exits_fill(const struct kvm *k, const struct kguest *g, hv_dom *d);
/* The per-vCPU counters of the stats fds into d's vCPU records. */
void hv_kvm_exits_vcpus(const struct kguest *g, hv_dom *d);
/* Ask QEMU's query-stats this round (no stats fds held, and it did not
 * answer "none" lately)? */
bool hv_kvm_exits_want_qmp(const struct kvm *k, const struct kguest *g);
/* After an answered QMP round: query-stats replaces debugfs (per VM and
 * per vCPU). 0 or -ENOMEM. */
int hv_kvm_exits_qmp(const struct kvm *k, struct kguest *g, hv_dom *d);

/* ---- kvm_statsfd.c: KVM binary stats fds of the VMM's VM and vCPUs ---- */
/* Per sample: look for new KVM fds when due, read every stats fd's data
 * block; g->ks_ok when all were read. */
void hv_kvm_stats_read(struct kvm *k, struct kguest *g);
void hv_kvm_stats_close(struct kvm *k, struct kguest *g);

/* ---- kvm_fd.c: cached file reads within the fd budget ---- */
/* The budget: RLIMIT_NOFILE - 1024 (half of a small limit). */
unsigned hv_kvm_fd_budget(void);
void hv_kvm_fd_close(struct kvm *k, int *fdp);
/* Read dirfd/rel through *fdp, opening it (and keeping it when the budget
 * allows). Returns bytes or -errno. */
ssize_t hv_kvm_read(struct kvm *k, int *fdp, int dirfd, const char *rel,
                    char *buf, size_t len);
/* hv_kvm_read of task/TID/LEAF: the path is only formatted when no fd is
 * cached (a steady sample formats none). */
ssize_t hv_kvm_read_task(struct kvm *k, int *fdp, const struct kguest *g,
                         int32_t tid, const char *leaf, char *buf, size_t len);
/* Open, read once, close. */
ssize_t hv_kvm_read_once(int dirfd, const char *rel, char *buf, size_t len);

/* ---- kvm_discover.c: processes -> guests ---- */
/* Phase 1: list /proc, carry the cache over, classify new pids; fills
 * k->live in pid order. */
int hv_kvm_discover(struct kvm *k);
/* Re-read a known guest's main stat; false when it is gone or the pid
 * now belongs to another process. */
bool hv_kvm_guest_stat(struct kvm *k, struct kguest *g);
void hv_kvm_guest_free(struct kvm *k, struct kguest *g);
void hv_kvm_tab_free(struct kvm *k);
/* Look for g's QMP socket (command line, then qmp_dirs). */
void hv_kvm_find_qmp(struct kvm *k, struct kguest *g);

/* ---- kvm_vcpu.c: vCPU threads ---- */
void hv_kvm_vcpu_close(struct kvm *k, struct kvcpu *v);
/* Find threads named "CPU n/..." in task/. */
void hv_kvm_scan_threads(struct kvm *k, struct kguest *g);
/* Thread ids from a query-cpus-fast reply. */
void hv_kvm_vcpus_from_qmp(struct kvm *k, struct kguest *g, const void *ret);
void hv_kvm_read_vcpu(struct kvm *k, struct kguest *g, struct kvcpu *v);

/* ---- kvm_net.c: taps ---- */
void hv_kvm_net_close(struct kvm *k, struct knet *n);
void hv_kvm_net_free(struct kvm *k); /* namespace tables, buffer */
/* Find g's taps (tun fds' fdinfo "iff:") and its namespace. */
void hv_kvm_scan_net(struct kvm *k, struct kguest *g);
/* This sample's namespace entry of g (its net/dev read once). */
void hv_kvm_guest_ns(struct kvm *k, struct kguest *g);
void hv_kvm_read_net(struct kvm *k, struct kguest *g, struct knet *t);

/* ---- kvm_libvirt.c: libvirt's view merged in ---- */
/* Once per sample after discovery: this sample's libvirt table (only when
 * a libvirt-managed guest runs). */
void hv_kvm_lv_poll(struct kvm *k);
void hv_kvm_lv_close(struct kvm *k);
/* Merge g's libvirt record into d (name, UUID, state and reason, balloon
 * and guest memory, disks, NICs with procfs taps' counters preferred).
 * Returns 1 when libvirt fed d's disks and NICs, 0 when it did not (d got
 * a note why), -ENOMEM. */
int hv_kvm_fill_libvirt(struct kvm *k, hv_snap *s, hv_dom *d,
                        const struct kguest *g);

/* ---- kvm_fill.c ---- */
/* Add s to d's note unless it is there already ("; "-separated). */
void hv_kvm_note(hv_dom *d, const char *s);
/* One hv_dom for a live guest. Returns 0 or -ENOMEM. */
int hv_kvm_fill_dom(struct kvm *k, hv_snap *s, struct kguest *g);

#endif
