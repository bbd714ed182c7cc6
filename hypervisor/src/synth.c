/* SPDX-License-Identifier: MIT */
/* The synth backend: N synthetic domains whose counters are exact linear
 * functions of monotonic time, so rates are known in advance. Used by
 * benchmarks (thousands of domains) and by tests of every consumer. Knobs
 * live in memory. */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/backend.h"
#include "hv/knob.h"

#define SYNTH_PCPUS 8
#define SYNTH_KNOBS 128
#define SYNTH_WATTS 120.0
#define SYNTH_RAPL_MAX 262143328850ULL

struct synth_knob {
	char name[HV_KNOB_LEN];
	char val[HV_KNOB_VAL_LEN];
};

struct synth {
	unsigned ndom, nvcpu;
	uint64_t t0;
	struct synth_knob knob[SYNTH_KNOBS];
	unsigned nknob;
};

/* Load of vCPU j of domain i, in percent of one pCPU: spread over 0..99. */
static unsigned synth_load(unsigned i, unsigned j)
{
	return (i * 7 + j * 13) % 100;
}

static uint64_t mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static int synth_probe(const hv_env *env)
{
	(void)env;
	return 0; /* never auto-detected */
}

static int synth_open(const hv_env *env, const hv_backend_opts *opts,
                      void **priv, hv_err *err)
{
	struct synth *s = calloc(1, sizeof(*s));

	(void)env;
	if (!s)
		return hv_err_set(err, ENOMEM, "synth: out of memory");
	s->ndom = opts->synth_domains ? opts->synth_domains : 10;
	s->nvcpu = opts->synth_vcpus ? opts->synth_vcpus : 2;
	if (s->ndom > 100000 || s->nvcpu > 512) {
		free(s);
		return hv_err_set(err, EINVAL,
		                  "synth: too many domains or vCPUs");
	}
	/* Start the clock in the past so the first sample has history. */
	s->t0 = mono() - 1000000000ULL;
	*priv = s;
	return 0;
}

static void synth_close(void *priv)
{
	free(priv);
}

static struct synth_knob *knob_find(struct synth *s, const char *name)
{
	for (unsigned i = 0; i < s->nknob; i++)
		if (!strcmp(s->knob[i].name, name))
			return &s->knob[i];
	return NULL;
}

static int synth_knob_get(void *priv, const char *knob, char *val, size_t len,
                          hv_err *err)
{
	struct synth *s = priv;
	struct synth_knob *k = knob_find(s, knob);
	hv_knob kn;

	if (k) {
		snprintf(val, len, "%s", k->val);
		return 0;
	}
	/* libhv's knob grammar; then only the CPUs synth has. */
	if (hv_knob_parse(knob, &kn, NULL) || !hv_knob_is_cpu(kn.kind) ||
	    kn.cpu >= SYNTH_PCPUS)
		return hv_err_set(err, ENOENT, "%s: no such knob", knob);
	if (kn.kind == HV_KNOB_ONLINE)
		snprintf(val, len, "1");
	else if (kn.kind == HV_KNOB_GOVERNOR)
		snprintf(val, len, "schedutil");
	else if (kn.kind == HV_KNOB_MAX_KHZ)
		snprintf(val, len, "3000000");
	else if (kn.kind == HV_KNOB_MIN_KHZ)
		snprintf(val, len, "800000");
	else
		return hv_err_set(err, ENOTSUP, "%s: not supported by synth",
		                  knob);
	return 0;
}

static int synth_knob_set(void *priv, const char *knob, const char *val,
                          hv_err *err)
{
	struct synth *s = priv;
	struct synth_knob *k = knob_find(s, knob);
	char cur[HV_KNOB_VAL_LEN];
	int rc = synth_knob_get(priv, knob, cur, sizeof(cur), err);

	if (rc)
		return rc;
	if (!strcmp(knob, "cpu/0/online") && strcmp(val, "1"))
		return hv_err_set(err, EINVAL, "cpu0 cannot be offlined");
	if (!k) {
		if (s->nknob == SYNTH_KNOBS)
			return hv_err_set(err, ENOSPC, "synth: too many knobs");
		k = &s->knob[s->nknob++];
		snprintf(k->name, sizeof(k->name), "%s", knob);
	}
	snprintf(k->val, sizeof(k->val), "%s", val);
	return 0;
}

