/* SPDX-License-Identifier: MIT */
/* Snapshot <-> one JSON line (see hv/snapjson.h).
 *
 * Each record type is described once by a table of (name, type, offset), so
 * the writer and the parser cannot drift apart. After those come the
 * hv_u64 rows of the field registry (hv/fields.h) that the tables do not
 * hold, under their member names: a counter added to the registry is
 * recorded and replayed without a line here, and a recording made before
 * it existed replays it as unsupported. */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "hv/fields.h"
#include "hv/snapjson.h"

/* Largest integer a JSON reader holding doubles keeps exactly. */
#define JSON_EXACT_MAX (UINT64_C(1) << 53)

enum ftype { F_HV, F_U64, F_I64, F_U32, F_I32, F_U8, F_I8, F_STR };

struct fdesc {
	const char *name;
	enum ftype t;
	int opt; /* may be absent (added after hvkit.snap/1 recordings) */
	size_t off;
	size_t len; /* F_STR: array size */
};

#define FD(type, f, t)                                              \
	{                                                           \
#f, t, 0, offsetof(type, f), sizeof(((type *)0)->f) \
	}
#define FDO(type, f, t)                                             \
	{                                                           \
#f, t, 1, offsetof(type, f), sizeof(((type *)0)->f) \
	}

static const struct fdesc host_fields[] = {
    FD(hv_host, hostname, F_STR),      FD(hv_host, backend, F_STR),
    FD(hv_host, hv_version, F_STR),    FD(hv_host, idle_driver, F_STR),
    FD(hv_host, idle_governor, F_STR), FD(hv_host, uptime_ns, F_HV),
    FD(hv_host, mem_total_kib, F_HV),  FD(hv_host, mem_free_kib, F_HV),
    FD(hv_host, cpu_khz, F_U32),       FD(hv_host, hw_note, F_STR),
    FD(hv_host, ce_total, F_HV),       FDO(hv_host, ue_total, F_HV),
    FDO(hv_host, page_why, F_U8),      FDO(hv_host, mce_lost, F_HV),
    FDO(hv_host, ras_note, F_STR),     FDO(hv_host, energy_note, F_STR),
};

static const struct fdesc pcpu_fields[] = {
    FD(hv_pcpu, id, F_U32),          FD(hv_pcpu, online, F_I8),
    FD(hv_pcpu, hotplug, F_U8),      FD(hv_pcpu, pkg, F_I32),
    FD(hv_pcpu, die, F_I32),         FD(hv_pcpu, core, F_I32),
    FD(hv_pcpu, busy_ns, F_HV),      FD(hv_pcpu, idle_ns, F_HV),
    FD(hv_pcpu, cur_khz, F_HV),      FD(hv_pcpu, min_khz, F_HV),
    FD(hv_pcpu, max_khz, F_HV),      FD(hv_pcpu, hw_min_khz, F_HV),
    FD(hv_pcpu, hw_max_khz, F_HV),   FD(hv_pcpu, governor, F_STR),
    FD(hv_pcpu, driver, F_STR),      FD(hv_pcpu, epp, F_STR),
    FD(hv_pcpu, ce_count, F_HV),     FDO(hv_pcpu, ue_count, F_HV),
    FDO(hv_pcpu, last_err_ns, F_HV), FDO(hv_pcpu, last_bank, F_I32),
};

static const struct fdesc page_fields[] = {
    FD(hv_page, addr, F_U64), FD(hv_page, ce, F_U64),
    FD(hv_page, ue, F_U64),   FD(hv_page, last_ns, F_U64),
    FD(hv_page, state, F_U8), FD(hv_page, reason, F_STR),
};

static const struct fdesc dimm_fields[] = {
    FD(hv_dimm, name, F_STR),
    FD(hv_dimm, label, F_STR),
    FD(hv_dimm, ce, F_HV),
    FD(hv_dimm, ue, F_HV),
};

static const struct fdesc pstate_fields[] = {
    FD(hv_pstate, khz, F_U64),
    FD(hv_pstate, time_ns, F_HV),
};

static const struct fdesc cstate_fields[] = {
    FD(hv_cstate, name, F_STR),       FD(hv_cstate, desc, F_STR),
    FD(hv_cstate, latency_us, F_U32), FD(hv_cstate, disabled, F_U8),
    FD(hv_cstate, time_ns, F_HV),     FD(hv_cstate, usage, F_HV),
};

static const struct fdesc rapl_fields[] = {
    FD(hv_rapl, name, F_STR),         FD(hv_rapl, path, F_STR),
    FD(hv_rapl, pkg, F_I32),          FD(hv_rapl, energy_uj, F_HV),
    FD(hv_rapl, max_range_uj, F_U64), FD(hv_rapl, limit_uw, F_HV),
};

