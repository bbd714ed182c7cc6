/* SPDX-License-Identifier: MIT */
/* Config parser: every error names file, line and what is wrong. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cfg.h"
#include "pd_config.h"

static void expect_err(const char *text, const char *needle)
{
	pd_config c;
	hv_err e = {0};

	pd_config_defaults(&c);
	c.period_s = 42; /* must stay untouched on error */
	assert_int_equal(-22, pd_config_parse("t.conf", text, &c, &e));
	if (!strstr(e.msg, needle))
		fail_msg("error '%s' lacks '%s'", e.msg, needle);
	assert_true(c.period_s == 42);
}

static void test_full(void **st)
{
	(void)st;
	const char *t =
	    "# comment\n"
	    "[daemon]\nperiod = 2s\nbackend = kvm\n"
	    "[frequency]\nenabled = yes\nhigh = 80\nlow = 20 # x\n"
	    "hold = 1m\naction = cap\nlow_max = 50%\n"
	    "[parking]\nenabled = on\nmin_online = 3\n"
	    "[latency]\nenabled = true\ndomains = db1, web-2 ,x\n"
	    "max_latency_us = 50\n"
	    "[hwerr]\nenabled = yes\nthreshold=5\nwindow=24h\n"
	    "[budget]\nenabled = yes\nwatts = 95.5\nfloor = 800000\n"
	    "[energy]\nenabled = yes\ninterval = 30\n";
	pd_config c;
	hv_err e = {0};
	assert_int_equal(0, pd_config_parse("t.conf", t, &c, &e));
	assert_true(c.period_s == 2);
	assert_string_equal(c.backend, "kvm");
	assert_true(c.freq.enabled && c.freq.high_pct == 80 &&
	            c.freq.low_pct == 20 && c.freq.hold_s == 60);
	assert_int_equal(c.freq.action, PD_FREQ_CAP);
	assert_true(c.freq.low_max.pct && c.freq.low_max.v == 50);
	assert_int_equal(c.park.min_online, 3);
	assert_int_equal(c.lat.ndom, 3);
	assert_string_equal(c.lat.dom[1], "web-2");
	assert_int_equal(c.lat.max_latency_us, 50);
	assert_true(c.hwerr.window_s == 86400 && c.hwerr.threshold == 5);
	assert_true(c.budget.watts == 95.5 && !c.budget.floor.pct &&
	            c.budget.floor.v == 800000);
	assert_int_equal(pd_khz_resolve(c.freq.low_max, 4200000), 2100000);
}

static void test_errors(void **st)
{
	(void)st;
	expect_err("[daemon]\nperiod = fast\n", "t.conf:2: period: 'fast'");
	expect_err("[daemon]\nperiod = 0\n",
	           "t.conf:2: period: 0 out of range");
	expect_err("\n\n[nope]\n", "t.conf:3: unknown section [nope]");
	expect_err("[daemon]\nperod = 1\n", "t.conf:2: unknown key 'perod'");
	expect_err("period = 1\n", "t.conf:1: 'period' outside any [section]");
	expect_err("[daemon]\nperiod\n", "t.conf:2: expected 'key = value'");
	expect_err("[daemon]\nperiod = 1\nperiod = 2\n",
	           "t.conf:3: 'period' already set on line 2");
	expect_err("[daemon]\n[daemon]\n",
	           "t.conf:2: section [daemon] appears");
	expect_err("[frequency\n", "t.conf:1: malformed section header");
	expect_err("[frequency]\nenabled = maybe\n",
	           "t.conf:2: enabled: expected yes or no");
	expect_err("[frequency]\nenabled = yes\nhigh = 20\nlow = 30\n",
	           "t.conf:4: [frequency] low (30) must be below high (20)");
	expect_err("[frequency]\naction = turbo\n",
	           "expected 'governor' or 'cap'");
	expect_err("[frequency]\nlow_max = 150%\n", "t.conf:2: low_max");
	expect_err("[frequency]\nlow_governor = power save\n",
	           "t.conf:2: low_governor");
	expect_err(
	    "[parking]\nenabled = 1\npark_below = 80\nunpark_above = 60\n",
	    "t.conf:3: [parking] park_below (80) must be below");
	expect_err("[parking]\nmin_online = 1.5\n", "not a whole number");
	expect_err("[latency]\nenabled = yes\n",
	           "t.conf:2: [latency] is enabled but lists no domains");
	expect_err("[latency]\ndomains = a,,b\n", "empty domain name");
	expect_err("[latency]\nmethod = magic\n",
	           "t.conf:2: method: expected 'cstate', 'qos' or 'xen'");
	expect_err("[latency]\nxen_max_cstate = 99\n", "out of range");
	expect_err("[hwerr]\nwindow = 3 weeks\n", "t.conf:2: window");
	expect_err("[budget]\nwatts =\n", "t.conf:2: 'watts' has no value");
}

