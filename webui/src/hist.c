/* SPDX-License-Identifier: MIT */
/* Compact in-memory history for the page's charts: per sample, the
 * figures the charts show (float32), not whole snapshots. A snapshot of
 * 100 domains x 4 vCPUs with its rates is ~250 KB, so 600 of them would
 * be 150 MB; the same 10 minutes here are 100 x 8 x 600 x 4 B = 1.9 MB.
 * The collector then only needs a short ring. Fed by one thread (http.c),
 * read by request threads; one mutex. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/rates.h"
#include "web.h"

#define NDS 8
#define NHS 4
static const char *const dnames[NDS] = {
    "cpu_pct",    "steal_pct",  "mem_bytes",  "net_rx_Bps",
    "net_tx_Bps", "blk_rd_Bps", "blk_wr_Bps", "watts"};
static const char *const hnames[NHS] = {"busy_pct", "power_watts",
                                        "mem_free_bytes", "domains"};

typedef struct hdom {
	uint64_t key;
	char name[HV_NAME_LEN];
	char uuid[HV_UUID_LEN];
	uint64_t last; /* sample count when last seen */
	float *v;      /* cap x NDS */
	struct hdom *next;
} hdom;

struct web_hist {
	pthread_mutex_t mu;
	size_t cap, n, head; /* ring of cap samples; head = next slot */
	uint64_t count;      /* samples appended */
	int64_t *t_ms;
	float *h;   /* cap x NHS */
	hdom **tab; /* hash by key */
	size_t nbuck, ndom;
	/* pCPU heatmap figures per sample: cap x npc x NPS (online, cur_hz,
	 * deep_idle_pct); ids of the last sample. Reset when the count of
	 * pCPUs changes. */
	uint32_t npc;
	uint32_t *pc_id;
	float *pc;
};
#define NPS 3

static size_t skip_old(const web_hist *h, double range_s);

int web_hist_new(size_t cap, web_hist **out, hv_err *err)
{
	web_hist *h = calloc(1, sizeof(*h));
	if (!h)
		return hv_err_set(err, ENOMEM, "out of memory");
	h->cap = cap < 2 ? 2 : cap;
	h->nbuck = 1024;
	h->t_ms = calloc(h->cap, sizeof(*h->t_ms));
	h->h = malloc(h->cap * NHS * sizeof(float));
	h->tab = calloc(h->nbuck, sizeof(*h->tab));
	if (!h->t_ms || !h->h || !h->tab) {
		web_hist_free(h);
		return hv_err_set(err, ENOMEM, "out of memory");
	}
	pthread_mutex_init(&h->mu, NULL);
	*out = h;
	return 0;
}

void web_hist_free(web_hist *h)
{
	if (!h)
		return;
	for (size_t i = 0; h->tab && i < h->nbuck; i++) {
		for (hdom *d = h->tab[i], *nx; d; d = nx) {
			nx = d->next;
			free(d->v);
			free(d);
		}
	}
	if (h->tab)
		pthread_mutex_destroy(&h->mu);
	free(h->tab);
	free(h->t_ms);
	free(h->h);
	free(h->pc);
	free(h->pc_id);
	free(h);
}

static size_t bucket(const web_hist *h, uint64_t key)
{
	return (size_t)((key * 0x9E3779B97F4A7C15ull) >> 40) & (h->nbuck - 1);
}

static hdom *find(const web_hist *h, uint64_t key)
{
	for (hdom *d = h->tab[bucket(h, key)]; d; d = d->next)
		if (d->key == key)
			return d;
	return NULL;
}

static float f(double v)
{
	return isfinite(v) ? (float)v : NAN;
}

/* The heatmaps' figures of one sample into slot (under h->mu). */
static void add_pcpus(web_hist *h, size_t slot, const hv_host *host,
                      const hv_host_rate *hr)
{
	uint32_t n = host->nr_pcpu;
	if (n != h->npc) {
		free(h->pc);
		free(h->pc_id);
		h->npc = 0;
		h->pc = n ? malloc(h->cap * n * NPS * sizeof(float)) : NULL;
		h->pc_id = n ? malloc(n * sizeof(uint32_t)) : NULL;
		if (!h->pc || !h->pc_id) {
			free(h->pc);
			free(h->pc_id);
			h->pc = NULL;
			h->pc_id = NULL;
			return; /* no heatmap history; live updates still work */
		}
		for (size_t k = 0; k < h->cap * n * NPS; k++)
			h->pc[k] = NAN;
		h->npc = n;
	}
	float *v = h->pc + slot * n * NPS;
	for (uint32_t i = 0; i < n; i++, v += NPS) {
		const hv_pcpu *p = &host->pcpu[i];
		const hv_pcpu_rate *pr =
		    hr && hr->pcpu && i < hr->nr_pcpu ? &hr->pcpu[i] : NULL;
		h->pc_id[i] = p->id;
		v[0] = p->online >= 0 ? (float)p->online : NAN;
		v[1] = hv_ok(p->cur_khz) ? (float)(p->cur_khz.v * 1000.0) : NAN;
		v[2] = f(web_pcpu_deep_pct(pr, p));
	}
}

