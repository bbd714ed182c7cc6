/* Rates against wraps, resets, vanished and recycled domains. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hv/rates.h"

static void test_delta(void **st)
{
	uint64_t d = 0;
	(void)st;
	assert_int_equal(hv_counter_delta(hv_val(10), hv_val(25), 0, &d), 0);
	assert_int_equal(d, 15);
	/* reset without a wrap point */
	assert_int_equal(hv_counter_delta(hv_val(100), hv_val(5), 0, &d),
	                 -ERANGE);
	/* RAPL-style wrap at max_energy_range_uj */
	assert_int_equal(hv_counter_delta(hv_val(262143328000ULL), hv_val(1000),
	                                  262143328850ULL, &d),
	                 0);
	assert_int_equal(d, 850 + 1000);
	/* a "previous" above the wrap point is not a wrap but garbage */
	assert_int_equal(hv_counter_delta(hv_val(300000000000ULL), hv_val(5),
	                                  262143328850ULL, &d),
	                 -ERANGE);
	assert_int_equal(hv_counter_delta(hv_na(HV_NA_STALE), hv_val(5), 0, &d),
	                 -ENODATA);
}

static hv_dom *mkdom(hv_snap *s, uint64_t key, uint32_t id, uint64_t cpu_ns)
{
	hv_dom *d = hv_snap_add_dom(s);
	hv_vcpu *v;
	d->key = key;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "d%u", id);
	d->cpu_ns = hv_val(cpu_ns);
	v = hv_snap_vcpus(s, d, 1);
	v[0].time_ns = hv_val(cpu_ns);
	v[0].guest_ns = hv_val(cpu_ns);
	return d;
}

static hv_snap *mksnap(uint64_t t_ns, uint64_t rapl_uj)
{
	hv_snap *s = hv_snap_new();
	hv_pcpu *p = hv_snap_pcpus(s, 2);
	hv_rapl *r = hv_snap_rapls(s, 1);
	for (int i = 0; i < 2; i++) {
		p[i].online = 1;
		p[i].busy_ns = hv_val(t_ns / 2);
		p[i].idle_ns = hv_val(t_ns / 2);
	}
	snprintf(r[0].path, sizeof(r[0].path), "intel-rapl:0");
	r[0].pkg = 0;
	r[0].max_range_uj = 262143328850ULL;
	r[0].energy_uj = hv_val(rapl_uj);
	hv_snap_set_time(s, t_ns, 0, 0);
	return s;
}

static void test_domains(void **st)
{
	hv_err e;
	(void)st;
	hv_snap *a = mksnap(10000000000ULL, 262143328850ULL - 20000000);
	hv_snap *b = mksnap(12000000000ULL, 80000000); /* +2 s, wrapped */
	mkdom(a, 1, 1, 1000000000ULL);
	mkdom(a, 2, 2, 5000000000ULL);
	mkdom(a, 3, 3, 0);                             /* vanishes */
	mkdom(b, 1, 1, 1000000000ULL + 2000000000ULL); /* 100% */
	mkdom(b, 2, 2, 1000000ULL);                    /* rebooted: went back */
	mkdom(b, 44, 3, 10); /* id 3 recycled: new key */
	assert_int_equal(hv_snap_seal(a, &e), 0);
	assert_int_equal(hv_snap_seal(b, &e), 0);

	hv_rates *r = hv_rates_compute(a, b, &e);
	assert_non_null(r);
	assert_true(fabs(hv_rates_dt(r) - 2.0) < 1e-9);
	const hv_dom_rate *r0 = hv_rates_dom(r, 0);
	assert_true(fabs(r0->cpu_pct - 100.0) < 1e-6);
	assert_true(fabs(r0->cpu_host_pct - 50.0) < 1e-6);
	assert_true(fabs(r0->vcpu[0].cpu_pct - 100.0) < 1e-6);
	assert_true(isnan(hv_rates_dom(r, 1)->cpu_pct)); /* reset → missing */
	assert_true(hv_rates_dom(r, 2)->fresh);
	assert_true(isnan(hv_rates_dom(r, 2)->cpu_pct));
	/* RAPL wrapped: 20 J before the wrap + 80 J after over 2 s = 50 W */
	const hv_host_rate *hr = hv_rates_host(r);
	assert_true(fabs(hr->rapl[0].watts - 50.0) < 1e-6);
	assert_true(fabs(hr->pkg_watts - 50.0) < 1e-6);
	assert_true(fabs(hr->busy_pct - 50.0) < 1e-6);
	/* Host busy time: 2 s (1 s per pCPU); domain 1 used 2 s of guest
	 * time, so it gets the whole package, clamped to it. */
	assert_true(r0->watts <= 50.0 + 1e-9);
	assert_true(r0->watts > 0);
	hv_rates_free(r);

	/* zero interval: everything missing, nothing absurd */
	r = hv_rates_compute(b, b, &e);
	assert_true(isnan(hv_rates_dom(r, 0)->cpu_pct));
	assert_true(isnan(hv_rates_host(r)->pkg_watts));
	hv_rates_free(r);
	/* no previous snapshot at all */
	r = hv_rates_compute(NULL, b, &e);
	assert_true(hv_rates_dom(r, 0)->fresh);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
}

