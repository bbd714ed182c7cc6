/* SPDX-License-Identifier: MIT */
/* The Machine: opens the backend, runs libhv's collector and holds the
 * snapshot being displayed. The screen only ever takes the latest snapshot
 * without blocking; a key press redraws it and never resamples. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/env.h"
#include "hv/snapjson.h"
#include "xt.h"

int xt_machine_open(xt_machine *m, const xt_opts *o, hv_err *err)
{
	hv_env env;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = hv_env_init(&env, err);
	if (rc)
		return rc;
	hv_backend_opts bo = {
	    .name = o->replay ? "replay" : o->backend,
	    .replay_path = o->replay,
	    .synth_domains = o->synth_domains,
	    .synth_vcpus = o->synth_vcpus,
	};
	rc = hv_backend_open(&env, &bo, &m->be, err);
	if (rc)
		goto out;
	/* The screen's sparklines and a recording read up to 64 samples
	 * back; batch, JSON and CSV output only the latest (5,000 domains:
	 * ~8 MB a snapshot, so 64 would hold ~0.5 GB). */
	int deep = o->mode == XT_TUI || o->record;
	hv_collector_opts co = {.period_s =
	                            o->delay_s < 0.05 ? 0.05 : o->delay_s,
	                        .ring = deep ? 64 : 4};
	rc = hv_collector_new(m->be, &co, &m->col, err);
	if (rc)
		goto out;
	if (o->record) {
		m->record = fopen(o->record, "we");
		if (!m->record) {
			rc = hv_err_set(err, errno, "cannot write %s: %s",
			                o->record, strerror(errno));
			goto out;
		}
	}
out:
	if (rc)
		xt_machine_close(m);
	return rc;
}

/* Append every snapshot not yet recorded, oldest first, so a slow screen
 * never drops samples from the recording. */
static void record_new(xt_machine *m)
{
	hv_snap *h[64];
	if (!m->record)
		return;
	size_t n = hv_collector_history(m->col, h, 64);
	for (size_t i = 0; i < n; i++) {
		if (hv_snap_seq(h[i]) > m->recorded_seq) {
			if (hv_snapjson_fwrite(h[i], m->record, &m->last_err)) {
				fclose(m->record);
				m->record = NULL;
			}
			m->recorded_seq = hv_snap_seq(h[i]);
		}
		hv_snap_unref(h[i]);
	}
}

void xt_machine_record(xt_machine *m)
{
	record_new(m);
}

static void set_cur(xt_machine *m, hv_snap *s)
{
	hv_snap_unref(m->cur);
	m->cur = s;
	m->cur_seq = s ? hv_snap_seq(s) : 0;
}

int xt_machine_start(xt_machine *m, hv_err *err)
{
	int rc = hv_collector_start(m->col, err);
	if (rc)
		return rc;
	m->threaded = true;
	set_cur(m, hv_collector_latest(m->col));
	record_new(m);
	return 0;
}

int xt_machine_step(xt_machine *m, hv_err *err)
{
	int rc = hv_collector_step(m->col, err);
	if (rc)
		return rc;
	set_cur(m, hv_collector_latest(m->col));
	record_new(m);
	return 0;
}

bool xt_machine_poll(xt_machine *m)
{
	hv_snap *s = hv_collector_latest(m->col);
	if (!s)
		return false;
	if (hv_snap_seq(s) == m->cur_seq) {
		hv_snap_unref(s);
		return false;
	}
	set_cur(m, s);
	record_new(m);
	return true;
}

void xt_machine_close(xt_machine *m)
{
	set_cur(m, NULL);
	hv_collector_free(m->col);
	m->col = NULL;
	hv_backend_close(m->be);
	m->be = NULL;
	if (m->record)
		fclose(m->record);
	m->record = NULL;
}
