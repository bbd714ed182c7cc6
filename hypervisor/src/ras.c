/* SPDX-License-Identifier: MIT */
/* Machine-check records: tracefs format parsing, record decoding, perf ring
 * draining and the per-CPU/per-page accumulator (see hv/ras.h). Pure. */
#include <errno.h>
#include <inttypes.h>
#include <linux/perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/ras.h"

/* ---- format file ---- */

/* One "field:TYPE NAME;\toffset:N;\tsize:N;\tsigned:N;" line. Returns 0 and
 * the name, or -1 when the line is not a field. */
static int field_line(const char *line, char *name, size_t nlen,
                      unsigned long *off, unsigned long *size)
{
	const char *f = strstr(line, "field:"), *semi, *n, *o, *z;
	char *end;
	size_t l;

	if (!f)
		return -1;
	semi = strchr(f, ';');
	if (!semi)
		return -1;
	/* NAME is the last word before ';' (after TYPE); arrays "x[8]" keep
	 * their bracket so they never match a scalar name. */
	n = semi;
	while (n > f && n[-1] != ' ' && n[-1] != '\t' && n[-1] != ':')
		n--;
	l = (size_t)(semi - n);
	if (!l || l >= nlen)
		return -1;
	memcpy(name, n, l);
	name[l] = '\0';
	o = strstr(semi, "offset:");
	z = strstr(semi, "size:");
	if (!o || !z)
		return -1;
	*off = strtoul(o + 7, &end, 10);
	if (end == o + 7 || *end != ';')
		return -1;
	*size = strtoul(z + 5, &end, 10);
	if (end == z + 5 || *end != ';')
		return -1;
	return 0;
}

int hv_mce_fmt_parse(const char *text, hv_mce_fmt *f, hv_err *err)
{
	static const struct {
		const char *name;
		size_t at;
		int need;
	} want[] = {
	    {"mcgstatus", offsetof(hv_mce_fmt, mcgstatus), 0},
	    {"status", offsetof(hv_mce_fmt, status), 1},
	    {"addr", offsetof(hv_mce_fmt, addr), 0},
	    {"misc", offsetof(hv_mce_fmt, misc), 0},
	    {"walltime", offsetof(hv_mce_fmt, walltime), 0},
	    {"cpu", offsetof(hv_mce_fmt, cpu), 1},
	    {"bank", offsetof(hv_mce_fmt, bank), 1},
	};
	const char *line = text;
	int have_id = 0;

	memset(f, 0, sizeof(*f));
	while (line && *line) {
		const char *nl = strchr(line, '\n');
		char buf[256], name[64];
		size_t l = nl ? (size_t)(nl - line) : strlen(line);
		unsigned long off, size;

		if (l >= sizeof(buf))
			l = sizeof(buf) - 1;
		memcpy(buf, line, l);
		buf[l] = '\0';
		line = nl ? nl + 1 : NULL;
		if (!strncmp(buf, "ID:", 3)) {
			char *end;
			unsigned long id = strtoul(buf + 3, &end, 10);
			if (end == buf + 3 || id > UINT32_MAX)
				return hv_err_set(err, EPROTO,
				                  "mce format: bad ID line");
			f->id = (uint32_t)id;
			have_id = 1;
			continue;
		}
		if (field_line(buf, name, sizeof(name), &off, &size))
			continue;
		for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
			hv_tp_field *tf;
			if (strcmp(name, want[i].name))
				continue;
			if ((size != 1 && size != 2 && size != 4 &&
			     size != 8) ||
			    off + size > 65535)
				return hv_err_set(err, EPROTO,
				                  "mce format: field %s has "
				                  "offset %lu size %lu",
				                  name, off, size);
			tf = (hv_tp_field *)((char *)f + want[i].at);
			tf->off = (uint16_t)off;
			tf->size = (uint16_t)size;
			if (off + size > f->min_len)
				f->min_len = (uint32_t)(off + size);
		}
	}
	if (!have_id)
		return hv_err_set(err, EPROTO, "mce format: no ID line");
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const hv_tp_field *tf =
		    (const hv_tp_field *)((const char *)f + want[i].at);
		if (want[i].need && !tf->size)
			return hv_err_set(err, EPROTO,
			                  "mce format: no field %s",
			                  want[i].name);
	}
	return 0;
}

