/* Xen backend pure parts and the domain builder on a mocked data source:
 * state flags, keys, refusal reasons, /proc/net/dev and vbd parsing, name
 * cache and sanitising, domid reuse, a domain vanishing mid-sample, and the
 * dom0 file readers on a fixture tree. No Xen needed. */
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

#include "hv/backend.h"
#include "hv/env.h"
#include "hv/sample.h"
#include "hvtest.h"
#include "xen/xen_int.h"

static void test_state(void **st)
{
	(void)st;
	assert_int_equal(hv_xen_state(0), 0);
	assert_int_equal(hv_xen_state(HV_XEN_DOMINF_RUNNING), HV_DS_RUNNING);
	assert_int_equal(
	    hv_xen_state(HV_XEN_DOMINF_BLOCKED | HV_XEN_DOMINF_PAUSED),
	    HV_DS_BLOCKED | HV_DS_PAUSED);
	assert_int_equal(hv_xen_state(HV_XEN_DOMINF_DYING), HV_DS_DYING);
	/* shutdown with reason poweroff (0) vs crash (3) */
	assert_int_equal(hv_xen_state(HV_XEN_DOMINF_SHUTDOWN), HV_DS_SHUTDOWN);
	assert_int_equal(hv_xen_state(HV_XEN_DOMINF_SHUTDOWN |
	                              (3u << HV_XEN_DOMINF_SHUTDOWNSHIFT)),
	                 HV_DS_CRASHED);
	/* a crash reason without the shutdown flag is not a crash */
	assert_int_equal(hv_xen_state(3u << HV_XEN_DOMINF_SHUTDOWNSHIFT), 0);
	/* hvm, debugged, hap bits carry no state */
	assert_int_equal(
	    hv_xen_state(HV_XEN_DOMINF_HVM | (1u << 6) | (1u << 8)), 0);
}

static void test_key_uuid(void **st)
{
	uint8_t h0[16] = {0}, h1[16], h2[16];
	char u[HV_UUID_LEN];
	(void)st;
	for (int i = 0; i < 16; i++) {
		h1[i] = (uint8_t)(i * 17);
		h2[i] = (uint8_t)(i * 17);
	}
	h2[15] ^= 1;
	assert_int_equal(hv_xen_key(5, h1, 0), hv_xen_key(5, h1, 0));
	assert_int_equal(hv_xen_key(5, h1, 0) & 0xffff, 5);
	assert_int_not_equal(hv_xen_key(5, h1, 0), hv_xen_key(5, h2, 0));
	assert_int_not_equal(hv_xen_key(5, h1, 0), hv_xen_key(5, h1, 1));
	assert_int_not_equal(hv_xen_key(0, h0, 0), 0);
	assert_int_not_equal(hv_xen_key(0, h0, 0), hv_xen_key(0, h0, 1));
	hv_xen_uuid(u, h0);
	assert_string_equal(u, "");
	hv_xen_uuid(u, h1);
	assert_string_equal(u, "00112233-4455-6677-8899-aabbccddeeff");
}

static void test_hotplug_reasons(void **st)
{
	char b[200];
	(void)st;
	hv_xen_hotplug_reason(0, 0, EINVAL, b, sizeof(b));
	assert_non_null(strstr(b, "cpu0"));
	assert_non_null(strstr(b, "EINVAL"));
	hv_xen_hotplug_reason(0, 3, ENODEV, b, sizeof(b));
	assert_non_null(strstr(b, "Pool-0"));
	assert_non_null(strstr(b, "cpu3"));
	hv_xen_hotplug_reason(0, 2, EADDRINUSE, b, sizeof(b));
	assert_non_null(strstr(b, "pinned"));
	assert_non_null(strstr(b, "EADDRINUSE"));
	hv_xen_hotplug_reason(0, 2, EBUSY, b, sizeof(b));
	assert_non_null(strstr(b, "EBUSY"));
	hv_xen_hotplug_reason(1, 9, EINVAL, b, sizeof(b));
	assert_non_null(strstr(b, "no such CPU"));
	assert_true(hv_xen_hotplug_retry(EBUSY));
	assert_true(hv_xen_hotplug_retry(EAGAIN));
	assert_false(hv_xen_hotplug_retry(EINVAL));
	assert_false(hv_xen_hotplug_retry(ENODEV));
	assert_false(hv_xen_hotplug_retry(EADDRINUSE));
}

