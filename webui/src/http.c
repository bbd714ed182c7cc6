/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd, one thread per connection behind a
 * connection cap, a per-IP cap and an idle timeout. Requests are dispatched
 * by one route table {method, path, auth, handler}, which also gives the
 * endpoint list of /api/v1. Every answer comes from the collector's latest
 * snapshot (hv_collector_latest never blocks on the backend). The event
 * stream is in sse.c, the CSRF token and knob changes in control.c. Static
 * files come only from the embedded table: no path ever reaches the
 * filesystem. */
#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "http_int.h"
#include "hv/rundir.h"
#include "hv/version.h"

#define MAX_BODY 4096

shared *web_shared_new(web_buf *b, uint64_t tag)
{
	shared *s = malloc(sizeof(*s) + b->len + 1);
	if (!s)
		return NULL;
	atomic_init(&s->ref, 1);
	s->tag = tag;
	s->len = b->len;
	memcpy(s->data, b->p ? b->p : "", b->len);
	s->data[b->len] = '\0';
	return s;
}

void web_shared_unref(shared *s)
{
	if (s && atomic_fetch_sub(&s->ref, 1) == 1)
		free(s);
}

void web_shared_free_cb(void *p)
{
	web_shared_unref((shared *)((char *)p - offsetof(shared, data)));
}

