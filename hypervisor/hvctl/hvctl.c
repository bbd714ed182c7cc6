/* SPDX-License-Identifier: MIT */
/* hvctl: operator CLI for pCPUs, P-states, C-states, energy and domains,
 * in the spirit of xenpm and xen-hptool. Table-driven subcommands; all
 * host access through libhv's public API (backends, knobs, rates), so it
 * runs on kvm, xen, replay and synth alike. */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hv/backend.h"
#include "hv/fields.h"
#include "hv/platform.h"
#include "hv/rates.h"
#include "hv/sample.h"
#include "hv/sysio.h"

#define HVCTL_VERSION "0.1.0"
#define MAXCPU 8192

typedef struct ctx {
	const char *backend_name;
	bool json;
	double interval;  /* < 0: the command's default */
	const char *cpus; /* --cpu LIST */
	double duration;  /* idle limit-latency --duration */
	hv_env env;
	hv_backend *b;
} ctx;

typedef struct cmd {
	const char *name; /* "cpu list" */
	int (*fn)(ctx *c, int argc, char **argv);
	const char *usage;
	const char *help;
} cmd;

static int fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int fail(const char *fmt, ...)
{
	va_list ap;

	fputs("hvctl: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return 1;
}

static int open_backend(ctx *c)
{
	hv_backend_opts o = {.name = c->backend_name};
	hv_err err = {0};

	hv_env_raise_nofile(); /* room for the kvm backend's fd cache */
	if (hv_env_init(&c->env, &err) ||
	    hv_backend_open(&c->env, &o, &c->b, &err))
		return fail("%s", err.msg);
	return 0;
}

static int take(ctx *c, hv_snap **s)
{
	hv_err err = {0};

	if (hv_backend_sample(c->b, s, &err))
		return fail("sample: %s", err.msg);
	return 0;
}

static void sleep_s(double s)
{
	struct timespec ts;

	if (s <= 0)
		return;
	ts.tv_sec = (time_t)s;
	ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* Two samples `interval` apart and their rates. */
static int take_two(ctx *c, double interval, hv_snap **a, hv_snap **b,
                    hv_rates **r)
{
	hv_err err = {0};

	*a = *b = NULL;
	*r = NULL;
	if (take(c, a))
		return 1;
	sleep_s(interval);
	if (take(c, b))
		return 1;
	*r = hv_rates_compute(*a, *b, &err);
	if (!*r)
		return fail("rates: %s", err.msg);
	return 0;
}

/* ---- formatting helpers ---- */

static const char *u64s(char *buf, size_t len, hv_u64 v, double scale,
                        const char *fmt)
{
	if (!hv_ok(v))
		return "-";
	snprintf(buf, len, fmt, (double)v.v * scale);
	return buf;
}

static const char *dbl(char *buf, size_t len, double v, const char *fmt)
{
	if (isnan(v))
		return "-";
	snprintf(buf, len, fmt, v);
	return buf;
}

static cJSON *ju64(hv_u64 v)
{
	return hv_ok(v) ? cJSON_CreateNumber((double)v.v) : cJSON_CreateNull();
}

static cJSON *jdbl(double v)
{
	return isnan(v) || isinf(v) ? cJSON_CreateNull()
	                            : cJSON_CreateNumber(v);
}

static int print_json(cJSON *o)
{
	char *s = cJSON_Print(o);

	cJSON_Delete(o);
	if (!s)
		return fail("out of memory");
	puts(s);
	free(s);
	return 0;
}

/* --cpu LIST against the CPUs in a snapshot; NULL list = all online. */
static int cpu_selected(ctx *c, const uint64_t *bits, const hv_pcpu *p)
{
	if (!c->cpus)
		return p->online != 0;
	return p->id < MAXCPU && (bits[p->id / 64] >> (p->id % 64)) & 1;
}

static int parse_cpus(ctx *c, uint64_t *bits)
{
	if (c->cpus && hv_parse_cpulist(c->cpus, bits, MAXCPU))
		return fail("bad CPU list \"%s\" (want e.g. 0-3,8)", c->cpus);
	return 0;
}

/* ---- cpu ---- */

static int cmd_cpu_list(ctx *c, int argc, char **argv)
{
	hv_snap *a, *b;
	hv_rates *r;
	int rc;
	(void)argc, (void)argv;

	if ((rc =
	         take_two(c, c->interval >= 0 ? c->interval : 0.5, &a, &b, &r)))
		goto out;
	const hv_host *h = hv_snap_host(b);
	const hv_host_rate *hr = hv_rates_host(r);
	if (c->json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		cJSON_AddStringToObject(o, "arch", h->arch);
		cJSON_AddStringToObject(o, "cpu_model", h->cpu_model);
		cJSON_AddNumberToObject(o, "interval_s", hv_rates_dt(r));
		cJSON_AddItemToObject(o, "busy_pct", jdbl(hr->busy_pct));
		cJSON_AddItemToObject(o, "cpus", arr);
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			const hv_pcpu *p = &h->pcpu[i];
			const hv_pcpu_rate *pr =
			    i < hr->nr_pcpu ? &hr->pcpu[i] : NULL;
			cJSON *e = cJSON_CreateObject(), *cs;
			cJSON_AddNumberToObject(e, "id", p->id);
			cJSON_AddItemToObject(
			    e, "online",
			    p->online < 0 ? cJSON_CreateNull()
			                  : cJSON_CreateBool(p->online));
			cJSON_AddBoolToObject(e, "hotplug", p->hotplug);
			cJSON_AddNumberToObject(e, "pkg", p->pkg);
			cJSON_AddNumberToObject(e, "die", p->die);
			cJSON_AddNumberToObject(e, "core", p->core);
			cJSON_AddItemToObject(e, "cur_khz", ju64(p->cur_khz));
			cJSON_AddStringToObject(e, "governor", p->governor);
			cJSON_AddItemToObject(e, "busy_pct",
			                      jdbl(pr ? pr->busy_pct : NAN));
			cs = cJSON_AddArrayToObject(e, "cstates");
			for (uint32_t k = 0; k < p->nr_cstate; k++) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddStringToObject(x, "name",
				                        p->cstate[k].name);
				cJSON_AddNumberToObject(
				    x, "latency_us", p->cstate[k].latency_us);
				cJSON_AddBoolToObject(x, "disabled",
				                      p->cstate[k].disabled);
				cJSON_AddItemToObject(
				    x, "residency_pct",
				    jdbl(pr ? pr->cstate_pct[k] : NAN));
				cJSON_AddItemToArray(cs, x);
			}
			cJSON_AddItemToArray(arr, e);
		}
		rc = print_json(o);
		goto out;
	}
	printf("%-4s %-6s %-7s %3s %4s %8s %-12s %6s  %s\n", "CPU", "ONLINE",
	       "HOTPLUG", "PKG", "CORE", "MHZ", "GOVERNOR", "BUSY%",
	       "C-STATE RESIDENCY %");
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		const hv_pcpu_rate *pr = i < hr->nr_pcpu ? &hr->pcpu[i] : NULL;
		char b1[32], b2[32], b3[32], b4[32];
		printf("%-4u %-6s %-7s %3s %4s %8s %-12s %6s ", p->id,
		       p->online < 0 ? "?"
		       : p->online   ? "yes"
		                     : "no",
		       p->hotplug ? "yes" : "no",
		       p->pkg < 0 ? "-" : (snprintf(b1, 32, "%d", p->pkg), b1),
		       p->core < 0 ? "-"
		                   : (snprintf(b2, 32, "%d", p->core), b2),
		       u64s(b3, 32, p->cur_khz, 1e-3, "%.0f"),
		       p->governor[0] ? p->governor : "-",
		       dbl(b4, 32, pr ? pr->busy_pct : NAN, "%.1f"));
		for (uint32_t k = 0; k < p->nr_cstate; k++)
			printf(
			    " %s%s:%s", p->cstate[k].name,
			    p->cstate[k].disabled ? "(off)" : "",
			    dbl(b1, 32, pr ? pr->cstate_pct[k] : NAN, "%.1f"));
		putchar('\n');
	}
	printf("host busy %s%% over %.2f s (%s backend; %s%s%s)\n",
	       dbl((char[32]){0}, 32, hr->busy_pct, "%.1f"), hv_rates_dt(r),
	       hv_backend_name(c->b), h->arch[0] ? h->arch : "arch unknown",
	       h->cpu_model[0] ? ", " : "", h->cpu_model);
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}

