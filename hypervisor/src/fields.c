/* SPDX-License-Identifier: MIT */
/* The field registry (see hv/fields.h): one table per record. Row order is
 * the order of xentop-ng's --json/--csv; api_pos and prom_pos place a row in
 * /api/v1 and /metrics where those were laid out differently. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hv/fields.h"

#define DOM(m) .off = offsetof(hv_dom, m), .mem = #m
#define DRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_dom_rate, m)
#define EX HV_FV_EXPORT
#define API HV_FV_API
#define DET HV_FV_API_DETAIL
#define PROM HV_FV_PROM
#define C HV_FK_COUNTER
#define NS .mul = 1, .dec = 9
#define KIB .mul = 1024
#define ONE .mul = 1

/* one family, hv_domain_memory_bandwidth_bytes, of two scopes */
#define MBM_HELP "Memory traffic counted by MBM; scope is total or local."

static hv_u64 dom_start(const void *rec)
{
	return hv_val(((const hv_dom *)rec)->start_ns);
}
static hv_u64 dom_key(const void *rec)
{
	return hv_val(((const hv_dom *)rec)->key);
}

/* KVM exits of one kind (stats fds or debugfs kvm/PID-FD): the counter (/api/v1 detail,
 * /metrics hv_domain_kvm_exits_total{kind}) and its rate (/api/v1, a
 * xentop-ng column). */
/* String arguments are pasted next to literals: they cannot be
 * parenthesised. */
/* NOLINTBEGIN(bugprone-macro-parentheses) */
#define KVM_EXIT_ROWS(K, kd, m, rm, pos, colid, hdr, what)                  \
	[HV_D_KVM_##K] = {.name = "kvm.exits." kd,                          \
	                  DOM(m),                                           \
	                  ONE,                                              \
	                  .kind = C,                                        \
	                  .views = DET | PROM,                              \
	                  .help = "KVM exits of the VM by kind (the "       \
	                          "kvm_stat counters: binary stats, "       \
	                          "QMP query-stats or debugfs).",           \
	                  .api = "kvm_exits_" kd,                           \
	                  .prom = "hv_domain_kvm_exits",                    \
	                  .prom_pos = (pos),                                \
	                  .prom_label = "kind=\"" kd "\""},                 \
	[HV_D_KVM_##K##_RATE] = {.name = "kvm.exits." kd ".rate",           \
	                         .unit = "1/s",                             \
	                         DRATE(rm),                                 \
	                         .views = API,                              \
	                         .help = "KVM exits per second: " what ".", \
	                         .api = "kvm_exits_" kd "_per_s",           \
	                         .col = "kvm_" colid,                       \
	                         .header = hdr,                             \
	                         .width = 7,                                \
	                         .fmt = HV_FMT_HUMAN,                       \
	                         .tip = "KVM " what " per second"}
/* NOLINTEND(bugprone-macro-parentheses) */

