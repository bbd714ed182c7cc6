/* SPDX-License-Identifier: MIT */
/* Snapshots: an arena per snapshot (one free releases a whole sample of
 * thousands of domains), a pointer array of domains, and open-addressing
 * hash indexes by key and id built at seal time. */
#include "hv/sample.h"

#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "hv/rates.h"

#define ARENA_CHUNK (64 * 1024)

struct arena_chunk {
	struct arena_chunk *next;
	size_t used, size;
	_Alignas(16) unsigned char data[];
};

struct hv_snap {
	atomic_int refs;
	int sealed;
	uint64_t seq, mono_ns, cost_ns;
	int64_t wall_ns;
	hv_host host;
	hv_dom **doms;
	size_t ndom, cap;
	uint32_t *by_key; /* index+1, 0 = empty */
	uint32_t *by_id;
	size_t hmask;
	struct hv_rates *rates;
	struct arena_chunk *arena;
};

static const char *const why_names[] = {
    [HV_OK] = "ok",
    [HV_NA_UNSUPPORTED] = "unsupported",
    [HV_NA_UNAVAILABLE] = "unavailable",
    [HV_NA_STALE] = "stale",
    [HV_NA_ERROR] = "error",
    [HV_NA_NOTYET] = "not yet",
};

const char *hv_why_str(hv_why why)
{
	if ((unsigned)why < sizeof(why_names) / sizeof(why_names[0]))
		return why_names[why];
	return "unknown";
}

void *hv_snap_alloc(hv_snap *s, size_t n)
{
	struct arena_chunk *c = s->arena;

	n = (n + 15) & ~(size_t)15;
	if (!c || c->size - c->used < n) {
		size_t sz = n > ARENA_CHUNK ? n : ARENA_CHUNK;
		c = malloc(sizeof(*c) + sz);
		if (!c)
			return NULL;
		c->size = sz;
		c->used = 0;
		c->next = s->arena;
		s->arena = c;
	}
	void *p = c->data + c->used;
	c->used += n;
	memset(p, 0, n);
	return p;
}

hv_snap *hv_snap_new(void)
{
	hv_snap *s = calloc(1, sizeof(*s));

	if (!s)
		return NULL;
	atomic_init(&s->refs, 1);
	s->host.uptime_ns = hv_na(HV_NA_UNSUPPORTED);
	s->host.mem_total_kib = hv_na(HV_NA_UNSUPPORTED);
	s->host.mem_free_kib = hv_na(HV_NA_UNSUPPORTED);
	s->host.ce_total = hv_na(HV_NA_UNSUPPORTED);
	s->host.ue_total = hv_na(HV_NA_UNSUPPORTED);
	s->host.mce_lost = hv_na(HV_NA_UNSUPPORTED);
	s->host.page_why = HV_NA_UNSUPPORTED;
	return s;
}

hv_snap *hv_snap_ref(hv_snap *s)
{
	if (s)
		atomic_fetch_add_explicit(&s->refs, 1, memory_order_relaxed);
	return s;
}

void hv_snap_unref(hv_snap *s)
{
	struct arena_chunk *c, *n;

	if (!s ||
	    atomic_fetch_sub_explicit(&s->refs, 1, memory_order_acq_rel) != 1)
		return;
	hv_rates_free(s->rates);
	for (c = s->arena; c; c = n) {
		n = c->next;
		free(c);
	}
	free(s->doms);
	free(s->by_key);
	free(s->by_id);
	free(s);
}

uint64_t hv_snap_seq(const hv_snap *s)
{
	return s->seq;
}
uint64_t hv_snap_mono_ns(const hv_snap *s)
{
	return s->mono_ns;
}
int64_t hv_snap_wall_ns(const hv_snap *s)
{
	return s->wall_ns;
}
uint64_t hv_snap_cost_ns(const hv_snap *s)
{
	return s->cost_ns;
}
const hv_host *hv_snap_host(const hv_snap *s)
{
	return &s->host;
}
hv_host *hv_snap_host_mut(hv_snap *s)
{
	return &s->host;
}
size_t hv_snap_ndom(const hv_snap *s)
{
	return s->ndom;
}
const struct hv_rates *hv_snap_rates(const hv_snap *s)
{
	return s->rates;
}

const hv_dom *hv_snap_dom(const hv_snap *s, size_t i)
{
	return i < s->ndom ? s->doms[i] : NULL;
}

hv_dom *hv_snap_dom_mut(hv_snap *s, size_t i)
{
	return i < s->ndom ? s->doms[i] : NULL;
}