/* Apply knob=val on each selected CPU; on the first failure undo what was
 * done, so a refusal leaves nothing changed. */
static int apply(ctx *c, const char *fmt, const char *val, bool all_online,
                 unsigned single)
{
	uint64_t bits[MAXCPU / 64] = {0};
	hv_change *chg = NULL;
	size_t n = 0;
	hv_snap *s = NULL;
	hv_err err = {0};
	cJSON *arr = NULL;
	int rc = 0;

	if (all_online && (rc = parse_cpus(c, bits)))
		return rc;
	/* One CPU needs no sample (a kvm sample also polls QMP). */
	if (all_online && (rc = take(c, &s)))
		return rc;
	const hv_host *h = s ? hv_snap_host(s) : NULL;
	chg = calloc(h ? h->nr_pcpu + 1 : 1, sizeof(*chg));
	if (!chg) {
		rc = fail("out of memory");
		goto out;
	}
	if (!all_online) {
		char knob[HV_KNOB_LEN];
		snprintf(knob, sizeof(knob), fmt, single);
		if (hv_knob_set(c->b, knob, val, &chg[0], &err)) {
			rc = fail("%s", err.msg);
			goto out;
		}
		n = 1;
	} else if (h) {
		for (uint32_t i = 0; i < h->nr_pcpu; i++) {
			char knob[HV_KNOB_LEN];
			if (!(c->cpus ? cpu_selected(c, bits, &h->pcpu[i])
			              : h->pcpu[i].online == 1))
				continue;
			snprintf(knob, sizeof(knob), fmt, h->pcpu[i].id);
			if (hv_knob_set(c->b, knob, val, &chg[n], &err)) {
				rc = fail("%s", err.msg);
				while (n > 0) { /* roll back, newest first */
					hv_err e2 = {0};
					if (hv_knob_undo(c->b, &chg[--n], &e2))
						fail("undo %s: %s", chg[n].knob,
						     e2.msg);
				}
				goto out;
			}
			n++;
		}
		if (!n) {
			rc = fail("no CPU selected%s",
			          c->cpus ? " (check --cpu)" : "");
			goto out;
		}
	}
	if (c->json) {
		arr = cJSON_CreateArray();
		for (size_t i = 0; i < n; i++) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "knob", chg[i].knob);
			cJSON_AddStringToObject(e, "old", chg[i].old);
			cJSON_AddStringToObject(e, "new", chg[i].new_);
			cJSON_AddItemToArray(arr, e);
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddItemToObject(o, "changes", arr);
		rc = print_json(o);
	} else {
		for (size_t i = 0; i < n; i++)
			printf("%s: %s -> %s\n", chg[i].knob, chg[i].old,
			       chg[i].new_);
	}