const hv_field hv_dom_fields[HV_D__N] = {
    [HV_D_NAME] = {.name = "name",
                   .type = HV_FT_STR,
                   DOM(name),
                   .views = EX | API,
                   .help = "Domain name.",
                   .api = "name",
                   .api_pos = 2,
                   .col = "name",
                   .header = "NAME",
                   .width = 10,
                   .fmt = HV_FMT_TEXT,
                   .tip = "domain name"},
    [HV_D_ID] = {.name = "id",
                 .type = HV_FT_U32,
                 DOM(id),
                 ONE,
                 .views = EX | API | PROM,
                 .kind = HV_FK_INFO,
                 .help = "Domain identity; id is the Xen domid or QEMU pid.",
                 .api = "id",
                 .api_pos = 1,
                 .prom = "hv_domain",
                 .prom_label = "id",
                 .prom_pos = 1,
                 .col = "id",
                 .header = "ID",
                 .width = 7,
                 .fmt = HV_FMT_INT,
                 .tip = "domid (Xen) or QEMU pid (KVM)"},
    [HV_D_UUID] = {.name = "uuid",
                   .type = HV_FT_STR,
                   DOM(uuid),
                   .views = EX | API,
                   .help = "Domain UUID (in /metrics: a label of every "
                           "domain series).",
                   .api = "uuid",
                   .api_pos = 3,
                   .col = "uuid",
                   .header = "UUID",
                   .width = 36,
                   .fmt = HV_FMT_TEXT,
                   .tip = "domain UUID"},
    [HV_D_STATE] = {.name = "state",
                    .type = HV_FT_STATE,
                    DOM(state),
                    .views = EX | API | PROM,
                    .help = "1 for each state flag the domain has.",
                    .api = "state",
                    .api_pos = 4,
                    .prom = "hv_domain_state",
                    .prom_label = "state",
                    .prom_pos = 2,
                    .col = "state",
                    .header = "STATE",
                    .width = 6,
                    .fmt = HV_FMT_TEXT,
                    .tip = "d s b c p r: dying shutdown blocked crashed "
                           "paused running"},
    [HV_D_STALE] = {.name = "stale",
                    .type = HV_FT_FLAG,
                    DOM(stale),
                    .views = EX | API | PROM,
                    .help = "1 when a data source of the domain missed its "
                            "deadline this sample.",
                    .api = "stale",
                    .api_pos = 16,
                    .prom = "hv_domain_stale",
                    .prom_pos = 29 /* last: after the rows at 16..28 */},
    [HV_D_NOTE] = {.name = "note",
                   .type = HV_FT_STR,
                   DOM(note),
                   .flags = HV_FF_OMIT_EMPTY,
                   .views = EX | API,
                   .help = "Why data is missing or stale.",
                   .api = "note",
                   .api_pos = 17},
    [HV_D_CPU_TIME] = {.name = "cpu.time",
                       .unit = "ns",
                       DOM(cpu_ns),
                       NS,
                       .kind = C,
                       .views = EX | API | PROM,
                       .help = "CPU time charged to the domain.",
                       .api = "cpu_s",
                       .api_pos = 8,
                       .prom = "hv_domain_cpu_seconds",
                       .prom_unit = "seconds",
                       .prom_pos = 3,
                       .col = "cpu",
                       .header = "CPU(sec)",
                       .width = 10,
                       .fmt = HV_FMT_SEC,
                       .tip = "CPU time used, seconds"},
    [HV_D_CPU_PCT] = {.name = "cpu.pct",
                      .unit = "%",
                      DRATE(cpu_pct),
                      .views = EX | API,
                      .help = "CPU use; 100 = one pCPU.",
                      .api = "cpu_pct",
                      .api_pos = 9},
    [HV_D_CPU_HOST_PCT] = {.name = "cpu.host.pct",
                           .unit = "%",
                           DRATE(cpu_host_pct),
                           .views = EX,
                           .help = "CPU use; 100 = every online pCPU."},
    [HV_D_GUEST_PCT] = {.name = "cpu.guest.pct",
                        .unit = "%",
                        DRATE(guest_pct),
                        .views = EX,
                        .help = "Time in guest mode (KVM); 100 = one pCPU.",
                        .col = "guest",
                        .header = "GUEST%",
                        .width = 6,
                        .fmt = HV_FMT_PCT,
                        .tip = "time in guest mode (KVM)"},
    [HV_D_STEAL_PCT] = {.name = "cpu.steal.pct",
                        .unit = "%",
                        DRATE(steal_pct),
                        .views = EX | API,
                        .help = "Runnable but waiting for a pCPU; 100 = one "
                                "vCPU always waiting.",
                        .api = "steal_pct",
                        .api_pos = 10,
                        .col = "steal",
                        .header = "STEAL%",
                        .width = 6,
                        .fmt = HV_FMT_PCT,
                        .tip = "runnable but waiting for a pCPU"},
    [HV_D_MEM] = {.name = "balloon.current",
                  .unit = "KiB",
                  DOM(mem_kib),
                  KIB,
                  .views = EX | API | PROM,
                  .help = "Current memory of the domain.",
                  .api = "mem_bytes",
                  .api_pos = 6,
                  .prom = "hv_domain_memory_bytes",
                  .prom_unit = "bytes",
                  .prom_pos = 5,
                  .col = "mem",
                  .header = "MEM(k)",
                  .width = 10,
                  .fmt = HV_FMT_INT,
                  .tip = "current memory, KiB"},
    [HV_D_MAXMEM] = {.name = "balloon.maximum",
                     .unit = "KiB",
                     DOM(maxmem_kib),
                     KIB,
                     .views = EX | API | PROM,
                     .help = "Configured maximum memory.",
                     .api = "maxmem_bytes",
                     .api_pos = 7,
                     .prom = "hv_domain_memory_maximum_bytes",
                     .prom_unit = "bytes",
                     .prom_pos = 6},
    [HV_D_TARGET] = {.name = "balloon.target",
                     .unit = "KiB",
                     DOM(target_kib),
                     KIB,
                     .views = EX | DET | PROM,
                     .help = "Balloon target.",
                     .api = "target_bytes",
                     .api_pos = 18,
                     .prom = "hv_domain_memory_target_bytes",
                     .prom_unit = "bytes",
                     .prom_pos = 7},
    [HV_D_RSS] = {.name = "balloon.rss",
                  .unit = "KiB",
                  DOM(rss_kib),
                  KIB,
                  .views = EX | DET | PROM,
                  .help = "Host memory resident for the domain.",
                  .api = "rss_bytes",
                  .api_pos = 19,
                  .prom = "hv_domain_memory_resident_bytes",
                  .prom_unit = "bytes",
                  .prom_pos = 8,
                  .col = "rss",
                  .header = "RSS(k)",
                  .width = 10,
                  .fmt = HV_FMT_INT,
                  .tip = "host resident memory (KVM)"},
    [HV_D_VCPUS] = {.name = "vcpu.current",
                    .type = HV_FT_U32,
                    DOM(nr_vcpus),
                    ONE,
                    .flags = HV_FF_PROM_NZ,
                    .views = EX | API | PROM,
                    .help = "Configured virtual CPUs.",
                    .api = "vcpus",
                    .api_pos = 5,
                    .prom = "hv_domain_vcpus",
                    .prom_pos = 4,
                    .col = "vcpus",
                    .header = "VCPUS",
                    .width = 5,
                    .fmt = HV_FMT_INT,
                    .tip = "configured vCPUs"},
    [HV_D_VCPU] = {.name = "vcpu",
                   .type = HV_FT_CHILD,
                   .child = HV_REC_VCPU,
                   .flags = HV_FF_BY_ID,
                   .views = EX | DET | PROM,
                   .api = "vcpu",
                   .api_pos = 23,
                   .prom_label = "vcpu",
                   .prom_pos = 9},
    [HV_D_NETS] = {.name = "net.count",
                   .type = HV_FT_U32,
                   DOM(nr_net),
                   ONE,
                   .views = EX,
                   .help = "Network interfaces.",
                   .col = "nets",
                   .header = "NETS",
                   .width = 4,
                   .fmt = HV_FMT_INT,
                   .tip = "network interfaces"},
    [HV_D_NET_RX_RATE] = {.name = "net.rx.bytes.rate",
                          .unit = "B/s",
                          DRATE(net_rx_Bps),
                          .views = EX | API,
                          .help = "Bytes/s received by the guest.",
                          .api = "net_rx_Bps",
                          .api_pos = 11,
                          .col = "rxps",
                          .header = "RX/s",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "bytes/s received by the guest"},
    [HV_D_NET_TX_RATE] = {.name = "net.tx.bytes.rate",
                          .unit = "B/s",
                          DRATE(net_tx_Bps),
                          .views = EX | API,
                          .help = "Bytes/s sent by the guest.",
                          .api = "net_tx_Bps",
                          .api_pos = 12,
                          .col = "txps",
                          .header = "TX/s",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "bytes/s sent by the guest"},
    [HV_D_NET] = {.name = "net",
                  .type = HV_FT_CHILD,
                  .child = HV_REC_NET,
                  .views = EX | DET | PROM,
                  .api = "net",
                  .api_pos = 24,
                  .prom_label = "interface",
                  .prom_pos = 10},
    [HV_D_BLKS] = {.name = "block.count",
                   .type = HV_FT_U32,
                   DOM(nr_blk),
                   ONE,
                   .views = EX,
                   .help = "Block devices.",
                   .col = "vbds",
                   .header = "VBDS",
                   .width = 4,
                   .fmt = HV_FMT_INT,
                   .tip = "block devices"},
    [HV_D_BLK_RD_RATE] = {.name = "block.rd.bytes.rate",
                          .unit = "B/s",
                          DRATE(blk_rd_Bps),
                          .views = EX | API,
                          .help = "Disk bytes read per second.",
                          .api = "blk_rd_Bps",
                          .api_pos = 13,
                          .col = "rdps",
                          .header = "RD/s",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "disk bytes read per second"},
    [HV_D_BLK_WR_RATE] = {.name = "block.wr.bytes.rate",
                          .unit = "B/s",
                          DRATE(blk_wr_Bps),
                          .views = EX | API,
                          .help = "Disk bytes written per second.",
                          .api = "blk_wr_Bps",
                          .api_pos = 14,
                          .col = "wrps",
                          .header = "WR/s",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "disk bytes written per second"},
    [HV_D_BLK_RD_IOPS] = {.name = "block.rd.reqs.rate",
                          .unit = "1/s",
                          DRATE(blk_rd_iops),
                          .views = EX,
                          .help = "Read requests per second.",
                          .col = "riops",
                          .header = "RIOPS",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "read requests per second"},
    [HV_D_BLK_WR_IOPS] = {.name = "block.wr.reqs.rate",
                          .unit = "1/s",
                          DRATE(blk_wr_iops),
                          .views = EX,
                          .help = "Write requests per second.",
                          .col = "wiops",
                          .header = "WIOPS",
                          .width = 6,
                          .fmt = HV_FMT_HUMAN,
                          .tip = "write requests per second"},
    [HV_D_BLK] = {.name = "block",
                  .type = HV_FT_CHILD,
                  .child = HV_REC_BLK,
                  .views = EX | DET | PROM,
                  .api = "blk",
                  .api_pos = 25,
                  .prom_label = "device",
                  .prom_pos = 11},
    [HV_D_IPC] = {.name = "perf.ipc",
                  DRATE(ipc),
                  .views = EX,
                  .help = "Instructions per cycle (perf).",
                  .col = "ipc",
                  .header = "IPC",
                  .width = 5,
                  .fmt = HV_FMT_FIX2,
                  .tip = "instructions per cycle (perf)"},
    [HV_D_LLC] = {.name = "cpu.cache.occupancy.bytes",
                  .unit = "B",
                  DOM(llc_bytes),
                  ONE,
                  .views = EX | DET | PROM,
                  .help = "Last-level cache occupancy (resctrl / PSR).",
                  .api = "llc_bytes",
                  .api_pos = 20,
                  .prom = "hv_domain_llc_occupancy_bytes",
                  .prom_unit = "bytes",
                  .prom_pos = 12,
                  .col = "llc",
                  .header = "LLC",
                  .width = 6,
                  .fmt = HV_FMT_HUMAN,
                  .tip = "last-level cache occupancy (resctrl)"},
    [HV_D_MBM_TOTAL] = {.name = "memory.bandwidth.total.bytes",
                        .unit = "B",
                        DOM(mbm_total_bytes),
                        ONE,
                        .kind = C,
                        .views = EX | PROM,
                        .help = MBM_HELP,
                        .prom = "hv_domain_memory_bandwidth_bytes",
                        .prom_unit = "bytes",
                        .prom_label = "scope=\"total\"",
                        .prom_pos = 13},
    [HV_D_MBM_LOCAL] = {.name = "memory.bandwidth.local.bytes",
                        .unit = "B",
                        DOM(mbm_local_bytes),
                        ONE,
                        .kind = C,
                        .views = EX | PROM,
                        .help = MBM_HELP,
                        .prom = "hv_domain_memory_bandwidth_bytes",
                        .prom_unit = "bytes",
                        .prom_label = "scope=\"local\"",
                        .prom_pos = 14},
    [HV_D_MBM_TOTAL_RATE] = {.name = "memory.bandwidth.total.bytes.rate",
                             .unit = "B/s",
                             DRATE(mbm_total_Bps),
                             .views = EX,
                             .help = "Memory bandwidth (resctrl MBM).",
                             .col = "mbw",
                             .header = "MBW/s",
                             .width = 6,
                             .fmt = HV_FMT_HUMAN,
                             .tip = "memory bandwidth (resctrl MBM)"},
    [HV_D_ENERGY] = {.name = "power.energy.uj",
                     .unit = "uJ",
                     DOM(energy_uj),
                     .mul = 1,
                     .dec = 6,
                     .kind = C,
                     .views = EX | DET | PROM,
                     .help = "Energy attributed to the domain by the "
                             "collector from the host's energy source "
                             "(RAPL, else hwmon; estimated when hwmon "
                             "gives power readings only).",
                     .api = "energy_j",
                     .api_pos = 21,
                     .prom = "hv_domain_energy_joules",
                     .prom_unit = "joules",
                     .prom_pos = 15},
    [HV_D_WATTS] = {.name = "power.watts",
                    .unit = "W",
                    DRATE(watts),
                    .views = EX | API,
                    .help =
                        "Attributed host power (RAPL packages, else hwmon).",
                    .api = "watts",
                    .api_pos = 15,
                    .col = "watts",
                    .header = "WATTS",
                    .width = 6,
                    .fmt = HV_FMT_PCT,
                    .tip = "attributed package power"},
    [HV_D_SSID] = {.name = "ssid",
                   .type = HV_FT_U32,
                   DOM(ssid),
                   ONE,
                   .help = "XSM security id.",
                   .col = "ssid",
                   .header = "SSID",
                   .width = 4,
                   .fmt = HV_FMT_INT,
                   .tip = "XSM security id"},
    [HV_D_START] = {.name = "start",
                    .type = HV_FT_FN,
                    .unit = "ns",
                    .mul = 1,
                    .dec = 9,
                    .flags = HV_FF_DIV | HV_FF_API_NULL0,
                    .get = dom_start,
                    .views = DET,
                    .help = "Boot-relative start time.",
                    .api = "start_s",
                    .api_pos = 22},
    [HV_D_KEY] = {.name = "key",
                  .type = HV_FT_FN,
                  .get = dom_key,
                  .help = "Identity that is never reused."},
    /* KVM and libvirt (issue 13) */
    [HV_D_VMID] = {.name = "vmid",
                   .type = HV_FT_U32,
                   DOM(vmid),
                   ONE,
                   .flags = HV_FF_API_NULL0,
                   .views = EX | API,
                   .help = "Proxmox VE VMID (QEMU -id); 0 none.",
                   .api = "vmid"},
    [HV_D_STATE_WHY] = {.name = "state.reason",
                        .type = HV_FT_STR,
                        DOM(state_why),
                        .flags = HV_FF_OMIT_EMPTY,
                        .views = EX | API,
                        .help = "Why the state is what it is (libvirt's "
                                "reason), or a doubt.",
                        .api = "state_reason"},
    [HV_D_IO_RD] = {.name = "process.io.rd.bytes",
                    .unit = "B",
                    DOM(io_rd_bytes),
                    ONE,
                    .kind = C,
                    .views = EX | API | PROM,
                    .help = "QEMU process read bytes, all files.",
                    .api = "process_rd_bytes",
                    .prom = "hv_domain_process_read_bytes",
                    .prom_unit = "bytes",
                    .prom_pos = 16},
    [HV_D_IO_WR] = {.name = "process.io.wr.bytes",
                    .unit = "B",
                    DOM(io_wr_bytes),
                    ONE,
                    .kind = C,
                    .views = EX | API | PROM,
                    .help = "QEMU process written bytes, all files.",
                    .api = "process_wr_bytes",
                    .prom = "hv_domain_process_write_bytes",
                    .prom_unit = "bytes",
                    .prom_pos = 17},
    [HV_D_MEM_AVAIL] = {.name = "balloon.available",
                        .unit = "KiB",
                        DOM(mem_avail_kib),
                        KIB,
                        .views = EX | API | PROM,
                        .help = "Memory the guest sees (balloon "
                                "statistics).",
                        .api = "guest_mem_available_bytes",
                        .prom = "hv_domain_guest_memory_available_bytes",
                        .prom_unit = "bytes",
                        .prom_pos = 18},
    [HV_D_MEM_UNUSED] = {.name = "balloon.unused",
                         .unit = "KiB",
                         DOM(mem_unused_kib),
                         KIB,
                         .views = EX | API | PROM,
                         .help = "Memory the guest leaves unused (balloon "
                                 "statistics).",
                         .api = "guest_mem_unused_bytes",
                         .prom = "hv_domain_guest_memory_unused_bytes",
                         .prom_unit = "bytes",
                         .prom_pos = 19},
    [HV_D_MEM_USABLE] = {.name = "balloon.usable",
                         .unit = "KiB",
                         DOM(mem_usable_kib),
                         KIB,
                         .views = EX | API | PROM,
                         .help = "Memory the guest could use without "
                                 "swapping (balloon statistics).",
                         .api = "guest_mem_usable_bytes",
                         .prom = "hv_domain_guest_memory_usable_bytes",
                         .prom_unit = "bytes",
                         .prom_pos = 20},
    [HV_D_MEM_CACHE] = {.name = "balloon.disk_caches",
                        .unit = "KiB",
                        DOM(mem_cache_kib),
                        KIB,
                        .views = EX | API | PROM,
                        .help = "Guest page cache that could be "
                                "reclaimed (balloon statistics).",
                        .api = "guest_mem_cache_bytes",
                        .prom = "hv_domain_guest_memory_cache_bytes",
                        .prom_unit = "bytes",
                        .prom_pos = 21},
    KVM_EXIT_ROWS(EXITS, "all", kvm_exits, kvm_exits_ps, 22, "exits", "EXIT/s",
                  "all exits"),
    KVM_EXIT_ROWS(MMIO, "mmio", kvm_mmio_exits, kvm_mmio_ps, 23, "mmio",
                  "MMIO/s",
                  "MMIO exits (x86 mmio_exits; arm64 mmio_exit_user+_kernel)"),
    KVM_EXIT_ROWS(IO, "io", kvm_io_exits, kvm_io_ps, 24, "pio", "PIO/s",
                  "port I/O exits (x86 io_exits)"),
    KVM_EXIT_ROWS(WAIT, "wait", kvm_wait_exits, kvm_wait_ps, 25, "wait",
                  "WAIT/s", "halt/wait exits (x86 halt_exits; arm64 wfi+wfe)"),
    KVM_EXIT_ROWS(HVC, "hvc", kvm_hvc_exits, kvm_hvc_ps, 26, "hvc", "HVC/s",
                  "hypercall exits (arm64 hvc_exit_stat)"),
    KVM_EXIT_ROWS(IRQ, "irq", kvm_irq_exits, kvm_irq_ps, 27, "irqx", "IRQX/s",
                  "external interrupt exits (x86 irq_exits)"),
    KVM_EXIT_ROWS(SIGNAL, "signal", kvm_signal_exits, kvm_signal_ps, 28, "sigx",
                  "SIGX/s", "exits to deliver a signal (signal_exits)"),
};

