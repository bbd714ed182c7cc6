/* SPDX-License-Identifier: MIT */
/* Control: the CSRF token (/api/v1/csrf) and knob changes
 * (POST /api/v1/control, knobs cpu/N/online and cpu/N/governor only), and
 * the auth gate the route table applies to both. Every attempt is journaled
 * (knob, old, new, ok, error) with fdatasync; the journal is opened before
 * the change, so there is no change without a journal line. */
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

static int knob_allowed(const char *knob, const char *val)
{
	char what[16];
	char *end = NULL;
	if (strncmp(knob, "cpu/", 4) || !isdigit((unsigned char)knob[4]))
		return 0;
	unsigned long cpu = strtoul(knob + 4, &end, 10);
	if (cpu > 8191 || *end != '/' || strlen(end + 1) >= sizeof(what))
		return 0;
	snprintf(what, sizeof(what), "%s", end + 1);
	if (!strcmp(what, "online"))
		return !strcmp(val, "0") || !strcmp(val, "1");
	if (!strcmp(what, "governor")) {
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

static void journal_line(web_server *sv, const char *user, const hv_change *chg,
                         const char *knob, const char *val, int rc,
                         const char *msg, int fd)
{
	web_buf b;
	struct timespec ts;
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
	web_buf_puts(&b, "}\n");
	(void)sv;
	if (!b.oom && write(fd, b.p, b.len) == (ssize_t)b.len)
		fdatasync(fd);
	web_buf_free(&b);
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
	/* Journal is opened before the change: no journal, no change. */
	int fd =
	    open(sv->journal, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd < 0) {
		cJSON_Delete(j);
		return web_send_err(c, 500, "cannot open the control journal");
	}
	hv_change chg;
	hv_err err = {0};
	memset(&chg, 0, sizeof(chg));
	pthread_mutex_lock(&sv->knob_mu);
	int rc = hv_knob_set(hv_collector_backend(sv->col), k->valuestring,
	                     v->valuestring, &chg, &err);
	web_config cfg;
	web_server_cfg(sv, &cfg);
	journal_line(sv, cfg.auth_user[0] ? cfg.auth_user : "token", &chg,
	             k->valuestring, v->valuestring, rc, err.msg, fd);
	pthread_mutex_unlock(&sv->knob_mu);
	close(fd);
	cJSON_Delete(j);
	if (rc)
		return web_send_err(c,
		                    rc == -ENOTSUP  ? 501
		                    : rc == -EINVAL ? 400
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
