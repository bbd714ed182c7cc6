/* SPDX-License-Identifier: MIT */
/* Backend registry, auto-detection, sampling wrapper and knobs. */
#include "hv/backend.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/enrich.h"

struct hv_backend {
	/* Backends keep per-instance caches (fds, QMP connections): their
	 * ops run one at a time, whichever thread calls (the collector's
	 * sampling, a control request, hvctl). */
	pthread_mutex_t lock;
	const struct hv_backend_ops *ops;
	void *priv;
	hv_env env;
	hv_rdtmon *rdt;
	hv_pmu *pmu;
};

/* The compiled-in backends; xen is the stub when built without Xen. */
static const struct hv_backend_ops *const builtin[] = {
    &hv_kvm_ops,
    &hv_xen_ops,
    &hv_replay_ops,
    &hv_synth_ops,
};

#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

static const struct hv_backend_ops *find_ops(const char *name)
{
	for (size_t i = 0; i < NBUILTIN; i++)
		if (builtin[i] && !strcmp(builtin[i]->name, name))
			return builtin[i];
	return NULL;
}

static const struct hv_backend_ops *detect(const hv_env *env)
{
	const struct hv_backend_ops *best = NULL;
	int bestp = 0;

	for (size_t i = 0; i < NBUILTIN; i++) {
		int p = builtin[i]->probe ? builtin[i]->probe(env) : 0;
		if (p > bestp) {
			best = builtin[i];
			bestp = p;
		}
	}
	return best ? best : find_ops("kvm");
}

int hv_backend_open(const hv_env *env, const hv_backend_opts *opts,
                    hv_backend **out, hv_err *err)
{
	static const hv_backend_opts none;
	hv_backend *b = NULL;
	int rc;

	*out = NULL;
	if (!opts)
		opts = &none;
	b = calloc(1, sizeof(*b));
	if (!b)
		return hv_err_set(err, ENOMEM, "backend: out of memory");
	pthread_mutex_init(&b->lock, NULL);
	b->env = *env;
	if (opts->name && *opts->name) {
		b->ops = find_ops(opts->name);
		if (!b->ops) {
			rc = hv_err_set(err, ENOENT, "no backend named \"%s\"",
			                opts->name);
			goto out;
		}
	} else {
		b->ops = detect(env);
		if (!b->ops) {
			rc = hv_err_set(
			    err, ENOENT,
			    "no hypervisor backend found on this host");
			goto out;
		}
	}
	rc = b->ops->open(&b->env, opts, &b->priv, err);
	if (rc) {
		hv_err_prefix(err, "%s backend", b->ops->name);
		goto out;
	}
	/* Enrichers read the live host: not for recorded or synthetic data.
	 * They are optional: a host without resctrl just lacks them. */
	int live =
	    strcmp(b->ops->name, "replay") && strcmp(b->ops->name, "synth");
	if (live)
		(void)hv_rdtmon_open(&b->env, &b->rdt, NULL);
	if (live && opts->pmu_events && *opts->pmu_events) {
		rc = hv_pmu_open(&b->env, opts->pmu_events, &b->pmu, err);
		if (rc)
			goto out;
	}
	*out = b;
	b = NULL;
out:
	hv_backend_close(b);
	return rc;
}

void hv_backend_close(hv_backend *b)
{
	if (!b)
		return;
	hv_rdtmon_close(b->rdt);
	hv_pmu_close(b->pmu);
	if (b->ops && b->ops->close && b->priv)
		b->ops->close(b->priv);
	pthread_mutex_destroy(&b->lock);
	free(b);
}