static const struct fdesc hwmon_fields[] = {
    FD(hv_hwmon, chip, F_STR),    FD(hv_hwmon, label, F_STR),
    FD(hv_hwmon, path, F_STR),    FD(hv_hwmon, kind, F_U8),
    FD(hv_hwmon, zone, F_U8),     FD(hv_hwmon, energy_uj, F_HV),
    FD(hv_hwmon, power_uw, F_HV), FD(hv_hwmon, interval_ms, F_U32),
};

static const struct fdesc dom_fields[] = {
    FD(hv_dom, key, F_U64),
    FD(hv_dom, id, F_U32),
    FD(hv_dom, name, F_STR),
    FD(hv_dom, uuid, F_STR),
    FD(hv_dom, state, F_U32),
    FD(hv_dom, ssid, F_U32),
    FD(hv_dom, start_ns, F_U64),
    FD(hv_dom, cpu_ns, F_HV),
    FD(hv_dom, mem_kib, F_HV),
    FD(hv_dom, maxmem_kib, F_HV),
    FD(hv_dom, target_kib, F_HV),
    FD(hv_dom, rss_kib, F_HV),
    FD(hv_dom, nr_vcpus, F_U32),
    FD(hv_dom, llc_bytes, F_HV),
    FD(hv_dom, mbm_total_bytes, F_HV),
    FD(hv_dom, mbm_local_bytes, F_HV),
    FD(hv_dom, energy_uj, F_HV),
    FD(hv_dom, sources, F_U32),
    FD(hv_dom, stale, F_U32),
    FD(hv_dom, note, F_STR),
};

static const struct fdesc vcpu_fields[] = {
    FD(hv_vcpu, id, F_U32),     FD(hv_vcpu, pcpu, F_I32),
    FD(hv_vcpu, tid, F_I32),    FD(hv_vcpu, online, F_U8),
    FD(hv_vcpu, time_ns, F_HV), FD(hv_vcpu, guest_ns, F_HV),
    FD(hv_vcpu, wait_ns, F_HV),
};

static const struct fdesc net_fields[] = {
    FD(hv_net, name, F_STR),    FD(hv_net, id, F_U32),
    FD(hv_net, rx_bytes, F_HV), FD(hv_net, rx_pkts, F_HV),
    FD(hv_net, rx_errs, F_HV),  FD(hv_net, rx_drop, F_HV),
    FD(hv_net, tx_bytes, F_HV), FD(hv_net, tx_pkts, F_HV),
    FD(hv_net, tx_errs, F_HV),  FD(hv_net, tx_drop, F_HV),
};

static const struct fdesc blk_fields[] = {
    FD(hv_blk, name, F_STR),    FD(hv_blk, id, F_U32),
    FD(hv_blk, src, F_U8),      FD(hv_blk, rd_reqs, F_HV),
    FD(hv_blk, wr_reqs, F_HV),  FD(hv_blk, fl_reqs, F_HV),
    FD(hv_blk, ds_reqs, F_HV),  FD(hv_blk, oo_reqs, F_HV),
    FD(hv_blk, rd_bytes, F_HV), FD(hv_blk, wr_bytes, F_HV),
    FD(hv_blk, rd_ns, F_HV),    FD(hv_blk, wr_ns, F_HV),
    FD(hv_blk, fl_ns, F_HV),    FD(hv_blk, read_ns, F_U64),
};

#define NF(tab) (sizeof(tab) / sizeof((tab)[0]))

/* Own table rather than hv_why_str() so the file format does not change if
 * display strings do. */
static const char *const why_names[] = {
    [HV_OK] = "ok",
    [HV_NA_UNSUPPORTED] = "unsupported",
    [HV_NA_UNAVAILABLE] = "unavailable",
    [HV_NA_STALE] = "stale",
    [HV_NA_ERROR] = "error",
    [HV_NA_NOTYET] = "notyet",
};
#define NWHY (sizeof(why_names) / sizeof(why_names[0]))

/* ---------------------------------------------------------------- write */

static cJSON *u64_json(uint64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	if (v <= JSON_EXACT_MAX)
		return cJSON_CreateRaw(buf);
	return cJSON_CreateString(buf);
}

static cJSON *hv_json(hv_u64 x)
{
	char buf[48];
	if (x.why == HV_OK)
		return u64_json(x.v);
	const char *w = x.why < NWHY ? why_names[x.why] : "error";
	if (x.v)
		snprintf(buf, sizeof(buf), "%s:%" PRIu64, w, x.v);
	else
		snprintf(buf, sizeof(buf), "%s", w);
	return cJSON_CreateString(buf);
}

static cJSON *i64_json(int64_t v)
{
	char buf[32];
	snprintf(buf, sizeof(buf), "%" PRId64, v);
	if (v <= (int64_t)JSON_EXACT_MAX && v >= -(int64_t)JSON_EXACT_MAX)
		return cJSON_CreateRaw(buf);
	return cJSON_CreateString(buf);
}

