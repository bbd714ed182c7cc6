/* SPDX-License-Identifier: MIT */
/* Batch text in xentop's `-b` format, column for column: the header line
 * before the first domain (or every domain with -r), right-aligned fields
 * joined by one space, NAME cut to 10 bytes unless -f, the total columns
 * widened as xentop widens them, "no limit"/"n/a" for unlimited memory and
 * "-" for anything missing; then the -v/-n/-x sub-rows. No summary, as in
 * xentop's batch mode. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xt.h"

#define NX 19            /* xentop's columns are the first 19 entries */
#define XT_CPU_PCT_COL 3 /* CPU(%) among them */

static const char *blk_type(uint8_t src)
{
	switch (src) {
	case HV_BLK_BLKBACK:
		return "BlkBack";
	case HV_BLK_TAPDISK:
		return "Tapdisk3";
	case HV_BLK_QDISK:
		return "Qdisk";
	case HV_BLK_QMP:
		return "QMP";
	case HV_BLK_PROCIO:
		return "ProcIO";
	default:
		return "Unidentified";
	}
}

static void hv_print(FILE *f, const char *fmt_ok, int w, hv_u64 x)
{
	(void)fmt_ok;
	if (hv_ok(x))
		fprintf(f, "%*" PRIu64, w, x.v);
	else
		fprintf(f, "%*s", w, "-");
}

static void do_vcpu(FILE *f, const hv_dom *d)
{
	fputs("VCPUs(sec): ", f);
	for (uint32_t i = 0; i < d->nr_vcpu; i++) {
		const hv_vcpu *v = &d->vcpu[i];
		if (!v->online)
			continue;
		if (i != 0 && i % 5 == 0)
			fputs("\n        ", f);
		if (hv_ok(v->time_ns))
			fprintf(f, " %2u: %10" PRIu64 "s", i,
			        v->time_ns.v / 1000000000);
		else
			fprintf(f, " %2u: %10ss", i, "-");
	}
	fputc('\n', f);
}

static void do_network(FILE *f, const hv_dom *d)
{
	/* Host side of the vif, as xentop: its RX is what the guest sent. */
	for (uint32_t i = 0; i < d->nr_net; i++) {
		const hv_net *n = &d->net[i];
		fprintf(f, "Net%u RX: ", i);
		hv_print(f, NULL, 8, n->tx_bytes);
		fputs("bytes ", f);
		hv_print(f, NULL, 8, n->tx_pkts);
		fputs("pkts ", f);
		hv_print(f, NULL, 8, n->tx_errs);
		fputs("err ", f);
		hv_print(f, NULL, 8, n->tx_drop);
		fputs("drop  TX: ", f);
		hv_print(f, NULL, 8, n->rx_bytes);
		fputs("bytes ", f);
		hv_print(f, NULL, 8, n->rx_pkts);
		fputs("pkts ", f);
		hv_print(f, NULL, 8, n->rx_errs);
		fputs("err ", f);
		hv_print(f, NULL, 8, n->rx_drop);
		fputs("drop\n", f);
	}
}

static void do_vbd(FILE *f, const hv_dom *d)
{
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		const hv_blk *b = &d->blk[i];
		char details[24] = "";
		/* Xen VBD ids are Linux device numbers: show [major:minor]. */
		if (b->src == HV_BLK_BLKBACK || b->src == HV_BLK_TAPDISK ||
		    b->src == HV_BLK_QDISK)
			snprintf(details, sizeof(details), "[%2x:%2x] ",
			         (b->id >> 8) & 0xfff, b->id & 0xff);
		else
			snprintf(details, sizeof(details), "%s ", b->name);
		fprintf(f, "VBD %s %4u %s OO: ", blk_type(b->src), b->id,
		        details);
		hv_print(f, NULL, 8, b->oo_reqs);
		fputs("   RD: ", f);
		hv_print(f, NULL, 8, b->rd_reqs);
		fputs("   WR: ", f);
		hv_print(f, NULL, 8, b->wr_reqs);
		fputs("   RSECT: ", f);
		hv_print(f, NULL, 10,
		         hv_ok(b->rd_bytes) ? hv_val(b->rd_bytes.v / 512)
		                            : b->rd_bytes);
		fputs("   WSECT: ", f);
		hv_print(f, NULL, 10,
		         hv_ok(b->wr_bytes) ? hv_val(b->wr_bytes.v / 512)
		                            : b->wr_bytes);
		fputc('\n', f);
	}
}

