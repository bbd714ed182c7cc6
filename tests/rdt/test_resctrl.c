/* SPDX-License-Identifier: MIT */
/* resctrl against Intel and AMD fixture trees: probe, schemata formats,
 * validation refusals, monitoring sums with Unavailable/Error/resets,
 * allocation writes and undo. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "hv/enrich.h"
#include "hv/resctrl.h"
#include "rdt_fixture.h"

typedef struct fx {
	hvt_host *h;
	hv_env env;
	hv_resctrl *rc;
} fx;

static fx *fx_new(int amd, int cdp)
{
	fx *f = calloc(1, sizeof(*f));
	hv_err e = {0};

	assert_non_null(f);
	f->h = hvt_host_new("rdt");
	assert_non_null(f->h);
	assert_int_equal(0, amd ? rdtf_amd(f->h) : rdtf_intel(f->h, cdp));
	assert_int_equal(0, rdtf_proc(f->h, 4242, 3));
	hvt_host_env(f->h, &f->env);
	assert_int_equal(0, hv_rc_open(&f->env, &f->rc, &e));
	return f;
}

static void fx_free(fx *f)
{
	hv_rc_close(f->rc);
	hvt_host_free(f->h);
	free(f);
}

static int exists(fx *f, const char *rel)
{
	char p[4096];
	struct stat st;

	snprintf(p, sizeof(p), "%s/fs/resctrl/%s", f->h->sys, rel);
	return stat(p, &st) == 0;
}

static char *rd(fx *f, const char *rel)
{
	char p[512];

	snprintf(p, sizeof(p), "fs/resctrl/%s", rel);
	return hvt_read(f->h->sys, p);
}

static void t_not_mounted(void **st)
{
	hvt_host *h = hvt_host_new("rdt");
	hv_env env;
	hv_resctrl *rc = NULL;
	hv_rdtmon *m = (hv_rdtmon *)1;
	hv_err e = {0};

	(void)st;
	hvt_host_env(h, &env);
	assert_int_equal(-ENOENT, hv_rc_open(&env, &rc, &e));
	assert_null(rc);
	assert_non_null(strstr(e.msg, "not mounted"));
	assert_int_equal(0, hv_rdtmon_open(&env, &m, &e));
	assert_null(m);
	hvt_host_free(h);
}

static void t_probe_intel(void **st)
{
	fx *f = fx_new(0, 0);
	const hv_rc_info *in = hv_rc_info_get(f->rc);

	(void)st;
	assert_int_equal(HV_RC_VENDOR_INTEL, in->vendor);
	assert_true(in->l3.present);
	assert_false(in->cdp);
	assert_int_equal(0x7ff, in->l3.cbm_mask);
	assert_int_equal(11, in->l3.cbm_len);
	assert_int_equal(1, in->l3.min_cbm_bits);
	assert_int_equal(0x600, in->l3.shareable_bits);
	assert_false(in->l3.sparse);
	assert_true(in->mb.present);
	assert_int_equal(HV_RC_MB_PERCENT, in->mb.unit);
	assert_int_equal(10, in->mb.min_bw);
	assert_int_equal(10, in->mb.bw_gran);
	assert_int_equal(100, in->mb.max_bw);
	assert_int_equal(8, in->num_closids); /* min(L3 16, MB 8) */
	assert_true(in->mon);
	assert_int_equal(176, in->num_rmids);
	assert_int_equal(HV_RC_MON_OCC | HV_RC_MON_TOTAL | HV_RC_MON_LOCAL,
	                 in->mon_features);
	assert_int_equal(2, in->nr_l3);
	assert_int_equal(0, in->l3_id[0]);
	assert_int_equal(1, in->l3_id[1]);
	fx_free(f);
}

static void t_probe_amd_cdp(void **st)
{
	fx *f = fx_new(1, 0);
	const hv_rc_info *in = hv_rc_info_get(f->rc);

	(void)st;
	assert_int_equal(HV_RC_VENDOR_AMD, in->vendor);
	assert_int_equal(0xffff, in->l3.cbm_mask);
	assert_int_equal(0, in->l3.min_cbm_bits);
	assert_true(in->l3.sparse);
	assert_int_equal(HV_RC_MB_AMD8, in->mb.unit);
	assert_int_equal(2048, in->mb.max_bw);
	assert_int_equal(4, in->nr_l3);
	assert_int_equal(64, in->num_rmids);
	fx_free(f);

	f = fx_new(0, 1);
	in = hv_rc_info_get(f->rc);
	assert_true(in->cdp);
	assert_false(in->l3.present);
	assert_true(in->l3code.present && in->l3data.present);
	fx_free(f);
}

