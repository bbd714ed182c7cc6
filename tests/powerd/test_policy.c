/* SPDX-License-Identifier: MIT */
/* Policies driven by traces: a small host model (CPUs with pkg/core, a
 * demand in CPUs, per-CPU error counts, package watts) is stepped one
 * period at a time; decisions are applied to the model as the actuator
 * would. We count moves (no flapping), check reaction times and every
 * safety rule after every round. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pd_config.h"
#include "pd_policy.h"

#define NCPU 8

typedef struct model {
	pd_cpu cpu[NCPU];
	pd_domv dom[4];
	unsigned ndom;
	double demand;
	double watts;
	pd_hold held[256];
	size_t nheld;
	pd_out out;
	pd_mem *mem;
	pd_config cfg;
	double t;
	/* counters */
	unsigned parks, unparks, gov_moves, cap_moves, cst_moves, hw_offs;
	unsigned sets, releases;
	double last_park_t, last_any_move_t;
	bool moved;
} model;

static void model_init(model *m, unsigned smt)
{
	memset(m, 0, sizeof(*m));
	pd_config_defaults(&m->cfg);
	m->mem = pd_mem_new();
	for (unsigned i = 0; i < NCPU; i++) {
		pd_cpu *c = &m->cpu[i];
		c->id = i;
		c->online = 1;
		c->hotplug = i != 0;
		c->pkg = 0;
		c->core = (int)(i / smt);
		c->hw_min_khz = 800000;
		c->hw_max_khz = 4000000;
		c->max_khz = 4000000;
		snprintf(c->governor, sizeof(c->governor), "performance");
		c->nr_cstate = 4;
		unsigned lat[4] = {0, 2, 10, 133};
		for (unsigned k = 0; k < 4; k++)
			c->cstate_lat_us[k] = lat[k];
		c->ce_ok = true;
	}
	m->watts = NAN;
}

static void model_free(model *m)
{
	pd_mem_free(m->mem);
	pd_out_free(&m->out);
}

static unsigned online(const model *m)
{
	unsigned n = 0;
	for (unsigned i = 0; i < NCPU; i++)
		n += m->cpu[i].online == 1;
	return n;
}

static pd_hold *held_find(model *m, const char *knob)
{
	for (size_t i = 0; i < m->nheld; i++)
		if (!strcmp(m->held[i].knob, knob))
			return &m->held[i];
	return NULL;
}

/* What the knob reads on the model now. */
static unsigned knob_cpu(const char *knob)
{
	int c = pd_knob_cpu(knob);
	assert_true(c >= 0 && c < NCPU);
	return (unsigned)c;
}

/* What the knob reads on the model now. */
static void knob_read(model *m, const char *knob, char *v)
{
	unsigned cpu = knob_cpu(knob), s;
	if (pd_knob_cstate(knob, &s) >= 0)
		sprintf(v, "%d", m->cpu[cpu].cstate_disabled[s]);
	else if (strstr(knob, "/online"))
		sprintf(v, "%d", m->cpu[cpu].online);
	else if (strstr(knob, "/governor"))
		sprintf(v, "%s", m->cpu[cpu].governor);
	else if (strstr(knob, "/max_khz"))
		sprintf(v, "%lu", m->cpu[cpu].max_khz);
}

static void knob_write(model *m, const char *knob, const char *v)
{
	unsigned cpu = knob_cpu(knob), s;
	if (pd_knob_cstate(knob, &s) >= 0) {
		m->cpu[cpu].cstate_disabled[s] = !strcmp(v, "1");
		m->cst_moves++;
	} else if (strstr(knob, "/online")) {
		m->cpu[cpu].online = !strcmp(v, "1") ? 1 : 0;
	} else if (strstr(knob, "/governor")) {
		snprintf(m->cpu[cpu].governor, PD_GOV_LEN, "%s", v);
		m->gov_moves++;
	} else if (strstr(knob, "/max_khz")) {
		m->cpu[cpu].max_khz = strtoul(v, NULL, 10);
		m->cap_moves++;
	}
}

/* Safety rules that must hold after every round. */
static void check_safety(model *m)
{
	unsigned on = online(m);
	assert_int_equal(m->cpu[0].online, 1);
	for (unsigned i = 0; i < NCPU; i++) {
		pd_cpu *c = &m->cpu[i];
		if (c->pinned)
			assert_int_equal(c->online, 1);
		/* SMT siblings share their fate when parked. */
		for (unsigned j = 0; j < NCPU; j++)
			if (m->cpu[j].core == c->core &&
			    m->cpu[j].pkg == c->pkg) {
				pd_hold *a, *b;
				char ka[64], kb[64];
				snprintf(ka, sizeof(ka), "cpu/%u/online", i);
				snprintf(kb, sizeof(kb), "cpu/%u/online", j);
				a = held_find(m, ka);
				b = held_find(m, kb);
				if (a && !strcmp(a->policy, "parking"))
					assert_non_null(b);
			}
	}
	if (m->cfg.park.enabled)
		assert_true(on >=
		            (m->cfg.park.min_online < m->cfg.hwerr.keep_online
		                 ? m->cfg.park.min_online
		                 : m->cfg.hwerr.keep_online));
}

