/* SPDX-License-Identifier: MIT */
/* Knobs as a service: their names (parse and build, with one CPU limit for
 * every tool) and change transactions that undo newest first.
 *
 * Knob names (hv/backend.h says what each value means):
 *   cpu/N/online  cpu/N/governor  cpu/N/min_khz  cpu/N/max_khz  cpu/N/epp
 *   cpu/N/cstate/S/disable        xen/max_cstate
 *   qos/cpu_dma_latency           hv-powerd's PM QoS pseudo-knob (no backend
 *                                 has it: hv_plat_qos_hold holds it)
 * resctrl changes are not knobs: they carry their own undo records
 * (hv/resctrl.h, hv_rc_undo). */
#ifndef HV_KNOB_H
#define HV_KNOB_H

#include <stdbool.h>
#include <stddef.h>

#include "hv/backend.h"
#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* N in cpu/N/... is below this: the kernel's NR_CPUS upper bound on x86
 * (CONFIG_NR_CPUS_RANGE_END). A backend still refuses CPUs it lacks. */
#define HV_KNOB_MAXCPU 8192u

typedef enum hv_knob_kind {
	HV_KNOB_ONLINE = 0,
	HV_KNOB_GOVERNOR,
	HV_KNOB_MIN_KHZ,
	HV_KNOB_MAX_KHZ,
	HV_KNOB_EPP,
	HV_KNOB_CSTATE_DISABLE, /* state = S, below HV_CSTATE_MAX */
	HV_KNOB_XEN_MAX_CSTATE,
	HV_KNOB_QOS_LATENCY,
	HV_KNOB_NKINDS
} hv_knob_kind;

typedef struct hv_knob {
	hv_knob_kind kind;
	unsigned cpu;   /* cpu/N/... kinds */
	unsigned state; /* HV_KNOB_CSTATE_DISABLE */
} hv_knob;

/* True for the cpu/N/... kinds. */
bool hv_knob_is_cpu(hv_knob_kind kind);

/* "cpu/3/cstate/2/disable" -> {CSTATE_DISABLE, 3, 2}. N and S are plain
 * decimal (no sign, no leading zero, so one knob has one name). Returns 0,
 * -ENOTSUP for a name of no known form, -ERANGE for N >= HV_KNOB_MAXCPU or
 * S >= HV_CSTATE_MAX; err says which. */
int hv_knob_parse(const char *name, hv_knob *k, hv_err *err);

/* The name of k into buf. Returns its length, -EINVAL for a bad kind or
 * out-of-range number, -ENAMETOOLONG when len is short. */
int hv_knob_fmt(const hv_knob *k, char *buf, size_t len);

/* How a transaction reads and writes knobs: the backend's hv_knob_get/set
 * (hv_knob_io_backend), or anything else with the same contract (PM QoS,
 * a fake in tests). set must leave the knob unchanged when it fails. */
typedef struct hv_knob_io {
	void *ctx;
	int (*get)(void *ctx, const char *knob, char *val, size_t len,
	           hv_err *err);
	int (*set)(void *ctx, const char *knob, const char *val, hv_err *err);
} hv_knob_io;

hv_knob_io hv_knob_io_backend(hv_backend *b);

/* A change transaction: every knob it changed, once each, with the value
 * it had before the transaction first touched it (old, what undo writes)
 * and the value now (new_), in the order first changed. */
typedef struct hv_txn hv_txn;

typedef enum hv_txn_op {
	HV_TXN_SET,    /* about to write chg->new_ */
	HV_TXN_UNDO,   /* about to write chg->old back */
	HV_TXN_UNDONE, /* chg->old was written back (the return is ignored) */
} hv_txn_op;

/* Called before every write with the change about to be made (already
 * in the transaction's list): journal it here. Nonzero cancels the write
 * (a SET of a knob first touched is then forgotten). Called again after
 * an undo is written (HV_TXN_UNDONE), before the change is forgotten. */
typedef int (*hv_txn_hook)(void *ctx, hv_txn_op op, const hv_change *chg,
                           const char *tag, hv_err *err);

int hv_txn_begin(const hv_knob_io *io, hv_txn **out, hv_err *err);
void hv_txn_set_hook(hv_txn *t, hv_txn_hook before, void *ctx);

/* Set knob to val, recording the change under tag (a policy name; may be
 * NULL). Returns 0 when written, 1 when the knob already had val (nothing
 * written, nothing recorded for a knob not held), <0 when nothing changed:
 * unreadable knob, refused by the hook or by the host. */
int hv_txn_set(hv_txn *t, const char *knob, const char *val, const char *tag,
               hv_err *err);

/* Record a change made earlier (a crashed run's knob, from its journal):
 * undo will write old back. Does not touch the knob. */
int hv_txn_adopt(hv_txn *t, const char *knob, const char *old, const char *cur,
                 const char *tag);

/* Forget one knob without writing it (a crashed run's journal says it was
 * put back). 0, or -ENOENT if not held. */
int hv_txn_forget(hv_txn *t, const char *knob);

/* Write one knob's old value back and forget it. -ENOENT if not held;
 * on failure it stays held. */
int hv_txn_release(hv_txn *t, const char *knob, hv_err *err);

/* Undo every change, newest first, trying all of them. Returns the number
 * that failed (they stay held; err lists them, "knob: why; ..."). */
int hv_txn_rollback(hv_txn *t, hv_err *err);

/* Keep the changes made and forget them (the transaction is empty). */
void hv_txn_commit(hv_txn *t);

/* Free; it does not undo (roll back or commit first). NULL allowed. */
void hv_txn_free(hv_txn *t);

/* The held changes, oldest first; tags parallel to them. */
const hv_change *hv_txn_changes(const hv_txn *t, size_t *n);
const char *hv_txn_tag(const hv_txn *t, size_t i);
/* Index of knob, or -1. */
long hv_txn_find(const hv_txn *t, const char *knob);

#ifdef __cplusplus
}
#endif
#endif