#define VCPU(m) .off = offsetof(hv_vcpu, m), .mem = #m
#define VRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_vcpu_rate, m)

static const hv_field vcpu_fields[] = {
    {.name = "id",
     .type = HV_FT_U32,
     VCPU(id),
     ONE,
     .views = API,
     .help = "vCPU number.",
     .api = "id"},
    {.name = "pcpu",
     .type = HV_FT_I32,
     VCPU(pcpu),
     ONE,
     .views = API,
     .help = "pCPU it last ran on.",
     .api = "pcpu"},
    {.name = "state",
     .type = HV_FT_U8,
     VCPU(online),
     ONE,
     .views = EX | API | PROM,
     .help = "1 when the virtual CPU is online.",
     .api = "online",
     .prom = "hv_domain_vcpu_online",
     .prom_pos = 4},
    {.name = "time",
     .unit = "ns",
     VCPU(time_ns),
     NS,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Run time of the virtual CPU.",
     .api = "time_s",
     .prom = "hv_domain_vcpu_cpu_seconds",
     .prom_unit = "seconds",
     .prom_pos = 1},
    {.name = "guest",
     .unit = "ns",
     VCPU(guest_ns),
     NS,
     .kind = C,
     .views = PROM,
     .help = "Run time of the virtual CPU in guest mode.",
     .prom = "hv_domain_vcpu_guest_seconds",
     .prom_unit = "seconds",
     .prom_pos = 2},
    {.name = "delay",
     .unit = "ns",
     VCPU(wait_ns),
     NS,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Time the virtual CPU was runnable but waiting (steal).",
     .api = "steal_s",
     .prom = "hv_domain_vcpu_steal_seconds",
     .prom_unit = "seconds",
     .prom_pos = 3},
    {.name = "kvm.exits.all",
     VCPU(kvm_exits),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "KVM exits of the virtual CPU (its binary stats).",
     .api = "kvm_exits",
     .prom = "hv_domain_vcpu_kvm_exits"},
    {.name = "kvm.exits.wait",
     VCPU(kvm_wait_exits),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "KVM halt/wait exits of the virtual CPU (x86 halt_exits; "
             "arm64 wfi+wfe).",
     .api = "kvm_exits_wait",
     .prom = "hv_domain_vcpu_kvm_wait_exits"},
    {.name = "pct",
     .unit = "%",
     VRATE(cpu_pct),
     .views = EX | API,
     .help = "vCPU use; 100 = one pCPU.",
     .api = "cpu_pct"},
    {.name = "steal.pct",
     .unit = "%",
     VRATE(steal_pct),
     .views = EX | API,
     .help = "Runnable but waiting, % of wall time.",
     .api = "steal_pct"},
    {.name = "kvm.exits.all.rate",
     .unit = "1/s",
     VRATE(kvm_exits_ps),
     .views = EX | API,
     .help = "KVM exits per second of the virtual CPU.",
     .api = "kvm_exits_per_s"},
    {.name = "kvm.exits.wait.rate",
     .unit = "1/s",
     VRATE(kvm_wait_ps),
     .views = EX | API,
     .help = "KVM halt/wait exits per second of the virtual CPU.",
     .api = "kvm_exits_wait_per_s"},
};