/* A count, or "-" when missing. */
static void u64_cell(FILE *f, hv_u64 v, int w)
{
	if (hv_ok(v))
		fprintf(f, "   %*" PRIu64, w, v.v);
	else
		fprintf(f, "   %*s", w, "-");
}

static void do_pcpus(FILE *f, const xt_ctx *c)
{
	const hv_rates *rt = hv_snap_rates(c->s);
	const hv_host_rate *hr = rt ? hv_rates_host(rt) : NULL;
	fputs("PCPU  ONLINE   USAGE(%)   FREQ(MHz)   MCE-CE   MCE-UE\n", f);
	for (uint32_t i = 0; i < c->h->nr_pcpu; i++) {
		const hv_pcpu *p = &c->h->pcpu[i];
		double busy =
		    hr && i < hr->nr_pcpu ? hr->pcpu[i].busy_pct : NAN;
		fprintf(f, "%4u  %6s", p->id,
		        p->online < 0 ? "-"
		        : p->online   ? "yes"
		                      : "no");
		if (isnan(busy))
			fprintf(f, "   %8s", "-");
		else
			fprintf(f, "   %8.1f", busy);
		u64_cell(f,
		         hv_ok(p->cur_khz) ? hv_val(p->cur_khz.v / 1000)
		                           : p->cur_khz,
		         9);
		u64_cell(f, p->ce_count, 6);
		u64_cell(f, p->ue_count, 6);
		fputc('\n', f);
	}
}

static void print_header(FILE *f, const int *w)
{
	for (int i = 0; i < NX; i++)
		fprintf(f, "%s%*s", i ? " " : "", w[i],
		        xt_col_header(&xt_cols[i]));
	fputc('\n', f);
}

void xt_batch_print(FILE *f, xt_table *t, const xt_ctx *c, const xt_opts *o)
{
	int w[NX];
	for (int i = 0; i < NX; i++)
		w[i] = xt_col_width(&xt_cols[i]);
	/* xentop's adjust_field_widths() over the domains shown. */
	for (size_t k = 0; k < t->nshow; k++) {
		const xt_row *r = &t->rows[t->order[k]];
		for (int i = 0; i < NX; i++) {
			int l = 0;
			if (i == 0 && o->full_name)
				l = (int)strlen(r->d->name);
			else if (xt_cols[i].flags & XT_COL_GROW) {
				double v = xt_col_num(&xt_cols[i], r, c);
				l = isnan(v) ? 1 : xt_digits1((uint64_t)v);
			}
			if (l > w[i])
				w[i] = l;
		}
	}
	/* The header comes every iteration, even with no domain shown, so
	 * a script can tell that a sample was taken. */
	if (!t->nshow)
		print_header(f, w);
	for (size_t k = 0; k < t->nshow; k++) {
		const xt_row *r = &t->rows[t->order[k]];
		char cell[160];
		if (k == 0 || o->repeat_header)
			print_header(f, w);
		for (int i = 0; i < NX; i++) {
			/* xentop prints 0.0 before it has two samples of a
			 * domain; scripts parse the column as a float. */
			if (i == XT_CPU_PCT_COL && (!r->r || r->r->fresh))
				snprintf(cell, sizeof(cell), "%*s", w[i],
				         "0.0");
			else
				xt_cell(&xt_cols[i], r, c, w[i], false, cell,
				        sizeof(cell));
			fprintf(f, "%s%s", i ? " " : "", cell);
		}
		fputc('\n', f);
		if (o->vcpus)
			do_vcpu(f, r->d);
		if (o->nets)
			do_network(f, r->d);
		if (o->vbds)
			do_vbd(f, r->d);
	}
	if (o->pcpus)
		do_pcpus(f, c);
}
