/* SPDX-License-Identifier: MIT */
/* hv-webd's HTTP server internals, shared by http.c (setup, route table,
 * caches, read-only handlers), sse.c (the event stream) and control.c
 * (CSRF token and knob changes). Not part of webcore's interface. */
#ifndef WEB_HTTP_INT_H
#define WEB_HTTP_INT_H

#include <microhttpd.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include "web.h"

/* A rendered body shared by concurrent responses (metrics, live JSON). */
typedef struct shared {
	atomic_int ref;
	uint64_t tag;
	size_t len;
	char data[];
} shared;

shared *web_shared_new(web_buf *b, uint64_t tag);
void web_shared_unref(shared *s);
void web_shared_free_cb(void *p); /* MHD free callback on s->data */

struct web_server {
	const web_config *cfg; /* as started; reloadable keys: live below */
	pthread_mutex_t live_mu;
	web_config now; /* after the last good SIGHUP reload (live_mu) */
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

/* Per-request state: the POST body. */
typedef struct req {
	web_buf body;
	int too_big;
	int arg; /* the route's arg */
} req;

/* Who may call a route: anyone, or (control enabled and authenticated),
 * or that plus the CSRF token and a same-origin Origin. */
enum web_auth { WEB_AUTH_NONE, WEB_AUTH_USER, WEB_AUTH_CSRF };

/* rest: what follows a route's "{...}" prefix ("" for exact routes). */
typedef enum MHD_Result (*web_handler)(web_server *sv, struct MHD_Connection *c,
                                       const char *rest, req *rq);

void web_common_headers(struct MHD_Response *r, const char *ctype);
enum MHD_Result web_send_buf(struct MHD_Connection *c, unsigned status,
                             const char *ctype, web_buf *b, const char *cache);
enum MHD_Result web_send_json(struct MHD_Connection *c, unsigned status,
                              web_buf *b);
enum MHD_Result web_send_err(struct MHD_Connection *c, unsigned status,
                             const char *msg);
/* The same with one more header (Allow, WWW-Authenticate). */
enum MHD_Result web_send_err_hdr(struct MHD_Connection *c, unsigned status,
                                 const char *msg, const char *hname,
                                 const char *hval);
const char *web_hdr(struct MHD_Connection *c, const char *name);
/* A consistent copy of the configuration in force (reloadable keys as of
 * the last good reload). */
void web_server_cfg(web_server *sv, web_config *out);

/* sse.c */
enum MHD_Result web_h_events(web_server *sv, struct MHD_Connection *c,
                             const char *rest, req *rq);
/* control.c: the route table's auth gate: 0 when the request may pass,
 * else 1 with the refusal (403/401) queued and its result in *ret. */
int web_auth_refuse(web_server *sv, struct MHD_Connection *c,
                    enum web_auth auth, enum MHD_Result *ret);
enum MHD_Result web_h_csrf(web_server *sv, struct MHD_Connection *c,
                           const char *rest, req *rq);
enum MHD_Result web_h_control(web_server *sv, struct MHD_Connection *c,
                              const char *rest, req *rq);

#endif
