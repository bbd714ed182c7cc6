/* SPDX-License-Identifier: MIT */
/* Helpers every hvctl command shares: messages, sampling, cells, JSON. */
#include <err.h>
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "hv/sysio.h"
#include "hvctl.h"

int hvctl_fail(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vwarnx(fmt, ap); /* "hvctl: ...\n" on stderr */
	va_end(ap);
	return HVCTL_FAIL;
}

int hvctl_bad_usage(const hvctl_ctx *c)
{
	char line[160];

	if (c->cmd)
		fprintf(stderr, "hvctl: usage: hvctl %s\n",
		        hvctl_usage_line(c->cmd, line, sizeof(line)));
	return HVCTL_USAGE;
}

int hvctl_open_backend(hvctl_ctx *c)
{
	hv_backend_opts o = {.name = c->backend_name};
	hv_err err = {0};

	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&c->env, &err) ||
	    hv_backend_open(&c->env, &o, &c->b, &err))
		return hvctl_fail("%s", err.msg);
	return 0;
}

int hvctl_take(hvctl_ctx *c, hv_snap **s)
{
	hv_err err = {0};

	if (hv_backend_sample(c->b, s, &err))
		return hvctl_fail("sample: %s", err.msg);
	return 0;
}

void hvctl_sleep(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

int hvctl_take_two(hvctl_ctx *c, double interval, hv_snap **a, hv_snap **b,
                   hv_rates **r)
{
	hv_err err = {0};

	*a = *b = NULL;
	*r = NULL;
	if (hvctl_take(c, a))
		return HVCTL_FAIL;
	hvctl_sleep(interval);
	if (hvctl_take(c, b))
		return HVCTL_FAIL;
	*r = hv_rates_compute(*a, *b, &err);
	if (!*r)
		return hvctl_fail("rates: %s", err.msg);
	return 0;
}

const char *hvctl_u64s(char *buf, size_t len, hv_u64 v, double scale,
                       const char *fmt)
{
	if (!hv_ok(v))
		return "-";
	snprintf(buf, len, fmt, (double)v.v * scale);
	return buf;
}

const char *hvctl_dbl(char *buf, size_t len, double v, const char *fmt)
{
	if (isnan(v))
		return "-";
	snprintf(buf, len, fmt, v);
	return buf;
}

static cJSON *jround(double v, int decimals)
{
	double m = pow(10, decimals);

	if (!isfinite(v))
		return cJSON_CreateNull();
	/* cJSON prints the shortest form that reads back: 12.5, not
	 * 12.500000000000002. */
	return cJSON_CreateNumber(round(v * m) / m);
}

cJSON *hvctl_ju64(hv_u64 v)
{
	return hv_ok(v) ? cJSON_CreateNumber((double)v.v) : cJSON_CreateNull();
}

cJSON *hvctl_jdbl(double v)
{
	return jround(v, HVCTL_JSON_DECIMALS);
}

cJSON *hvctl_jscaled(hv_u64 v, double scale, int decimals)
{
	return hv_ok(v) ? jround((double)v.v * scale, decimals)
	                : cJSON_CreateNull();
}

int hvctl_print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	cJSON_Delete(o);
	if (!s)
		return hvctl_fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

bool hvctl_cpu_selected(const hvctl_ctx *c, const uint64_t *bits,
                        const hv_pcpu *p)
{
	if (!c->cpus)
		return p->online == 1;
	return p->id < HVCTL_MAXCPU && (bits[p->id / 64] >> (p->id % 64)) & 1;
}

int hvctl_parse_cpus(const hvctl_ctx *c, uint64_t *bits)
{
	if (c->cpus && hv_parse_cpulist(c->cpus, bits, HVCTL_MAXCPU)) {
		hvctl_fail("bad CPU list \"%s\" (want e.g. 0-3,8)", c->cpus);
		return HVCTL_USAGE;
	}
	return 0;
}

bool hvctl_is_arm(const hv_host *h)
{
	return !strncmp(h->arch, "aarch64", 7) || !strncmp(h->arch, "arm", 3);
}