/* Adds fields of rec to obj; false on ENOMEM. */
static bool put_fields(cJSON *obj, const void *rec, const struct fdesc *tab,
                       size_t n)
{
	const char *base = rec;
	for (size_t i = 0; i < n; i++) {
		const void *p = base + tab[i].off;
		cJSON *v = NULL;
		switch (tab[i].t) {
		case F_HV:
			v = hv_json(*(const hv_u64 *)p);
			break;
		case F_U64:
			v = u64_json(*(const uint64_t *)p);
			break;
		case F_I64:
			v = i64_json(*(const int64_t *)p);
			break;
		case F_U32:
			v = u64_json(*(const uint32_t *)p);
			break;
		case F_I32:
			v = i64_json(*(const int32_t *)p);
			break;
		case F_U8:
			v = u64_json(*(const uint8_t *)p);
			break;
		case F_I8:
			v = i64_json(*(const int8_t *)p);
			break;
		case F_STR: {
			/* Arrays are NUL-terminated by the model; bound
			 * anyway so a corrupt record cannot overrun. */
			char tmp[HV_NOTE_LEN + 64];
			size_t l = strnlen(p, tab[i].len);
			if (l >= sizeof(tmp))
				l = sizeof(tmp) - 1;
			memcpy(tmp, p, l);
			tmp[l] = 0;
			v = cJSON_CreateString(tmp);
			break;
		}
		}
		if (!v || !cJSON_AddItemToObject(obj, tab[i].name, v)) {
			cJSON_Delete(v);
			return false;
		}
	}
	return true;
}

/* A registry counter of the record that the table does not list. */
static bool extra_row(const hv_field *f, const struct fdesc *tab, size_t n)
{
	if (f->type != HV_FT_U64 || !f->mem)
		return false;
	for (size_t i = 0; i < n; i++)
		if (tab[i].off == f->off)
			return false;
	return true;
}

static bool put_extra(cJSON *obj, const void *r, hv_rec rec,
                      const struct fdesc *tab, size_t n)
{
	size_t nf;
	const hv_field *t = hv_fields(rec, &nf);
	for (size_t i = 0; i < nf; i++) {
		if (!extra_row(&t[i], tab, n))
			continue;
		cJSON *v =
		    hv_json(*(const hv_u64 *)((const char *)r + t[i].off));
		if (!v || !cJSON_AddItemToObject(obj, t[i].mem, v)) {
			cJSON_Delete(v);
			return false;
		}
	}
	return true;
}

static cJSON *add_arr(cJSON *obj, const char *name)
{
	return cJSON_AddArrayToObject(obj, name);
}

static cJSON *new_elem(cJSON *arr)
{
	cJSON *o = cJSON_CreateObject();
	if (o && !cJSON_AddItemToArray(arr, o)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

/* obj[name] = one object per record of an n-long array of size-byte
 * records, each with the fields of tab; false on ENOMEM. */
static bool put_arr(cJSON *obj, const char *name, const void *recs, size_t n,
                    size_t size, const struct fdesc *tab, size_t nf)
{
	cJSON *a = add_arr(obj, name);
	const char *r = recs;

	if (!a)
		return false;
	for (size_t i = 0; i < n; i++) {
		cJSON *o = new_elem(a);
		if (!o || !put_fields(o, r + i * size, tab, nf))
			return false;
	}
	return true;
}

static bool put_hv_array(cJSON *arr, const hv_u64 *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		cJSON *x = hv_json(v[i]);
		if (!x || !cJSON_AddItemToArray(arr, x)) {
			cJSON_Delete(x);
			return false;
		}
	}
	return true;
}

static bool put_host(cJSON *root, const hv_host *h)
{
	cJSON *ho = cJSON_AddObjectToObject(root, "host");
	if (!ho || !put_fields(ho, h, host_fields, NF(host_fields)) ||
	    !put_extra(ho, h, HV_REC_HOST, host_fields, NF(host_fields)))
		return false;
	cJSON *hw = add_arr(ho, "hw_name");
	if (!hw)
		return false;
	for (uint32_t i = 0; i < h->nr_hw && i < HV_HW_MAX; i++) {
		cJSON *s = cJSON_CreateString(h->hw_name[i]);
		if (!s || !cJSON_AddItemToArray(hw, s)) {
			cJSON_Delete(s);
			return false;
		}
	}
	cJSON *pa = add_arr(ho, "pcpus");
	if (!pa)
		return false;
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *c = &h->pcpu[i];
		cJSON *o = new_elem(pa);
		if (!o || !put_fields(o, c, pcpu_fields, NF(pcpu_fields)) ||
		    !put_extra(o, c, HV_REC_PCPU, pcpu_fields, NF(pcpu_fields)))
			return false;
		cJSON *ps = add_arr(o, "pstate");
		if (!ps)
			return false;
		for (uint32_t j = 0; j < c->nr_pstate && j < HV_PSTATE_MAX;
		     j++) {
			cJSON *e = new_elem(ps);
			if (!e || !put_fields(e, &c->pstate[j], pstate_fields,
			                      NF(pstate_fields)))
				return false;
		}
		cJSON *cs = add_arr(o, "cstate");
		if (!cs)
			return false;
		for (uint32_t j = 0; j < c->nr_cstate && j < HV_CSTATE_MAX;
		     j++) {
			cJSON *e = new_elem(cs);
			if (!e || !put_fields(e, &c->cstate[j], cstate_fields,
			                      NF(cstate_fields)))
				return false;
		}
	}
	if (!put_arr(ho, "rapl", h->rapl, h->nr_rapl, sizeof(*h->rapl),
	             rapl_fields, NF(rapl_fields)))
		return false;
	if (!put_arr(ho, "hwmon", h->hwmon, h->nr_hwmon, sizeof(*h->hwmon),
	             hwmon_fields, NF(hwmon_fields)))
		return false;
	if (!put_arr(ho, "page", h->page, h->nr_page, sizeof(*h->page),
	             page_fields, NF(page_fields)))
		return false;
	if (!put_arr(ho, "dimm", h->dimm, h->nr_dimm, sizeof(*h->dimm),
	             dimm_fields, NF(dimm_fields)))
		return false;
	return true;
}

