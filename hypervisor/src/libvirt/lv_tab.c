/* SPDX-License-Identifier: MIT */
/* Pure parts of the libvirt source: the table of one bulk call, stats keys
 * into records, state reasons, NICs from the domain XML. No libvirt
 * headers: unit-tested and fuzzed without libvirt. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "libvirt/lv_int.h"

#define MAX_ITEMS 4096 /* NICs or disks of one domain */

hv_lv_tab *hv_lv_tab_new(void)
{
	hv_lv_tab *t = calloc(1, sizeof(*t));

	if (t)
		t->refs = 1;
	return t;
}

hv_lv_tab *hv_lv_tab_ref(hv_lv_tab *t)
{
	if (t)
		__atomic_add_fetch(&t->refs, 1, __ATOMIC_RELAXED);
	return t;
}

void hv_lv_dom_clear(hv_lv_dom *d)
{
	free(d->net);
	free(d->blk);
	d->net = NULL;
	d->blk = NULL;
	d->nnet = d->nblk = 0;
}

void hv_lv_tab_unref(hv_lv_tab *t)
{
	if (!t || __atomic_sub_fetch(&t->refs, 1, __ATOMIC_ACQ_REL))
		return;
	for (size_t i = 0; i < t->ndom; i++)
		hv_lv_dom_clear(&t->dom[i]);
	free(t->dom);
	free(t);
}

hv_lv_dom *hv_lv_tab_add(hv_lv_tab *t)
{
	hv_lv_dom *d, *nd;
	const hv_u64 na = hv_na(HV_NA_UNSUPPORTED);

	if (t->ndom == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 8;
		nd = realloc(t->dom, cap * sizeof(*nd));
		if (!nd)
			return NULL;
		t->dom = nd;
		t->cap = cap;
	}
	d = &t->dom[t->ndom++];
	memset(d, 0, sizeof(*d));
	d->state = d->reason = -1;
	d->bal_cur_kib = d->bal_max_kib = na;
	d->avail_kib = d->unused_kib = d->usable_kib = d->cache_kib = na;
	return d;
}

static int cmp_dom(const void *a, const void *b)
{
	return strcmp(((const hv_lv_dom *)a)->uuid,
	              ((const hv_lv_dom *)b)->uuid);
}

void hv_lv_tab_sort(hv_lv_tab *t)
{
	if (t->ndom > 1)
		qsort(t->dom, t->ndom, sizeof(*t->dom), cmp_dom);
}

const hv_lv_dom *hv_lv_tab_find(const hv_lv_tab *t, const char *uuid)
{
	hv_lv_dom key;

	if (!t || !t->ndom || !uuid[0])
		return NULL;
	snprintf(key.uuid, sizeof(key.uuid), "%s", uuid);
	return bsearch(&key, t->dom, t->ndom, sizeof(*t->dom), cmp_dom);
}

uint32_t hv_lv_state_bits(int state)
{
	switch (state) {
	case 1: /* VIR_DOMAIN_RUNNING */
		return HV_DS_RUNNING;
	case 2: /* BLOCKED */
		return HV_DS_BLOCKED;
	case 3: /* PAUSED */
	case 7: /* PMSUSPENDED: the guest suspended itself */
		return HV_DS_PAUSED;
	case 4: /* SHUTDOWN: being shut down */
		return HV_DS_SHUTDOWN;
	case 5: /* SHUTOFF */
		return HV_DS_SHUTOFF;
	case 6: /* CRASHED */
		return HV_DS_SHUTOFF | HV_DS_CRASHED;
	default:
		return 0;
	}
}

static const char *pick(const char *const *names, size_t n, int reason)
{
	return reason >= 0 && (size_t)reason < n ? names[reason] : "";
}

