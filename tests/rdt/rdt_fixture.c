/* SPDX-License-Identifier: MIT */
#include "rdt_fixture.h"

#include <stdio.h>

#define R "fs/resctrl/"

static int common_mon(const hvt_host *h, unsigned ndom, unsigned rmids)
{
	int r = 0;

	r |= hvt_sys(h, R "info/L3_MON/num_rmids", "%u\n", rmids);
	r |= hvt_sys(h, R "info/L3_MON/mon_features",
	             "llc_occupancy\nmbm_total_bytes\nmbm_local_bytes\n");
	r |= hvt_sys(h, R "info/L3_MON/max_threshold_occupancy", "270336\n");
	for (unsigned d = 0; d < ndom; d++) {
		r |= rdtf_event(h, "", d, "llc_occupancy", "0\n");
		r |= rdtf_event(h, "", d, "mbm_total_bytes", "0\n");
		r |= rdtf_event(h, "", d, "mbm_local_bytes", "0\n");
	}
	r |= hvt_sys(h, R "tasks", "1\n2\n");
	r |= hvt_sys(h, R "cpus_list", "0-3\n");
	r |= hvt_sys(h, R "mode", "shareable\n");
	r |= hvt_sys(h, R "info/last_cmd_status", "ok\n");
	r |= hvt_mkdir(h->sys, R "mon_groups");
	return r ? -1 : 0;
}

int rdtf_intel(const hvt_host *h, int cdp)
{
	int r = 0;

	r |= hvt_proc(
	    h, "cpuinfo",
	    "processor\t: 0\nvendor_id\t: GenuineIntel\ncpu family\t: 6\n");
	if (cdp) {
		const char *res[] = {"L3CODE", "L3DATA"};
		for (int i = 0; i < 2; i++) {
			char p[128];
			snprintf(p, sizeof(p), R "info/%s/num_closids", res[i]);
			r |= hvt_sys(h, p, "8\n");
			snprintf(p, sizeof(p), R "info/%s/cbm_mask", res[i]);
			r |= hvt_sys(h, p, "7ff\n");
			snprintf(p, sizeof(p), R "info/%s/min_cbm_bits",
			         res[i]);
			r |= hvt_sys(h, p, "1\n");
			snprintf(p, sizeof(p), R "info/%s/shareable_bits",
			         res[i]);
			r |= hvt_sys(h, p, "0\n");
		}
		r |= hvt_sys(h, R "schemata",
		             "L3CODE:0=7ff;1=7ff\nL3DATA:0=7ff;1=7ff\n"
		             "    MB:0= 100;1= 100\n");
	} else {
		r |= hvt_sys(h, R "info/L3/num_closids", "16\n");
		r |= hvt_sys(h, R "info/L3/cbm_mask", "7ff\n");
		r |= hvt_sys(h, R "info/L3/min_cbm_bits", "1\n");
		r |= hvt_sys(h, R "info/L3/shareable_bits", "600\n");
		r |= hvt_sys(h, R "info/L3/bit_usage",
		             "0=SSSSSSSSSSS;1=SSSSSSSSSSS\n");
		r |= hvt_sys(h, R "schemata",
		             "    L3:0=7ff;1=7ff\n    MB:0= 100;1= 100\n");
	}
	r |= hvt_sys(h, R "info/MB/num_closids", "8\n");
	r |= hvt_sys(h, R "info/MB/min_bandwidth", "10\n");
	r |= hvt_sys(h, R "info/MB/bandwidth_gran", "10\n");
	r |= hvt_sys(h, R "info/MB/delay_linear", "1\n");
	r |= hvt_sys(h, R "info/MB/thread_throttle_mode", "max\n");
	return r ? -1 : common_mon(h, 2, 176);
}

int rdtf_amd(const hvt_host *h)
{
	int r = 0;

	r |= hvt_proc(
	    h, "cpuinfo",
	    "processor\t: 0\nvendor_id\t: AuthenticAMD\ncpu family\t: 25\n");
	r |= hvt_sys(h, R "info/L3/num_closids", "16\n");
	r |= hvt_sys(h, R "info/L3/cbm_mask", "ffff\n");
	r |= hvt_sys(h, R "info/L3/min_cbm_bits", "0\n");
	r |= hvt_sys(h, R "info/L3/shareable_bits", "0\n");
	r |= hvt_sys(h, R "info/MB/num_closids", "16\n");
	r |= hvt_sys(h, R "info/MB/min_bandwidth", "0\n");
	r |= hvt_sys(h, R "info/MB/bandwidth_gran", "1\n");
	r |= hvt_sys(h, R "info/MB/delay_linear", "0\n");
	r |= hvt_sys(h, R "info/L3_MON/mbm_assign_mode",
	             "[mbm_event]\ndefault\n");
	r |= hvt_sys(h, R "info/L3_MON/mbm_total_bytes_config",
	             "0=0x7f;1=0x7f;2=0x7f;3=0x7f\n");
	r |= hvt_sys(h, R "schemata",
	             "L3:0=ffff;1=ffff;2=ffff;3=ffff\n"
	             "MB:0=2048;1=2048;2=2048;3=2048\n");
	return r ? -1 : common_mon(h, 4, 64);
}

int rdtf_proc(const hvt_host *h, int pid, int n)
{
	int r = 0;

	for (int i = 0; i < n; i++) {
		char p[96];
		snprintf(p, sizeof(p), "%d/task/%d/comm", pid,
		         i ? pid * 100 + i : pid);
		r |= hvt_proc(h, p, i ? "CPU %d/KVM\n" : "qemu-system-x86\n",
		              i - 1);
	}
	return r ? -1 : 0;
}

int rdtf_event(const hvt_host *h, const char *group, unsigned dom,
               const char *event, const char *text)
{
	char p[256];

	snprintf(p, sizeof(p), R "%s%smon_data/mon_L3_%02u/%s", group,
	         *group ? "/" : "", dom, event);
	return hvt_sys(h, p, "%s", text);
}
