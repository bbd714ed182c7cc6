/* SPDX-License-Identifier: MIT */
/* The column table: one entry per column, shared by the batch printer
 * (xentop's 19, in xentop's order and formats) and the screen (those plus
 * rates, steal, IPC, cache, bandwidth, power). A column is either a row of
 * libhv's field registry (FIELD(): its id, header, width, help, format and
 * value come from the row) or one of xentop's derived figures below (shares
 * of host memory, xentop's NIC/VBD sums, the sparkline). */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "hv/fields.h"
#include "xt.h"

#define U(x) ((double)(x))

static bool fmt_pct(char *b, size_t l, double v)
{
	if (isnan(v))
		return false;
	snprintf(b, l, "%.1f", v);
	return true;
}

int xt_digits1(uint64_t v)
{
	/* xentop: (unsigned)(log10(v + 1) + 1) */
	uint64_t x = v + 1;
	int n = 1;
	while (x >= 10) {
		x /= 10;
		n++;
	}
	return n;
}

static bool no_limit(hv_u64 x)
{
	/* Xen reports an unlimited domain as max pages = ~0. */
	return hv_ok(x) && x.v >= UINT64_MAX / 1024;
}

static double ok_or_nan(hv_u64 x)
{
	return hv_ok(x) ? U(x.v) : NAN;
}

/* ---- xentop's derived columns ---- */
static double n_cpu_pct(const xt_row *r, const xt_ctx *c)
{
	if (!r->r)
		return NAN;
	return c->host_pct ? r->r->cpu_host_pct : r->r->cpu_pct;
}
static bool t_cpu_pct(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	return fmt_pct(b, l, n_cpu_pct(r, c));
}
static double mem_total(const xt_ctx *c)
{
	return hv_ok(c->h->mem_total_kib) && c->h->mem_total_kib.v
	           ? U(c->h->mem_total_kib.v)
	           : NAN;
}
static double n_mem_pct(const xt_row *r, const xt_ctx *c)
{
	return ok_or_nan(r->d->mem_kib) / mem_total(c) * 100;
}
static bool t_mem_pct(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	return fmt_pct(b, l, n_mem_pct(r, c));
}
static double n_maxmem(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return no_limit(r->d->maxmem_kib) ? INFINITY
	                                  : ok_or_nan(r->d->maxmem_kib);
}
static bool t_maxmem(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	if (no_limit(r->d->maxmem_kib)) {
		snprintf(b, l, "no limit");
		return true;
	}
	if (!hv_ok(r->d->maxmem_kib))
		return false;
	snprintf(b, l, "%" PRIu64, r->d->maxmem_kib.v);
	return true;
}
static bool t_max_pct(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	if (no_limit(r->d->maxmem_kib)) {
		snprintf(b, l, "n/a");
		return true;
	}
	return fmt_pct(b, l, n_maxmem(r, c) / mem_total(c) * 100);
}
/* xentop's sums over a domain's NICs and VBDs (xt_row), whole KiB for
 * the network as xentop prints and sorts them. */
#define SUM_COL(f, ok, div)                                                    \
	static double n_##f(const xt_row *r, const xt_ctx *c)                  \
	{                                                                      \
		(void)c;                                                       \
		uint64_t v = r->f / (div); /* whole units, as xentop */        \
		return r->ok ? U(v) : NAN;                                     \
	}                                                                      \
	static bool t_##f(const xt_row *r, const xt_ctx *c, char *b, size_t l) \
	{                                                                      \
		(void)c;                                                       \
		if (!r->ok)                                                    \
			return false;                                          \
		snprintf(b, l, "%" PRIu64, r->f / (div));                      \
		return true;                                                   \
	}
SUM_COL(net_tx, net_ok, 1024)
SUM_COL(net_rx, net_ok, 1024)
SUM_COL(vbd_oo, vbd_ok, 1)
SUM_COL(vbd_rd, vbd_ok, 1)
SUM_COL(vbd_wr, vbd_ok, 1)
SUM_COL(vbd_rsect, vbd_ok, 1)
SUM_COL(vbd_wsect, vbd_ok, 1)

static bool t_spark(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)r;
	(void)c;
	(void)b;
	(void)l;
	return false; /* drawn by the screen from the collector's history */
}

#define X XT_COL_XENTOP
#define D XT_COL_DEFAULT
#define G XT_COL_GROW
#define FIELD(id, fl)                                  \
	{                                              \
		.f = &hv_dom_fields[id], .flags = (fl) \
	}