static void test_devices(void **st)
{
	hv_err e;
	(void)st;
	hv_snap *a = mksnap(1000000000ULL, 0), *b = mksnap(2000000000ULL, 0);
	hv_dom *da = mkdom(a, 7, 7, 0), *db = mkdom(b, 7, 7, 0);
	hv_net *na = hv_snap_nets(a, da, 2), *nb = hv_snap_nets(b, db, 1);
	hv_blk *ba = hv_snap_blks(a, da, 1), *bb = hv_snap_blks(b, db, 1);
	/* tap1 in a is gone in b; tap0 moved position: matched by name */
	snprintf(na[0].name, 16, "tap1");
	snprintf(na[1].name, 16, "tap0");
	na[1].id = 0;
	na[0].id = 1;
	na[1].rx_bytes = hv_val(1000);
	snprintf(nb[0].name, 16, "tap0");
	nb[0].rx_bytes = hv_val(3000);
	snprintf(ba[0].name, 32, "vda");
	snprintf(bb[0].name, 32, "vda");
	ba[0].rd_reqs = hv_val(10);
	bb[0].rd_reqs = hv_val(20);
	ba[0].rd_ns = hv_val(0);
	bb[0].rd_ns = hv_val(50000000); /* 50 ms over 10 reqs = 5 ms */
	ba[0].rd_bytes = hv_val(0);
	bb[0].rd_bytes = hv_val(4096);
	hv_snap_seal(a, &e);
	hv_snap_seal(b, &e);
	hv_rates *r = hv_rates_compute(a, b, &e);
	const hv_dom_rate *dr = hv_rates_dom(r, 0);
	assert_true(fabs(dr->net[0].rx_Bps - 2000.0) < 1e-9);
	assert_true(isnan(dr->net[0].tx_Bps)); /* never reported */
	assert_true(fabs(dr->net_rx_Bps - 2000.0) < 1e-9);
	assert_true(fabs(dr->blk[0].rd_iops - 10.0) < 1e-9);
	assert_true(fabs(dr->blk[0].rd_lat_ms - 5.0) < 1e-9);
	assert_true(fabs(dr->blk_rd_Bps - 4096.0) < 1e-9);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
}

/* Counters read at their own time (libvirt's calls): rates span the
 * readings, not the samples; the same reading twice gives no rate (not 0
 * and then twice the rate). */
static void test_blk_read_time(void **st)
{
	hv_err e;
	(void)st;
	hv_snap *a = mksnap(1000000000ULL, 0), *b = mksnap(2000000000ULL, 0);
	hv_snap *c = mksnap(3000000000ULL, 0);
	hv_dom *da = mkdom(a, 7, 7, 0), *db = mkdom(b, 7, 7, 0);
	hv_dom *dc = mkdom(c, 7, 7, 0);
	hv_blk *ba = hv_snap_blks(a, da, 1), *bb = hv_snap_blks(b, db, 1);
	hv_blk *bc = hv_snap_blks(c, dc, 1);
	hv_rates *r;

	snprintf(ba[0].name, 32, "vda");
	snprintf(bb[0].name, 32, "vda");
	snprintf(bc[0].name, 32, "vda");
	ba[0].rd_bytes = hv_val(0);
	ba[0].read_ns = 900000000ULL;
	bb[0] = ba[0]; /* the call was slow: b has a's reading again */
	bc[0] = ba[0];
	bc[0].rd_bytes = hv_val(8000);
	bc[0].read_ns = 2900000000ULL; /* 2 s after a's reading */
	hv_snap_seal(a, &e);
	hv_snap_seal(b, &e);
	hv_snap_seal(c, &e);
	r = hv_rates_compute(a, b, &e);
	assert_true(isnan(hv_rates_dom(r, 0)->blk[0].rd_Bps));
	assert_true(isnan(hv_rates_dom(r, 0)->blk_rd_Bps));
	hv_rates_free(r);
	r = hv_rates_compute(b, c, &e);
	assert_true(fabs(hv_rates_dom(r, 0)->blk[0].rd_Bps - 4000.0) < 1e-9);
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	hv_snap_unref(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_delta),
	    cmocka_unit_test(test_domains),
	    cmocka_unit_test(test_devices),
	    cmocka_unit_test(test_blk_read_time),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
