/* SPDX-License-Identifier: MIT */
/* The HTTP server: libmicrohttpd, one thread per connection behind a
 * connection cap, a per-IP cap and an idle timeout. Every answer comes from
 * the collector's latest snapshot (hv_collector_latest never blocks on the
 * backend). The event stream sleeps on the collector's condition variable
 * in its own connection thread, so it blocks neither other clients nor the
 * collector. Static files come only from the embedded table: no path ever
 * reaches the filesystem. */
#include <arpa/inet.h>
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "hv/durable.h"
#include "hv/knob.h"
#include "hv/rundir.h"
#include "hv/version.h"
#include "web.h"

#define MAX_BODY 4096
#define SSE_KEEPALIVE_S 10

/* A rendered body shared by concurrent responses (metrics, live JSON). */
typedef struct shared {
	atomic_int ref;
	uint64_t tag;
	size_t len;
	char data[];
} shared;

static shared *shared_new(web_buf *b, uint64_t tag)
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

static void shared_unref(shared *s)
{
	if (s && atomic_fetch_sub(&s->ref, 1) == 1)
		free(s);
}

static void shared_free_cb(void *p)
{
	shared_unref((shared *)((char *)p - offsetof(shared, data)));
}

struct web_server {
	const web_config *cfg;
	hv_collector *col;
	web_rrd *rrd;
	struct MHD_Daemon *d;
	char *tls_key, *tls_cert;
	char csrf[65];
	char rundir[512];
	char journal[600];
	atomic_int stopping;
	pthread_mutex_t mu; /* caches */
	shared *prom[4];    /* [fmt + 2 * gzip] */
	shared *live;
	pthread_mutex_t knob_mu;
	unsigned port;
	atomic_llong last_scrape[4]; /* CLOCK_MONOTONIC s of the last scrape */
	uint64_t rendering[4];       /* tag being rendered, 0 = none (mu) */
	pthread_cond_t rendered;
	pthread_t pre;
	int pre_started;
	web_hist *hist;
};

typedef struct req {
	web_buf body;
	int too_big;
} req;

static void common_headers(struct MHD_Response *r, const char *ctype)
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

static enum MHD_Result send_buf(struct MHD_Connection *c, unsigned status,
                                const char *ctype, web_buf *b,
                                const char *cache)
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
	common_headers(r, ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL,
	                        cache ? cache : "no-store");
	enum MHD_Result ret = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status,
                                 web_buf *b)
{
	return send_buf(c, status, "application/json; charset=utf-8", b, NULL);
}

static enum MHD_Result send_err(struct MHD_Connection *c, unsigned status,
                                const char *msg)
{
	web_buf b;
	web_buf_init(&b);
	web_json_error(&b, (int)status, msg);
	return send_json(c, status, &b);
}

static const char *hdr(struct MHD_Connection *c, const char *name)
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
			shared_unref(plain);
		} else {
			web_buf b;
			web_buf_init(&b);
			web_powerd_info pd;
			web_powerd_read(sv->rundir, &pd);
			web_prom_extra x = {.st = &st,
			                    .power_budget_w =
			                        sv->cfg->power_budget_w,
			                    .powerd_running = pd.running,
			                    .pd = &pd};
			web_prom_render(s, &x, fmt, &b);
			out = b.oom ? NULL : shared_new(&b, tag);
			web_buf_free(&b);
		}
		pthread_mutex_lock(&sv->mu);
		if (out) {
			shared_unref(sv->prom[idx]);
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
	const char *ae = hdr(c, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g = ae ? strstr(ae, "gzip") : NULL;
	if (!g)
		return 0;
	const char *q = strstr(g, "q=");
	const char *comma = strchr(g, ',');
	return !(q && (!comma || q < comma) && strtod(q + 2, NULL) <= 0);
}

static enum MHD_Result h_metrics(web_server *sv, struct MHD_Connection *c)
{
	enum web_prom_fmt fmt = web_prom_negotiate(hdr(c, "Accept"));
	int idx = (int)fmt + (accepts_gzip(c) ? 2 : 0);
	atomic_store(&sv->last_scrape[idx], mono_s());
	shared *out = prom_get(sv, idx);
	if (!out)
		return send_err(c, 500, "out of memory");
	struct MHD_Response *r =
	    MHD_create_response_from_buffer_with_free_callback(
	        out->len, out->data, shared_free_cb);
	if (!r) {
		shared_unref(out);
		return MHD_NO;
	}
	common_headers(r, web_prom_ctype(fmt));
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
				shared_unref(prom_get(sv, i));
		}
	}
	return NULL;
}

