/* SPDX-License-Identifier: MIT */
/* The libvirt source of libhv (issue 13): libvirtd's view of its QEMU
 * guests, fetched with ONE bulk virConnectGetAllDomainStats per sample in
 * a thread of its own, so the sampling path never waits for libvirtd (but
 * for the very first result, up to one deadline). The kvm backend merges
 * the table by UUID into the domains it finds in procfs (kvm_libvirt.c).
 *
 * libvirt is optional twice: at build time (without libvirt-dev the stub
 * in lv_stub.c answers "built without libvirt") and at run time (the
 * library is dlopen'ed: without libvirt0 or without libvirtd the source
 * says why and the backend works from procfs as before). Not public API:
 * shared with the kvm backend and tests/libvirt. See docs/arch/libvirt.md. */
#ifndef HV_LV_INT_H
#define HV_LV_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "hv/sample.h"

/* Stats keys of one record, as libvirt hands them out (virTypedParameter
 * without the libvirt headers: the parser is pure and fuzzable). */
typedef struct hv_lv_param {
	const char *field;
	int type; /* VIR_TYPED_PARAM_*: 1 int, 2 uint, 3 llong, 4 ullong,
	           * 5 double, 6 boolean, 7 string */
	union {
		long long l;
		unsigned long long ul;
		double d;
		const char *s;
	} v;
} hv_lv_param;

#define HV_LV_DEFAULT_URI "qemu:///system"
#define HV_LV_DEFAULT_TIMEOUT_MS 2000
#define HV_LV_WHY_LEN 96
/* The stats groups of the bulk call (virDomainStatsTypes): state 1 and
 * block 32 every call; balloon 4 (two QMP commands per guest in libvirtd)
 * every HV_LV_BALLOON_EVERY calls, and at once for a new guest: its values
 * are gauges, kept from call to call. Not cpu-total (2) nor vcpu (8):
 * procfs has those times, fresher, and they cost libvirtd cgroup and
 * /proc reads and a QMP query-stats per guest. interface (16) only while
 * some NIC has a host device procfs cannot count (macvtap, vhost-user):
 * the NIC list comes from the domain XML, tap counters from procfs.
 * docs/arch/libvirt.md. */
#define HV_LV_GROUPS 0x21u
#define HV_LV_GROUP_BALLOON 0x4u
#define HV_LV_GROUP_NET 0x10u
#define HV_LV_BALLOON_EVERY 5
/* Calls between two fetches of a guest's XML (its NIC list). */
#define HV_LV_XML_REFRESH 60

typedef struct hv_lv_blk {
	char name[HV_DEVNAME_LEN]; /* vda */
	hv_u64 rd_reqs, rd_bytes, rd_ns;
	hv_u64 wr_reqs, wr_bytes, wr_ns;
	hv_u64 fl_reqs, fl_ns;
	hv_u64 capacity_b, alloc_b;
} hv_lv_blk;

/* One NIC, from the domain's point of view (libvirt's rx = the guest
 * received). Named by its XML target dev (has_dev: a host device such as
 * a tap), else by its alias (user mode: no host device, no counters).
 * has_stats: libvirt's interface group counted it. */
typedef struct hv_lv_net {
	char name[HV_IFNAME_LEN];
	char type[12];
	bool has_dev, has_stats;
	hv_u64 rx_bytes, rx_pkts, rx_errs, rx_drop;
	hv_u64 tx_bytes, tx_pkts, tx_errs, tx_drop;
} hv_lv_net;

typedef struct hv_lv_dom {
	char uuid[HV_UUID_LEN]; /* lower case */
	char name[HV_NAME_LEN]; /* sanitised */
	int state, reason;      /* virDomainState, its reason; -1 unknown */
	hv_u64 bal_cur_kib, bal_max_kib;
	hv_u64 avail_kib, unused_kib, usable_kib, cache_kib;
	uint32_t nnet;
	hv_lv_net *net;
	uint32_t nblk;
	hv_lv_blk *blk;
} hv_lv_dom;

/* The result of one bulk call: immutable once published, shared by
 * reference between the thread and the sampling path. */