out:
	free(chg);
	hv_snap_unref(s);
	return rc;
}

static int parse_uint(const char *s, unsigned *out, const char *what)
{
	uint64_t v;

	if (!s || hv_parse_u64(s, &v) || v >= MAXCPU)
		return fail("bad %s \"%s\"", what, s ? s : "");
	*out = (unsigned)v;
	return 0;
}

static int cpu_onoff(ctx *c, int argc, char **argv, const char *val)
{
	unsigned cpu = 0;

	if (argc != 1)
		return fail("usage: hvctl cpu %s N",
		            val[0] == '1' ? "online" : "offline");
	if (parse_uint(argv[0], &cpu, "CPU number"))
		return 1;
	int rc = apply(c, "cpu/%u/online", val, false, cpu);
	hv_snap *s = NULL;
	/* Xen on ARM has no pCPU offline: the backend moved the CPU out of
	 * (or back into) a cpupool instead. Say so. */
	if (!rc && !c->json && !strcmp(hv_backend_name(c->b), "xen") &&
	    !take(c, &s)) {
		const hv_host *h = hv_snap_host(s);
		if (!strncmp(h->arch, "aarch64", 7) ||
		    !strncmp(h->arch, "arm", 3))
			printf("cpu%u %s (Xen on ARM has no pCPU offline: "
			       "cpupools stand in for it)\n",
			       cpu,
			       val[0] == '1' ? "added to Pool-0"
			                     : "removed from its cpupool");
		hv_snap_unref(s);
	}
	return rc;
}

static int cmd_cpu_offline(ctx *c, int argc, char **argv)
{
	return cpu_onoff(c, argc, argv, "0");
}

static int cmd_cpu_online(ctx *c, int argc, char **argv)
{
	return cpu_onoff(c, argc, argv, "1");
}

/* ---- freq ---- */