/* ---- live JSON shared by all streams ---- */
static shared *live_for(web_server *sv, hv_snap *s)
{
	uint64_t tag = hv_snap_seq(s);
	shared *out = NULL;
	pthread_mutex_lock(&sv->mu);
	if (sv->live && sv->live->tag == tag) {
		out = sv->live;
		atomic_fetch_add(&out->ref, 1);
	}
	pthread_mutex_unlock(&sv->mu);
	if (out)
		return out;
	web_buf b;
	web_buf_init(&b);
	web_buf_puts(&b, "event: snap\nid: ");
	web_buf_u64(&b, tag);
	web_buf_puts(&b, "\ndata: ");
	web_json_live(s, &b);
	web_buf_puts(&b, "\n\n");
	out = b.oom ? NULL : shared_new(&b, tag);
	web_buf_free(&b);
	if (out) {
		pthread_mutex_lock(&sv->mu);
		shared_unref(sv->live);
		sv->live = out;
		atomic_fetch_add(&out->ref, 1);
		pthread_mutex_unlock(&sv->mu);
	}
	return out;
}

typedef struct sse {
	web_server *sv;
	uint64_t seq;
	shared *pend;
	size_t off;
	time_t last_write;
	int hello;
} sse;

static ssize_t sse_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	sse *e = cls;
	(void)pos;
	if (!e->hello) { /* retry hint, and the first frame at once */
		e->hello = 1;
		e->last_write = time(NULL);
		int n = snprintf(buf, max, "retry: 2000\n\n");
		return n > 0 && (size_t)n < max ? n : 0;
	}
	while (!e->pend) {
		if (atomic_load(&e->sv->stopping))
			return MHD_CONTENT_READER_END_OF_STREAM;
		hv_snap *s = e->seq
		                 ? hv_collector_wait(e->sv->col, e->seq, 1000)
		                 : hv_collector_latest(e->sv->col);
		if (s) {
			e->seq = hv_snap_seq(s);
			e->pend = live_for(e->sv, s);
			e->off = 0;
			hv_snap_unref(s);
			if (!e->pend)
				return MHD_CONTENT_READER_END_WITH_ERROR;
		} else if (!e->seq) {
			struct timespec ts = {0, 200000000};
			nanosleep(&ts, NULL);
		}
		if (!e->pend && time(NULL) - e->last_write >= SSE_KEEPALIVE_S) {
			e->last_write = time(NULL);
			int n = snprintf(buf, max, ": keepalive\n\n");
			return n > 0 && (size_t)n < max ? n : 0;
		}
	}
	size_t n = e->pend->len - e->off;
	if (n > max)
		n = max;
	memcpy(buf, e->pend->data + e->off, n);
	e->off += n;
	if (e->off >= e->pend->len) {
		shared_unref(e->pend);
		e->pend = NULL;
	}
	e->last_write = time(NULL);
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	sse *e = cls;
	shared_unref(e->pend);
	free(e);
}