static const char NETDEV[] =
    "Inter-|   Receive                                                |  "
    "Transmit\n"
    " face |bytes    packets errs drop fifo frame compressed "
    "multicast|bytes    packets errs drop fifo colls carrier compressed\n"
    "    lo:  1000      10    0    0    0     0          0         0 "
    " 1000      10    0    0    0     0       0          0\n"
    "  eth0: 5 6 7 8 0 0 0 0 9 10 11 12 0 0 0 0\n"
    "vif1.0: 100 2 3 4 0 0 0 0 200 5 6 7 0 0 0 0\n"
    "vif12.1: 18446744073709551615 1 0 0 0 0 0 0 42 1 0 0 0 0 0 0\n"
    "vif3.0-emu: 1 1 1 1 0 0 0 0 1 1 1 1 0 0 0 0\n"
    "vif4.0: 1 2 3\n";

static void test_netdev(void **st)
{
	hv_xen_vif v[8];
	(void)st;
	assert_int_equal(hv_xen_parse_netdev(NETDEV, NULL, 0), 2);
	assert_int_equal(hv_xen_parse_netdev(NETDEV, v, 8), 2);
	assert_int_equal(v[0].domid, 1);
	assert_int_equal(v[0].id, 0);
	/* dom0 received 100 bytes on vif1.0: the guest transmitted them */
	assert_int_equal(v[0].tx_bytes, 100);
	assert_int_equal(v[0].tx_pkts, 2);
	assert_int_equal(v[0].tx_errs, 3);
	assert_int_equal(v[0].tx_drop, 4);
	assert_int_equal(v[0].rx_bytes, 200);
	assert_int_equal(v[0].rx_pkts, 5);
	assert_int_equal(v[0].rx_errs, 6);
	assert_int_equal(v[0].rx_drop, 7);
	assert_int_equal(v[1].domid, 12);
	assert_int_equal(v[1].id, 1);
	assert_true(v[1].tx_bytes == UINT64_MAX);
	assert_int_equal(hv_xen_parse_netdev("garbage\n", v, 8), -EINVAL);
	assert_int_equal(hv_xen_parse_netdev("", v, 8), -EINVAL);
}

static void test_vbd_names(void **st)
{
	uint32_t d, dev;
	uint8_t src;
	char n[32];
	(void)st;
	assert_int_equal(hv_xen_parse_vbd_dir("vbd-3-51712", &d, &dev, &src),
	                 0);
	assert_int_equal(d, 3);
	assert_int_equal(dev, 51712);
	assert_int_equal(src, HV_BLK_BLKBACK);
	assert_int_equal(hv_xen_parse_vbd_dir("vbd3-7-768", &d, &dev, &src), 0);
	assert_int_equal(src, HV_BLK_TAPDISK);
	assert_int_equal(hv_xen_parse_vbd_dir("vif-3-0", &d, &dev, &src),
	                 -EINVAL);
	assert_int_equal(hv_xen_parse_vbd_dir("vbd-3-", &d, &dev, &src),
	                 -EINVAL);
	assert_int_equal(hv_xen_parse_vbd_dir("vbd-x-1", &d, &dev, &src),
	                 -EINVAL);
	assert_int_equal(hv_xen_parse_vbd_dir("vbd-99999-1", &d, &dev, &src),
	                 -EINVAL);
	hv_xen_vbd_name(n, sizeof(n), 51712);
	assert_string_equal(n, "xvda");
	hv_xen_vbd_name(n, sizeof(n), 51729);
	assert_string_equal(n, "xvdb1");
	hv_xen_vbd_name(n, sizeof(n), 768);
	assert_string_equal(n, "hda");
	hv_xen_vbd_name(n, sizeof(n), 2064);
	assert_string_equal(n, "sdb");
	hv_xen_vbd_name(n, sizeof(n), (1u << 28) | (26u << 8));
	assert_string_equal(n, "xvdaa");
	hv_xen_vbd_name(n, sizeof(n), 12345);
	assert_string_equal(n, "12345");
}

