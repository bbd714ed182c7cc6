/* SPDX-License-Identifier: MIT */
/* Domain records from a Xen data source (real or mocked).
 *
 * Cost per sample, for N domains, V vCPUs, L /proc/net/dev lines and B vbds:
 * one domain-list call, V getvcpuinfo calls, one /proc/net/dev read parsed
 * without regex, one readdir plus the blkback statistics, and xenstore name
 * reads only for new domains plus a small round-robin refresh budget
 * (libxenstat reads N names every sample, compiles a regex per line and
 * searches domains linearly). Devices are attached by binary search over
 * sorted arrays: O((N + L + B) log). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "xen/xen_int.h"

#define NAME_REFRESH_DEFAULT 8
#define NETDEV_MAX (64u << 20)

struct dslot {
	uint8_t used;
	uint8_t have_name;
	uint8_t handle[16];
	uint32_t gen;
	uint64_t cpu_ns;
	uint64_t seen; /* sample sequence it was last seen in */
	char name[HV_NAME_LEN];
};

struct hv_xen_doms {
	struct dslot *slot; /* indexed by domid */
	size_t nslot;
	uint64_t seq;
	size_t rr; /* round-robin cursor for name refresh */
	unsigned refresh;
	char *netbuf;
	size_t netcap;
	hv_xen_vif *vif;
	size_t vifcap;
	hv_xen_vbd *vbd;
	size_t vbdcap;
};

hv_xen_doms *hv_xen_doms_new(void)
{
	hv_xen_doms *d = calloc(1, sizeof(*d));

	if (d)
		d->refresh = NAME_REFRESH_DEFAULT;
	return d;
}

void hv_xen_doms_free(hv_xen_doms *d)
{
	if (!d)
		return;
	free(d->slot);
	free(d->netbuf);
	free(d->vif);
	free(d->vbd);
	free(d);
}

void hv_xen_doms_set_name_refresh(hv_xen_doms *d, unsigned per_sample)
{
	d->refresh = per_sample;
}

static struct dslot *slot_get(hv_xen_doms *d, uint32_t domid)
{
	if (domid >= HV_XEN_DOMID_MAX)
		return NULL;
	if (domid >= d->nslot) {
		size_t n = d->nslot ? d->nslot : 64;
		while (n <= domid)
			n *= 2;
		if (n > HV_XEN_DOMID_MAX)
			n = HV_XEN_DOMID_MAX;
		struct dslot *ns = realloc(d->slot, n * sizeof(*ns));
		if (!ns)
			return NULL;
		memset(ns + d->nslot, 0, (n - d->nslot) * sizeof(*ns));
		d->slot = ns;
		d->nslot = n;
	}
	return &d->slot[domid];
}

static int vif_cmp(const void *a, const void *b)
{
	const hv_xen_vif *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	return (x->id > y->id) - (x->id < y->id);
}

static int vbd_cmp(const void *a, const void *b)
{
	const hv_xen_vbd *x = a, *y = b;

	if (x->domid != y->domid)
		return x->domid < y->domid ? -1 : 1;
	return (x->dev > y->dev) - (x->dev < y->dev);
}

/* Read and parse /proc/net/dev into d->vif (sorted). Returns count, or
 * -errno when the source failed (networks are then marked missing). */