/* Little-endian host (x86, arm64 as run): the kernel writes native. */
static uint64_t get(const uint8_t *raw, hv_tp_field tf)
{
	uint64_t v = 0;

	switch (tf.size) {
	case 1:
		return raw[tf.off];
	case 2: {
		uint16_t x;
		memcpy(&x, raw + tf.off, 2);
		return x;
	}
	case 4: {
		uint32_t x;
		memcpy(&x, raw + tf.off, 4);
		return x;
	}
	case 8:
		memcpy(&v, raw + tf.off, 8);
		return v;
	default:
		return 0;
	}
}

int hv_mce_decode(const hv_mce_fmt *f, const void *raw, size_t len, hv_mce *out,
                  hv_err *err)
{
	const uint8_t *r = raw;

	if (len < f->min_len)
		return hv_err_set(err, EPROTO,
		                  "mce record: %zu bytes, format needs %u", len,
		                  f->min_len);
	memset(out, 0, sizeof(*out));
	out->mcgstatus = get(r, f->mcgstatus);
	out->status = get(r, f->status);
	out->addr = get(r, f->addr);
	out->misc = get(r, f->misc);
	out->walltime = get(r, f->walltime);
	out->cpu = (uint32_t)get(r, f->cpu);
	out->bank = (uint8_t)get(r, f->bank);
	return 0;
}

/* ---- perf ring ---- */

static void ring_copy(const uint8_t *data, uint64_t size, uint64_t pos,
                      void *dst, size_t n)
{
	uint64_t o = pos & (size - 1);
	size_t first = (size_t)(size - o) < n ? (size_t)(size - o) : n;

	memcpy(dst, data + o, first);
	if (first < n)
		memcpy((uint8_t *)dst + first, data, n - first);
}

long hv_mce_ring_drain(const hv_mce_fmt *f, const uint8_t *data, uint64_t size,
                       uint64_t tail, uint64_t head, hv_mce_cb cb, void *ctx,
                       uint64_t *lost, uint64_t *bad)
{
	uint8_t rec[1024];
	long n = 0;

	if (!size || (size & (size - 1)) || head - tail > size)
		return -EINVAL;
	while (tail < head) {
		struct perf_event_header hd;
		uint64_t t, l;
		uint32_t cpu, rawsz;
		hv_mce m;

		if (head - tail < sizeof(hd))
			goto bad;
		ring_copy(data, size, tail, &hd, sizeof(hd));
		if (hd.size < sizeof(hd) || hd.size > head - tail ||
		    hd.size > sizeof(rec))
			goto bad;
		ring_copy(data, size, tail, rec, hd.size);
		tail += hd.size;
		if (hd.type == PERF_RECORD_LOST) {
			if (hd.size < sizeof(hd) + 16)
				goto bad;
			memcpy(&l, rec + sizeof(hd) + 8, 8);
			*lost += l;
			continue;
		}
		if (hd.type != PERF_RECORD_SAMPLE)
			continue;
		/* TIME u64, CPU u32 + res u32, RAW u32 size + bytes. */
		if (hd.size < sizeof(hd) + 8 + 8 + 4)
			goto bad;
		memcpy(&t, rec + sizeof(hd), 8);
		memcpy(&cpu, rec + sizeof(hd) + 8, 4);
		memcpy(&rawsz, rec + sizeof(hd) + 16, 4);
		if (rawsz > hd.size - (sizeof(hd) + 20))
			goto bad;
		if (hv_mce_decode(f, rec + sizeof(hd) + 20, rawsz, &m, NULL))
			goto bad;
		m.time_ns = t;
		(void)cpu; /* the bank's CPU is in the record itself */
		cb(ctx, &m);
		n++;
	}
	return n;
bad:
	(*bad)++;
	return -EPROTO;
}

/* ---- Xen's /dev/mcelog records ---- */