/* The defaults come from the key tables (parsed like a file): every one
 * must parse and give the documented value. */
static void test_defaults(void **st)
{
	(void)st;
	pd_config c;

	memset(&c, 0xff, sizeof(c));
	pd_config_defaults(&c);
	assert_true(c.period_s == 1 && !c.backend[0]);
	assert_true(!c.freq.enabled && c.freq.high_pct == 70 &&
	            c.freq.low_pct == 30 && c.freq.hold_s == 10 &&
	            c.freq.up_hold_s == 0);
	assert_int_equal(c.freq.action, PD_FREQ_GOVERNOR);
	assert_string_equal(c.freq.low_governor, "powersave");
	assert_true(c.freq.low_max.pct && c.freq.low_max.v == 60);
	assert_true(c.park.min_online == 2 && c.park.park_below_pct == 40 &&
	            c.park.unpark_above_pct == 75 && c.park.hold_s == 30 &&
	            c.park.cooldown_s == 20);
	assert_true(c.lat.ndom == 0 && c.lat.busy_pct == 5 &&
	            c.lat.max_latency_us == 20 && c.lat.hold_s == 30 &&
	            c.lat.method == PD_LAT_CSTATE && c.lat.xen_max_cstate == 1);
	assert_true(c.hwerr.threshold == 18 && c.hwerr.window_s == 86400 &&
	            c.hwerr.max_offline == 2 && c.hwerr.keep_online == 2);
	assert_true(c.budget.watts == 100 && c.budget.release_pct == 90 &&
	            c.budget.hold_s == 10 && c.budget.step_pct == 10 &&
	            c.budget.floor.pct && c.budget.floor.v == 40);
	assert_true(!c.energy.enabled && c.energy.interval_s == 60);
	assert_true(c.noisy.hold_s == 10 && c.noisy.calm_s == 30 &&
	            c.noisy.calm_ratio == 0.8 && c.noisy.gone_s == 10 &&
	            !c.noisy.l3_mask[0] && c.noisy.mb_percent == 0);
	assert_string_equal(c.noisy.class_name, "hvkit-restricted");
}

/* Every key of the tables is in the man page, in its section's
 * paragraph. */
static void test_man_lists_every_key(void **st)
{
	(void)st;
	const char *src = getenv("HVKIT_SRC");
	const hv_cfg_key *k;
	char path[4096], *man;
	FILE *f;
	long n;

	if (!src)
		skip();
	snprintf(path, sizeof(path), "%s/powerd/hv-powerd.8", src);
	assert_non_null(f = fopen(path, "r"));
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	assert_non_null(man = calloc(1, (size_t)n + 1));
	assert_int_equal(fread(man, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	for (size_t i = 0; (k = pd_config_key(i)); i++) {
		char head[64], *p, *end;
		snprintf(head, sizeof(head), ".B [%s]\n", k->sect);
		if (!(p = strstr(man, head)))
			fail_msg("hv-powerd.8 has no [%s]", k->sect);
		p += strlen(head);
		end = strstr(p, "\n.");
		if (end)
			*end = '\0';
		if (!strstr(p, k->key))
			fail_msg("hv-powerd.8 [%s] lacks %s", k->sect, k->key);
		if (end)
			*end = '\n';
	}
	free(man);
}

static void test_load_missing(void **st)
{
	(void)st;
	pd_config c;
	hv_err e = {0};
	assert_int_not_equal(0, pd_config_load("/nonexistent/x.conf", &c, &e));
	assert_non_null(strstr(e.msg, "/nonexistent/x.conf"));
}

static void test_examples_parse(void **st)
{
	(void)st;
	const char *src = getenv("HVKIT_SRC");
	const char *ex[] = {"frequency", "parking", "latency",
	                    "hwerr",     "budget",  "all"};
	if (!src)
		skip();
	for (size_t i = 0; i < sizeof(ex) / sizeof(ex[0]); i++) {
		char p[4096];
		pd_config c;
		hv_err e = {0};
		snprintf(p, sizeof(p), "%s/powerd/examples/%s.conf", src,
		         ex[i]);
		if (pd_config_load(p, &c, &e))
			fail_msg("%s", e.msg);
	}
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(test_full),
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_man_lists_every_key),
	    cmocka_unit_test(test_load_missing),
	    cmocka_unit_test(test_examples_parse),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
