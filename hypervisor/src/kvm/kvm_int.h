/* SPDX-License-Identifier: MIT */
/* Internals of the kvm backend, shared by its files and its fixture tests.
 * Nothing here is public API. */
#ifndef HV_KVM_INT_H
#define HV_KVM_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/backend.h"
#include "hv/err.h"
#include "hv/sample.h"

#define HV_KVM_PATH_LEN 256
/* A vCPU thread's affinity (task/TID/status) is re-read every
 * HV_KVM_AFF_PERIOD samples or HV_KVM_AFF_MAX_MS, whichever comes first:
 * pinning changes rarely, and on a real procfs status costs about twice
 * stat and schedstat together. A thread seen on a pCPU outside its known
 * mask is re-read at once. */
#define HV_KVM_AFF_PERIOD 8
#define HV_KVM_AFF_MAX_MS 5000

/* ---- Parsers (kvm_parse.c): pure functions on text in memory ---- */

/* The fields of /proc/PID/stat (or task/TID/stat) the backend uses. */
struct hv_kvm_stat {
	char comm[32];
	char state;
	uint32_t ppid;
	uint64_t flags;
	uint64_t utime, stime; /* clock ticks */
	uint64_t starttime;    /* clock ticks since boot */
	uint64_t rss;          /* resident pages (field 24, as statm's) */
	bool rss_ok;
	int32_t processor;   /* -1 when the kernel is too old */
	uint64_t guest_time; /* clock ticks */
	bool has_guest;      /* field 43 present */
};

/* Parse a stat line: comm may hold spaces and parentheses, so it ends at
 * the LAST ')'. Returns 0 or -EINVAL. */
int hv_kvm_parse_stat(const char *buf, struct hv_kvm_stat *st);
/* The same, reading no field past last (22..43): a process's stat needs
 * nothing after rss (24), a thread's needs processor and guest time. */
int hv_kvm_parse_stat_to(const char *buf, struct hv_kvm_stat *st, int last);

/* What the backend learns from a QEMU command line. */
struct hv_kvm_cmd {
	char name[HV_NAME_LEN]; /* sanitised; "" when no -name */
	char uuid[HV_UUID_LEN]; /* "" when absent or malformed */
	uint64_t mem_kib;       /* -m size (QEMU default 128 MiB) */
	uint64_t maxmem_kib;    /* -m maxmem=, else mem_kib */
	uint32_t smp;           /* -smp cpus (or topology product), default 1 */
	char qmp_path[HV_KVM_PATH_LEN]; /* a QMP unix socket, "" none */
	bool qmp_pretty;                /* -qmp-pretty: multi-line JSON */
	bool libvirt;                   /* monitor held by libvirtd */
	uint32_t vmid;                  /* Proxmox VE -id VMID, 0 none */
	bool balloon;                   /* has a virtio-balloon device */
};

/* Parse a NUL-separated /proc/PID/cmdline of len bytes. Returns 0, or
 * -EINVAL when it is empty. Unknown options are ignored. */
int hv_kvm_parse_cmdline(const char *buf, size_t len, struct hv_kvm_cmd *c);

/* QEMU size syntax ("512" = MiB, "2G", "1.5g", "2097152k", "1073741824b")
 * in KiB. Returns 0 or -EINVAL. */
int hv_kvm_parse_size_kib(const char *s, uint64_t *kib);

/* Is this comm or exe basename a QEMU system emulator? */
bool hv_kvm_is_qemu_name(const char *name);

/* vCPU thread names -> index, -1 when not a vCPU thread: QEMU "CPU 3/KVM"
 * (and "/TCG"), kvmtool "kvm-vcpu-3", crosvm "crosvm_vcpu3", Firecracker
 * "fc_vcpu 3", Cloud Hypervisor "vcpu3". */
int hv_kvm_vcpu_index(const char *comm);

/* Name of a non-QEMU VMM's domain from its NUL-separated command line:
 * the value of --name / --id / --vm-name (sanitised), else
 * "<basename of argv[0]>-<pid>". */
void hv_kvm_vmm_name(const char *buf, size_t len, uint32_t pid, char *out,
                     size_t olen);

/* Domain key from pid and start time: unique for (pid, starttime), mixed so
 * that it looks like a hash (the packing is injective, the mixer a
 * bijection, so two lives never share a key). */
uint64_t hv_kvm_key(uint32_t pid, uint64_t starttime);

/* /proc/PID/io: read_bytes, write_bytes, syscr, syscw. -EINVAL if a field
 * is missing. */
struct hv_kvm_io {
	uint64_t rchar, wchar, syscr, syscw, read_bytes, write_bytes;
};
int hv_kvm_parse_io(const char *buf, struct hv_kvm_io *io);

