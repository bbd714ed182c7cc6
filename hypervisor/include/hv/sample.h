/* SPDX-License-Identifier: MIT */
/* The sample model: what one host looks like at one instant.
 *
 * A snapshot (hv_snap) is an opaque, reference-counted, immutable-once-sealed
 * handle in the spirit of libxenstat's xenstat_node. The records it holds
 * (hv_host, hv_pcpu, hv_dom, hv_vcpu, hv_net, hv_blk) are plain structs that
 * consumers read through const pointers. All counters are raw and cumulative
 * as the source reports them; rates live in hv/rates.h.
 *
 * Missing data is never 0: every value that a source may fail to give is an
 * hv_u64 whose `why` says whether it is present (HV_OK) or why not. */
#ifndef HV_SAMPLE_H
#define HV_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_NAME_LEN 64
#define HV_UUID_LEN 37 /* 36 chars + NUL, "" when unknown */
#define HV_IFNAME_LEN 16
#define HV_DEVNAME_LEN 32
#define HV_NOTE_LEN 96
#define HV_HW_MAX 4 /* hardware/software counter slots per vCPU */
#define HV_HW_NAME_LEN 48
#define HV_CSTATE_MAX 10
#define HV_PSTATE_MAX 32

/* Why a value is missing. HV_OK (0) means present. */
typedef enum hv_why {
	HV_OK = 0,
	HV_NA_UNSUPPORTED, /* this backend or machine cannot provide it */
	HV_NA_UNAVAILABLE, /* source exists but could not be read (perm, no socket) */
	HV_NA_STALE,       /* source missed its deadline this sample */
	HV_NA_ERROR,       /* source answered with something unparsable */
	HV_NA_NOTYET, /* needs a second sample */
} hv_why;

typedef struct hv_u64 {
	uint64_t v;
	uint8_t why; /* hv_why */
} hv_u64;

static inline hv_u64 hv_val(uint64_t v)
{
	return (hv_u64){v, HV_OK};
}
static inline hv_u64 hv_na(hv_why why)
{
	return (hv_u64){0, (uint8_t)why};
}
static inline bool hv_ok(hv_u64 x)
{
	return x.why == HV_OK;
}
const char *hv_why_str(hv_why why); /* "unsupported", "stale", ... */

/* Domain state flags; several may be set (Xen reports e.g. blocked+paused).
 * Rendered as xentop's "dsbcpr" letters by consumers. */
enum hv_dom_state {
	HV_DS_DYING = 1u << 0,
	HV_DS_SHUTDOWN = 1u << 1,
	HV_DS_BLOCKED = 1u << 2,
	HV_DS_CRASHED = 1u << 3,
	HV_DS_PAUSED = 1u << 4,
	HV_DS_RUNNING = 1u << 5,
	HV_DS_SHUTOFF = 1u << 6, /* KVM: QEMU alive, guest powered off */
};

/* Data sources, for "stale" and "what fed this" bitmasks. */
enum hv_src {
	HV_SRC_PROC = 1u << 0,    /* procfs of the QEMU process */
	HV_SRC_QMP = 1u << 1,     /* QEMU monitor */
	HV_SRC_XENSTAT = 1u << 2, /* libxenstat */
	HV_SRC_XENCTRL = 1u << 3, /* libxenctrl */
	HV_SRC_RDT = 1u << 4,     /* resctrl or Xen PSR */
	HV_SRC_PMU = 1u << 5,     /* perf events */
	HV_SRC_NET = 1u << 6,     /* tap/vif statistics */
	HV_SRC_LIBVIRT = 1u << 7, /* libvirt bulk domain stats (KVM) */
};

typedef struct hv_vcpu {
	uint32_t id;
	int32_t pcpu;         /* pCPU it last ran on, -1 unknown */
	int32_t tid;          /* KVM: vCPU thread id; Xen: -1 */
	uint8_t online;       /* 1 online, 0 offline (Xen hot-unplugged) */
	hv_u64 time_ns;       /* total run time of the vCPU */
	hv_u64 guest_ns;      /* of which in guest mode (KVM guest_time) */
	hv_u64 wait_ns;       /* runnable but not running: steal */
	hv_u64 hw[HV_HW_MAX]; /* counters named in hv_host.hw_name */
	/* KVM exits of this vCPU (its binary stats fd): all, and halt/wait
	 * (x86 halt_exits; arm64 wfi_exit_stat + wfe_exit_stat) */
	hv_u64 kvm_exits, kvm_wait_exits;
	/* Allowed pCPUs as a bitmap of hv_host.nr_pcpu bits; NULL = any. */
	const uint64_t *affinity;
} hv_vcpu;

