/* SPDX-License-Identifier: MIT */
/* Linux resctrl (Intel RDT / AMD PQoS) under <HVKIT_SYSFS>/fs/resctrl:
 * what the host supports, monitoring groups per domain, allocation classes
 * (CTRL_MON groups) with validation before any write, and undo.
 *
 * Group naming (the contract with hv_rdtmon_fill):
 *   a domain's monitoring group is "hvkit-<id>" (id = hv_dom.id: the QEMU
 *   pid on KVM), either under the root  mon_groups/hvkit-<id>  or under the
 *   class it was assigned to  <class>/mon_groups/hvkit-<id>.
 * Every change takes flock(LOCK_EX) on the resctrl root, reads take
 * LOCK_SH: the protocol other resctrl users (pqos, goresctrl) follow. */
#ifndef HV_RESCTRL_H
#define HV_RESCTRL_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_RC_MAX_DOM 64  /* cache/MB domains (AMD: one L3 per CCD) */
#define HV_RC_MAX_LINES 8 /* schemata lines (L3, L3CODE, L3DATA, L2, MB..) */
#define HV_RC_NAME_LEN 48 /* group names */
#define HV_RC_GROUP_PREFIX "hvkit-"

enum hv_rc_vendor {
	HV_RC_VENDOR_UNKNOWN = 0,
	HV_RC_VENDOR_INTEL,
	HV_RC_VENDOR_AMD
};

/* MB schemata units. */
enum hv_rc_mb_unit {
	HV_RC_MB_PERCENT = 0, /* Intel default: % of peak, a delay */
	HV_RC_MB_AMD8,        /* AMD: 1/8 GB/s steps, max usually 2048 */
	HV_RC_MB_MBPS,        /* mounted with mba_MBps: MiB/s */
};

/* mon_features bits */
enum hv_rc_mon_feat {
	HV_RC_MON_OCC = 1u << 0,   /* llc_occupancy */
	HV_RC_MON_TOTAL = 1u << 1, /* mbm_total_bytes */
	HV_RC_MON_LOCAL = 1u << 2, /* mbm_local_bytes */
};

/* A cache allocation resource: info/L3, info/L3CODE, info/L3DATA, info/L2. */
typedef struct hv_rc_cat {
	int present;
	uint32_t num_closids;
	uint64_t cbm_mask;     /* all usable ways */
	uint32_t cbm_len;      /* bits in cbm_mask */
	uint32_t min_cbm_bits; /* 0 on AMD: an empty mask is allowed */
	uint64_t shareable_bits;
	int sparse; /* non-contiguous masks allowed */
} hv_rc_cat;

typedef struct hv_rc_mb {
	int present;
	uint32_t num_closids;
	uint32_t min_bw, bw_gran, delay_linear;
	uint32_t max_bw; /* 100 (%), 2048 (AMD), or the root's value */
	int unit;        /* enum hv_rc_mb_unit */
} hv_rc_mb;

typedef struct hv_rc_info {
	int vendor; /* enum hv_rc_vendor (from cpuinfo) */
	int cdp;    /* L3CODE/L3DATA instead of L3 */
	hv_rc_cat l3, l3code, l3data, l2;
	hv_rc_mb mb;
	uint32_t num_closids; /* minimum over allocation resources, 0 = none */
	int mon;              /* info/L3_MON present */
	uint32_t num_rmids;
	uint32_t mon_features; /* hv_rc_mon_feat bits */
	uint32_t nr_l3;        /* L3 domains (mon_data/mon_L3_XX or schemata) */
	uint32_t l3_id[HV_RC_MAX_DOM];
} hv_rc_info;

/* ---- schemata text (pure) ---- */
typedef struct hv_rc_line {
	char res[16]; /* "L3", "L3CODE", "MB", ... */
	uint32_t n;
	uint32_t id[HV_RC_MAX_DOM];
	uint64_t val[HV_RC_MAX_DOM]; /* mask for caches, number for MB/SMBA */
} hv_rc_line;

typedef struct hv_rc_schemata {
	uint32_t nr;
	hv_rc_line line[HV_RC_MAX_LINES];
} hv_rc_schemata;

/* Parses the kernel's padded output ("L3:0=00f;1=7ff", "    MB:0= 100;1=  16")
 * and user input in the same syntax. */
int hv_rc_schemata_parse(const char *text, hv_rc_schemata *out, hv_err *err);
/* Unpadded, one line per resource, '\n' terminated. */
int hv_rc_schemata_format(const hv_rc_schemata *s, char *buf, size_t len);
/* Line for res or NULL. */
hv_rc_line *hv_rc_schemata_find(hv_rc_schemata *s, const char *res);
/* Overlay `upd` on `base` (values per res and id). */
int hv_rc_schemata_merge(hv_rc_schemata *base, const hv_rc_schemata *upd,
                         hv_err *err);
/* Whether res is a cache (hex mask) resource. */
int hv_rc_res_is_cache(const char *res);

/* Check a requested schemata against what the host supports, BEFORE any
 * write: resource present (and CDP state), domain ids exist, masks within
 * cbm_mask, at least min_cbm_bits, contiguous unless sparse masks are
 * allowed, MB within [min_bw, max_bw] and a multiple of bandwidth_gran.
 * Pure; -EINVAL with a message naming the first problem. */
