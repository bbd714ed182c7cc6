/* SPDX-License-Identifier: MIT */
/* kvm backend: libvirt's view of the guests it manages (src/libvirt/),
 * merged by UUID into what procfs gives. procfs keeps the per-thread
 * times, steal, affinity and tap counters of this very sample; libvirt
 * adds what only it (or QEMU's monitor, which libvirtd holds) knows: its
 * name, state with reason, the balloon and the guest's memory view, every
 * disk and every NIC. Its table is from the bulk call asked for at the
 * previous sample (the sampling path never waits for libvirtd). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvm/kvm_be.h"

void hv_kvm_lv_poll(struct kvm *k)
{
	bool managed = false, want_nic = k->lv_want_nic;

	k->lv_want_nic = false; /* this sample's merge finds it again */
	if (k->lv_fixed)
		return;
	hv_lv_tab_unref(k->lvt);
	k->lvt = NULL;
	k->lvst = HV_LV_UNAVAILABLE;
	k->lvwhy[0] = '\0';
	for (size_t i = 0; i < k->nlive && !managed; i++)
		managed = k->live[i]->cmd.libvirt;
	/* No libvirt-managed guest: no thread, no library, as before. */
	if (!managed)
		return;
	if (!k->lv)
		k->lv = hv_lv_new(k->lv_uri, k->lv_timeout_ms);
	if (!k->lv) {
		snprintf(k->lvwhy, sizeof(k->lvwhy), "libvirt: out of memory");
		return;
	}
	/* what the previous sample's merge found */
	hv_lv_want_nic_stats(k->lv, want_nic);
	k->lvt = hv_lv_poll(k->lv, &k->lvst, k->lvwhy, sizeof(k->lvwhy));
}

void hv_kvm_lv_close(struct kvm *k)
{
	hv_lv_tab_unref(k->lvt);
	k->lvt = NULL;
	hv_lv_free(k->lv);
	k->lv = NULL;
}

void hv_kvm_set_libvirt(void *priv, struct hv_lv_tab *t, int status,
                        const char *why)
{
	struct kvm *k = priv;

	hv_lv_tab_unref(k->lvt);
	k->lvt = hv_lv_tab_ref(t);
	k->lvst = (enum hv_lv_status)status;
	snprintf(k->lvwhy, sizeof(k->lvwhy), "%s", why ? why : "");
	k->lv_fixed = true;
}

bool hv_kvm_lv_wants_nic(const void *priv)
{
	const struct kvm *k = priv;

	return k->lv_want_nic;
}

static hv_u64 val_or(hv_u64 v, bool stale)
{
	return stale && hv_ok(v) ? hv_na(HV_NA_STALE) : v;
}

static void lv_state(hv_dom *d, const hv_lv_dom *ld, bool stale)
{
	uint32_t bits = hv_lv_state_bits(ld->state);

	/* procfs knows a dying process better than an old reply */
	if (!bits || stale || (d->state & HV_DS_DYING))
		return;
	/* Keep "blocked" (every vCPU asleep) beside running, as Xen and the
	 * QMP path do. */
	if (bits == HV_DS_RUNNING && d->state == HV_DS_BLOCKED)
		bits = HV_DS_BLOCKED;
	d->state = bits;
	hv_kvm_copy_str(d->state_why, sizeof(d->state_why),
	                hv_lv_reason_str(ld->state, ld->reason));
}

static void lv_mem(hv_dom *d, const hv_lv_dom *ld, bool stale)
{
	if (hv_ok(ld->bal_cur_kib)) {
		d->mem_kib = val_or(ld->bal_cur_kib, stale);
		d->target_kib = d->mem_kib;
	}
	if (hv_ok(ld->bal_max_kib))
		d->maxmem_kib = ld->bal_max_kib; /* configuration */
	d->mem_avail_kib = val_or(ld->avail_kib, stale);
	d->mem_unused_kib = val_or(ld->unused_kib, stale);
	d->mem_usable_kib = val_or(ld->usable_kib, stale);
	d->mem_cache_kib = val_or(ld->cache_kib, stale);
}

