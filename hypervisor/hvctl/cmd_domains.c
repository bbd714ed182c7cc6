/* SPDX-License-Identifier: MIT */
/* hvctl domains: one line per domain, counters or rates over an interval. */
#include <math.h>

#include "hv/fields.h"
#include "hvctl.h"

typedef struct dom_tot {
	hv_u64 rx, tx, rd, wr, rdr, wrr;
} dom_tot;

static hv_u64 add(hv_u64 a, hv_u64 b)
{
	if (!hv_ok(b))
		return a.why == HV_OK ? b : a; /* one missing -> missing */
	return hv_ok(a) ? hv_val(a.v + b.v) : a;
}

static void totals(const hv_dom *d, dom_tot *t)
{
	hv_u64 z = d->nr_net ? hv_val(0) : hv_na(HV_NA_UNSUPPORTED);
	hv_u64 zb = d->nr_blk ? hv_val(0) : hv_na(HV_NA_UNSUPPORTED);

	t->rx = t->tx = z;
	t->rd = t->wr = t->rdr = t->wrr = zb;
	for (uint32_t i = 0; i < d->nr_net; i++) {
		t->rx = add(t->rx, d->net[i].rx_bytes);
		t->tx = add(t->tx, d->net[i].tx_bytes);
	}
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		t->rd = add(t->rd, d->blk[i].rd_bytes);
		t->wr = add(t->wr, d->blk[i].wr_bytes);
		t->rdr = add(t->rdr, d->blk[i].rd_reqs);
		t->wrr = add(t->wrr, d->blk[i].wr_reqs);
	}
}

static cJSON *dom_json(const hv_dom *d, const hv_dom_rate *dr)
{
	cJSON *e = cJSON_CreateObject();
	char st[8];
	dom_tot t;

	hv_dom_state_str(d->state, st);
	totals(d, &t);
	cJSON_AddStringToObject(e, "name", d->name);
	cJSON_AddNumberToObject(e, "id", d->id);
	cJSON_AddStringToObject(e, "uuid", d->uuid);
	if (d->vmid) /* Proxmox VE */
		cJSON_AddNumberToObject(e, "vmid", d->vmid);
	cJSON_AddStringToObject(e, "state", st);
	if (d->state_why[0])
		cJSON_AddStringToObject(e, "state_reason", d->state_why);
	cJSON_AddItemToObject(
	    e, "cpu_s", hvctl_jscaled(d->cpu_ns, 1e-9, HVCTL_JSON_DECIMALS));
	cJSON_AddNumberToObject(e, "vcpus", d->nr_vcpus);
	cJSON_AddItemToObject(e, "mem_kib", hvctl_ju64(d->mem_kib));
	cJSON_AddItemToObject(e, "net_rx_bytes", hvctl_ju64(t.rx));
	cJSON_AddItemToObject(e, "net_tx_bytes", hvctl_ju64(t.tx));
	cJSON_AddItemToObject(e, "rd_bytes", hvctl_ju64(t.rd));
	cJSON_AddItemToObject(e, "wr_bytes", hvctl_ju64(t.wr));
	cJSON_AddItemToObject(e, "rd_reqs", hvctl_ju64(t.rdr));
	cJSON_AddItemToObject(e, "wr_reqs", hvctl_ju64(t.wrr));
	if (!dr)
		return e;
	cJSON_AddItemToObject(e, "cpu_pct", hvctl_jdbl(dr->cpu_pct));
	cJSON_AddItemToObject(e, "net_rx_Bps", hvctl_jdbl(dr->net_rx_Bps));
	cJSON_AddItemToObject(e, "net_tx_Bps", hvctl_jdbl(dr->net_tx_Bps));
	cJSON_AddItemToObject(e, "rd_Bps", hvctl_jdbl(dr->blk_rd_Bps));
	cJSON_AddItemToObject(e, "wr_Bps", hvctl_jdbl(dr->blk_wr_Bps));
	cJSON_AddItemToObject(e, "rd_iops", hvctl_jdbl(dr->blk_rd_iops));
	cJSON_AddItemToObject(e, "wr_iops", hvctl_jdbl(dr->blk_wr_iops));
	return e;
}

