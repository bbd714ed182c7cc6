/* SPDX-License-Identifier: MIT */
/* xentop-ng command line and config file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "xt.h"

static int parse(xt_opts *o, const char *line)
{
	char buf[512], *argv[32];
	int argc = 0;
	snprintf(buf, sizeof(buf), "xentop-ng %s", line);
	for (char *save, *t = strtok_r(buf, " ", &save); t && argc < 31;
	     t = strtok_r(NULL, " ", &save))
		argv[argc++] = t;
	argv[argc] = NULL;
	xt_opts_default(o);
	FILE *null = fopen("/dev/null", "w");
	int rc = xt_opts_parse(o, argc, argv, null, null);
	fclose(null);
	return rc;
}

static void xentop_flags(void **state)
{
	(void)state;
	xt_opts o;
	assert_int_equal(parse(&o, "-b -d 0.5 -i 3 -v -n -x -r -f -z -p"), 0);
	assert_int_equal(o.mode, XT_BATCH);
	assert_true(o.delay_s == 0.5);
	assert_int_equal(o.iterations, 3);
	assert_true(o.vcpus && o.nets && o.vbds && o.repeat_header &&
	            o.full_name && o.dom0_first && o.pcpus);
	assert_int_equal(parse(&o, "--batch --delay=2 --iterations=1 --vcpus "
	                           "--networks --vbds --repeat-header "
	                           "--full-name --dom0-first --pcpus"),
	                 0);
	assert_true(o.delay_s == 2 && o.iterations == 1 && o.pcpus);
	assert_int_equal(parse(&o, ""), 0);
	assert_true(o.delay_s == 3.0); /* xentop's default */
	assert_int_equal(o.mode, XT_TUI);
	assert_int_equal(parse(&o, "-h"), 1);
	assert_int_equal(parse(&o, "-V"), 1);
	assert_int_equal(parse(&o, "--json -b"), 0);
	assert_int_equal(o.mode, XT_JSON);
	assert_int_equal(parse(&o, "--csv"), 0);
	assert_int_equal(o.mode, XT_CSV);
	assert_int_equal(parse(&o, "--sort=CPU(%) --reverse"), 0);
	assert_string_equal(o.sort, "cpu_pct");
	assert_true(o.reverse);
}

static void bad_flags(void **state)
{
	(void)state;
	xt_opts o;
	static const char *const bad[] = {
	    "-d 0",
	    "-d -1",
	    "-d abc",
	    "-d 1e9",
	    "-i x",
	    "-i -2",
	    "--bogus",
	    "-q",
	    "--sort=zz",
	    "extra-arg",
	    "--synth-domains=x",
	    "-d",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse(&o, bad[i]), -1);
	/* below 50 ms is raised to 50 ms */
	assert_int_equal(parse(&o, "-d 0.001"), 0);
	assert_true(o.delay_s == 0.05);
}