static bool put_dom(cJSON *arr, const hv_dom *d, uint32_t aff_words)
{
	cJSON *o = new_elem(arr);
	if (!o || !put_fields(o, d, dom_fields, NF(dom_fields)) ||
	    !put_extra(o, d, HV_REC_DOM, dom_fields, NF(dom_fields)))
		return false;
	cJSON *va = add_arr(o, "vcpus");
	if (!va)
		return false;
	for (uint32_t i = 0; i < d->nr_vcpu; i++) {
		const hv_vcpu *v = &d->vcpu[i];
		cJSON *e = new_elem(va);
		if (!e || !put_fields(e, v, vcpu_fields, NF(vcpu_fields)) ||
		    !put_extra(e, v, HV_REC_VCPU, vcpu_fields, NF(vcpu_fields)))
			return false;
		cJSON *hw = add_arr(e, "hw");
		if (!hw || !put_hv_array(hw, v->hw, HV_HW_MAX))
			return false;
		if (v->affinity && aff_words) {
			cJSON *af = add_arr(e, "affinity");
			if (!af)
				return false;
			for (uint32_t w = 0; w < aff_words; w++) {
				char buf[20];
				snprintf(buf, sizeof(buf), "%" PRIx64,
				         v->affinity[w]);
				cJSON *s = cJSON_CreateString(buf);
				if (!s || !cJSON_AddItemToArray(af, s)) {
					cJSON_Delete(s);
					return false;
				}
			}
		} else if (!cJSON_AddNullToObject(e, "affinity")) {
			return false;
		}
	}
	cJSON *na = add_arr(o, "nets");
	if (!na)
		return false;
	for (uint32_t i = 0; i < d->nr_net; i++) {
		cJSON *e = new_elem(na);
		if (!e ||
		    !put_fields(e, &d->net[i], net_fields, NF(net_fields)) ||
		    !put_extra(e, &d->net[i], HV_REC_NET, net_fields,
		               NF(net_fields)))
			return false;
	}
	cJSON *ba = add_arr(o, "blks");
	if (!ba)
		return false;
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		cJSON *e = new_elem(ba);
		if (!e ||
		    !put_fields(e, &d->blk[i], blk_fields, NF(blk_fields)) ||
		    !put_extra(e, &d->blk[i], HV_REC_BLK, blk_fields,
		               NF(blk_fields)))
			return false;
	}
	return true;
}

static void iso8601(int64_t wall_ns, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ns / 1000000000);
	long ms = (long)((wall_ns % 1000000000) / 1000000);
	if (ms < 0) {
		t--;
		ms += 1000;
	}
	struct tm tm;
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	char tmp[32];
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", tmp, ms);
}

int hv_snapjson_write(const hv_snap *s, char **out, hv_err *err)
{
	int rc = -ENOMEM;
	char *txt = NULL;
	cJSON *root = cJSON_CreateObject();
	if (!root)
		goto out;
	const hv_host *h = hv_snap_host(s);
	char ts[40];
	iso8601(hv_snap_wall_ns(s), ts, sizeof(ts));
	if (!cJSON_AddStringToObject(root, "schema", HV_SNAPJSON_SCHEMA) ||
	    !cJSON_AddItemToObject(root, "seq", u64_json(hv_snap_seq(s))) ||
	    !cJSON_AddStringToObject(root, "time", ts) ||
	    !cJSON_AddItemToObject(root, "mono_ns",
	                           u64_json(hv_snap_mono_ns(s))) ||
	    !cJSON_AddItemToObject(root, "wall_ns",
	                           i64_json(hv_snap_wall_ns(s))) ||
	    !cJSON_AddItemToObject(root, "cost_ns",
	                           u64_json(hv_snap_cost_ns(s))))
		goto out;
	if (!put_host(root, h))
		goto out;
	uint32_t aff_words = (h->nr_pcpu + 63) / 64;
	cJSON *da = add_arr(root, "doms");
	if (!da)
		goto out;
	size_t n = hv_snap_ndom(s);
	for (size_t i = 0; i < n; i++)
		if (!put_dom(da, hv_snap_dom(s, i), aff_words))
			goto out;
	txt = cJSON_PrintUnformatted(root);
	if (!txt)
		goto out;
	*out = txt;
	txt = NULL;
	rc = 0;
out:
	if (rc)
		hv_err_set(err, -rc, "snapjson: out of memory serialising");
	cJSON_Delete(root);
	free(txt);
	return rc;
}