static void test_cpu_knob(void **st)
{
	unsigned cpu;
	const char *k;
	(void)st;
	assert_int_equal(hv_xen_parse_cpu_knob("cpu/12/online", &cpu, &k), 0);
	assert_int_equal(cpu, 12);
	assert_string_equal(k, "online");
	assert_int_equal(hv_xen_parse_cpu_knob("cpu/x/online", &cpu, &k),
	                 -ENOTSUP);
	assert_int_equal(hv_xen_parse_cpu_knob("xen/max_cstate", &cpu, &k),
	                 -ENOTSUP);
	assert_int_equal(hv_xen_parse_cpu_knob("cpu/3", &cpu, &k), -ENOTSUP);
}

/* ---- mocked source ---- */
struct mock {
	hv_xen_dominfo d[8];
	size_t n;
	char names[8][64];
	int gone_domid; /* getvcpuinfo answers ESRCH for it */
	const char *netdev;
	hv_xen_vbd vbd[4];
	size_t nvbd;
};

static int m_domlist(void *ctx, const hv_xen_dominfo **out, size_t *n,
                     hv_xen_counts *cnt, hv_err *err)
{
	struct mock *m = ctx;
	(void)err;
	cnt->domlist++;
	*out = m->d;
	*n = m->n;
	return 0;
}

static int m_vcpu(void *ctx, uint32_t domid, uint32_t vcpu,
                  hv_xen_vcpuinfo *out, hv_xen_counts *cnt)
{
	struct mock *m = ctx;
	cnt->vcpuinfo++;
	if ((int)domid == m->gone_domid)
		return -ESRCH;
	out->online = vcpu != 1; /* vCPU 1 hot-unplugged */
	out->cpu = (int32_t)vcpu;
	out->ns = 1000000ull * (domid + 1) + vcpu;
	return 0;
}

static int m_name(void *ctx, uint32_t domid, char *buf, size_t len,
                  hv_xen_counts *cnt)
{
	struct mock *m = ctx;
	cnt->xs_reads++;
	for (size_t i = 0; i < m->n; i++)
		if (m->d[i].domid == domid) {
			snprintf(buf, len, "%s", m->names[i]);
			return 0;
		}
	return -ENOENT;
}

static ssize_t m_netdev(void *ctx, char *buf, size_t len, hv_xen_counts *cnt)
{
	struct mock *m = ctx;
	cnt->netdev++;
	snprintf(buf, len, "%s", m->netdev);
	return (ssize_t)strlen(buf);
}

static int m_vbds(void *ctx, const hv_xen_vbd **out, size_t *n,
                  hv_xen_counts *cnt)
{
	struct mock *m = ctx;
	cnt->vbd_scans++;
	*out = m->vbd;
	*n = m->nvbd;
	return 0;
}

static void mock_dom(struct mock *m, uint32_t domid, uint8_t hbyte,
                     const char *name)
{
	hv_xen_dominfo *d = &m->d[m->n];
	memset(d, 0, sizeof(*d));
	d->domid = domid;
	d->flags = HV_XEN_DOMINF_RUNNING;
	d->tot_pages = 1000;
	d->max_pages = 2000;
	d->cpu_ns = 5000000000ull;
	d->max_vcpu_id = 1;
	d->nr_online_vcpus = 1;
	d->ssidref = 7;
	if (domid)
		memset(d->handle, hbyte, 16);
	snprintf(m->names[m->n], sizeof(m->names[0]), "%s", name);
	m->n++;
}