const char *hv_lv_reason_str(int state, int reason)
{
	static const char *const running[] = {
	    "",         "booted",   "migrated",         "restored",
	    "snapshot", "unpaused", "migration cancel", "save canceled",
	    "wakeup",   "crashed",  "post-copy",        "post-copy failed",
	};
	static const char *const paused[] = {
	    "",          "user",
	    "migration", "save",
	    "dump",      "I/O error",
	    "watchdog",  "snapshot restore",
	    "shutdown",  "snapshot",
	    "crashed",   "starting up",
	    "post-copy", "post-copy failed",
	    "API error",
	};
	static const char *const shutoff[] = {
	    "",      "shutdown", "destroyed", "crashed", "migrated",
	    "saved", "failed",   "snapshot",  "daemon",
	};

	switch (state) {
	case 1:
		return pick(running, sizeof(running) / sizeof(running[0]),
		            reason);
	case 3:
		return pick(paused, sizeof(paused) / sizeof(paused[0]), reason);
	case 4:
		return reason == 1 ? "user" : "";
	case 5:
		return pick(shutoff, sizeof(shutoff) / sizeof(shutoff[0]),
		            reason);
	case 6:
		return reason == 1 ? "panicked" : "";
	case 7:
		return "guest suspended";
	default:
		return "";
	}
}

/* ---- stats keys ---- */

static bool num(const hv_lv_param *p, uint64_t *out)
{
	switch (p->type) {
	case 1: /* int */
	case 3: /* llong */
		if (p->v.l < 0)
			return false;
		*out = (uint64_t)p->v.l;
		return true;
	case 2: /* uint */
	case 4: /* ullong */
		*out = p->v.ul;
		return true;
	default:
		return false;
	}
}

/* "PREFIX.N.rest" -> N and rest; false when not of that form. */
static bool indexed(const char *field, const char *prefix, size_t *idx,
                    const char **rest)
{
	size_t l = strlen(prefix);
	const char *s = field + l;
	size_t n = 0;

	if (strncmp(field, prefix, l) != 0 || *s < '0' || *s > '9')
		return false;
	for (; *s >= '0' && *s <= '9'; s++) {
		n = n * 10 + (size_t)(*s - '0');
		if (n >= MAX_ITEMS)
			return false;
	}
	if (*s != '.')
		return false;
	*idx = n;
	*rest = s + 1;
	return true;
}

static void set_u(hv_u64 *dst, const hv_lv_param *p)
{
	uint64_t v;

	*dst = num(p, &v) ? hv_val(v) : hv_na(HV_NA_ERROR);
}

static void net_na(hv_lv_net *x)
{
	const hv_u64 na = hv_na(HV_NA_UNSUPPORTED);

	x->rx_bytes = x->rx_pkts = x->rx_errs = x->rx_drop = na;
	x->tx_bytes = x->tx_pkts = x->tx_errs = x->tx_drop = na;
}

/* Counts first, so arrays are allocated once. */
static int alloc_items(hv_lv_dom *d, const hv_lv_param *p, size_t n)
{
	uint64_t nn = 0, nb = 0, v;
	const hv_u64 na = hv_na(HV_NA_UNSUPPORTED);

	for (size_t i = 0; i < n; i++) {
		if (strcmp(p[i].field, "net.count") == 0 && num(&p[i], &v))
			nn = v;
		else if (strcmp(p[i].field, "block.count") == 0 &&
		         num(&p[i], &v))
			nb = v;
	}
	nn = nn > MAX_ITEMS ? MAX_ITEMS : nn;
	nb = nb > MAX_ITEMS ? MAX_ITEMS : nb;
	d->net = nn ? calloc(nn, sizeof(*d->net)) : NULL;
	d->blk = nb ? calloc(nb, sizeof(*d->blk)) : NULL;
	if ((nn && !d->net) || (nb && !d->blk)) {
		hv_lv_dom_clear(d);
		return -ENOMEM;
	}
	d->nnet = (uint32_t)nn;
	d->nblk = (uint32_t)nb;
	for (uint32_t i = 0; i < d->nnet; i++)
		net_na(&d->net[i]);
	for (uint32_t i = 0; i < d->nblk; i++) {
		hv_lv_blk *x = &d->blk[i];
		x->rd_reqs = x->rd_bytes = x->rd_ns = na;
		x->wr_reqs = x->wr_bytes = x->wr_ns = na;
		x->fl_reqs = x->fl_ns = x->capacity_b = x->alloc_b = na;
	}
	return 0;
}