int hv_snapjson_fwrite(const hv_snap *s, FILE *f, hv_err *err)
{
	char *txt = NULL;
	int rc = hv_snapjson_write(s, &txt, err);
	if (rc)
		return rc;
	if (fputs(txt, f) == EOF || fputc('\n', f) == EOF || fflush(f)) {
		int e = errno ? errno : EIO;
		rc = hv_err_set(err, e, "snapjson: write failed: %s",
		                strerror(e));
	}
	free(txt);
	return rc;
}

/* ---------------------------------------------------------------- parse */

struct pctx {
	hv_err *err;
	const char *where; /* record being parsed, for messages */
	long idx;
};

static int bad(struct pctx *c, const char *field, const char *what)
{
	if (c->idx >= 0)
		return hv_err_set(c->err, EINVAL, "snapjson: %s[%ld].%s: %s",
		                  c->where, c->idx, field, what);
	return hv_err_set(c->err, EINVAL, "snapjson: %s.%s: %s", c->where,
	                  field, what);
}

static bool digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static bool str_u64(const char *s, uint64_t *out)
{
	if (!digits(s) || strlen(s) > 20)
		return false;
	errno = 0;
	unsigned long long v = strtoull(s, NULL, 10);
	if (errno)
		return false;
	*out = v;
	return true;
}

static bool get_u64(const cJSON *j, uint64_t *out)
{
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (!(d >= 0) || d > (double)JSON_EXACT_MAX ||
		    d != (double)(uint64_t)d)
			return false;
		*out = (uint64_t)d;
		return true;
	}
	if (cJSON_IsString(j))
		return str_u64(j->valuestring, out);
	return false;
}

static bool get_i64(const cJSON *j, int64_t *out)
{
	if (cJSON_IsNumber(j)) {
		double d = j->valuedouble;
		if (!(d >= -(double)JSON_EXACT_MAX) ||
		    d > (double)JSON_EXACT_MAX || d != (double)(int64_t)d)
			return false;
		*out = (int64_t)d;
		return true;
	}
	if (cJSON_IsString(j)) {
		const char *s = j->valuestring;
		bool neg = *s == '-';
		uint64_t u;
		if (!str_u64(s + neg, &u) || u > (uint64_t)INT64_MAX)
			return false;
		*out = neg ? -(int64_t)u : (int64_t)u;
		return true;
	}
	return false;
}

static bool get_hv(const cJSON *j, hv_u64 *out)
{
	if (cJSON_IsNumber(j) ||
	    (cJSON_IsString(j) && digits(j->valuestring))) {
		out->why = HV_OK;
		return get_u64(j, &out->v);
	}
	if (!cJSON_IsString(j))
		return false;
	const char *s = j->valuestring;
	const char *colon = strchr(s, ':');
	size_t wl = colon ? (size_t)(colon - s) : strlen(s);
	for (size_t w = 1; w < NWHY; w++) {
		if (strlen(why_names[w]) == wl &&
		    !strncmp(why_names[w], s, wl)) {
			out->why = (uint8_t)w;
			out->v = 0;
			return colon ? str_u64(colon + 1, &out->v) : true;
		}
	}
	return false;
}

static int get_fields(struct pctx *c, const cJSON *obj, void *rec,
                      const struct fdesc *tab, size_t n)
{
	if (!cJSON_IsObject(obj))
		return bad(c, "", "not an object");
	char *base = rec;
	for (size_t i = 0; i < n; i++) {
		void *p = base + tab[i].off;
		const cJSON *j =
		    cJSON_GetObjectItemCaseSensitive(obj, tab[i].name);
		uint64_t u;
		int64_t s;
		if (!j && tab[i].opt)
			continue;
		if (!j)
			return bad(c, tab[i].name, "missing");
		bool ok = false;
		switch (tab[i].t) {
		case F_HV:
			ok = get_hv(j, p);
			break;
		case F_U64:
			ok = get_u64(j, p);
			break;
		case F_I64:
			ok = get_i64(j, p);
			break;
		case F_U32:
			ok = get_u64(j, &u) && u <= UINT32_MAX;
			if (ok)
				*(uint32_t *)p = (uint32_t)u;
			break;
		case F_U8:
			ok = get_u64(j, &u) && u <= UINT8_MAX;
			if (ok)
				*(uint8_t *)p = (uint8_t)u;
			break;
		case F_I32:
			ok = get_i64(j, &s) && s >= INT32_MIN && s <= INT32_MAX;
			if (ok)
				*(int32_t *)p = (int32_t)s;
			break;
		case F_I8:
			ok = get_i64(j, &s) && s >= INT8_MIN && s <= INT8_MAX;
			if (ok)
				*(int8_t *)p = (int8_t)s;
			break;
		case F_STR:
			ok = cJSON_IsString(j) &&
			     strlen(j->valuestring) < tab[i].len;
			if (ok)
				memcpy(p, j->valuestring,
				       strlen(j->valuestring) + 1);
			break;
		}
		if (!ok)
			return bad(c, tab[i].name, "bad value");
	}
	return 0;
}

