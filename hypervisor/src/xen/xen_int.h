/* SPDX-License-Identifier: MIT */
/* Xen backend internals, shared by the backend, its unit tests and its
 * benchmark. The domain side is split in two so that it can be measured and
 * tested without Xen:
 *   - a data source (hv_xen_src): the raw calls (getdomaininfolist, one
 *     getvcpuinfo per vCPU, a xenstore name read, /proc/net/dev, blkback
 *     statistics). The real one lives in xen.c; tests and bench/xen mock it.
 *   - the builder (xen_dom.c): turns raw data into hv_dom records, keeps
 *     identity (domid + handle + generation) and the name cache, and counts
 *     how many calls of each kind a sample cost. */
#ifndef HV_XEN_INT_H
#define HV_XEN_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"

/* XEN_DOMINF_* bits (xen/include/public/domctl.h), repeated here so the pure
 * parts build and test without the Xen headers. */
#define HV_XEN_DOMINF_DYING (1u << 0)
#define HV_XEN_DOMINF_HVM (1u << 1)
#define HV_XEN_DOMINF_SHUTDOWN (1u << 2)
#define HV_XEN_DOMINF_PAUSED (1u << 3)
#define HV_XEN_DOMINF_BLOCKED (1u << 4)
#define HV_XEN_DOMINF_RUNNING (1u << 5)
#define HV_XEN_DOMINF_SHUTDOWNSHIFT 16
#define HV_XEN_DOMINF_SHUTDOWNMASK 255u
#define HV_XEN_SHUTDOWN_CRASH 3u
#define HV_XEN_INVALID_MAX_VCPU_ID (~0u)
#define HV_XEN_MAXMEM_NOLIMIT 0xffffffffull /* max_pages == UINT_MAX */
#define HV_XEN_DOMID_MAX 0x7ff0u            /* DOMID_FIRST_RESERVED */

/* What getdomaininfolist says about one domain (the fields we use). */
typedef struct hv_xen_dominfo {
	uint32_t domid;
	uint32_t flags; /* XEN_DOMINF_* */
	uint64_t tot_pages, max_pages;
	uint64_t cpu_ns;
	uint32_t nr_online_vcpus;
	uint32_t max_vcpu_id;
	uint32_t ssidref;
	uint8_t handle[16];
} hv_xen_dominfo;

typedef struct hv_xen_vcpuinfo {
	uint8_t online;
	int32_t cpu;
	uint64_t ns;
} hv_xen_vcpuinfo;

/* One blkback vbd from /sys/bus/xen-backend/devices/vbd-D-DEV/statistics. */
typedef struct hv_xen_vbd {
	uint32_t domid;
	uint32_t dev;
	uint8_t src; /* enum hv_blk_src */
	uint8_t ok;  /* statistics readable */
	uint8_t have_fl, have_ds;
	uint64_t oo, rd, wr, fl, ds, rsect, wsect;
} hv_xen_vbd;

/* One vifD.N line of /proc/net/dev, already from the domain's side. */
typedef struct hv_xen_vif {
	uint32_t domid, id;
	uint64_t rx_bytes, rx_pkts, rx_errs, rx_drop;
	uint64_t tx_bytes, tx_pkts, tx_errs, tx_drop;
} hv_xen_vif;

/* Calls a sample made, for the benchmark and for tests. */
typedef struct hv_xen_counts {
	uint64_t domlist;    /* getdomaininfolist hypercalls */
	uint64_t vcpuinfo;   /* getvcpuinfo hypercalls */
	uint64_t xs_reads;   /* xenstore reads (names) */
	uint64_t netdev;     /* /proc/net/dev reads */
	uint64_t vbd_scans;  /* readdir of xen-backend devices */
	uint64_t file_reads; /* sysfs statistics reads */
} hv_xen_counts;

/* The data source. Every call returns 0 or -errno. */
typedef struct hv_xen_src {
	void *ctx;
	/* Fill *out (ctx-owned, valid until the next call) with every domain. */
	int (*domlist)(void *ctx, const hv_xen_dominfo **out, size_t *n,
	               hv_xen_counts *cnt, hv_err *err);
	int (*vcpu)(void *ctx, uint32_t domid, uint32_t vcpu,
	            hv_xen_vcpuinfo *out, hv_xen_counts *cnt);
	/* xenstore /local/domain/D/name; -ENOENT when it has none. */
	int (*name)(void *ctx, uint32_t domid, char *buf, size_t len,
	            hv_xen_counts *cnt);
	/* Whole /proc/net/dev text; returns bytes or -errno. */
	ssize_t (*netdev)(void *ctx, char *buf, size_t len, hv_xen_counts *cnt);
	/* Every vbd with its statistics (ctx-owned array). */
	int (*vbds)(void *ctx, const hv_xen_vbd **out, size_t *n,
	            hv_xen_counts *cnt);
	uint32_t sources; /* hv_src bits this source feeds (beyond XENCTRL) */
} hv_xen_src;

/* ---- Pure helpers (xen_pure.c) ---- */

/* XEN_DOMINF_* flags to HV_DS_* bits, as libxenstat/xentop read them:
 * crashed = shutdown with reason SHUTDOWN_crash. */
uint32_t hv_xen_state(uint32_t dominf);

/* Key: low 16 bits the domid (unique within a sample), high 48 bits a hash
 * of the domain handle (UUID) and a generation the builder bumps when a domid
 * comes back as a different domain. Never 0. */