static enum MHD_Result h_events(web_server *sv, struct MHD_Connection *c)
{
	sse *e = calloc(1, sizeof(*e));
	if (!e)
		return MHD_NO;
	e->sv = sv;
	struct MHD_Response *r = MHD_create_response_from_callback(
	    MHD_SIZE_UNKNOWN, 64 * 1024, sse_read, e, sse_free);
	if (!r) {
		free(e);
		return MHD_NO;
	}
	common_headers(r, "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
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

static enum MHD_Result h_history(web_server *sv, struct MHD_Connection *c)
{
	const char *id = arg(c, "id");
	const char *src = arg(c, "source");
	double range = range_arg(c, 600);
	web_buf b;
	hv_err err = {0};
	int rc;
	if (range < 0)
		return send_err(
		    c, 400,
		    "range: seconds, or a number with s/m/h/d, up to 400d");
	if (id && !*id)
		id = NULL;
	double ring_span = hv_collector_period(sv->col) * sv->cfg->ring;
	web_buf_init(&b);
	if ((src && !strcmp(src, "rrd")) || (!src && range > ring_span + 1)) {
		if (!sv->rrd) {
			web_buf_free(&b);
			return send_err(c, 404,
			                "no RRD history configured (rrd_dir)");
		}
		const char *cf = arg(c, "cf");
		if (cf && strcmp(cf, "AVERAGE") && strcmp(cf, "MAX")) {
			web_buf_free(&b);
			return send_err(c, 400, "cf: AVERAGE or MAX");
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
		return send_err(c, rc == -ENOENT ? 404 : 500, err.msg);
	}
	return send_json(c, 200, &b);
}

static enum MHD_Result h_graph(web_server *sv, struct MHD_Connection *c)
{
	const char *id = arg(c, "id");
	const char *what = arg(c, "what");
	const char *fmt = arg(c, "format");
	double range = range_arg(c, 3 * 3600);
	if (!sv->rrd)
		return send_err(c, 404, "no RRD history configured (rrd_dir)");
	if (range < 0)
		return send_err(c, 400, "bad range");
	bool svg = fmt && !strcmp(fmt, "svg");
	if (fmt && !svg && strcmp(fmt, "png"))
		return send_err(c, 400, "format: png or svg");
	unsigned char *img = NULL;
	size_t len = 0;
	hv_err err = {0};
	hv_snap *s = hv_collector_latest(sv->col);
	int rc =
	    web_rrd_graph(sv->rrd, s, id && *id ? id : NULL,
	                  what ? what : "cpu", range, svg, &img, &len, &err);
	hv_snap_unref(s);
	if (rc)
		return send_err(c,
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
	common_headers(r, svg ? "image/svg+xml" : "image/png");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}

/* ---- control ---- */
static int knob_allowed(const char *knob, const char *val)
{
	hv_knob k;

	/* libhv's knob grammar and CPU limit; /control offers two kinds. */
	if (hv_knob_parse(knob, &k, NULL))
		return 0;
	if (k.kind == HV_KNOB_ONLINE)
		return !strcmp(val, "0") || !strcmp(val, "1");
	if (k.kind == HV_KNOB_GOVERNOR) {
		size_t l = strlen(val);
		if (l == 0 || l > 23)
			return 0;
		for (const char *p = val; *p; p++)
			if (!islower((unsigned char)*p) &&
			    !isdigit((unsigned char)*p) && *p != '_')
				return 0;
		return 1;
	}
	return 0;
}

static int origin_ok(struct MHD_Connection *c)
{
	const char *origin = hdr(c, "Origin");
	const char *host = hdr(c, "Host");
	if (!origin)
		return 1; /* non-browser client; the CSRF header still applies */
	if (!host)
		return 0;
	const char *p = strstr(origin, "://");
	return p && !strcmp(p + 3, host);
}

static enum MHD_Result need_auth(struct MHD_Connection *c)
{
	web_buf b;
	web_buf_init(&b);
	web_json_error(&b, 401, "authentication required");
	size_t len = 0;
	char *p = web_buf_steal(&b, &len);
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(len, p, MHD_RESPMEM_MUST_FREE);
	if (!r) {
		free(p);
		return MHD_NO;
	}
	common_headers(r, "application/json; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	                        "Basic realm=\"hv-webd\", charset=\"UTF-8\"");
	enum MHD_Result ret = MHD_queue_response(c, 401, r);
	MHD_destroy_response(r);
	return ret;
}

static int authed(web_server *sv, struct MHD_Connection *c)
{
	return web_auth_check(sv->cfg, hdr(c, MHD_HTTP_HEADER_AUTHORIZATION));
}

static enum MHD_Result h_csrf(web_server *sv, struct MHD_Connection *c)
{
	if (!sv->cfg->control)
		return send_err(c, 403,
		                "control is disabled in the configuration");
	if (!authed(sv, c))
		return need_auth(c);
	web_buf b;
	web_buf_init(&b);
	web_buf_printf(&b, "{\"schema\":%d,\"csrf\":\"%s\"}", WEB_SCHEMA,
	               sv->csrf);
	return send_json(c, 200, &b);
}

/* One control record through libhv's journal writer (fsynced, whole lines
 * only). Returns 0 when it is on disk. */
static int journal_line(hv_journal *j, const char *user, const hv_change *chg,
                        const char *knob, const char *val, int rc,
                        const char *msg)
{
	web_buf b;
	struct timespec ts;
	int wrc = -ENOMEM;
	clock_gettime(CLOCK_REALTIME, &ts);
	web_buf_init(&b);
	web_buf_puts(&b, "{\"time\":");
	web_buf_json_num(&b, ts.tv_sec + ts.tv_nsec / 1e9);
	web_buf_puts(&b, ",\"by\":\"hv-webd\",\"user\":");
	web_buf_json_str(&b, user);
	web_buf_puts(&b, ",\"knob\":");
	web_buf_json_str(&b, chg && !rc ? chg->knob : knob);
	web_buf_puts(&b, ",\"old\":");
	web_buf_json_str(&b, chg && !rc ? chg->old : "");
	web_buf_puts(&b, ",\"new\":");
	web_buf_json_str(&b, chg && !rc ? chg->new_ : val);
	web_buf_puts(&b, ",\"ok\":");
	web_buf_puts(&b, rc ? "false" : "true");
	web_buf_puts(&b, ",\"error\":");
	web_buf_json_str(&b, rc ? msg : "");
	web_buf_puts(&b, "}");
	web_buf_putc(&b, '\0');
	if (!b.oom)
		wrc = hv_journal_append(j, b.p, NULL);
	web_buf_free(&b);
	return wrc;
}

/* hv-powerd running with the same run directory holds this knob: refuse,
 * so the two never fight over it (hv-powerd would put it back). */
static int powerd_refuses(web_server *sv, const char *knob, char *why,
                          size_t len)
{
	hv_powerd_hold h;
	hv_err e = {0};
	int rc = hv_powerd_holds(sv->rundir, knob, &h, &e);

	if (rc > 0)
		snprintf(why, len,
		         "hv-powerd (pid %ld) holds %s for its %s policy "
		         "(original %s, now %s): stop hv-powerd or disable "
		         "that policy first",
		         (long)h.pid, knob, h.policy[0] ? h.policy : "?",
		         h.orig, h.cur);
	else if (rc < 0)
		snprintf(why, len,
		         "cannot tell whether hv-powerd holds %s (%s): "
		         "refused",
		         knob, e.msg);
	return rc != 0;
}

/* One control change: refused when hv-powerd holds the knob, made as an
 * hv_txn, journalled (a record that cannot be written undoes it). The
 * journal is opened before the change: no journal, no change. Returns 0
 * with *chg, or -errno with err (-EBUSY: refused). */
static int control_apply(web_server *sv, const char *knob, const char *val,
                         hv_change *chg, hv_err *err)
{
	hv_journal_opts jo = {sv->journal, 0, 0640, NULL, NULL, false};
	hv_knob_io io = hv_knob_io_backend(hv_collector_backend(sv->col));
	const char *user = sv->cfg->auth_user[0] ? sv->cfg->auth_user : "token";
	hv_journal *jr = NULL;
	hv_txn *tx = NULL;
	char why[512];
	int rc;

	memset(chg, 0, sizeof(*chg));
	pthread_mutex_lock(&sv->knob_mu); /* one writer of the journal */
	if (hv_journal_open(&jo, &jr, NULL)) {
		rc = hv_err_set(err, EIO, "cannot open the control journal");
		goto out;
	}
	if (powerd_refuses(sv, knob, why, sizeof(why))) {
		rc = hv_err_set(err, EBUSY, "%s", why);
	} else if (!(rc = hv_txn_begin(&io, &tx, err))) {
		rc = hv_txn_set(tx, knob, val, NULL, err);
		size_t n = 0;
		const hv_change *ch = hv_txn_changes(tx, &n);
		if (rc == 1) { /* already so: reported as it is */
			rc = 0;
			snprintf(chg->knob, sizeof(chg->knob), "%s", knob);
			snprintf(chg->old, sizeof(chg->old), "%s", val);
			snprintf(chg->new_, sizeof(chg->new_), "%s", val);
		} else if (!rc && n) {
			*chg = ch[0];
		}
	}
	if (journal_line(jr, user, chg, knob, val, rc, err->msg) && !rc) {
		hv_err e2 = {0};
		rc = hv_txn_rollback(tx, &e2) ? -EIO : -ENOSPC;
		hv_err_set(err, -rc,
		           "the control journal cannot be written: change %s%s",
		           rc == -EIO ? "NOT undone: " : "undone",
		           rc == -EIO ? e2.msg : "");
	}
	if (tx)
		hv_txn_commit(tx); /* kept: it is journalled */
out:
	hv_txn_free(tx);
	pthread_mutex_unlock(&sv->knob_mu);
	hv_journal_close(jr);
	return rc;
}

static enum MHD_Result h_control(web_server *sv, struct MHD_Connection *c,
                                 req *rq)
{
	if (!sv->cfg->control)
		return send_err(c, 403,
		                "control is disabled in the configuration");
	if (!authed(sv, c))
		return need_auth(c);
	const char *tok = hdr(c, "X-CSRF-Token");
	if (!tok || !web_ct_equal(tok, sv->csrf) || !origin_ok(c))
		return send_err(c, 403, "missing or bad CSRF token / origin");
	const char *ct = hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || strncmp(ct, "application/json", 16))
		return send_err(c, 415, "body must be application/json");
	if (rq->too_big)
		return send_err(c, 413, "body too large");
	cJSON *j =
	    cJSON_ParseWithLength(rq->body.p ? rq->body.p : "", rq->body.len);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "knob");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
	enum MHD_Result ret;
	if (!cJSON_IsString(k) || !cJSON_IsString(v) ||
	    !knob_allowed(k->valuestring, v->valuestring)) {
		cJSON_Delete(j);
		return send_err(
		    c, 400,
		    "expected "
		    "{\"knob\":\"cpu/N/online|governor\",\"value\":...}");
	}
	hv_change chg;
	hv_err err = {0};
	int rc = control_apply(sv, k->valuestring, v->valuestring, &chg, &err);
	cJSON_Delete(j);
	if (rc)
		return send_err(c,
		                rc == -ENOTSUP  ? 501
		                : rc == -EINVAL ? 400
		                : rc == -EBUSY  ? 409
		                                : 500,
		                err.msg[0] ? err.msg : "knob change failed");
	web_buf b;
	web_buf_init(&b);
	web_buf_printf(&b, "{\"schema\":%d,\"change\":{\"knob\":", WEB_SCHEMA);
	web_buf_json_str(&b, chg.knob);
	web_buf_puts(&b, ",\"old\":");
	web_buf_json_str(&b, chg.old);
	web_buf_puts(&b, ",\"new\":");
	web_buf_json_str(&b, chg.new_);
	web_buf_puts(&b, "}}");
	ret = send_json(c, 200, &b);
	return ret;
}

/* ---- dispatch ---- */
static enum MHD_Result h_api(web_server *sv, struct MHD_Connection *c,
                             const char *path, int get, req *rq)
{
	web_buf b;
	hv_err err = {0};

	if (!strcmp(path, "/control")) {
		if (get)
			return send_err(c, 405, "use POST");
		return h_control(sv, c, rq);
	}
	if (!get)
		return send_err(c, 405, "method not allowed");
	if (!strcmp(path, "/events"))
		return h_events(sv, c);
	if (!strcmp(path, "/history"))
		return h_history(sv, c);
	if (!strcmp(path, "/graph"))
		return h_graph(sv, c);
	if (!strcmp(path, "/csrf"))
		return h_csrf(sv, c);

	web_buf_init(&b);
	if (!strcmp(path, "") || !strcmp(path, "/")) {
		web_buf_printf(
		    &b,
		    "{\"schema\":%d,\"endpoints\":[\"/api/v1/host\","
		    "\"/api/v1/domains\",\"/api/v1/domains/{key|uuid|name}\","
		    "\"/api/v1/pcpus\",\"/api/v1/history\",\"/api/v1/graph\","
		    "\"/api/v1/powerd\",\"/api/v1/events\",\"/api/v1/config\","
		    "\"/api/v1/csrf\",\"/api/v1/control\"]}",
		    WEB_SCHEMA);
		return send_json(c, 200, &b);
	}
	if (!strcmp(path, "/config")) {
		web_buf_printf(&b,
		               "{\"schema\":%d,\"theme\":\"%s\",\"control\":%s,"
		               "\"rrd\":%s,\"period_s\":",
		               WEB_SCHEMA, sv->cfg->theme,
		               sv->cfg->control ? "true" : "false",
		               sv->rrd ? "true" : "false");
		web_buf_json_num(&b, hv_collector_period(sv->col));
		web_buf_puts(&b, ",\"ring_s\":");
		web_buf_json_num(&b,
		                 hv_collector_period(sv->col) * sv->cfg->ring);
		web_buf_puts(&b, ",\"power_budget_watts\":");
		web_buf_json_num(&b, sv->cfg->power_budget_w > 0
		                         ? sv->cfg->power_budget_w
		                         : NAN);
		web_buf_puts(&b, web_asset_find("/uPlot.iife.min.js")
		                     ? ",\"uplot\":true"
		                     : ",\"uplot\":false");
		web_buf_puts(&b, ",\"version\":\"" HV_VERSION "\"}");
		return send_json(c, 200, &b);
	}
	if (!strcmp(path, "/powerd")) {
		web_powerd_json(sv->rundir, 200, &b);
		return send_json(c, 200, &b);
	}
	hv_snap *s = hv_collector_latest(sv->col);
	enum MHD_Result ret;
	if (!s) {
		web_buf_free(&b);
		return send_err(c, 503, "no sample yet");
	}
	if (!strcmp(path, "/host")) {
		hv_collector_stats st;
		hv_collector_stats_get(sv->col, &st);
		web_json_host(s, &st, &b);
		ret = send_json(c, 200, &b);
	} else if (!strcmp(path, "/domains")) {
		web_json_domains(s, &b);
		ret = send_json(c, 200, &b);
	} else if (!strncmp(path, "/domains/", 9) && path[9]) {
		if (web_json_domain(s, path + 9, &b, &err)) {
			web_buf_free(&b);
			ret = send_err(c, 404, err.msg);
		} else {
			ret = send_json(c, 200, &b);
		}
	} else if (!strcmp(path, "/pcpus")) {
		web_json_pcpus(s, &b);
		ret = send_json(c, 200, &b);
	} else {
		web_buf_free(&b);
		ret = send_err(c, 404, "unknown API path");
	}
	hv_snap_unref(s);
	return ret;
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
			return send_err(c, 405, "method not allowed");
		const char *cl = hdr(c, MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > MAX_BODY)
			return send_err(c, 413, "request body too large");
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
	if (!strcmp(url, "/metrics"))
		return get ? h_metrics(sv, c) : send_err(c, 405, "use GET");
	if (!strncmp(url, "/api/v1", 7) && (url[7] == '\0' || url[7] == '/'))
		return h_api(sv, c, url + 7, get, rq);
	if (!get)
		return send_err(c, 405, "method not allowed");
	if (!strcmp(url, "/healthz")) {
		web_buf b;
		web_buf_init(&b);
		web_buf_puts(&b, "ok\n");
		return send_buf(c, 200, "text/plain; charset=utf-8", &b, NULL);
	}
	const web_asset *a =
	    web_asset_find(!strcmp(url, "/") ? "/index.html" : url);
	if (!a)
		return send_err(c, 404, "not found");
	struct MHD_Response *r = MHD_create_response_from_buffer(
	    a->len, (void *)a->data, MHD_RESPMEM_PERSISTENT);
	if (!r)
		return MHD_NO;
	common_headers(r, a->ctype);
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
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

int web_server_start(const web_config *cfg, hv_collector *col, web_rrd *rrd,
                     web_server **out, hv_err *err)
{
	web_server *sv = calloc(1, sizeof(*sv));
	struct addrinfo hints = {.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV |
	                                     AI_PASSIVE,
	                         .ai_socktype = SOCK_STREAM};
	struct addrinfo *ai = NULL;
	char port[8];
	int rc = 0;
	unsigned char rnd[32];

	if (!sv)
		return hv_err_set(err, ENOMEM, "out of memory");
	sv->cfg = cfg;
	sv->col = col;
	sv->rrd = rrd;
	pthread_mutex_init(&sv->mu, NULL);
	pthread_mutex_init(&sv->knob_mu, NULL);
	pthread_cond_init(&sv->rendered, NULL);
	if (getrandom(rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd)) {
		rc = hv_err_set(err, EIO, "getrandom failed");
		goto out;
	}
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

	rc = web_hist_new(cfg->ring, &sv->hist, err);
	if (rc)
		goto out;
	snprintf(port, sizeof(port), "%u", cfg->port);
	int gr = getaddrinfo(cfg->listen_addr, port, &hints, &ai);
	if (gr) {
		rc = hv_err_set(err, EINVAL, "listen address '%s': %s",
		                cfg->listen_addr, gai_strerror(gr));
		goto out;
	}
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION |
	                 MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG |
	                 MHD_USE_POLL;
	if (ai->ai_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	int tls = cfg->tls_key[0] && cfg->tls_cert[0];
	if (tls) {
		if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
			rc = hv_err_set(err, ENOTSUP,
			                "libmicrohttpd was built without TLS");
			goto out;
		}
		sv->tls_key = read_pem(cfg->tls_key, err);
		sv->tls_cert =
		    sv->tls_key ? read_pem(cfg->tls_cert, err) : NULL;
		if (!sv->tls_cert) {
			rc = -(err && err->code ? err->code : EINVAL);
			goto out;
		}
		flags |= MHD_USE_TLS;
	} else if (cfg->control) {
		fprintf(stderr,
		        "hv-webd: warning: control enabled without TLS; "
		        "credentials cross the network in clear\n");
	}
	struct MHD_OptionItem tls_opts[] = {
	    {tls ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, 0, sv->tls_key},
	    {tls ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END, 0, sv->tls_cert},
	    {MHD_OPTION_END, 0, NULL},
	};
	sv->d = MHD_start_daemon(
	    flags, (uint16_t)cfg->port, NULL, NULL, answer, sv,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, sv, MHD_OPTION_SOCK_ADDR,
	    ai->ai_addr, MHD_OPTION_CONNECTION_LIMIT, cfg->conn_limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, cfg->per_ip_limit,
	    MHD_OPTION_CONNECTION_TIMEOUT, cfg->conn_timeout_s,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(32 * 1024),
	    MHD_OPTION_STRICT_FOR_CLIENT, 1, MHD_OPTION_NOTIFY_COMPLETED,
	    completed, sv, MHD_OPTION_ARRAY, tls_opts, MHD_OPTION_END);
	if (!sv->d) {
		rc = hv_err_set(err, EADDRINUSE, "cannot listen on %s:%u",
		                cfg->listen_addr, cfg->port);
		goto out;
	}
	const union MHD_DaemonInfo *di =
	    MHD_get_daemon_info(sv->d, MHD_DAEMON_INFO_BIND_PORT);
	sv->port = di ? di->port : cfg->port;
	if (pthread_create(&sv->pre, NULL, follower, sv) == 0)
		sv->pre_started = 1;
out:
	if (ai)
		freeaddrinfo(ai);
	if (rc) {
		web_server_stop(sv);
		return rc;
	}
	*out = sv;
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
		shared_unref(sv->prom[i]);
	shared_unref(sv->live);
	pthread_mutex_destroy(&sv->mu);
	pthread_mutex_destroy(&sv->knob_mu);
	pthread_cond_destroy(&sv->rendered);
	web_hist_free(sv->hist);
	free(sv->tls_key);
	free(sv->tls_cert);
	free(sv);
}