void hv_snap_set_time(hv_snap *s, uint64_t mono_ns, int64_t wall_ns,
                      uint64_t cost_ns)
{
	s->mono_ns = mono_ns;
	s->wall_ns = wall_ns;
	s->cost_ns = cost_ns;
}

void hv_snap_set_seq(hv_snap *s, uint64_t seq)
{
	s->seq = seq;
}

void hv_snap_attach_rates(hv_snap *s, struct hv_rates *r)
{
	hv_rates_free(s->rates);
	s->rates = r;
}

#define NA hv_na(HV_NA_UNSUPPORTED)

hv_dom *hv_snap_add_dom(hv_snap *s)
{
	hv_dom *d;

	if (s->sealed)
		return NULL;
	if (s->ndom == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		hv_dom **nd = realloc(s->doms, cap * sizeof(*nd));
		if (!nd)
			return NULL;
		s->doms = nd;
		s->cap = cap;
	}
	d = hv_snap_alloc(s, sizeof(*d));
	if (!d)
		return NULL;
	d->cpu_ns = d->mem_kib = d->maxmem_kib = d->target_kib = NA;
	d->rss_kib = d->llc_bytes = d->mbm_total_bytes = NA;
	d->mbm_local_bytes = d->energy_uj = NA;
	d->mem_avail_kib = d->mem_unused_kib = d->mem_usable_kib = NA;
	d->mem_cache_kib = d->io_rd_bytes = d->io_wr_bytes = NA;
	d->kvm_exits = d->kvm_mmio_exits = d->kvm_io_exits = NA;
	d->kvm_wait_exits = d->kvm_hvc_exits = d->kvm_irq_exits = NA;
	d->kvm_signal_exits = NA;
	s->doms[s->ndom++] = d;
	return d;
}

void hv_snap_drop_last(hv_snap *s)
{
	/* The record's arena memory is simply not reused: a vanished domain
	 * is rare and the arena is freed with the snapshot. */
	if (!s->sealed && s->ndom)
		s->ndom--;
}

hv_vcpu *hv_snap_vcpus(hv_snap *s, hv_dom *d, uint32_t n)
{
	hv_vcpu *v = n ? hv_snap_alloc(s, n * sizeof(*v)) : NULL;

	if (!v && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		v[i].id = i;
		v[i].pcpu = -1;
		v[i].tid = -1;
		v[i].online = 1;
		v[i].time_ns = v[i].guest_ns = v[i].wait_ns = NA;
		v[i].kvm_exits = v[i].kvm_wait_exits = NA;
		for (int k = 0; k < HV_HW_MAX; k++)
			v[i].hw[k] = NA;
	}
	d->vcpu = v;
	d->nr_vcpu = n;
	return v;
}

hv_net *hv_snap_nets(hv_snap *s, hv_dom *d, uint32_t n)
{
	hv_net *x = n ? hv_snap_alloc(s, n * sizeof(*x)) : NULL;

	if (!x && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		x[i].id = i;
		x[i].rx_bytes = x[i].rx_pkts = x[i].rx_errs = x[i].rx_drop = NA;
		x[i].tx_bytes = x[i].tx_pkts = x[i].tx_errs = x[i].tx_drop = NA;
	}
	d->net = x;
	d->nr_net = n;
	return x;
}

hv_blk *hv_snap_blks(hv_snap *s, hv_dom *d, uint32_t n)
{
	hv_blk *b = n ? hv_snap_alloc(s, n * sizeof(*b)) : NULL;

	if (!b && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		b[i].id = i;
		b[i].rd_reqs = b[i].wr_reqs = b[i].fl_reqs = NA;
		b[i].ds_reqs = b[i].oo_reqs = NA;
		b[i].rd_bytes = b[i].wr_bytes = NA;
		b[i].rd_ns = b[i].wr_ns = b[i].fl_ns = NA;
		b[i].capacity_b = b[i].alloc_b = NA;
	}
	d->blk = b;
	d->nr_blk = n;
	return b;
}