static void t_schemata_formats(void **st)
{
	hv_rc_schemata s;
	hv_err e = {0};
	char buf[256];

	(void)st;
	assert_int_equal(0, hv_rc_schemata_parse("    L3:0=00f;1=7ff\n"
	                                         "    MB:0= 100;1=  16\n",
	                                         &s, &e));
	assert_int_equal(2, s.nr);
	assert_string_equal("L3", s.line[0].res);
	assert_int_equal(0xf, s.line[0].val[0]);
	assert_int_equal(0x7ff, s.line[0].val[1]);
	assert_string_equal("MB", s.line[1].res);
	assert_int_equal(100, s.line[1].val[0]);
	assert_int_equal(16, s.line[1].val[1]);
	assert_int_equal(0, hv_rc_schemata_format(&s, buf, sizeof(buf)));
	assert_string_equal("L3:0=f;1=7ff\nMB:0=100;1=16\n", buf);
	/* AMD-style and a trailing ';' */
	assert_int_equal(0,
	                 hv_rc_schemata_parse("MB:0=2048;1=  64;\n", &s, &e));
	assert_int_equal(64, s.line[0].val[1]);
	/* garbage is refused, never read as 0 */
	assert_int_equal(-EINVAL, hv_rc_schemata_parse("L3:0=xyz\n", &s, &e));
	assert_int_equal(-EINVAL, hv_rc_schemata_parse("L3 0=f\n", &s, &e));
	assert_int_equal(-EINVAL, hv_rc_schemata_parse("L3:0=f;0=3\n", &s, &e));
	assert_int_equal(-EINVAL, hv_rc_schemata_parse("MB:1=-5\n", &s, &e));
}

static void t_event_words(void **st)
{
	(void)st;
	assert_true(hv_ok(hv_rc_event_parse("123456\n")));
	assert_int_equal(123456, hv_rc_event_parse("123456\n").v);
	assert_int_equal(HV_NA_UNAVAILABLE,
	                 hv_rc_event_parse("Unavailable\n").why);
	assert_int_equal(HV_NA_ERROR, hv_rc_event_parse("Error\n").why);
	assert_int_equal(HV_NA_UNAVAILABLE,
	                 hv_rc_event_parse("Unassigned\n").why);
	assert_int_equal(HV_NA_ERROR, hv_rc_event_parse("12x\n").why);
	assert_int_equal(HV_NA_ERROR, hv_rc_event_parse("").why);
}

static int val(const hv_rc_info *in, const char *text, hv_err *e)
{
	hv_rc_schemata s;
	int r = hv_rc_schemata_parse(text, &s, e);

	return r ? r : hv_rc_validate(in, &s, e);
}