static void net_key(hv_lv_dom *d, size_t i, const char *k, const hv_lv_param *p)
{
	static const char *const keys[8] = {
	    "rx.bytes", "rx.pkts", "rx.errs", "rx.drop",
	    "tx.bytes", "tx.pkts", "tx.errs", "tx.drop",
	};
	hv_lv_net *x;

	if (i >= d->nnet)
		return;
	x = &d->net[i];
	hv_u64 *dst[8] = {&x->rx_bytes, &x->rx_pkts, &x->rx_errs, &x->rx_drop,
	                  &x->tx_bytes, &x->tx_pkts, &x->tx_errs, &x->tx_drop};
	if (strcmp(k, "name") == 0 && p->type == 7 && p->v.s) {
		hv_sanitize_name(x->name, sizeof(x->name), p->v.s,
		                 strlen(p->v.s));
		x->has_stats = true;
		return;
	}
	for (int s = 0; s < 8; s++)
		if (strcmp(k, keys[s]) == 0)
			set_u(dst[s], p);
}

static void blk_key(hv_lv_dom *d, size_t i, const char *k, const hv_lv_param *p)
{
	static const char *const keys[10] = {
	    "rd.reqs",  "rd.bytes", "rd.times", "wr.reqs",    "wr.bytes",
	    "wr.times", "fl.reqs",  "fl.times", "allocation", "capacity",
	};
	hv_lv_blk *x;

	if (i >= d->nblk)
		return;
	x = &d->blk[i];
	hv_u64 *dst[10] = {
	    &x->rd_reqs, &x->rd_bytes, &x->rd_ns, &x->wr_reqs, &x->wr_bytes,
	    &x->wr_ns,   &x->fl_reqs,  &x->fl_ns, &x->alloc_b, &x->capacity_b};
	if (strcmp(k, "name") == 0 && p->type == 7 && p->v.s) {
		hv_sanitize_name(x->name, sizeof(x->name), p->v.s,
		                 strlen(p->v.s));
		return;
	}
	for (int s = 0; s < 10; s++)
		if (strcmp(k, keys[s]) == 0)
			set_u(dst[s], p);
}

/* Plain keys of the state and balloon groups. */
static void dom_key(hv_lv_dom *d, const hv_lv_param *p)
{
	static const struct {
		const char *key;
		size_t off;
	} keys[] = {
	    {"balloon.current", offsetof(hv_lv_dom, bal_cur_kib)},
	    {"balloon.maximum", offsetof(hv_lv_dom, bal_max_kib)},
	    {"balloon.available", offsetof(hv_lv_dom, avail_kib)},
	    {"balloon.unused", offsetof(hv_lv_dom, unused_kib)},
	    {"balloon.usable", offsetof(hv_lv_dom, usable_kib)},
	    {"balloon.disk_caches", offsetof(hv_lv_dom, cache_kib)},
	};
	uint64_t v;

	if (strcmp(p->field, "state.state") == 0 && num(p, &v))
		d->state = v > 64 ? -1 : (int)v;
	else if (strcmp(p->field, "state.reason") == 0 && num(p, &v))
		d->reason = v > 64 ? -1 : (int)v;
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (strcmp(p->field, keys[i].key) == 0)
			set_u((hv_u64 *)((char *)d + keys[i].off), p);
}

int hv_lv_dom_fill(hv_lv_dom *d, const hv_lv_param *p, size_t n)
{
	int rc = alloc_items(d, p, n);

	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		const char *k;
		size_t idx;
		if (!p[i].field)
			continue;
		if (indexed(p[i].field, "net.", &idx, &k))
			net_key(d, idx, k, &p[i]);
		else if (indexed(p[i].field, "block.", &idx, &k))
			blk_key(d, idx, k, &p[i]);
		else
			dom_key(d, &p[i]);
	}
	return 0;
}

/* ---- NICs from the domain XML ---- */