hv_pcpu *hv_snap_pcpus(hv_snap *s, uint32_t n)
{
	hv_pcpu *p = n ? hv_snap_alloc(s, n * sizeof(*p)) : NULL;

	if (!p && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		p[i].id = i;
		p[i].online = -1;
		p[i].pkg = p[i].die = p[i].core = -1;
		p[i].busy_ns = p[i].idle_ns = NA;
		p[i].cur_khz = p[i].min_khz = p[i].max_khz = NA;
		p[i].hw_min_khz = p[i].hw_max_khz = NA;
		p[i].ce_count = p[i].ue_count = p[i].last_err_ns = NA;
		p[i].last_bank = -1;
		p[i].cppc_highest_perf = p[i].cppc_nominal_perf = NA;
		p[i].cppc_lowest_perf = p[i].cppc_fb_ref = p[i].cppc_fb_del =
		    NA;
		for (int k = 0; k < HV_PSTATE_MAX; k++)
			p[i].pstate[k].time_ns = NA;
		for (int k = 0; k < HV_CSTATE_MAX; k++)
			p[i].cstate[k].time_ns = p[i].cstate[k].usage = NA;
	}
	s->host.pcpu = p;
	s->host.nr_pcpu = n;
	return p;
}

hv_rapl *hv_snap_rapls(hv_snap *s, uint32_t n)
{
	hv_rapl *r = n ? hv_snap_alloc(s, n * sizeof(*r)) : NULL;

	if (!r && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++) {
		r[i].pkg = -1;
		r[i].energy_uj = r[i].limit_uw = NA;
	}
	s->host.rapl = r;
	s->host.nr_rapl = n;
	return r;
}

hv_hwmon *hv_snap_hwmons(hv_snap *s, uint32_t n)
{
	hv_hwmon *r = n ? hv_snap_alloc(s, n * sizeof(*r)) : NULL;

	if (!r && n)
		return NULL;
	for (uint32_t i = 0; i < n; i++)
		r[i].energy_uj = r[i].power_uw = NA;
	s->host.hwmon = r;
	s->host.nr_hwmon = n;
	return r;
}

static inline size_t hash64(uint64_t x)
{
	/* splitmix64 finaliser: keys are pid/starttime mixes, ids small ints */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return (size_t)x;
}

int hv_snap_seal(hv_snap *s, hv_err *err)
{
	size_t size = 16;

	if (s->sealed)
		return 0;
	while (size < s->ndom * 2)
		size <<= 1;
	s->by_key = calloc(size, sizeof(uint32_t));
	s->by_id = calloc(size, sizeof(uint32_t));
	if (!s->by_key || !s->by_id) {
		free(s->by_key);
		free(s->by_id);
		s->by_key = s->by_id = NULL;
		return hv_err_set(err, ENOMEM, "snapshot index: out of memory");
	}
	s->hmask = size - 1;
	for (size_t i = 0; i < s->ndom; i++) {
		size_t h = hash64(s->doms[i]->key) & s->hmask;
		while (s->by_key[h]) {
			if (s->doms[s->by_key[h] - 1]->key == s->doms[i]->key)
				return hv_err_set(
				    err, EEXIST,
				    "two domains share key %llx (%s, %s)",
				    (unsigned long long)s->doms[i]->key,
				    s->doms[s->by_key[h] - 1]->name,
				    s->doms[i]->name);
			h = (h + 1) & s->hmask;
		}
		s->by_key[h] = (uint32_t)i + 1;
		h = hash64(s->doms[i]->id) & s->hmask;
		while (s->by_id[h])
			h = (h + 1) & s->hmask;
		s->by_id[h] = (uint32_t)i + 1;
	}
	s->sealed = 1;
	return 0;
}

const hv_dom *hv_snap_find_key(const hv_snap *s, uint64_t key)
{
	if (!s->by_key)
		return NULL;
	for (size_t h = hash64(key) & s->hmask; s->by_key[h];
	     h = (h + 1) & s->hmask)
		if (s->doms[s->by_key[h] - 1]->key == key)
			return s->doms[s->by_key[h] - 1];
	return NULL;
}

const hv_dom *hv_snap_find_id(const hv_snap *s, uint32_t id)
{
	if (!s->by_id)
		return NULL;
	for (size_t h = hash64(id) & s->hmask; s->by_id[h];
	     h = (h + 1) & s->hmask)
		if (s->doms[s->by_id[h] - 1]->id == id)
			return s->doms[s->by_id[h] - 1];
	return NULL;
}

long hv_snap_index(const hv_snap *s, const hv_dom *d)
{
	const hv_dom *f = d ? hv_snap_find_key(s, d->key) : NULL;

	if (f != d || !f) {
		/* Unsealed or foreign record: linear fallback. */
		for (size_t i = 0; i < s->ndom; i++)
			if (s->doms[i] == d)
				return (long)i;
		return -1;
	}
	for (size_t h = hash64(d->key) & s->hmask; s->by_key[h];
	     h = (h + 1) & s->hmask)
		if (s->doms[s->by_key[h] - 1] == d)
			return (long)s->by_key[h] - 1;
	return -1;
}
