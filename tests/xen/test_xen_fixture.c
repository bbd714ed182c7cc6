/* Xen backend dom0 file readers and probe on a fixture tree: blkback
 * statistics (with and without flush/discard, garbage, a vif next to
 * them), /proc/net/dev, <procfs>/xen/capabilities and /dev/xen/privcmd. */
/* cmocka needs these first, in this order */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/backend.h"
#include "hv/env.h"
#include "hvtest.h"
#include "xen/xen_int.h"

static const char NETDEV[] =
    "Inter-|   Receive                                                |  "
    "Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed "
    "multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo:  1000      10    0    0    0     0          0         0 "
    " 1000      10    0    0    0     0       0          0\n"
    "vif1.0: 100 2 3 4 0 0 0 0 200 5 6 7 0 0 0 0\n";

static void test_files_fixture(void **st)
{
	char *root = hvt_tmpdir("xen");
	hv_env env = {0};
	hv_xen_vbd *arr = NULL;
	size_t cap = 0, n = 0;
	hv_xen_counts c = {0};
	char buf[4096];
	(void)st;
	assert_non_null(root);
	snprintf(env.sys, sizeof(env.sys), "%s/sys", root);
	snprintf(env.proc, sizeof(env.proc), "%s/proc", root);
	snprintf(env.dev, sizeof(env.dev), "%s/dev", root);
	env.redirected = 1;

	/* No xen-backend directory: no vbds, not an error. */
	assert_int_equal(hv_xen_read_vbds(&env, &arr, &cap, &n, &c), 0);
	assert_int_equal(n, 0);
	assert_int_equal(hv_xen_ops.probe(&env), 0);

	const char *d = "sys/bus/xen-backend/devices/vbd-2-51712/statistics";
	const char *f[] = {"oo_req", "rd_req",  "wr_req", "f_req",
	                   "ds_req", "rd_sect", "wr_sect"};
	for (int i = 0; i < 7; i++) {
		char p[256];
		snprintf(p, sizeof(p), "%s/%s", d, f[i]);
		assert_int_equal(hvt_write(root, p, "%d\n", i + 1), 0);
	}
	/* a second vbd without flush/discard files, a vif dir, and a vbd
	 * whose statistics are garbage */
	const char *d2 = "sys/bus/xen-backend/devices/vbd-2-51728/statistics";
	for (int i = 0; i < 7; i++) {
		char p[256];
		if (i == 3 || i == 4)
			continue;
		snprintf(p, sizeof(p), "%s/%s", d2, f[i]);
		assert_int_equal(hvt_write(root, p, "%d\n", 10 * i), 0);
	}
	assert_int_equal(hvt_mkdir(root, "sys/bus/xen-backend/devices/vif-2-0"),
	                 0);
	assert_int_equal(
	    hvt_write(root,
	              "sys/bus/xen-backend/devices/vbd-3-51712/statistics/"
	              "rd_req",
	              "junk\n"),
	    0);
	assert_int_equal(hv_xen_read_vbds(&env, &arr, &cap, &n, &c), 0);
	assert_int_equal(n, 3);
	int seen = 0;
	for (size_t i = 0; i < n; i++) {
		if (arr[i].domid == 2 && arr[i].dev == 51712) {
			seen++;
			assert_true(arr[i].ok);
			assert_int_equal(arr[i].oo, 1);
			assert_int_equal(arr[i].rd, 2);
			assert_int_equal(arr[i].wr, 3);
			assert_int_equal(arr[i].fl, 4);
			assert_int_equal(arr[i].ds, 5);
			assert_int_equal(arr[i].rsect, 6);
			assert_int_equal(arr[i].wsect, 7);
		} else if (arr[i].dev == 51728) {
			seen++;
			assert_true(arr[i].ok);
			assert_false(arr[i].have_fl);
			assert_false(arr[i].have_ds);
			assert_int_equal(arr[i].wsect, 60);
		} else {
			seen++;
			assert_int_equal(arr[i].domid, 3);
			assert_false(arr[i].ok);
		}
	}
	assert_int_equal(seen, 3);

	assert_int_equal(hvt_write(root, "proc/net/dev", "%s", NETDEV), 0);
	assert_int_equal(hv_xen_read_netdev(&env, buf, sizeof(buf)),
	                 (ssize_t)strlen(NETDEV));
	assert_string_equal(buf, NETDEV);
	/* a too-small buffer is filled to len-1 so the caller can grow it */
	assert_int_equal(hv_xen_read_netdev(&env, buf, 64), 63);

	/* probe: dom0 capabilities, then privcmd only */
	assert_int_equal(
	    hvt_write(root, "proc/xen/capabilities", "control_d\n"), 0);
	assert_true(hv_xen_ops.probe(&env) > 0);
	assert_int_equal(hvt_write(root, "proc/xen/capabilities", "\n"), 0);
	assert_int_equal(hv_xen_ops.probe(&env), 0);
	assert_int_equal(hvt_write(root, "dev/xen/privcmd", "%s", ""), 0);
	assert_true(hv_xen_ops.probe(&env) > 0);

	free(arr);
	hvt_rmtree(root);
	free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_files_fixture),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
