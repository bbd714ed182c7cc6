/* SPDX-License-Identifier: MIT */
/* The Table: one Row per domain of the current snapshot, the filtered
 * display list, and sorting by any column in O(N log N). */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "xt.h"

void xt_table_init(xt_table *t)
{
	memset(t, 0, sizeof(*t));
	t->sort_col = 0;
}

void xt_table_free(xt_table *t)
{
	free(t->rows);
	free(t->order);
	memset(t, 0, sizeof(*t));
}

static void sums(xt_row *r)
{
	const hv_dom *d = r->d;
	/* xentop: no interfaces sums to 0; we show "-" only when every
	 * interface's counter is missing. */
	r->net_ok = d->nr_net == 0;
	/* xentop's NETTX/NETRX are the host side of the vif (checked against
	 * xentop on Xen): NETTX is what the host sent to the guest, i.e. the
	 * guest's rx; hv_net counts from the guest's side. */
	for (uint32_t i = 0; i < d->nr_net; i++) {
		if (hv_ok(d->net[i].tx_bytes) || hv_ok(d->net[i].rx_bytes))
			r->net_ok = true;
		if (hv_ok(d->net[i].rx_bytes))
			r->net_tx += d->net[i].rx_bytes.v;
		if (hv_ok(d->net[i].tx_bytes))
			r->net_rx += d->net[i].tx_bytes.v;
	}
	/* xentop: a VBD in error is skipped; all in error prints "-". */
	r->vbd_ok = d->nr_blk == 0;
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		const hv_blk *b = &d->blk[i];
		if (!hv_ok(b->rd_reqs) && !hv_ok(b->wr_reqs))
			continue;
		r->vbd_ok = true;
		r->vbd_oo += hv_ok(b->oo_reqs) ? b->oo_reqs.v : 0;
		r->vbd_rd += hv_ok(b->rd_reqs) ? b->rd_reqs.v : 0;
		r->vbd_wr += hv_ok(b->wr_reqs) ? b->wr_reqs.v : 0;
		r->vbd_rsect += hv_ok(b->rd_bytes) ? b->rd_bytes.v / 512 : 0;
		r->vbd_wsect += hv_ok(b->wr_bytes) ? b->wr_bytes.v / 512 : 0;
	}
}

bool xt_row_matches(const xt_row *r, const char *f)
{
	if (!f || !*f)
		return true;
	if (strcasestr(r->d->name, f) || strcasestr(r->d->uuid, f))
		return true;
	char id[16];
	snprintf(id, sizeof(id), "%u", r->d->id);
	return strcmp(id, f) == 0;
}

int xt_table_build(xt_table *t, const hv_snap *s, const xt_ctx *c)
{
	size_t n = s ? hv_snap_ndom(s) : 0;
	if (n > t->cap) {
		xt_row *nr = realloc(t->rows, n * sizeof(*nr));
		if (!nr)
			return -1;
		t->rows = nr;
		size_t *no = realloc(t->order, n * sizeof(*no));
		if (!no)
			return -1;
		t->order = no;
		t->cap = n;
	}
	t->n = n;
	t->nshow = 0;
	for (size_t i = 0; i < n; i++) {
		xt_row *r = &t->rows[i];
		memset(r, 0, sizeof(*r));
		r->d = hv_snap_dom(s, i);
		const hv_rates *rt = hv_snap_rates(s);
		r->r = rt ? hv_rates_dom(rt, i) : NULL;
		sums(r);
		if (xt_row_matches(r, t->filter))
			t->order[t->nshow++] = i;
	}
	xt_table_sort(t, c);
	return 0;
}

/* qsort_r context */
struct sctx {
	const xt_table *t;
	const xt_ctx *c;
};

static int cmp(const void *a, const void *b, void *arg)
{
	const struct sctx *x = arg;
	const xt_row *ra = &x->t->rows[*(const size_t *)a];
	const xt_row *rb = &x->t->rows[*(const size_t *)b];
	const xt_col *col = &xt_cols[x->t->sort_col];
	int r = 0;
	if (col->flags & XT_COL_TEXT) {
		char sa[128], sb[128];
		if (!xt_col_text(col, ra, x->c, sa, sizeof(sa)))
			sa[0] = 0;
		if (!xt_col_text(col, rb, x->c, sb, sizeof(sb)))
			sb[0] = 0;
		r = strcasecmp(sa, sb);
	} else {
		double va = ra->key, vb = rb->key;
		/* Missing values go last whatever the direction. */
		if (isnan(va) || isnan(vb))
			r = (isnan(va) != 0) - (isnan(vb) != 0);
		if (r)
			return r;
		if (!isnan(va))
			r = va < vb   ? 1
			    : va > vb ? -1
			              : 0; /* numbers: largest first */
	}
	if (x->t->reverse)
		r = -r;
	if (!r) /* stable, deterministic order for equal keys */
		r = ra->d->id < rb->d->id ? -1 : ra->d->id > rb->d->id;
	return r;
}

void xt_table_sort(xt_table *t, const xt_ctx *c)
{
	size_t start = 0;
	if (t->dom0_first) {
		for (size_t i = 0; i < t->nshow; i++) {
			if (!strcmp(t->rows[t->order[i]].d->name, "Domain-0")) {
				size_t tmp = t->order[0];
				t->order[0] = t->order[i];
				t->order[i] = tmp;
				start = 1;
				break;
			}
		}
	}
	const xt_col *col = &xt_cols[t->sort_col];
	if (!(col->flags & XT_COL_TEXT))
		for (size_t i = start; i < t->nshow; i++) {
			xt_row *r = &t->rows[t->order[i]];
			r->key = xt_col_num(col, r, c);
		}
	struct sctx x = {t, c};
	if (t->nshow > start)
		qsort_r(t->order + start, t->nshow - start, sizeof(size_t), cmp,
		        &x);
}
