/* SPDX-License-Identifier: MIT */
/* RRD history: one file per domain holding all of its data sources plus one
 * for the host, each written once per step by a writer thread (never on the
 * request path). Values are rates that libhv computes between the snapshot
 * of the previous step and the current one, so a step's figure is the true
 * average over the step, not one 1 s sample. Archives: AVERAGE and MAX at
 * 10 s for 3 h, 1 min for 1 d, 5 min for 7 d and 1 h for 1 y.
 *
 * librrd's parsetime (used by rrd_graph) is not thread-safe: graphs are
 * serialised behind one mutex. create/update/fetch use the _r calls. */
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <rrd.h>
#include <rrd_client.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "hv/rates.h"
#include "web.h"

struct web_rrd {
	char dir[512];
	unsigned step;
	char cached[256];
	hv_collector *col;
	pthread_t thr;
	int started;
	pthread_mutex_t mu; /* stop flag + graph serialisation */
	pthread_cond_t cv;
	int stop;
	pthread_mutex_t graph_mu;
	pthread_mutex_t client_mu; /* legacy rrdc_* share one client */
	time_t last_host;
	/* Files created or updated, and those that failed (disk full,
	 * rrdcached down): /metrics shows both, the user keeps the rest. */
	atomic_ullong updates, errors;
};

static const char *const dom_ds[] = {"cpu_pct",    "steal_pct",  "mem_bytes",
                                     "net_rx_Bps", "net_tx_Bps", "blk_rd_Bps",
                                     "blk_wr_Bps", "watts"};
static const char *const host_ds[] = {"busy_pct", "power_watts",
                                      "mem_free_bytes", "domains"};
#define NDOM_DS (sizeof(dom_ds) / sizeof(dom_ds[0]))
#define NHOST_DS (sizeof(host_ds) / sizeof(host_ds[0]))

const char *web_rrd_dir(const web_rrd *r)
{
	return r->dir;
}

void web_rrd_dom_file(const hv_dom *d, char *buf, size_t len)
{
	const char *src = d->uuid[0] ? d->uuid : d->name;
	size_t n = 0;
	n += (size_t)snprintf(buf, len, "dom-");
	for (const char *p = src; *p && n + 5 < len; p++) {
		char ch = *p;
		int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
		         (ch >= '0' && ch <= '9') || ch == '-' || ch == '_';
		buf[n++] = ok ? ch : '_';
	}
	snprintf(buf + n, len - n, ".rrd");
}

/* librrd keeps its error text in a per-thread context it mallocs on first
 * use and dereferences unchecked: out of memory (ulimit -v) that is a
 * crash inside rrd_clear_error. Get the context first, checked, so a
 * thread without one fails cleanly instead. */
static int rrd_ready(hv_err *err)
{
	if (rrd_get_context())
		return 0;
	return hv_err_set(err, ENOMEM, "librrd: out of memory");
}

static int rrd_fail(hv_err *err, const char *what, const char *file)
{
	const char *m = rrd_get_error();
	hv_err_set(err, EIO, "%s %s: %s", what, file, m && *m ? m : "failed");
	rrd_clear_error();
	return -EIO;
}