static int cmd_freq_show(ctx *c, int argc, char **argv)
{
	uint64_t bits[MAXCPU / 64] = {0};
	hv_snap *s = NULL;
	int rc;
	(void)argv;

	if (argc)
		return fail("usage: hvctl freq [show] [--cpu LIST]");
	if ((rc = parse_cpus(c, bits)) || (rc = take(c, &s)))
		return rc;
	const hv_host *h = hv_snap_host(s);
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
	if (!c->json)
		printf("%-4s %-14s %-12s %8s %8s %8s %8s %8s %-20s %s\n", "CPU",
		       "DRIVER", "GOVERNOR", "CUR_MHZ", "MIN_MHZ", "MAX_MHZ",
		       "HWMIN", "HWMAX", "EPP", "P-STATES");
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		char b[5][32];
		if (c->cpus && !cpu_selected(c, bits, p))
			continue;
		if (c->json) {
			cJSON *e = cJSON_CreateObject(), *ps;
			cJSON_AddNumberToObject(e, "id", p->id);
			cJSON_AddStringToObject(e, "driver", p->driver);
			cJSON_AddStringToObject(e, "governor", p->governor);
			cJSON_AddItemToObject(e, "cur_khz", ju64(p->cur_khz));
			cJSON_AddItemToObject(e, "min_khz", ju64(p->min_khz));
			cJSON_AddItemToObject(e, "max_khz", ju64(p->max_khz));
			cJSON_AddItemToObject(e, "hw_min_khz",
			                      ju64(p->hw_min_khz));
			cJSON_AddItemToObject(e, "hw_max_khz",
			                      ju64(p->hw_max_khz));
			cJSON_AddStringToObject(e, "epp", p->epp);
			ps = cJSON_AddArrayToObject(e, "pstates");
			for (uint32_t k = 0; k < p->nr_pstate; k++) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddNumberToObject(
				    x, "khz", (double)p->pstate[k].khz);
				hv_u64 t = p->pstate[k].time_ns;
				cJSON_AddItemToObject(
				    x, "time_s",
				    hv_ok(t)
				        ? cJSON_CreateNumber((double)t.v / 1e9)
				        : cJSON_CreateNull());
				cJSON_AddItemToArray(ps, x);
			}
			cJSON_AddItemToArray(arr, e);
			continue;
		}
		printf("%-4u %-14s %-12s %8s %8s %8s %8s %8s %-20s", p->id,
		       p->driver[0] ? p->driver : "-",
		       p->governor[0] ? p->governor : "-",
		       u64s(b[0], 32, p->cur_khz, 1e-3, "%.0f"),
		       u64s(b[1], 32, p->min_khz, 1e-3, "%.0f"),
		       u64s(b[2], 32, p->max_khz, 1e-3, "%.0f"),
		       u64s(b[3], 32, p->hw_min_khz, 1e-3, "%.0f"),
		       u64s(b[4], 32, p->hw_max_khz, 1e-3, "%.0f"),
		       p->epp[0] ? p->epp : "-");
		for (uint32_t k = 0; k < p->nr_pstate; k++)
			printf(" %.0f:%s", (double)p->pstate[k].khz / 1e3,
			       u64s(b[0], 32, p->pstate[k].time_ns, 1e-9,
			            "%.2fs"));
		putchar('\n');
	}
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		if (h->freq_note[0])
			cJSON_AddStringToObject(o, "note", h->freq_note);
		cJSON_AddItemToObject(o, "cpus", arr);
		hv_snap_unref(s);
		return print_json(o);
	}
	if (h->freq_note[0])
		printf("note: %s\n", h->freq_note);
	hv_snap_unref(s);
	return 0;
}

static int cmd_freq_set(ctx *c, int argc, char **argv)
{
	static const struct {
		const char *word, *knob;
	} map[] = {{"governor", "cpu/%u/governor"},
	           {"min", "cpu/%u/min_khz"},
	           {"max", "cpu/%u/max_khz"},
	           {"epp", "cpu/%u/epp"}};

	if (argc != 2)
		return fail("usage: hvctl freq set [--cpu LIST] governor G | "
		            "min KHZ | max KHZ | epp PREF");
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(argv[0], map[i].word))
			return apply(c, map[i].knob, argv[1], true, 0);
	return fail("freq set: unknown setting \"%s\" (governor, min, max, "
	            "epp)",
	            argv[0]);
}

/* ---- idle ---- */

static int cmd_idle_show(ctx *c, int argc, char **argv)
{
	uint64_t bits[MAXCPU / 64] = {0};
	hv_snap *s = NULL;
	int rc;
	(void)argv;

	if (argc)
		return fail("usage: hvctl idle [show] [--cpu LIST]");
	if ((rc = parse_cpus(c, bits)) || (rc = take(c, &s)))
		return rc;
	const hv_host *h = hv_snap_host(s);
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
	if (!c->json) {
		printf("driver %s, governor %s\n",
		       h->idle_driver[0] ? h->idle_driver : "-",
		       h->idle_governor[0] ? h->idle_governor : "-");
		printf("%-4s %-5s %-14s %-26s %8s %-8s %12s %12s\n", "CPU",
		       "STATE", "NAME", "DESC", "LAT_US", "DISABLED", "USAGE",
		       "TIME_S");
	}
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		if (c->cpus && !cpu_selected(c, bits, p))
			continue;
		for (uint32_t k = 0; k < p->nr_cstate; k++) {
			const hv_cstate *cs = &p->cstate[k];
			char b1[32], b2[32];
			if (c->json) {
				cJSON *x = cJSON_CreateObject();
				cJSON_AddNumberToObject(x, "cpu", p->id);
				cJSON_AddNumberToObject(x, "state", k);
				cJSON_AddStringToObject(x, "name", cs->name);
				cJSON_AddStringToObject(x, "desc", cs->desc);
				cJSON_AddNumberToObject(x, "latency_us",
				                        cs->latency_us);
				cJSON_AddBoolToObject(x, "disabled",
				                      cs->disabled);
				cJSON_AddItemToObject(x, "usage",
				                      ju64(cs->usage));
				cJSON_AddItemToObject(
				    x, "time_s",
				    hv_ok(cs->time_ns)
				        ? cJSON_CreateNumber(
				              (double)cs->time_ns.v / 1e9)
				        : cJSON_CreateNull());
				cJSON_AddItemToArray(arr, x);
				continue;
			}
			printf("%-4u %-5u %-14s %-26s %8u %-8s %12s %12s\n",
			       p->id, k, cs->name, cs->desc, cs->latency_us,
			       cs->disabled ? "yes" : "no",
			       u64s(b1, 32, cs->usage, 1, "%.0f"),
			       u64s(b2, 32, cs->time_ns, 1e-9, "%.3f"));
		}
	}
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "driver", h->idle_driver);
		cJSON_AddStringToObject(o, "governor", h->idle_governor);
		if (h->idle_note[0])
			cJSON_AddStringToObject(o, "note", h->idle_note);
		cJSON_AddItemToObject(o, "states", arr);
		hv_snap_unref(s);
		return print_json(o);
	}
	if (h->idle_note[0])
		printf("note: %s\n", h->idle_note);
	hv_snap_unref(s);
	return 0;
}