static int lv_blk(hv_snap *s, hv_dom *d, const hv_lv_dom *ld, bool stale,
                  uint64_t read_ns)
{
	hv_blk *b;

	if (!ld->nblk)
		return 0;
	b = hv_snap_blks(s, d, ld->nblk);
	if (!b)
		return -ENOMEM;
	for (uint32_t i = 0; i < ld->nblk; i++) {
		const hv_lv_blk *x = &ld->blk[i];
		hv_kvm_copy_str(b[i].name, sizeof(b[i].name), x->name);
		b[i].src = HV_BLK_LIBVIRT;
		b[i].read_ns = read_ns;
		b[i].rd_reqs = val_or(x->rd_reqs, stale);
		b[i].rd_bytes = val_or(x->rd_bytes, stale);
		b[i].rd_ns = val_or(x->rd_ns, stale);
		b[i].wr_reqs = val_or(x->wr_reqs, stale);
		b[i].wr_bytes = val_or(x->wr_bytes, stale);
		b[i].wr_ns = val_or(x->wr_ns, stale);
		b[i].fl_reqs = val_or(x->fl_reqs, stale);
		b[i].fl_ns = val_or(x->fl_ns, stale);
		b[i].capacity_b = val_or(x->capacity_b, stale);
		b[i].alloc_b = val_or(x->alloc_b, stale);
	}
	return 0;
}

static void net_na_all(hv_net *n, hv_why why)
{
	n->rx_bytes = n->rx_pkts = n->rx_errs = n->rx_drop = hv_na(why);
	n->tx_bytes = n->tx_pkts = n->tx_errs = n->tx_drop = hv_na(why);
}

/* A procfs tap of this sample: counters turned to the guest's side. */
static void tap_counters(hv_net *n, const struct knet *t)
{
	hv_u64 *dst[NET_NSTAT] = {
	    &n->tx_bytes, &n->tx_pkts, &n->tx_errs, &n->tx_drop,
	    &n->rx_bytes, &n->rx_pkts, &n->rx_errs, &n->rx_drop,
	};

	for (int st = 0; st < NET_NSTAT; st++)
		*dst[st] =
		    t->ok[st] ? hv_val(t->v[st]) : hv_na(HV_NA_UNAVAILABLE);
}

static void lv_counters(hv_net *n, const hv_lv_net *x, bool stale)
{
	if (!x->has_stats) {
		/* A host device procfs has no tap for (macvtap, vhost-user):
		 * libvirt's interface group is asked for from the next call.
		 * User mode (slirp) and the like: QEMU keeps no counters
		 * libvirt could give; the values stay unsupported. */
		if (x->has_dev)
			net_na_all(n, HV_NA_NOTYET);
		return;
	}
	n->rx_bytes = val_or(x->rx_bytes, stale);
	n->rx_pkts = val_or(x->rx_pkts, stale);
	n->rx_errs = val_or(x->rx_errs, stale);
	n->rx_drop = val_or(x->rx_drop, stale);
	n->tx_bytes = val_or(x->tx_bytes, stale);
	n->tx_pkts = val_or(x->tx_pkts, stale);
	n->tx_errs = val_or(x->tx_errs, stale);
	n->tx_drop = val_or(x->tx_drop, stale);
}

static const struct knet *find_tap(const struct kguest *g, const char *name)
{
	for (uint32_t j = 0; j < g->nnet; j++)
		if (strcmp(g->net[j].name, name) == 0)
			return &g->net[j];
	return NULL;
}

/* libvirt's NICs in its order (every type), then any tap procfs found
 * that libvirt did not name. A tap's counters are this sample's. */