static hv_snap *take(hv_xen_doms *ds, struct mock *m, hv_xen_counts *c,
                     int expect)
{
	hv_xen_src src = {m, m_domlist, m_vcpu, m_name, m_netdev, m_vbds, 0};
	hv_snap *s = hv_snap_new();
	hv_err err = {0};
	assert_non_null(s);
	assert_int_equal(hv_xen_doms_sample(ds, &src, s, c, &err), expect);
	assert_int_equal(hv_snap_seal(s, &err), 0);
	return s;
}

static void test_builder(void **st)
{
	struct mock m = {.gone_domid = -1, .netdev = NETDEV};
	hv_xen_counts c = {0};
	hv_xen_doms *ds = hv_xen_doms_new();
	(void)st;
	assert_non_null(ds);
	hv_xen_doms_set_name_refresh(ds, 1);
	mock_dom(&m, 0, 0, "Domain-0");
	mock_dom(&m, 1, 0xa1, "web\x1b[31m\xe2\x80\xae");
	mock_dom(&m, 12, 0xc1, "db");
	m.d[2].max_pages = 0xffffffffull; /* maxmem = no limit */
	m.vbd[0] = (hv_xen_vbd){.domid = 1,
	                        .dev = 51712,
	                        .src = HV_BLK_BLKBACK,
	                        .ok = 1,
	                        .have_fl = 1,
	                        .oo = 1,
	                        .rd = 2,
	                        .wr = 3,
	                        .fl = 4,
	                        .rsect = 10,
	                        .wsect = 20};
	m.vbd[1] = (hv_xen_vbd){.domid = 1, .dev = 51728, .ok = 0};
	m.nvbd = 2;

	hv_snap *s1 = take(ds, &m, &c, 3);
	assert_int_equal(c.xs_reads, 3); /* every name once */
	assert_int_equal(c.vcpuinfo, 6);
	const hv_dom *d1 = hv_snap_find_id(s1, 1);
	assert_non_null(d1);
	assert_string_equal(d1->name, "web?[31m?");
	assert_string_equal(d1->uuid, "a1a1a1a1-a1a1-a1a1-a1a1-a1a1a1a1a1a1");
	assert_int_equal(d1->state, HV_DS_RUNNING);
	assert_int_equal(d1->ssid, 7);
	assert_int_equal(d1->mem_kib.v, 4000);
	assert_int_equal(d1->maxmem_kib.v, 8000);
	assert_int_equal(d1->nr_vcpus, 2);
	assert_int_equal(d1->vcpu[0].online, 1);
	assert_int_equal(d1->vcpu[1].online, 0);
	assert_int_equal(d1->vcpu[1].time_ns.v, 2000001);
	assert_int_equal(d1->nr_net, 1);
	assert_string_equal(d1->net[0].name, "vif1.0");
	assert_int_equal(d1->net[0].rx_bytes.v, 200);
	assert_int_equal(d1->nr_blk, 2);
	assert_string_equal(d1->blk[0].name, "xvda");
	assert_int_equal(d1->blk[0].rd_bytes.v, 5120);
	assert_int_equal(d1->blk[0].wr_bytes.v, 10240);
	assert_int_equal(d1->blk[0].fl_reqs.v, 4);
	assert_int_equal(d1->blk[0].ds_reqs.why, HV_NA_UNSUPPORTED);
	assert_int_equal(d1->blk[1].rd_reqs.why, HV_NA_UNAVAILABLE);
	const hv_dom *d12 = hv_snap_find_id(s1, 12);
	assert_int_equal(d12->maxmem_kib.why, HV_NA_UNSUPPORTED);
	assert_true(d12->maxmem_kib.v == UINT64_MAX);
	assert_int_equal(d12->nr_net, 1);
	const hv_dom *d0 = hv_snap_find_id(s1, 0);
	assert_string_equal(d0->name, "Domain-0");
	assert_int_equal(d0->nr_net, 0);
	uint64_t k1 = d1->key, k12 = d12->key;

	/* Second sample: names come from the cache, one refresh allowed. */
	c = (hv_xen_counts){0};
	m.d[1].cpu_ns += 1000;
	hv_snap *s2 = take(ds, &m, &c, 3);
	assert_int_equal(c.xs_reads, 1);
	assert_int_equal(hv_snap_find_id(s2, 1)->key, k1);

	/* domid 12 reused by a new domain (new handle): a new key and a fresh
	 * name read; domid 1 vanishes mid-sample and is left out. */
	c = (hv_xen_counts){0};
	memset(m.d[2].handle, 0xc2, 16);
	snprintf(m.names[2], sizeof(m.names[2]), "db2");
	m.gone_domid = 1;
	hv_snap *s3 = take(ds, &m, &c, 2);
	assert_null(hv_snap_find_id(s3, 1));
	const hv_dom *n12 = hv_snap_find_id(s3, 12);
	assert_int_not_equal(n12->key, k12);
	assert_string_equal(n12->name, "db2");

	/* domid 1 back with the same handle after a gap: a new life too. */
	m.gone_domid = -1;
	hv_snap *s4 = take(ds, &m, &c, 3);
	assert_int_not_equal(hv_snap_find_id(s4, 1)->key, k1);
	uint64_t k1b = hv_snap_find_id(s4, 1)->key;
	/* CPU time going backwards on the same handle: a restart. */
	m.d[1].cpu_ns = 10;
	hv_snap *s5 = take(ds, &m, &c, 3);
	assert_int_not_equal(hv_snap_find_id(s5, 1)->key, k1b);

	hv_snap_unref(s1);
	hv_snap_unref(s2);
	hv_snap_unref(s3);
	hv_snap_unref(s4);
	hv_snap_unref(s5);
	hv_xen_doms_free(ds);
}

