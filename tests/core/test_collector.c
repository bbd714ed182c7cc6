/* The collector on the synth backend, whose rates are known exactly. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include "hv/collector.h"
#include "hv/rates.h"

static hv_backend *open_synth(unsigned n, unsigned v)
{
	hv_env env;
	hv_err e;
	hv_backend *b = NULL;
	hv_backend_opts o = {
	    .name = "synth", .synth_domains = n, .synth_vcpus = v};
	assert_int_equal(hv_env_init(&env, &e), 0);
	assert_int_equal(hv_backend_open(&env, &o, &b, &e), 0);
	return b;
}

static void test_rates_exact(void **st)
{
	hv_err e;
	hv_collector *c;
	hv_backend *b = open_synth(50, 3);
	(void)st;
	hv_collector_opts co = {.period_s = 1, .ring = 4};
	assert_int_equal(hv_collector_new(b, &co, &c, &e), 0);
	assert_null(hv_collector_latest(c));
	assert_int_equal(hv_collector_step(c, &e), 0);
	usleep(100000);
	assert_int_equal(hv_collector_step(c, &e), 0);
	hv_snap *s = hv_collector_latest(c);
	assert_int_equal(hv_snap_seq(s), 2);
	assert_int_equal(hv_snap_ndom(s), 50);
	for (size_t i = 0; i < hv_snap_ndom(s); i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *r = hv_rates_for(s, d);
		double want = 1.0; /* emulator overhead */
		for (unsigned j = 0; j < 3; j++)
			want += (double)((i * 7 + j * 13) % 100);
		assert_non_null(r);
		/* integer ns truncation only */
		assert_true(fabs(r->cpu_pct - want) < 0.01);
		/* whole-byte truncation over 0.1 s: at most 10 B/s */
		assert_true(fabs(r->net[0].rx_Bps - 1000.0 * (i % 50 + 1)) <=
		            10.5);
		assert_false(isnan(r->watts));
	}
	/* attributed power never exceeds the package's */
	const hv_rates *rr = hv_snap_rates(s);
	double sum = 0;
	for (size_t i = 0; i < hv_snap_ndom(s); i++)
		sum += hv_rates_dom(rr, i)->watts;
	assert_true(fabs(hv_rates_host(rr)->pkg_watts - 120.0) < 0.5);
	assert_true(sum <= hv_rates_host(rr)->pkg_watts + 1e-6);
	assert_true(hv_ok(hv_snap_dom(s, 0)->energy_uj));
	hv_snap_unref(s);
	hv_collector_free(c);
	hv_backend_close(b);
}

static void test_thread_ring(void **st)
{
	hv_err e;
	hv_collector *c;
	hv_backend *b = open_synth(5, 1);
	hv_snap *hist[16];
	(void)st;
	hv_collector_opts co = {.period_s = 0.05, .ring = 3};
	assert_int_equal(hv_collector_new(b, &co, &c, &e), 0);
	assert_int_equal(hv_collector_start(c, &e), 0);
	hv_snap *s = hv_collector_wait(c, 4, 5000);
	assert_non_null(s);
	assert_true(hv_snap_seq(s) >= 5);
	hv_snap_unref(s);
	size_t n = hv_collector_history(c, hist, 16);
	assert_int_equal(n, 3);
	for (size_t i = 0; i < n; i++) {
		if (i)
			assert_true(hv_snap_seq(hist[i]) >
			            hv_snap_seq(hist[i - 1]));
		hv_snap_unref(hist[i]);
	}
	hv_collector_stats st2;
	hv_collector_stats_get(c, &st2);
	assert_true(st2.samples >= 5);
	assert_int_equal(st2.failures, 0);
	hv_collector_free(c);
	hv_collector_free(NULL);
	hv_backend_close(b);
}

static void test_knobs(void **st)
{
	hv_err e = {0};
	hv_change chg;
	char v[64];
	hv_backend *b = open_synth(1, 1);
	(void)st;
	assert_int_equal(
	    hv_knob_set(b, "cpu/3/governor", "powersave", &chg, &e), 0);
	assert_string_equal(chg.old, "schedutil");
	assert_string_equal(chg.new_, "powersave");
	assert_int_equal(hv_knob_get(b, "cpu/3/governor", v, sizeof(v), &e), 0);
	assert_string_equal(v, "powersave");
	assert_int_equal(hv_knob_undo(b, &chg, &e), 0);
	assert_int_equal(hv_knob_get(b, "cpu/3/governor", v, sizeof(v), &e), 0);
	assert_string_equal(v, "schedutil");
	/* refusal carries a reason, knob unchanged */
	assert_int_equal(hv_knob_set(b, "cpu/0/online", "0", &chg, &e),
	                 -EINVAL);
	assert_non_null(strstr(e.msg, "cpu0"));
	assert_int_equal(hv_knob_set(b, "cpu/99/online", "0", &chg, &e),
	                 -ENOENT);
	hv_backend_close(b);
}

/* Knob changes from another thread while the collector samples (hv-webd's
 * control requests): serialised by the backend, nothing lost, no deadlock. */
static void test_knobs_while_sampling(void **st)
{
	hv_err e;
	hv_collector *c;
	hv_change chg;
	char v[64];
	hv_backend *b = open_synth(200, 2);
	(void)st;
	hv_collector_opts co = {.period_s = 0.05, .ring = 4};
	assert_int_equal(hv_collector_new(b, &co, &c, &e), 0);
	assert_int_equal(hv_collector_start(c, &e), 0);
	for (int i = 0; i < 300; i++) {
		assert_int_equal(hv_knob_set(b, "cpu/2/max_khz",
		                             i % 2 ? "1200000" : "2000000",
		                             &chg, &e),
		                 0);
		assert_int_equal(hv_knob_undo(b, &chg, &e), 0);
	}
	assert_int_equal(hv_knob_get(b, "cpu/2/max_khz", v, sizeof(v), &e), 0);
	assert_string_equal(v, "3000000");
	hv_snap *s = hv_collector_wait(c, 2, 5000);
	assert_non_null(s);
	hv_snap_unref(s);
	hv_collector_free(c);
	hv_backend_close(b);
}

static void test_bad_backend(void **st)
{
	hv_env env;
	hv_err e = {0};
	hv_backend *b = (void *)1;
	hv_backend_opts o = {.name = "nonesuch"};
	(void)st;
	hv_env_init(&env, &e);
	assert_int_equal(hv_backend_open(&env, &o, &b, &e), -ENOENT);
	assert_null(b);
	assert_non_null(strstr(e.msg, "nonesuch"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rates_exact),
	    cmocka_unit_test(test_thread_ring),
	    cmocka_unit_test(test_knobs),
	    cmocka_unit_test(test_knobs_while_sampling),
	    cmocka_unit_test(test_bad_backend),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