static void dom_header(bool rates)
{
	if (rates)
		printf("%-20s %8s %-6s %7s %5s %10s %12s %12s %12s %12s %8s "
		       "%8s\n",
		       "NAME", "ID", "STATE", "CPU%", "VCPUS", "MEM_KIB",
		       "NETRX_B/S", "NETTX_B/S", "RD_B/S", "WR_B/S", "RD_IOPS",
		       "WR_IOPS");
	else
		printf("%-20s %8s %-6s %12s %5s %10s %14s %14s %14s %14s\n",
		       "NAME", "ID", "STATE", "CPU_S", "VCPUS", "MEM_KIB",
		       "NETRX_B", "NETTX_B", "RD_B", "WR_B");
}

/* With rates: per second figures (dr may be NULL for a new domain). */
static void dom_rate_row(const hv_dom *d, const hv_dom_rate *dr, const char *st)
{
	char q[8][32];

	printf("%-20.20s %8u %-6s %7s %5u %10s %12s %12s %12s %12s %8s %8s\n",
	       d->name, d->id, st,
	       hvctl_dbl(q[0], 32, dr ? dr->cpu_pct : NAN, "%.1f"), d->nr_vcpus,
	       hvctl_u64s(q[1], 32, d->mem_kib, 1, "%.0f"),
	       hvctl_dbl(q[2], 32, dr ? dr->net_rx_Bps : NAN, "%.0f"),
	       hvctl_dbl(q[3], 32, dr ? dr->net_tx_Bps : NAN, "%.0f"),
	       hvctl_dbl(q[4], 32, dr ? dr->blk_rd_Bps : NAN, "%.0f"),
	       hvctl_dbl(q[5], 32, dr ? dr->blk_wr_Bps : NAN, "%.0f"),
	       hvctl_dbl(q[6], 32, dr ? dr->blk_rd_iops : NAN, "%.1f"),
	       hvctl_dbl(q[7], 32, dr ? dr->blk_wr_iops : NAN, "%.1f"));
}

static void dom_row(const hv_dom *d, const hv_dom_rate *dr, bool rates)
{
	char st[8], q[6][32];
	dom_tot t;

	hv_dom_state_str(d->state, st);
	if (rates) {
		dom_rate_row(d, dr, st);
		return;
	}
	totals(d, &t);
	printf("%-20.20s %8u %-6s %12s %5u %10s %14s %14s %14s %14s\n", d->name,
	       d->id, st, hvctl_u64s(q[0], 32, d->cpu_ns, 1e-9, "%.2f"),
	       d->nr_vcpus, hvctl_u64s(q[1], 32, d->mem_kib, 1, "%.0f"),
	       hvctl_u64s(q[2], 32, t.rx, 1, "%.0f"),
	       hvctl_u64s(q[3], 32, t.tx, 1, "%.0f"),
	       hvctl_u64s(q[4], 32, t.rd, 1, "%.0f"),
	       hvctl_u64s(q[5], 32, t.wr, 1, "%.0f"));
}

int hvctl_cmd_domains(hvctl_ctx *c, int argc, char **argv)
{
	hv_snap *a = NULL, *b = NULL;
	hv_rates *r = NULL;
	cJSON *o = NULL, *arr = NULL;
	bool rates = c->interval > 0;
	int rc;
	(void)argc, (void)argv;

	rc = rates ? hvctl_take_two(c, c->interval, &a, &b, &r)
	           : hvctl_take(c, &b);
	if (rc)
		goto out;
	if (c->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		if (r)
			cJSON_AddItemToObject(o, "interval_s",
			                      hvctl_jdbl(hv_rates_dt(r)));
		arr = cJSON_AddArrayToObject(o, "domains");
	} else {
		dom_header(rates);
	}
	for (size_t i = 0; i < hv_snap_ndom(b); i++) {
		const hv_dom *d = hv_snap_dom(b, i);
		const hv_dom_rate *dr = r ? hv_rates_dom(r, i) : NULL;
		if (arr)
			cJSON_AddItemToArray(arr, dom_json(d, dr));
		else
			dom_row(d, dr, rates);
	}
	if (o)
		rc = hvctl_print_json(o);
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}