static int ensure_file(web_rrd *r, const char *path, const char *const *ds,
                       size_t nds, time_t start, hv_err *err)
{
	struct stat st;
	if (stat(path, &st) == 0)
		return 0;
	/* 10 s / 3 h, 1 min / 1 d, 5 min / 7 d, 1 h / 1 y (or the nearest
	 * multiple of the step). */
	static const unsigned res[] = {10, 60, 300, 3600};
	static const unsigned span[] = {3 * 3600, 86400, 7 * 86400,
	                                365 * 86400};
	char dsbuf[NDOM_DS][64];
	char rrabuf[8][64];
	const char *argv[NDOM_DS + 8];
	int argc = 0;
	for (size_t i = 0; i < nds; i++) {
		snprintf(dsbuf[i], sizeof(dsbuf[i]), "DS:%s:GAUGE:%u:U:U",
		         ds[i], r->step * 2);
		argv[argc++] = dsbuf[i];
	}
	for (int k = 0; k < 4; k++) {
		unsigned pdp = res[k] / r->step ? res[k] / r->step : 1;
		unsigned rows = span[k] / (pdp * r->step);
		snprintf(rrabuf[2 * k], 64, "RRA:AVERAGE:0.5:%u:%u", pdp, rows);
		snprintf(rrabuf[2 * k + 1], 64, "RRA:MAX:0.5:%u:%u", pdp, rows);
		argv[argc++] = rrabuf[2 * k];
		argv[argc++] = rrabuf[2 * k + 1];
	}
	/* Create under a temporary name and rename: a reader never sees a
	 * half-written file. */
	char tmp[600];
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	rrd_clear_error();
	if (rrd_create_r(tmp, r->step, start - 1, argc, argv) != 0) {
		unlink(tmp); /* a half-written file (disk full) */
		return rrd_fail(err, "create", path);
	}
	if (rename(tmp, path) != 0) {
		unlink(tmp);
		return hv_err_set(err, errno, "rename %s: %s", path,
		                  strerror(errno));
	}
	return 0;
}

static int update(web_rrd *r, const char *path, time_t t, const double *v,
                  size_t n, hv_err *err)
{
	char line[512];
	size_t off = (size_t)snprintf(line, sizeof(line), "%lld", (long long)t);
	for (size_t i = 0; i < n && off < sizeof(line) - 32; i++) {
		if (isfinite(v[i]))
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			                        ":%.6g", v[i]);
		else
			off += (size_t)snprintf(line + off, sizeof(line) - off,
			                        ":U");
	}
	const char *argv[1] = {line};
	rrd_clear_error();
	if (r->cached[0]) {
		/* Reconnect after rrdcached restarted: a failed request drops
		 * the connection, the next step connects again, so the gap
		 * is only the downtime. */
		pthread_mutex_lock(&r->client_mu);
		int rc = rrdc_connect(r->cached);
		if (rc == 0)
			rc = rrdc_update(path, 1, argv);
		if (rc != 0)
			rrdc_disconnect();
		pthread_mutex_unlock(&r->client_mu);
		if (rc != 0)
			return rrd_fail(err, "rrdcached update", path);
		return 0;
	}
	if (rrd_update_r(path, NULL, 1, argv) != 0)
		return rrd_fail(err, "update", path);
	return 0;
}

/* One file's step: create it if new, update it; counted either way. */
static int write_file(web_rrd *r, const char *path, const char *const *ds,
                      size_t nds, time_t t, const double *v, hv_err *err)
{
	int rc = ensure_file(r, path, ds, nds, t, err);
	if (!rc)
		rc = update(r, path, t, v, nds, err);
	atomic_fetch_add(rc ? &r->errors : &r->updates, 1);
	return rc;
}

void web_rrd_counts(web_rrd *r, uint64_t *updates, uint64_t *errors)
{
	*updates = atomic_load(&r->updates);
	*errors = atomic_load(&r->errors);
}