/* STATE is an index or a name as cpuidle shows it ("C6"). */
static int idle_toggle(ctx *c, int argc, char **argv, const char *val)
{
	char fmt[64];
	unsigned st = 0;
	uint64_t v;
	hv_snap *s = NULL;
	int found = 0;

	if (argc != 1)
		return fail("usage: hvctl idle %s STATE [--cpu LIST]",
		            val[0] == '1' ? "disable" : "enable");
	if (!hv_parse_u64(argv[0], &v) && v < HV_CSTATE_MAX) {
		st = (unsigned)v;
		found = 1;
	} else {
		if (take(c, &s))
			return 1;
		const hv_host *h = hv_snap_host(s);
		for (uint32_t i = 0; i < h->nr_pcpu && !found; i++)
			for (uint32_t k = 0; k < h->pcpu[i].nr_cstate; k++)
				if (!strcasecmp(h->pcpu[i].cstate[k].name,
				                argv[0])) {
					st = k;
					found = 1;
					break;
				}
		hv_snap_unref(s);
	}
	if (!found)
		return fail("no idle state \"%s\" (see hvctl idle show)",
		            argv[0]);
	snprintf(fmt, sizeof(fmt), "cpu/%%u/cstate/%u/disable", st);
	return apply(c, fmt, val, true, 0);
}

static int cmd_idle_disable(ctx *c, int argc, char **argv)
{
	return idle_toggle(c, argc, argv, "1");
}

static int cmd_idle_enable(ctx *c, int argc, char **argv)
{
	return idle_toggle(c, argc, argv, "0");
}

static int cmd_idle_limit(ctx *c, int argc, char **argv)
{
	hv_plat *p = NULL;
	hv_err err = {0};
	uint64_t us;
	sigset_t set;
	int sig, rc = 0;

	if (argc != 1 || hv_parse_u64(argv[0], &us) || us > INT32_MAX)
		return fail("usage: hvctl idle limit-latency US "
		            "[--duration S]");
	/* PM QoS is a host (Linux) facility with no backend knob: held
	 * through the platform layer for as long as we run. */
	if (hv_plat_open(&c->env, &p, &err))
		return fail("%s", err.msg);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (hv_plat_qos_hold(p, (int32_t)us, &err)) {
		rc = fail("%s", err.msg);
		goto out;
	}
	if (c->json) {
		printf("{\"latency_us\": %llu, \"held\": true}\n",
		       (unsigned long long)us);
	} else {
		printf("holding CPU latency limit %llu us%s\n",
		       (unsigned long long)us,
		       c->duration > 0 ? "" : " until Ctrl-C");
	}
	fflush(stdout);
	if (c->duration > 0) {
		struct timespec ts = {
		    .tv_sec = (time_t)c->duration,
		    .tv_nsec =
		        (long)((c->duration - (double)(time_t)c->duration) *
		               1e9)};
		(void)sigtimedwait(&set, NULL, &ts);
	} else {
		(void)sigwait(&set, &sig);
	}
	if (!c->json)
		printf("released\n");
out:
	hv_plat_close(p); /* closing the fd drops the request */
	return rc;
}

/* ---- energy ---- */

/* Why a host has no energy source: RAPL is x86 only. */
static const char *no_energy_why(const hv_host *h)
{
	if (!strncmp(h->arch, "aarch64", 7) || !strncmp(h->arch, "arm", 3))
		return "no energy source on this host: RAPL is x86 only, and "
		       "hvkit does not read hwmon/SCMI energy sensors yet";
	return "no RAPL zones on this host (no powercap intel-rapl)";
}

