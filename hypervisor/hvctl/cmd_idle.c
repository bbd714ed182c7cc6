/* SPDX-License-Identifier: MIT */
/* hvctl idle [show] | idle disable|enable STATE | idle limit-latency US */
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "hv/platform.h"
#include "hv/sysio.h"
#include "hvctl.h"

static cJSON *state_json(const hv_pcpu *p, uint32_t k)
{
	const hv_cstate *cs = &p->cstate[k];
	cJSON *x = cJSON_CreateObject();

	cJSON_AddNumberToObject(x, "cpu", p->id);
	cJSON_AddNumberToObject(x, "state", k);
	cJSON_AddStringToObject(x, "name", cs->name);
	cJSON_AddStringToObject(x, "desc", cs->desc);
	cJSON_AddNumberToObject(x, "latency_us", cs->latency_us);
	cJSON_AddBoolToObject(x, "disabled", cs->disabled);
	cJSON_AddItemToObject(x, "usage", hvctl_ju64(cs->usage));
	cJSON_AddItemToObject(
	    x, "time_s", hvctl_jscaled(cs->time_ns, 1e-9, HVCTL_JSON_DECIMALS));
	return x;
}

static void state_row(const hv_pcpu *p, uint32_t k)
{
	const hv_cstate *cs = &p->cstate[k];
	char b1[32], b2[32];

	printf("%-4u %-5u %-14s %-26s %8u %-8s %12s %12s\n", p->id, k, cs->name,
	       cs->desc, cs->latency_us, cs->disabled ? "yes" : "no",
	       hvctl_u64s(b1, 32, cs->usage, 1, "%.0f"),
	       hvctl_u64s(b2, 32, cs->time_ns, 1e-9, "%.3f"));
}

int hvctl_cmd_idle_show(hvctl_ctx *c, int argc, char **argv)
{
	uint64_t bits[HVCTL_MAXCPU / 64] = {0};
	hv_snap *s = NULL;
	cJSON *o = NULL, *arr = NULL;
	int rc;
	(void)argc, (void)argv;

	if ((rc = hvctl_parse_cpus(c, bits)) || (rc = hvctl_take(c, &s)))
		return rc;
	const hv_host *h = hv_snap_host(s);
	if (c->json) {
		o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "driver", h->idle_driver);
		cJSON_AddStringToObject(o, "governor", h->idle_governor);
		if (h->idle_note[0])
			cJSON_AddStringToObject(o, "note", h->idle_note);
		arr = cJSON_AddArrayToObject(o, "states");
	} else {
		printf("driver %s, governor %s\n",
		       h->idle_driver[0] ? h->idle_driver : "-",
		       h->idle_governor[0] ? h->idle_governor : "-");
		printf("%-4s %-5s %-14s %-26s %8s %-8s %12s %12s\n", "CPU",
		       "STATE", "NAME", "DESC", "LAT_US", "DISABLED", "USAGE",
		       "TIME_S");
	}
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		if (c->cpus && !hvctl_cpu_selected(c, bits, p))
			continue;
		for (uint32_t k = 0; k < p->nr_cstate; k++) {
			if (arr)
				cJSON_AddItemToArray(arr, state_json(p, k));
			else
				state_row(p, k);
		}
	}
	if (!o && h->idle_note[0])
		printf("note: %s\n", h->idle_note);
	hv_snap_unref(s);
	return o ? hvctl_print_json(o) : 0;
}

/* STATE is an index or a name as cpuidle shows it ("C6"): the index of
 * the first CPU that has a state of that name. */
static int state_index(hvctl_ctx *c, const char *word, unsigned *st)
{
	hv_snap *s = NULL;
	uint64_t v;
	int found = 0;

	if (!hv_parse_u64(word, &v) && v < HV_CSTATE_MAX) {
		*st = (unsigned)v;
		return 0;
	}
	if (hvctl_take(c, &s))
		return HVCTL_FAIL;
	const hv_host *h = hv_snap_host(s);
	for (uint32_t i = 0; i < h->nr_pcpu && !found; i++)
		for (uint32_t k = 0; k < h->pcpu[i].nr_cstate && !found; k++)
			if (!strcasecmp(h->pcpu[i].cstate[k].name, word)) {
				*st = k;
				found = 1;
			}
	hv_snap_unref(s);
	if (!found)
		return hvctl_fail("no idle state \"%s\" (see hvctl idle show)",
		                  word);
	return 0;
}

static int idle_toggle(hvctl_ctx *c, char **argv, const char *val)
{
	char fmt[64];
	unsigned st = 0;
	int rc;

	if ((rc = state_index(c, argv[0], &st)))
		return rc;
	snprintf(fmt, sizeof(fmt), "cpu/%%u/cstate/%u/disable", st);
	return hvctl_apply(c, fmt, val, true, 0);
}

int hvctl_cmd_idle_disable(hvctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	return idle_toggle(c, argv, "1");
}

int hvctl_cmd_idle_enable(hvctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	return idle_toggle(c, argv, "0");
}

/* PM QoS is a host (Linux) facility with no backend knob: held through
 * the platform layer for as long as we run. */
int hvctl_cmd_idle_limit(hvctl_ctx *c, int argc, char **argv)
{
	hv_plat *p = NULL;
	hv_err err = {0};
	uint64_t us;
	sigset_t set;
	int sig, rc = 0;
	(void)argc;

	if (hv_parse_u64(argv[0], &us) || us > INT32_MAX)
		return hvctl_bad_usage(c);
	if (hv_plat_open(&c->env, &p, &err))
		return hvctl_fail("%s", err.msg);
	sigemptyset(&set);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGTERM);
	sigprocmask(SIG_BLOCK, &set, NULL);
	if (hv_plat_qos_hold(p, (int32_t)us, &err)) {
		rc = hvctl_fail("%s", err.msg);
		goto out;
	}
	if (c->json)
		printf("{\"latency_us\": %llu, \"held\": true}\n",
		       (unsigned long long)us);
	else
		printf("holding CPU latency limit %llu us%s\n",
		       (unsigned long long)us,
		       c->duration > 0 ? "" : " until Ctrl-C");
	fflush(stdout);
	if (c->duration > 0) {
		double whole = (double)(time_t)c->duration;
		struct timespec ts = {.tv_sec = (time_t)c->duration,
		                      .tv_nsec =
		                          (long)((c->duration - whole) * 1e9)};
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