/* Host-wide figures: fixed, except uptime which is time since start. */
static void synth_host(hv_host *h, uint64_t t)
{
	snprintf(h->hostname, sizeof(h->hostname), "synth-host");
	snprintf(h->hv_version, sizeof(h->hv_version), "synthetic");
	h->uptime_ns = hv_val(t);
	h->mem_total_kib = hv_val(64ULL << 20);
	h->mem_free_kib = hv_val(16ULL << 20);
	h->cpu_khz = 3000000;
}

/* vCPUs of domain i; returns their summed run time so the domain and the
 * pCPUs can account it. */
static uint64_t synth_vcpus(hv_vcpu *v, unsigned nvcpu, unsigned i, uint64_t t)
{
	uint64_t sum = 0;

	for (unsigned j = 0; j < nvcpu; j++) {
		uint64_t run = t / 100 * synth_load(i, j);
		v[j].pcpu = (int32_t)((i + j) % SYNTH_PCPUS);
		v[j].tid = (int32_t)(100000 + i * 64 + j);
		v[j].time_ns = hv_val(run);
		v[j].guest_ns = hv_val(run / 10 * 9);
		v[j].wait_ns = hv_val(t / 100);
		sum += run;
	}
	return sum;
}

/* Interface k of domain i: bytes and packets linear in time. */
static void synth_net(hv_net *n, unsigned i, unsigned k, double ts)
{
	uint64_t bps = 1000ULL * (i % 50 + 1) * (k + 1);

	snprintf(n->name, sizeof(n->name), "tap%u.%u", i, k);
	n->rx_bytes = hv_val((uint64_t)(ts * (double)bps));
	n->tx_bytes = hv_val((uint64_t)(ts * (double)bps / 2));
	n->rx_pkts = hv_val((uint64_t)(ts * (double)bps / 1000));
	n->tx_pkts = hv_val((uint64_t)(ts * (double)bps / 2000));
	n->rx_errs = n->tx_errs = hv_val(0);
	n->rx_drop = n->tx_drop = hv_val(0);
}

/* Disk k of domain i: bytes, requests and service time linear in time. */
static void synth_blk(hv_blk *b, unsigned i, unsigned k, double ts)
{
	snprintf(b->name, sizeof(b->name), "vd%c", 'a' + k);
	b->src = HV_BLK_QMP;
	b->rd_bytes = hv_val((uint64_t)(ts * 4096.0 * (i % 64)));
	b->wr_bytes = hv_val((uint64_t)(ts * 2048.0 * (i % 64)));
	b->rd_reqs = hv_val((uint64_t)(ts * (i % 64)));
	b->wr_reqs = hv_val((uint64_t)(ts * (i % 64) / 2));
	b->fl_reqs = hv_val(0);
	b->rd_ns = hv_val((uint64_t)(ts * (i % 64)) * 100000);
	b->wr_ns = hv_val((uint64_t)(ts * (i % 64) / 2) * 200000);
}

/* Adds domain i to the snapshot; *busy grows by the CPU time it used. */
static int synth_dom(const struct synth *s, hv_snap *snap, unsigned i,
                     uint64_t t, double ts, uint64_t *busy, hv_err *err)
{
	hv_dom *d = hv_snap_add_dom(snap);
	hv_vcpu *v;
	hv_net *n;
	hv_blk *b;
	uint64_t sum;

	if (!d)
		return hv_err_set(err, ENOMEM, "synth: out of memory");
	d->key = 0x5e000000ULL + i + 1;
	d->id = i + 1;
	snprintf(d->name, sizeof(d->name), "synth-%05u", i);
	snprintf(d->uuid, sizeof(d->uuid), "00000000-0000-4000-8000-%012x",
	         i + 1);
	d->state = (i % 17 == 16) ? HV_DS_PAUSED : HV_DS_RUNNING;
	d->nr_vcpus = s->nvcpu;
	d->sources = HV_SRC_PROC;
	v = hv_snap_vcpus(snap, d, s->nvcpu);
	n = hv_snap_nets(snap, d, 2);
	b = hv_snap_blks(snap, d, 2);
	if (!v || !n || !b)
		return hv_err_set(err, ENOMEM, "synth: out of memory");
	sum = synth_vcpus(v, s->nvcpu, i, t);
	/* Emulator overhead: 1% of a CPU on top of the vCPUs. */
	d->cpu_ns = hv_val(sum + t / 100);
	*busy += sum + t / 100;
	d->mem_kib = hv_val(1ULL << 20);
	d->maxmem_kib = hv_val(2ULL << 20);
	d->target_kib = hv_val(1ULL << 20);
	d->rss_kib = hv_val(900ULL << 10);
	for (unsigned k = 0; k < 2; k++) {
		synth_net(&n[k], i, k, ts);
		synth_blk(&b[k], i, k, ts);
	}
	return 0;
}

