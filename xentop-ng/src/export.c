/* SPDX-License-Identifier: MIT */
/* Machine-readable outputs. One walk over a snapshot emits (metric, value)
 * pairs named after libvirt's domstats vocabulary (cpu.time, vcpu.N.time,
 * net.N.rx.bytes, block.N.rd.reqs, balloon.current, ...); the JSON Lines
 * and long CSV writers are two sinks for the same walk, so they can never
 * disagree. Per-second rates carry a ".rate" suffix; CPU shares ".pct". */
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

#define R(f) (dr ? dr->f : NAN)

static void walk_dom(struct sink *k, const hv_dom *d, const hv_dom_rate *dr,
                     bool host_pct)
{
	char m[64], st[7];
	(void)host_pct;
	xt_state_str(d->state, st);
	emit_s(k, "name", d->name);
	emit_u(k, "id", hv_val(d->id));
	emit_s(k, "uuid", d->uuid);
	emit_s(k, "state", st);
	if (!k->csv) {
		key(k, "stale");
		fputs(d->stale ? "true" : "false", k->f);
		if (d->note[0])
			emit_s(k, "note", d->note);
	}
	emit_u(k, "cpu.time", d->cpu_ns);
	emit_d(k, "cpu.pct", R(cpu_pct));
	emit_d(k, "cpu.host.pct", R(cpu_host_pct));
	emit_d(k, "cpu.guest.pct", R(guest_pct));
	emit_d(k, "cpu.steal.pct", R(steal_pct));
	emit_u(k, "balloon.current", d->mem_kib);
	emit_u(k, "balloon.maximum", d->maxmem_kib);
	emit_u(k, "balloon.target", d->target_kib);
	emit_u(k, "balloon.rss", d->rss_kib);
	emit_u(k, "vcpu.current", hv_val(d->nr_vcpus));
	for (uint32_t i = 0; i < d->nr_vcpu; i++) {
		const hv_vcpu *v = &d->vcpu[i];
		const hv_vcpu_rate *vr = dr && dr->vcpu ? &dr->vcpu[i] : NULL;
		snprintf(m, sizeof(m), "vcpu.%u.state", v->id);
		emit_u(k, m, hv_val(v->online));
		snprintf(m, sizeof(m), "vcpu.%u.time", v->id);
		emit_u(k, m, v->time_ns);
		snprintf(m, sizeof(m), "vcpu.%u.delay", v->id);
		emit_u(k, m, v->wait_ns);
		snprintf(m, sizeof(m), "vcpu.%u.pct", v->id);
		emit_d(k, m, vr ? vr->cpu_pct : NAN);
		snprintf(m, sizeof(m), "vcpu.%u.steal.pct", v->id);
		emit_d(k, m, vr ? vr->steal_pct : NAN);
	}
	emit_u(k, "net.count", hv_val(d->nr_net));
	emit_d(k, "net.rx.bytes.rate", R(net_rx_Bps));
	emit_d(k, "net.tx.bytes.rate", R(net_tx_Bps));
	for (uint32_t i = 0; i < d->nr_net; i++) {
		const hv_net *n = &d->net[i];
		static const struct {
			const char *nm;
			size_t off;
		} nf[] = {
		    {"rx.bytes", offsetof(hv_net, rx_bytes)},
		    {"rx.pkts", offsetof(hv_net, rx_pkts)},
		    {"rx.errs", offsetof(hv_net, rx_errs)},
		    {"rx.drop", offsetof(hv_net, rx_drop)},
		    {"tx.bytes", offsetof(hv_net, tx_bytes)},
		    {"tx.pkts", offsetof(hv_net, tx_pkts)},
		    {"tx.errs", offsetof(hv_net, tx_errs)},
		    {"tx.drop", offsetof(hv_net, tx_drop)},
		};
		snprintf(m, sizeof(m), "net.%u.name", i);
		emit_s(k, m, n->name);
		for (size_t j = 0; j < sizeof(nf) / sizeof(nf[0]); j++) {
			snprintf(m, sizeof(m), "net.%u.%s", i, nf[j].nm);
			emit_u(k, m,
			       *(const hv_u64 *)((const char *)n + nf[j].off));
		}
	}
	emit_u(k, "block.count", hv_val(d->nr_blk));
	emit_d(k, "block.rd.bytes.rate", R(blk_rd_Bps));
	emit_d(k, "block.wr.bytes.rate", R(blk_wr_Bps));
	emit_d(k, "block.rd.reqs.rate", R(blk_rd_iops));
	emit_d(k, "block.wr.reqs.rate", R(blk_wr_iops));
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		const hv_blk *b = &d->blk[i];
		static const struct {
			const char *nm;
			size_t off;
		} bf[] = {
		    {"rd.reqs", offsetof(hv_blk, rd_reqs)},
		    {"rd.bytes", offsetof(hv_blk, rd_bytes)},
		    {"rd.times", offsetof(hv_blk, rd_ns)},
		    {"wr.reqs", offsetof(hv_blk, wr_reqs)},
		    {"wr.bytes", offsetof(hv_blk, wr_bytes)},
		    {"wr.times", offsetof(hv_blk, wr_ns)},
		    {"fl.reqs", offsetof(hv_blk, fl_reqs)},
		    {"fl.times", offsetof(hv_blk, fl_ns)},
		    {"ds.reqs", offsetof(hv_blk, ds_reqs)},
		    {"errors", offsetof(hv_blk, oo_reqs)},
		};
		snprintf(m, sizeof(m), "block.%u.name", i);
		emit_s(k, m, b->name);
		for (size_t j = 0; j < sizeof(bf) / sizeof(bf[0]); j++) {
			snprintf(m, sizeof(m), "block.%u.%s", i, bf[j].nm);
			emit_u(k, m,
			       *(const hv_u64 *)((const char *)b + bf[j].off));
		}
	}
	emit_d(k, "perf.ipc", R(ipc));
	emit_u(k, "cpu.cache.occupancy.bytes", d->llc_bytes);
	emit_u(k, "memory.bandwidth.total.bytes", d->mbm_total_bytes);
	emit_u(k, "memory.bandwidth.local.bytes", d->mbm_local_bytes);
	emit_d(k, "memory.bandwidth.total.bytes.rate", R(mbm_total_Bps));
	emit_u(k, "power.energy.uj", d->energy_uj);
	emit_d(k, "power.watts", R(watts));
}

static void walk_host(struct sink *k, const xt_ctx *c)
{
	const hv_host *h = c->h;
	const hv_rates *rt = hv_snap_rates(c->s);
	const hv_host_rate *hr = rt ? hv_rates_host(rt) : NULL;
	uint32_t on = 0;
	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		on += h->pcpu[i].online != 0;
	emit_s(k, "name", h->hostname);
	emit_s(k, "backend", h->backend);
	emit_s(k, "version", h->hv_version);
	emit_u(k, "uptime", h->uptime_ns);
	emit_u(k, "pcpu.count", hv_val(h->nr_pcpu));
	emit_u(k, "pcpu.online", hv_val(on));
	emit_u(k, "mem.total", h->mem_total_kib);
	emit_u(k, "mem.free", h->mem_free_kib);
	emit_d(k, "cpu.busy.pct", hr ? hr->busy_pct : NAN);
	emit_d(k, "power.package.watts", hr ? hr->pkg_watts : NAN);
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
		walk_dom(&k, d, rt ? hv_rates_dom(rt, i) : NULL, c->host_pct);
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
		walk_dom(&k, k.d, rt ? hv_rates_dom(rt, i) : NULL, c->host_pct);
	}
	return fflush(f) ? -1 : 0;
}