uint64_t hv_xen_key(uint32_t domid, const uint8_t handle[16], uint32_t gen);

/* "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx"; "" for an all-zero handle. */
void hv_xen_uuid(char out[HV_UUID_LEN], const uint8_t handle[16]);

/* Xen's refusal of a pCPU hotplug call turned into an operator message.
 * Returns the message in buf. online: the operation attempted. */
const char *hv_xen_hotplug_reason(int online, unsigned cpu, int err, char *buf,
                                  size_t len);
/* Whether that error is worth retrying (EBUSY, EAGAIN). */
bool hv_xen_hotplug_retry(int err);

/* XEN_SYSCTL_page_offline_op result bits (public/sysctl.h, stable ABI),
 * copied so the pure code needs no Xen headers. */
#define HV_XEN_PG_OFFLINE_OFFLINED (1u << 1)
#define HV_XEN_PG_OFFLINE_PENDING (1u << 2)
#define HV_XEN_PG_OFFLINE_FAILED (1u << 3)
#define HV_XEN_PG_OFFLINE_XENPAGE (1u << 8)
#define HV_XEN_PG_OFFLINE_DOM0PAGE (1u << 9)
#define HV_XEN_PG_OFFLINE_ANONYMOUS (1u << 10)
#define HV_XEN_PG_OFFLINE_NOT_CONV_RAM (1u << 11)
#define HV_XEN_PG_OFFLINE_OWNED (1u << 12)
#define HV_XEN_PG_OFFLINE_BROKEN (1u << 13)
#define HV_XEN_PG_OFFLINE_OWNER_SHIFT 16
/* 1 and the reason in buf when a page offline result is a refusal
 * (FAILED, or neither OFFLINED nor PENDING); 0 when it went offline or
 * will once its owner frees it (buf then says which). */
int hv_xen_page_refusal(uint32_t status, char *buf, size_t len);

/* Hardware errors (xen_ras.c): /dev/mcelog records, page offlining. */
typedef struct hv_xen_ras hv_xen_ras;
struct xc_interface_core;
/* NULL only without memory; a missing /dev/mcelog is said in the note. */
hv_xen_ras *hv_xen_ras_open(const hv_env *env, struct xc_interface_core *xch);
void hv_xen_ras_close(hv_xen_ras *r);
/* After the host sample (pCPUs filled): counts, pages and their state. */
void hv_xen_ras_sample(hv_xen_ras *r, hv_snap *s);
int hv_xen_ras_knob_get(hv_xen_ras *r, const char *knob, char *val, size_t len,
                        hv_err *err);
int hv_xen_ras_knob_set(hv_xen_ras *r, const char *knob, const char *val,
                        hv_err *err);

/* Parse /proc/net/dev text: append vifD.N lines (counters turned to the
 * domain's side: the guest receives what dom0's vif transmits). Lines that
 * are not vifs ("-emu" taps included) are skipped. Returns count or -EINVAL
 * when the header is not /proc/net/dev's. out may be NULL to count. */
ssize_t hv_xen_parse_netdev(const char *text, hv_xen_vif *out, size_t max);

/* "vbd-3-51712" → domid 3, dev 51712, src HV_BLK_BLKBACK; "vbd3-..." →
 * HV_BLK_TAPDISK. -EINVAL for anything else. */
int hv_xen_parse_vbd_dir(const char *name, uint32_t *domid, uint32_t *dev,
                         uint8_t *src);

/* Xen virtual disk number to a Linux-style name: 51712 → "xvda",
 * 51729 → "xvdb1", 768 → "hda", 2048 → "sda"; else the number. */
void hv_xen_vbd_name(char *out, size_t len, uint32_t dev);

/* "cpu/12/online" → kind "online", cpu 12. -ENOTSUP when not a cpu knob. */
int hv_xen_parse_cpu_knob(const char *knob, unsigned *cpu, const char **kind);

/* ---- dom0 files (xen_files.c), under the hv_env roots ---- */
struct hv_env;
/* Whole <procfs>/net/dev into buf; bytes read (== len-1 when it may be
 * truncated) or -errno. */
ssize_t hv_xen_read_netdev(const struct hv_env *env, char *buf, size_t len);
/* Every vbd under <sysfs>/bus/xen-backend/devices with its statistics, in a
 * growing array (*arr, *cap). No directory (no backend driver) is 0 vbds. */
int hv_xen_read_vbds(const struct hv_env *env, hv_xen_vbd **arr, size_t *cap,
                     size_t *n, hv_xen_counts *cnt);

/* ---- Domain builder (xen_dom.c) ---- */
typedef struct hv_xen_doms hv_xen_doms;

hv_xen_doms *hv_xen_doms_new(void);
void hv_xen_doms_free(hv_xen_doms *d); /* NULL ok */
/* Names are re-read for this many cached domains per sample, round robin,
 * so a rename shows up without a xenstore read per domain per sample. */
void hv_xen_doms_set_name_refresh(hv_xen_doms *d, unsigned per_sample);
/* Collect domains into s. Returns number of domains or -errno when the
 * domain list itself failed. */
int hv_xen_doms_sample(hv_xen_doms *d, const hv_xen_src *src, hv_snap *s,
                       hv_xen_counts *cnt, hv_err *err);

#endif
