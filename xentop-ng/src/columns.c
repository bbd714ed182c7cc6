/* SPDX-License-Identifier: MIT */
/* The column table: one entry per column, shared by the batch printer
 * (xentop's 19, in xentop's order and formats) and the screen (those plus
 * rates, steal, IPC, cache, bandwidth, power). Adding a column is one entry. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "xt.h"

#define U(x) ((double)(x))

static double ok_or_nan(hv_u64 x)
{
	return hv_ok(x) ? U(x.v) : NAN;
}

static double rate(const xt_row *r, size_t off)
{
	if (!r->r)
		return NAN;
	return *(const double *)((const char *)r->r + off);
}
#define RATE(field) rate(r, offsetof(hv_dom_rate, field))

static bool fmt_u64(char *b, size_t l, hv_u64 x, uint64_t div)
{
	if (!hv_ok(x))
		return false;
	snprintf(b, l, "%" PRIu64, x.v / div);
	return true;
}

static bool fmt_pct(char *b, size_t l, double v)
{
	if (isnan(v))
		return false;
	snprintf(b, l, "%.1f", v);
	return true;
}

void xt_human(double v, char *buf, size_t len)
{
	static const char unit[] = " KMGTPE";
	if (isnan(v)) {
		snprintf(buf, len, "-");
		return;
	}
	int u = 0;
	while (fabs(v) >= 1000 && u < 6) {
		v /= 1024;
		u++;
	}
	if (u == 0)
		snprintf(buf, len, "%.0f", v);
	else if (v < 10)
		snprintf(buf, len, "%.1f%c", v, unit[u]);
	else
		snprintf(buf, len, "%.0f%c", v, unit[u]);
}

static bool fmt_human(char *b, size_t l, double v)
{
	if (isnan(v))
		return false;
	xt_human(v, b, l);
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

void xt_state_str(uint32_t st, char out[7])
{
	static const struct {
		uint32_t bit;
		char ch;
	} m[] = {{HV_DS_DYING, 'd'},   {HV_DS_SHUTDOWN | HV_DS_SHUTOFF, 's'},
	         {HV_DS_BLOCKED, 'b'}, {HV_DS_CRASHED, 'c'},
	         {HV_DS_PAUSED, 'p'},  {HV_DS_RUNNING, 'r'}};
	for (int i = 0; i < 6; i++)
		out[i] = (st & m[i].bit) ? m[i].ch : '-';
	out[6] = 0;
}

static bool no_limit(hv_u64 x)
{
	/* Xen reports an unlimited domain as max pages = ~0. */
	return hv_ok(x) && x.v >= UINT64_MAX / 1024;
}

/* ---- xentop's columns ---- */
static double n_name(const xt_row *r, const xt_ctx *c)
{
	(void)r;
	(void)c;
	return 0;
}
static bool t_name(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%s", r->d->name);
	return true;
}
static double n_state(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->state);
}
static bool t_state(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	char s[7];
	xt_state_str(r->d->state, s);
	snprintf(b, l, "%s", s);
	return true;
}
static double n_cpu(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return ok_or_nan(r->d->cpu_ns);
}
static bool t_cpu(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	return fmt_u64(b, l, r->d->cpu_ns, 1000000000);
}
static double n_cpu_pct(const xt_row *r, const xt_ctx *c)
{
	return c->host_pct ? RATE(cpu_host_pct) : RATE(cpu_pct);
}
static bool t_cpu_pct(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	return fmt_pct(b, l, n_cpu_pct(r, c));
}
static double n_mem(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return ok_or_nan(r->d->mem_kib);
}
static bool t_mem(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	return fmt_u64(b, l, r->d->mem_kib, 1);
}
static double mem_total(const xt_ctx *c)
{
	return hv_ok(c->h->mem_total_kib) && c->h->mem_total_kib.v
	           ? U(c->h->mem_total_kib.v)
	           : NAN;
}
static double n_mem_pct(const xt_row *r, const xt_ctx *c)
{
	return n_mem(r, c) / mem_total(c) * 100;
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
	return fmt_u64(b, l, r->d->maxmem_kib, 1);
}
static bool t_max_pct(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	if (no_limit(r->d->maxmem_kib)) {
		snprintf(b, l, "n/a");
		return true;
	}
	return fmt_pct(b, l, n_maxmem(r, c) / mem_total(c) * 100);
}
static double n_vcpus(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->nr_vcpus);
}
static bool t_vcpus(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%" PRIu32, r->d->nr_vcpus);
	return true;
}
static double n_nets(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->nr_net);
}
static bool t_nets(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%" PRIu32, r->d->nr_net);
	return true;
}
static double n_nettx(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	/* whole KiB, as xentop prints and sorts */
	uint64_t kib = r->net_tx / 1024;
	return r->net_ok ? U(kib) : NAN;
}
static bool t_nettx(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	if (!r->net_ok)
		return false;
	snprintf(b, l, "%" PRIu64, r->net_tx / 1024);
	return true;
}
static double n_netrx(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	/* whole KiB, as xentop prints and sorts */
	uint64_t kib = r->net_rx / 1024;
	return r->net_ok ? U(kib) : NAN;
}
static bool t_netrx(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	if (!r->net_ok)
		return false;
	snprintf(b, l, "%" PRIu64, r->net_rx / 1024);
	return true;
}
static double n_vbds(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->nr_blk);
}
static bool t_vbds(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%" PRIu32, r->d->nr_blk);
	return true;
}
#define VBD_COL(f)                                                             \
	static double n_##f(const xt_row *r, const xt_ctx *c)                  \
	{                                                                      \
		(void)c;                                                       \
		return r->vbd_ok ? U(r->f) : NAN;                              \
	}                                                                      \
	static bool t_##f(const xt_row *r, const xt_ctx *c, char *b, size_t l) \
	{                                                                      \
		(void)c;                                                       \
		if (!r->vbd_ok)                                                \
			return false;                                          \
		snprintf(b, l, "%" PRIu64, r->f);                              \
		return true;                                                   \
	}