/* pCPU c: busy for its share of the domains' time, idle in C1 otherwise. */
static void synth_pcpu(hv_pcpu *pc, unsigned c, uint64_t busy, uint64_t t)
{
	pc->online = 1;
	pc->hotplug = c != 0;
	pc->pkg = 0;
	pc->die = 0;
	pc->core = (int32_t)(c / 2);
	pc->busy_ns = hv_val(busy);
	pc->idle_ns = hv_val(t - busy);
	pc->cur_khz = hv_val(2400000);
	pc->min_khz = hv_val(800000);
	pc->max_khz = hv_val(3000000);
	pc->hw_min_khz = hv_val(800000);
	pc->hw_max_khz = hv_val(3000000);
	snprintf(pc->governor, sizeof(pc->governor), "schedutil");
	snprintf(pc->driver, sizeof(pc->driver), "synth");
	pc->nr_cstate = 2;
	snprintf(pc->cstate[0].name, sizeof(pc->cstate[0].name), "POLL");
	snprintf(pc->cstate[1].name, sizeof(pc->cstate[1].name), "C1");
	pc->cstate[1].latency_us = 2;
	pc->cstate[0].time_ns = hv_val(0);
	pc->cstate[0].usage = hv_val(0);
	pc->cstate[1].time_ns = hv_val(t - busy);
	pc->cstate[1].usage = hv_val(t / 1000000);
	pc->ce_count = hv_val(0);
}

/* One package drawing SYNTH_WATTS; the counter wraps like the real one. */
static void synth_rapl(hv_rapl *ra, double ts)
{
	snprintf(ra->name, sizeof(ra->name), "package-0");
	snprintf(ra->path, sizeof(ra->path), "intel-rapl:0");
	ra->pkg = 0;
	ra->max_range_uj = SYNTH_RAPL_MAX;
	ra->energy_uj =
	    hv_val((uint64_t)(ts * SYNTH_WATTS * 1e6) % SYNTH_RAPL_MAX);
}

static int synth_sample(void *priv, hv_snap *snap, hv_err *err)
{
	struct synth *s = priv;
	uint64_t now = mono(), t = now - s->t0; /* ns since start */
	double ts = (double)t / 1e9;
	hv_host *h = hv_snap_host_mut(snap);
	hv_pcpu *pc = hv_snap_pcpus(snap, SYNTH_PCPUS);
	hv_rapl *ra = hv_snap_rapls(snap, 1);
	uint64_t all_busy = 0;

	if (!pc || !ra)
		return hv_err_set(err, ENOMEM, "synth: out of memory");
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	/* Counters are exact at `now`: stamp the snapshot with it. */
	hv_snap_set_time(snap, now,
	                 (int64_t)wall.tv_sec * 1000000000LL + wall.tv_nsec, 0);
	synth_host(h, t);
	for (unsigned i = 0; i < s->ndom; i++) {
		int rc = synth_dom(s, snap, i, t, ts, &all_busy, err);

		if (rc)
			return rc;
	}
	for (unsigned c = 0; c < SYNTH_PCPUS; c++) {
		uint64_t busy = all_busy / SYNTH_PCPUS;
		if (busy > t)
			busy = t;
		synth_pcpu(&pc[c], c, busy, t);
	}
	synth_rapl(&ra[0], ts);
	h->ce_total = hv_val(0);
	return 0;
}

const struct hv_backend_ops hv_synth_ops = {
    .name = "synth",
    .desc = "synthetic domains with known rates (benchmarks, tests)",
    .probe = synth_probe,
    .open = synth_open,
    .sample = synth_sample,
    .knob_get = synth_knob_get,
    .knob_set = synth_knob_set,
    .close = synth_close,
};
