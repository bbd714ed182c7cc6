/* SPDX-License-Identifier: MIT */
/* A hand-built snapshot with hostile names, missing values and both
 * kinds of devices, shared by the unit test and web_promdump. */
#ifndef WEB_FIXTURE_SNAP_H
#define WEB_FIXTURE_SNAP_H
#include <stdio.h>
#include <string.h>

#include "hv/sample.h"

static hv_snap *fixture_snap_at(int64_t wall_ns, uint64_t mul)
{
	hv_snap *s = hv_snap_new();
	hv_err e = {0};
	if (!s)
		return NULL;
	hv_host *h = hv_snap_host_mut(s);
	snprintf(h->hostname, sizeof(h->hostname), "host\"a\\b");
	snprintf(h->backend, sizeof(h->backend), "synth");
	h->mem_total_kib = hv_val(1024);
	h->mem_free_kib = hv_na(HV_NA_UNAVAILABLE);
	hv_pcpu *p = hv_snap_pcpus(s, 2);
	for (unsigned i = 0; i < 2; i++) {
		p[i].id = i;
		p[i].online = (int8_t)(i == 0);
		p[i].busy_ns = hv_val(1500000000ull);
		p[i].idle_ns = hv_val(2500000000ull);
		p[i].cur_khz = hv_val(2400000);
		p[i].nr_cstate = 2;
		snprintf(p[i].cstate[0].name, 16, "POLL");
		snprintf(p[i].cstate[1].name, 16, "C1\"x");
		p[i].cstate[0].time_ns = hv_val(10);
		p[i].cstate[1].time_ns = hv_na(HV_NA_ERROR);
		p[i].cstate[0].usage = hv_val(3);
		p[i].cstate[1].usage = hv_val(4);
	}
	h->pcpu = p;
	h->nr_pcpu = 2;
	hv_rapl *r = hv_snap_rapls(s, 1);
	snprintf(r->name, sizeof(r->name), "package-0");
	snprintf(r->path, sizeof(r->path), "intel-rapl:0");
	r->energy_uj = hv_val(1234567);
	h->rapl = r;
	h->nr_rapl = 1;
	/* hwmon: an SCMI energy counter with a hostile label, a power
	 * sensor read, and one malformed (omitted, not 0) */
	hv_hwmon *hw = hv_snap_hwmons(s, 3);
	if (hw) {
		snprintf(hw[0].chip, sizeof(hw[0].chip), "scmi_sensors");
		snprintf(hw[0].label, sizeof(hw[0].label), "cl\"u\\ster");
		snprintf(hw[0].path, sizeof(hw[0].path),
		         "hwmon0/energy1_input");
		hw[0].energy_uj = hv_val(2500000);
		snprintf(hw[1].chip, sizeof(hw[1].chip), "power_meter");
		snprintf(hw[1].path, sizeof(hw[1].path),
		         "hwmon1/device/power1_average");
		hw[1].kind = hw[2].kind = HV_HWMON_POWER;
		hw[1].power_uw = hv_val(245000000);
		snprintf(hw[2].chip, sizeof(hw[2].chip), "apm_xgene");
		snprintf(hw[2].path, sizeof(hw[2].path), "hwmon2/power1_input");
		hw[2].power_uw = hv_na(HV_NA_ERROR);
	}
	/* machine checks: counts on cpu0, one page soft-offlined by hvkit and
	 * one with a hostile reason */
	p[0].ce_count = hv_val(7);
	p[0].ue_count = hv_val(1);
	p[0].last_bank = 4;
	h->mce_lost = hv_val(0);
	h->page_why = HV_OK;
	h->page = hv_snap_alloc(s, 2 * sizeof(*h->page));
	if (h->page) {
		h->nr_page = 2;
		h->page[0].addr = 0x12345000;
		h->page[0].ce = 2;
		h->page[0].state = HV_PAGE_SOFT_OFFLINE;
		snprintf(h->page[0].reason, sizeof(h->page[0].reason),
		         "soft-offline by hvkit");
		h->page[1].addr = 0x7000;
		h->page[1].ue = 1;
		h->page[1].state = HV_PAGE_UNKNOWN;
		snprintf(h->page[1].reason, sizeof(h->page[1].reason),
		         "kpage\"flags\n");
	}

	const char *names[] = {"web\"01", "line\nbreak", "back\\slash",
	                       "plain"};
	for (unsigned i = 0; i < 4; i++) {
		hv_dom *d = hv_snap_add_dom(s);
		d->key = 100 + i;
		d->id = 10 + i;
		snprintf(d->name, sizeof(d->name), "%s", names[i]);
		snprintf(d->uuid, sizeof(d->uuid),
		         "00000000-0000-0000-0000-00000000000%u", i);
		d->state = HV_DS_RUNNING | (i == 1 ? HV_DS_BLOCKED : 0);
		d->cpu_ns = i == 3 ? hv_na(HV_NA_STALE)
		                   : hv_val(2000000000ull * (i + 1) * mul);
		d->mem_kib = hv_val(1048576);
		d->nr_vcpus = 2;
		hv_vcpu *v = hv_snap_vcpus(s, d, 2);
		for (unsigned k = 0; k < 2; k++) {
			v[k].id = k;
			v[k].online = 1;
			v[k].time_ns = hv_val(1000000000ull * mul);
			v[k].wait_ns = hv_val(5000000ull);
		}
		hv_net *n = hv_snap_nets(s, d, 1);
		snprintf(n->name, sizeof(n->name), "tap%u", i);
		n->rx_bytes = hv_val(4096 * mul);
		n->tx_bytes = hv_val(8192);
		hv_blk *b = hv_snap_blks(s, d, 1);
		snprintf(b->name, sizeof(b->name), "vda");
		b->rd_bytes = hv_val(512);
		b->rd_ns = hv_val(1500);
		if (i == 3)
			d->stale = HV_SRC_QMP;
	}
	hv_snap_set_time(s, (uint64_t)(wall_ns - 1690000000000000000ll),
	                 wall_ns, 1000);
	if (hv_snap_seal(s, &e)) {
		hv_snap_unref(s);
		return NULL;
	}
	return s;
}
static inline hv_snap *fixture_snap(void)
{
	return fixture_snap_at(1700000000123456789ll, 1);
}
#endif