void web_common_headers(struct MHD_Response *r, const char *ctype)
{
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
	MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(r, "X-Frame-Options", "DENY");
	MHD_add_response_header(r, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(
	    r, "Content-Security-Policy",
	    "default-src 'self'; img-src 'self' data:; style-src 'self' "
	    "'unsafe-inline'; connect-src 'self'; frame-ancestors 'none'");
}

enum MHD_Result web_send_buf(struct MHD_Connection *c, unsigned status,
                             const char *ctype, web_buf *b, const char *cache)
{
	size_t len = 0;
	if (b->oom) {
		web_buf_free(b);
		return MHD_NO;
	}
	char *p = web_buf_steal(b, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, p ? p : (char *)"",
	    p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	web_common_headers(r, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        cache ? cache : "no-store");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result web_send_json(struct MHD_Connection *c, unsigned status,
                              web_buf *b)
{
	return web_send_buf(c, status, "application/json; charset=utf-8", b,
	                    NULL);
}

enum MHD_Result web_send_err_hdr(struct MHD_Connection *c, unsigned status,
                                 const char *msg, const char *hname,
                                 const char *hval)
{
	web_buf b;
	web_buf_init(&b);
	web_json_error(&b, (int)status, msg);
	size_t len = 0;
	char *p = web_buf_steal(&b, &len);
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    len, p ? p : (char *)"",
	    p ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	web_common_headers(r, "application/json; charset=utf-8");
	MHD_add_response_header(r, hname, hval);
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

enum MHD_Result web_send_err(struct MHD_Connection *c, unsigned status,
                             const char *msg)
{
	web_buf b;
	web_buf_init(&b);
	web_json_error(&b, (int)status, msg);
	return web_send_json(c, status, &b);
}

const char *web_hdr(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static const char *arg(struct MHD_Connection *c, const char *name)
{
	return MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, name);
}

/* ---- /metrics ---- */
static int64_t mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

/* The exposition of the latest snapshot in format fmt, referenced; rendered
 * once per snapshot (and per collector failure) and shared. */
/* gzip of a rendered exposition (level 1: ~30 ms and 16x smaller for
 * 1,000 domains), NULL on failure. */
static shared *gzip_of(const shared *in)
{
	z_stream z;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
	    Z_OK)
		return NULL;
	size_t cap = deflateBound(&z, in->len);
	shared *out = malloc(sizeof(*out) + cap + 1);
	if (!out) {
		deflateEnd(&z);
		return NULL;
	}
	z.next_in = (Bytef *)in->data;
	z.avail_in = (uInt)in->len;
	z.next_out = (Bytef *)out->data;
	z.avail_out = (uInt)cap;
	int r = deflate(&z, Z_FINISH);
	out->len = z.total_out;
	deflateEnd(&z);
	if (r != Z_STREAM_END) {
		free(out);
		return NULL;
	}
	atomic_init(&out->ref, 1);
	out->tag = in->tag;
	return out;
}

/* The exposition of the latest snapshot (idx = format + 2 when gzipped),
 * referenced; rendered once per snapshot (and per collector failure) and
 * shared between concurrent scrapes. */
static shared *prom_get(web_server *sv, int idx)
{
	enum web_prom_fmt fmt = (enum web_prom_fmt)(idx & 1);
	hv_collector_stats st;
	hv_collector_stats_get(sv->col, &st);
	hv_snap *s = hv_collector_latest(sv->col);
	/* A new sample or a new failure changes the tag. */
	uint64_t tag = (s ? hv_snap_seq(s) : 0) * 1000003u + st.failures;
	shared *out = NULL;

	pthread_mutex_lock(&sv->mu);
	/* Someone (the pre-renderer) is rendering this very snapshot: wait
	 * for it instead of rendering it twice. */
	while (sv->rendering[idx] == tag &&
	       !(sv->prom[idx] && sv->prom[idx]->tag == tag))
		pthread_cond_wait(&sv->rendered, &sv->mu);
	if (sv->prom[idx] && sv->prom[idx]->tag == tag) {
		out = sv->prom[idx];
		atomic_fetch_add(&out->ref, 1);
	} else {
		sv->rendering[idx] = tag;
	}
	pthread_mutex_unlock(&sv->mu);
	if (!out) {
		if (idx >= 2) {
			shared *plain = prom_get(sv, fmt);
			out = plain ? gzip_of(plain) : NULL;
			web_shared_unref(plain);
		} else {
			web_buf b;
			web_buf_init(&b);
			web_powerd_info pd;
			web_config cfg;
			web_server_cfg(sv, &cfg);
			web_powerd_read(sv->rundir, &pd);
			web_prom_extra x = {.st = &st,
			                    .power_budget_w =
			                        cfg.power_budget_w,
			                    .powerd_running = pd.running,
			                    .pd = &pd,
			                    .rrd = sv->rrd != NULL};
			if (sv->rrd)
				web_rrd_counts(sv->rrd, &x.rrd_updates,
				               &x.rrd_write_errors);
			web_prom_render(s, &x, fmt, &b);
			out = b.oom ? NULL : web_shared_new(&b, tag);
			web_buf_free(&b);
		}
		pthread_mutex_lock(&sv->mu);
		if (out) {
			web_shared_unref(sv->prom[idx]);
			sv->prom[idx] = out;
			atomic_fetch_add(&out->ref, 1); /* cache + caller */
		}
		if (sv->rendering[idx] == tag)
			sv->rendering[idx] = 0;
		pthread_cond_broadcast(&sv->rendered);
		pthread_mutex_unlock(&sv->mu);
	}
	hv_snap_unref(s);
	return out;
}

static int accepts_gzip(struct MHD_Connection *c)
{
	const char *ae = web_hdr(c, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g = ae ? strstr(ae, "gzip") : NULL;
	if (!g)
		return 0;
	const char *q = strstr(g, "q=");
	const char *comma = strchr(g, ',');
	return !(q && (!comma || q < comma) && strtod(q + 2, NULL) <= 0);
}

static enum MHD_Result h_metrics(web_server *sv, struct MHD_Connection *c,
                                 const char *rest, req *rq)
{
	(void)rest;
	(void)rq;
	enum web_prom_fmt fmt = web_prom_negotiate(web_hdr(c, "Accept"));
	int idx = (int)fmt + (accepts_gzip(c) ? 2 : 0);
	atomic_store(&sv->last_scrape[idx], mono_s());
	shared *out = prom_get(sv, idx);
	if (!out)
		return web_send_err(c, 500, "out of memory");
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(
	        out->len, out->data, web_shared_free_cb);
	if (!r) {
		web_shared_unref(out);
		return MHD_NO;
	}
	web_common_headers(r, web_prom_ctype(fmt));
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
	                        "Accept, Accept-Encoding");
	if (idx >= 2)
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING,
		                        "gzip");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Follows the collector: each new snapshot goes into the compact history,
 * and while someone scrapes (a scrape in the last 2 minutes) its
 * exposition is rendered at once, so a scrape only copies bytes: rendering
 * 1,000 domains costs ~10 ms, once per sample instead of per scrape. */
static void *follower(void *arg)
{
	web_server *sv = arg;
	uint64_t seq = 0;
	while (!atomic_load(&sv->stopping)) {
		hv_snap *s = hv_collector_wait(sv->col, seq, 500);
		if (!s)
			continue;
		seq = hv_snap_seq(s);
		web_hist_add(sv->hist, s);
		hv_snap_unref(s);
		for (int i = 0; i < 4; i++) {
			int64_t last = atomic_load(&sv->last_scrape[i]);
			if (last && mono_s() - last < 120)
				web_shared_unref(prom_get(sv, i));
		}
	}
	return NULL;
}

/* ---- history ---- */
static double range_arg(struct MHD_Connection *c, double dflt)
{
	const char *r = arg(c, "range");
	if (!r)
		return dflt;
	char *end = NULL;
	double v = strtod(r, &end);
	if (!end || end == r)
		return -1;
	if (*end == 'm')
		v *= 60, end++;
	else if (*end == 'h')
		v *= 3600, end++;
	else if (*end == 'd')
		v *= 86400, end++;
	else if (*end == 's')
		end++;
	if (*end || !(v > 0 && v <= 400 * 86400.0))
		return -1;
	return v;
}

static enum MHD_Result h_history(web_server *sv, struct MHD_Connection *c,
                                 const char *rest, req *rq)
{
	(void)rest;
	(void)rq;
	const char *id = arg(c, "id");
	const char *src = arg(c, "source");
	double range = range_arg(c, 600);
	web_buf b;
	hv_err err = {0};
	int rc;
	if (range < 0)
		return web_send_err(
		    c, 400,
		    "range: seconds, or a number with s/m/h/d, up to 400d");
	if (id && !*id)
		id = NULL;
	double ring_span = hv_collector_period(sv->col) * sv->cfg->ring;
	web_buf_init(&b);
	if ((src && !strcmp(src, "rrd")) || (!src && range > ring_span + 1)) {
		if (!sv->rrd) {
			web_buf_free(&b);
			return web_send_err(
			    c, 404, "no RRD history configured (rrd_dir)");
		}
		const char *cf = arg(c, "cf");
		if (cf && strcmp(cf, "AVERAGE") && strcmp(cf, "MAX")) {
			web_buf_free(&b);
			return web_send_err(c, 400, "cf: AVERAGE or MAX");
		}
		hv_snap *s = hv_collector_latest(sv->col);
		rc = web_rrd_fetch_json(sv->rrd, s, id, range,
		                        cf ? cf : "AVERAGE", &b, &err);
		hv_snap_unref(s);
	} else {
		hv_snap *s = hv_collector_latest(sv->col);
		rc = web_hist_json(sv->hist, s, id, range, &b, &err);
		hv_snap_unref(s);
	}
	if (rc) {
		web_buf_free(&b);
		return web_send_err(c, rc == -ENOENT ? 404 : 500, err.msg);
	}
	return web_send_json(c, 200, &b);
}

/* The overview's first paint: heatmaps and sparklines from the ring. */
static enum MHD_Result h_hist_overview(web_server *sv, struct MHD_Connection *c,
                                       const char *rest, req *rq)
{
	web_buf b;
	(void)rest;
	(void)rq;
	double range = range_arg(c, 120);
	const char *sp = arg(c, "spark");
	long nspark = sp ? strtol(sp, NULL, 10) : 60;
	if (range < 0 || nspark < 0 || nspark > 100000)
		return web_send_err(c, 400,
		                    "range: seconds (s/m/h/d); spark: "
		                    "samples");
	web_buf_init(&b);
	web_hist_overview_json(sv->hist, range, (size_t)nspark, &b);
	return web_send_json(c, 200, &b);
}

static enum MHD_Result h_graph(web_server *sv, struct MHD_Connection *c,
                               const char *rest, req *rq)
{
	(void)rest;
	(void)rq;
	const char *id = arg(c, "id");
	const char *what = arg(c, "what");
	const char *fmt = arg(c, "format");
	double range = range_arg(c, 3 * 3600);
	if (!sv->rrd)
		return web_send_err(c, 404,
		                    "no RRD history configured (rrd_dir)");
	if (range < 0)
		return web_send_err(c, 400, "bad range");
	bool svg = fmt && !strcmp(fmt, "svg");
	if (fmt && !svg && strcmp(fmt, "png"))
		return web_send_err(c, 400, "format: png or svg");
	unsigned char *img = NULL;
	size_t len = 0;
	hv_err err = {0};
	hv_snap *s = hv_collector_latest(sv->col);
	int rc =
	    web_rrd_graph(sv->rrd, s, id && *id ? id : NULL,
	                  what ? what : "cpu", range, svg, &img, &len, &err);
	hv_snap_unref(s);
	if (rc)
		return web_send_err(c,
		                    rc == -ENOENT   ? 404
		                    : rc == -EINVAL ? 400
		                                    : 500,
		                    err.msg);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, img, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(img);
		return MHD_NO;
	}
	web_common_headers(r, svg ? "image/svg+xml" : "image/png");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- read-only API ---- */
static enum MHD_Result h_config(web_server *sv, struct MHD_Connection *c,
                                const char *rest, req *rq)
{
	web_buf b;
	web_config cfg;
	(void)rest;
	(void)rq;
	web_server_cfg(sv, &cfg);
	web_buf_init(&b);
	web_buf_printf(&b,
	               "{\"schema\":%d,\"theme\":\"%s\",\"control\":%s,"
	               "\"rrd\":%s,\"period_s\":",
	               WEB_SCHEMA, cfg.theme, cfg.control ? "true" : "false",
	               sv->rrd ? "true" : "false");
	web_buf_json_num(&b, hv_collector_period(sv->col));
	web_buf_puts(&b, ",\"ring_s\":");
	web_buf_json_num(&b, hv_collector_period(sv->col) * sv->cfg->ring);
	web_buf_puts(&b, ",\"power_budget_watts\":");
	web_buf_json_num(&b, cfg.power_budget_w > 0 ? cfg.power_budget_w : NAN);
	web_buf_puts(&b, web_asset_find("/uPlot.iife.min.js")
	                     ? ",\"uplot\":true"
	                     : ",\"uplot\":false");
	web_buf_puts(&b, ",\"version\":\"" HV_VERSION "\"}");
	return web_send_json(c, 200, &b);
}

static enum MHD_Result h_powerd(web_server *sv, struct MHD_Connection *c,
                                const char *rest, req *rq)
{
	web_buf b;
	(void)rest;
	(void)rq;
	web_buf_init(&b);
	web_powerd_json(sv->rundir, 200, &b);
	return web_send_json(c, 200, &b);
}

/* The snapshot answers: host, domains, one domain, pCPUs. */
enum snap_what { SNAP_HOST, SNAP_DOMAINS, SNAP_DOMAIN, SNAP_PCPUS };

static enum MHD_Result snap_answer(web_server *sv, struct MHD_Connection *c,
                                   enum snap_what what, const char *id)
{
	web_buf b;
	hv_err err = {0};
	hv_collector_stats st;
	hv_snap *s = hv_collector_latest(sv->col);
	if (!s)
		return web_send_err(c, 503, "no sample yet");
	web_buf_init(&b);
	int rc = 0;
	switch (what) {
	case SNAP_HOST:
		hv_collector_stats_get(sv->col, &st);
		web_json_host(s, &st, &b);
		break;
	case SNAP_DOMAINS:
		web_json_domains(s, &b);
		break;
	case SNAP_DOMAIN:
		rc = web_json_domain(s, id, &b, &err);
		break;
	case SNAP_PCPUS:
		web_json_pcpus(s, &b);
		break;
	}
	hv_snap_unref(s);
	if (rc) {
		web_buf_free(&b);
		return web_send_err(c, 404, err.msg);
	}
	return web_send_json(c, 200, &b);
}

/* Which snapshot answer: the route's arg (rq->arg). */
static enum MHD_Result h_snap(web_server *sv, struct MHD_Connection *c,
                              const char *rest, req *rq)
{
	return snap_answer(sv, c, (enum snap_what)rq->arg, rest);
}

static enum MHD_Result h_healthz(web_server *sv, struct MHD_Connection *c,
                                 const char *rest, req *rq)
{
	web_buf b;
	(void)sv;
	(void)rest;
	(void)rq;
	web_buf_init(&b);
	web_buf_puts(&b, "ok\n");
	return web_send_buf(c, 200, "text/plain; charset=utf-8", &b, NULL);
}

static enum MHD_Result h_index(web_server *sv, struct MHD_Connection *c,
                               const char *rest, req *rq);

/* ---- the route table ---- */
typedef struct route {
	const char *method; /* "GET" (HEAD too) or "POST" */
	/* Exact path, or a prefix ending in "{...}" that matches any
	 * non-empty rest (handed to the handler). */
	const char *path;
	enum web_auth auth;
	int arg; /* handed to fn as rq->arg */
	web_handler fn;
} route;

/* /api/v1 lists its own routes in this order. */
static const route routes[] = {
    {"GET", "/api/v1/host", WEB_AUTH_NONE, SNAP_HOST, h_snap},
    {"GET", "/api/v1/domains", WEB_AUTH_NONE, SNAP_DOMAINS, h_snap},
    {"GET", "/api/v1/domains/{key|uuid|name}", WEB_AUTH_NONE, SNAP_DOMAIN,
     h_snap},
    {"GET", "/api/v1/pcpus", WEB_AUTH_NONE, SNAP_PCPUS, h_snap},
    {"GET", "/api/v1/history", WEB_AUTH_NONE, 0, h_history},
    {"GET", "/api/v1/history/overview", WEB_AUTH_NONE, 0, h_hist_overview},
    {"GET", "/api/v1/graph", WEB_AUTH_NONE, 0, h_graph},
    {"GET", "/api/v1/powerd", WEB_AUTH_NONE, 0, h_powerd},
    {"GET", "/api/v1/events", WEB_AUTH_NONE, 0, web_h_events},
    {"GET", "/api/v1/config", WEB_AUTH_NONE, 0, h_config},
    {"GET", "/api/v1/csrf", WEB_AUTH_USER, 0, web_h_csrf},
    {"POST", "/api/v1/control", WEB_AUTH_CSRF, 0, web_h_control},
    {"GET", "/api/v1", WEB_AUTH_NONE, 0, h_index},
    {"GET", "/api/v1/", WEB_AUTH_NONE, 0, h_index},
    {"GET", "/metrics", WEB_AUTH_NONE, 0, h_metrics},
    {"GET", "/healthz", WEB_AUTH_NONE, 0, h_healthz},
};
#define NROUTES (sizeof(routes) / sizeof(routes[0]))
#define API "/api/v1/"

/* The endpoint list: every /api/v1/ route, from the table. */
static enum MHD_Result h_index(web_server *sv, struct MHD_Connection *c,
                               const char *rest, req *rq)
{
	web_buf b;
	(void)sv;
	(void)rest;
	(void)rq;
	web_buf_init(&b);
	web_buf_printf(&b, "{\"schema\":%d,\"endpoints\":[", WEB_SCHEMA);
	int n = 0;
	for (size_t i = 0; i < NROUTES; i++) {
		if (strncmp(routes[i].path, API, strlen(API)) ||
		    !routes[i].path[strlen(API)])
			continue;
		web_buf_puts(&b, n++ ? ",\"" : "\"");
		web_buf_puts(&b, routes[i].path);
		web_buf_putc(&b, '"');
	}
	web_buf_puts(&b, "]}");
	return web_send_json(c, 200, &b);
}

/* The route for url, or NULL; *rest is what a "{...}" route matched. */
static const route *route_find(const char *url, const char **rest)
{
	for (size_t i = 0; i < NROUTES; i++) {
		const char *p = routes[i].path, *brace = strchr(p, '{');
		size_t n = brace ? (size_t)(brace - p) : strlen(p);
		if (strncmp(url, p, n))
			continue;
		if (brace ? url[n] != '\0' : url[n] == '\0') {
			*rest = url + n;
			return &routes[i];
		}
	}
	return NULL;
}

static enum MHD_Result wrong_method(struct MHD_Connection *c, const route *rt)
{
	char msg[32];
	snprintf(msg, sizeof(msg), "use %s", rt->method);
	return web_send_err_hdr(c, 405, msg, MHD_HTTP_HEADER_ALLOW,
	                        strcmp(rt->method, "GET") ? rt->method
	                                                  : "GET, HEAD");
}

static enum MHD_Result static_file(struct MHD_Connection *c, const char *url)
{
	const web_asset *a =
	    web_asset_find(!strcmp(url, "/") ? "/index.html" : url);
	if (!a)
		return web_send_err(c, 404, "not found");
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	web_common_headers(r, a->ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* Routes, then (GET only) the embedded files. */
static enum MHD_Result dispatch(web_server *sv, struct MHD_Connection *c,
                                const char *url, int get, req *rq)
{
	const char *rest = "";
	const route *rt = route_find(url, &rest);
	enum MHD_Result ret;
	if (rt) {
		if (get != !strcmp(rt->method, "GET"))
			return wrong_method(c, rt);
		if (web_auth_refuse(sv, c, rt->auth, &ret))
			return ret;
		rq->arg = rt->arg;
		return rt->fn(sv, c, rest, rq);
	}
	if (!strncmp(url, "/api/v1/", 8))
		return get ? web_send_err(c, 404, "unknown API path")
		           : web_send_err(c, 405, "method not allowed");
	if (!get)
		return web_send_err(c, 405, "method not allowed");
	return static_file(c, url);
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c,
                              const char *url, const char *method,
                              const char *version, const char *upload,
                              size_t *upload_size, void **con_cls)
{
	web_server *sv = cls;
	req *rq = *con_cls;
	(void)version;
	int get = !strcmp(method, MHD_HTTP_METHOD_GET) ||
	          !strcmp(method, MHD_HTTP_METHOD_HEAD);
	int post = !strcmp(method, MHD_HTTP_METHOD_POST);

	if (!rq) {
		rq = calloc(1, sizeof(*rq));
		if (!rq)
			return MHD_NO;
		web_buf_init(&rq->body);
		*con_cls = rq;
		if (!get && !post)
			return web_send_err(c, 405, "method not allowed");
		const char *cl = web_hdr(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > MAX_BODY)
			return web_send_err(c, 413, "request body too large");
		return MHD_YES;
	}
	if (*upload_size) {
		if (rq->body.len + *upload_size > MAX_BODY)
			rq->too_big = 1;
		else
			web_buf_put(&rq->body, upload, *upload_size);
		*upload_size = 0;
		return MHD_YES;
	}
	return dispatch(sv, c, url, get, rq);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
	req *rq = *con_cls;
	(void)cls;
	(void)c;
	(void)toe;
	if (rq) {
		web_buf_free(&rq->body);
		free(rq);
	}
	*con_cls = NULL;
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	fputs("hv-webd: ", stderr);
	vfprintf(stderr, fmt, ap);
}

static char *read_pem(const char *path, hv_err *err)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	if (!f) {
		hv_err_set(err, errno, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = calloc(1, 65536);
	if (buf && fread(buf, 1, 65535, f) == 0) {
		free(buf);
		buf = NULL;
		hv_err_set(err, EINVAL, "%s: empty", path);
	}
	fclose(f);
	return buf;
}

/* CSRF token, hv-powerd's run directory and the control journal. */
static int server_names(web_server *sv, const web_config *cfg, hv_err *err)
{
	unsigned char rnd[32];
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		return hv_err_set(err, EIO, "getrandom failed");
	for (size_t i = 0; i < sizeof(rnd); i++)
		snprintf(sv->csrf + 2 * i, 3, "%02x", rnd[i]);
	if (cfg->rundir[0]) {
		snprintf(sv->rundir, sizeof(sv->rundir), "%s", cfg->rundir);
	} else {
		hv_env env;
		if (hv_env_init(&env, NULL) == 0)
			snprintf(sv->rundir, sizeof(sv->rundir), "%s", env.run);
		else
			snprintf(sv->rundir, sizeof(sv->rundir), "%s",
			         HV_RUNDIR_DEFAULT);
	}
	if (cfg->journal[0])
		snprintf(sv->journal, sizeof(sv->journal), "%s", cfg->journal);
	else
		hv_run_path(sv->rundir, HV_RUN_WEBD_JOURNAL, sv->journal,
		            sizeof(sv->journal));
	return 0;
}

/* Key and certificate into memory when TLS is configured (*tls = 1). */
static int server_tls(web_server *sv, const web_config *cfg, int *tls,
                      hv_err *err)
{
	*tls = cfg->tls_key[0] && cfg->tls_cert[0];
	if (!*tls) {
		if (cfg->control)
			fprintf(
			    stderr,
			    "hv-webd: warning: control enabled without TLS; "
			    "credentials cross the network in clear\n");
		return 0;
	}
	if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES)
		return hv_err_set(err, ENOTSUP,
		                  "libmicrohttpd was built without TLS");
	sv->tls_key = read_pem(cfg->tls_key, err);
	sv->tls_cert = sv->tls_key ? read_pem(cfg->tls_cert, err) : NULL;
	if (!sv->tls_cert)
		return -(err && err->code ? err->code : EINVAL);
	return 0;
}

static int server_listen(web_server *sv, const web_config *cfg, hv_err *err)
{
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
	                                     AI_PASSIVE,
	                         .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char port[8];
	int tls = 0, rc = 0;
	snprintf(port, sizeof(port), "%u", cfg->port);
	int gr = getaddrinfo(cfg->listen_addr, port, &hints, &ai);
	if (gr)
		return hv_err_set(err, EINVAL, "listen address '%s': %s",
		                  cfg->listen_addr, gai_strerror(gr));
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	                 MHD_USE_POLL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	rc = server_tls(sv, cfg, &tls, err);
	if (rc)
		goto out;
	if (tls)
		flags |= MHD_USE_TLS;
	struct MHD_OptionItem tls_opts[] = {
	    {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, sv->tls_key},
	    {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sv->tls_cert},
	    {MHD_OPTION_END, 0, NULL},
	};
	errno = 0;
	sv->d = MHD_start_daemon(
	    flags, (uint16_t)cfg->port, NULL, NULL, answer, sv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, sv, MHD_OPTION_SOCK_ADDR,
	    ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    /* 1 MiB, not ulimit -s (8 MiB) of address space per connection:
	     * room for 64 connections under a `ulimit -v` cap. */
	    MHD_OPTION_THREAD_STACK_SIZE, (size_t)(1024 * 1024),
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, sv, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!sv->d) {
		/* Address in use, or out of fds, memory or threads (ulimit). */
		int e = errno ? errno : EADDRINUSE;
		rc = hv_err_set(err, e, "cannot listen on %s:%u: %s",
		                cfg->listen_addr, cfg->port, strerror(e));
		goto out;
	}
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	sv->port = di ? di->port : cfg->port;
out:
	freeaddrinfo(ai);
	return rc;
}

int web_server_start(const web_config *cfg, hv_collector *col, web_rrd *rrd,
                     web_server **out, hv_err *err)
{
	web_server *sv = calloc(1, sizeof(*sv));
	int rc = 0;

	if (!sv)
		return hv_err_set(err, ENOMEM, "out of memory");
	sv->cfg = cfg;
	sv->col = col;
	sv->rrd = rrd;
	sv->now = *cfg;
	pthread_mutex_init(&sv->live_mu, NULL);
	pthread_mutex_init(&sv->mu, NULL);
	pthread_mutex_init(&sv->knob_mu, NULL);
	pthread_cond_init(&sv->rendered, NULL);
	rc = server_names(sv, cfg, err);
	if (!rc)
		rc = web_hist_new(cfg->ring, &sv->hist, err);
	if (!rc)
		rc = server_listen(sv, cfg, err);
	if (rc)
		goto out;
	/* A process that cannot start this thread cannot start connection
	 * threads either (ulimit -v, -u): refuse now, with the reason. */
	int e = pthread_create(&sv->pre, NULL, follower, sv);
	if (e)
		rc = hv_err_set(err, e, "cannot start a thread: %s",
		                strerror(e));
	else
		sv->pre_started = 1;
out:
	if (rc) {
		web_server_stop(sv);
		return rc;
	}
	*out = sv;
	return 0;
}

void web_server_cfg(web_server *sv, web_config *out)
{
	pthread_mutex_lock(&sv->live_mu);
	*out = sv->now;
	pthread_mutex_unlock(&sv->live_mu);
}

/* 1 when every key of a and b is the same. */
static int cfg_same(const web_config *a, const web_config *b)
{
#define S(f) (strcmp(a->f, b->f) == 0)
#define N(f) (a->f == b->f)
	return S(listen_addr) && N(port) && S(backend) && N(synth_domains) &&
	       N(synth_vcpus) && S(qmp_dirs) && N(period_s) && N(ring) &&
	       S(rrd_dir) && N(rrd_step) && S(rrdcached) && N(conn_limit) &&
	       N(per_ip_limit) && N(conn_timeout_s) && S(tls_key) &&
	       S(tls_cert) && N(control) && S(auth_user) && S(auth_hash) &&
	       S(token_hash) && S(theme) && N(power_budget_w) && S(rundir) &&
	       S(journal);
#undef S
#undef N
}

/* Keys a reload applies at once; the others need a restart. */
#define LIVE_KEYS \
	"theme, control, auth_user, auth_hash, token_hash, power_budget_w"

void web_config_live_copy(web_config *dst, const web_config *src)
{
	memcpy(dst->theme, src->theme, sizeof(dst->theme));
	dst->control = src->control;
	memcpy(dst->auth_user, src->auth_user, sizeof(dst->auth_user));
	memcpy(dst->auth_hash, src->auth_hash, sizeof(dst->auth_hash));
	memcpy(dst->token_hash, src->token_hash, sizeof(dst->token_hash));
	dst->power_budget_w = src->power_budget_w;
}

int web_server_reload(web_server *sv, const web_config *c, char *restart,
                      size_t len)
{
	web_config now, next, probe = *c;
	web_server_cfg(sv, &now);
	/* The reloadable keys of c over the configuration in force; any
	 * other difference is named for the caller. */
	next = now;
	web_config_live_copy(&next, c);
	web_config_live_copy(&probe, &now);
	snprintf(restart, len, "%s",
	         cfg_same(&probe, &now) ? "" : "keys other than " LIVE_KEYS);
	pthread_mutex_lock(&sv->live_mu);
	sv->now = next;
	pthread_mutex_unlock(&sv->live_mu);
	return 0;
}

unsigned web_server_port(const web_server *s)
{
	return s->port;
}

void web_server_stop(web_server *sv)
{
	if (!sv)
		return;
	atomic_store(&sv->stopping, 1);
	if (sv->pre_started)
		pthread_join(sv->pre, NULL);
	if (sv->d)
		MHD_stop_daemon(sv->d);
	for (int i = 0; i < 4; i++)
		web_shared_unref(sv->prom[i]);
	web_shared_unref(sv->live);
	pthread_mutex_destroy(&sv->mu);
	pthread_mutex_destroy(&sv->live_mu);
	pthread_mutex_destroy(&sv->knob_mu);
	pthread_cond_destroy(&sv->rendered);
	web_hist_free(sv->hist);
	free(sv->tls_key);
	free(sv->tls_cert);
	free(sv);
}