const xt_col xt_cols[] = {
    FIELD(HV_D_NAME, X | D | XT_COL_LEFT | XT_COL_TEXT | XT_COL_CUT),
    FIELD(HV_D_STATE, X | D | XT_COL_TEXT),
    FIELD(HV_D_CPU_TIME, X | D),
    {"cpu_pct", "CPU(%)", 6, X | D,
     "CPU use; 100% = one pCPU (key % : whole host)", n_cpu_pct, t_cpu_pct,
     NULL},
    FIELD(HV_D_MEM, X | D),
    {"mem_pct", "MEM(%)", 6, X | D, "memory, % of host", n_mem_pct, t_mem_pct,
     NULL},
    {"maxmem", "MAXMEM(k)", 10, X, "maximum memory, KiB", n_maxmem, t_maxmem,
     NULL},
    {"maxmem_pct", "MAXMEM(%)", 9, X, "maximum memory, % of host", n_maxmem,
     t_max_pct, NULL},
    FIELD(HV_D_VCPUS, X | D),
    FIELD(HV_D_NETS, X),
    {"nettx", "NETTX(k)", 8, X | G,
     "KiB sent to the guest (host side of the vif, as xentop)", n_net_tx,
     t_net_tx, NULL},
    {"netrx", "NETRX(k)", 8, X | G,
     "KiB sent by the guest (host side of the vif, as xentop)", n_net_rx,
     t_net_rx, NULL},
    FIELD(HV_D_BLKS, X),
    {"vbd_oo", "VBD_OO", 8, X, "out-of-request events", n_vbd_oo, t_vbd_oo,
     NULL},
    {"vbd_rd", "VBD_RD", 8, X | G, "read requests, total", n_vbd_rd, t_vbd_rd,
     NULL},
    {"vbd_wr", "VBD_WR", 8, X | G, "write requests, total", n_vbd_wr, t_vbd_wr,
     NULL},
    {"vbd_rsect", "VBD_RSECT", 10, X | G, "sectors read, total", n_vbd_rsect,
     t_vbd_rsect, NULL},
    {"vbd_wsect", "VBD_WSECT", 10, X | G, "sectors written, total", n_vbd_wsect,
     t_vbd_wsect, NULL},
    FIELD(HV_D_SSID, X),
    /* beyond xentop */
    FIELD(HV_D_ID, 0),
    FIELD(HV_D_UUID, XT_COL_LEFT | XT_COL_TEXT),
    FIELD(HV_D_STEAL_PCT, D),
    FIELD(HV_D_GUEST_PCT, 0),
    FIELD(HV_D_NET_TX_RATE, D),
    FIELD(HV_D_NET_RX_RATE, D),
    FIELD(HV_D_BLK_RD_RATE, D),
    FIELD(HV_D_BLK_WR_RATE, D),
    FIELD(HV_D_BLK_RD_IOPS, 0),
    FIELD(HV_D_BLK_WR_IOPS, 0),
    FIELD(HV_D_IPC, D | XT_COL_AUTO),
    /* KVM exits per second by kind (debugfs kvm/PID-FD): a group of
     * columns, off by default (add with the column picker or --columns). */
    FIELD(HV_D_KVM_EXITS_RATE, 0),
    FIELD(HV_D_KVM_MMIO_RATE, 0),
    FIELD(HV_D_KVM_IO_RATE, 0),
    FIELD(HV_D_KVM_WAIT_RATE, 0),
    FIELD(HV_D_KVM_HVC_RATE, 0),
    FIELD(HV_D_KVM_IRQ_RATE, 0),
    FIELD(HV_D_KVM_SIGNAL_RATE, 0),
    FIELD(HV_D_LLC, D | XT_COL_AUTO),
    FIELD(HV_D_MBM_TOTAL_RATE, D | XT_COL_AUTO),
    FIELD(HV_D_WATTS, D | XT_COL_AUTO),
    FIELD(HV_D_RSS, 0),
    {"history", "CPU HISTORY", 12, D | XT_COL_LEFT | XT_COL_SPARK,
     "CPU% over the last samples", n_cpu_pct, t_spark, NULL},
};
#undef X
#undef D
#undef G
const size_t xt_ncols = sizeof(xt_cols) / sizeof(xt_cols[0]);

const char *xt_col_name(const xt_col *col)
{
	return col->f ? col->f->col : col->name;
}
const char *xt_col_header(const xt_col *col)
{
	return col->f ? col->f->header : col->header;
}
const char *xt_col_help(const xt_col *col)
{
	return col->f ? col->f->tip : col->help;
}
int xt_col_width(const xt_col *col)
{
	return col->f ? col->f->width : col->width;
}
int xt_col_find(const char *name)
{
	for (size_t i = 0; i < xt_ncols; i++)
		if (!strcmp(xt_col_name(&xt_cols[i]), name) ||
		    !strcasecmp(xt_col_header(&xt_cols[i]), name))
			return (int)i;
	return -1;
}

void xt_cell(const xt_col *col, const xt_row *r, const xt_ctx *c, int width,
             bool left, char *buf, size_t len)
{
	char v[128];
	if (!xt_col_text(col, r, c, v, sizeof(v)))
		snprintf(v, sizeof(v), "-");
	/* xentop's %10.10s: batch NAME is cut to its width unless -f. */
	int prec = (col->flags & XT_COL_CUT && !c->full_name) ? width : 127;
	if (left)
		snprintf(buf, len, "%-*.*s", width, prec, v);
	else
		snprintf(buf, len, "%*.*s", width, prec, v);
}