#define NET(m) .off = offsetof(hv_net, m), .mem = #m
#define NRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_net_rate, m)

static const hv_field net_fields[] = {
    {.name = "name",
     .type = HV_FT_STR,
     NET(name),
     .views = EX | API,
     .help = "Interface name (tap0, vif3.0).",
     .api = "name",
     .api_pos = 1},
    {.name = "type",
     .type = HV_FT_STR,
     NET(type),
     .flags = HV_FF_OMIT_EMPTY,
     .views = EX | API,
     .help = "libvirt interface type (ethernet, user, bridge, ...).",
     .api = "type"},
    {.name = "rx.bytes",
     .unit = "B",
     NET(rx_bytes),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Bytes received by the guest.",
     .api = "rx_bytes",
     .api_pos = 2,
     .prom = "hv_domain_network_receive_bytes",
     .prom_unit = "bytes"},
    {.name = "rx.pkts",
     NET(rx_pkts),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Packets received by the guest.",
     .api = "rx_pkts",
     .api_pos = 4,
     .prom = "hv_domain_network_receive_packets"},
    {.name = "rx.errs",
     NET(rx_errs),
     ONE,
     .kind = C,
     .views = EX | PROM,
     .help = "Receive errors.",
     .prom = "hv_domain_network_receive_errors"},
    {.name = "rx.drop",
     NET(rx_drop),
     ONE,
     .kind = C,
     .views = EX | PROM,
     .help = "Receive drops.",
     .prom = "hv_domain_network_receive_drops"},
    {.name = "tx.bytes",
     .unit = "B",
     NET(tx_bytes),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Bytes sent by the guest.",
     .api = "tx_bytes",
     .api_pos = 3,
     .prom = "hv_domain_network_transmit_bytes",
     .prom_unit = "bytes"},
    {.name = "tx.pkts",
     NET(tx_pkts),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Packets sent by the guest.",
     .api = "tx_pkts",
     .api_pos = 5,
     .prom = "hv_domain_network_transmit_packets"},
    {.name = "tx.errs",
     NET(tx_errs),
     ONE,
     .kind = C,
     .views = EX | PROM,
     .help = "Transmit errors.",
     .prom = "hv_domain_network_transmit_errors"},
    {.name = "tx.drop",
     NET(tx_drop),
     ONE,
     .kind = C,
     .views = EX | PROM,
     .help = "Transmit drops.",
     .prom = "hv_domain_network_transmit_drops"},
    {.name = "rx.bytes.rate",
     .unit = "B/s",
     NRATE(rx_Bps),
     .views = API,
     .help = "Bytes/s received by the guest.",
     .api = "rx_Bps",
     .api_pos = 6},
    {.name = "tx.bytes.rate",
     .unit = "B/s",
     NRATE(tx_Bps),
     .views = API,
     .help = "Bytes/s sent by the guest.",
     .api = "tx_Bps",
     .api_pos = 7},
};

