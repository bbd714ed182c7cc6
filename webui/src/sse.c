/* SPDX-License-Identifier: MIT */
/* The event stream (/api/v1/events): server-sent events, one frame per
 * snapshot. Each stream sleeps on the collector's condition variable in its
 * own connection thread (hv_collector_wait, 1 s slices), so a slow client
 * blocks neither other clients nor the collector; a keepalive comment every
 * 10 s keeps proxies from closing an idle stream. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "http_int.h"

#define SSE_KEEPALIVE_S 10

/* The live JSON frame, rendered once per snapshot and shared by all
 * streams. */
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
	out = b.oom ? NULL : web_shared_new(&b, tag);
	web_buf_free(&b);
	if (out) {
		pthread_mutex_lock(&sv->mu);
		web_shared_unref(sv->live);
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
		web_shared_unref(e->pend);
		e->pend = NULL;
	}
	e->last_write = time(NULL);
	return (ssize_t)n;
}

static void sse_free(void *cls)
{
	sse *e = cls;
	web_shared_unref(e->pend);
	free(e);
}

enum MHD_Result web_h_events(web_server *sv, struct MHD_Connection *c,
                             const char *rest, req *rq)
{
	(void)rest;
	(void)rq;
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
	web_common_headers(r, "text/event-stream; charset=utf-8");
	MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	enum MHD_Result ret = MHD_queue_response(c, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return ret;
}
