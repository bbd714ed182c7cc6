/* SPDX-License-Identifier: MIT */
/* hv-webd configuration: "key = value" lines, '#' comments. Every key is
 * documented in hv-webd.1 and webui/contrib/hv-webd.conf.example. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "web.h"

void web_config_defaults(web_config *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->listen_addr, sizeof(c->listen_addr), "%s",
	         WEB_DEFAULT_ADDR);
	c->port = WEB_DEFAULT_PORT;
	c->period_s = 1.0;
	c->ring = 600;
	c->rrd_step = 10;
	c->conn_limit = 64;
	c->per_ip_limit = 16;
	c->conn_timeout_s = 30;
	c->synth_vcpus = 2;
	snprintf(c->theme, sizeof(c->theme), "auto");
}

static int cp(char *dst, size_t len, const char *v, const char *key,
              hv_err *err)
{
	if (strlen(v) >= len)
		return hv_err_set(err, EINVAL, "%s: value too long", key);
	memcpy(dst, v, strlen(v) + 1);
	return 0;
}

static int num_u(const char *key, const char *v, unsigned lo, unsigned hi,
                 unsigned *out, hv_err *err)
{
	char *end = NULL;
	errno = 0;
	unsigned long x = strtoul(v, &end, 10);
	if (errno || !end || *end || end == v || x < lo || x > hi)
		return hv_err_set(err, EINVAL,
		                  "%s: '%s' is not an integer in %u..%u", key,
		                  v, lo, hi);
	*out = (unsigned)x;
	return 0;
}

static int num_d(const char *key, const char *v, double lo, double hi,
                 double *out, hv_err *err)
{
	char *end = NULL;
	errno = 0;
	double x = strtod(v, &end);
	if (errno || !end || *end || end == v || !(x >= lo && x <= hi))
		return hv_err_set(err, EINVAL,
		                  "%s: '%s' is not a number in %g..%g", key, v,
		                  lo, hi);
	*out = x;
	return 0;
}

static int boolv(const char *key, const char *v, bool *out, hv_err *err)
{
	if (!strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "true") ||
	    !strcmp(v, "on")) {
		*out = true;
		return 0;
	}
	if (!strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "false") ||
	    !strcmp(v, "off")) {
		*out = false;
		return 0;
	}
	return hv_err_set(err, EINVAL, "%s: '%s' is not yes/no", key, v);
}

int web_parse_listen(web_config *c, const char *s, hv_err *err)
{
	/* ADDR:PORT, [V6]:PORT, ADDR or :PORT */
	char addr[64] = "";
	const char *port = NULL;
	if (s[0] == '[') {
		const char *e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(addr))
			return hv_err_set(err, EINVAL,
			                  "listen: bad address '%s'", s);
		memcpy(addr, s + 1, (size_t)(e - s - 1));
		addr[e - s - 1] = '\0';
		if (e[1] == ':')
			port = e + 2;
		else if (e[1])
			return hv_err_set(err, EINVAL,
			                  "listen: bad address '%s'", s);
	} else {
		const char *colon = strrchr(s, ':');
		size_t alen = colon ? (size_t)(colon - s) : strlen(s);
		if (alen >= sizeof(addr))
			return hv_err_set(err, EINVAL,
			                  "listen: address too long");
		memcpy(addr, s, alen);
		addr[alen] = '\0';
		if (colon)
			port = colon + 1;
	}
	if (port) {
		int r = num_u("listen port", port, 0, 65535, &c->port, err);
		if (r)
			return r;
	}
	if (addr[0])
		snprintf(c->listen_addr, sizeof(c->listen_addr), "%s", addr);
	return 0;
}