/* Registry counters the table does not list: optional (a recording made
 * before the counter existed has it unsupported). */
static int get_extra(struct pctx *c, const cJSON *obj, void *r, hv_rec rec,
                     const struct fdesc *tab, size_t n)
{
	size_t nf;
	const hv_field *t = hv_fields(rec, &nf);
	for (size_t i = 0; i < nf; i++) {
		if (!extra_row(&t[i], tab, n))
			continue;
		hv_u64 *p = (hv_u64 *)((char *)r + t[i].off);
		const cJSON *j =
		    cJSON_GetObjectItemCaseSensitive(obj, t[i].mem);
		if (!j)
			*p = hv_na(HV_NA_UNSUPPORTED);
		else if (!get_hv(j, p))
			return bad(c, t[i].mem, "bad value");
	}
	return 0;
}

/* An array member, or NULL with an error when absent or not an array. */
static const cJSON *arr(struct pctx *c, const cJSON *obj, const char *name,
                        size_t max, int *rc)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);
	if (!cJSON_IsArray(a)) {
		*rc = bad(c, name, "missing or not an array");
		return NULL;
	}
	if ((size_t)cJSON_GetArraySize(a) > max) {
		*rc = bad(c, name, "too many entries");
		return NULL;
	}
	return a;
}

static int nomem(struct pctx *c)
{
	return hv_err_set(c->err, ENOMEM, "snapjson: out of memory");
}

/* An array added after hvkit.snap/1 (pages, DIMMs): absent in older
 * recordings, which then read as having none. */
static int get_opt_arr(struct pctx *c, const cJSON *obj, const char *name,
                       size_t max, hv_snap *s, size_t esz,
                       const struct fdesc *tab, size_t nt, void **out,
                       uint32_t *nout)
{
	const cJSON *a, *e;
	char *base;
	uint32_t n;
	int rc = 0;

	*out = NULL;
	*nout = 0;
	if (!cJSON_GetObjectItemCaseSensitive(obj, name))
		return 0;
	if (!(a = arr(c, obj, name, max, &rc)))
		return rc;
	n = (uint32_t)cJSON_GetArraySize(a);
	if (!n)
		return 0;
	if (!(base = hv_snap_alloc(s, n * esz)))
		return nomem(c);
	c->where = name;
	c->idx = 0;
	cJSON_ArrayForEach(e, a)
	{
		if ((uint32_t)c->idx >= n)
			break;
		rc = get_fields(c, e, base + (size_t)c->idx * esz, tab, nt);
		if (rc)
			return rc;
		c->idx++;
	}
	*out = base;
	*nout = n;
	return 0;
}

static int get_pcpu(struct pctx *c, const cJSON *o, hv_pcpu *p)
{
	int rc = get_fields(c, o, p, pcpu_fields, NF(pcpu_fields));
	if (!rc)
		rc = get_extra(c, o, p, HV_REC_PCPU, pcpu_fields,
		               NF(pcpu_fields));
	if (rc)
		return rc;
	const cJSON *ps = arr(c, o, "pstate", HV_PSTATE_MAX, &rc);
	if (!ps)
		return rc;
	const cJSON *e;
	p->nr_pstate = 0;
	cJSON_ArrayForEach(e, ps)
	{
		rc = get_fields(c, e, &p->pstate[p->nr_pstate], pstate_fields,
		                NF(pstate_fields));
		if (rc)
			return rc;
		p->nr_pstate++;
	}
	const cJSON *cs = arr(c, o, "cstate", HV_CSTATE_MAX, &rc);
	if (!cs)
		return rc;
	p->nr_cstate = 0;
	cJSON_ArrayForEach(e, cs)
	{
		rc = get_fields(c, e, &p->cstate[p->nr_cstate], cstate_fields,
		                NF(cstate_fields));
		if (rc)
			return rc;
		p->nr_cstate++;
	}
	return 0;
}