/* struct xen_mce (Linux include/xen/interface/xen-mca.h): status 0, misc 8,
 * addr 16, mcgstatus 24, ip 32, tsc 40, time 48, cpuvendor 56, inject_flags
 * 57, pad 58, cpuid 60, cs 64, bank 65, cpu 66, finished 67, extcpu 68,
 * socketid 72, apicid 76, mcgcap 80. */
long hv_xen_mce_decode(const void *buf, size_t len, size_t reclen,
                       uint64_t now_ns, hv_mce_cb cb, void *ctx)
{
	const uint8_t *b = buf;
	long n = 0;

	if (reclen < HV_XEN_MCE_MINLEN)
		return -EPROTO;
	for (size_t o = 0; o + reclen <= len; o += reclen) {
		const uint8_t *r = b + o;
		hv_mce m;
		if (!r[67])
			continue; /* not finished: an empty slot */
		memset(&m, 0, sizeof(m));
		memcpy(&m.status, r + 0, 8);
		memcpy(&m.misc, r + 8, 8);
		memcpy(&m.addr, r + 16, 8);
		memcpy(&m.mcgstatus, r + 24, 8);
		memcpy(&m.walltime, r + 48, 8);
		m.bank = r[65];
		memcpy(&m.cpu, r + 68, 4);
		m.time_ns = now_ns;
		cb(ctx, &m);
		n++;
	}
	return n;
}

/* ---- mem/ADDR/offline ---- */

int hv_ras_mem_knob(const char *knob, uint64_t *page, hv_err *err)
{
	const char *a = knob + 4, *slash;
	char buf[32];
	char *end;
	unsigned long long v;

	if (strncmp(knob, "mem/", 4) || !(slash = strchr(a, '/')) ||
	    strcmp(slash, "/offline") || slash == a ||
	    (size_t)(slash - a) >= sizeof(buf))
		return hv_err_set(err, ENOTSUP, "%s: no such knob", knob);
	memcpy(buf, a, (size_t)(slash - a));
	buf[slash - a] = '\0';
	errno = 0;
	v = strtoull(buf, &end, 0);
	if (*end || errno || buf[0] == '-')
		return hv_err_set(err, EINVAL,
		                  "\"%s\" is not a physical address", buf);
	*page = v & ~((1ull << HV_RAS_PAGE_SHIFT) - 1);
	return 0;
}

/* ---- accumulator ---- */

typedef struct ras_cpu {
	uint64_t ce, ue, last_ns;
	int32_t bank;
} ras_cpu;

struct hv_ras {
	ras_cpu *cpu;
	uint32_t ncpu;
	hv_page *page; /* sorted by addr */
	size_t npage, pcap;
	uint64_t dropped; /* pages past HV_RAS_PAGE_MAX */
	uint64_t lost;
	uint64_t total;
};

hv_ras *hv_ras_new(void)
{
	return calloc(1, sizeof(hv_ras));
}

void hv_ras_free(hv_ras *r)
{
	if (!r)
		return;
	free(r->cpu);
	free(r->page);
	free(r);
}

static ras_cpu *cpu_at(hv_ras *r, uint32_t cpu)
{
	if (cpu >= HV_RAS_CPU_MAX)
		return NULL;
	if (cpu >= r->ncpu) {
		uint32_t nn = cpu + 1 > 64 ? cpu + 1 : 64;
		ras_cpu *nc = realloc(r->cpu, nn * sizeof(*nc));
		if (!nc)
			return NULL;
		for (uint32_t i = r->ncpu; i < nn; i++)
			nc[i] = (ras_cpu){0, 0, 0, -1};
		r->cpu = nc;
		r->ncpu = nn;
	}
	return &r->cpu[cpu];
}