int web_rrd_write(web_rrd *r, const hv_snap *prev, const hv_snap *cur,
                  hv_err *err)
{
	char path[1024], name[128];
	int rc = rrd_ready(err);
	if (rc) {
		atomic_fetch_add(&r->errors, 1);
		return rc;
	}
	hv_rates *rt = hv_rates_compute(prev, cur, err);
	if (!rt)
		return -ENOMEM;
	time_t t = (time_t)(hv_snap_wall_ns(cur) / 1000000000);
	if (t <= r->last_host)
		goto out; /* RRD refuses updates that do not move forward */
	const hv_host_rate *hr = hv_rates_host(rt);
	const hv_host *h = hv_snap_host(cur);
	double hv[NHOST_DS] = {
	    hr ? hr->busy_pct : NAN, hr ? hr->host_watts : NAN,
	    hv_ok(h->mem_free_kib) ? h->mem_free_kib.v * 1024.0 : NAN,
	    (double)hv_snap_ndom(cur)};
	snprintf(path, sizeof(path), "%s/host.rrd", r->dir);
	/* The step is spent even when the host file fails, so the domains
	 * still get theirs and a later retry does not go backwards. */
	r->last_host = t;
	rc = write_file(r, path, host_ds, NHOST_DS, t, hv, err);
	size_t n = hv_snap_ndom(cur);
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(cur, i);
		const hv_dom_rate *dr = hv_rates_dom(rt, i);
		double v[NDOM_DS] = {dr ? dr->cpu_pct : NAN,
		                     dr ? dr->steal_pct : NAN,
		                     hv_ok(d->mem_kib) ? d->mem_kib.v * 1024.0
		                                       : NAN,
		                     dr ? dr->net_rx_Bps : NAN,
		                     dr ? dr->net_tx_Bps : NAN,
		                     dr ? dr->blk_rd_Bps : NAN,
		                     dr ? dr->blk_wr_Bps : NAN,
		                     dr ? dr->watts : NAN};
		web_rrd_dom_file(d, name, sizeof(name));
		snprintf(path, sizeof(path), "%s/%s", r->dir, name);
		/* One domain's failure does not stop the others. */
		hv_err e2 = {0};
		write_file(r, path, dom_ds, NDOM_DS, t, v, &e2);
		if (e2.code && !rc) {
			*err = e2;
			rc = -e2.code;
		}
	}
out:
	hv_rates_free(rt);
	return rc;
}

static void *writer(void *arg)
{
	web_rrd *r = arg;
	hv_snap *prev = hv_collector_latest(r->col);
	pthread_mutex_lock(&r->mu);
	while (!r->stop) {
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		/* Wake on step boundaries of wall time. */
		ts.tv_sec = (ts.tv_sec / r->step + 1) * r->step;
		ts.tv_nsec = 200000000;
		while (!r->stop &&
		       pthread_cond_timedwait(&r->cv, &r->mu, &ts) != ETIMEDOUT)
			;
		if (r->stop)
			break;
		pthread_mutex_unlock(&r->mu);
		hv_snap *cur = hv_collector_latest(r->col);
		if (cur && prev && hv_snap_seq(cur) != hv_snap_seq(prev)) {
			hv_err err = {0};
			if (web_rrd_write(r, prev, cur, &err))
				fprintf(stderr, "hv-webd: rrd: %s\n", err.msg);
		}
		if (cur) {
			hv_snap_unref(prev);
			prev = cur;
		}
		pthread_mutex_lock(&r->mu);
	}
	pthread_mutex_unlock(&r->mu);
	hv_snap_unref(prev);
	return NULL;
}

