/* SPDX-License-Identifier: MIT */
/* The noisy-neighbour policy: hold time, hysteresis, no flapping on a
 * square wave near the threshold, missing data, domains missing from a
 * sample and gone for good. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rdt_policy.h"

static rdt_policy *mk(void)
{
	rdt_policy_cfg c = {0};

	c.llc_max_bytes = 10e6;
	c.mbm_max_Bps = 1e9;
	c.hold_s = 5;
	c.calm_s = 10;
	c.calm_ratio = 0.8;
	return rdt_policy_new(&c);
}

static size_t step(rdt_policy *p, int t, double llc, double mbm,
                   rdt_policy_action *a)
{
	rdt_policy_in in = {
	    .key = 7, .id = 4242, .llc_bytes = llc, .mbm_Bps = mbm};
	return rdt_policy_step(p, (double)t, &in, 1, a, 4);
}

static void t_hold_and_release(void **st)
{
	rdt_policy *p = mk();
	rdt_policy_action a[4];
	int t = 0;

	(void)st;
	assert_non_null(p);
	/* over on bandwidth for 4 s: not yet */
	for (; t < 5; t++)
		assert_int_equal(0, step(p, t, 1e6, 2e9, a));
	assert_int_equal(1, step(p, t, 1e6, 2e9, a)); /* 5 s held */
	assert_int_equal(RDT_ACT_RESTRICT, a[0].act);
	assert_int_equal(4242, a[0].id);
	assert_non_null(strstr(a[0].reason, "over for 5 s"));
	assert_true(rdt_policy_is_restricted(p, 7));
	/* between 80% and 100%: neither over nor calm, stays */
	for (t = 6; t < 30; t++)
		assert_int_equal(0, step(p, t, 1e6, 0.9e9, a));
	/* calm for 10 s → release */
	for (t = 30; t < 40; t++)
		assert_int_equal(0, step(p, t, 1e6, 0.5e9, a));
	assert_int_equal(1, step(p, t, 1e6, 0.5e9, a));
	assert_int_equal(RDT_ACT_RELEASE, a[0].act);
	assert_false(rdt_policy_is_restricted(p, 7));
	rdt_policy_free(p);
}

static void t_square_wave(void **st)
{
	rdt_policy *p = mk();
	rdt_policy_action a[4];
	size_t acts = 0;

	(void)st;
	/* 3 s over, 3 s just under, for 2 minutes: never held 5 s */
	for (int t = 0; t < 120; t++)
		acts += step(p, t, (t / 3) % 2 ? 9.9e6 : 10.1e6, NAN, a);
	assert_int_equal(0, acts);
	/* over, restricted, then the same wave: never calm 10 s, no release */
	for (int t = 120; t <= 125; t++)
		acts += step(p, t, 20e6, NAN, a);
	assert_int_equal(1, acts);
	for (int t = 126; t < 300; t++)
		acts += step(p, t, (t / 3) % 2 ? 7e6 : 10.1e6, NAN, a);
	assert_int_equal(1, acts);
	rdt_policy_free(p);
}

static void t_missing_and_vanished(void **st)
{
	rdt_policy *p = mk();
	rdt_policy_action a[4];

	(void)st;
	assert_int_equal(0, step(p, 0, 20e6, NAN, a));
	/* no data for a while: timers keep running from the evidence */
	for (int t = 1; t < 5; t++)
		assert_int_equal(0, step(p, t, NAN, NAN, a));
	assert_int_equal(1, step(p, 5, 20e6, NAN, a));
	assert_true(rdt_policy_is_restricted(p, 7));
	/* failed action: state goes back */
	rdt_policy_undo(p, &a[0]);
	assert_false(rdt_policy_is_restricted(p, 7));
	/* vanished, not restricted: forgotten after gone_s (10 s) */
	assert_int_equal(0, rdt_policy_step(p, 6, NULL, 0, a, 4));
	assert_int_equal(0, rdt_policy_step(p, 16, NULL, 0, a, 4));
	assert_false(rdt_policy_is_restricted(p, 7));
	rdt_policy_free(p);
	{
		rdt_policy_cfg bad = {0};
		assert_null(rdt_policy_new(&bad));
		bad.llc_max_bytes = 1;
		bad.calm_ratio = 1.5;
		assert_null(rdt_policy_new(&bad));
	}
}