/* One period: build the view from the model, decide, apply. */
static void step(model *m)
{
	pd_view v = {0};
	unsigned on = online(m);
	v.t = m->t;
	v.ncpu = NCPU;
	v.cpu = m->cpu;
	v.ndom = m->ndom;
	v.dom = m->dom;
	v.pkg_watts = m->watts;
	double per = on ? m->demand / on * 100 : NAN;
	double served = 0;
	bool round_moved = false;
	for (unsigned i = 0; i < NCPU; i++) {
		m->cpu[i].busy_pct =
		    m->cpu[i].online == 1 ? (per > 100 ? 100 : per) : NAN;
		if (m->cpu[i].online == 1)
			served += m->cpu[i].busy_pct / 100;
	}
	/* Unserved demand shows as steal (runnable, waiting). */
	v.demand_cpus = isnan(m->demand) ? NAN : served + (m->demand - served);
	assert_int_equal(
	    0, pd_decide(&m->cfg, m->mem, &v, m->held, m->nheld, &m->out));
	for (size_t i = 0; i < m->out.n; i++) {
		const pd_decision *d = &m->out.d[i];
		pd_hold *h = held_find(m, d->knob);
		assert_true(d->reason[0] != '\0');
		if (d->release) {
			assert_non_null(h);
			knob_write(m, d->knob, h->orig);
			if (strstr(d->knob, "/online"))
				m->unparks++;
			*h = m->held[--m->nheld];
			m->releases++;
		} else {
			char cur[64] = "";
			knob_read(m, d->knob, cur);
			if (!h) {
				h = &m->held[m->nheld++];
				memset(h, 0, sizeof(*h));
				snprintf(h->knob, sizeof(h->knob), "%s",
				         d->knob);
				snprintf(h->orig, sizeof(h->orig), "%s", cur);
			}
			snprintf(h->cur, sizeof(h->cur), "%s", d->value);
			snprintf(h->policy, sizeof(h->policy), "%s", d->policy);
			knob_write(m, d->knob, d->value);
			if (strstr(d->knob, "/online")) {
				if (!strcmp(d->policy, "parking")) {
					m->parks++;
					/* cool-down between moves */
					if (m->moved && m->cfg.park.enabled)
						assert_true(
						    m->t - m->last_any_move_t >=
						    m->cfg.park.cooldown_s -
						        1e-6);
					m->last_park_t = m->t;
				} else {
					m->hw_offs++;
				}
			}
			m->sets++;
		}
		if (strstr(d->knob, "/online"))
			round_moved = true;
	}
	if (round_moved) {
		m->moved = true;
		m->last_any_move_t = m->t;
	}
	check_safety(m);
	m->t += m->cfg.period_s;
}

/* ---- frequency ---- */

static void test_freq_square_fast_no_flap(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.freq.enabled = true; /* governor mode, hold 10 s */
	/* 80 % / 10 % square wave, 4 s halves: never 10 s low in a row. */
	for (int i = 0; i < 600; i++) {
		m.demand = (i / 4) % 2 ? 0.8 : 6.4;
		step(&m);
	}
	assert_int_equal(m.gov_moves, 0);
	model_free(&m);
}

static void test_freq_square_slow_reacts(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.freq.enabled = true;
	/* 60 s halves: exactly one down and one up per cycle per CPU, the
	 * down after the hold, the up within two periods. */
	unsigned cycles = 5;
	double rise_t = -1;
	for (int i = 0; i < 120 * (int)cycles; i++) {
		bool high = (i / 60) % 2 == 0;
		m.demand = high ? 6.4 : 0.8;
		if (high && i % 60 == 0)
			rise_t = m.t;
		step(&m);
		if (high && rise_t >= 0 &&
		    !strcmp(m.cpu[3].governor, "performance") &&
		    m.t - 1 - rise_t >= 0 && i % 60 < 2 && i > 60) {
			assert_true(m.t - 1 - rise_t <= 2 * m.cfg.period_s);
		}
		if (high && i % 60 == 2 && i > 60)
			assert_string_equal(m.cpu[3].governor, "performance");
		if (!high && i % 60 == 12)
			assert_string_equal(m.cpu[3].governor, "powersave");
		if (!high && i % 60 == 8)
			assert_string_equal(m.cpu[3].governor, "performance");
	}
	/* per CPU: cycles downs and cycles-1 ups (plus the last up pending) */
	assert_true(m.gov_moves <= 2 * cycles * NCPU);
	assert_true(m.gov_moves >= (2 * cycles - 1) * NCPU);
	model_free(&m);
}