void web_hist_add(web_hist *h, const hv_snap *s)
{
	const hv_rates *r = hv_snap_rates(s);
	const hv_host_rate *hr = r ? hv_rates_host(r) : NULL;
	const hv_host *host = hv_snap_host(s);
	size_t n = hv_snap_ndom(s);

	pthread_mutex_lock(&h->mu);
	size_t slot = h->head;
	h->t_ms[slot] = hv_snap_wall_ns(s) / 1000000;
	float *hv = h->h + slot * NHS;
	hv[0] = f(hr ? hr->busy_pct : NAN);
	hv[1] = f(hr ? hr->host_watts : NAN);
	hv[2] = hv_ok(host->mem_free_kib)
	            ? (float)(host->mem_free_kib.v * 1024.0)
	            : NAN;
	hv[3] = (float)n;
	add_pcpus(h, slot, host, hr);
	h->count++;
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		const hv_dom_rate *dr = r ? hv_rates_dom(r, i) : NULL;
		hdom *e = find(h, d->key);
		if (!e) {
			e = calloc(1, sizeof(*e));
			float *v = malloc(h->cap * NDS * sizeof(float));
			if (!e || !v) {
				free(e);
				free(v);
				continue; /* no history for it this time */
			}
			for (size_t k = 0; k < h->cap * NDS; k++)
				v[k] = NAN;
			e->v = v;
			e->key = d->key;
			size_t b = bucket(h, d->key);
			e->next = h->tab[b];
			h->tab[b] = e;
			h->ndom++;
		}
		snprintf(e->name, sizeof(e->name), "%s", d->name);
		snprintf(e->uuid, sizeof(e->uuid), "%s", d->uuid);
		e->last = h->count;
		float *v = e->v + slot * NDS;
		v[0] = f(dr ? dr->cpu_pct : NAN);
		v[1] = f(dr ? dr->steal_pct : NAN);
		v[2] = hv_ok(d->mem_kib) ? (float)(d->mem_kib.v * 1024.0) : NAN;
		v[3] = f(dr ? dr->net_rx_Bps : NAN);
		v[4] = f(dr ? dr->net_tx_Bps : NAN);
		v[5] = f(dr ? dr->blk_rd_Bps : NAN);
		v[6] = f(dr ? dr->blk_wr_Bps : NAN);
		v[7] = f(dr ? dr->watts : NAN);
	}
	/* Domains absent this sample: a gap; gone for a whole ring: forget. */
	for (size_t b = 0; b < h->nbuck; b++) {
		for (hdom **pp = &h->tab[b]; *pp;) {
			hdom *e = *pp;
			if (e->last != h->count) {
				for (int k = 0; k < NDS; k++)
					e->v[slot * NDS + k] = NAN;
			}
			if (h->count - e->last >= h->cap) {
				*pp = e->next;
				free(e->v);
				free(e);
				h->ndom--;
				continue;
			}
			pp = &e->next;
		}
	}
	h->head = (h->head + 1) % h->cap;
	if (h->n < h->cap)
		h->n++;
	pthread_mutex_unlock(&h->mu);
}