/* XEN_SYSCTL_page_offline_op results, as xen-hptool mem-offline reads
 * them: offlined, pending on an owner, refused with why. */
static void test_page_refusal(void **state)
{
	char b[200];
	(void)state;
	assert_int_equal(
	    0, hv_xen_page_refusal(HV_XEN_PG_OFFLINE_OFFLINED, b, sizeof(b)));
	assert_string_equal(b, "offlined");
	assert_int_equal(0, hv_xen_page_refusal(HV_XEN_PG_OFFLINE_PENDING |
	                                            HV_XEN_PG_OFFLINE_OWNED |
	                                            (5u << 16),
	                                        b, sizeof(b)));
	assert_non_null(strstr(b, "owned by domain 5"));
	assert_int_equal(1, hv_xen_page_refusal(HV_XEN_PG_OFFLINE_FAILED |
	                                            HV_XEN_PG_OFFLINE_XENPAGE,
	                                        b, sizeof(b)));
	assert_non_null(strstr(b, "belongs to Xen"));
	assert_int_equal(1, hv_xen_page_refusal(HV_XEN_PG_OFFLINE_FAILED |
	                                            HV_XEN_PG_OFFLINE_DOM0PAGE,
	                                        b, sizeof(b)));
	assert_non_null(strstr(b, "dom0"));
	assert_int_equal(1, hv_xen_page_refusal(0, b, sizeof(b)));
	assert_non_null(strstr(b, "status 0x0"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state),
	    cmocka_unit_test(test_key_uuid),
	    cmocka_unit_test(test_hotplug_reasons),
	    cmocka_unit_test(test_netdev),
	    cmocka_unit_test(test_vbd_names),
	    cmocka_unit_test(test_cpu_knob),
	    cmocka_unit_test(test_builder),
	    cmocka_unit_test(test_page_refusal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