int web_rrd_open(const web_config *c, hv_collector *col, web_rrd **out,
                 hv_err *err)
{
	if (strchr(c->rrd_dir, ':'))
		return hv_err_set(err, EINVAL, "rrd_dir must not contain ':'");
	if (mkdir(c->rrd_dir, 0750) != 0 && errno != EEXIST)
		return hv_err_set(err, errno, "rrd_dir %s: %s", c->rrd_dir,
		                  strerror(errno));
	web_rrd *r = calloc(1, sizeof(*r));
	if (!r)
		return hv_err_set(err, ENOMEM, "out of memory");
	snprintf(r->dir, sizeof(r->dir), "%s", c->rrd_dir);
	snprintf(r->cached, sizeof(r->cached), "%s", c->rrdcached);
	r->step = c->rrd_step ? c->rrd_step : 10;
	r->col = col;
	pthread_mutex_init(&r->mu, NULL);
	pthread_mutex_init(&r->graph_mu, NULL);
	pthread_mutex_init(&r->client_mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	if (r->cached[0] && rrdc_connect(r->cached) != 0) {
		int rc = rrd_fail(err, "connect to rrdcached", r->cached);
		web_rrd_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int web_rrd_start(web_rrd *r, hv_err *err)
{
	int e = pthread_create(&r->thr, NULL, writer, r);
	if (e)
		return hv_err_set(err, e, "rrd writer thread: %s", strerror(e));
	r->started = 1;
	return 0;
}

void web_rrd_close(web_rrd *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stop = 1;
		pthread_cond_signal(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thr, NULL);
	}
	if (r->cached[0])
		rrdc_disconnect();
	pthread_mutex_destroy(&r->mu);
	pthread_mutex_destroy(&r->graph_mu);
	pthread_mutex_destroy(&r->client_mu);
	pthread_cond_destroy(&r->cv);
	free(r);
}

static int resolve(web_rrd *r, const hv_snap *s, const char *id, char *path,
                   size_t len, hv_err *err)
{
	if (!id) {
		snprintf(path, len, "%s/host.rrd", r->dir);
	} else {
		const hv_dom *d = web_find_dom(s, id);
		char name[128];
		if (d) {
			web_rrd_dom_file(d, name, sizeof(name));
		} else {
			/* A domain gone from the live view: look the file up
			 * by its sanitised uuid or name. */
			hv_dom tmp;
			memset(&tmp, 0, sizeof(tmp));
			snprintf(tmp.name, sizeof(tmp.name), "%s", id);
			web_rrd_dom_file(&tmp, name, sizeof(name));
		}
		snprintf(path, len, "%s/%s", r->dir, name);
	}
	struct stat st;
	if (stat(path, &st) != 0)
		return hv_err_set(err, ENOENT, "no history for '%s' yet",
		                  id ? id : "host");
	if (r->cached[0]) {
		pthread_mutex_lock(&r->client_mu);
		rrdc_flush(path); /* rrd_fetch_r reads the file directly */
		pthread_mutex_unlock(&r->client_mu);
	}
	return 0;
}

int web_rrd_fetch_json(web_rrd *r, const hv_snap *s, const char *id,
                       double range_s, const char *cf, web_buf *o, hv_err *err)
{
	char path[1024];
	int rc = rrd_ready(err);
	if (!rc)
		rc = resolve(r, s, id, path, sizeof(path), err);
	if (rc)
		return rc;
	time_t end = time(NULL), start = end - (time_t)range_s;
	/* Ask for ~600 points; librrd picks the archive that fits. */
	unsigned long step = (unsigned long)(range_s / 600);
	if (step < r->step)
		step = r->step;
	unsigned long ds_cnt = 0;
	char **ds_names = NULL;
	rrd_value_t *data = NULL;
	rrd_clear_error();
	if (rrd_fetch_r(path, cf, &start, &end, &step, &ds_cnt, &ds_names,
	                &data) != 0)
		return rrd_fail(err, "fetch", path);
	size_t rows = step ? (size_t)((end - start) / (time_t)step) : 0;
	web_buf_printf(o,
	               "{\"schema\":%d,\"source\":\"rrd\",\"cf\":\"%s\","
	               "\"step\":%lu,\"t\":[",
	               WEB_SCHEMA, cf, step);
	for (size_t i = 0; i < rows; i++) {
		if (i)
			web_buf_putc(o, ',');
		web_buf_u64(o, (uint64_t)start + (i + 1) * step);
	}
	web_buf_puts(o, "],\"series\":{");
	for (unsigned long k = 0; k < ds_cnt; k++) {
		web_buf_puts(o, k ? "," : "");
		web_buf_json_str(o, ds_names[k]);
		web_buf_puts(o, ":[");
		for (size_t i = 0; i < rows; i++) {
			if (i)
				web_buf_putc(o, ',');
			web_buf_json_num(o, data[i * ds_cnt + k]);
		}
		web_buf_putc(o, ']');
	}
	web_buf_puts(o, "}}");
	for (unsigned long k = 0; k < ds_cnt; k++)
		rrd_freemem(ds_names[k]);
	rrd_freemem(ds_names);
	rrd_freemem(data);
	return 0;
}

int web_rrd_graph(web_rrd *r, const hv_snap *s, const char *id,
                  const char *what, double range_s, bool svg,
                  unsigned char **img, size_t *len, hv_err *err)
{
	char path[1024];
	struct {
		const char *what;
		const char *ds[2];
		const char *label;
	} const dg[] =
	    {
	        {"cpu", {"cpu_pct", "steal_pct"}, "percent of one CPU"},
	        {"net", {"net_rx_Bps", "net_tx_Bps"}, "bytes/s"},
	        {"blk", {"blk_rd_Bps", "blk_wr_Bps"}, "bytes/s"},
	        {"mem", {"mem_bytes", NULL}, "bytes"},
	        {"power", {"watts", NULL}, "watts"},
	    },
	        hg[] = {
	            {"cpu", {"busy_pct", NULL}, "percent busy"},
	            {"power", {"power_watts", NULL}, "watts"},
	            {"mem", {"mem_free_bytes", NULL}, "bytes free"},
	            {"domains", {"domains", NULL}, "domains"},
	        };
	const char *const *ds = NULL;
	const char *label = NULL;
	size_t ng =
	    id ? sizeof(dg) / sizeof(dg[0]) : sizeof(hg) / sizeof(hg[0]);
	for (size_t i = 0; i < ng; i++) {
		if (!strcmp(what, id ? dg[i].what : hg[i].what)) {
			ds = id ? dg[i].ds : hg[i].ds;
			label = id ? dg[i].label : hg[i].label;
		}
	}
	if (!ds)
		return hv_err_set(err, EINVAL, "what: unknown graph '%s'",
		                  what);
	int rc = rrd_ready(err);
	if (!rc)
		rc = resolve(r, s, id, path, sizeof(path), err);
	if (rc)
		return rc;
	char start[32], title[160], def[2][1100], line[2][96];
	snprintf(start, sizeof(start), "-%lld", (long long)range_s);
	snprintf(title, sizeof(title), "%s %s", id ? id : "host", what);
	for (char *p = title; *p;
	     p++) /* rrd_graph treats ':' and '\' specially */
		if (*p == ':' || *p == '\\')
			*p = '_';
	const char *argv[32] = {"graph",
	                        "-",
	                        "--imgformat",
	                        svg ? "SVG" : "PNG",
	                        "--start",
	                        start,
	                        "--end",
	                        "now",
	                        "--width",
	                        "640",
	                        "--height",
	                        "200",
	                        "--title",
	                        title,
	                        "--vertical-label",
	                        label,
	                        "--lower-limit",
	                        "0"};
	int argc = 18;
	static const char *const colors[] = {"#3b82f6", "#ef4444"};
	for (int k = 0; k < 2 && ds[k]; k++) {
		snprintf(def[k], sizeof(def[k]), "DEF:v%d=%s:%s:AVERAGE", k,
		         path, ds[k]);
		snprintf(line[k], sizeof(line[k]), "LINE1:v%d%s:%s", k,
		         colors[k], ds[k]);
		argv[argc++] = def[k];
		argv[argc++] = line[k];
	}
	pthread_mutex_lock(&r->graph_mu);
	rrd_clear_error();
	rrd_info_t *info = rrd_graph_v(argc, (char **)argv);
	if (!info) {
		rc = rrd_fail(err, "graph", path);
	} else {
		rc = hv_err_set(err, EIO, "graph %s: no image", path);
		for (rrd_info_t *i = info; i; i = i->next) {
			if (!strcmp(i->key, "image") && i->type == RD_I_BLO) {
				*img = malloc(i->value.u_blo.size);
				if (*img) {
					memcpy(*img, i->value.u_blo.ptr,
					       i->value.u_blo.size);
					*len = i->value.u_blo.size;
					rc = 0;
					hv_err_clear(err);
				}
			}
		}
		rrd_info_free(info);
	}
	pthread_mutex_unlock(&r->graph_mu);
	return rc;
}