int hv_rc_validate(const hv_rc_info *info, const hv_rc_schemata *want,
                   hv_err *err);
/* A valid group name (not info, mon_groups, mon_data, no '/', ...). */
int hv_rc_name_ok(const char *name);

/* ---- the filesystem ---- */
typedef struct hv_resctrl hv_resctrl;

/* -ENOENT (with a message) when resctrl is not mounted. */
int hv_rc_open(const hv_env *env, hv_resctrl **out, hv_err *err);
void hv_rc_close(hv_resctrl *rc); /* NULL allowed */
const hv_rc_info *hv_rc_info_get(const hv_resctrl *rc);

/* Group paths are relative to the root: "" (the root / default class),
 * "<class>", "mon_groups/<name>", "<class>/mon_groups/<name>". */
int hv_rc_schemata_read(hv_resctrl *rc, const char *group, hv_rc_schemata *out,
                        hv_err *err);
/* Up to max TIDs; *n gets the count. */
int hv_rc_tasks_read(hv_resctrl *rc, const char *group, int32_t *tids,
                     size_t max, size_t *n, hv_err *err);

/* Classes (CTRL_MON groups), excluding the root; names into out. */
int hv_rc_classes(hv_resctrl *rc, char (*out)[HV_RC_NAME_LEN], size_t max,
                  size_t *n, hv_err *err);
/* Monitoring groups under a class ("" = root); names into out. */
int hv_rc_mon_groups(hv_resctrl *rc, const char *cls,
                     char (*out)[HV_RC_NAME_LEN], size_t max, size_t *n,
                     hv_err *err);

/* ---- monitoring ---- */
/* Raw monitoring values (see hv_rc_event_parse). */
typedef struct hv_rc_mon_raw {
	uint32_t n; /* L3 domains read */
	uint32_t id[HV_RC_MAX_DOM];
	hv_u64 occ[HV_RC_MAX_DOM], total[HV_RC_MAX_DOM], local[HV_RC_MAX_DOM];
} hv_rc_mon_raw;

/* Parse one event file's text (pure): value or the reason. A file of
 * mon_data/mon_L3_XX/{llc_occupancy,mbm_*} holding "Unavailable" →
 * HV_NA_UNAVAILABLE, "Error" → HV_NA_ERROR, "Unassigned" (no hardware
 * counter assigned, mbm_event mode) → HV_NA_UNAVAILABLE; an event the host
 * lacks → HV_NA_UNSUPPORTED. */
hv_u64 hv_rc_event_parse(const char *text);

/* Create the domain's monitoring group "<cls>/mon_groups/hvkit-<id>" and
 * move every thread of process pid into it (all TIDs from procfs; new
 * threads inherit). The process must already be in cls (root: ""). mkdir
 * -EBUSY means RMIDs are still in limbo after an rmdir; -ENOSPC none left.
 * Returns -EEXIST untouched when it exists. */
int hv_rc_mon_start(hv_resctrl *rc, const char *cls, uint32_t id, pid_t pid,
                    hv_err *err);
/* Remove it (its RMID goes to limbo for a while). */
int hv_rc_mon_stop(hv_resctrl *rc, const char *cls, uint32_t id, hv_err *err);

/* ---- allocation with undo ----
 * Every successful write appends its inverse to an undo log; applying the
 * log (newest first) restores schemata, task placement and removes groups
 * that were created. A failing operation undoes its own partial work. */
typedef struct hv_rc_undo hv_rc_undo;
hv_rc_undo *hv_rc_undo_new(void);
void hv_rc_undo_free(hv_rc_undo *u); /* NULL allowed */
size_t hv_rc_undo_len(const hv_rc_undo *u);
/* Text form, one action per line, to keep across processes. */
int hv_rc_undo_save(const hv_rc_undo *u, char **text, hv_err *err);
int hv_rc_undo_load(const char *text, hv_rc_undo **out, hv_err *err);
/* Apply newest first; continues past failures and reports the first. */
int hv_rc_undo_apply(hv_resctrl *rc, hv_rc_undo *u, hv_err *err);

/* name "" is the root (default class). Create class `name` if needed (closid and rmid exhaustion checked first)
 * and write the lines in `want` (validated first; other lines stay). */
int hv_rc_class_set(hv_resctrl *rc, const char *name,
                    const hv_rc_schemata *want, hv_rc_undo *u, hv_err *err);
/* Move every thread of pid into class cls ("" = root). The domain's
 * monitoring group follows it (recreated under the new class). */
int hv_rc_assign_pid(hv_resctrl *rc, const char *cls, uint32_t id, pid_t pid,
                     hv_rc_undo *u, hv_err *err);
/* Move tasks of class to the root and remove it. */
int hv_rc_class_remove(hv_resctrl *rc, const char *name, hv_rc_undo *u,
                       hv_err *err);
/* The root's schemata with every cache line at cbm_mask and MB at max. */
int hv_rc_default_schemata(const hv_rc_info *info, const hv_rc_schemata *cur,
                           hv_rc_schemata *out);

#ifdef __cplusplus
}
#endif
#endif