static int get_host(struct pctx *c, hv_snap *s, const cJSON *ho)
{
	hv_host *h = hv_snap_host_mut(s);
	c->where = "host";
	c->idx = -1;
	int rc = get_fields(c, ho, h, host_fields, NF(host_fields));
	if (!rc)
		rc = get_extra(c, ho, h, HV_REC_HOST, host_fields,
		               NF(host_fields));
	if (rc)
		return rc;
	const cJSON *hw = arr(c, ho, "hw_name", HV_HW_MAX, &rc);
	if (!hw)
		return rc;
	const cJSON *e;
	h->nr_hw = 0;
	cJSON_ArrayForEach(e, hw)
	{
		if (!cJSON_IsString(e) ||
		    strlen(e->valuestring) >= HV_HW_NAME_LEN)
			return bad(c, "hw_name", "bad value");
		snprintf(h->hw_name[h->nr_hw++], HV_HW_NAME_LEN, "%s",
		         e->valuestring);
	}
	/* 64 Ki pCPUs is far beyond any host; the bound keeps a hostile
	 * file from asking for gigabytes. */
	const cJSON *pa = arr(c, ho, "pcpus", 65536, &rc);
	if (!pa)
		return rc;
	uint32_t n = (uint32_t)cJSON_GetArraySize(pa);
	if (n) {
		hv_pcpu *p = hv_snap_pcpus(s, n);
		if (!p)
			return nomem(c);
		c->where = "pcpus";
		c->idx = 0;
		cJSON_ArrayForEach(e, pa)
		{
			rc = get_pcpu(c, e, &p[c->idx]);
			if (rc)
				return rc;
			c->idx++;
		}
	}
	c->where = "host";
	c->idx = -1;
	const cJSON *ra = arr(c, ho, "rapl", 1024, &rc);
	if (!ra)
		return rc;
	n = (uint32_t)cJSON_GetArraySize(ra);
	if (n) {
		hv_rapl *r = hv_snap_rapls(s, n);
		if (!r)
			return nomem(c);
		c->where = "rapl";
		c->idx = 0;
		cJSON_ArrayForEach(e, ra)
		{
			rc = get_fields(c, e, &r[c->idx], rapl_fields,
			                NF(rapl_fields));
			if (rc)
				return rc;
			c->idx++;
		}
	}
	c->where = "host";
	c->idx = -1;
	void *arr_out = NULL;
	if ((rc = get_opt_arr(c, ho, "page", 1u << 20, s, sizeof(hv_page),
	                      page_fields, NF(page_fields), &arr_out,
	                      &h->nr_page)))
		return rc;
	h->page = arr_out;
	if ((rc = get_opt_arr(c, ho, "dimm", 1u << 16, s, sizeof(hv_dimm),
	                      dimm_fields, NF(dimm_fields), &arr_out,
	                      &h->nr_dimm)))
		return rc;
	h->dimm = arr_out;
	if ((rc = get_opt_arr(c, ho, "hwmon", 1u << 12, s, sizeof(hv_hwmon),
	                      hwmon_fields, NF(hwmon_fields), &arr_out,
	                      &h->nr_hwmon)))
		return rc;
	h->hwmon = arr_out;
	return 0;
}

static int get_hv_array(struct pctx *c, const cJSON *a, hv_u64 *v, size_t n)
{
	if (!cJSON_IsArray(a) || (size_t)cJSON_GetArraySize(a) != n)
		return bad(c, "hw", "want an array of 4");
	const cJSON *e;
	size_t i = 0;
	cJSON_ArrayForEach(e, a)
	{
		if (!get_hv(e, &v[i++]))
			return bad(c, "hw", "bad value");
	}
	return 0;
}

static int get_vcpu(struct pctx *c, hv_snap *s, const cJSON *o, hv_vcpu *v,
                    uint32_t aff_words)
{
	int rc = get_fields(c, o, v, vcpu_fields, NF(vcpu_fields));
	if (!rc)
		rc = get_extra(c, o, v, HV_REC_VCPU, vcpu_fields,
		               NF(vcpu_fields));
	if (rc)
		return rc;
	rc = get_hv_array(c, cJSON_GetObjectItemCaseSensitive(o, "hw"), v->hw,
	                  HV_HW_MAX);
	if (rc)
		return rc;
	const cJSON *af = cJSON_GetObjectItemCaseSensitive(o, "affinity");
	v->affinity = NULL;
	if (!af || cJSON_IsNull(af))
		return 0;
	if (!cJSON_IsArray(af) ||
	    (uint32_t)cJSON_GetArraySize(af) != aff_words || !aff_words)
		return bad(c, "affinity", "want one hex word per 64 pCPUs");
	uint64_t *words = hv_snap_alloc(s, aff_words * sizeof(uint64_t));
	if (!words)
		return nomem(c);
	const cJSON *e;
	uint32_t w = 0;
	cJSON_ArrayForEach(e, af)
	{
		char *end;
		if (!cJSON_IsString(e) || !*e->valuestring ||
		    strlen(e->valuestring) > 16)
			return bad(c, "affinity", "bad word");
		errno = 0;
		words[w++] = strtoull(e->valuestring, &end, 16);
		if (*end || errno)
			return bad(c, "affinity", "bad word");
	}
	v->affinity = words;
	return 0;
}