#define BLK(m) .off = offsetof(hv_blk, m), .mem = #m
#define BRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_blk_rate, m)

static const hv_field blk_fields[] = {
    {.name = "name",
     .type = HV_FT_STR,
     BLK(name),
     .views = EX | API,
     .help = "Device name.",
     .api = "name",
     .api_pos = 1},
    {.name = "rd.reqs",
     BLK(rd_reqs),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Read requests.",
     .api = "rd_reqs",
     .api_pos = 4,
     .prom = "hv_domain_block_read_requests",
     .prom_pos = 3},
    {.name = "rd.bytes",
     .unit = "B",
     BLK(rd_bytes),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Bytes read from the virtual disk.",
     .api = "rd_bytes",
     .api_pos = 2,
     .prom = "hv_domain_block_read_bytes",
     .prom_unit = "bytes",
     .prom_pos = 1},
    {.name = "rd.times",
     .unit = "ns",
     BLK(rd_ns),
     NS,
     .kind = C,
     .views = EX | PROM,
     .help = "Time spent on reads.",
     .prom = "hv_domain_block_read_time_seconds",
     .prom_unit = "seconds",
     .prom_pos = 6},
    {.name = "wr.reqs",
     BLK(wr_reqs),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Write requests.",
     .api = "wr_reqs",
     .api_pos = 5,
     .prom = "hv_domain_block_write_requests",
     .prom_pos = 4},
    {.name = "wr.bytes",
     .unit = "B",
     BLK(wr_bytes),
     ONE,
     .kind = C,
     .views = EX | API | PROM,
     .help = "Bytes written to the virtual disk.",
     .api = "wr_bytes",
     .api_pos = 3,
     .prom = "hv_domain_block_write_bytes",
     .prom_unit = "bytes",
     .prom_pos = 2},
    {.name = "wr.times",
     .unit = "ns",
     BLK(wr_ns),
     NS,
     .kind = C,
     .views = EX | PROM,
     .help = "Time spent on writes.",
     .prom = "hv_domain_block_write_time_seconds",
     .prom_unit = "seconds",
     .prom_pos = 7},
    {.name = "fl.reqs",
     BLK(fl_reqs),
     ONE,
     .kind = C,
     .views = EX | PROM,
     .help = "Flush requests.",
     .prom = "hv_domain_block_flush_requests",
     .prom_pos = 5},
    {.name = "fl.times",
     .unit = "ns",
     BLK(fl_ns),
     NS,
     .kind = C,
     .views = EX | PROM,
     .help = "Time spent on flushes.",
     .prom = "hv_domain_block_flush_time_seconds",
     .prom_unit = "seconds",
     .prom_pos = 8},
    {.name = "capacity",
     .unit = "B",
     BLK(capacity_b),
     ONE,
     .views = EX | API | PROM,
     .help = "Size of the virtual disk.",
     .api = "capacity_bytes",
     .prom = "hv_domain_block_capacity_bytes",
     .prom_unit = "bytes"},
    {.name = "allocation",
     .unit = "B",
     BLK(alloc_b),
     ONE,
     .views = EX | API | PROM,
     .help = "Host bytes allocated to the virtual disk.",
     .api = "allocation_bytes",
     .prom = "hv_domain_block_allocation_bytes",
     .prom_unit = "bytes"},
    {.name = "ds.reqs",
     BLK(ds_reqs),
     ONE,
     .kind = C,
     .views = EX,
     .help = "Discard requests."},
    {.name = "errors",
     BLK(oo_reqs),
     ONE,
     .kind = C,
     .views = EX,
     .help = "Out-of-request events (Xen) or failed requests."},
    {.name = "rd.bytes.rate",
     .unit = "B/s",
     BRATE(rd_Bps),
     .views = API,
     .help = "Bytes/s read.",
     .api = "rd_Bps",
     .api_pos = 6},
    {.name = "wr.bytes.rate",
     .unit = "B/s",
     BRATE(wr_Bps),
     .views = API,
     .help = "Bytes/s written.",
     .api = "wr_Bps",
     .api_pos = 7},
    {.name = "rd.reqs.rate",
     .unit = "1/s",
     BRATE(rd_iops),
     .views = API,
     .help = "Read requests/s.",
     .api = "rd_iops",
     .api_pos = 8},
    {.name = "wr.reqs.rate",
     .unit = "1/s",
     BRATE(wr_iops),
     .views = API,
     .help = "Write requests/s.",
     .api = "wr_iops",
     .api_pos = 9},
};

static hv_u64 host_online(const void *rec)
{
	/* A pCPU counts as online unless it is known to be offline. */
	const hv_host *h = rec;
	uint32_t on = 0;
	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		on += h->pcpu[i].online != 0;
	return hv_val(on);
}

/* one family, hv_host_info, of three labels */
#define HOST_INFO_HELP                                           \
	"Host identity: hostname, backend, hypervisor version, " \
	"architecture and CPU model."
#define HOST(m) .off = offsetof(hv_host, m), .mem = #m
#define HRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_host_rate, m)