/* The unsigned decimal at *p after any spaces, ending at a space, a
 * newline or the end; *p is moved past it. -EINVAL otherwise (a minus
 * sign, a letter, more than 64 bits). */
int hv_kvm_next_u64(const char **p, uint64_t *v);

/* The first two numbers of a line: schedstat "run_ns wait_ns slices"
 * (wait = steal, ns), statm "size resident ..." (pages). */
int hv_kvm_parse_schedstat(const char *buf, uint64_t *run_ns,
                           uint64_t *wait_ns);

/* Value of "Key:\tvalue" in a status-like file (value trimmed, copied into
 * out); -ENOENT when the key is absent. */
int hv_kvm_status_field(const char *buf, const char *key, char *out,
                        size_t len);

/* ---- KVM binary stats (kvm_stats.c): pure, on bytes in memory ----
 * KVM_GET_STATS_FD (Linux >= 5.14); the layout is described there. */
enum hv_kvm_xk {
	HV_KVM_XK_ALL = 0, /* exits */
	HV_KVM_XK_MMIO,    /* x86 mmio_exits; arm64 mmio_exit_user+_kernel */
	HV_KVM_XK_IO,      /* x86 io_exits */
	HV_KVM_XK_WAIT,    /* x86 halt_exits; arm64 wfi_exit_stat+wfe_... */
	HV_KVM_XK_HVC,     /* arm64 hvc_exit_stat */
	HV_KVM_XK_IRQ,     /* x86 irq_exits */
	HV_KVM_XK_SIGNAL,  /* signal_exits */
	HV_KVM_XK_N,
};
/* The kvm_stat names of each kind, NULL-terminated (both architectures;
 * the debugfs files have the same names). */
extern const char *const *const hv_kvm_xk_names[HV_KVM_XK_N];

/* The descriptor flags' type field (include/uapi/linux/kvm.h) */
#define HV_KVM_STATS_TYPE_MASK 0xfu
#define HV_KVM_STATS_CUMULATIVE 0u
#define HV_KVM_STATS_INSTANT 1u
#define HV_KVM_STATS_PEAK 2u
#define HV_KVM_STATS_LINEAR_HIST 3u
#define HV_KVM_STATS_LOG_HIST 4u
#define HV_KVM_STATS_MAX_DESC 4096u /* real ones have under 100 */
#define HV_KVM_XK_SLOTS 3

/* The parsed layout of one stats fd: which u64 of the data block each
 * kind sums. */
struct hv_kvm_stats {
	char id[64];       /* "kvm-1234", "kvm-1234/vcpu-0" */
	uint32_t ndesc;    /* descriptors */
	uint32_t nhist;    /* histograms and size > 1: skipped */
	uint32_t ninstant; /* instant and peak values: not rates, skipped */
	uint32_t nmatched; /* descriptors that feed a kind */
	uint64_t data_off; /* file offset of the data block */
	uint32_t data_len; /* bytes of it to read: up to the last slot used */
	uint8_t nslot[HV_KVM_XK_N];
	uint32_t slot[HV_KVM_XK_N][HV_KVM_XK_SLOTS]; /* u64 index in data */
};

/* Sums of the kinds over stats blocks; has[k]: some block names kind k. */
struct hv_kvm_xsum {
	uint64_t v[HV_KVM_XK_N];
	bool has[HV_KVM_XK_N];
};

/* QEMU's query-stats (target vcpu, provider kvm: the binary stats QEMU
 * reads itself) and query-cpus-fast replies (cJSON, either may be NULL):
 * the VM's sums into *vm and, for vCPUs whose qom-path query-cpus-fast
 * names, each one's into vcpu[cpu-index] (has[] set; cap entries).
 * Returns the number of vCPU results, 0 when there are none (TCG). */
int hv_kvm_qmp_stats(const void *stats, const void *cpus,
                     struct hv_kvm_xsum *vm, struct hv_kvm_xsum *vcpu,
                     size_t cap);

/* From the first len bytes of a stats fd (the 24-byte header): how many
 * bytes header, id and descriptors take (*need). 0 or -EINVAL (a short
 * header, a name size 0 or over 256, more than HV_KVM_STATS_MAX_DESC
 * descriptors) with a message. */
int hv_kvm_stats_head_len(const void *hdr, size_t len, size_t *need,
                          hv_err *err);
/* Parse header, id and descriptors from buf (the file's first len bytes).
 * 0, or -EINVAL with a message: truncated, a name unterminated, a stat's
 * values past 1 MiB or not u64-aligned. */
int hv_kvm_stats_parse(const void *buf, size_t len, struct hv_kvm_stats *st,
                       hv_err *err);