/* Network counters are from the domain's point of view (rx = received by
 * the guest), as libvirt domstats reports them: a tap's or vif's host-side
 * tx is the guest's rx. Xen's xentop prints the backend's side instead
 * (NETRX = what the guest sent); xentop-ng maps its columns accordingly. */
typedef struct hv_net {
	char name[HV_IFNAME_LEN]; /* tap0, vif3.0; libvirt's alias (net1) when
	                           * the NIC has no host device (user mode) */
	uint32_t id;
	char type[12]; /* libvirt's interface type ("ethernet", "user",
	                * "bridge", "vhostuser", ...); "" unknown */
	hv_u64 rx_bytes, rx_pkts, rx_errs, rx_drop;
	hv_u64 tx_bytes, tx_pkts, tx_errs, tx_drop;
} hv_net;

enum hv_blk_src {
	HV_BLK_QMP = 0, /* QEMU query-blockstats */
	HV_BLK_PROCIO,  /* whole-process /proc/PID/io: not per device */
	HV_BLK_BLKBACK, /* Xen vbd (blkback) */
	HV_BLK_TAPDISK, /* Xen tapdisk3 */
	HV_BLK_QDISK,   /* Xen qdisk via QEMU */
	HV_BLK_LIBVIRT, /* libvirt block stats (QEMU's, through libvirtd) */
};

typedef struct hv_blk {
	char name[HV_DEVNAME_LEN]; /* vda, drive-virtio-disk0, xvda, 51712 */
	uint32_t id;
	uint8_t src; /* enum hv_blk_src */
	/* Requests of the guest's device. HV_BLK_PROCIO has none: syscall
	 * counts of the QEMU process are not disk requests. */
	hv_u64 rd_reqs, wr_reqs, fl_reqs, ds_reqs, oo_reqs;
	/* Xen: sectors * 512; HV_BLK_PROCIO: bytes the QEMU process read
	 * and wrote, all files (not one device) */
	hv_u64 rd_bytes, wr_bytes;
	hv_u64 rd_ns, wr_ns, fl_ns; /* total time spent, for latency */
	hv_u64 capacity_b;          /* guest-visible size (libvirt) */
	hv_u64 alloc_b;             /* host bytes allocated (libvirt) */
	/* CLOCK_MONOTONIC the counters were read at when that is not the
	 * sample's time (libvirt's call); 0: at the sample. Rates span the
	 * readings; the same reading twice has no rate. */
	uint64_t read_ns;
} hv_blk;