static int lv_net(struct kvm *k, hv_snap *s, hv_dom *d, const struct kguest *g,
                  const hv_lv_dom *ld, bool stale)
{
	uint32_t n = ld->nnet, extra = 0, i = 0;
	hv_net *out;

	for (uint32_t j = 0; j < g->nnet; j++) {
		bool named = false;
		for (uint32_t x = 0; x < ld->nnet && !named; x++)
			named = strcmp(ld->net[x].name, g->net[j].name) == 0;
		extra += !named;
	}
	if (n + extra == 0)
		return 0;
	out = hv_snap_nets(s, d, n + extra);
	if (!out)
		return -ENOMEM;
	for (; i < n; i++) {
		const hv_lv_net *x = &ld->net[i];
		const struct knet *t = find_tap(g, x->name);
		hv_kvm_copy_str(out[i].name, sizeof(out[i].name), x->name);
		hv_kvm_copy_str(out[i].type, sizeof(out[i].type), x->type);
		k->lv_want_nic |= x->has_dev && !t;
		if (t)
			tap_counters(&out[i], t);
		else
			lv_counters(&out[i], x, stale);
	}
	for (uint32_t j = 0; j < g->nnet; j++) {
		bool named = false;
		for (uint32_t x = 0; x < ld->nnet && !named; x++)
			named = strcmp(ld->net[x].name, g->net[j].name) == 0;
		if (named)
			continue;
		hv_kvm_copy_str(out[i].name, sizeof(out[i].name),
		                g->net[j].name);
		tap_counters(&out[i++], &g->net[j]);
	}
	for (uint32_t x = 0; x < n + extra; x++)
		out[x].id = x;
	d->sources |= HV_SRC_NET;
	return 0;
}

/* Why g has no libvirt record this sample (a note), or NULL with *ld. */
static const char *lookup(const struct kvm *k, const struct kguest *g,
                          const hv_lv_dom **ld)
{
	*ld = NULL;
	if (!k->lvt)
		return k->lvwhy[0] ? k->lvwhy : "libvirt: no data";
	*ld = hv_lv_tab_find(k->lvt, g->cmd.uuid);
	/* A QEMU that started after the call began is not the one in the
	 * reply, even with the same UUID (destroyed and started again). */
	if (*ld && g->starttime * k->tick_ns >= k->lvt->call_boot_ns)
		*ld = NULL;
	if (!*ld)
		return g->cmd.uuid[0] ? "libvirt: not in its last reply"
		                      : "libvirt: no UUID to match";
	return NULL;
}

int hv_kvm_fill_libvirt(struct kvm *k, hv_snap *s, hv_dom *d,
                        const struct kguest *g)
{
	const hv_lv_dom *ld;
	const char *why;
	char note[HV_NOTE_LEN];
	bool stale = k->lvst == HV_LV_STALE;

	if (!g->cmd.libvirt && !(k->lvt && hv_lv_tab_find(k->lvt, g->cmd.uuid)))
		return 0;
	why = lookup(k, g, &ld);
	if (why) {
		/* one note says it all: procfs keeps going */
		snprintf(note, sizeof(note), "%s: procfs only", why);
		hv_kvm_note(d, note);
		return 0;
	}
	d->sources |= HV_SRC_LIBVIRT;
	if (stale) {
		d->stale |= HV_SRC_LIBVIRT;
		snprintf(note, sizeof(note), "%s (stale)", k->lvwhy);
		hv_kvm_note(d, note);
	}
	if (ld->name[0])
		hv_kvm_copy_str(d->name, sizeof(d->name), ld->name);
	hv_kvm_copy_str(d->uuid, sizeof(d->uuid), ld->uuid);
	lv_state(d, ld, stale);
	lv_mem(d, ld, stale);
	if (lv_blk(s, d, ld, stale, k->lvt->call_mono_ns) ||
	    lv_net(k, s, d, g, ld, stale))
		return -ENOMEM;
	return 1;
}
