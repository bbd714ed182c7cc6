/* SPDX-License-Identifier: MIT */
/* The collector: one sampling thread per backend. Consumers only ever take
 * the mutex to copy a pointer and bump a refcount, so a slow backend can
 * delay the next sample but never a reader. */
#include "hv/collector.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/rates.h"

struct hv_collector {
	hv_backend *b;
	double period_s;
	unsigned ring_len;

	pthread_mutex_t lock;
	pthread_cond_t cond; /* new sample or stop; CLOCK_MONOTONIC */
	hv_snap **ring;      /* ring_len slots, oldest at head */
	unsigned head, count;
	hv_snap *latest;
	uint64_t seq;
	int running, stop;
	pthread_t thread;
	hv_collector_stats st;
	/* Sampling itself is serialised: step() and the thread never overlap. */
	pthread_mutex_t sample_lock;
};

static void ts_add(struct timespec *ts, double s)
{
	long long ns = (long long)(s * 1e9);

	ts->tv_sec += ns / 1000000000LL;
	ts->tv_nsec += ns % 1000000000LL;
	if (ts->tv_nsec >= 1000000000L) {
		ts->tv_sec++;
		ts->tv_nsec -= 1000000000L;
	}
}

int hv_collector_new(hv_backend *b, const hv_collector_opts *opts,
                     hv_collector **out, hv_err *err)
{
	hv_collector *c;
	pthread_condattr_t ca;
	int rc = 0;

	*out = NULL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return hv_err_set(err, ENOMEM, "collector: out of memory");
	c->b = b;
	c->period_s = opts && opts->period_s > 0 ? opts->period_s : 1.0;
	if (c->period_s < 0.05)
		c->period_s = 0.05;
	c->ring_len = opts && opts->ring ? opts->ring : 600;
	c->ring = calloc(c->ring_len, sizeof(*c->ring));
	if (!c->ring) {
		free(c);
		return hv_err_set(err, ENOMEM, "collector: out of memory");
	}
	pthread_mutex_init(&c->lock, NULL);
	pthread_mutex_init(&c->sample_lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&c->cond, &ca);
	pthread_condattr_destroy(&ca);
	*out = c;
	return rc;
}

/* Attributed energy accumulates across samples, per domain identity. */
static void carry_energy(hv_snap *cur, const hv_snap *prev, const hv_rates *r)
{
	double dt = hv_rates_dt(r);

	for (size_t i = 0; i < hv_snap_ndom(cur); i++) {
		hv_dom *d = hv_snap_dom_mut(cur, i);
		const hv_dom_rate *dr = hv_rates_dom(r, i);
		const hv_dom *p = prev ? hv_snap_find_key(prev, d->key) : NULL;
		double base =
		    p && hv_ok(p->energy_uj) ? (double)p->energy_uj.v : 0;

		if (!hv_ok(d->energy_uj) && dr && !isnan(dr->watts) &&
		    !isnan(dt))
			d->energy_uj =
			    hv_val((uint64_t)(base + dr->watts * dt * 1e6));
		else if (!hv_ok(d->energy_uj) && p && hv_ok(p->energy_uj))
			d->energy_uj = p->energy_uj;
	}
}

int hv_collector_step(hv_collector *c, hv_err *err)
{
	hv_snap *s = NULL, *prev;
	hv_rates *r;
	hv_err e = {0};
	int rc;

	pthread_mutex_lock(&c->sample_lock);
	rc = hv_backend_sample(c->b, &s, &e);
	pthread_mutex_lock(&c->lock);
	prev = hv_snap_ref(c->latest);
	pthread_mutex_unlock(&c->lock);
	if (rc)
		goto out;
	r = hv_rates_compute(prev, s, &e);
	if (!r) {
		rc = -e.code;
		goto out;
	}
	carry_energy(s, prev, r);
	hv_snap_attach_rates(s, r);

	pthread_mutex_lock(&c->lock);
	hv_snap_set_seq(s, ++c->seq);
	if (c->count == c->ring_len) {
		hv_snap_unref(c->ring[c->head]);
		c->ring[c->head] = NULL;
		c->head = (c->head + 1) % c->ring_len;
		c->count--;
	}
	c->ring[(c->head + c->count) % c->ring_len] = hv_snap_ref(s);
	c->count++;
	hv_snap_unref(c->latest);
	c->latest = s;
	s = NULL;
	c->st.samples++;
	c->st.last_cost_ns = hv_snap_cost_ns(c->latest);
	c->st.last_ok_wall_ns = hv_snap_wall_ns(c->latest);
	hv_err_clear(&c->st.last_err);
	pthread_cond_broadcast(&c->cond);
	pthread_mutex_unlock(&c->lock);
out:
	if (rc) {
		pthread_mutex_lock(&c->lock);
		c->st.failures++;
		c->st.last_err = e;
		pthread_mutex_unlock(&c->lock);
		if (err)
			*err = e;
	}
	hv_snap_unref(prev);
	hv_snap_unref(s);
	pthread_mutex_unlock(&c->sample_lock);
	return rc;
}