/* Missing from one sample (a failed read), then back: a restricted domain
 * stays restricted and is released when calm, not left restricted for
 * good. Missing for gone_s: released as gone. */
static void t_absent_then_back(void **st)
{
	rdt_policy *p = mk();
	rdt_policy_action a[4];
	int t;

	(void)st;
	for (t = 0; t < 5; t++)
		assert_int_equal(0, step(p, t, 20e6, NAN, a));
	assert_int_equal(1, step(p, t, 20e6, NAN, a));
	assert_int_equal(RDT_ACT_RESTRICT, a[0].act);
	/* one sample without it */
	assert_int_equal(0, rdt_policy_step(p, 6, NULL, 0, a, 4));
	assert_true(rdt_policy_is_restricted(p, 7));
	/* back, calm for 10 s: released */
	for (t = 7; t < 17; t++)
		assert_int_equal(0, step(p, t, 1e6, NAN, a));
	assert_int_equal(1, step(p, t, 1e6, NAN, a));
	assert_int_equal(RDT_ACT_RELEASE, a[0].act);
	assert_non_null(strstr(a[0].reason, "calm"));
	/* restricted again, then gone: released as gone after 10 s, with
	 * its id, and only once */
	for (t = 18; t < 23; t++)
		assert_int_equal(0, step(p, t, 20e6, NAN, a));
	assert_int_equal(1, step(p, t, 20e6, NAN, a));
	assert_int_equal(RDT_ACT_RESTRICT, a[0].act);
	for (t = 24; t < 33; t++)
		assert_int_equal(0, rdt_policy_step(p, t, NULL, 0, a, 4));
	assert_true(rdt_policy_is_restricted(p, 7));
	/* no room for actions: it waits for the next step */
	assert_int_equal(0, rdt_policy_step(p, 33, NULL, 0, a, 0));
	assert_int_equal(1, rdt_policy_step(p, 34, NULL, 0, a, 4));
	assert_int_equal(RDT_ACT_RELEASE, a[0].act);
	assert_int_equal(4242, a[0].id);
	assert_int_equal(7, a[0].key);
	assert_non_null(strstr(a[0].reason, "gone"));
	assert_false(rdt_policy_is_restricted(p, 7));
	assert_int_equal(0, rdt_policy_step(p, 35, NULL, 0, a, 4));
	rdt_policy_free(p);
}

static void t_max_restricted(void **st)
{
	rdt_policy_cfg c = {0};
	rdt_policy *p;
	rdt_policy_in in[3];
	rdt_policy_action a[4];
	size_t n = 0;

	(void)st;
	c.mbm_max_Bps = 1e9;
	c.hold_s = 1;
	c.max_restricted = 2;
	p = rdt_policy_new(&c);
	assert_string_equal("hvkit-restricted", c.restricted_class[0]
	                                            ? c.restricted_class
	                                            : "hvkit-restricted");
	for (int i = 0; i < 3; i++)
		in[i] = (rdt_policy_in){.key = (uint64_t)i + 1,
		                        .id = (uint32_t)i + 10,
		                        .llc_bytes = NAN,
		                        .mbm_Bps = 5e9};
	for (int t = 0; t < 5; t++)
		n += rdt_policy_step(p, t, in, 3, a, 4);
	assert_int_equal(2, n);
	rdt_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_hold_and_release),
	    cmocka_unit_test(t_square_wave),
	    cmocka_unit_test(t_missing_and_vanished),
	    cmocka_unit_test(t_absent_then_back),
	    cmocka_unit_test(t_max_restricted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
