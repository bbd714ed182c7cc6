/* SPDX-License-Identifier: MIT */
/* snapjson round trip and the replay backend. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "hv/backend.h"
#include "hv/snapjson.h"

/* A snapshot that exercises every field kind: big counters (> 2^53),
 * missing values with and without v, negative ints, affinity words,
 * P/C-states, RAPL, hw counter names. */
static hv_snap *make(uint64_t mono, int64_t wall, unsigned ndom)
{
	hv_snap *s = hv_snap_new();
	assert_non_null(s);
	hv_host *h = hv_snap_host_mut(s);
	snprintf(h->hostname, sizeof(h->hostname), "host \"quoted\" \\ é");
	snprintf(h->backend, sizeof(h->backend), "kvm");
	h->uptime_ns = hv_val(UINT64_C(18446744073709551000));
	h->mem_total_kib = hv_val(64ull << 20);
	h->mem_free_kib = hv_na(HV_NA_STALE);
	h->mem_free_kib.v = 42;
	h->cpu_khz = 2400000;
	h->nr_hw = 2;
	snprintf(h->hw_name[0], HV_HW_NAME_LEN, "instructions");
	snprintf(h->hw_name[1], HV_HW_NAME_LEN, "cycles");
	hv_pcpu *p = hv_snap_pcpus(s, 70);
	assert_non_null(p);
	for (int i = 0; i < 70; i++) {
		p[i].online = i == 3 ? 0 : 1;
		p[i].busy_ns = hv_val((uint64_t)i * 1000000007ull);
		p[i].cur_khz = hv_val(1200000 + (uint64_t)i);
		p[i].nr_cstate = 2;
		snprintf(p[i].cstate[1].name, 16, "C6");
		p[i].cstate[1].time_ns = hv_val(123);
		p[i].cstate[1].latency_us = 133;
		p[i].nr_pstate = 1;
		p[i].pstate[0].khz = 3000000;
		p[i].pstate[0].time_ns = hv_na(HV_NA_NOTYET);
	}
	hv_rapl *r = hv_snap_rapls(s, 1);
	snprintf(r->name, sizeof(r->name), "package-0");
	r->pkg = 0;
	r->energy_uj = hv_val(262143328850ull);
	r->max_range_uj = 262143328850ull;
	for (unsigned i = 0; i < ndom; i++) {
		hv_dom *d = hv_snap_add_dom(s);
		assert_non_null(d);
		d->key = UINT64_C(0xfedcba9876543210) + i;
		d->id = 1000 + i;
		snprintf(d->name, sizeof(d->name), "vm-%u", i);
		snprintf(d->uuid, sizeof(d->uuid),
		         "00000000-0000-0000-0000-%012u", i);
		d->state = HV_DS_RUNNING;
		d->cpu_ns = hv_val(mono / 2 + i);
		d->mem_kib = hv_val(1 << 20);
		d->maxmem_kib = hv_val(UINT64_MAX);
		d->nr_vcpus = 2;
		d->stale = i ? 0 : HV_SRC_QMP;
		snprintf(d->note, sizeof(d->note), "qmp: deadline missed");
		hv_vcpu *v = hv_snap_vcpus(s, d, 2);
		v[0].time_ns = hv_val(mono / 4);
		v[0].wait_ns = hv_val(7);
		v[0].pcpu = -1;
		v[1].online = 0;
		v[1].hw[0] = hv_val(1ull << 60);
		uint64_t *aff = hv_snap_alloc(s, 2 * sizeof(uint64_t));
		aff[0] = UINT64_MAX;
		aff[1] = 0x3f;
		v[1].affinity = aff;
		hv_net *n = hv_snap_nets(s, d, 1);
		snprintf(n->name, sizeof(n->name), "tap%u", i);
		n->rx_bytes = hv_val(mono);
		hv_blk *b = hv_snap_blks(s, d, 1);
		snprintf(b->name, sizeof(b->name), "drive-virtio-disk0");
		b->rd_reqs = hv_val(i);
		b->rd_bytes = hv_val(i * 512ull);
	}
	hv_snap_set_time(s, mono, wall, 1234);
	return s;
}

static void round_trip(void **state)
{
	(void)state;
	hv_err e = {0};
	hv_snap *a = make(5000000000ull, -5, 3);
	char *ta = NULL, *tb = NULL;
	assert_int_equal(hv_snapjson_write(a, &ta, &e), 0);
	assert_null(strchr(ta, '\n'));
	hv_snap *b = NULL;
	assert_int_equal(hv_snapjson_parse(ta, strlen(ta), &b, &e), 0);
	assert_int_equal(hv_snap_seal(b, &e), 0);
	assert_int_equal(hv_snapjson_write(b, &tb, &e), 0);
	assert_string_equal(ta, tb);
	/* spot checks on the parsed model */
	assert_int_equal(hv_snap_mono_ns(b), 5000000000ull);
	assert_int_equal(hv_snap_wall_ns(b), -5);
	const hv_host *h = hv_snap_host(b);
	assert_true(h->uptime_ns.v == UINT64_C(18446744073709551000));
	assert_int_equal(h->mem_free_kib.why, HV_NA_STALE);
	assert_int_equal(h->mem_free_kib.v, 42);
	assert_int_equal(h->nr_pcpu, 70);
	assert_int_equal(h->pcpu[3].online, 0);
	assert_string_equal(h->pcpu[5].cstate[1].name, "C6");
	assert_int_equal(hv_snap_ndom(b), 3);
	const hv_dom *d = hv_snap_find_key(b, UINT64_C(0xfedcba9876543211));
	assert_non_null(d);
	assert_string_equal(d->name, "vm-1");
	assert_true(d->maxmem_kib.v == UINT64_MAX);
	assert_int_equal(d->target_kib.why, HV_NA_UNSUPPORTED);
	assert_int_equal(d->vcpu[0].pcpu, -1);
	assert_true(d->vcpu[1].hw[0].v == 1ull << 60);
	assert_non_null(d->vcpu[1].affinity);
	assert_true(d->vcpu[1].affinity[0] == UINT64_MAX);
	assert_null(d->vcpu[0].affinity);
	free(ta);
	free(tb);
	hv_snap_unref(a);
	hv_snap_unref(b);
}

