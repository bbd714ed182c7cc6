/* SPDX-License-Identifier: MIT */
/* Machine-readable outputs. One walk over a snapshot emits (metric, value)
 * pairs named after libvirt's domstats vocabulary (cpu.time, vcpu.N.time,
 * net.N.rx.bytes, block.N.rd.reqs, balloon.current, ...); the JSON Lines
 * and long CSV writers are two sinks for the same walk, so they can never
 * disagree. Per-second rates carry a ".rate" suffix; CPU shares ".pct".
 * The metrics and their order are the rows of libhv's field registry
 * (hv/fields.h) marked HV_FV_EXPORT. */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "hv/fields.h"
#include "xt.h"

#define XT_JSON_SCHEMA "hvkit.xentop/1"

void xt_iso8601(int64_t wall_ns, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ns / 1000000000);
	long ms = (long)((wall_ns % 1000000000) / 1000000);
	struct tm tm;
	char tmp[32];
	if (ms < 0) {
		t--;
		ms += 1000;
	}
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, len, "1970-01-01T00:00:00.000Z");
		return;
	}
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%s.%03ldZ", tmp, ms);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (ch == '"' || ch == '\\')
			fprintf(f, "\\%c", ch);
		else if (ch < 0x20)
			fprintf(f, "\\u%04x", ch);
		else
			fputc(ch, f);
	}
	fputc('"', f);
}

struct sink {
	FILE *f;
	bool csv;
	bool first;      /* JSON: no comma before the first member */
	const char *ts;  /* CSV */
	const hv_dom *d; /* CSV */
};

static void key(struct sink *k, const char *m)
{
	if (!k->first)
		fputc(',', k->f);
	k->first = false;
	json_str(k->f, m);
	fputc(':', k->f);
}

static void csv_field(FILE *f, const char *s)
{
	if (strpbrk(s, ",\"\n\r")) {
		fputc('"', f);
		for (; *s; s++) {
			if (*s == '"')
				fputc('"', f);
			fputc(*s, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
}

static void csv_pre(struct sink *k, const char *m)
{
	fprintf(k->f, "%s,", k->ts);
	csv_field(k->f, k->d ? k->d->name : "");
	fputc(',', k->f);
	csv_field(k->f, k->d ? k->d->uuid : "");
	fprintf(k->f, ",%s,", m);
}

static void emit_u(struct sink *k, const char *m, hv_u64 x)
{
	if (k->csv) {
		if (!hv_ok(x))
			return; /* a long CSV simply has no row */
		csv_pre(k, m);
		fprintf(k->f, "%" PRIu64 "\n", x.v);
		return;
	}
	key(k, m);
	if (hv_ok(x))
		fprintf(k->f, "%" PRIu64, x.v);
	else
		fputs("null", k->f);
}

static void emit_d(struct sink *k, const char *m, double v)
{
	if (k->csv) {
		if (isnan(v) || isinf(v))
			return;
		csv_pre(k, m);
		fprintf(k->f, "%.3f\n", v);
		return;
	}
	key(k, m);
	if (isnan(v) || isinf(v))
		fputs("null", k->f);
	else
		fprintf(k->f, "%.3f", v);
}

static void emit_s(struct sink *k, const char *m, const char *s)
{
	if (k->csv)
		return; /* names are in the domain/uuid columns */
	key(k, m);
	json_str(k->f, s);
}

/* One record's rows of the registry, in its order; children (vCPUs, NICs,
 * disks) named "<row>.<n>.<field>". */
static void walk_rec(struct sink *k, hv_rec rec, const void *r,
                     const void *rate, const char *prefix)
{
	size_t n;
	const hv_field *t = hv_fields(rec, &n);
	char m[96], st[HV_STATE_LEN];
	for (size_t i = 0; i < n; i++) {
		const hv_field *f = &t[i];
		if (!(f->views & HV_FV_EXPORT))
			continue;
		const char *nm = f->name;
		if (prefix) {
			snprintf(m, sizeof(m), "%s%s", prefix, f->name);
			nm = m;
		}
		switch (f->type) {
		case HV_FT_STR:
		case HV_FT_STATE: {
			const char *v = hv_field_str(f, r, st, sizeof(st));
			if (!(f->flags & HV_FF_OMIT_EMPTY) || *v)
				emit_s(k, nm, v);
			break;
		}
		case HV_FT_FLAG:
			if (!k->csv) { /* JSON only: CSV rows are numbers */
				key(k, nm);
				fputs(hv_field_u64(f, r).v ? "true" : "false",
				      k->f);
			}
			break;
		case HV_FT_RATE:
			emit_d(k, nm, hv_field_rate(f, rate));
			break;
		case HV_FT_CHILD: {
			size_t nc = hv_field_nchild(f, r);
			for (size_t j = 0; j < nc; j++) {
				const void *cr;
				uint32_t no;
				const void *c =
				    hv_field_child(f, r, rate, j, &cr, &no);
				char pre[48];
				snprintf(pre, sizeof(pre), "%s.%" PRIu32 ".",
				         f->name, no);
				walk_rec(k, f->child, c, cr, pre);
			}
			break;
		}
		default:
			emit_u(k, nm, hv_field_u64(f, r));
		}
	}
}

static void walk_dom(struct sink *k, const hv_dom *d, const hv_dom_rate *dr)
{
	walk_rec(k, HV_REC_DOM, d, dr, NULL);
}

static void walk_host(struct sink *k, const xt_ctx *c)
{
	const hv_rates *rt = hv_snap_rates(c->s);
	walk_rec(k, HV_REC_HOST, c->h, rt ? hv_rates_host(rt) : NULL, NULL);
	/* of the snapshot, not of the host record */
	emit_u(k, "domain.count", hv_val(hv_snap_ndom(c->s)));
}

int xt_json_print(FILE *f, const hv_snap *s, const xt_ctx *c)
{
	char ts[40];
	const hv_rates *rt = hv_snap_rates(s);
	xt_iso8601(hv_snap_wall_ns(s), ts, sizeof(ts));
	struct sink k = {.f = f, .csv = false, .first = true};
	fprintf(f, "{\"schema\":\"%s\",\"time\":\"%s\",\"seq\":%" PRIu64,
	        XT_JSON_SCHEMA, ts, hv_snap_seq(s));
	double dt = rt ? hv_rates_dt(rt) : NAN;
	if (isnan(dt))
		fputs(",\"interval\":null", f);
	else
		fprintf(f, ",\"interval\":%.3f", dt);
	fputs(",\"host\":{", f);
	walk_host(&k, c);
	fputs("},\"domains\":[", f);
	for (size_t i = 0; i < hv_snap_ndom(s); i++) {
		const hv_dom *d = hv_snap_dom(s, i);
		fputs(i ? ",{" : "{", f);
		k.first = true;
		walk_dom(&k, d, rt ? hv_rates_dom(rt, i) : NULL);
		fputc('}', f);
	}
	fputs("]}\n", f);
	return fflush(f) ? -1 : 0;
}

int xt_csv_print(FILE *f, const hv_snap *s, const xt_ctx *c)
{
	char ts[40];
	const hv_rates *rt = hv_snap_rates(s);
	xt_iso8601(hv_snap_wall_ns(s), ts, sizeof(ts));
	struct sink k = {.f = f, .csv = true, .ts = ts};
	walk_host(&k, c); /* host rows: empty domain and uuid */
	for (size_t i = 0; i < hv_snap_ndom(s); i++) {
		k.d = hv_snap_dom(s, i);
		walk_dom(&k, k.d, rt ? hv_rates_dom(rt, i) : NULL);
	}
	return fflush(f) ? -1 : 0;
}