static void test_freq_noisy_no_flap(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.freq.enabled = true;
	srand(7);
	/* 50 % ± 28 %: crosses both thresholds often, never for long. */
	for (int i = 0; i < 3600; i++) {
		double u = 50 + ((rand() % 5601) - 2800) / 100.0;
		m.demand = NCPU * u / 100;
		step(&m);
	}
	assert_true(m.gov_moves <= 2 * NCPU);
	model_free(&m);
}

static void test_freq_cap_mode_and_budget_merge(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.freq.enabled = true;
	m.cfg.freq.action = PD_FREQ_CAP;
	m.cfg.freq.low_max = (pd_khz){60, true};
	m.cfg.budget.enabled = true;
	m.cfg.budget.watts = 100;
	m.cfg.budget.step_pct = 10;
	m.cfg.budget.floor = (pd_khz){40, true};
	m.demand = 0.8;
	m.watts = 80;
	for (int i = 0; i < 12; i++)
		step(&m);
	/* frequency went low: 60 % of 4 GHz */
	assert_int_equal(m.cpu[2].max_khz, 2400000);
	/* over budget: budget steps 90, 80, ... 50, 40 (floor) */
	m.watts = 130;
	step(&m);
	assert_int_equal(m.cpu[2].max_khz, 2400000); /* 90 % > 60 %: min wins */
	for (int i = 0; i < 3; i++)
		step(&m);
	assert_int_equal(m.cpu[2].max_khz, 2400000); /* 60 % == 60 % */
	step(&m);
	assert_int_equal(m.cpu[2].max_khz, 2000000); /* 50 % */
	for (int i = 0; i < 5; i++)
		step(&m);
	assert_int_equal(m.cpu[2].max_khz, 1600000); /* floor 40 % */
	/* under budget: one step up per hold, then release to frequency's */
	m.watts = 50;
	for (int i = 0; i < 200; i++)
		step(&m);
	assert_int_equal(m.cpu[2].max_khz, 2400000);
	/* load returns: everything back to the original 4 GHz */
	m.demand = 7;
	step(&m);
	step(&m);
	assert_int_equal(m.cpu[2].max_khz, 4000000);
	assert_int_equal(m.nheld, 0);
	model_free(&m);
}

static void test_budget_reacts_and_releases(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.budget.enabled = true;
	m.cfg.budget.watts = 100;
	m.watts = 90;
	step(&m);
	assert_int_equal(m.nheld, 0);
	m.watts = 120;
	step(&m); /* reaction in the first period */
	assert_int_equal(m.cpu[1].max_khz, 3600000);
	/* power in the hysteresis band (90..100 W): hold the cap */
	m.watts = 95;
	for (int i = 0; i < 100; i++)
		step(&m);
	assert_int_equal(m.cpu[1].max_khz, 3600000);
	m.watts = 60;
	for (int i = 0; i < 12; i++)
		step(&m);
	assert_int_equal(m.cpu[1].max_khz, 4000000);
	assert_int_equal(m.nheld, 0);
	model_free(&m);
}

/* ---- parking ---- */

static void test_park_ramp(void **st)
{
	(void)st;
	model m;
	model_init(&m, 2); /* 4 cores x 2 threads */
	m.cfg.park.enabled = true;
	m.cfg.park.min_online = 2;
	m.cfg.park.hold_s = 5;
	m.cfg.park.cooldown_s = 10;
	/* ramp down 7 -> 0.3 CPUs over 300 s, hold, ramp up over 300 s */
	for (int i = 0; i < 1000; i++) {
		double d;
		if (i < 300)
			d = 7 - 6.7 * i / 300.0;
		else if (i < 500)
			d = 0.3;
		else if (i < 800)
			d = 0.3 + 6.7 * (i - 500) / 300.0;
		else
			d = 7;
		m.demand = d;
		step(&m);
		/* Never short of capacity: demand stays within online CPUs. */
		assert_true(m.demand <= online(&m) + 1e-9);
		if (i == 499)
			assert_int_equal(online(&m), 2);
	}
	assert_int_equal(online(&m), NCPU);
	assert_int_equal(m.parks, 6); /* 3 cores of 2 threads */
	assert_int_equal(m.unparks, 6);
	assert_int_equal(m.nheld, 0);
	model_free(&m);
}

