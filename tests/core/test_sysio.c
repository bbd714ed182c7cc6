/* Strict parsers and name sanitising. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "hv/env.h"
#include "hv/sysio.h"

static void test_parse(void **st)
{
	uint64_t v;
	(void)st;
	assert_int_equal(hv_parse_u64("123\n", &v), 0);
	assert_int_equal(v, 123);
	assert_int_equal(hv_parse_u64(" 7 ", &v), 0);
	assert_int_equal(hv_parse_u64("", &v), -EINVAL);
	assert_int_equal(hv_parse_u64("12a4", &v), -EINVAL);
	assert_int_equal(hv_parse_u64("-1", &v), -EINVAL);
	assert_int_equal(hv_parse_u64("Unavailable", &v), -EINVAL);
	assert_int_equal(hv_parse_u64("99999999999999999999999", &v), -EINVAL);
	assert_int_equal(hv_parse_hex64("000ff0\n", &v), 0);
	assert_int_equal(v, 0xff0);
	assert_int_equal(hv_parse_hex64("zz", &v), -EINVAL);
}

static void test_cpulist(void **st)
{
	uint64_t b[2];
	(void)st;
	assert_int_equal(hv_parse_cpulist("0-3,8,10-11\n", b, 128), 0);
	assert_int_equal(b[0], 0xf | 0x100 | 0xc00);
	assert_int_equal(hv_parse_cpulist("64", b, 128), 0);
	assert_int_equal(b[1], 1);
	assert_int_equal(hv_parse_cpulist("3-1", b, 128), -ERANGE);
	assert_int_equal(hv_parse_cpulist("0-200", b, 128), -ERANGE);
	assert_int_equal(hv_parse_cpulist("x", b, 128), -EINVAL);
}

static void test_sanitize(void **st)
{
	char out[16];
	(void)st;
	hv_sanitize_name(out, sizeof(out), "web\x1b[31m", 8);
	assert_string_equal(out, "web?[31m");
	/* RLO bidi override */
	hv_sanitize_name(out, sizeof(out),
	                 "a\xe2\x80\xae"
	                 "b",
	                 5);
	assert_string_equal(out, "a?b");
	/* never split a UTF-8 character: "ééééééé…" (2 bytes each) */
	hv_sanitize_name(out, 6, "\xc3\xa9\xc3\xa9\xc3\xa9", 6);
	assert_string_equal(out, "\xc3\xa9\xc3\xa9");
	hv_sanitize_name(out, sizeof(out), "\xff\xfe ok", 5);
	assert_string_equal(out, "?? ok");
}

static void test_files(void **st)
{
	char dir[] = "/tmp/hvsysioXXXXXX", path[256], buf[32];
	uint64_t v;
	hv_err e = {0};
	hv_env env;
	(void)st;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/epp", dir);
	FILE *f = fopen(path, "w");
	fputs("balance_performance \n", f); /* EPP has a trailing space */
	fclose(f);
	assert_int_equal(hv_read_str(path, buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "balance_performance");
	assert_int_equal(hv_read_u64(path, &v, &e), -EINVAL);
	assert_non_null(strstr(e.msg, path));
	assert_int_equal(hv_write_str(path, "power", &e), 0);
	assert_int_equal(hv_read_str(path, buf, sizeof(buf), &e), 0);
	assert_string_equal(buf, "power");
	unlink(path);
	assert_int_equal(hv_read_u64(path, &v, &e), -ENOENT);
	rmdir(dir);
	setenv("HVKIT_SYSFS", "/tmp/fx/", 1);
	assert_int_equal(hv_env_init(&env, &e), 0);
	assert_int_equal(hv_env_path(&env, HV_ROOT_SYS, path, sizeof(path),
	                             "devices/system/cpu/cpu%u/online", 3),
	                 0);
	assert_string_equal(path, "/tmp/fx/devices/system/cpu/cpu3/online");
	assert_true(env.redirected);
	unsetenv("HVKIT_SYSFS");
}

/* A file that refuses pread (ESPIPE), as debugfs kvm/PID-FD/ counters do
 * (nonseekable_open): a pipe, opened again through /proc/self/fd, stands in
 * for one. hv_read_file reads it; hv_pread_all on it says ESPIPE. */
static void test_nonseekable(void **st)
{
	char path[64], buf[32];
	uint64_t v;
	int p[2];
	(void)st;
	assert_int_equal(pipe(p), 0);
	assert_int_equal(write(p[1], "2715\n", 5), 5);
	close(p[1]); /* EOF after the value */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", p[0]);
	assert_int_equal(hv_read_u64(path, &v, NULL), 0);
	assert_int_equal(v, 2715);
	assert_int_equal(hv_pread_all(p[0], buf, sizeof(buf), "pipe", NULL),
	                 -ESPIPE);
	close(p[0]);
}

/* The soft fd limit is raised to the hard one (for the kvm fd cache), and
 * an already raised one is left as it is. */
static void test_raise_nofile(void **st)
{
	struct rlimit rl, low;
	(void)st;

	assert_int_equal(0, getrlimit(RLIMIT_NOFILE, &rl));
	if (rl.rlim_max == RLIM_INFINITY || rl.rlim_max < 64)
		skip();
	low = (struct rlimit){.rlim_cur = 32, .rlim_max = rl.rlim_max};
	assert_int_equal(0, setrlimit(RLIMIT_NOFILE, &low));
	assert_int_equal(rl.rlim_max, hv_env_raise_nofile());
	assert_int_equal(0, getrlimit(RLIMIT_NOFILE, &low));
	assert_int_equal(rl.rlim_max, low.rlim_cur);
	assert_int_equal(rl.rlim_max, hv_env_raise_nofile());
	assert_int_equal(0, setrlimit(RLIMIT_NOFILE, &rl));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_cpulist),
	    cmocka_unit_test(test_sanitize),
	    cmocka_unit_test(test_files),
	    cmocka_unit_test(test_raise_nofile),
	    cmocka_unit_test(test_nonseekable),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
