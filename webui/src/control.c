/* SPDX-License-Identifier: MIT */
/* Control: the CSRF token (/api/v1/csrf) and knob changes
 * (POST /api/v1/control, knobs cpu/N/online and cpu/N/governor only), and
 * the auth gate the route table applies to both. A knob a running
 * hv-powerd holds is refused (409). Every attempt is journaled (knob, old,
 * new, ok, error) through libhv's journal writer; the journal is opened
 * before the change, and a record that cannot be written undoes it. */
#include <cjson/cJSON.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "http_int.h"
#include "hv/durable.h"
#include "hv/knob.h"
#include "hv/rundir.h"

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
	const char *origin = web_hdr(c, "Origin");
	const char *host = web_hdr(c, "Host");
	if (!origin)
		return 1; /* non-browser client; the CSRF header still applies */
	if (!host)
		return 0;
	const char *p = strstr(origin, "://");
	return p && !strcmp(p + 3, host);
}

static enum MHD_Result need_auth(struct MHD_Connection *c)
{
	return web_send_err_hdr(c, 401, "authentication required",
	                        MHD_HTTP_HEADER_WWW_AUTHENTICATE,
	                        "Basic realm=\"hv-webd\", charset=\"UTF-8\"");
}

static int authed(const web_config *cfg, struct MHD_Connection *c)
{
	return web_auth_check(cfg, web_hdr(c, MHD_HTTP_HEADER_AUTHORIZATION));
}

/* The route table's gate (http.c) for WEB_AUTH_USER and WEB_AUTH_CSRF
 * routes: control enabled, Basic/Bearer credentials, and for changes the
 * CSRF token with a same-origin Origin. */
int web_auth_refuse(web_server *sv, struct MHD_Connection *c,
                    enum web_auth auth, enum MHD_Result *ret)
{
	web_config cfg;
	if (auth == WEB_AUTH_NONE)
		return 0;
	web_server_cfg(sv, &cfg);
	if (!cfg.control)
		*ret = web_send_err(c, 403,
		                    "control is disabled in the configuration");
	else if (!authed(&cfg, c))
		*ret = need_auth(c);
	else if (auth == WEB_AUTH_CSRF) {
		const char *tok = web_hdr(c, "X-CSRF-Token");
		if (tok && web_ct_equal(tok, sv->csrf) && origin_ok(c))
			return 0;
		*ret =
		    web_send_err(c, 403, "missing or bad CSRF token / origin");
	} else
		return 0;
	return 1;
}

enum MHD_Result web_h_csrf(web_server *sv, struct MHD_Connection *c,
                           const char *rest, req *rq)
{
	(void)rest;
	(void)rq;
	web_buf b;
	web_buf_init(&b);
	web_buf_printf(&b, "{\"schema\":%d,\"csrf\":\"%s\"}", WEB_SCHEMA,
	               sv->csrf);
	return web_send_json(c, 200, &b);
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
	web_config cfg;
	web_server_cfg(sv, &cfg); /* credentials as of the last reload */
	const char *user = cfg.auth_user[0] ? cfg.auth_user : "token";
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

/* POST /api/v1/control {"knob","value"}: the route table has already
 * checked control, credentials, CSRF token and origin (WEB_AUTH_CSRF). */
enum MHD_Result web_h_control(web_server *sv, struct MHD_Connection *c,
                              const char *rest, req *rq)
{
	(void)rest;
	const char *ct = web_hdr(c, MHD_HTTP_HEADER_CONTENT_TYPE);
	if (!ct || strncmp(ct, "application/json", 16))
		return web_send_err(c, 415, "body must be application/json");
	if (rq->too_big)
		return web_send_err(c, 413, "body too large");
	cJSON *j =
	    cJSON_ParseWithLength(rq->body.p ? rq->body.p : "", rq->body.len);
	const cJSON *k = cJSON_GetObjectItemCaseSensitive(j, "knob");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, "value");
	enum MHD_Result ret;
	if (!cJSON_IsString(k) || !cJSON_IsString(v) ||
	    !knob_allowed(k->valuestring, v->valuestring)) {
		cJSON_Delete(j);
		return web_send_err(
		    c, 400,
		    "expected "
		    "{\"knob\":\"cpu/N/online|governor\",\"value\":...}");
	}
	hv_change chg;
	hv_err err = {0};
	int rc = control_apply(sv, k->valuestring, v->valuestring, &chg, &err);
	cJSON_Delete(j);
	if (rc)
		return web_send_err(c,
		                    rc == -ENOTSUP  ? 501
		                    : rc == -EINVAL ? 400
		                    : rc == -EBUSY  ? 409
		                                    : 500,
		                    err.msg[0] ? err.msg
		                               : "knob change failed");
	web_buf b;
	web_buf_init(&b);
	web_buf_printf(&b, "{\"schema\":%d,\"change\":{\"knob\":", WEB_SCHEMA);
	web_buf_json_str(&b, chg.knob);
	web_buf_puts(&b, ",\"old\":");
	web_buf_json_str(&b, chg.old);
	web_buf_puts(&b, ",\"new\":");
	web_buf_json_str(&b, chg.new_);
	web_buf_puts(&b, "}}");
	ret = web_send_json(c, 200, &b);
	return ret;
}