static void config(void **state)
{
	(void)state;
	char dir[] = "/tmp/xt-conf-XXXXXX", path[256], msg[300];
	assert_non_null(mkdtemp(dir));
	setenv("XDG_CONFIG_HOME", dir, 1);
	assert_int_equal(xt_config_path(path, sizeof(path)), 0);
	assert_non_null(strstr(path, "/hvkit/xentop-ng.conf"));
	xt_opts a, b;
	xt_opts_default(&a);
	/* absent file: defaults, no message */
	assert_int_equal(xt_config_load(&a, path, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	a.delay_s = 0.75;
	snprintf(a.sort, sizeof(a.sort), "mem");
	a.reverse = true;
	snprintf(a.columns, sizeof(a.columns), "name,cpu_pct,steal");
	a.vcpus = true;
	a.host_pct = true;
	a.heatmap = 2;
	assert_int_equal(xt_config_save(&a, path, msg, sizeof(msg)), 0);
	xt_opts_default(&b);
	assert_int_equal(xt_config_load(&b, path, msg, sizeof(msg)), 0);
	assert_true(b.delay_s == 0.75);
	assert_string_equal(b.sort, "mem");
	assert_true(b.reverse && b.vcpus && b.host_pct);
	assert_string_equal(b.columns, "name,cpu_pct,steal");
	assert_int_equal(b.heatmap, 2);
	/* bad lines are reported and ignored, good ones still apply */
	FILE *f = fopen(path, "w");
	fputs("# comment\n\ndelay = -3\nsort = nope\nwhat\nheatmap = 7\n"
	      "vbds = maybe\nnetworks = yes\n",
	      f);
	fclose(f);
	xt_opts_default(&b);
	assert_int_equal(xt_config_load(&b, path, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "bad setting"));
	assert_true(b.delay_s == 3.0);
	assert_string_equal(b.sort, "name");
	assert_int_equal(b.heatmap, 0);
	assert_true(b.nets);
	assert_false(b.vbds);
	unlink(path);
	char sub[300];
	snprintf(sub, sizeof(sub), "%s/hvkit", dir);
	rmdir(sub);
	rmdir(dir);
}

static void cells(void **state)
{
	(void)state;
	assert_int_equal(xt_digits1(0), 1);
	assert_int_equal(xt_digits1(8), 1);
	assert_int_equal(xt_digits1(9), 2); /* xentop: log10(9 + 1) + 1 */
	assert_int_equal(xt_digits1(99999999), 9);
	char s[7];
	hv_dom_state_str(HV_DS_BLOCKED | HV_DS_PAUSED, s);
	assert_string_equal(s, "--b-p-");
	hv_dom_state_str(0, s);
	assert_string_equal(s, "------");
	/* a KVM guest powered off inside a live QEMU: shut down, as Xen's */
	hv_dom_state_str(HV_DS_SHUTOFF, s);
	assert_string_equal(s, "-s----");
	char h[16];
	hv_fmt_human(1536, h, sizeof(h));
	assert_string_equal(h, "1.5K");
	hv_fmt_human(999, h, sizeof(h));
	assert_string_equal(h, "999");
	hv_fmt_human(0.0 / 0.0, h, sizeof(h));
	assert_string_equal(h, "-");
	assert_int_equal(xt_col_find("NETTX(k)"), xt_col_find("nettx"));
	assert_int_equal(xt_col_find("nope"), -1);
	/* xentop's 19 columns come first, in xentop's order */
	static const char *const hdr[] = {
	    "NAME",     "STATE",     "CPU(sec)",  "CPU(%)", "MEM(k)",
	    "MEM(%)",   "MAXMEM(k)", "MAXMEM(%)", "VCPUS",  "NETS",
	    "NETTX(k)", "NETRX(k)",  "VBDS",      "VBD_OO", "VBD_RD",
	    "VBD_WR",   "VBD_RSECT", "VBD_WSECT", "SSID"};
	for (int i = 0; i < 19; i++) {
		assert_string_equal(xt_col_header(&xt_cols[i]), hdr[i]);
		assert_true(xt_cols[i].flags & XT_COL_XENTOP);
	}
}

/* Every registry row with a screen format is a column, once, and column
 * ids and headers are unique (config files and --sort name them). */
static void registry_columns(void **state)
{
	(void)state;
	size_t n;
	const hv_field *t = hv_fields(HV_REC_DOM, &n);
	for (size_t i = 0; i < n; i++) {
		if (t[i].fmt == HV_FMT_NONE)
			continue;
		int uses = 0;
		for (size_t k = 0; k < xt_ncols; k++)
			uses += xt_cols[k].f == &t[i];
		if (uses != 1)
			fail_msg("registry row %s: %d columns", t[i].name,
			         uses);
		assert_non_null(t[i].col);
		assert_non_null(t[i].header);
		assert_true(t[i].width > 0);
	}
	for (size_t i = 0; i < xt_ncols; i++)
		for (size_t k = i + 1; k < xt_ncols; k++) {
			assert_string_not_equal(xt_col_name(&xt_cols[i]),
			                        xt_col_name(&xt_cols[k]));
			assert_string_not_equal(xt_col_header(&xt_cols[i]),
			                        xt_col_header(&xt_cols[k]));
		}
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(xentop_flags),     cmocka_unit_test(bad_flags),
	    cmocka_unit_test(config),           cmocka_unit_test(cells),
	    cmocka_unit_test(registry_columns),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