typedef struct hv_dom {
	/* Identity that is never reused: a restarted guest or a recycled pid or
	 * domid gets a new key, so rates never mix two lives. */
	uint64_t key;
	uint32_t id;            /* Xen domid, KVM QEMU pid */
	char name[HV_NAME_LEN]; /* sanitised */
	char uuid[HV_UUID_LEN];
	uint32_t state; /* enum hv_dom_state bits */
	uint32_t ssid;
	uint64_t start_ns; /* boot-relative start time, 0 unknown */
	hv_u64 cpu_ns;     /* all CPU time charged to the domain */
	hv_u64 mem_kib;    /* current */
	hv_u64 maxmem_kib; /* configured maximum */
	hv_u64 target_kib; /* balloon target/actual */
	hv_u64 rss_kib;    /* host resident (KVM) */
	/* KVM: bytes the QEMU process read and wrote, all files (its
	 * /proc/PID/io read_bytes, write_bytes): not one disk's */
	hv_u64 io_rd_bytes, io_wr_bytes;
	/* The guest's own view (virtio balloon statistics, libvirt) */
	hv_u64 mem_avail_kib, mem_unused_kib, mem_usable_kib, mem_cache_kib;
	uint32_t vmid; /* Proxmox VE VMID (QEMU -id), 0 = none */
	/* Why the state is what it is: libvirt's reason ("user", "I/O
	 * error", "booted"), or a doubt ("idle or paused: procfs only") */
	char state_why[32];
	uint32_t nr_vcpus; /* configured vCPUs (xentop VCPUS) */
	uint32_t nr_vcpu;  /* entries in vcpu[] */
	hv_vcpu *vcpu;
	uint32_t nr_net;
	hv_net *net;
	uint32_t nr_blk;
	hv_blk *blk;
	hv_u64 llc_bytes;       /* cache occupancy (resctrl/PSR) */
	hv_u64 mbm_total_bytes; /* cumulative memory bandwidth counters */
	hv_u64 mbm_local_bytes;
	hv_u64 energy_uj; /* attributed energy, cumulative (collector) */
	/* KVM's own exit counters for the VM, summed over its vCPUs, from
	 * the binary stats fds, else debugfs kvm/PID-FD/ (the kvm_stat names;
	 * they differ by arch):
	 * exits            x86 exits; arm64 exits
	 * mmio             x86 mmio_exits; arm64 mmio_exit_user+_kernel
	 * io               x86 io_exits (port I/O; none on arm64)
	 * wait             x86 halt_exits; arm64 wfi_exit_stat+wfe_exit_stat
	 * hvc              arm64 hvc_exit_stat (hypercalls, PSCI)
	 * irq              x86 irq_exits (none on arm64)
	 * signal           signal_exits (both) */
	hv_u64 kvm_exits, kvm_mmio_exits, kvm_io_exits, kvm_wait_exits;
	hv_u64 kvm_hvc_exits, kvm_irq_exits, kvm_signal_exits;
	uint32_t sources;       /* hv_src bits that fed this sample */
	uint32_t stale;         /* hv_src bits that missed their deadline */
	char note[HV_NOTE_LEN]; /* why data is missing/stale, for display */
} hv_dom;

typedef struct hv_cstate {
	char name[16];
	char desc[32];
	uint32_t latency_us;
	uint8_t disabled;
	hv_u64 time_ns; /* cumulative residency */
	hv_u64 usage;   /* entries */
} hv_cstate;

typedef struct hv_pstate {
	uint64_t khz;
	hv_u64 time_ns; /* cumulative residency (time_in_state or Xen pxstat) */
} hv_pstate;

typedef struct hv_pcpu {
	uint32_t id;
	int8_t online;   /* 1, 0, or -1 unknown */
	uint8_t hotplug; /* 1 when it can be offlined (has an online knob) */
	int32_t pkg, die, core;  /* -1 unknown; SMT siblings share pkg+core */
	hv_u64 busy_ns, idle_ns; /* cumulative, /proc/stat or Xen idle time */
	hv_u64 cur_khz, min_khz, max_khz; /* policy limits */
	hv_u64 hw_min_khz, hw_max_khz;    /* cpuinfo limits */
	char governor[24];                /* "" when no cpufreq */
	char driver[24];
	char epp[32];
	uint32_t nr_pstate;
	hv_pstate pstate[HV_PSTATE_MAX];
	uint32_t nr_cstate;
	hv_cstate cstate[HV_CSTATE_MAX];
	/* Machine checks reported by this CPU's banks since the source opened
	 * (Linux: mce:mce_record tracepoint; Xen: forwarded MCA records).
	 * Unsupported without a source; a real 0 when it is read. */
	hv_u64 ce_count;    /* corrected */
	hv_u64 ue_count;    /* uncorrected that the host survived (UCNA/SRAO) */
	hv_u64 last_err_ns; /* CLOCK_MONOTONIC of the last one; notyet: none */
	int32_t last_bank;  /* bank of the last one, -1 none */
	/* ACPI CPPC (cpuN/acpi_cppc, arm64 servers under cppc_cpufreq; some
	 * x86): abstract performance levels, and the feedback counters whose
	 * delivered/reference ratio gives the clock actually delivered. */
	hv_u64 cppc_highest_perf, cppc_nominal_perf, cppc_lowest_perf;
	hv_u64 cppc_fb_ref, cppc_fb_del; /* feedback_ctrs "ref:R del:D" */
	uint32_t cppc_ref_khz; /* clock at reference_perf, 0 unknown */
} hv_pcpu;

