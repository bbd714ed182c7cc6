/* SPDX-License-Identifier: MIT */
/* EDAC memory-controller counts: devices/system/edac/mc/mcN/{ce,ue}_count
 * give the host totals; mcN/dimmK/dimm_{ce,ue}_count (or csrowK/{ce,ue}_count
 * on drivers without dimm dirs) give them per DIMM. The kernel keeps these
 * as 32-bit counters printed with %u: a drop from near the top is a wrap
 * and is extended past 2^32; any other drop is a reset (driver reload,
 * reset_counters) and counts on from the new value, so the extended count
 * never goes backwards and never loses an error. Per-CPU counts come from
 * the mce tracepoint (mce.c), not EDAC. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

#define EDAC_DIR "devices/system/edac/mc"
#define WRAP_FLOOR 0xC0000000ull /* a drop from above this is a wrap */

void plat_edac_count(plat_ecount *c, hv_u64 raw)
{
	if (!hv_ok(raw)) {
		c->why = raw.why;
		return;
	}
	if (c->seen) {
		uint64_t d;
		if (raw.v >= c->last)
			d = raw.v - c->last;
		else if (c->last >= WRAP_FLOOR && c->last <= UINT32_MAX &&
		         raw.v < WRAP_FLOOR)
			d = raw.v + (UINT32_MAX + 1ull) - c->last;
		else
			d = raw.v; /* reset: counts since the reset */
		c->ext += d;
	} else {
		c->ext = raw.v;
	}
	c->last = raw.v;
	c->seen = 1;
	c->why = HV_OK;
}

static int add_dimm(hv_plat *p, size_t *cap, uint32_t mc, int csrow,
                    uint32_t idx, hv_err *err)
{
	char path[PATH_MAX], label[64] = "";
	plat_dimm *d;

	if (p->ndimm == *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		plat_dimm *nd = realloc(p->dimm, nc * sizeof(*nd));
		if (!nd)
			return hv_err_set(err, ENOMEM, "out of memory");
		p->dimm = nd;
		*cap = nc;
	}
	d = &p->dimm[p->ndimm++];
	memset(d, 0, sizeof(*d));
	d->mc = mc;
	d->csrow = (uint8_t)csrow;
	d->idx = idx;
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               EDAC_DIR "/mc%u/%s%u/%s", mc, csrow ? "csrow" : "dimm",
	               idx, csrow ? "ch0_dimm_label" : "dimm_label"))
		(void)hv_read_str(path, label, sizeof(label), NULL);
	hv_sanitize_name(d->label, sizeof(d->label), label, strlen(label));
	return 0;
}

/* dimmK dirs of one controller, else its csrowK dirs, sorted. */
static int scan_dimms(hv_plat *p, size_t *cap, uint32_t mc, hv_err *err)
{
	char path[PATH_MAX];
	uint32_t idx[2][256];
	size_t n[2] = {0, 0};
	struct dirent *e;
	DIR *d;
	int rc = 0;

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), EDAC_DIR "/mc%u",
	              mc) ||
	    !(d = opendir(path)))
		return 0;
	while ((e = readdir(d))) {
		long k;
		if ((k = plat_numbered(e->d_name, "dimm")) >= 0 && n[0] < 256)
			idx[0][n[0]++] = (uint32_t)k;
		else if ((k = plat_numbered(e->d_name, "csrow")) >= 0 &&
		         n[1] < 256)
			idx[1][n[1]++] = (uint32_t)k;
	}
	closedir(d);
	for (int cs = 0; cs < 2 && !rc; cs++) {
		if (cs == 1 && n[0])
			break; /* csrows repeat the dimms' counts */
		qsort(idx[cs], n[cs], sizeof(uint32_t), plat_u32_cmp);
		for (size_t i = 0; i < n[cs] && !rc; i++)
			rc = add_dimm(p, cap, mc, cs, idx[cs][i], err);
	}
	return rc;
}