static int get_dom(struct pctx *c, hv_snap *s, const cJSON *o,
                   uint32_t aff_words)
{
	hv_dom *d = hv_snap_add_dom(s);
	if (!d)
		return nomem(c);
	int rc = get_fields(c, o, d, dom_fields, NF(dom_fields));
	if (!rc)
		rc = get_extra(c, o, d, HV_REC_DOM, dom_fields, NF(dom_fields));
	if (rc)
		return rc;
	const cJSON *e;
	const cJSON *va = arr(c, o, "vcpus", 1u << 16, &rc);
	if (!va)
		return rc;
	uint32_t n = (uint32_t)cJSON_GetArraySize(va);
	if (n) {
		hv_vcpu *v = hv_snap_vcpus(s, d, n);
		if (!v)
			return nomem(c);
		uint32_t i = 0;
		cJSON_ArrayForEach(e, va)
		{
			rc = get_vcpu(c, s, e, &v[i++], aff_words);
			if (rc)
				return rc;
		}
	}
	const cJSON *na = arr(c, o, "nets", 4096, &rc);
	if (!na)
		return rc;
	n = (uint32_t)cJSON_GetArraySize(na);
	if (n) {
		hv_net *v = hv_snap_nets(s, d, n);
		if (!v)
			return nomem(c);
		uint32_t i = 0;
		cJSON_ArrayForEach(e, na)
		{
			rc =
			    get_fields(c, e, &v[i], net_fields, NF(net_fields));
			if (!rc)
				rc = get_extra(c, e, &v[i], HV_REC_NET,
				               net_fields, NF(net_fields));
			i++;
			if (rc)
				return rc;
		}
	}
	const cJSON *ba = arr(c, o, "blks", 4096, &rc);
	if (!ba)
		return rc;
	n = (uint32_t)cJSON_GetArraySize(ba);
	if (n) {
		hv_blk *v = hv_snap_blks(s, d, n);
		if (!v)
			return nomem(c);
		uint32_t i = 0;
		cJSON_ArrayForEach(e, ba)
		{
			rc =
			    get_fields(c, e, &v[i], blk_fields, NF(blk_fields));
			if (!rc)
				rc = get_extra(c, e, &v[i], HV_REC_BLK,
				               blk_fields, NF(blk_fields));
			i++;
			if (rc)
				return rc;
		}
	}
	return 0;
}

int hv_snapjson_fill(hv_snap *s, const char *line, size_t len, hv_err *err)
{
	struct pctx c = {.err = err, .where = "snapshot", .idx = -1};
	int rc;
	cJSON *root = cJSON_ParseWithLength(line, len);
	if (!root) {
		rc = hv_err_set(err, EINVAL, "snapjson: not valid JSON");
		goto out;
	}
	const cJSON *sch = cJSON_GetObjectItemCaseSensitive(root, "schema");
	if (!cJSON_IsString(sch) ||
	    strcmp(sch->valuestring, HV_SNAPJSON_SCHEMA)) {
		rc = hv_err_set(
		    err, EPROTO, "snapjson: schema is %s%s%s, want %s",
		    cJSON_IsString(sch) ? "\"" : "",
		    cJSON_IsString(sch) ? sch->valuestring : "missing",
		    cJSON_IsString(sch) ? "\"" : "", HV_SNAPJSON_SCHEMA);
		goto out;
	}
	uint64_t mono, cost;
	int64_t wall;
	if (!get_u64(cJSON_GetObjectItemCaseSensitive(root, "mono_ns"),
	             &mono) ||
	    !get_i64(cJSON_GetObjectItemCaseSensitive(root, "wall_ns"),
	             &wall) ||
	    !get_u64(cJSON_GetObjectItemCaseSensitive(root, "cost_ns"),
	             &cost)) {
		rc = bad(&c, "mono_ns/wall_ns/cost_ns", "missing or bad");
		goto out;
	}
	const cJSON *ho = cJSON_GetObjectItemCaseSensitive(root, "host");
	rc = get_host(&c, s, ho);
	if (rc)
		goto out;
	uint32_t aff_words = (hv_snap_host(s)->nr_pcpu + 63) / 64;
	c.where = "snapshot";
	c.idx = -1;
	const cJSON *da = arr(&c, root, "doms", 1u << 20, &rc);
	if (!da)
		goto out;
	const cJSON *e;
	c.where = "doms";
	c.idx = 0;
	cJSON_ArrayForEach(e, da)
	{
		rc = get_dom(&c, s, e, aff_words);
		if (rc)
			goto out;
		c.idx++;
	}
	hv_snap_set_time(s, mono, wall, cost);
	rc = 0;
out:
	cJSON_Delete(root);
	return rc;
}

int hv_snapjson_parse(const char *line, size_t len, hv_snap **out, hv_err *err)
{
	hv_snap *s = hv_snap_new();
	if (!s)
		return hv_err_set(err, ENOMEM, "snapjson: out of memory");
	int rc = hv_snapjson_fill(s, line, len, err);
	if (rc) {
		hv_snap_unref(s);
		return rc;
	}
	*out = s;
	return 0;
}