static void t_validate(void **st)
{
	fx *f = fx_new(0, 0);
	const hv_rc_info *in = hv_rc_info_get(f->rc);
	hv_err e = {0};

	(void)st;
	assert_int_equal(0, val(in, "L3:0=3;1=7f0\nMB:0=20;1=100\n", &e));
	assert_int_equal(-EINVAL, val(in, "L3:0=f7\n", &e));
	assert_non_null(strstr(e.msg, "non-consecutive"));
	assert_int_equal(-EINVAL, val(in, "L3:0=0\n", &e));
	assert_non_null(strstr(e.msg, "min_cbm_bits"));
	assert_int_equal(-EINVAL, val(in, "L3:1=800\n", &e));
	assert_non_null(strstr(e.msg, "outside cbm_mask"));
	assert_int_equal(-EINVAL, val(in, "L3:2=3\n", &e));
	assert_non_null(strstr(e.msg, "no cache domain 2"));
	assert_int_equal(-EINVAL, val(in, "MB:0=55\n", &e));
	assert_non_null(strstr(e.msg, "bandwidth_gran"));
	assert_non_null(strstr(e.msg, "60"));
	assert_int_equal(-EINVAL, val(in, "MB:0=5\n", &e));
	assert_int_equal(-EINVAL, val(in, "MB:0=110\n", &e));
	assert_int_equal(-EOPNOTSUPP, val(in, "L3CODE:0=3\n", &e));
	assert_int_equal(-EOPNOTSUPP, val(in, "SMBA:0=3\n", &e));
	fx_free(f);

	f = fx_new(1, 0); /* AMD: sparse and empty masks, 1/8 GB/s */
	in = hv_rc_info_get(f->rc);
	assert_int_equal(0, val(in, "L3:0=f0f;3=0\nMB:2=1000\n", &e));
	assert_int_equal(-EINVAL, val(in, "MB:0=2049\n", &e));
	assert_int_equal(-EINVAL, val(in, "L3:0=10000\n", &e));
	assert_int_equal(-EINVAL, val(in, "L3:4=f\n", &e));
	fx_free(f);

	f = fx_new(0, 1); /* CDP */
	in = hv_rc_info_get(f->rc);
	assert_int_equal(-EINVAL, val(in, "L3:0=3\n", &e));
	assert_non_null(strstr(e.msg, "CDP"));
	assert_int_equal(0, val(in, "L3CODE:0=3\nL3DATA:0=7fc\n", &e));
	fx_free(f);

	assert_true(hv_rc_name_ok("restricted"));
	assert_false(hv_rc_name_ok("info"));
	assert_false(hv_rc_name_ok("../x"));
	assert_false(hv_rc_name_ok("a/b"));
	assert_false(hv_rc_name_ok(""));
}

/* ---- monitoring through the enricher ---- */

static hv_snap *snap1(uint32_t id, int32_t tid0)
{
	hv_snap *s = hv_snap_new();
	hv_dom *d = hv_snap_add_dom(s);
	hv_vcpu *v;

	d->key = 0x1000 + id;
	d->id = id;
	snprintf(d->name, sizeof(d->name), "vm%u", id);
	v = hv_snap_vcpus(s, d, 2);
	v[0].tid = tid0;
	v[1].tid = tid0 + 1;
	d->nr_vcpu = 2;
	return s;
}

static void set3(fx *f, const char *g, unsigned dom, const char *occ,
                 const char *tot, const char *loc)
{
	assert_int_equal(0, rdtf_event(f->h, g, dom, "llc_occupancy", occ));
	assert_int_equal(0, rdtf_event(f->h, g, dom, "mbm_total_bytes", tot));
	assert_int_equal(0, rdtf_event(f->h, g, dom, "mbm_local_bytes", loc));
}