static void test_park_square_no_flap(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 30;
	m.cfg.park.cooldown_s = 20;
	/* 20 s low / 20 s high: low never lasts the hold */
	for (int i = 0; i < 2000; i++) {
		m.demand = (i / 20) % 2 ? 0.5 : 6;
		step(&m);
	}
	assert_int_equal(m.parks, 0);
	/* 200 s low / 200 s high: bounded moves, immediate unpark */
	model_free(&m);
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 30;
	m.cfg.park.cooldown_s = 20;
	for (int i = 0; i < 2000; i++) {
		bool low = (i / 200) % 2;
		m.demand = low ? 0.5 : 6;
		step(&m);
		assert_true(m.demand <= online(&m) || !low);
		if (!low && i % 200 == 1)
			/* reaction within two periods */
			assert_true(online(&m) >= 6 / 0.75);
	}
	/* each low half parks at most NCPU-min_online CPUs once */
	assert_true(m.parks <= 5 * (NCPU - m.cfg.park.min_online));
	assert_true(m.unparks <= m.parks);
	model_free(&m);
}

static void test_park_noisy(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 10;
	m.cfg.park.cooldown_s = 10;
	srand(3);
	/* demand 2 ± 1.5 CPUs: settles, then few moves */
	for (int i = 0; i < 3600; i++) {
		m.demand = 2 + ((rand() % 3001) - 1500) / 1000.0;
		step(&m);
		assert_true(m.demand <= online(&m) + 1e-9);
	}
	/* a move at most every cooldown, and far fewer in practice */
	assert_true(m.parks + m.unparks < 3600 / 10);
	model_free(&m);
}

static void test_park_pinned_and_cpu0(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.min_online = 1;
	m.cfg.park.hold_s = 0;
	m.cfg.park.cooldown_s = 0;
	m.cpu[5].pinned = true;
	snprintf(m.cpu[5].pinned_by, PD_NAME_LEN, "db");
	m.demand = 0.01;
	for (int i = 0; i < 50; i++)
		step(&m);
	/* everything parked except cpu0 and the pinned cpu5 */
	assert_int_equal(online(&m), 2);
	assert_int_equal(m.cpu[0].online, 1);
	assert_int_equal(m.cpu[5].online, 1);
	/* a parked CPU that gets pinned comes back at once */
	m.cpu[3].pinned = true;
	snprintf(m.cpu[3].pinned_by, PD_NAME_LEN, "web");
	step(&m);
	assert_int_equal(m.cpu[3].online, 1);
	bool found = false;
	for (size_t i = 0; i < m.out.n; i++)
		if (strstr(m.out.d[i].reason, "pinned by domain web"))
			found = true;
	assert_true(found);
	model_free(&m);
}

static void test_park_unknown_demand_failsafe(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 2;
	m.cfg.park.cooldown_s = 0;
	m.demand = 0.1;
	for (int i = 0; i < 30; i++)
		step(&m);
	assert_int_equal(online(&m), 2);
	m.demand = NAN;
	step(&m);
	assert_int_equal(online(&m), 2); /* one stale sample: hold */
	for (int i = 0; i < 3; i++)
		step(&m);
	assert_int_equal(online(&m), NCPU);
	model_free(&m);
}

static void test_park_rejected_backoff(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 0;
	m.cfg.park.cooldown_s = 0;
	m.demand = 0.1;
	step(&m); /* parks cpu7 */
	assert_int_equal(m.cpu[7].online, 0);
	/* pretend the kernel refused: the model says online again */
	pd_mem_rejected(m.mem, &m.cfg, "cpu/7/online", m.t);
	m.cpu[7].online = 1;
	m.nheld = 0;
	unsigned parked[8];
	assert_int_equal(pd_mem_parked(m.mem, parked, 8), 0);
	step(&m);
	assert_int_equal(m.cpu[7].online, 1); /* backing off cpu7 */
	assert_int_equal(m.cpu[6].online, 0); /* but others proceed */
	model_free(&m);
}

/* ---- latency guard ---- */