/* A physical page that had errors or was taken out of service. */
enum hv_page_state {
	HV_PAGE_ONLINE = 0,
	HV_PAGE_SOFT_OFFLINE, /* Linux: poisoned after soft_offline_page */
	HV_PAGE_XEN_OFFLINE,  /* Xen: offlined (xc_mark_page_offline) */
	HV_PAGE_XEN_PENDING,  /* Xen: offline pending (page still in use) */
	HV_PAGE_UNKNOWN,      /* state source unreadable (see reason) */
};

typedef struct hv_page {
	uint64_t addr;    /* physical address of the 4 KiB page */
	uint64_t ce, ue;  /* errors with an address on this page */
	uint64_t last_ns; /* CLOCK_MONOTONIC of the last error, 0 none */
	uint8_t state;    /* enum hv_page_state */
	char reason[48];  /* who offlined it or why the state is unknown */
} hv_page;

/* EDAC per-DIMM (dimmN/) or per-csrow (csrowN/, older drivers) counts,
 * extended past the kernel's 32-bit wrap. */
typedef struct hv_dimm {
	char name[24];  /* "mc0/dimm1", "mc1/csrow0" */
	char label[32]; /* dimm_label / ch0_dimm_label, sanitised */
	hv_u64 ce, ue;
} hv_dimm;

typedef struct hv_rapl {
	char name[32]; /* "package-0", "dram" */
	char path[64]; /* zone id relative to powercap: intel-rapl:0 */
	int32_t pkg;   /* -1 if not a package zone */
	hv_u64 energy_uj;
	uint64_t max_range_uj; /* wrap point of energy_uj */
	hv_u64 limit_uw;       /* constraint_0_power_limit_uw */
} hv_rapl;

/* A hwmon power or energy sensor (class/hwmon/hwmonN, the kernel's hwmon
 * sysfs ABI): scmi_sensors, power_meter (ACPI), apm_xgene, amd_energy... */
enum hv_hwmon_kind {
	HV_HWMON_ENERGY = 0, /* energyN_input: microjoules, cumulative */
	HV_HWMON_POWER,      /* powerN_average, else powerN_input: microwatts */
};

typedef struct hv_hwmon {
	char chip[32];  /* hwmon `name`: "scmi_sensors", "power_meter" */
	char label[32]; /* energyN_label / powerN_label, sanitised; "" none */
	char path[32];  /* "hwmon2/energy1", "hwmon0/power1_average" */
	uint8_t kind;   /* enum hv_hwmon_kind */
	uint8_t zone; /* 1: part of the host's energy source (hv_energy_src) */
	hv_u64 energy_uj;     /* energy: the counter; power: unsupported */
	hv_u64 power_uw;      /* power: the reading; energy: unsupported */
	uint32_t interval_ms; /* powerN_average_interval, 0 unknown */
} hv_hwmon;

typedef struct hv_host {
	char hostname[64];
	char backend[16]; /* "kvm", "xen", "replay", "synth" */
	char hv_version[32];
	char idle_driver[24], idle_governor[24];
	char arch[16];      /* "x86_64", "aarch64"; "" unknown */
	char cpu_model[64]; /* "AMD EPYC 7763", "ARM Neoverse-N1 r3p1" */
	hv_u64 uptime_ns;
	hv_u64 mem_total_kib, mem_free_kib;
	uint32_t cpu_khz; /* nominal, 0 unknown (never a timer rate) */
	uint32_t nr_pcpu;
	hv_pcpu *pcpu;
	uint32_t nr_rapl;
	hv_rapl *rapl;
	uint32_t nr_hw; /* named counter slots in use */
	char hw_name[HV_HW_MAX][HV_HW_NAME_LEN];
	char hw_note
	    [HV_NOTE_LEN]; /* e.g. "no hardware counters: software events" */
	hv_u64 ce_total;   /* corrected errors, host total */
	/* Why there are no P-states / C-states at all ("" when there are, or
	 * when nothing is known), e.g. Xen on ARM, a board with no cpufreq. */
	char freq_note[HV_NOTE_LEN + 32];
	char idle_note[HV_NOTE_LEN + 32];
	hv_u64 ue_total; /* EDAC uncorrected, host total */
	uint32_t nr_dimm;
	hv_dimm *dimm;
	/* Pages with errors: HV_OK means the list is complete for the source's
	 * life; otherwise why there is no list (no source, no privilege). */
	uint8_t page_why;
	uint32_t nr_page;
	hv_page *page;
	hv_u64 mce_lost; /* records the source lost (ring overflow) */
	char ras_note[HV_NOTE_LEN]; /* e.g. "mce tracepoint: not permitted" */
	uint32_t nr_hwmon;
	hv_hwmon *hwmon;
	/* Which energy source feeds power and attribution, or why there is
	 * none ("" when nothing is known, e.g. a Xen host). */
	char energy_note[HV_NOTE_LEN + 64];
} hv_host;