/* The vCPU number from the id ("kvm-1234/vcpu-3" -> 3), -1 for a VM. */
int hv_kvm_stats_vcpu(const struct hv_kvm_stats *st);
/* Add the kinds' counters of one data block (len bytes read at data_off)
 * into *sum. */
void hv_kvm_stats_kinds(const struct hv_kvm_stats *st, const void *data,
                        size_t len, struct hv_kvm_xsum *sum);

/* ---- QMP client (kvm_qmp.c) ----
 * A persistent, nonblocking connection to one QEMU monitor. Many are driven
 * together in one poll loop with one absolute deadline. */
enum hv_kvm_qmp_cmd {
	HV_QMP_STATUS = 0,
	HV_QMP_BLOCKSTATS,
	HV_QMP_BALLOON,
	HV_QMP_CPUS,
	HV_QMP_NAME,
	HV_QMP_STATS, /* query-stats of the vCPUs, provider kvm (QEMU >= 7.1) */
	HV_QMP_NCMD,
};

enum hv_kvm_qmp_res {
	HV_QMP_R_NONE = 0, /* not asked / not reached */
	HV_QMP_R_OK,       /* "return" received */
	HV_QMP_R_ERROR,    /* "error" received (e.g. no balloon device) */
};

typedef struct hv_kvm_qmp hv_kvm_qmp;

/* A connection to the unix socket at path (nothing is done until a round
 * starts). NULL on ENOMEM. */
hv_kvm_qmp *hv_kvm_qmp_new(const char *path);
void hv_kvm_qmp_free(hv_kvm_qmp *q); /* NULL allowed; closes the socket */
/* Stay connected between rounds (default: close after each answered
 * round, since QEMU serves one monitor client at a time). */
void hv_kvm_qmp_keep(hv_kvm_qmp *q, bool keep);

/* Outcome of the last round. */
enum hv_kvm_qmp_outcome {
	HV_QMP_O_OK = 0,
	HV_QMP_O_UNAVAILABLE, /* could not connect: no socket, refused */
	HV_QMP_O_STALE,       /* missed the deadline, closed, garbage */
};

/* Drive a round on n connections: each asks the commands in its mask
 * (bits 1u << enum hv_kvm_qmp_cmd), all concurrently, until every one is
 * answered or the absolute CLOCK_MONOTONIC deadline (ns) passes.
 * hv_kvm_qmp_start may be called for all, then other work done, then
 * hv_kvm_qmp_finish waits. NULL entries are skipped. */
void hv_kvm_qmp_start(hv_kvm_qmp *q, unsigned mask);
void hv_kvm_qmp_finish(hv_kvm_qmp **qs, size_t n, uint64_t deadline_ns);

enum hv_kvm_qmp_outcome hv_kvm_qmp_outcome(const hv_kvm_qmp *q,
                                           const char **why);
/* Result of one command of the last round: its "return" value (a cJSON
 * node owned by the connection, valid until the next round) or NULL. */
enum hv_kvm_qmp_res hv_kvm_qmp_result(const hv_kvm_qmp *q,
                                      enum hv_kvm_qmp_cmd c, const void **json);
/* Connections opened in total (tests: persistence). */
unsigned hv_kvm_qmp_connects(const hv_kvm_qmp *q);

uint64_t hv_kvm_now_ns(void); /* CLOCK_MONOTONIC */

/* ---- Backend internals (kvm.c) for tests ---- */
/* Called by sample() after listing /proc (phase 1) and, per domain,
 * between finding its threads and reading them (phase 2): fixture tests
 * make processes and threads vanish there. */
void hv_kvm_set_hook(void *priv, void (*fn)(void *arg, int phase), void *arg);
/* Tests: the oldest affinity shown, in ms (default HV_KVM_AFF_MAX_MS). */
void hv_kvm_set_aff_max_ms(void *priv, unsigned ms);
/* Tests: use this libvirt table (a reference is taken; NULL allowed) and
 * status instead of a libvirt source, from the next sample on. */
struct hv_lv_tab;
void hv_kvm_set_libvirt(void *priv, struct hv_lv_tab *t, int status,
                        const char *why);
/* Tests: whether the last sample's merge found a libvirt NIC with a host
 * device but no procfs tap (the source then asks for the interface
 * group). */
bool hv_kvm_lv_wants_nic(const void *priv);
/* Tests: KVM stats fds from fn (given the pid and the VMM's fd number,
 * returns an fd that reads as a stats fd, or -errno) instead of
 * pidfd_getfd + KVM_GET_STATS_FD, also on a fixture procfs. */
void hv_kvm_set_stats_open(void *priv,
                           int (*fn)(void *arg, uint32_t pid, int vfd),
                           void *arg);
/* File descriptors the backend keeps open between samples. */
unsigned hv_kvm_cached_fds(const void *priv);

#endif