/* Value of attribute attr="..." or attr='...' inside the tag [s, end). */
static bool attr(const char *s, const char *end, const char *name, char *out,
                 size_t len)
{
	size_t l = strlen(name);

	for (const char *p = s; p + l + 2 < end; p++) {
		const char *q;
		char quote;
		if ((p == s || p[-1] != ' ') || strncmp(p, name, l) != 0 ||
		    p[l] != '=')
			continue;
		quote = p[l + 1];
		if (quote != '\'' && quote != '"')
			continue;
		q = memchr(p + l + 2, quote, (size_t)(end - (p + l + 2)));
		if (!q)
			return false;
		hv_sanitize_name(out, len, p + l + 2,
		                 (size_t)(q - (p + l + 2)));
		return true;
	}
	return false;
}

/* The first tag <name ...> in [s, end): attribute attr of it. */
static bool child_attr(const char *s, const char *end, const char *tag,
                       const char *name, char *out, size_t len)
{
	size_t l = strlen(tag);

	for (const char *p = s; p + l + 1 < end; p++) {
		const char *gt;
		if (p[0] != '<' || strncmp(p + 1, tag, l) != 0 ||
		    (p[l + 1] != ' ' && p[l + 1] != '/' && p[l + 1] != '>'))
			continue;
		gt = memchr(p, '>', (size_t)(end - p));
		return gt && attr(p + 1, gt, name, out, len);
	}
	return false;
}

int hv_lv_parse_ifaces(const char *xml, hv_lv_net *out, size_t max)
{
	const char *p = xml, *devs;
	size_t n = 0;

	if (!xml)
		return -EINVAL;
	/* Interfaces are devices: skip <domain>'s own metadata. */
	devs = strstr(xml, "<devices>");
	if (!devs)
		return -EINVAL;
	p = devs;
	while (n < max && (p = strstr(p, "<interface "))) {
		const char *gt = strchr(p, '>');
		const char *close = strstr(p, "</interface>");
		hv_lv_net *x = &out[n];
		if (!gt || !close || close < gt)
			return -EINVAL;
		memset(x, 0, sizeof(*x));
		if (!attr(p + 1, gt, "type", x->type, sizeof(x->type)))
			x->type[0] = '\0';
		x->has_dev = child_attr(gt, close, "target", "dev", x->name,
		                        sizeof(x->name));
		if (!x->has_dev && !child_attr(gt, close, "alias", "name",
		                               x->name, sizeof(x->name)))
			snprintf(x->name, sizeof(x->name), "net%zu", n);
		n++;
		p = close + 1;
	}
	return (int)n;
}

/* The XML's list as d's NICs: names, types, no counters. */
static int nics_of_xml(hv_lv_dom *d, const hv_lv_net *x, int n)
{
	if (n <= 0)
		return 0;
	d->net = calloc((size_t)n, sizeof(*d->net));
	if (!d->net)
		return -ENOMEM;
	d->nnet = (uint32_t)n;
	for (int i = 0; i < n; i++) {
		hv_lv_net *o = &d->net[i];
		net_na(o);
		memcpy(o->name, x[i].name, sizeof(o->name));
		memcpy(o->type, x[i].type, sizeof(o->type));
		o->has_dev = x[i].has_dev;
	}
	return 0;
}

int hv_lv_dom_set_nics(hv_lv_dom *d, const hv_lv_net *x, int n, bool counted)
{
	if (!counted)
		return d->nnet ? 0 : nics_of_xml(d, x, n);
	for (uint32_t i = 0; i < d->nnet && (int)i < n; i++) {
		hv_lv_net *o = &d->net[i];
		memcpy(o->type, x[i].type, sizeof(o->type));
		o->has_dev = x[i].has_dev;
		if (!o->has_stats)
			memcpy(o->name, x[i].name, sizeof(o->name));
	}
	return 0;
}

bool hv_lv_xml_due(int n, unsigned age, bool counted, uint32_t nnet, size_t max)
{
	size_t seen = nnet < max ? nnet : max;

	return n < 0 || age + 1 >= HV_LV_XML_REFRESH ||
	       (counted && (size_t)n != seen);
}