static const hv_field host_fields[] = {
    {.name = "name",
     .type = HV_FT_STR,
     HOST(hostname),
     .views = EX | API | PROM,
     .prom_pos = 1,
     .kind = HV_FK_INFO,
     .api = "hostname",
     .api_pos = 1,
     .help = HOST_INFO_HELP,
     .prom = "hv_host",
     .prom_label = "hostname"},
    {.name = "backend",
     .type = HV_FT_STR,
     HOST(backend),
     .views = EX | API | PROM,
     .prom_pos = 2,
     .kind = HV_FK_INFO,
     .api = "backend",
     .api_pos = 2,
     .help = HOST_INFO_HELP,
     .prom = "hv_host",
     .prom_label = "backend"},
    {.name = "version",
     .type = HV_FT_STR,
     HOST(hv_version),
     .views = EX | API | PROM,
     .prom_pos = 3,
     .kind = HV_FK_INFO,
     .api = "hv_version",
     .api_pos = 3,
     .help = HOST_INFO_HELP,
     .prom = "hv_host",
     .prom_label = "version"},
    {.name = "arch",
     .type = HV_FT_STR,
     HOST(arch),
     .views = EX | API | PROM,
     .prom_pos = 4,
     .kind = HV_FK_INFO,
     .api = "arch",
     .help = "Host identity: hostname, backend, hypervisor version, "
             "architecture and CPU model.",
     .prom = "hv_host",
     .prom_label = "arch"},
    {.name = "cpu.model",
     .type = HV_FT_STR,
     HOST(cpu_model),
     .views = EX | API | PROM,
     .prom_pos = 5,
     .kind = HV_FK_INFO,
     .api = "cpu_model",
     .help = "Host identity: hostname, backend, hypervisor version, "
             "architecture and CPU model.",
     .prom = "hv_host",
     .prom_label = "cpu_model"},
    {.name = "idle.driver",
     .type = HV_FT_STR,
     HOST(idle_driver),
     .views = API,
     .api = "idle_driver",
     .api_pos = 4,
     .help = "cpuidle driver."},
    {.name = "idle.governor",
     .type = HV_FT_STR,
     HOST(idle_governor),
     .views = API,
     .api = "idle_governor",
     .api_pos = 5,
     .help = "cpuidle governor."},
    {.name = "uptime",
     .unit = "ns",
     HOST(uptime_ns),
     NS,
     .views = EX | API | PROM,
     .prom_pos = 8,
     .help = "Host uptime.",
     .api = "uptime_s",
     .api_pos = 6,
     .prom = "hv_host_uptime_seconds",
     .prom_unit = "seconds"},
    {.name = "pcpu.count",
     .type = HV_FT_U32,
     HOST(nr_pcpu),
     ONE,
     .views = EX | API,
     .help = "Physical CPUs.",
     .api = "nr_pcpu",
     .api_pos = 10},
    {.name = "pcpu.online",
     .type = HV_FT_FN,
     .get = host_online,
     ONE,
     .views = EX | API,
     .help = "Physical CPUs online.",
     .api = "online_pcpus",
     .api_pos = 11},
    {.name = "mem.total",
     .unit = "KiB",
     HOST(mem_total_kib),
     KIB,
     .views = EX | API | PROM,
     .prom_pos = 6,
     .help = "Host memory in total.",
     .api = "mem_total_bytes",
     .api_pos = 7,
     .prom = "hv_host_memory_bytes",
     .prom_unit = "bytes"},
    {.name = "mem.free",
     .unit = "KiB",
     HOST(mem_free_kib),
     KIB,
     .views = EX | API | PROM,
     .prom_pos = 7,
     .help = "Host memory free.",
     .api = "mem_free_bytes",
     .api_pos = 8,
     .prom = "hv_host_memory_free_bytes",
     .prom_unit = "bytes"},
    {.name = "cpu.nominal",
     .unit = "kHz",
     .type = HV_FT_U32,
     HOST(cpu_khz),
     .mul = 1000,
     .flags = HV_FF_API_NULL0,
     .views = API,
     .help = "Nominal CPU frequency.",
     .api = "cpu_hz",
     .api_pos = 9},
    {.name = "cpu.busy.pct",
     .unit = "%",
     HRATE(busy_pct),
     .views = EX | API,
     .help = "Mean busy share of the online pCPUs.",
     .api = "busy_pct",
     .api_pos = 13},
    {.name = "power.host.watts",
     .unit = "W",
     HRATE(host_watts),
     .views = EX | API,
     .help = "Host power from the energy source: RAPL packages, "
             "else the hwmon sensors it counts.",
     .api = "power_watts",
     .api_pos = 14},
    {.name = "errors.corrected",
     HOST(ce_total),
     ONE,
     .kind = C,
     .views = API | PROM,
     .prom_pos = 10,
     .help = "Corrected hardware errors on the host.",
     .api = "ce_total",
     .api_pos = 15,
     .prom = "hv_host_corrected_errors"},
    {.name = "errors.uncorrected",
     HOST(ue_total),
     ONE,
     .kind = C,
     .views = API,
     .help = "Uncorrected memory errors on the host (EDAC).",
     .api = "ue_total",
     .api_pos = 17,
     .prom = "hv_host_uncorrected_errors"},
    {.name = "errors.lost",
     HOST(mce_lost),
     ONE,
     .kind = C,
     .views = API | PROM,
     .help = "Machine-check records the source lost (ring overflow).",
     .api = "mce_lost",
     .api_pos = 18,
     .prom = "hv_mce_records_lost"},
    {.name = "ras.note",
     .type = HV_FT_STR,
     HOST(ras_note),
     .views = API,
     .help = "Why hardware-error counts are missing.",
     .api = "ras_note",
     .api_pos = 19},
    {.name = "hw.note",
     .type = HV_FT_STR,
     HOST(hw_note),
     .views = API,
     .help = "Why hardware counters are missing.",
     .api = "hw_note",
     .api_pos = 16},
    {.name = "freq.note",
     .type = HV_FT_STR,
     HOST(freq_note),
     .views = API,
     .help = "Why there are no P-states at all.",
     .api = "freq_note"},
    {.name = "idle.note",
     .type = HV_FT_STR,
     HOST(idle_note),
     .views = API,
     .help = "Why there are no C-states at all.",
     .api = "idle_note"},
};

/* one family, hv_pcpu_cpufreq_info, of two labels */
#define CPUFREQ_HELP "cpufreq governor and driver of the physical CPU."
#define PCPU(m) .off = offsetof(hv_pcpu, m), .mem = #m
#define PRATE(m) .type = HV_FT_RATE, .off = offsetof(hv_pcpu_rate, m)