static int cmd_energy(ctx *c, int argc, char **argv)
{
	hv_snap *a, *b;
	hv_rates *r;
	int rc;
	(void)argv;

	if (argc)
		return fail("usage: hvctl energy [--interval S]");
	if ((rc =
	         take_two(c, c->interval >= 0 ? c->interval : 1.0, &a, &b, &r)))
		goto out;
	const hv_host *h = hv_snap_host(b);
	const hv_host_rate *hr = hv_rates_host(r);
	if (c->json) {
		cJSON *o = cJSON_CreateObject(), *arr = cJSON_CreateArray();
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		cJSON_AddNumberToObject(o, "interval_s", hv_rates_dt(r));
		cJSON_AddItemToObject(o, "pkg_watts", jdbl(hr->pkg_watts));
		for (uint32_t i = 0; i < h->nr_rapl; i++) {
			const hv_rapl *z = &h->rapl[i];
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "zone", z->path);
			cJSON_AddStringToObject(e, "name", z->name);
			cJSON_AddNumberToObject(e, "pkg", z->pkg);
			cJSON_AddItemToObject(
			    e, "energy_j",
			    hv_ok(z->energy_uj)
			        ? cJSON_CreateNumber((double)z->energy_uj.v /
			                             1e6)
			        : cJSON_CreateNull());
			cJSON_AddItemToObject(
			    e, "watts",
			    jdbl(i < hr->nr_rapl ? hr->rapl[i].watts : NAN));
			if (!hv_ok(z->energy_uj))
				cJSON_AddStringToObject(
				    e, "why",
				    hv_why_str((hv_why)z->energy_uj.why));
			cJSON_AddItemToArray(arr, e);
		}
		cJSON_AddItemToObject(o, "zones", arr);
		if (!h->nr_rapl)
			cJSON_AddStringToObject(o, "note", no_energy_why(h));
		rc = print_json(o);
		goto out;
	}
	if (!h->nr_rapl) {
		printf("%s\n", no_energy_why(h));
		goto out;
	}
	printf("%-16s %-12s %4s %16s %10s\n", "ZONE", "NAME", "PKG", "ENERGY_J",
	       "WATTS");
	for (uint32_t i = 0; i < h->nr_rapl; i++) {
		const hv_rapl *z = &h->rapl[i];
		char b1[32], b2[32];
		printf("%-16s %-12s %4d %16s %10s\n", z->path, z->name, z->pkg,
		       hv_ok(z->energy_uj)
		           ? u64s(b1, 32, z->energy_uj, 1e-6, "%.3f")
		           : hv_why_str((hv_why)z->energy_uj.why),
		       dbl(b2, 32, i < hr->nr_rapl ? hr->rapl[i].watts : NAN,
		           "%.2f"));
	}
	printf("packages %s W over %.2f s\n",
	       dbl((char[32]){0}, 32, hr->pkg_watts, "%.2f"), hv_rates_dt(r));
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}

/* ---- domains ---- */

typedef struct dom_tot {
	hv_u64 rx, tx, rd, wr, rdr, wrr;
} dom_tot;

static hv_u64 add(hv_u64 a, hv_u64 b)
{
	if (!hv_ok(b))
		return a.why == HV_OK ? b : a; /* one missing -> missing */
	return hv_ok(a) ? hv_val(a.v + b.v) : a;
}

static void totals(const hv_dom *d, dom_tot *t)
{
	hv_u64 z = d->nr_net ? hv_val(0) : hv_na(HV_NA_UNSUPPORTED);
	hv_u64 zb = d->nr_blk ? hv_val(0) : hv_na(HV_NA_UNSUPPORTED);

	t->rx = t->tx = z;
	t->rd = t->wr = t->rdr = t->wrr = zb;
	for (uint32_t i = 0; i < d->nr_net; i++) {
		t->rx = add(t->rx, d->net[i].rx_bytes);
		t->tx = add(t->tx, d->net[i].tx_bytes);
	}
	for (uint32_t i = 0; i < d->nr_blk; i++) {
		t->rd = add(t->rd, d->blk[i].rd_bytes);
		t->wr = add(t->wr, d->blk[i].wr_bytes);
		t->rdr = add(t->rdr, d->blk[i].rd_reqs);
		t->wrr = add(t->wrr, d->blk[i].wr_reqs);
	}
}