static void *run(void *arg)
{
	hv_collector *c = arg;
	struct timespec next;

	clock_gettime(CLOCK_MONOTONIC, &next);
	pthread_mutex_lock(&c->lock);
	while (!c->stop) {
		double period = c->period_s;
		struct timespec now;
		int rc = 0;

		ts_add(&next, period);
		while (!c->stop && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&c->cond, &c->lock, &next);
		if (c->stop)
			break;
		pthread_mutex_unlock(&c->lock);
		(void)hv_collector_step(c, NULL); /* failures land in stats */
		pthread_mutex_lock(&c->lock);
		/* Fell behind (a slow sample): restart the schedule from now
		 * rather than firing a burst of catch-up samples. */
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > next.tv_sec + 1 ||
		    (now.tv_sec == next.tv_sec + 1 &&
		     now.tv_nsec > next.tv_nsec))
			next = now;
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

int hv_collector_start(hv_collector *c, hv_err *err)
{
	int rc;

	if (c->running)
		return 0;
	rc = hv_collector_step(c, err);
	if (rc)
		return rc;
	c->stop = 0;
	rc = pthread_create(&c->thread, NULL, run, c);
	if (rc)
		return hv_err_set(err, rc, "collector: cannot start thread");
	c->running = 1;
	return 0;
}

void hv_collector_set_period(hv_collector *c, double period_s)
{
	pthread_mutex_lock(&c->lock);
	c->period_s = period_s < 0.05 ? 0.05 : period_s;
	pthread_mutex_unlock(&c->lock);
}

double hv_collector_period(const hv_collector *c)
{
	return c->period_s;
}
hv_backend *hv_collector_backend(hv_collector *c)
{
	return c->b;
}

void hv_collector_free(hv_collector *c)
{
	if (!c)
		return;
	if (c->running) {
		pthread_mutex_lock(&c->lock);
		c->stop = 1;
		pthread_cond_broadcast(&c->cond);
		pthread_mutex_unlock(&c->lock);
		pthread_join(c->thread, NULL);
		c->running = 0;
	}
	for (unsigned i = 0; i < c->count; i++)
		hv_snap_unref(c->ring[(c->head + i) % c->ring_len]);
	free(c->ring);
	hv_snap_unref(c->latest);
	pthread_cond_destroy(&c->cond);
	pthread_mutex_destroy(&c->lock);
	pthread_mutex_destroy(&c->sample_lock);
	free(c);
}

hv_snap *hv_collector_latest(hv_collector *c)
{
	hv_snap *s;

	pthread_mutex_lock(&c->lock);
	s = hv_snap_ref(c->latest);
	pthread_mutex_unlock(&c->lock);
	return s;
}

hv_snap *hv_collector_wait(hv_collector *c, uint64_t after_seq, int timeout_ms)
{
	struct timespec dl;
	hv_snap *s = NULL;
	int rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &dl);
	if (timeout_ms >= 0)
		ts_add(&dl, timeout_ms / 1000.0);
	pthread_mutex_lock(&c->lock);
	while (c->seq <= after_seq && !c->stop && rc != ETIMEDOUT) {
		if (timeout_ms < 0)
			rc = pthread_cond_wait(&c->cond, &c->lock);
		else
			rc = pthread_cond_timedwait(&c->cond, &c->lock, &dl);
	}
	if (c->seq > after_seq)
		s = hv_snap_ref(c->latest);
	pthread_mutex_unlock(&c->lock);
	return s;
}

size_t hv_collector_history(hv_collector *c, hv_snap **out, size_t max)
{
	size_t n = 0, skip;

	pthread_mutex_lock(&c->lock);
	skip = c->count > max ? c->count - max : 0;
	for (unsigned i = (unsigned)skip; i < c->count; i++)
		out[n++] = hv_snap_ref(c->ring[(c->head + i) % c->ring_len]);
	pthread_mutex_unlock(&c->lock);
	return n;
}

void hv_collector_stats_get(hv_collector *c, hv_collector_stats *st)
{
	pthread_mutex_lock(&c->lock);
	*st = c->st;
	pthread_mutex_unlock(&c->lock);
}