static ssize_t load_vifs(hv_xen_doms *d, const hv_xen_src *src,
                         hv_xen_counts *cnt)
{
	ssize_t len, n;

	if (!src->netdev)
		return -ENOTSUP;
	if (!d->netbuf) {
		d->netcap = 16384;
		d->netbuf = malloc(d->netcap);
		if (!d->netbuf)
			return -ENOMEM;
	}
	for (;;) {
		len = src->netdev(src->ctx, d->netbuf, d->netcap, cnt);
		if (len < 0)
			return len;
		if ((size_t)len + 1 < d->netcap)
			break;
		if (d->netcap >= NETDEV_MAX)
			return -EFBIG;
		char *nb = realloc(d->netbuf, d->netcap * 2);
		if (!nb)
			return -ENOMEM;
		d->netbuf = nb;
		d->netcap *= 2;
	}
	d->netbuf[len] = '\0';
	n = hv_xen_parse_netdev(d->netbuf, NULL, 0);
	if (n <= 0)
		return n;
	if ((size_t)n > d->vifcap) {
		hv_xen_vif *nv = realloc(d->vif, (size_t)n * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->vif = nv;
		d->vifcap = (size_t)n;
	}
	n = hv_xen_parse_netdev(d->netbuf, d->vif, (size_t)n);
	qsort(d->vif, (size_t)n, sizeof(*d->vif), vif_cmp);
	return n;
}

static ssize_t load_vbds(hv_xen_doms *d, const hv_xen_src *src,
                         hv_xen_counts *cnt)
{
	const hv_xen_vbd *v;
	size_t n;
	int rc;

	if (!src->vbds)
		return -ENOTSUP;
	rc = src->vbds(src->ctx, &v, &n, cnt);
	if (rc < 0)
		return rc;
	if (n > d->vbdcap) {
		hv_xen_vbd *nv = realloc(d->vbd, n * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		d->vbd = nv;
		d->vbdcap = n;
	}
	if (n)
		memcpy(d->vbd, v, n * sizeof(*v));
	qsort(d->vbd, n, sizeof(*d->vbd), vbd_cmp);
	return (ssize_t)n;
}

/* First index in a sorted array whose domid is >= domid. */
#define LOWER_BOUND(arr, n, dom, out)                        \
	do {                                                 \
		size_t lo_ = 0, hi_ = (n);                   \
		while (lo_ < hi_) {                          \
			size_t mid_ = lo_ + (hi_ - lo_) / 2; \
			if ((arr)[mid_].domid < (dom))       \
				lo_ = mid_ + 1;              \
			else                                 \
				hi_ = mid_;                  \
		}                                            \
		(out) = lo_;                                 \
	} while (0)

static int fill_vcpus(hv_snap *s, hv_dom *dom, const hv_xen_dominfo *di,
                      const hv_xen_src *src, hv_xen_counts *cnt)
{
	uint32_t nv;

	if (di->max_vcpu_id == HV_XEN_INVALID_MAX_VCPU_ID)
		return 0;
	nv = di->max_vcpu_id + 1;
	dom->nr_vcpus = nv;
	hv_vcpu *vc = hv_snap_vcpus(s, dom, nv);
	if (!vc)
		return -ENOMEM;
	dom->vcpu = vc;
	dom->nr_vcpu = nv;
	for (uint32_t i = 0; i < nv; i++) {
		hv_xen_vcpuinfo vi;
		int rc;

		vc[i].id = i;
		vc[i].tid = -1;
		vc[i].pcpu = -1;
		rc = src->vcpu(src->ctx, di->domid, i, &vi, cnt);
		if (rc == -ESRCH)
			return rc; /* domain went away mid-sample */
		if (rc < 0) {
			vc[i].time_ns = hv_na(HV_NA_UNAVAILABLE);
			continue;
		}
		vc[i].online = vi.online ? 1 : 0;
		vc[i].pcpu = vi.online ? vi.cpu : -1;
		vc[i].time_ns = hv_val(vi.ns);
		/* Xen gives dom0 no guest/steal split per vCPU. */
	}
	return 0;
}

static int fill_nets(hv_xen_doms *d, ssize_t nvif, hv_snap *s, hv_dom *dom)
{
	size_t lo, hi;

	if (nvif < 0) {
		dom->stale |= HV_SRC_NET;
		return 0;
	}
	LOWER_BOUND(d->vif, (size_t)nvif, dom->id, lo);
	hi = lo;
	while (hi < (size_t)nvif && d->vif[hi].domid == dom->id)
		hi++;
	if (hi == lo)
		return 0;
	hv_net *net = hv_snap_nets(s, dom, (uint32_t)(hi - lo));
	if (!net)
		return -ENOMEM;
	dom->net = net;
	dom->nr_net = (uint32_t)(hi - lo);
	for (size_t i = lo; i < hi; i++) {
		const hv_xen_vif *v = &d->vif[i];
		hv_net *n = &net[i - lo];

		snprintf(n->name, sizeof(n->name), "vif%u.%u", v->domid, v->id);
		n->id = v->id;
		n->rx_bytes = hv_val(v->rx_bytes);
		n->rx_pkts = hv_val(v->rx_pkts);
		n->rx_errs = hv_val(v->rx_errs);
		n->rx_drop = hv_val(v->rx_drop);
		n->tx_bytes = hv_val(v->tx_bytes);
		n->tx_pkts = hv_val(v->tx_pkts);
		n->tx_errs = hv_val(v->tx_errs);
		n->tx_drop = hv_val(v->tx_drop);
	}
	dom->sources |= HV_SRC_NET;
	return 0;
}

static int fill_blks(hv_xen_doms *d, ssize_t nvbd, hv_snap *s, hv_dom *dom)
{
	size_t lo, hi;

	if (nvbd < 0) {
		dom->stale |= HV_SRC_XENCTRL;
		return 0;
	}
	LOWER_BOUND(d->vbd, (size_t)nvbd, dom->id, lo);
	hi = lo;
	while (hi < (size_t)nvbd && d->vbd[hi].domid == dom->id)
		hi++;
	if (hi == lo)
		return 0;
	hv_blk *blk = hv_snap_blks(s, dom, (uint32_t)(hi - lo));
	if (!blk)
		return -ENOMEM;
	dom->blk = blk;
	dom->nr_blk = (uint32_t)(hi - lo);
	for (size_t i = lo; i < hi; i++) {
		const hv_xen_vbd *v = &d->vbd[i];
		hv_blk *b = &blk[i - lo];

		hv_xen_vbd_name(b->name, sizeof(b->name), v->dev);
		b->id = v->dev;
		b->src = v->src;
		if (!v->ok) {
			b->rd_reqs = b->wr_reqs = hv_na(HV_NA_UNAVAILABLE);
			continue; /* everything else stays unsupported */
		}
		b->oo_reqs = hv_val(v->oo);
		b->rd_reqs = hv_val(v->rd);
		b->wr_reqs = hv_val(v->wr);
		b->rd_bytes = hv_val(v->rsect * 512);
		b->wr_bytes = hv_val(v->wsect * 512);
		if (v->have_fl)
			b->fl_reqs = hv_val(v->fl);
		if (v->have_ds)
			b->ds_reqs = hv_val(v->ds);
	}
	return 0;
}

/* Marks the slot seen in this sample, starting a new life (new key
 * generation, name looked up again) when the domid was reused. */
static void slot_track(const hv_xen_doms *d, struct dslot *sl,
                       const hv_xen_dominfo *di)
{
	/* A new life: unseen domid, a gap in sightings, a different
	 * handle, or CPU time that went backwards. */
	if (!sl->used || sl->seen + 1 != d->seq ||
	    memcmp(sl->handle, di->handle, 16) != 0 ||
	    di->cpu_ns < sl->cpu_ns) {
		if (sl->used)
			sl->gen++;
		sl->used = 1;
		sl->have_name = 0;
		memcpy(sl->handle, di->handle, 16);
	}
	sl->seen = d->seq;
	sl->cpu_ns = di->cpu_ns;
}

/* Reads the name from xenstore when unknown or due for a refresh; a failed
 * refresh keeps the name already known. */
static void slot_name(struct dslot *sl, uint32_t domid, bool refresh,
                      const hv_xen_src *src, hv_xen_counts *cnt)
{
	char raw[256];
	int nr;

	if (sl->have_name && !refresh)
		return;
	nr = src->name(src->ctx, domid, raw, sizeof(raw), cnt);
	if (nr >= 0) {
		hv_sanitize_name(sl->name, sizeof(sl->name), raw, strlen(raw));
		sl->have_name = 1;
	} else if (!sl->have_name) {
		sl->name[0] = '\0';
	}
}

/* The domain's identity, state, CPU time and memory from its dominfo. */
static void dom_fill(hv_dom *dom, const hv_xen_dominfo *di,
                     const struct dslot *sl, const hv_xen_src *src)
{
	dom->id = di->domid;
	dom->key = hv_xen_key(di->domid, di->handle, sl->gen);
	memcpy(dom->name, sl->name, sizeof(dom->name));
	if (!sl->have_name)
		snprintf(dom->note, sizeof(dom->note), "no name in xenstore");
	hv_xen_uuid(dom->uuid, di->handle);
	dom->state = hv_xen_state(di->flags);
	dom->ssid = di->ssidref;
	dom->cpu_ns = hv_val(di->cpu_ns);
	dom->mem_kib = hv_val(di->tot_pages * 4);
	if (di->max_pages >= HV_XEN_MAXMEM_NOLIMIT)
		/* xentop's "no limit": not a number to compute with. */
		dom->maxmem_kib = (hv_u64){UINT64_MAX, HV_NA_UNSUPPORTED};
	else
		dom->maxmem_kib = hv_val(di->max_pages * 4);
	dom->sources = HV_SRC_XENCTRL | src->sources;
}

int hv_xen_doms_sample(hv_xen_doms *d, const hv_xen_src *src, hv_snap *s,
                       hv_xen_counts *cnt, hv_err *err)
{
	const hv_xen_dominfo *info;
	size_t n, kept = 0;
	ssize_t nvif, nvbd;
	int rc;

	rc = src->domlist(src->ctx, &info, &n, cnt, err);
	if (rc < 0)
		return rc;
	d->seq++;
	nvif = load_vifs(d, src, cnt);
	nvbd = load_vbds(d, src, cnt);
	if (nvif == -ENOMEM || nvbd == -ENOMEM)
		return hv_err_set(err, ENOMEM, "xen: out of memory");

	for (size_t i = 0; i < n; i++) {
		const hv_xen_dominfo *di = &info[i];
		struct dslot *sl = slot_get(d, di->domid);
		bool refresh;

		if (!sl)
			continue; /* a reserved domid: never a guest */
		slot_track(d, sl, di);
		refresh =
		    d->refresh && n && ((i + n - d->rr % n) % n) < d->refresh;
		slot_name(sl, di->domid, refresh, src, cnt);

		hv_dom *dom = hv_snap_add_dom(s);
		if (!dom)
			return hv_err_set(err, ENOMEM, "xen: out of memory");
		dom_fill(dom, di, sl, src);

		rc = fill_vcpus(s, dom, di, src, cnt);
		if (rc == -ESRCH) {
			hv_snap_drop_last(s);
			sl->seen = 0; /* next sighting is a new life */
			continue;
		}
		if (rc >= 0)
			rc = fill_nets(d, nvif, s, dom);
		if (rc >= 0)
			rc = fill_blks(d, nvbd, s, dom);
		if (rc < 0)
			return hv_err_set(err, -rc, "xen: domain %u: %s",
			                  di->domid, strerror(-rc));
		kept++;
	}
	if (n && d->refresh)
		d->rr = (d->rr + d->refresh) % n;
	return (int)kept;
}