static void t_monitor(void **st)
{
	fx *f = fx_new(0, 0);
	const char *g = "mon_groups/hvkit-4242";
	hv_rdtmon *m = NULL;
	hv_err e = {0};
	hv_snap *s;
	const hv_dom *d;

	(void)st;
	/* the group the kernel would show after hv_rc_mon_start */
	assert_int_equal(0, hv_rc_mon_start(f->rc, "", 4242, 4242, &e));
	{
		char *t = rd(f, "mon_groups/hvkit-4242/tasks");
		assert_non_null(t);
		assert_non_null(strstr(t, "4242\n"));
		assert_non_null(strstr(t, "424201\n"));
		assert_non_null(strstr(t, "424202\n"));
		free(t);
	}
	assert_int_equal(-EEXIST, hv_rc_mon_start(f->rc, "", 4242, 4242, &e));
	set3(f, g, 0, "1048576\n", "1000\n", "600\n");
	set3(f, g, 1, "524288\n", "2000\n", "1400\n");
	assert_int_equal(0, hv_rdtmon_open(&f->env, &m, &e));
	assert_non_null(m);

	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_true(hv_ok(d->llc_bytes));
	assert_int_equal(1048576 + 524288, d->llc_bytes.v);
	assert_int_equal(3000, d->mbm_total_bytes.v);
	assert_int_equal(2000, d->mbm_local_bytes.v);
	assert_true(d->sources & HV_SRC_RDT);
	hv_snap_unref(s);

	/* traffic: +500 and +700 */
	set3(f, g, 0, "0000\n", "1500\n", "600\n");
	set3(f, g, 1, "1\n", "2700\n", "1400\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_int_equal(1, d->llc_bytes.v);
	assert_int_equal(4200, d->mbm_total_bytes.v);
	hv_snap_unref(s);

	/* domain 1's counter reset (AMD counter reassignment): the sum
	 * would have looked like +100 - 2600; it is marked instead */
	set3(f, g, 0, "5\n", "1600\n", "700\n");
	set3(f, g, 1, "5\n", "100\n", "1500\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_false(hv_ok(d->mbm_total_bytes));
	assert_int_equal(HV_NA_ERROR, d->mbm_total_bytes.why);
	assert_non_null(strstr(d->note, "reset"));
	assert_true(hv_ok(d->mbm_local_bytes)); /* local kept counting */
	assert_int_equal(2000 + 100 + 100, d->mbm_local_bytes.v);
	hv_snap_unref(s);

	/* continues from the new raw values; domain 0's bytes during the
	 * reset interval (+100) were real and stay counted */
	set3(f, g, 0, "5\n", "1700\n", "700\n");
	set3(f, g, 1, "5\n", "150\n", "1500\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_true(hv_ok(d->mbm_total_bytes));
	assert_int_equal(4200 + 100 + 100 + 50, d->mbm_total_bytes.v);
	hv_snap_unref(s);

	/* Unavailable and Error words */
	set3(f, g, 0, "Unavailable\n", "Error\n", "700\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_int_equal(HV_NA_UNAVAILABLE, d->llc_bytes.why);
	assert_int_equal(HV_NA_ERROR, d->mbm_total_bytes.why);
	assert_non_null(strstr(d->note, "Unavailable"));
	hv_snap_unref(s);

	/* a recycled pid whose threads are not in the group: untouched */
	s = snap1(4242, 9000);
	{
		hv_dom *dm = hv_snap_dom_mut(s, 0);
		dm->key = 0x9999;
		dm->id = 4242;
	}
	/* the group holds 4242 itself, so make the domain id differ */
	hv_snap_unref(s);
	s = snap1(4343, 9000);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_int_equal(HV_NA_UNSUPPORTED, d->llc_bytes.why);
	assert_false(d->sources & HV_SRC_RDT);
	hv_snap_unref(s);

	assert_int_equal(0, hv_rc_mon_stop(f->rc, "", 4242, &e));
	assert_false(exists(f, "mon_groups/hvkit-4242"));
	hv_rdtmon_close(m);
	fx_free(f);
}

static void t_monitor_amd(void **st)
{
	fx *f = fx_new(1, 0);
	hv_rdtmon *m = NULL;
	hv_err e = {0};
	hv_snap *s;
	const hv_dom *d;
	const char *g = "mon_groups/hvkit-4242";

	(void)st;
	assert_int_equal(0, hv_rc_mon_start(f->rc, "", 4242, 4242, &e));
	for (unsigned i = 0; i < 4; i++)
		set3(f, g, i, "1000\n", i == 2 ? "Unassigned\n" : "10\n",
		     "5\n");
	assert_int_equal(0, hv_rdtmon_open(&f->env, &m, &e));
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_int_equal(4000, d->llc_bytes.v); /* summed over 4 CCDs */
	assert_int_equal(HV_NA_UNAVAILABLE, d->mbm_total_bytes.why);
	assert_int_equal(20, d->mbm_local_bytes.v);
	hv_snap_unref(s);

	/* 64-bit values near the top parse exactly; a counter that passes
	 * 2^64 and starts again reads as a reset, never as huge traffic */
	set3(f, g, 0, "1000\n", "18446744073709551000\n", "5\n");
	set3(f, g, 2, "1000\n", "10\n", "5\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	/* a rise is what the kernel reports: taken as is */
	assert_true(hv_ok(d->mbm_total_bytes));
	hv_snap_unref(s);
	set3(f, g, 0, "1000\n", "200\n", "5\n");
	s = snap1(4242, 424201);
	hv_rdtmon_fill(m, s);
	d = hv_snap_dom(s, 0);
	assert_int_equal(HV_NA_ERROR, d->mbm_total_bytes.why);
	assert_non_null(strstr(d->note, "reset"));
	hv_snap_unref(s);
	hv_rdtmon_close(m);
	fx_free(f);
}

/* ---- allocation ---- */

static void t_class_set_undo(void **st)
{
	fx *f = fx_new(0, 0);
	hv_rc_undo *u = hv_rc_undo_new();
	hv_rc_schemata want, got;
	hv_err e = {0};
	char *text;

	(void)st;
	assert_int_equal(
	    0, hv_rc_schemata_parse("L3:0=3;1=3\nMB:0=20;1=20\n", &want, &e));
	assert_int_equal(0, hv_rc_class_set(f->rc, "restricted", &want, u, &e));
	assert_true(exists(f, "restricted"));
	assert_int_equal(0, hv_rc_schemata_read(f->rc, "restricted", &got, &e));
	assert_int_equal(3, hv_rc_schemata_find(&got, "L3")->val[1]);
	assert_int_equal(20, hv_rc_schemata_find(&got, "MB")->val[0]);
	/* change one value of the existing class; undo restores it */
	{
		hv_rc_undo *u2 = hv_rc_undo_new();
		hv_rc_schemata w2;
		assert_int_equal(0, hv_rc_schemata_parse("MB:1=50\n", &w2, &e));
		assert_int_equal(
		    0, hv_rc_class_set(f->rc, "restricted", &w2, u2, &e));
		assert_int_equal(
		    0, hv_rc_schemata_read(f->rc, "restricted", &got, &e));
		assert_int_equal(50, hv_rc_schemata_find(&got, "MB")->val[1]);
		assert_int_equal(3, hv_rc_schemata_find(&got, "L3")->val[0]);
		/* the record survives a save/load round trip */
		assert_int_equal(0, hv_rc_undo_save(u2, &text, &e));
		assert_non_null(
		    strstr(text, "schemata restricted MB:0=20;1=20"));
		hv_rc_undo_free(u2);
		assert_int_equal(0, hv_rc_undo_load(text, &u2, &e));
		free(text);
		assert_int_equal(0, hv_rc_undo_apply(f->rc, u2, &e));
		assert_int_equal(
		    0, hv_rc_schemata_read(f->rc, "restricted", &got, &e));
		assert_int_equal(20, hv_rc_schemata_find(&got, "MB")->val[1]);
		hv_rc_undo_free(u2);
	}
	/* a refused request writes nothing */
	{
		hv_rc_schemata bad;
		char *before = rd(f, "restricted/schemata"), *after;
		assert_int_equal(0, hv_rc_schemata_parse("L3:0=5\n", &bad, &e));
		assert_int_equal(
		    -EINVAL, hv_rc_class_set(f->rc, "restricted", &bad, u, &e));
		after = rd(f, "restricted/schemata");
		assert_string_equal(before, after);
		free(before);
		free(after);
		assert_int_equal(-EINVAL,
		                 hv_rc_class_set(f->rc, "big", &bad, u, &e));
		assert_false(exists(f, "big"));
	}
	assert_int_equal(0, hv_rc_undo_apply(f->rc, u, &e));
	assert_false(exists(f, "restricted"));
	hv_rc_undo_free(u);
	{
		hv_rc_undo *bad = NULL;
		assert_int_equal(-EINVAL,
		                 hv_rc_undo_load("rmdir /\n", &bad, &e));
		assert_int_equal(-EINVAL,
		                 hv_rc_undo_load("task x/../y 1\n", &bad, &e));
		assert_int_equal(-EINVAL,
		                 hv_rc_undo_load("frob a\n", &bad, &e));
	}
	fx_free(f);
}

static void t_exhaustion(void **st)
{
	fx *f = fx_new(0, 0);
	hv_rc_schemata want;
	hv_err e = {0};

	(void)st;
	assert_int_equal(0, hv_rc_schemata_parse("L3:0=3\n", &want, &e));
	/* MB has 8 CLOSIDs: the root plus 7 classes fill them */
	for (int i = 0; i < 7; i++) {
		char n[16];
		snprintf(n, sizeof(n), "c%d", i);
		assert_int_equal(0, hv_rc_class_set(f->rc, n, &want, NULL, &e));
	}
	assert_int_equal(-ENOSPC,
	                 hv_rc_class_set(f->rc, "c7", &want, NULL, &e));
	assert_non_null(strstr(e.msg, "CLOSID"));
	assert_false(exists(f, "c7"));
	fx_free(f);

	/* RMIDs: 64 on the AMD fixture, the root and 63 groups use them */
	f = fx_new(1, 0);
	for (int i = 0; i < 63; i++) {
		char n[64];
		snprintf(n, sizeof(n), "mon_groups/other%d", i);
		assert_int_equal(
		    0,
		    hvt_mkdir(f->h->sys, "fs/resctrl/mon_groups/x") ? -1 : 0);
		snprintf(n, sizeof(n), "fs/resctrl/mon_groups/other%d", i);
		assert_int_equal(0, hvt_mkdir(f->h->sys, n));
	}
	assert_int_equal(-ENOSPC, hv_rc_mon_start(f->rc, "", 4242, 4242, &e));
	assert_non_null(strstr(e.msg, "RMID"));
	assert_false(exists(f, "mon_groups/hvkit-4242"));
	fx_free(f);
}

static void t_assign_undo(void **st)
{
	fx *f = fx_new(0, 0);
	hv_rc_undo *u = hv_rc_undo_new();
	hv_rc_schemata want;
	hv_err e = {0};
	char *t;

	(void)st;
	assert_int_equal(0, hv_rc_mon_start(f->rc, "", 4242, 4242, &e));
	assert_int_equal(0, hv_rc_schemata_parse("L3:0=3;1=3\n", &want, &e));
	assert_int_equal(0, hv_rc_class_set(f->rc, "restricted", &want, u, &e));
	assert_int_equal(-ENOENT,
	                 hv_rc_assign_pid(f->rc, "nosuch", 4242, 4242, u, &e));
	assert_int_equal(-ESRCH,
	                 hv_rc_assign_pid(f->rc, "restricted", 77, 77, u, &e));
	assert_int_equal(
	    0, hv_rc_assign_pid(f->rc, "restricted", 4242, 4242, u, &e));
	t = rd(f, "restricted/tasks");
	assert_non_null(t);
	assert_non_null(strstr(t, "4242\n"));
	assert_non_null(strstr(t, "424202\n"));
	free(t);
	/* monitoring followed the domain */
	assert_true(exists(f, "restricted/mon_groups/hvkit-4242"));
	assert_false(exists(f, "mon_groups/hvkit-4242"));
	t = rd(f, "restricted/mon_groups/hvkit-4242/tasks");
	assert_non_null(strstr(t, "424201\n"));
	free(t);

	/* removing the class records everything; undo brings it back */
	{
		hv_rc_undo *u2 = hv_rc_undo_new();
		assert_int_equal(
		    0, hv_rc_class_remove(f->rc, "restricted", u2, &e));
		assert_false(exists(f, "restricted"));
		assert_int_equal(0, hv_rc_undo_apply(f->rc, u2, &e));
		assert_true(exists(f, "restricted/mon_groups/hvkit-4242"));
		t = rd(f, "restricted/tasks");
		assert_non_null(strstr(t, "424201\n"));
		free(t);
		hv_rc_undo_free(u2);
	}

	/* undo everything: tasks back to the root, the root's group back,
	 * the class gone */
	assert_int_equal(0, hv_rc_undo_apply(f->rc, u, &e));
	assert_false(exists(f, "restricted"));
	assert_true(exists(f, "mon_groups/hvkit-4242"));
	t = rd(f, "tasks");
	assert_non_null(strstr(t, "424202\n"));
	free(t);
	t = rd(f, "mon_groups/hvkit-4242/tasks");
	assert_non_null(strstr(t, "424202\n"));
	free(t);
	hv_rc_undo_free(u);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(t_not_mounted),
	    cmocka_unit_test(t_probe_intel),
	    cmocka_unit_test(t_probe_amd_cdp),
	    cmocka_unit_test(t_schemata_formats),
	    cmocka_unit_test(t_event_words),
	    cmocka_unit_test(t_validate),
	    cmocka_unit_test(t_monitor),
	    cmocka_unit_test(t_monitor_amd),
	    cmocka_unit_test(t_class_set_undo),
	    cmocka_unit_test(t_exhaustion),
	    cmocka_unit_test(t_assign_undo),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