static void test_latency_guard(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.lat.enabled = true;
	m.cfg.lat.ndom = 1;
	snprintf(m.cfg.lat.dom[0], PD_NAME_LEN, "db");
	m.cfg.lat.max_latency_us = 5;
	m.cfg.lat.hold_s = 10;
	m.ndom = 2;
	snprintf(m.dom[0].name, PD_NAME_LEN, "db");
	snprintf(m.dom[1].name, PD_NAME_LEN, "batch");
	m.dom[0].cpu_pct = 1;
	m.dom[1].cpu_pct = 400; /* not latency-critical */
	m.demand = 2;
	step(&m);
	assert_int_equal(m.nheld, 0);
	m.dom[0].cpu_pct = 50;
	step(&m); /* engaged in the first period */
	for (unsigned i = 0; i < NCPU; i++) {
		assert_false(m.cpu[i].cstate_disabled[1]); /* 2 us */
		assert_true(m.cpu[i].cstate_disabled[2]);  /* 10 us */
		assert_true(m.cpu[i].cstate_disabled[3]);  /* 133 us */
	}
	unsigned moves = m.cst_moves;
	/* bursty: busy 1 s every 5 s: stays engaged, no flapping */
	for (int i = 0; i < 300; i++) {
		m.dom[0].cpu_pct = i % 5 == 0 ? 50 : 0.5;
		step(&m);
	}
	assert_int_equal(m.cst_moves, moves);
	m.dom[0].cpu_pct = 0.5;
	for (int i = 0; i < 12; i++)
		step(&m);
	assert_int_equal(m.nheld, 0);
	for (unsigned i = 0; i < NCPU; i++)
		assert_false(m.cpu[i].cstate_disabled[3]);
	/* A state the operator disabled already is left alone. */
	m.cpu[1].cstate_disabled[3] = true;
	m.dom[0].cpu_pct = 50;
	step(&m);
	assert_null(held_find(&m, "cpu/1/cstate/3/disable"));
	model_free(&m);
}

/* ---- hardware errors ---- */

/* A model with [hwerr] at 10 errors per hour, rounds of a minute. */
static void hwerr_model(model *m, unsigned max_offline, unsigned keep_online)
{
	model_init(m, 1);
	m->cfg.period_s = 60;
	m->cfg.hwerr.enabled = true;
	m->cfg.hwerr.threshold = 10;
	m->cfg.hwerr.window_s = 3600; /* leaks 1 per 6 min */
	m->cfg.hwerr.max_offline = max_offline;
	m->cfg.hwerr.keep_online = keep_online;
	m->demand = 1;
}

static void test_hwerr(void **st)
{
	(void)st;
	model m;
	hwerr_model(&m, 2, 6);
	/* cpu2: 1 error per 10 min: 6 per hour, never over 10 */
	for (int i = 0; i < 24 * 60; i++) {
		if (i % 10 == 0)
			m.cpu[2].ce++;
		step(&m);
	}
	assert_int_equal(m.hw_offs, 0);
	/* cpu3: 11 in 5 minutes -> offline, with an ALERT reason */
	for (int i = 0; i < 5; i++) {
		m.cpu[3].ce += 3;
		step(&m);
	}
	assert_int_equal(m.cpu[3].online, 0);
	assert_int_equal(m.hw_offs, 1);
	/* cpu0 and a pinned cpu are never offlined, only reported */
	m.cpu[0].ce += 100;
	m.cpu[4].pinned = true;
	snprintf(m.cpu[4].pinned_by, PD_NAME_LEN, "rt");
	m.cpu[4].ce += 100;
	step(&m);
	assert_int_equal(m.cpu[0].online, 1);
	assert_int_equal(m.cpu[4].online, 1);
	assert_true(m.out.nnote >= 2);
	bool pinned_note = false;
	for (size_t i = 0; i < m.out.nnote; i++)
		if (strstr(m.out.note[i].msg, "pinned"))
			pinned_note = !strcmp(m.out.note[i].level, "alert");
	assert_true(pinned_note);
	step(&m);
	assert_int_equal(m.out.nnote, 0); /* reported once, not every round */
	/* cpu5 offlined (2 of max 2); cpu6 refused by the cap */
	m.cpu[5].ce += 50;
	m.cpu[6].ce += 50;
	step(&m);
	assert_int_equal(m.cpu[5].online, 0);
	assert_int_equal(m.cpu[6].online, 1);
	assert_int_equal(m.hw_offs, 2);
	/* offlined CPUs stay offline even when errors stop */
	for (int i = 0; i < 200; i++)
		step(&m);
	assert_int_equal(m.cpu[3].online, 0);
	model_free(&m);
}

/* Pages: errors within page_window reaching page_threshold claim one
 * soft-offline (mem/ADDR/offline = 1) with the count in the reason; a
 * page under it, or already offline, is left alone. */
