/* SPDX-License-Identifier: MIT */
/* Backends: the one ops table through which libhv talks to a hypervisor.
 *
 * Control of the host goes through named knobs so that every change can be
 * journalled as (knob, old, new) and undone by writing old back, on any
 * backend. Knob names:
 *   cpu/N/online              "0" | "1"
 *   cpu/N/governor            a cpufreq governor name
 *   cpu/N/min_khz, max_khz    integer kHz
 *   cpu/N/epp                 an energy_performance_preference string
 *   cpu/N/cstate/S/disable    "0" | "1"   (S = cpuidle state index)
 *   xen/max_cstate            integer (Xen only)
 *   mem/ADDR/offline          "1" soft-offlines the 4 KiB page at physical
 *                             ADDR (0x...); one way: "0" is refused (EPERM),
 *                             so hv_knob_undo of it fails and must not be
 *                             attempted (hv_knob_one_way says so)
 * A backend answers -ENOTSUP for knobs it does not have. */
#ifndef HV_BACKEND_H
#define HV_BACKEND_H

#include <stddef.h>

#include "hv/env.h"
#include "hv/err.h"
#include "hv/sample.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HV_KNOB_LEN 64
#define HV_KNOB_VAL_LEN 64

/* One applied change: enough to undo it and to journal it. */
typedef struct hv_change {
	char knob[HV_KNOB_LEN];
	char old[HV_KNOB_VAL_LEN];
	char new_[HV_KNOB_VAL_LEN];
} hv_change;

typedef struct hv_backend_opts {
	const char *name;     /* "kvm", "xen", "replay", "synth"; NULL = auto */
	const char *qmp_dirs; /* ':'-separated directories with QMP sockets */
	int qmp_timeout_ms;   /* per QMP exchange; 0 = default (200 ms) */
	const char *replay_path; /* replay backend: JSON Lines file */
	unsigned synth_domains;  /* synth backend: domain count */
	unsigned synth_vcpus;    /* synth backend: vCPUs per domain */
	const char
	    *pmu_events; /* comma-separated libpfm4 events, NULL = none */
	/* kvm: libvirt connection URI for libvirt-managed guests; NULL =
	 * $HVKIT_LIBVIRT_URI, else qemu:///system; "none" = never ask */
	const char *libvirt_uri;
	int libvirt_timeout_ms; /* 0 = $HVKIT_LIBVIRT_TIMEOUT_MS or 2000 */
} hv_backend_opts;

struct hv_backend_ops {
	const char *name;
	const char *desc;
	/* >0: this host runs this hypervisor (higher wins in auto-detection),
	 * 0: not here. Must be cheap and side-effect free. */
	int (*probe)(const hv_env *env);
	int (*open)(const hv_env *env, const hv_backend_opts *opts, void **priv,
	            hv_err *err);
	/* Fill host and domains into s (unsealed). A domain that vanishes
	 * mid-sample is left out; a slow source is marked stale in the
	 * domain, not failed. Return <0 only when nothing could be read. */
	int (*sample)(void *priv, hv_snap *s, hv_err *err);
	int (*knob_get)(void *priv, const char *knob, char *val, size_t len,
	                hv_err *err);
	int (*knob_set)(void *priv, const char *knob, const char *val,
	                hv_err *err);
	void (*close)(void *priv);
};

/* An open backend. Safe to share between threads: its operations
 * (sample, knob get/set/undo) run one at a time, so a knob change waits at
 * most for a sample in progress, which the backends bound with deadlines. */
typedef struct hv_backend hv_backend;

/* Open by opts->name or auto-detect (highest probe wins; "kvm" is the
 * fallback on a Linux host with neither). */
int hv_backend_open(const hv_env *env, const hv_backend_opts *opts,
                    hv_backend **out, hv_err *err);
void hv_backend_close(hv_backend *b); /* NULL allowed, idempotent */
const char *hv_backend_name(const hv_backend *b);

/* Take one sample: a new sealed snapshot with timestamps and sampling
 * cost filled in (the midpoint of the sampling window, unless the backend
 * set its own, as replay does), enriched with resctrl and perf data. */
int hv_backend_sample(hv_backend *b, hv_snap **out, hv_err *err);

int hv_knob_get(hv_backend *b, const char *knob, char *val, size_t len,
                hv_err *err);
/* Set a knob; on success *chg (if non-NULL) holds knob, old and new. */
int hv_knob_set(hv_backend *b, const char *knob, const char *val,
                hv_change *chg, hv_err *err);
/* Write chg->old back. */
int hv_knob_undo(hv_backend *b, const hv_change *chg, hv_err *err);
/* 1 for knobs whose change cannot be undone (mem/ADDR/offline): journal
 * them, never undo them (crash recovery skips them). */
int hv_knob_one_way(const char *knob);

/* Built-in ops tables. */
extern const struct hv_backend_ops hv_kvm_ops;
extern const struct hv_backend_ops hv_xen_ops;
extern const struct hv_backend_ops hv_replay_ops;
extern const struct hv_backend_ops hv_synth_ops;

#ifdef __cplusplus
}
#endif
#endif
