/* SPDX-License-Identifier: MIT */
/* [noisy]: strict parsing (file:line: what), and a trace through the policy
 * built from the parsed section: a domain crossing the threshold with noise
 * around it is restricted within hold, never flaps, and is released after
 * calm. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <math.h>
#include <string.h>

#include "pd_config.h"
#include "pd_noisy.h"

static const char good[] = "[noisy]\n"
                           "enabled = yes\n"
                           "llc_bytes = 20000000\n"
                           "hold = 10s\n"
                           "calm = 30s\n"
                           "l3_mask = 0x3\n"
                           "mb_percent = 20\n"
                           "max_restricted = 1\n";

static void t_parse(void **st)
{
	pd_config c;
	hv_err e = {0};

	(void)st;
	assert_int_equal(0, pd_config_parse("n.conf", good, &c, &e));
	assert_true(c.noisy.enabled);
	assert_true(c.noisy.llc_bytes == 20e6);
	assert_true(c.noisy.mbm_Bps == 0);
	assert_true(c.noisy.hold_s == 10 && c.noisy.calm_s == 30);
	assert_true(c.noisy.calm_ratio == 0.8);
	assert_string_equal(c.noisy.l3_mask, "3");
	assert_int_equal(20, c.noisy.mb_percent);
	assert_int_equal(1, c.noisy.max_restricted);
	assert_string_equal(c.noisy.class_name, "hvkit-restricted");
	/* off by default */
	assert_int_equal(0, pd_config_parse("n.conf", "[daemon]\n", &c, &e));
	assert_false(c.noisy.enabled);
}

static void bad(const char *text, const char *want)
{
	pd_config c;
	hv_err e = {0};

	assert_int_equal(-EINVAL, pd_config_parse("n.conf", text, &c, &e));
	if (!strstr(e.msg, want))
		fail_msg("'%s' does not contain '%s'", e.msg, want);
}

static void t_refusals(void **st)
{
	(void)st;
	bad("[noisy]\nenabled = yes\nl3_mask = 0x3\n",
	    "n.conf:2: [noisy] is enabled but sets neither llc_bytes");
	bad("[noisy]\nenabled = yes\nllc_bytes = 1e6\n",
	    "n.conf:2: [noisy] is enabled but the restricted class has "
	    "neither");
	bad("[noisy]\nl3_mask = 0xg3\n", "n.conf:2: l3_mask: '0xg3' is not");
	bad("[noisy]\nl3_mask = 0\n", "n.conf:2: l3_mask: an empty mask");
	bad("[noisy]\nl3_mask = 0x\n", "n.conf:2: l3_mask: expected a hex");
	bad("[noisy]\nmb_percent = 0\n", "n.conf:2: mb_percent: 0 out of");
	bad("[noisy]\nmb_percent = 101\n", "n.conf:2: mb_percent: 101 out");
	bad("[noisy]\nllc_bytes = -1\n", "n.conf:2: llc_bytes: -1 out");
	bad("[noisy]\nhold = soon\n", "n.conf:2: hold: 'soon' is not a dur");
	bad("[noisy]\ncalm_ratio = 1.5\n", "n.conf:2: calm_ratio: 1.5 out");
	bad("[noisy]\nhold = 0\n", "n.conf:2: hold: 0 out of range");
	bad("[noisy]\nclass = ../x\n", "n.conf:2: class: '../x': only");
	bad("[noisy]\nnoise = 1\n", "n.conf:2: unknown key 'noise' in [noisy]");
	bad("[noisy]\nhold = 1\nhold = 2\n", "n.conf:3: 'hold' already set");
	bad("[noisy]\n[noisy]\n", "n.conf:2: section [noisy] appears twice");
	bad("[noisy]\nenabled = yes\nllc_bytes = 1\nmb_percent = 5\n"
	    "class =\n",
	    "n.conf:5: [noisy] class is empty");
}

/* One sample a second; llc in MB around the 20 MB threshold. */
static size_t feed(rdt_policy *p, int t, double llc_mb, rdt_policy_action *a)
{
	rdt_policy_in in[2] = {
	    {.key = 1, .id = 4242, .llc_bytes = llc_mb * 1e6, .mbm_Bps = NAN},
	    {.key = 2, .id = 4343, .llc_bytes = 1e6, .mbm_Bps = NAN}};
	return rdt_policy_step(p, (double)t, in, 2, a, 4);
}

static void t_trace(void **st)
{
	pd_config c;
	hv_err e = {0};
	rdt_policy_cfg pc;
	rdt_policy *p;
	rdt_policy_action a[4];
	int t = 0, restricted_at = -1, released_at = -1, actions = 0;

	(void)st;
	assert_int_equal(0, pd_config_parse("n.conf", good, &c, &e));
	pd_noisy_policy_cfg(&c, &pc);
	p = rdt_policy_new(&pc);
	assert_non_null(p);
	/* 0..62 s: noisy around the threshold (over 4 s, under 3 s): never
	 * held 10 s, so nothing happens */
	for (; t < 63; t++)
		actions += (int)feed(p, t, t % 7 < 4 ? 21 : 19.5, a);
	assert_int_equal(0, actions);
	/* 63 s: crosses for good (with noise, all over) */
	for (; t < 120; t++) {
		size_t k = feed(p, t, 25 + (t % 3), a);
		if (k) {
			assert_int_equal(1, k);
			assert_int_equal(RDT_ACT_RESTRICT, a[0].act);
			assert_int_equal(4242, a[0].id);
			restricted_at = t;
			actions++;
		}
	}
	assert_int_equal(1, actions);
	assert_true(restricted_at >= 63 + 10 - 1 && restricted_at <= 63 + 10);
	/* 120..299 s: back near the threshold with noise between calm (16 MB)
	 * and over: never calm 30 s, no release, no flapping */
	for (; t < 300; t++)
		actions += (int)feed(p, t, t % 20 < 15 ? 15 : 19, a);
	assert_int_equal(1, actions);
	assert_true(rdt_policy_is_restricted(p, 1));
	/* 300 s: calm for good → released within calm */
	for (; t < 400; t++) {
		size_t k = feed(p, t, 5, a);
		if (k) {
			assert_int_equal(RDT_ACT_RELEASE, a[0].act);
			released_at = t;
			actions++;
		}
	}
	assert_int_equal(2, actions);
	assert_true(released_at >= 300 + 30 - 1 && released_at <= 300 + 30);
	assert_false(rdt_policy_is_restricted(p, 2));
	rdt_policy_free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_parse),
	    cmocka_unit_test(t_refusals),
	    cmocka_unit_test(t_trace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
