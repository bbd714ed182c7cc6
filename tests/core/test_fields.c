/* SPDX-License-Identifier: MIT */
/* The field registry's rules, so a new row cannot break an output: names
 * unique per table, every shown row named for its output, Prometheus
 * families well formed, positions unique, values read from the right
 * member. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>

#include "hv/fields.h"

static void rules(void **state)
{
	(void)state;
	for (int rec = 0; rec < HV_REC__N; rec++) {
		size_t n;
		const hv_field *t = hv_fields((hv_rec)rec, &n);
		assert_non_null(t);
		for (size_t i = 0; i < n; i++) {
			const hv_field *f = &t[i];
			assert_non_null(f->name);
			for (size_t k = i + 1; k < n; k++)
				if (!strcmp(f->name, t[k].name))
					fail_msg("%d: %s twice", rec, f->name);
			if (f->type == HV_FT_CHILD)
				continue;
			assert_non_null(f->help);
			if (f->views & (HV_FV_API | HV_FV_API_DETAIL))
				assert_non_null(f->api);
			if (f->views & HV_FV_PROM) {
				assert_non_null(f->prom);
				assert_true(!strncmp(f->prom, "hv_", 3));
				size_t l = strlen(f->prom);
				/* suffixes are added from the kind */
				assert_false(l > 6 && !strcmp(f->prom + l - 6,
				                              "_total"));
				if (f->kind == HV_FK_INFO)
					assert_non_null(f->prom_label);
			}
			if (f->fmt != HV_FMT_NONE) {
				assert_non_null(f->header);
				assert_non_null(f->tip);
			}
			for (size_t k = i + 1; k < n; k++) {
				if (f->api_pos && f->api_pos == t[k].api_pos)
					fail_msg("%s/%s: same api_pos", f->name,
					         t[k].name);
				/* a family's rows may share nothing else */
				if (f->prom_pos && f->prom_pos == t[k].prom_pos)
					fail_msg("%s/%s: same prom_pos",
					         f->name, t[k].name);
			}
		}
	}
}

static void values(void **state)
{
	(void)state;
	hv_dom d = {.id = 7, .nr_vcpus = 2, .stale = 4, .state = HV_DS_SHUTOFF};
	d.cpu_ns = hv_val(2500000000u);
	d.mem_kib = hv_na(HV_NA_STALE);
	snprintf(d.name, sizeof(d.name), "web");
	hv_dom_rate r = {.cpu_pct = 12.5};
	const hv_field *f = hv_dom_fields;
	char b[32];
	assert_int_equal(hv_field_u64(&f[HV_D_ID], &d).v, 7);
	assert_true(hv_field_u64(&f[HV_D_STALE], &d).v == 1);
	assert_false(hv_ok(hv_field_u64(&f[HV_D_MEM], &d)));
	assert_true(hv_field_base(&f[HV_D_CPU_TIME], &d, &r) == 2.5);
	assert_true(isnan(hv_field_base(&f[HV_D_MEM], &d, &r)));
	assert_true(hv_field_rate(&f[HV_D_CPU_PCT], &r) == 12.5);
	assert_true(isnan(hv_field_rate(&f[HV_D_CPU_PCT], NULL)));
	assert_string_equal(hv_field_str(&f[HV_D_NAME], &d, b, sizeof(b)),
	                    "web");
	assert_string_equal(hv_field_str(&f[HV_D_STATE], &d, b, sizeof(b)),
	                    "-s----");
	assert_int_equal(hv_field_fmt(&f[HV_D_CPU_TIME], &d, &r, b, sizeof(b)),
	                 1);
	assert_string_equal(b, "2");
	assert_int_equal(hv_field_fmt(&f[HV_D_MEM], &d, &r, b, sizeof(b)), 0);
	/* views: placed rows first, by position */
	const hv_field *v[64];
	size_t n = hv_fields_view(HV_REC_DOM, HV_FV_PROM, v, 64);
	assert_true(n > 3);
	assert_ptr_equal(v[0], &f[HV_D_ID]);
	assert_ptr_equal(v[1], &f[HV_D_STATE]);
	assert_ptr_equal(v[n - 1], &f[HV_D_STALE]);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(rules),
	    cmocka_unit_test(values),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