VBD_COL(vbd_oo)
VBD_COL(vbd_rd)
VBD_COL(vbd_wr)
VBD_COL(vbd_rsect)
VBD_COL(vbd_wsect)

static double n_ssid(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->ssid);
}
static bool t_ssid(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%" PRIu32, r->d->ssid);
	return true;
}

/* ---- extra columns ---- */
static double n_id(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return U(r->d->id);
}
static bool t_id(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	snprintf(b, l, "%" PRIu32, r->d->id);
	return true;
}
static bool t_uuid(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	if (!r->d->uuid[0])
		return false;
	snprintf(b, l, "%s", r->d->uuid);
	return true;
}
#define RATE_COL(nm, field, fmt)                                      \
	static double n_##nm(const xt_row *r, const xt_ctx *c)        \
	{                                                             \
		(void)c;                                              \
		return RATE(field);                                   \
	}                                                             \
	static bool t_##nm(const xt_row *r, const xt_ctx *c, char *b, \
	                   size_t l)                                  \
	{                                                             \
		return fmt(b, l, n_##nm(r, c));                       \
	}
RATE_COL(steal, steal_pct, fmt_pct)
RATE_COL(guest, guest_pct, fmt_pct)
RATE_COL(txps, net_tx_Bps, fmt_human)
RATE_COL(rxps, net_rx_Bps, fmt_human)
RATE_COL(rdps, blk_rd_Bps, fmt_human)
RATE_COL(wrps, blk_wr_Bps, fmt_human)
RATE_COL(riops, blk_rd_iops, fmt_human)
RATE_COL(wiops, blk_wr_iops, fmt_human)
RATE_COL(mbw, mbm_total_Bps, fmt_human)

static double n_ipc(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return RATE(ipc);
}
static bool t_ipc(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	double v = n_ipc(r, c);
	if (isnan(v))
		return false;
	snprintf(b, l, "%.2f", v);
	return true;
}
static double n_watts(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return RATE(watts);
}
static bool t_watts(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	double v = n_watts(r, c);
	if (isnan(v))
		return false;
	snprintf(b, l, "%.1f", v);
	return true;
}
static double n_llc(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return ok_or_nan(r->d->llc_bytes);
}
static bool t_llc(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	return fmt_human(b, l, n_llc(r, c));
}
static double n_rss(const xt_row *r, const xt_ctx *c)
{
	(void)c;
	return ok_or_nan(r->d->rss_kib);
}
static bool t_rss(const xt_row *r, const xt_ctx *c, char *b, size_t l)
{
	(void)c;
	return fmt_u64(b, l, r->d->rss_kib, 1);
}
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
const xt_col xt_cols[] = {
    {"name", "NAME", 10, X | D | XT_COL_LEFT | XT_COL_TEXT, "domain name",
     n_name, t_name},
    {"state", "STATE", 6, X | D | XT_COL_TEXT,
     "d s b c p r: dying shutdown blocked crashed paused running", n_state,
     t_state},
    {"cpu", "CPU(sec)", 10, X | D, "CPU time used, seconds", n_cpu, t_cpu},
    {"cpu_pct", "CPU(%)", 6, X | D,
     "CPU use; 100% = one pCPU (key % : whole host)", n_cpu_pct, t_cpu_pct},
    {"mem", "MEM(k)", 10, X | D, "current memory, KiB", n_mem, t_mem},
    {"mem_pct", "MEM(%)", 6, X | D, "memory, % of host", n_mem_pct, t_mem_pct},
    {"maxmem", "MAXMEM(k)", 10, X, "maximum memory, KiB", n_maxmem, t_maxmem},
    {"maxmem_pct", "MAXMEM(%)", 9, X, "maximum memory, % of host", n_maxmem,
     t_max_pct},
    {"vcpus", "VCPUS", 5, X | D, "configured vCPUs", n_vcpus, t_vcpus},
    {"nets", "NETS", 4, X, "network interfaces", n_nets, t_nets},
    {"nettx", "NETTX(k)", 8, X | G,
     "KiB sent to the guest (host side of the vif, as xentop)", n_nettx,
     t_nettx},
    {"netrx", "NETRX(k)", 8, X | G,
     "KiB sent by the guest (host side of the vif, as xentop)", n_netrx,
     t_netrx},
    {"vbds", "VBDS", 4, X, "block devices", n_vbds, t_vbds},
    {"vbd_oo", "VBD_OO", 8, X, "out-of-request events", n_vbd_oo, t_vbd_oo},
    {"vbd_rd", "VBD_RD", 8, X | G, "read requests, total", n_vbd_rd, t_vbd_rd},
    {"vbd_wr", "VBD_WR", 8, X | G, "write requests, total", n_vbd_wr, t_vbd_wr},
    {"vbd_rsect", "VBD_RSECT", 10, X | G, "sectors read, total", n_vbd_rsect,
     t_vbd_rsect},
    {"vbd_wsect", "VBD_WSECT", 10, X | G, "sectors written, total", n_vbd_wsect,
     t_vbd_wsect},
    {"ssid", "SSID", 4, X, "XSM security id", n_ssid, t_ssid},
    /* beyond xentop */
    {"id", "ID", 7, 0, "domid (Xen) or QEMU pid (KVM)", n_id, t_id},
    {"uuid", "UUID", 36, XT_COL_LEFT | XT_COL_TEXT, "domain UUID", n_name,
     t_uuid},
    {"steal", "STEAL%", 6, D, "runnable but waiting for a pCPU", n_steal,
     t_steal},
    {"guest", "GUEST%", 6, 0, "time in guest mode (KVM)", n_guest, t_guest},
    {"txps", "TX/s", 6, D, "bytes/s sent by the guest", n_txps, t_txps},
    {"rxps", "RX/s", 6, D, "bytes/s received by the guest", n_rxps, t_rxps},
    {"rdps", "RD/s", 6, D, "disk bytes read per second", n_rdps, t_rdps},
    {"wrps", "WR/s", 6, D, "disk bytes written per second", n_wrps, t_wrps},
    {"riops", "RIOPS", 6, 0, "read requests per second", n_riops, t_riops},
    {"wiops", "WIOPS", 6, 0, "write requests per second", n_wiops, t_wiops},
    {"ipc", "IPC", 5, D | XT_COL_AUTO, "instructions per cycle (perf)", n_ipc,
     t_ipc},
    {"llc", "LLC", 6, D | XT_COL_AUTO, "last-level cache occupancy (resctrl)",
     n_llc, t_llc},
    {"mbw", "MBW/s", 6, D | XT_COL_AUTO, "memory bandwidth (resctrl MBM)",
     n_mbw, t_mbw},
    {"watts", "WATTS", 6, D | XT_COL_AUTO, "attributed package power", n_watts,
     t_watts},
    {"rss", "RSS(k)", 10, 0, "host resident memory (KVM)", n_rss, t_rss},
    {"history", "CPU HISTORY", 12, D | XT_COL_LEFT | XT_COL_SPARK,
     "CPU% over the last samples", n_cpu_pct, t_spark},
};
#undef X
#undef D
#undef G
const size_t xt_ncols = sizeof(xt_cols) / sizeof(xt_cols[0]);

int xt_col_find(const char *name)
{
	for (size_t i = 0; i < xt_ncols; i++)
		if (!strcmp(xt_cols[i].name, name) ||
		    !strcasecmp(xt_cols[i].header, name))
			return (int)i;
	return -1;
}

void xt_cell(const xt_col *col, const xt_row *r, const xt_ctx *c, int width,
             bool left, char *buf, size_t len)
{
	char v[128];
	if (!col->text(r, c, v, sizeof(v)))
		snprintf(v, sizeof(v), "-");
	/* xentop's %10.10s: batch NAME is cut to its width unless -f. */
	int prec = (col->text == t_name && !c->full_name) ? width : 127;
	if (left)
		snprintf(buf, len, "%-*.*s", width, prec, v);
	else
		snprintf(buf, len, "%*.*s", width, prec, v);
}
