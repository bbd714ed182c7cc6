/* SPDX-License-Identifier: MIT */
/* hv-webd configuration: "key = value" lines, '#' comments, read by
 * libhv's table-driven reader (hv/cfg.h); the command line sets the same
 * keys. Every key is documented in hv-webd.1 and
 * webui/contrib/hv-webd.conf.example. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/cfg.h"
#include "web.h"

#define STR_(x) #x
#define STR(x) STR_(x)
#define O(f) offsetof(web_config, f)

static int bad(char *why, size_t wlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int bad(char *why, size_t wlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, wlen, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

/* ADDR:PORT, [V6]:PORT, ADDR or :PORT */
static int parse_listen(web_config *c, const char *s, char *why, size_t wlen)
{
	char addr[64] = "", *end;
	const char *port = NULL, *e;
	size_t alen;
	unsigned long p;

	if (s[0] == '[') {
		e = strchr(s, ']');
		if (!e || (size_t)(e - s - 1) >= sizeof(addr) ||
		    (e[1] && e[1] != ':'))
			return bad(why, wlen, "bad address '%s'", s);
		alen = (size_t)(e - s - 1);
		memcpy(addr, s + 1, alen);
		port = e[1] ? e + 2 : NULL;
	} else {
		e = strrchr(s, ':');
		alen = e ? (size_t)(e - s) : strlen(s);
		if (alen >= sizeof(addr))
			return bad(why, wlen, "address too long");
		memcpy(addr, s, alen);
		port = e ? e + 1 : NULL;
	}
	addr[alen] = '\0';
	if (port) {
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || !*port || *end || p > 65535)
			return bad(why, wlen,
			           "port '%s' is not an integer in 0..65535",
			           port);
		c->port = (unsigned)p;
	}
	if (addr[0])
		snprintf(c->listen_addr, sizeof(c->listen_addr), "%s", addr);
	return 0;
}

static int listen_key(const hv_cfg_key *k, void *obj, char *v, char *why,
                      size_t wlen)
{
	(void)k;
	return parse_listen(obj, v, why, wlen);
}

static int theme_key(const hv_cfg_key *k, void *obj, char *v, char *why,
                     size_t wlen)
{
	if (strcmp(v, "auto") && strcmp(v, "dark") && strcmp(v, "light"))
		return bad(why, wlen, "auto, dark or light");
	snprintf((char *)obj + k->off, (size_t)k->max, "%s", v);
	return 0;
}

#define TEXT(key, f, def, help)                                              \
	{                                                                    \
		"", key, HV_CFG_TEXT, O(f), 0, sizeof(((web_config *)0)->f), \
		    def, help, NULL, NULL                                    \
	}
#define UINT(key, f, lo, hi, def, help)                                   \
	{                                                                 \
		"", key, HV_CFG_UINT, O(f), lo, hi, def, help, NULL, NULL \
	}

static const hv_cfg_key keys[] = {
    {"", "listen", HV_CFG_FUNC, O(listen_addr), 0, 0,
     WEB_DEFAULT_ADDR ":" STR(WEB_DEFAULT_PORT),
     "ADDR:PORT, [V6]:PORT, ADDR or :PORT", NULL, listen_key},
    TEXT("backend", backend, NULL, "kvm, xen, synth or replay (auto)"),
    UINT("synth_domains", synth_domains, 0, 100000, NULL,
         "synth backend: domains"),
    UINT("synth_vcpus", synth_vcpus, 1, 512, "2", "synth backend: vCPUs"),
    TEXT("qmp_dirs", qmp_dirs, NULL, "where QMP sockets are looked for"),
    {"", "period", HV_CFG_NUM, O(period_s), 0.05, 3600, "1",
     "collector period, seconds", NULL, NULL},
    UINT("ring", ring, 2, 100000, "600", "snapshots kept"),
    TEXT("rrd_dir", rrd_dir, NULL, "RRD history directory (none)"),
    UINT("rrd_step", rrd_step, 1, 3600, "10", "RRD step, seconds"),
    TEXT("rrdcached", rrdcached, NULL, "rrdcached address (write directly)"),
    UINT("connection_limit", conn_limit, 1, 10000, "64", "connections at once"),
    UINT("per_ip_limit", per_ip_limit, 1, 10000, "16",
         "connections at once from one address"),
    UINT("connection_timeout", conn_timeout_s, 1, 3600, "30",
         "idle connection timeout, seconds"),
    TEXT("tls_key", tls_key, NULL, "TLS key file (with tls_cert: HTTPS)"),
    TEXT("tls_cert", tls_cert, NULL, "TLS certificate file"),
    {"", "control", HV_CFG_BOOL, O(control), 0, 0, "no",
     "allow knob changes (needs auth_hash or token_hash)", NULL, NULL},
    TEXT("auth_user", auth_user, NULL, "Basic auth user"),
    TEXT("auth_hash", auth_hash, NULL, "crypt(3) hash of the password"),
    TEXT("token_hash", token_hash, NULL, "crypt(3) hash of the token"),
    {"", "theme", HV_CFG_FUNC, O(theme), 0, sizeof(((web_config *)0)->theme),
     "auto", "auto, dark or light", NULL, theme_key},
    {"", "power_budget_watts", HV_CFG_NUM, O(power_budget_w), 0, 1e6, "0",
     "budget line on the power chart (0 = none)", NULL, NULL},
    TEXT("rundir", rundir, NULL, "hv-powerd's run directory"),
    TEXT("journal", journal, NULL, "control journal"),
    {0},
};

static const hv_cfg_key *const tables[] = {keys, NULL};
static const hv_cfg_spec spec = {tables, 0};

void web_config_defaults(web_config *c)
{
	memset(c, 0, sizeof(*c));
	/* cannot fail: web_unit checks the defaults */
	hv_cfg_defaults(&spec, c, NULL);
}

int web_parse_listen(web_config *c, const char *s, hv_err *err)
{
	char why[200];

	if (parse_listen(c, s, why, sizeof(why)))
		return hv_err_set(err, EINVAL, "listen: %s", why);
	return 0;
}

int web_config_set(web_config *c, const char *k, const char *v, hv_err *err)
{
	return hv_cfg_set(&spec, c, "", k, v, err);
}

/* Keys set twice: the last wins (as the command line over the file). */
int web_config_load(web_config *c, const char *path, hv_err *err)
{
	return hv_cfg_load(&spec, path, c, sizeof(*c), NULL, err);
}