static const hv_field pcpu_fields[] = {
    {.name = "id",
     .type = HV_FT_U32,
     PCPU(id),
     ONE,
     .views = API,
     .help = "pCPU number.",
     .api = "id",
     .api_pos = 1},
    {.name = "online",
     .type = HV_FT_I8,
     PCPU(online),
     ONE,
     .views = API | PROM,
     .help = "1 when the physical CPU is online, 0 when offline.",
     .api = "online",
     .api_pos = 2,
     .prom = "hv_pcpu_online",
     .prom_pos = 1},
    {.name = "hotplug",
     .type = HV_FT_U8,
     PCPU(hotplug),
     ONE,
     .views = API,
     .help = "1 when it can be taken offline.",
     .api = "hotplug",
     .api_pos = 3},
    {.name = "pkg",
     .type = HV_FT_I32,
     PCPU(pkg),
     ONE,
     .views = API,
     .help = "Package.",
     .api = "pkg",
     .api_pos = 4},
    {.name = "core",
     .type = HV_FT_I32,
     PCPU(core),
     ONE,
     .views = API,
     .help = "Core.",
     .api = "core",
     .api_pos = 5},
    {.name = "busy",
     .unit = "ns",
     PCPU(busy_ns),
     NS,
     .kind = C,
     .views = PROM,
     .help = "Time the physical CPU was busy.",
     .prom = "hv_pcpu_busy_seconds",
     .prom_unit = "seconds",
     .prom_pos = 2},
    {.name = "idle",
     .unit = "ns",
     PCPU(idle_ns),
     NS,
     .kind = C,
     .views = PROM,
     .help = "Time the physical CPU was idle.",
     .prom = "hv_pcpu_idle_seconds",
     .prom_unit = "seconds",
     .prom_pos = 3},
    {.name = "freq.cur",
     .unit = "kHz",
     PCPU(cur_khz),
     .mul = 1000,
     .views = API | PROM,
     .help = "Current frequency of the physical CPU.",
     .api = "cur_hz",
     .api_pos = 6,
     .prom = "hv_pcpu_frequency_hertz",
     .prom_unit = "hertz",
     .prom_pos = 4},
    {.name = "freq.min",
     .unit = "kHz",
     PCPU(min_khz),
     .mul = 1000,
     .views = API | PROM,
     .help = "Policy minimum frequency.",
     .api = "min_hz",
     .api_pos = 7,
     .prom = "hv_pcpu_frequency_min_hertz",
     .prom_unit = "hertz",
     .prom_pos = 5},
    {.name = "freq.max",
     .unit = "kHz",
     PCPU(max_khz),
     .mul = 1000,
     .views = API | PROM,
     .help = "Policy maximum frequency.",
     .api = "max_hz",
     .api_pos = 8,
     .prom = "hv_pcpu_frequency_max_hertz",
     .prom_unit = "hertz",
     .prom_pos = 6},
    {.name = "freq.hw_min",
     .unit = "kHz",
     PCPU(hw_min_khz),
     .mul = 1000,
     .views = API,
     .help = "Hardware minimum frequency.",
     .api = "hw_min_hz",
     .api_pos = 9},
    {.name = "freq.hw_max",
     .unit = "kHz",
     PCPU(hw_max_khz),
     .mul = 1000,
     .views = API,
     .help = "Hardware maximum frequency.",
     .api = "hw_max_hz",
     .api_pos = 10},
    {.name = "governor",
     .type = HV_FT_STR,
     PCPU(governor),
     .views = API | PROM,
     .kind = HV_FK_INFO,
     .flags = HV_FF_OMIT_EMPTY,
     .help = CPUFREQ_HELP,
     .api = "governor",
     .api_pos = 11,
     .prom = "hv_pcpu_cpufreq",
     .prom_label = "governor",
     .prom_pos = 7},
    {.name = "driver",
     .type = HV_FT_STR,
     PCPU(driver),
     .views = API | PROM,
     .kind = HV_FK_INFO,
     .flags = HV_FF_OMIT_EMPTY,
     .help = CPUFREQ_HELP,
     .api = "driver",
     .api_pos = 12,
     .prom = "hv_pcpu_cpufreq",
     .prom_label = "driver",
     .prom_pos = 8},
    {.name = "epp",
     .type = HV_FT_STR,
     PCPU(epp),
     .views = API,
     .help = "Energy/performance preference.",
     .api = "epp",
     .api_pos = 13},
    {.name = "busy.pct",
     .unit = "%",
     PRATE(busy_pct),
     .views = API,
     .help = "Busy share.",
     .api = "busy_pct",
     .api_pos = 14},
    {.name = "freq.avg",
     .unit = "kHz",
     PRATE(avg_khz),
     .mul = 1000,
     .views = API,
     .help = "Mean frequency from P-state residency.",
     .api = "avg_hz",
     .api_pos = 15},
    {.name = "errors.corrected",
     PCPU(ce_count),
     ONE,
     .kind = C,
     .views = API | PROM,
     .help = "Corrected hardware errors attributed to the physical CPU.",
     .api = "ce_count",
     .api_pos = 17,
     .prom = "hv_pcpu_corrected_errors",
     .prom_pos = 20},
    {.name = "errors.uncorrected",
     PCPU(ue_count),
     ONE,
     .kind = C,
     .views = API | PROM,
     .help = "Uncorrected machine checks the host survived, by the "
             "physical CPU's banks.",
     .api = "ue_count",
     .api_pos = 18,
     .prom = "hv_pcpu_uncorrected_errors",
     .prom_pos = 21},
    {.name = "errors.last_bank",
     .type = HV_FT_I32,
     PCPU(last_bank),
     ONE,
     .views = API,
     .help = "Machine-check bank of the last error (none: null).",
     .api = "last_error_bank",
     .api_pos = 19},
    {.name = "cppc.perf.highest",
     PCPU(cppc_highest_perf),
     ONE,
     .views = API,
     .help = "ACPI CPPC highest performance level (abstract units).",
     .api = "cppc_highest_perf"},
    {.name = "cppc.perf.nominal",
     PCPU(cppc_nominal_perf),
     ONE,
     .views = API,
     .help = "ACPI CPPC nominal (sustained) performance level.",
     .api = "cppc_nominal_perf"},
    {.name = "cppc.perf.lowest",
     PCPU(cppc_lowest_perf),
     ONE,
     .views = API,
     .help = "ACPI CPPC lowest performance level.",
     .api = "cppc_lowest_perf"},
    {.name = "cppc.feedback.reference",
     PCPU(cppc_fb_ref),
     ONE,
     .kind = C,
     .views = DET,
     .help = "ACPI CPPC reference cycles (feedback counter).",
     .api = "cppc_feedback_ref"},
    {.name = "cppc.feedback.delivered",
     PCPU(cppc_fb_del),
     ONE,
     .kind = C,
     .views = DET,
     .help = "ACPI CPPC delivered cycles (feedback counter).",
     .api = "cppc_feedback_del"},
};

#define NROWS(t) (sizeof(t) / sizeof((t)[0]))

