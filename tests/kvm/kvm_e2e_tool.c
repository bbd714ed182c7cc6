/* SPDX-License-Identifier: MIT */
/* kvm_e2e_tool: one sample of the kvm backend on the real host, as one JSON
 * line (raw counters), for tests/kvm/e2e.sh to compare against the
 * kernel's own counters. Usage: kvm_e2e_tool [qmp_timeout_ms [samples]]:
 * with samples > 1, takes that many 0.1 s apart and prints the last, with
 * the median cost of the steady-state samples (all but the first).
 * kvm_e2e_tool T N MS all: N samples MS ms apart, each printed as a line
 * (with its wall clock time, wall_ns), for runs across faults. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/backend.h"
#include "hv/sample.h"

static void num(cJSON *o, const char *k, hv_u64 v)
{
	if (hv_ok(v))
		cJSON_AddNumberToObject(o, k, (double)v.v);
	else
		cJSON_AddNullToObject(o, k);
}

/* The domains of s into root's "doms". */
static void add_doms(cJSON *root, const hv_snap *s)
{
	cJSON *doms;

	doms = cJSON_AddArrayToObject(root, "doms");
	for (size_t i = 0; i < hv_snap_ndom(s); i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		cJSON *j = cJSON_CreateObject(), *a;
		cJSON_AddStringToObject(j, "name", d->name);
		cJSON_AddStringToObject(j, "uuid", d->uuid);
		cJSON_AddNumberToObject(j, "id", d->id);
		cJSON_AddNumberToObject(j, "vmid", d->vmid);
		cJSON_AddStringToObject(j, "state_why", d->state_why);
		cJSON_AddNumberToObject(j, "state", d->state);
		cJSON_AddNumberToObject(j, "sources", d->sources);
		cJSON_AddNumberToObject(j, "stale", d->stale);
		cJSON_AddStringToObject(j, "note", d->note);
		cJSON_AddNumberToObject(j, "nr_vcpus", d->nr_vcpus);
		num(j, "cpu_ns", d->cpu_ns);
		num(j, "mem_kib", d->mem_kib);
		num(j, "rss_kib", d->rss_kib);
		num(j, "target_kib", d->target_kib);
		num(j, "maxmem_kib", d->maxmem_kib);
		num(j, "mem_usable_kib", d->mem_usable_kib);
		num(j, "io_rd_bytes", d->io_rd_bytes);
		num(j, "kvm_exits", d->kvm_exits);
		num(j, "kvm_io_exits", d->kvm_io_exits);
		num(j, "kvm_wait_exits", d->kvm_wait_exits);
		num(j, "kvm_mmio_exits", d->kvm_mmio_exits);
		a = cJSON_AddArrayToObject(j, "vcpu");
		for (uint32_t k = 0; k < d->nr_vcpu; k++) {
			cJSON *v = cJSON_CreateObject();
			cJSON_AddNumberToObject(v, "id", d->vcpu[k].id);
			cJSON_AddNumberToObject(v, "tid", d->vcpu[k].tid);
			cJSON_AddNumberToObject(v, "pcpu", d->vcpu[k].pcpu);
			num(v, "time_ns", d->vcpu[k].time_ns);
			num(v, "wait_ns", d->vcpu[k].wait_ns);
			num(v, "kvm_exits", d->vcpu[k].kvm_exits);
			num(v, "kvm_wait_exits", d->vcpu[k].kvm_wait_exits);
			cJSON_AddBoolToObject(v, "pinned",
			                      d->vcpu[k].affinity != NULL);
			if (d->vcpu[k].affinity)
				cJSON_AddNumberToObject(
				    v, "aff0", (double)d->vcpu[k].affinity[0]);
			cJSON_AddItemToArray(a, v);
		}
		a = cJSON_AddArrayToObject(j, "blk");
		for (uint32_t k = 0; k < d->nr_blk; k++) {
			cJSON *v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "name", d->blk[k].name);
			cJSON_AddNumberToObject(v, "src", d->blk[k].src);
			num(v, "rd_bytes", d->blk[k].rd_bytes);
			num(v, "wr_bytes", d->blk[k].wr_bytes);
			num(v, "rd_reqs", d->blk[k].rd_reqs);
			num(v, "wr_reqs", d->blk[k].wr_reqs);
			num(v, "fl_reqs", d->blk[k].fl_reqs);
			num(v, "rd_ns", d->blk[k].rd_ns);
			num(v, "capacity_b", d->blk[k].capacity_b);
			num(v, "alloc_b", d->blk[k].alloc_b);
			cJSON_AddItemToArray(a, v);
		}
		a = cJSON_AddArrayToObject(j, "net");
		for (uint32_t k = 0; k < d->nr_net; k++) {
			cJSON *v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "name", d->net[k].name);
			cJSON_AddStringToObject(v, "type", d->net[k].type);
			num(v, "rx_bytes", d->net[k].rx_bytes);
			num(v, "tx_bytes", d->net[k].tx_bytes);
			num(v, "rx_pkts", d->net[k].rx_pkts);
			num(v, "tx_pkts", d->net[k].tx_pkts);
			cJSON_AddItemToArray(a, v);
		}
		cJSON_AddItemToArray(doms, j);
	}
}