int web_config_set(web_config *c, const char *k, const char *v, hv_err *err)
{
	if (!strcmp(k, "listen"))
		return web_parse_listen(c, v, err);
	if (!strcmp(k, "backend"))
		return cp(c->backend, sizeof(c->backend), v, k, err);
	if (!strcmp(k, "synth_domains"))
		return num_u(k, v, 0, 100000, &c->synth_domains, err);
	if (!strcmp(k, "synth_vcpus"))
		return num_u(k, v, 1, 512, &c->synth_vcpus, err);
	if (!strcmp(k, "qmp_dirs"))
		return cp(c->qmp_dirs, sizeof(c->qmp_dirs), v, k, err);
	if (!strcmp(k, "period"))
		return num_d(k, v, 0.05, 3600, &c->period_s, err);
	if (!strcmp(k, "ring"))
		return num_u(k, v, 2, 100000, &c->ring, err);
	if (!strcmp(k, "rrd_dir"))
		return cp(c->rrd_dir, sizeof(c->rrd_dir), v, k, err);
	if (!strcmp(k, "rrd_step"))
		return num_u(k, v, 1, 3600, &c->rrd_step, err);
	if (!strcmp(k, "rrdcached"))
		return cp(c->rrdcached, sizeof(c->rrdcached), v, k, err);
	if (!strcmp(k, "connection_limit"))
		return num_u(k, v, 1, 10000, &c->conn_limit, err);
	if (!strcmp(k, "per_ip_limit"))
		return num_u(k, v, 1, 10000, &c->per_ip_limit, err);
	if (!strcmp(k, "connection_timeout"))
		return num_u(k, v, 1, 3600, &c->conn_timeout_s, err);
	if (!strcmp(k, "tls_key"))
		return cp(c->tls_key, sizeof(c->tls_key), v, k, err);
	if (!strcmp(k, "tls_cert"))
		return cp(c->tls_cert, sizeof(c->tls_cert), v, k, err);
	if (!strcmp(k, "control"))
		return boolv(k, v, &c->control, err);
	if (!strcmp(k, "auth_user"))
		return cp(c->auth_user, sizeof(c->auth_user), v, k, err);
	if (!strcmp(k, "auth_hash"))
		return cp(c->auth_hash, sizeof(c->auth_hash), v, k, err);
	if (!strcmp(k, "token_hash"))
		return cp(c->token_hash, sizeof(c->token_hash), v, k, err);
	if (!strcmp(k, "theme")) {
		if (strcmp(v, "auto") && strcmp(v, "dark") &&
		    strcmp(v, "light"))
			return hv_err_set(err, EINVAL,
			                  "theme: auto, dark or light");
		return cp(c->theme, sizeof(c->theme), v, k, err);
	}
	if (!strcmp(k, "power_budget_watts"))
		return num_d(k, v, 0, 1e6, &c->power_budget_w, err);
	if (!strcmp(k, "rundir"))
		return cp(c->rundir, sizeof(c->rundir), v, k, err);
	if (!strcmp(k, "journal"))
		return cp(c->journal, sizeof(c->journal), v, k, err);
	return hv_err_set(err, EINVAL, "unknown key '%s'", k);
}

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	char *e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int web_config_load(web_config *c, const char *path, hv_err *err)
{
	FILE *f = fopen(path, "re");
	char line[1024];
	unsigned lineno = 0;
	int rc = 0;
	if (!f)
		return hv_err_set(err, errno, "%s: %s", path, strerror(errno));
	while (fgets(line, sizeof(line), f)) {
		lineno++;
		if (!strchr(line, '\n') && !feof(f)) {
			rc = hv_err_set(err, EINVAL, "%s:%u: line too long",
			                path, lineno);
			goto out;
		}
		char *hash = strchr(line, '#');
		/* '#' starts a comment only at a line start or after space, so
		 * crypt hashes and paths keep theirs. */
		if (hash && (hash == line || isspace((unsigned char)hash[-1])))
			*hash = '\0';
		char *s = trim(line);
		if (!*s)
			continue;
		char *eq = strchr(s, '=');
		if (!eq) {
			rc = hv_err_set(err, EINVAL,
			                "%s:%u: expected key = value", path,
			                lineno);
			goto out;
		}
		*eq = '\0';
		rc = web_config_set(c, trim(s), trim(eq + 1), err);
		if (rc) {
			hv_err_prefix(err, "%s:%u", path, lineno);
			goto out;
		}
	}
out:
	fclose(f);
	return rc;
}
