/* SPDX-License-Identifier: MIT */
/* The run directory (HVKIT_RUNDIR, default /run/hvkit) and the files the
 * tools keep there: names written once, for the writer and its readers
 * (docs/arch/powerd.md has the formats), the single-instance lock, and
 * "does a running hv-powerd hold this knob?". */
#ifndef HV_RUNDIR_H
#define HV_RUNDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "hv/backend.h"
#include "hv/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_RUNDIR_DEFAULT "/run/hvkit"

/* hv-powerd */
#define HV_RUN_JOURNAL "journal.jsonl"
#define HV_RUN_STATE "state.json"
#define HV_RUN_STATE_DRYRUN "state-dryrun.json"
#define HV_RUN_LOCK "powerd.lock"
#define HV_RUN_RESERVE "powerd.reserve" /* spare room for state.json */
#define HV_RUN_NOISY_STATE "noisy.state"
#define HV_RUN_NOISY_UNDO "noisy.undo"
/* hv-webd's /control journal, hv-rdt's undo log */
#define HV_RUN_WEBD_JOURNAL "webd-journal.jsonl"
#define HV_RUN_RDT_UNDO "rdt-undo"

/* dir/name into buf; -ENAMETOOLONG when it does not fit. */
int hv_run_path(const char *dir, const char *name, char *buf, size_t len);

/* Take the single-instance lock on path (an open-file-description write
 * lock, which hv_run_lock_probe can see without taking it) and write our
 * pid in the file. *fd keeps it until closed. -EBUSY when a live process
 * holds it. */
int hv_run_lock(const char *path, int *fd, hv_err *err);
/* 1 when a live process holds the lock at path (*pid, if not NULL, is the
 * pid written in it, 0 if unknown), 0 when nobody does (or no file), <0 on
 * error. Takes nothing, so it never gets in the way of the owner. */
int hv_run_lock_probe(const char *path, pid_t *pid);

/* What a running hv-powerd holds on one knob. */
typedef struct hv_powerd_hold {
	pid_t pid;
	char policy[32];
	char orig[HV_KNOB_VAL_LEN];
	char cur[HV_KNOB_VAL_LEN];
} hv_powerd_hold;

/* Does an hv-powerd running with run directory dir hold knob? Knob names
 * are compared in their one spelling (hv_knob_parse/fmt). Returns 1 (held,
 * *h filled), 0 (no running hv-powerd, or it does not hold the knob), or
 * <0 when it runs but its state file cannot be read: the caller cannot
 * know, and err says why. */
int hv_powerd_holds(const char *dir, const char *knob, hv_powerd_hold *h,
                    hv_err *err);

#ifdef __cplusplus
}
#endif
#endif
