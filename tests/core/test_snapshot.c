/* Snapshot arena, hashed lookups at scale, duplicate keys. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>

#include "hv/sample.h"

static void test_lookup(void **st)
{
	hv_err e;
	hv_snap *s = hv_snap_new();
	(void)st;
	for (uint32_t i = 0; i < 5000; i++) {
		hv_dom *d = hv_snap_add_dom(s);
		d->key = 0xabc00000ULL * (i + 1);
		d->id = i * 3;
		snprintf(d->name, sizeof(d->name), "dom%u", i);
		assert_int_equal(d->cpu_ns.why, HV_NA_UNSUPPORTED);
		assert_non_null(hv_snap_vcpus(s, d, 4));
	}
	/* one added and dropped: it vanished mid-sample */
	hv_snap_add_dom(s)->key = 1;
	hv_snap_drop_last(s);
	assert_int_equal(hv_snap_seal(s, &e), 0);
	assert_int_equal(hv_snap_ndom(s), 5000);
	for (uint32_t i = 0; i < 5000; i += 7) {
		const hv_dom *d = hv_snap_find_id(s, i * 3);
		assert_non_null(d);
		assert_ptr_equal(hv_snap_find_key(s, 0xabc00000ULL * (i + 1)),
		                 d);
		assert_int_equal(hv_snap_index(s, d), i);
	}
	assert_null(hv_snap_find_key(s, 1));
	assert_null(hv_snap_find_id(s, 1));
	/* refcounting */
	hv_snap *r = hv_snap_ref(s);
	hv_snap_unref(s);
	assert_int_equal(hv_snap_ndom(r), 5000);
	hv_snap_unref(r);
	hv_snap_unref(NULL);
}

static void test_dupkey(void **st)
{
	hv_err e = {0};
	hv_snap *s = hv_snap_new();
	(void)st;
	hv_snap_add_dom(s)->key = 5;
	hv_snap_add_dom(s)->key = 5;
	assert_int_equal(hv_snap_seal(s, &e), -EEXIST);
	assert_int_equal(e.code, EEXIST);
	hv_snap_unref(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_lookup),
	    cmocka_unit_test(test_dupkey),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