typedef struct hv_lv_tab {
	unsigned refs;
	uint64_t call_mono_ns; /* CLOCK_MONOTONIC when the call started */
	uint64_t call_boot_ns; /* CLOCK_BOOTTIME then: guests started later
	                        * are not in it */
	uint64_t dur_ns;       /* how long the call (and conversion) took */
	size_t ndom, cap;
	hv_lv_dom *dom; /* sorted by uuid */
} hv_lv_tab;

hv_lv_tab *hv_lv_tab_new(void);
hv_lv_tab *hv_lv_tab_ref(hv_lv_tab *t);
void hv_lv_tab_unref(hv_lv_tab *t); /* NULL allowed; atomic counts */
/* A new zeroed domain appended (values marked unsupported); NULL on
 * ENOMEM. */
hv_lv_dom *hv_lv_tab_add(hv_lv_tab *t);
void hv_lv_tab_sort(hv_lv_tab *t);
const hv_lv_dom *hv_lv_tab_find(const hv_lv_tab *t, const char *uuid);

/* libvirt's state and reason as hvkit state bits and a reason text
 * ("user", "I/O error"; "" when none is worth saying). */
uint32_t hv_lv_state_bits(int state);
const char *hv_lv_reason_str(int state, int reason);

/* Fill d from one record's stats keys (state, balloon, net, block
 * groups); d's uuid and name are the caller's. Unknown keys are ignored,
 * indexes beyond the counts given dropped. 0 or -ENOMEM. */
int hv_lv_dom_fill(hv_lv_dom *d, const hv_lv_param *p, size_t n);
void hv_lv_dom_clear(hv_lv_dom *d); /* frees its arrays */

/* The NICs of a domain's XML (<interface> elements in order, the order of
 * net.N): type, and a name (target dev, else alias, else "netN").
 * Returns the count (up to max), or -EINVAL. Pure. */
int hv_lv_parse_ifaces(const char *xml, hv_lv_net *out, size_t max);
/* d's NICs from its XML's n NICs x: when the call had the interface group
 * (counted), types and has_dev added to its net.N (and names where the
 * stats gave none); else the XML's list itself, without counters.
 * 0 or -ENOMEM. */
int hv_lv_dom_set_nics(hv_lv_dom *d, const hv_lv_net *x, int n, bool counted);
/* Whether a guest's XML is fetched again: its cached list has n NICs (-1:
 * none), fetched age calls ago, at most max kept; counted: this call's
 * interface group gives nnet NICs, another number than the list's (a NIC
 * plugged or unplugged; beyond max only max are compared). Pure. */
bool hv_lv_xml_due(int n, unsigned age, bool counted, uint32_t nnet,
                   size_t max);

/* ---- the source ---- */
typedef struct hv_lv hv_lv;

enum hv_lv_status {
	HV_LV_OK = 0,      /* fresh table (from the last completed call) */
	HV_LV_STALE,       /* the table is old: a call hangs or failed */
	HV_LV_UNAVAILABLE, /* no table: no library, no daemon, disabled */
};

/* Start a source for uri (NULL: qemu:///system; "none": disabled). Never
 * fails for lack of libvirt: the status says why. NULL on ENOMEM. The
 * thread starts with the first hv_lv_poll. */
hv_lv *hv_lv_new(const char *uri, unsigned timeout_ms);
void hv_lv_free(hv_lv *lv); /* NULL allowed; a thread stuck in a hung
                             * libvirtd is detached, not waited for */
/* Called once per sample: asks for the next bulk call (if none is in
 * flight) and returns the newest table (a reference: hv_lv_tab_put) or
 * NULL, with its status and, unless OK, a reason. Waits only while no
 * call has ever completed, up to the deadline. */
hv_lv_tab *hv_lv_poll(hv_lv *lv, enum hv_lv_status *st, char *why, size_t len);
/* Whether some NIC has a host device procfs cannot count: the calls from
 * the next on add the interface group (the kvm backend says, each
 * sample). */
void hv_lv_want_nic_stats(hv_lv *lv, bool on);
/* Bulk calls made, connections opened (tests, benchmark). */
unsigned hv_lv_calls(const hv_lv *lv);
unsigned hv_lv_connects(const hv_lv *lv);

#endif