/* ---- Snapshot handle ---- */
typedef struct hv_snap hv_snap;
struct hv_rates;

uint64_t hv_snap_seq(const hv_snap *s);     /* 1, 2, ... per collector */
uint64_t hv_snap_mono_ns(const hv_snap *s); /* CLOCK_MONOTONIC at sample */
int64_t hv_snap_wall_ns(const hv_snap *s);  /* CLOCK_REALTIME at sample */
uint64_t hv_snap_cost_ns(const hv_snap *s); /* how long sampling took */
const hv_host *hv_snap_host(const hv_snap *s);
size_t hv_snap_ndom(const hv_snap *s);
const hv_dom *hv_snap_dom(const hv_snap *s, size_t i);
/* O(1) hashed lookups; NULL when absent. */
const hv_dom *hv_snap_find_key(const hv_snap *s, uint64_t key);
const hv_dom *hv_snap_find_id(const hv_snap *s, uint32_t id);
/* Index of a domain record in this snapshot (for rates), or -1. */
long hv_snap_index(const hv_snap *s, const hv_dom *d);
/* Rates against the previous sample, attached by the collector. The first
 * sample (and a domain's first) has rates too: every value NAN, `fresh`
 * set. NULL only for a snapshot that never went through a collector. */
const struct hv_rates *hv_snap_rates(const hv_snap *s);

hv_snap *hv_snap_ref(hv_snap *s);
void hv_snap_unref(hv_snap *s); /* NULL allowed */

/* ---- Building (backends, replay, tests) ----
 * Memory comes from the snapshot's arena and is freed with it. Pointers
 * returned stay valid for the snapshot's life. */
hv_snap *hv_snap_new(void);                /* NULL on ENOMEM */
void *hv_snap_alloc(hv_snap *s, size_t n); /* zeroed; NULL on ENOMEM */
hv_host *hv_snap_host_mut(hv_snap *s);
/* A new zeroed domain with every hv_u64 marked HV_NA_UNSUPPORTED. */
hv_dom *hv_snap_add_dom(hv_snap *s);
/* Forget the most recently added domain (it vanished mid-sample). */
void hv_snap_drop_last(hv_snap *s);
/* Arrays for a record, zeroed with hv_u64s marked unsupported. */
hv_vcpu *hv_snap_vcpus(hv_snap *s, hv_dom *d, uint32_t n);
hv_net *hv_snap_nets(hv_snap *s, hv_dom *d, uint32_t n);
hv_blk *hv_snap_blks(hv_snap *s, hv_dom *d, uint32_t n);
hv_pcpu *hv_snap_pcpus(hv_snap *s, uint32_t n);
hv_rapl *hv_snap_rapls(hv_snap *s, uint32_t n);
hv_hwmon *hv_snap_hwmons(hv_snap *s, uint32_t n);
/* Set the timestamps (done by hv_backend_sample; replay sets its own). */
void hv_snap_set_time(hv_snap *s, uint64_t mono_ns, int64_t wall_ns,
                      uint64_t cost_ns);
/* Build lookup indexes; duplicate keys are rejected with -EEXIST. After
 * sealing only the collector may attach rates and energy. */
int hv_snap_seal(hv_snap *s, hv_err *err);
void hv_snap_set_seq(hv_snap *s, uint64_t seq);
void hv_snap_attach_rates(hv_snap *s, struct hv_rates *r); /* takes ownership */
hv_dom *hv_snap_dom_mut(hv_snap *s, size_t i);

#ifdef __cplusplus
}
#endif
#endif