int web_hist_json(web_hist *h, const hv_snap *s, const char *id, double range_s,
                  web_buf *o, hv_err *err)
{
	int rc = 0;
	pthread_mutex_lock(&h->mu);
	hdom *e = NULL;
	if (id) {
		const hv_dom *d = web_find_dom(s, id);
		if (d)
			e = find(h, d->key);
		for (size_t b = 0; !e && b < h->nbuck;
		     b++) /* gone from the live view */
			for (hdom *x = h->tab[b]; x && !e; x = x->next)
				if (!strcmp(x->name, id) ||
				    !strcmp(x->uuid, id))
					e = x;
		if (!e) {
			rc = hv_err_set(err, ENOENT,
			                "no history for domain '%s'", id);
			goto out;
		}
	}
	size_t first = (h->head + h->cap - h->n) % h->cap;
	size_t skip = skip_old(h, range_s);
	web_buf_printf(o, "{\"schema\":%d,\"source\":\"ring\"", WEB_SCHEMA);
	if (e) {
		web_buf_puts(o, ",\"key\":\"");
		web_buf_u64(o, e->key);
		web_buf_puts(o, "\",\"name\":");
		web_buf_json_str(o, e->name);
	}
	web_buf_puts(o, ",\"t\":[");
	for (size_t i = skip; i < h->n; i++) {
		if (i > skip)
			web_buf_putc(o, ',');
		web_buf_fixed(o, (uint64_t)h->t_ms[(first + i) % h->cap], 3);
	}
	web_buf_puts(o, "],\"series\":{");
	size_t ns = e ? NDS : NHS;
	for (size_t k = 0; k < ns; k++) {
		web_buf_printf(o, "%s\"%s\":[", k ? "," : "",
		               e ? dnames[k] : hnames[k]);
		for (size_t i = skip; i < h->n; i++) {
			size_t slot = (first + i) % h->cap;
			float v =
			    e ? e->v[slot * NDS + k] : h->h[slot * NHS + k];
			if (i > skip)
				web_buf_putc(o, ',');
			web_buf_json_num(o, v);
		}
		web_buf_putc(o, ']');
	}
	web_buf_puts(o, "}}");
out:
	pthread_mutex_unlock(&h->mu);
	return rc;
}

/* Samples of the last range_s seconds: first index (0 = oldest kept). */
static size_t skip_old(const web_hist *h, double range_s)
{
	size_t first = (h->head + h->cap - h->n) % h->cap, skip = 0;
	if (h->n && range_s > 0) {
		int64_t last = h->t_ms[(h->head + h->cap - 1) % h->cap];
		int64_t lim = last - (int64_t)(range_s * 1000);
		while (skip < h->n && h->t_ms[(first + skip) % h->cap] < lim)
			skip++;
	}
	return skip;
}

static void pcpu_series(web_hist *h, size_t first, size_t skip, int k,
                        web_buf *o)
{
	for (size_t i = skip; i < h->n; i++) {
		const float *v = h->pc + ((first + i) % h->cap) * h->npc * NPS;
		web_buf_puts(o, i > skip ? ",[" : "[");
		for (uint32_t c = 0; c < h->npc; c++) {
			if (c)
				web_buf_putc(o, ',');
			web_buf_json_num(o, v[c * NPS + k]);
		}
		web_buf_putc(o, ']');
	}
}

void web_hist_overview_json(web_hist *h, double range_s, size_t nspark,
                            web_buf *o)
{
	static const char *const pnames[NPS] = {"online", "cur_hz",
	                                        "deep_idle_pct"};
	pthread_mutex_lock(&h->mu);
	size_t first = (h->head + h->cap - h->n) % h->cap;
	size_t skip = skip_old(h, range_s);
	web_buf_printf(o, "{\"schema\":%d,\"source\":\"ring\",\"t\":[",
	               WEB_SCHEMA);
	for (size_t i = skip; i < h->n; i++) {
		if (i > skip)
			web_buf_putc(o, ',');
		web_buf_fixed(o, (uint64_t)h->t_ms[(first + i) % h->cap], 3);
	}
	web_buf_puts(o, "],\"pcpu\":{\"id\":[");
	for (uint32_t c = 0; h->pc && c < h->npc; c++) {
		if (c)
			web_buf_putc(o, ',');
		web_buf_u64(o, h->pc_id[c]);
	}
	web_buf_putc(o, ']');
	for (int k = 0; k < NPS; k++) {
		web_buf_printf(o, ",\"%s\":[", pnames[k]);
		if (h->pc)
			pcpu_series(h, first, skip, k, o);
		web_buf_putc(o, ']');
	}
	/* Sparklines: each domain's cpu_pct over the last nspark samples. */
	size_t sk = h->n > nspark ? h->n - nspark : 0;
	web_buf_puts(o, "},\"spark\":{");
	int nd = 0;
	for (size_t b = 0; b < h->nbuck; b++) {
		for (const hdom *e = h->tab[b]; e; e = e->next) {
			web_buf_puts(o, nd++ ? ",\"" : "\"");
			web_buf_u64(o, e->key);
			web_buf_puts(o, "\":[");
			for (size_t i = sk; i < h->n; i++) {
				if (i > sk)
					web_buf_putc(o, ',');
				web_buf_json_num(
				    o, e->v[((first + i) % h->cap) * NDS]);
			}
			web_buf_putc(o, ']');
		}
	}
	web_buf_puts(o, "}}");
	pthread_mutex_unlock(&h->mu);
}