const hv_field *hv_fields(hv_rec rec, size_t *n)
{
	static const struct {
		const hv_field *t;
		size_t n;
	} tabs[HV_REC__N] = {
	    [HV_REC_HOST] = {host_fields, NROWS(host_fields)},
	    [HV_REC_PCPU] = {pcpu_fields, NROWS(pcpu_fields)},
	    [HV_REC_DOM] = {hv_dom_fields, HV_D__N},
	    [HV_REC_VCPU] = {vcpu_fields, NROWS(vcpu_fields)},
	    [HV_REC_NET] = {net_fields, NROWS(net_fields)},
	    [HV_REC_BLK] = {blk_fields, NROWS(blk_fields)},
	};
	if ((unsigned)rec >= HV_REC__N) {
		*n = 0;
		return NULL;
	}
	*n = tabs[rec].n;
	return tabs[rec].t;
}

size_t hv_fields_view(hv_rec rec, unsigned views, const hv_field **out,
                      size_t cap)
{
	size_t n, k = 0;
	const hv_field *t = hv_fields(rec, &n);
	for (size_t i = 0; i < n; i++) {
		if (!(t[i].views & views))
			continue;
		if (k < cap)
			out[k] = &t[i];
		k++;
	}
	if (views & HV_FV_EXPORT || k > cap)
		return k;
	/* Insertion sort by position (unplaced rows keep table order after
	 * the placed ones): tables are a few dozen rows. */
	bool prom = (views & HV_FV_PROM) != 0;
	for (size_t i = 1; i < k; i++) {
		const hv_field *x = out[i];
		unsigned px = prom ? x->prom_pos : x->api_pos;
		px = px ? px : 256;
		size_t j = i;
		while (j > 0) {
			unsigned pj =
			    prom ? out[j - 1]->prom_pos : out[j - 1]->api_pos;
			if ((pj ? pj : 256) <= px)
				break;
			out[j] = out[j - 1];
			j--;
		}
		out[j] = x;
	}
	return k;
}

size_t hv_field_nchild(const hv_field *f, const void *rec)
{
	const hv_dom *d = rec;
	switch (f->child) {
	case HV_REC_VCPU:
		return d->nr_vcpu;
	case HV_REC_NET:
		return d->nr_net;
	case HV_REC_BLK:
		return d->nr_blk;
	default:
		return 0;
	}
}

const void *hv_field_children(const hv_field *f, const void *rec, size_t *n,
                              size_t *size)
{
	const hv_dom *d = rec;
	switch (f->child) {
	case HV_REC_VCPU:
		*n = d->nr_vcpu;
		*size = sizeof(hv_vcpu);
		return d->vcpu;
	case HV_REC_NET:
		*n = d->nr_net;
		*size = sizeof(hv_net);
		return d->net;
	case HV_REC_BLK:
		*n = d->nr_blk;
		*size = sizeof(hv_blk);
		return d->blk;
	default:
		*n = *size = 0;
		return NULL;
	}
}

const void *hv_field_child(const hv_field *f, const void *rec, const void *rate,
                           size_t i, const void **crate, uint32_t *number)
{
	const hv_dom *d = rec;
	const hv_dom_rate *r = rate;
	const void *c = NULL;
	*crate = NULL;
	switch (f->child) {
	case HV_REC_VCPU:
		c = &d->vcpu[i];
		*number = d->vcpu[i].id;
		if (r && r->vcpu)
			*crate = &r->vcpu[i];
		break;
	case HV_REC_NET:
		c = &d->net[i];
		*number = d->net[i].id;
		if (r && r->net)
			*crate = &r->net[i];
		break;
	case HV_REC_BLK:
		c = &d->blk[i];
		*number = d->blk[i].id;
		if (r && r->blk)
			*crate = &r->blk[i];
		break;
	default:
		return NULL;
	}
	if (!(f->flags & HV_FF_BY_ID))
		*number = (uint32_t)i;
	return c;
}

const char *hv_field_str(const hv_field *f, const void *rec, char *buf,
                         size_t len)
{
	if (f->type == HV_FT_STR)
		return (const char *)rec + f->off;
	if (f->type == HV_FT_STATE && len >= HV_STATE_LEN)
		return hv_dom_state_str(
		    *(const uint32_t *)((const char *)rec + f->off), buf);
	return NULL;
}

void hv_fmt_human(double v, char *buf, size_t len)
{
	static const char unit[] = " KMGTPE";
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	int u = 0;
	while (fabs(v) >= 1000 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else if (v < 10)
		snprintf(buf, len, "%.1f%c", v, unit[u]);
	else
		snprintf(buf, len, "%.0f%c", v, unit[u]);
}

int hv_field_fmt(const hv_field *f, const void *rec, const void *rate,
                 char *buf, size_t len)
{
	if (f->type == HV_FT_STR) {
		const char *s = (const char *)rec + f->off;
		if (!*s)
			return 0;
		snprintf(buf, len, "%s", s);
		return 1;
	}
	if (f->type == HV_FT_STATE) {
		char st[HV_STATE_LEN];
		const char *s = hv_field_str(f, rec, st, sizeof(st));
		if (!s || !*s)
			return 0;
		snprintf(buf, len, "%s", s);
		return 1;
	}
	double v = hv_field_num(f, rec, rate);
	if (isnan(v))
		return 0;
	switch (f->fmt) {
	case HV_FMT_SEC:
		/* whole seconds of the raw integer, as xentop */
		snprintf(buf, len, "%" PRIu64,
		         hv_field_u64(f, rec).v / 1000000000u);
		return 1;
	case HV_FMT_PCT:
		snprintf(buf, len, "%.1f", v);
		return 1;
	case HV_FMT_FIX2:
		snprintf(buf, len, "%.2f", v);
		return 1;
	case HV_FMT_HUMAN:
		hv_fmt_human(v, buf, len);
		return 1;
	default:
		if (f->type == HV_FT_RATE)
			snprintf(buf, len, "%.3f", v);
		else
			snprintf(buf, len, "%" PRIu64, hv_field_u64(f, rec).v);
		return 1;
	}
}

const char *hv_dom_state_str(uint32_t st, char out[HV_STATE_LEN])
{
	/* xentop's letters; KVM's shut-off guest is "shut down" too. */
	static const struct {
		uint32_t bit;
		char ch;
	} m[] = {{HV_DS_DYING, 'd'},   {HV_DS_SHUTDOWN | HV_DS_SHUTOFF, 's'},
	         {HV_DS_BLOCKED, 'b'}, {HV_DS_CRASHED, 'c'},
	         {HV_DS_PAUSED, 'p'},  {HV_DS_RUNNING, 'r'}};
	for (int i = 0; i < 6; i++)
		out[i] = (st & m[i].bit) ? m[i].ch : '-';
	out[6] = 0;
	return out;
}

const hv_state_name *hv_dom_state_names(size_t *n)
{
	static const hv_state_name names[] = {
	    {HV_DS_RUNNING, "running"}, {HV_DS_BLOCKED, "blocked"},
	    {HV_DS_PAUSED, "paused"},   {HV_DS_SHUTDOWN, "shutdown"},
	    {HV_DS_CRASHED, "crashed"}, {HV_DS_DYING, "dying"},
	    {HV_DS_SHUTOFF, "shutoff"},
	};
	*n = NROWS(names);
	return names;
}
