/* SPDX-License-Identifier: MIT */
/* hv_cfg: the table-driven reader behind hv-powerd's, hv-webd's and
 * xentop-ng's config files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "hv/cfg.h"

typedef struct conf {
	bool on;
	double t, x;
	unsigned n;
	char w[8], txt[32];
	int e;
} conf;

static const char *const modes[] = {"a", "b", "c", NULL};
#define O(f) offsetof(conf, f)
static const hv_cfg_key one[] = {
    {"s", "on", HV_CFG_BOOL, O(on), 0, 0, "yes", "h", NULL, NULL},
    {"s", "t", HV_CFG_SECS, O(t), 0, 7200, "1m", "h", NULL, NULL},
    {"s", "n", HV_CFG_UINT, O(n), 1, 9, "3", "h", NULL, NULL},
    {0},
};
static const hv_cfg_key two[] = {
    {"u", "w", HV_CFG_WORD, O(w), 0, 8, "ab-c", "h", NULL, NULL},
    {"u", "txt", HV_CFG_TEXT, O(txt), 0, 32, NULL, "h", NULL, NULL},
    {"u", "e", HV_CFG_ENUM, O(e), 0, 0, "b", "h", modes, NULL},
    {"u", "x", HV_CFG_NUM, O(x), -1, 1, NULL, "h", NULL, NULL},
    {0},
};
static const hv_cfg_key *const tabs[] = {one, two, NULL};
static const hv_cfg_spec strict = {tabs, HV_CFG_SECTIONS | HV_CFG_ONCE};

static void defaults_and_lines(void **st)
{
	(void)st;
	conf c = {0};
	hv_err e = {0};
	hv_cfg_lines *l = NULL;

	assert_int_equal(hv_cfg_defaults(&strict, &c, &e), 0);
	assert_true(c.on && c.t == 60 && c.n == 3 && c.e == 1);
	assert_string_equal(c.w, "ab-c");
	assert_int_equal(hv_cfg_parse(&strict, "f",
	                              "; x\n[u]\ntxt = p#q # c\n"
	                              "e = c\n[s]\nt = 2h\n",
	                              &c, sizeof(c), &l, &e),
	                 0);
	assert_string_equal(c.txt, "p#q");
	assert_true(c.e == 2 && c.t == 7200);
	assert_int_equal(hv_cfg_line(l, "u", "e"), 4);
	assert_int_equal(hv_cfg_line(l, "s", "n"), 0);
	hv_cfg_lines_free(l);
	assert_non_null(hv_cfg_key_at(&strict, 6));
	assert_null(hv_cfg_key_at(&strict, 7));
}

static void bad(const char *text, const char *msg)
{
	conf c = {0};
	hv_err e = {0};

	c.n = 42;
	assert_int_equal(
	    hv_cfg_parse(&strict, "f", text, &c, sizeof(c), NULL, &e), -EINVAL);
	if (strcmp(e.msg, msg))
		fail_msg("'%s' != '%s'", e.msg, msg);
	assert_int_equal(c.n, 42); /* the whole file or nothing */
}

static void errors(void **st)
{
	(void)st;
	bad("[s]\nn = 2\n[v]\n", "f:3: unknown section [v] (known: s, u)");
	bad("[u]\ne = d\n", "f:2: e: expected 'a', 'b' or 'c', got 'd'");
	bad("[s]\nn = 2\nn = 3\n", "f:3: 'n' already set on line 2");
	bad("[s]\nn = 10\n", "f:2: n: 10 out of range [1, 9]");
	bad("[u]\nw = a b\n",
	    "f:2: w: 'a b': only letters, digits, '_' and '-' allowed");
	bad("n = 1\n", "f:1: 'n' outside any [section]");
	bad("[s]\nn\n", "f:2: expected 'key = value' or '[section]', got 'n'");
	bad("[s]\non =\n", "f:2: 'on' has no value");
	bad("[s\n", "f:1: malformed section header '[s'");
}

static void lenient(void **st)
{
	(void)st;
	static const hv_cfg_key flat[] = {
	    {"", "n", HV_CFG_UINT, O(n), 1, 9, NULL, "h", NULL, NULL},
	    {"", "on", HV_CFG_BOOL, O(on), 0, 0, NULL, "h", NULL, NULL},
	    {0},
	};
	static const hv_cfg_key *const t[] = {flat, NULL};
	static const hv_cfg_spec s = {t, HV_CFG_LENIENT};
	conf c = {0};
	hv_err e = {0};
	hv_cfg_lines *l = NULL;

	assert_int_equal(hv_cfg_parse(&s, "g",
	                              "n = 0\nx\non = yes\nn = 4\n"
	                              "what = 1\n",
	                              &c, sizeof(c), &l, &e),
	                 3);
	assert_true(c.on && c.n == 4);
	assert_int_equal(hv_cfg_last_bad(l), 5);
	assert_string_equal(e.msg, "g:5: unknown key 'what'");
	hv_cfg_lines_free(l);
	assert_int_equal(hv_cfg_set(&s, &c, "", "n", "7", &e), 0);
	assert_int_equal(hv_cfg_set(&s, &c, "", "n", "70", &e), -EINVAL);
	assert_string_equal(e.msg, "n: 70 out of range [1, 9]");
	assert_int_equal(
	    hv_cfg_load(&s, "/nonexistent/c", &c, sizeof(c), NULL, &e),
	    -ENOENT);
}

int main(void)
{
	const struct CMUnitTest t[] = {
	    cmocka_unit_test(defaults_and_lines),
	    cmocka_unit_test(errors),
	    cmocka_unit_test(lenient),
	};
	return cmocka_run_group_tests(t, NULL, NULL);
}