static void bad_input(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "",
	    "{",
	    "[]",
	    "{\"schema\":\"hvkit.snap/2\"}",
	    "{\"schema\":\"hvkit.snap/1\"}",
	    "{\"schema\":\"hvkit.snap/1\",\"mono_ns\":-1,\"wall_ns\":0,"
	    "\"cost_ns\":0}",
	    "{\"schema\":\"hvkit.snap/1\",\"mono_ns\":1,\"wall_ns\":0,"
	    "\"cost_ns\":0,\"host\":{}}",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		hv_err e = {0};
		hv_snap *s = NULL;
		assert_true(hv_snapjson_parse(bad[i], strlen(bad[i]), &s, &e) <
		            0);
		assert_null(s);
		assert_true(e.msg[0] != 0);
	}
	/* A valid line with one field corrupted in several ways. */
	hv_err e = {0};
	hv_snap *a = make(1000, 1, 1);
	char *t = NULL;
	assert_int_equal(hv_snapjson_write(a, &t, &e), 0);
	static const char *const subs[][2] = {
	    {"\"id\":1000", "\"id\":-1000"},
	    {"\"id\":1000", "\"id\":99999999999"},
	    {"\"id\":1000", "\"id\":1.5"},
	    {"\"state\":32", "\"state\":\"x\""},
	    {"\"name\":\"vm-0\"", "\"name\":7"},
	    {"\"rx_bytes\":1000", "\"rx_bytes\":\"bogus\""},
	    {"\"affinity\":[\"ffffffffffffffff\",\"3f\"]",
	     "\"affinity\":[\"zz\",\"3f\"]"},
	    {"\"hw_name\":[", "\"hw_nameX\":["},
	};
	for (size_t i = 0; i < sizeof(subs) / sizeof(subs[0]); i++) {
		char *p = strstr(t, subs[i][0]);
		assert_non_null(p);
		size_t la = strlen(subs[i][0]), lb = strlen(subs[i][1]);
		char *m = malloc(strlen(t) + lb + 1);
		memcpy(m, t, (size_t)(p - t));
		memcpy(m + (p - t), subs[i][1], lb);
		strcpy(m + (p - t) + lb, p + la);
		hv_snap *s = NULL;
		assert_true(hv_snapjson_parse(m, strlen(m), &s, &e) < 0);
		free(m);
	}
	free(t);
	hv_snap_unref(a);
}

static void replay_backend(void **state)
{
	(void)state;
	char path[] = "/tmp/hvkit-replay-XXXXXX";
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	FILE *f = fdopen(fd, "w");
	hv_err e = {0};
	for (int i = 0; i < 3; i++) {
		hv_snap *s =
		    make(1000000000ull * (i + 1), 1700000000000000000ll, 2);
		assert_int_equal(hv_snap_seal(s, &e), 0);
		assert_int_equal(hv_snapjson_fwrite(s, f, &e), 0);
		if (i == 0)
			fputs("\n", f); /* blank lines are skipped */
		hv_snap_unref(s);
	}
	fclose(f);
	hv_env env;
	assert_int_equal(hv_env_init(&env, &e), 0);
	hv_backend_opts o = {.name = "replay", .replay_path = path};
	hv_backend *b = NULL;
	assert_int_equal(hv_backend_open(&env, &o, &b, &e), 0);
	for (int i = 0; i < 3; i++) {
		hv_snap *s = NULL;
		assert_int_equal(hv_backend_sample(b, &s, &e), 0);
		/* recorded timestamps, not the time of replay */
		assert_int_equal(hv_snap_mono_ns(s), 1000000000ull * (i + 1));
		assert_int_equal(hv_snap_ndom(s), 2);
		hv_snap_unref(s);
	}
	hv_snap *s = NULL;
	assert_int_equal(hv_backend_sample(b, &s, &e), -ENODATA);
	assert_non_null(strstr(e.msg, "end of recording"));
	char v[8];
	assert_true(hv_knob_get(b, "cpu/0/online", v, sizeof(v), &e) < 0);
	assert_true(hv_knob_set(b, "cpu/0/online", "0", NULL, &e) < 0);
	hv_backend_close(b);
	unlink(path);
	/* missing file: clear error */
	o.replay_path = "/nonexistent/rec.jsonl";
	assert_true(hv_backend_open(&env, &o, &b, &e) < 0);
	assert_non_null(strstr(e.msg, "/nonexistent/rec.jsonl"));
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(round_trip),
	    cmocka_unit_test(bad_input),
	    cmocka_unit_test(replay_backend),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