int plat_edac_discover(hv_plat *p, hv_err *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t cap = 0, dcap = 0;
	DIR *d;
	int rc = 0;

	free(p->mc);
	free(p->mcc);
	free(p->dimm);
	p->mc = NULL;
	p->mcc = NULL;
	p->dimm = NULL;
	p->nmc = 0;
	p->ndimm = 0;
	p->edac_rediscover = 0;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), EDAC_DIR))
		return hv_err_set(err, ENAMETOOLONG, "edac path too long");
	d = opendir(path);
	if (!d)
		return 0; /* no EDAC driver: totals are unsupported */
	while ((e = readdir(d))) {
		long n = plat_numbered(e->d_name, "mc");
		if (n < 0)
			continue;
		if (p->nmc == cap) {
			size_t nc = cap ? cap * 2 : 4;
			uint32_t *nm = realloc(p->mc, nc * sizeof(*nm));
			if (!nm) {
				rc = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			p->mc = nm;
			cap = nc;
		}
		p->mc[p->nmc++] = (uint32_t)n;
	}
	if (p->nmc > 1)
		qsort(p->mc, p->nmc, sizeof(*p->mc), plat_u32_cmp);
	p->mcc = calloc(p->nmc ? p->nmc : 1, sizeof(*p->mcc));
	if (!p->mcc) {
		rc = hv_err_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (uint32_t i = 0; i < p->nmc && !rc; i++)
		rc = scan_dimms(p, &dcap, p->mc[i], err);
out:
	closedir(d);
	return rc;
}

static hv_u64 read_count(hv_plat *p, const char *rel)
{
	char path[PATH_MAX];
	hv_u64 v;

	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), EDAC_DIR "/%s", rel))
		return hv_na(HV_NA_ERROR);
	v = plat_u64(path, HV_NA_UNAVAILABLE);
	if (v.why == HV_NA_UNAVAILABLE && !plat_has(path))
		p->edac_rediscover = 1; /* vanished: rescan next sample */
	if (hv_ok(v) && v.v > UINT32_MAX)
		v = hv_na(HV_NA_ERROR); /* the kernel prints a u32 */
	return v;
}

static hv_u64 ext_val(const plat_ecount *c)
{
	return c->why == HV_OK ? hv_val(c->ext) : hv_na((hv_why)c->why);
}

void plat_edac_sample(hv_plat *p, hv_snap *s, hv_host *h)
{
	uint64_t ce = 0, ue = 0;
	int ce_bad = 0, ue_bad = 0;

	if (p->edac_rediscover)
		(void)plat_edac_discover(p, NULL);
	if (!p->nmc) {
		h->ce_total = hv_na(HV_NA_UNSUPPORTED);
		h->ue_total = hv_na(HV_NA_UNSUPPORTED);
		return;
	}
	for (uint32_t i = 0; i < p->nmc; i++) {
		plat_mccount *m = &p->mcc[i];
		char rel[64];
		snprintf(rel, sizeof(rel), "mc%u/ce_count", p->mc[i]);
		plat_edac_count(&m->ce, read_count(p, rel));
		snprintf(rel, sizeof(rel), "mc%u/ue_count", p->mc[i]);
		plat_edac_count(&m->ue, read_count(p, rel));
		/* A partial sum would look like a drop later. */
		if (m->ce.why != HV_OK && !ce_bad) {
			h->ce_total = hv_na((hv_why)m->ce.why);
			ce_bad = 1;
		}
		if (m->ue.why != HV_OK && !ue_bad) {
			h->ue_total = hv_na((hv_why)m->ue.why);
			ue_bad = 1;
		}
		ce += m->ce.ext;
		ue += m->ue.ext;
	}
	if (!ce_bad)
		h->ce_total = hv_val(ce);
	if (!ue_bad)
		h->ue_total = hv_val(ue);
	h->nr_dimm = 0;
	h->dimm = NULL;
	if (!p->ndimm)
		return;
	h->dimm = hv_snap_alloc(s, p->ndimm * sizeof(*h->dimm));
	if (!h->dimm)
		return; /* no room: the list is absent, totals stand */
	for (uint32_t i = 0; i < p->ndimm; i++) {
		plat_dimm *d = &p->dimm[i];
		hv_dimm *o = &h->dimm[i];
		const char *kind = d->csrow ? "csrow" : "dimm";
		char rel[96];
		snprintf(o->name, sizeof(o->name), "mc%u/%s%u", d->mc, kind,
		         d->idx);
		memcpy(o->label, d->label, sizeof(o->label));
		snprintf(rel, sizeof(rel), "%s/%s", o->name,
		         d->csrow ? "ce_count" : "dimm_ce_count");
		plat_edac_count(&d->ce, read_count(p, rel));
		o->ce = ext_val(&d->ce);
		snprintf(rel, sizeof(rel), "%s/%s", o->name,
		         d->csrow ? "ue_count" : "dimm_ue_count");
		plat_edac_count(&d->ue, read_count(p, rel));
		o->ue = ext_val(&d->ue);
	}
	h->nr_dimm = p->ndimm;
}