static int cmd_domains(ctx *c, int argc, char **argv)
{
	hv_snap *a = NULL, *b = NULL;
	hv_rates *r = NULL;
	bool rates = c->interval > 0;
	int rc;
	(void)argv;

	if (argc)
		return fail("usage: hvctl domains [--interval S]");
	if (rates)
		rc = take_two(c, c->interval, &a, &b, &r);
	else
		rc = take(c, &b);
	if (rc)
		goto out;
	size_t n = hv_snap_ndom(b);
	cJSON *arr = c->json ? cJSON_CreateArray() : NULL;
	if (!c->json && rates)
		printf("%-20s %8s %-6s %7s %5s %10s %12s %12s %12s %12s %8s "
		       "%8s\n",
		       "NAME", "ID", "STATE", "CPU%", "VCPUS", "MEM_KIB",
		       "NETRX_B/S", "NETTX_B/S", "RD_B/S", "WR_B/S", "RD_IOPS",
		       "WR_IOPS");
	else if (!c->json)
		printf("%-20s %8s %-6s %12s %5s %10s %14s %14s %14s %14s\n",
		       "NAME", "ID", "STATE", "CPU_S", "VCPUS", "MEM_KIB",
		       "NETRX_B", "NETTX_B", "RD_B", "WR_B");
	for (size_t i = 0; i < n; i++) {
		const hv_dom *d = hv_snap_dom(b, i);
		const hv_dom_rate *dr = r ? hv_rates_dom(r, i) : NULL;
		char st[HV_STATE_LEN], q[8][32];
		dom_tot t;
		hv_dom_state_str(d->state, st);
		totals(d, &t);
		if (c->json) {
			cJSON *e = cJSON_CreateObject();
			cJSON_AddStringToObject(e, "name", d->name);
			cJSON_AddNumberToObject(e, "id", d->id);
			cJSON_AddStringToObject(e, "state", st);
			cJSON_AddItemToObject(
			    e, "cpu_s",
			    hv_ok(d->cpu_ns)
			        ? cJSON_CreateNumber((double)d->cpu_ns.v / 1e9)
			        : cJSON_CreateNull());
			cJSON_AddNumberToObject(e, "vcpus", d->nr_vcpus);
			cJSON_AddItemToObject(e, "mem_kib", ju64(d->mem_kib));
			cJSON_AddItemToObject(e, "net_rx_bytes", ju64(t.rx));
			cJSON_AddItemToObject(e, "net_tx_bytes", ju64(t.tx));
			cJSON_AddItemToObject(e, "rd_bytes", ju64(t.rd));
			cJSON_AddItemToObject(e, "wr_bytes", ju64(t.wr));
			cJSON_AddItemToObject(e, "rd_reqs", ju64(t.rdr));
			cJSON_AddItemToObject(e, "wr_reqs", ju64(t.wrr));
			if (dr) {
				cJSON_AddItemToObject(e, "cpu_pct",
				                      jdbl(dr->cpu_pct));
				cJSON_AddItemToObject(e, "net_rx_Bps",
				                      jdbl(dr->net_rx_Bps));
				cJSON_AddItemToObject(e, "net_tx_Bps",
				                      jdbl(dr->net_tx_Bps));
				cJSON_AddItemToObject(e, "rd_Bps",
				                      jdbl(dr->blk_rd_Bps));
				cJSON_AddItemToObject(e, "wr_Bps",
				                      jdbl(dr->blk_wr_Bps));
				cJSON_AddItemToObject(e, "rd_iops",
				                      jdbl(dr->blk_rd_iops));
				cJSON_AddItemToObject(e, "wr_iops",
				                      jdbl(dr->blk_wr_iops));
			}
			cJSON_AddItemToArray(arr, e);
			continue;
		}
		if (rates) {
			printf(
			    "%-20.20s %8u %-6s %7s %5u %10s %12s %12s %12s "
			    "%12s %8s %8s\n",
			    d->name, d->id, st,
			    dbl(q[0], 32, dr ? dr->cpu_pct : NAN, "%.1f"),
			    d->nr_vcpus, u64s(q[1], 32, d->mem_kib, 1, "%.0f"),
			    dbl(q[2], 32, dr ? dr->net_rx_Bps : NAN, "%.0f"),
			    dbl(q[3], 32, dr ? dr->net_tx_Bps : NAN, "%.0f"),
			    dbl(q[4], 32, dr ? dr->blk_rd_Bps : NAN, "%.0f"),
			    dbl(q[5], 32, dr ? dr->blk_wr_Bps : NAN, "%.0f"),
			    dbl(q[6], 32, dr ? dr->blk_rd_iops : NAN, "%.1f"),
			    dbl(q[7], 32, dr ? dr->blk_wr_iops : NAN, "%.1f"));
		} else {
			printf("%-20.20s %8u %-6s %12s %5u %10s %14s %14s "
			       "%14s %14s\n",
			       d->name, d->id, st,
			       u64s(q[0], 32, d->cpu_ns, 1e-9, "%.2f"),
			       d->nr_vcpus,
			       u64s(q[1], 32, d->mem_kib, 1, "%.0f"),
			       u64s(q[2], 32, t.rx, 1, "%.0f"),
			       u64s(q[3], 32, t.tx, 1, "%.0f"),
			       u64s(q[4], 32, t.rd, 1, "%.0f"),
			       u64s(q[5], 32, t.wr, 1, "%.0f"));
		}
	}
	if (c->json) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		if (r)
			cJSON_AddNumberToObject(o, "interval_s",
			                        hv_rates_dt(r));
		cJSON_AddItemToObject(o, "domains", arr);
		rc = print_json(o);
	}
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}

/* ---- command table ---- */