static void test_hwerr_pages(void **st)
{
	(void)st;
	model m;
	pd_pagev pg[2] = {{.addr = 0x12345000, .online = true},
	                  {.addr = 0x7000, .online = true}};
	model_init(&m, 1);
	m.cfg.hwerr.enabled = true;
	m.cfg.hwerr.page_threshold = 3;
	m.cfg.hwerr.page_window_s = 60;
	pd_view v = {0};
	v.ncpu = NCPU;
	v.cpu = m.cpu;
	v.demand_cpus = NAN;
	v.pkg_watts = NAN;
	v.npage = 2;
	v.page = pg;
	/* 0x7000: 2 errors every 100 s never reach 3 within 60 s */
	for (int i = 0; i < 10; i++) {
		v.t = i * 50.0;
		if (i % 2 == 0)
			pg[1].errs += 2;
		if (i == 6)
			pg[0].errs = 3; /* first sight with 3: all are new */
		assert_int_equal(0,
		                 pd_decide(&m.cfg, m.mem, &v, NULL, 0, &m.out));
		size_t want = i >= 6 ? 1 : 0;
		assert_int_equal(m.out.n, want);
		if (want) {
			assert_string_equal(m.out.d[0].knob,
			                    "mem/0x12345000/offline");
			assert_string_equal(m.out.d[0].value, "1");
			assert_non_null(
			    strstr(m.out.d[0].reason, "3 errors within 60s"));
			assert_non_null(
			    strstr(m.out.d[0].reason, "cannot be undone"));
		}
	}
	/* an offline page is not claimed again by a new policy memory */
	pd_mem_free(m.mem);
	m.mem = pd_mem_new();
	pg[0].online = false;
	pg[1].errs = 0;
	v.t += 50;
	assert_int_equal(0, pd_decide(&m.cfg, m.mem, &v, NULL, 0, &m.out));
	assert_int_equal(m.out.n, 0);
	/* page_threshold 0: never */
	m.cfg.hwerr.page_threshold = 0;
	pg[1].errs += 100;
	v.t += 50;
	assert_int_equal(0, pd_decide(&m.cfg, m.mem, &v, NULL, 0, &m.out));
	assert_int_equal(m.out.n, 0);
	model_free(&m);
}

static void test_hwerr_keep_online(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.hwerr.enabled = true;
	m.cfg.hwerr.threshold = 1;
	m.cfg.hwerr.max_offline = 8;
	m.cfg.hwerr.keep_online = 3;
	m.demand = 1;
	step(&m);
	for (unsigned i = 0; i < NCPU; i++)
		m.cpu[i].ce += 5;
	for (int i = 0; i < 5; i++)
		step(&m);
	/* never the last ones: 3 stay online, cpu0 among them */
	assert_int_equal(online(&m), 3);
	assert_int_equal(m.cpu[0].online, 1);
	/* a backend without per-CPU counts: one warning, no action */
	for (unsigned i = 0; i < NCPU; i++)
		m.cpu[i].ce_ok = false;
	step(&m);
	assert_int_equal(m.out.nnote, 1);
	assert_non_null(strstr(m.out.note[0].msg, "cannot act"));
	step(&m);
	assert_int_equal(m.out.nnote, 0);
	model_free(&m);
}

static void test_reload_disable_releases(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 0;
	m.cfg.park.cooldown_s = 0;
	m.demand = 0.1;
	for (int i = 0; i < 10; i++)
		step(&m);
	assert_true(online(&m) < NCPU);
	m.cfg.park.enabled = false; /* a reload switched it off */
	step(&m);
	assert_int_equal(online(&m), NCPU);
	assert_int_equal(m.nheld, 0);
	model_free(&m);
}

static void test_latency_qos(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.lat.enabled = true;
	m.cfg.lat.method = PD_LAT_QOS;
	m.cfg.lat.ndom = 1;
	snprintf(m.cfg.lat.dom[0], PD_NAME_LEN, "db");
	m.cfg.lat.max_latency_us = 20;
	m.cfg.lat.hold_s = 5;
	m.ndom = 1;
	snprintf(m.dom[0].name, PD_NAME_LEN, "db");
	m.dom[0].cpu_pct = 50;
	m.demand = 1;
	/* the model reads the pseudo-knob as "none" before we hold it */
	pd_view v = {0};
	v.t = m.t;
	v.ncpu = NCPU;
	v.cpu = m.cpu;
	v.ndom = 1;
	v.dom = m.dom;
	v.demand_cpus = 1;
	v.pkg_watts = NAN;
	assert_int_equal(0, pd_decide(&m.cfg, m.mem, &v, NULL, 0, &m.out));
	assert_int_equal(m.out.n, 1); /* one global request, no per-CPU knobs */
	assert_string_equal(m.out.d[0].knob, PD_QOS_KNOB);
	assert_string_equal(m.out.d[0].value, "20");
	assert_non_null(strstr(m.out.d[0].reason, "PM QoS"));
	/* Xen: the hypervisor's max_cstate, one global knob */
	m.cfg.lat.method = PD_LAT_XEN;
	m.cfg.lat.xen_max_cstate = 1;
	v.t += 1;
	assert_int_equal(0, pd_decide(&m.cfg, m.mem, &v, NULL, 0, &m.out));
	assert_int_equal(m.out.n, 1);
	assert_string_equal(m.out.d[0].knob, "xen/max_cstate");
	assert_string_equal(m.out.d[0].value, "1");
	model_free(&m);
}