static void print_line(cJSON *root)
{
	char *txt = cJSON_PrintUnformatted(root);

	puts(txt);
	fflush(stdout);
	free(txt);
	cJSON_Delete(root);
}

int main(int argc, char **argv)
{
	hv_env env;
	hv_err err = {0};
	hv_backend_opts o = {.name = "kvm"};
	hv_backend *b = NULL;
	hv_snap *s = NULL;
	cJSON *root;
	uint64_t cost[64];
	int ns = 1, ms = 100, all = 0;

	if (argc > 1)
		o.qmp_timeout_ms = (int)strtol(argv[1], NULL, 10);
	if (argc > 2)
		ns = (int)strtol(argv[2], NULL, 10);
	if (argc > 3)
		ms = (int)strtol(argv[3], NULL, 10);
	all = argc > 4 && strcmp(argv[4], "all") == 0;
	if (ns < 1 || (ns > 64 && !all))
		ns = 1;
	if (ms < 1 || ms > 60000)
		ms = 100;
	if (hv_env_init(&env, &err) || hv_backend_open(&env, &o, &b, &err)) {
		fprintf(stderr, "kvm_e2e_tool: %s\n", err.msg);
		hv_backend_close(b);
		return 1;
	}
	for (int i = 0; i < ns; i++) {
		struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000};
		if (i)
			nanosleep(&ts, NULL);
		hv_snap_unref(s);
		s = NULL;
		if (hv_backend_sample(b, &s, &err)) {
			fprintf(stderr, "kvm_e2e_tool: %s\n", err.msg);
			hv_backend_close(b);
			return 1;
		}
		if (!all) {
			cost[i] = hv_snap_cost_ns(s);
			continue;
		}
		root = cJSON_CreateObject();
		cJSON_AddNumberToObject(root, "wall_ns",
		                        (double)hv_snap_wall_ns(s));
		cJSON_AddNumberToObject(root, "cost_ns",
		                        (double)hv_snap_cost_ns(s));
		add_doms(root, s);
		print_line(root);
	}
	if (all)
		goto out;
	root = cJSON_CreateObject();
	cJSON_AddNumberToObject(root, "mono_ns", (double)hv_snap_mono_ns(s));
	cJSON_AddNumberToObject(root, "cost_ns", (double)hv_snap_cost_ns(s));
	cJSON_AddStringToObject(root, "backend", hv_snap_host(s)->backend);
	cJSON_AddNumberToObject(root, "nr_pcpu", hv_snap_host(s)->nr_pcpu);
	if (ns > 2) {
		/* median of samples 1..ns-1 (insertion sort, tiny) */
		for (int i = 2; i < ns; i++)
			for (int k = i; k > 1 && cost[k - 1] > cost[k]; k--) {
				uint64_t t = cost[k];
				cost[k] = cost[k - 1];
				cost[k - 1] = t;
			}
		int mid = 1 + (ns - 1) / 2;
		cJSON_AddNumberToObject(root, "steady_cost_ns",
		                        (double)cost[mid]);
	}
	add_doms(root, s);
	print_line(root);
out:
	hv_snap_unref(s);
	hv_backend_close(b);
	return 0;
}