static const cmd cmds[] = {
    {"cpu list", cmd_cpu_list, "cpu [list] [--interval S]",
     "pCPUs: online state, package/core, MHz, governor, busy and "
     "C-state residency"},
    {"cpu offline", cmd_cpu_offline, "cpu offline N", "take pCPU N offline"},
    {"cpu online", cmd_cpu_online, "cpu online N", "bring pCPU N online"},
    {"freq show", cmd_freq_show, "freq [show] [--cpu LIST]",
     "P-state driver, governor, limits, EPP and residency"},
    {"freq set", cmd_freq_set,
     "freq set [--cpu LIST] governor G|min KHZ|max KHZ|epp PREF",
     "change P-state policy (all online CPUs by default)"},
    {"idle show", cmd_idle_show, "idle [show] [--cpu LIST]",
     "cpuidle driver, governor and per-CPU C-states"},
    {"idle disable", cmd_idle_disable, "idle disable STATE [--cpu LIST]",
     "disable a C-state (index or name)"},
    {"idle enable", cmd_idle_enable, "idle enable STATE [--cpu LIST]",
     "enable a C-state again"},
    {"idle limit-latency", cmd_idle_limit,
     "idle limit-latency US [--duration S]",
     "hold a PM QoS CPU latency limit until Ctrl-C"},
    {"energy", cmd_energy, "energy [--interval S]",
     "RAPL energy (J) and power (W) per zone"},
    {"domains", cmd_domains, "domains [--interval S]",
     "domains with counters, or per-second rates over S seconds"},
};
#define NCMDS (sizeof(cmds) / sizeof(cmds[0]))

static void usage(FILE *f)
{
	fprintf(f, "usage: hvctl [--backend NAME] [--json] COMMAND [ARGS]\n"
	           "       hvctl --help | --version\n\ncommands:\n");
	for (size_t i = 0; i < NCMDS; i++)
		fprintf(f, "  %-58s %s\n", cmds[i].usage, cmds[i].help);
	fprintf(f, "\nbackends: kvm, xen, replay, synth (default: detected)\n"
	           "Paths honour HVKIT_SYSFS, HVKIT_PROCFS, HVKIT_DEVFS.\n");
}

static int parse_secs(const char *s, double *out, const char *what)
{
	char *end;
	double v;

	if (!s)
		return fail("%s needs a value", what);
	errno = 0;
	v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= 0) || v > 86400)
		return fail("bad %s \"%s\" (seconds)", what, s);
	*out = v;
	return 0;
}

int main(int argc, char **argv)
{
	ctx c = {.interval = -1};
	char **rest = calloc((size_t)argc + 1, sizeof(char *));
	int nrest = 0, rc = 0;
	const cmd *hit = NULL;
	int consumed = 0;

	if (!rest)
		return fail("out of memory");
	/* Options may appear anywhere; the rest are words and arguments. */
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			usage(stdout);
			goto out;
		} else if (!strcmp(a, "--version")) {
			printf("hvctl " HVCTL_VERSION "\n");
			goto out;
		} else if (!strcmp(a, "--json")) {
			c.json = true;
		} else if (!strcmp(a, "--backend")) {
			if (++i >= argc) {
				rc = fail("--backend needs a name");
				goto out;
			}
			c.backend_name = argv[i];
		} else if (!strcmp(a, "--cpu")) {
			if (++i >= argc) {
				rc = fail("--cpu needs a list");
				goto out;
			}
			c.cpus = argv[i];
		} else if (!strcmp(a, "--interval")) {
			if ((rc = parse_secs(i + 1 < argc ? argv[++i] : NULL,
			                     &c.interval, "--interval")))
				goto out;
		} else if (!strcmp(a, "--duration")) {
			if ((rc = parse_secs(i + 1 < argc ? argv[++i] : NULL,
			                     &c.duration, "--duration")))
				goto out;
		} else if (a[0] == '-' && a[1] == '-') {
			rc = fail("unknown option %s (see --help)", a);
			goto out;
		} else {
			rest[nrest++] = argv[i];
		}
	}
	if (!nrest) {
		usage(stderr);
		rc = 2;
		goto out;
	}
	/* Longest match of "word word" in the table; a bare group name
	 * ("freq", "idle") means its show command. */
	for (size_t i = 0; i < NCMDS; i++) {
		const char *sp = strchr(cmds[i].name, ' ');
		size_t l1 =
		    sp ? (size_t)(sp - cmds[i].name) : strlen(cmds[i].name);
		if (strncmp(rest[0], cmds[i].name, l1) || rest[0][l1])
			continue;
		if (!sp) {
			hit = &cmds[i];
			consumed = 1;
			break;
		}
		if (nrest > 1 && !strcmp(rest[1], sp + 1)) {
			hit = &cmds[i];
			consumed = 2;
			break;
		}
		if ((!strcmp(sp + 1, "show") || !strcmp(sp + 1, "list")) &&
		    (nrest == 1 || !hit)) { /* default subcommand */
			if (nrest == 1) {
				hit = &cmds[i];
				consumed = 1;
			}
		}
	}
	if (!hit) {
		rc = fail("unknown command \"%s%s%s\" (see --help)", rest[0],
		          nrest > 1 ? " " : "", nrest > 1 ? rest[1] : "");
		goto out;
	}
	if ((rc = open_backend(&c)))
		goto out;
	rc = hit->fn(&c, nrest - consumed, rest + consumed);
out:
	hv_backend_close(c.b);
	free(rest);
	return rc;
}
