/* SPDX-License-Identifier: MIT */
/* The actuator: the only part of hv-powerd that changes the host. It keeps
 * the held knobs (value now, original to restore), journals every change
 * (JSON Lines, fsynced) and rewrites the state file (atomic rename, fsynced)
 * BEFORE it makes the change, so a restart after a crash can put every
 * original value back. Formats: docs/arch/powerd.md. */
#ifndef PD_ACT_H
#define PD_ACT_H

#include <stdbool.h>
#include <stddef.h>

#include "hv/err.h"
#include "pd_policy.h"

/* How knobs are read and written: libhv's hv_knob_get/set/undo in the
 * daemon, an in-memory fake in unit tests. */
typedef struct pd_knob_ops {
	void *ctx;
	int (*get)(void *ctx, const char *knob, char *val, size_t len,
	           hv_err *err);
	int (*set)(void *ctx, const char *knob, const char *val, hv_err *err);
	/* Put orig back (may be the same as set). */
	int (*undo)(void *ctx, const char *knob, const char *cur,
	            const char *orig, hv_err *err);
} pd_knob_ops;

typedef struct pd_act pd_act;

typedef struct pd_act_opts {
	const char *rundir;      /* hv/rundir.h: journal, state, lock */
	bool dry_run;            /* journal decisions, touch nothing */
	const char *config_path; /* recorded in the state file */
	size_t journal_max;      /* rotate beyond this many bytes; 0 = 8 MiB */
} pd_act_opts;

/* Open the run directory (created 0755 if missing), take the lock (a live
 * hv-powerd holding it gives -EBUSY), open the journal. */
int pd_act_open(const pd_act_opts *o, const pd_knob_ops *ops, pd_act **out,
                hv_err *err);
/* Restore everything held, close the files, unlock. NULL allowed. */
void pd_act_close(pd_act *a);

/* After a crash: restore what a previous run's state file (or, if that is
 * missing or unreadable, its journal since the last clean stop) says is
 * held. Returns the number of knobs restored or -errno; *failed counts
 * knobs that could not be restored (they stay in the state file). When
 * neither file can say what is held, returns -EIO (err says why) and the
 * actuator writes nothing more: the caller must stop. */
int pd_act_recover(pd_act *a, unsigned *failed, hv_err *err);

/* Apply decisions in order. A knob the host refuses is reported to the
 * policy memory (pd_mem_rejected). Returns the number applied. */
int pd_act_apply(pd_act *a, const pd_out *o, pd_mem *m, const pd_config *c,
                 double t);
/* Journal notes (loud records: alerts, refusals) and a log line each. */
void pd_act_notes(pd_act *a, const pd_out *o);
/* Journal an energy record from a view (per-domain watts and joules). */
void pd_act_energy(pd_act *a, const pd_view *v);
/* Free-form event record ("start", "reload", "stop", "error"). */
void pd_act_event(pd_act *a, const char *event, const char *msg);

/* Put every held knob back (LIFO). Returns how many failed. */
unsigned pd_act_restore_all(pd_act *a, const char *why);

/* Held knobs, for the policies and tests. */
const pd_hold *pd_act_held(const pd_act *a, size_t *n);

/* Rewrite the state file with the latest status (policy levels, parked
 * CPUs, energy). view may be NULL. */
int pd_act_write_state(pd_act *a, const pd_mem *m, const pd_view *v);

/* Why new changes are stopped (a journal or state write failed: disk
 * full, read-only), or NULL. Held knobs stay restorable; changes resume
 * once a spare file can be written in the run directory again. */
const char *pd_act_blocked(const pd_act *a);

/* Where the files are. */
const char *pd_act_journal_path(const pd_act *a);
const char *pd_act_state_path(const pd_act *a);

#endif