static void test_freq_per_package(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	for (unsigned i = 4; i < NCPU; i++)
		m.cpu[i].pkg = 1;
	m.cfg.freq.enabled = true;
	m.cfg.freq.hold_s = 2;
	/* package 0 busy (the model spreads demand evenly, so set busy by
	 * hand after each step through a per-package override) */
	for (int i = 0; i < 10; i++) {
		pd_view v = {0};
		for (unsigned c = 0; c < NCPU; c++)
			m.cpu[c].busy_pct = m.cpu[c].pkg == 0 ? 90 : 5;
		v.t = m.t;
		v.ncpu = NCPU;
		v.cpu = m.cpu;
		v.demand_cpus = 4 * 0.9 + 4 * 0.05;
		v.pkg_watts = NAN;
		assert_int_equal(
		    0, pd_decide(&m.cfg, m.mem, &v, m.held, m.nheld, &m.out));
		for (size_t k = 0; k < m.out.n; k++) {
			unsigned cpu = knob_cpu(m.out.d[k].knob);
			assert_int_equal(m.cpu[cpu].pkg, 1);
			assert_string_equal(m.out.d[k].value, "powersave");
			snprintf(m.cpu[cpu].governor, PD_GOV_LEN, "%s",
			         m.out.d[k].value);
			pd_hold *h = &m.held[m.nheld++];
			snprintf(h->knob, sizeof(h->knob), "%s",
			         m.out.d[k].knob);
			snprintf(h->cur, sizeof(h->cur), "powersave");
			snprintf(h->orig, sizeof(h->orig), "performance");
			snprintf(h->policy, sizeof(h->policy), "frequency");
		}
		m.t += 1;
	}
	assert_int_equal(m.nheld, 4);
	assert_string_equal(m.cpu[0].governor, "performance");
	assert_string_equal(m.cpu[7].governor, "powersave");
	model_free(&m);
}

static void test_park_fewest_online_package_first(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	for (unsigned i = 4; i < NCPU; i++)
		m.cpu[i].pkg = 1;
	m.cpu[1].online = 0; /* offline outside hv-powerd: not ours */
	m.cfg.park.enabled = true;
	m.cfg.park.hold_s = 0;
	m.cfg.park.cooldown_s = 0;
	m.demand = 0.1;
	step(&m);
	/* package 0 has fewer online CPUs: pack the load there */
	assert_int_equal(m.cpu[3].online, 0);
	assert_null(held_find(&m, "cpu/1/online")); /* never ours */
	for (int i = 0; i < 20; i++)
		step(&m);
	m.demand = 7;
	step(&m);
	assert_int_equal(m.cpu[1].online, 0); /* left as we found it */
	assert_int_equal(online(&m), NCPU - 1);
	model_free(&m);
}

/* The last round's decision on knob, or NULL. */
static const pd_decision *decided(const model *m, const char *knob)
{
	for (size_t i = 0; i < m->out.n; i++)
		if (!strcmp(m->out.d[i].knob, knob))
			return &m->out.d[i];
	return NULL;
}

/* The leaky bucket (capacity threshold, leaking threshold per window): a
 * burst over capacity trips and the reason quotes the counts; the same
 * number of errors spread out leaks away (where a sliding window of 10 per
 * hour would have tripped at 12 in 56 min); a missing count or a counter
 * that went down is never an error. */