const char *hv_backend_name(const hv_backend *b)
{
	return b->ops->name;
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

int hv_backend_sample(hv_backend *b, hv_snap **out, hv_err *err)
{
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), w0 = now_ns(CLOCK_REALTIME), t1;
	hv_snap *s = hv_snap_new();
	hv_host *h;
	int rc;

	*out = NULL;
	if (!s)
		return hv_err_set(err, ENOMEM, "sample: out of memory");
	pthread_mutex_lock(&b->lock);
	rc = b->ops->sample(b->priv, s, err);
	if (rc < 0) {
		pthread_mutex_unlock(&b->lock);
		goto out;
	}
	h = hv_snap_host_mut(s);
	if (!h->backend[0])
		snprintf(h->backend, sizeof(h->backend), "%s", b->ops->name);
	if (b->rdt)
		hv_rdtmon_fill(b->rdt, s);
	if (b->pmu)
		hv_pmu_fill(b->pmu, s);
	pthread_mutex_unlock(&b->lock);
	t1 = now_ns(CLOCK_MONOTONIC);
	/* Counters were read across [t0, t1]: the midpoint is the fairest
	 * single instant for them. Replay brings its own recorded time. */
	if (hv_snap_mono_ns(s) == 0)
		hv_snap_set_time(s, t0 + (t1 - t0) / 2,
		                 (int64_t)(w0 + (t1 - t0) / 2), t1 - t0);
	rc = hv_snap_seal(s, err);
	if (rc)
		goto out;
	*out = s;
	s = NULL;
out:
	hv_snap_unref(s);
	return rc < 0 ? rc : 0;
}

static int valid_knob(const char *knob, const char *val, hv_err *err)
{
	if (!knob || !*knob || strlen(knob) >= HV_KNOB_LEN)
		return hv_err_set(err, EINVAL, "bad knob name");
	if (val && strlen(val) >= HV_KNOB_VAL_LEN)
		return hv_err_set(err, EINVAL, "%s: value too long", knob);
	return 0;
}

/* Unlocked: callers hold b->lock. */
static int knob_get(hv_backend *b, const char *knob, char *val, size_t len,
                    hv_err *err)
{
	int rc = valid_knob(knob, NULL, err);

	if (rc)
		return rc;
	if (!b->ops->knob_get)
		return hv_err_set(err, ENOTSUP,
		                  "%s: not supported by the %s backend", knob,
		                  b->ops->name);
	return b->ops->knob_get(b->priv, knob, val, len, err);
}

static int knob_set(hv_backend *b, const char *knob, const char *val,
                    hv_change *chg, hv_err *err)
{
	char old[HV_KNOB_VAL_LEN];
	int rc = valid_knob(knob, val, err);

	if (rc)
		return rc;
	if (!b->ops->knob_set)
		return hv_err_set(err, ENOTSUP,
		                  "%s: not supported by the %s backend", knob,
		                  b->ops->name);
	/* No change without a value to undo it with. */
	rc = knob_get(b, knob, old, sizeof(old), err);
	if (rc)
		return hv_err_prefix(err, "%s: cannot read old value", knob);
	rc = b->ops->knob_set(b->priv, knob, val, err);
	if (rc)
		return rc;
	if (chg) {
		snprintf(chg->knob, sizeof(chg->knob), "%s", knob);
		snprintf(chg->old, sizeof(chg->old), "%s", old);
		snprintf(chg->new_, sizeof(chg->new_), "%s", val);
	}
	return 0;
}

int hv_knob_get(hv_backend *b, const char *knob, char *val, size_t len,
                hv_err *err)
{
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = knob_get(b, knob, val, len, err);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int hv_knob_set(hv_backend *b, const char *knob, const char *val,
                hv_change *chg, hv_err *err)
{
	int rc;

	pthread_mutex_lock(&b->lock);
	rc = knob_set(b, knob, val, chg, err);
	pthread_mutex_unlock(&b->lock);
	return rc;
}

int hv_knob_one_way(const char *knob)
{
	return knob && !strncmp(knob, "mem/", 4);
}

int hv_knob_undo(hv_backend *b, const hv_change *chg, hv_err *err)
{
	char cur[HV_KNOB_VAL_LEN];
	int rc = 0;

	if (!chg)
		return hv_err_set(err, EINVAL, "undo: no change record");
	if (hv_knob_one_way(chg->knob))
		return hv_err_set(err, EPERM,
		                  "%s: cannot be undone (a soft-offlined page "
		                  "stays offline)",
		                  chg->knob);
	pthread_mutex_lock(&b->lock);
	/* Already at the old value (e.g. undo after a crash that happened
	 * before the write): nothing to do. */
	if (knob_get(b, chg->knob, cur, sizeof(cur), NULL) ||
	    strcmp(cur, chg->old))
		rc = knob_set(b, chg->knob, chg->old, NULL, err);
	pthread_mutex_unlock(&b->lock);
	return rc;
}