/* Binary search; *at is the insertion point when absent. */
static hv_page *page_find(hv_ras *r, uint64_t addr, size_t *at)
{
	size_t lo = 0, hi = r->npage;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (r->page[mid].addr == addr)
			return &r->page[mid];
		if (r->page[mid].addr < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	*at = lo;
	return NULL;
}

static hv_page *page_get(hv_ras *r, uint64_t addr)
{
	size_t at = 0;
	hv_page *pg;

	addr &= ~((1ull << HV_RAS_PAGE_SHIFT) - 1);
	if ((pg = page_find(r, addr, &at)))
		return pg;
	if (r->npage >= HV_RAS_PAGE_MAX) {
		r->dropped++;
		return NULL;
	}
	if (r->npage == r->pcap) {
		size_t nc = r->pcap ? r->pcap * 2 : 16;
		hv_page *np = realloc(r->page, nc * sizeof(*np));
		if (!np)
			return NULL;
		r->page = np;
		r->pcap = nc;
	}
	memmove(&r->page[at + 1], &r->page[at],
	        (r->npage - at) * sizeof(*r->page));
	r->npage++;
	pg = &r->page[at];
	memset(pg, 0, sizeof(*pg));
	pg->addr = addr;
	return pg;
}

void hv_ras_add(hv_ras *r, const hv_mce *m)
{
	int uc = !!(m->status & HV_MCI_UC);
	ras_cpu *c = cpu_at(r, m->cpu);
	hv_page *pg;

	r->total++;
	if (c) {
		if (uc)
			c->ue++;
		else
			c->ce++;
		c->last_ns = m->time_ns;
		c->bank = m->bank;
	}
	if (!(m->status & HV_MCI_ADDRV))
		return;
	if (!(pg = page_get(r, m->addr)))
		return;
	if (uc)
		pg->ue++;
	else
		pg->ce++;
	pg->last_ns = m->time_ns;
}

void hv_ras_lost(hv_ras *r, uint64_t n)
{
	r->lost += n;
}

int hv_ras_page_state(hv_ras *r, uint64_t addr, enum hv_page_state st,
                      const char *reason)
{
	hv_page *pg = page_get(r, addr);

	if (!pg)
		return -ENOSPC;
	pg->state = (uint8_t)st;
	snprintf(pg->reason, sizeof(pg->reason), "%s", reason ? reason : "");
	return 0;
}

size_t hv_ras_npages(const hv_ras *r)
{
	return r->npage;
}

uint64_t hv_ras_page_addr(const hv_ras *r, size_t i)
{
	return i < r->npage ? r->page[i].addr : 0;
}

uint64_t hv_ras_total(const hv_ras *r)
{
	return r->total;
}

int hv_ras_fill(const hv_ras *r, hv_snap *s, hv_err *err)
{
	hv_host *h = hv_snap_host_mut(s);

	if (!h)
		return hv_err_set(err, EINVAL, "ras: snapshot has no host");
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		hv_pcpu *pc = &h->pcpu[i];
		const ras_cpu *c = pc->id < r->ncpu ? &r->cpu[pc->id] : NULL;
		pc->ce_count = hv_val(c ? c->ce : 0);
		pc->ue_count = hv_val(c ? c->ue : 0);
		pc->last_err_ns = c && (c->ce || c->ue) ? hv_val(c->last_ns)
		                                        : hv_na(HV_NA_NOTYET);
		pc->last_bank = c ? c->bank : -1;
	}
	h->nr_page = 0;
	h->page = NULL;
	if (r->npage) {
		h->page = hv_snap_alloc(s, r->npage * sizeof(*h->page));
		if (!h->page)
			return hv_err_set(err, ENOMEM, "ras: out of memory");
		memcpy(h->page, r->page, r->npage * sizeof(*h->page));
		h->nr_page = (uint32_t)r->npage;
	}
	h->page_why = HV_OK;
	h->mce_lost = hv_val(r->lost);
	if (r->dropped)
		snprintf(h->ras_note, sizeof(h->ras_note),
		         "%" PRIu64 " errors on pages past the %d tracked",
		         r->dropped, HV_RAS_PAGE_MAX);
	return 0;
}

const char *hv_page_state_str(enum hv_page_state st)
{
	switch (st) {
	case HV_PAGE_ONLINE:
		return "online";
	case HV_PAGE_SOFT_OFFLINE:
		return "soft-offlined";
	case HV_PAGE_XEN_OFFLINE:
		return "offlined-by-xen";
	case HV_PAGE_XEN_PENDING:
		return "offline-pending";
	default:
		return "unknown";
	}
}