static void test_hwerr_bucket(void **st)
{
	(void)st;
	model m;
	hwerr_model(&m, 8, 2);
	m.cpu[4].ce = 5000; /* counted before we started: a base only */
	step(&m);
	/* cpu2: 11 at once -> offline */
	m.cpu[2].ce += 11;
	step(&m);
	assert_int_equal(m.cpu[2].online, 0);
	const pd_decision *d = decided(&m, "cpu/2/online");
	assert_non_null(d);
	assert_string_equal(d->policy, "hwerr");
	assert_non_null(strstr(d->reason,
	                       "ALERT cpu 2: corrected errors rose by 11 (0 -> "
	                       "11) > threshold 10: leaky bucket at 11.00, "
	                       "leaking 10 per 3600s; offlined 1 of max 8"));
	/* cpu3: 11 in 50 min, then 1 per 10 min for a day: never */
	for (int i = 0; i < 24 * 60; i++) {
		if (i % (i < 60 ? 5 : 10) == 0)
			m.cpu[3].ce++;
		step(&m);
		assert_int_equal(m.cpu[3].online, 1);
	}
	assert_true(m.cpu[3].ce >= 150); /* 12 + 138 */
	/* cpu4: a missing count (read as 0 by a careless backend) and its
	 * return are not errors; a reset is a new base, not a burst */
	m.cpu[4].ce_ok = false;
	m.cpu[4].ce = 0;
	for (int i = 0; i < 5; i++)
		step(&m);
	m.cpu[4].ce_ok = true;
	m.cpu[4].ce = 5000;
	step(&m);
	m.cpu[4].ce = 2; /* driver reload */
	step(&m);
	m.cpu[4].ce = 12; /* 10 new: at capacity, not over */
	step(&m);
	assert_int_equal(m.cpu[4].online, 1);
	m.cpu[4].ce = 13; /* 10.83 left in the bucket: over */
	step(&m);
	assert_int_equal(m.cpu[4].online, 0);
	d = decided(&m, "cpu/4/online");
	assert_non_null(d);
	assert_non_null(strstr(d->reason, "rose by 11 (2 -> 13) > threshold "
	                                  "10: leaky bucket at 10.83"));
	/* a refusal quotes the same counts */
	m.cpu[0].ce += 20;
	step(&m);
	assert_int_equal(m.cpu[0].online, 1);
	bool noted = false;
	for (size_t i = 0; i < m.out.nnote; i++)
		noted |=
		    strstr(m.out.note[i].msg,
		           "cpu 0: corrected errors rose by 20 (0 -> 20) > "
		           "threshold 10: leaky bucket at 20.00, leaking 10 "
		           "per 3600s but NOT offlined: it is cpu0") != NULL;
	assert_true(noted);
	assert_int_equal(m.hw_offs, 2);
	model_free(&m);
}

static void test_hwerr_reset_and_refusal(void **st)
{
	(void)st;
	model m;
	model_init(&m, 1);
	m.cfg.hwerr.enabled = true;
	m.cfg.hwerr.threshold = 5;
	m.cfg.hwerr.keep_online = 2;
	m.demand = 1;
	m.cpu[2].ce = 1000;
	step(&m);
	m.cpu[2].ce = 3; /* counter reset (driver reload): not a burst */
	step(&m);
	m.cpu[2].ce = 7;
	step(&m);
	assert_int_equal(m.cpu[2].online, 1);
	m.cpu[2].ce = 10; /* 7 above the reset value: over 5 */
	step(&m);
	assert_int_equal(m.cpu[2].online, 0);
	/* the kernel refusing an offline backs off instead of retrying
	 * every round */
	m.cpu[5].ce += 100;
	step(&m);
	assert_int_equal(m.cpu[5].online, 0);
	pd_mem_rejected(m.mem, &m.cfg, "cpu/5/online", m.t);
	m.cpu[5].online = 1;
	for (size_t i = 0; i < m.nheld; i++)
		if (!strcmp(m.held[i].knob, "cpu/5/online"))
			m.held[i] = m.held[--m.nheld];
	unsigned sets = m.sets;
	for (int i = 0; i < 5; i++)
		step(&m);
	assert_int_equal(m.sets, sets);
	model_free(&m);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_freq_square_fast_no_flap),
	    cmocka_unit_test(test_freq_square_slow_reacts),
	    cmocka_unit_test(test_freq_noisy_no_flap),
	    cmocka_unit_test(test_freq_cap_mode_and_budget_merge),
	    cmocka_unit_test(test_budget_reacts_and_releases),
	    cmocka_unit_test(test_park_ramp),
	    cmocka_unit_test(test_park_square_no_flap),
	    cmocka_unit_test(test_park_noisy),
	    cmocka_unit_test(test_park_pinned_and_cpu0),
	    cmocka_unit_test(test_park_unknown_demand_failsafe),
	    cmocka_unit_test(test_park_rejected_backoff),
	    cmocka_unit_test(test_latency_guard),
	    cmocka_unit_test(test_hwerr),
	    cmocka_unit_test(test_hwerr_pages),
	    cmocka_unit_test(test_hwerr_keep_online),
	    cmocka_unit_test(test_reload_disable_releases),
	    cmocka_unit_test(test_freq_per_package),
	    cmocka_unit_test(test_latency_qos),
	    cmocka_unit_test(test_park_fewest_online_package_first),
	    cmocka_unit_test(test_hwerr_reset_and_refusal),
	    cmocka_unit_test(test_hwerr_bucket),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
