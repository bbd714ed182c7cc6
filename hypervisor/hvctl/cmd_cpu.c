/* SPDX-License-Identifier: MIT */
/* hvctl cpu list | offline N | online N */
#include <math.h>
#include <string.h>

#include "hv/sysio.h"
#include "hvctl.h"

static cJSON *cpu_json(const hv_pcpu *p, const hv_pcpu_rate *pr)
{
	cJSON *e = cJSON_CreateObject(), *cs;

	cJSON_AddNumberToObject(e, "id", p->id);
	cJSON_AddItemToObject(e, "online",
	                      p->online < 0 ? cJSON_CreateNull()
	                                    : cJSON_CreateBool(p->online));
	cJSON_AddBoolToObject(e, "hotplug", p->hotplug);
	cJSON_AddNumberToObject(e, "pkg", p->pkg);
	cJSON_AddNumberToObject(e, "die", p->die);
	cJSON_AddNumberToObject(e, "core", p->core);
	cJSON_AddItemToObject(e, "cur_khz", hvctl_ju64(p->cur_khz));
	cJSON_AddStringToObject(e, "governor", p->governor);
	cJSON_AddItemToObject(e, "busy_pct",
	                      hvctl_jdbl(pr ? pr->busy_pct : NAN));
	cs = cJSON_AddArrayToObject(e, "cstates");
	for (uint32_t k = 0; k < p->nr_cstate; k++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "name", p->cstate[k].name);
		cJSON_AddNumberToObject(x, "latency_us",
		                        p->cstate[k].latency_us);
		cJSON_AddBoolToObject(x, "disabled", p->cstate[k].disabled);
		cJSON_AddItemToObject(x, "residency_pct",
		                      hvctl_jdbl(pr ? pr->cstate_pct[k] : NAN));
		cJSON_AddItemToArray(cs, x);
	}
	return e;
}

static void cpu_row(const hv_pcpu *p, const hv_pcpu_rate *pr)
{
	char b1[32], b2[32], b3[32], b4[32];

	printf("%-4u %-6s %-7s %3s %4s %8s %-12s %6s ", p->id,
	       p->online < 0 ? "?"
	       : p->online   ? "yes"
	                     : "no",
	       p->hotplug ? "yes" : "no",
	       p->pkg < 0 ? "-" : (snprintf(b1, 32, "%d", p->pkg), b1),
	       p->core < 0 ? "-" : (snprintf(b2, 32, "%d", p->core), b2),
	       hvctl_u64s(b3, 32, p->cur_khz, 1e-3, "%.0f"),
	       p->governor[0] ? p->governor : "-",
	       hvctl_dbl(b4, 32, pr ? pr->busy_pct : NAN, "%.1f"));
	for (uint32_t k = 0; k < p->nr_cstate; k++)
		printf(" %s%s:%s", p->cstate[k].name,
		       p->cstate[k].disabled ? "(off)" : "",
		       hvctl_dbl(b1, 32, pr ? pr->cstate_pct[k] : NAN, "%.1f"));
	putchar('\n');
}

int hvctl_cmd_cpu_list(hvctl_ctx *c, int argc, char **argv)
{
	hv_snap *a, *b;
	hv_rates *r;
	int rc;
	(void)argc, (void)argv;

	if ((rc = hvctl_take_two(c, c->interval >= 0 ? c->interval : 0.5, &a,
	                         &b, &r)))
		goto out;
	const hv_host *h = hv_snap_host(b);
	const hv_host_rate *hr = hv_rates_host(r);
	if (c->json) {
		cJSON *o = cJSON_CreateObject(), *arr;
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		cJSON_AddStringToObject(o, "arch", h->arch);
		cJSON_AddStringToObject(o, "cpu_model", h->cpu_model);
		cJSON_AddItemToObject(o, "interval_s",
		                      hvctl_jdbl(hv_rates_dt(r)));
		cJSON_AddItemToObject(o, "busy_pct", hvctl_jdbl(hr->busy_pct));
		arr = cJSON_AddArrayToObject(o, "cpus");
		for (uint32_t i = 0; i < h->nr_pcpu; i++)
			cJSON_AddItemToArray(
			    arr,
			    cpu_json(&h->pcpu[i],
			             i < hr->nr_pcpu ? &hr->pcpu[i] : NULL));
		rc = hvctl_print_json(o);
		goto out;
	}
	printf("%-4s %-6s %-7s %3s %4s %8s %-12s %6s  %s\n", "CPU", "ONLINE",
	       "HOTPLUG", "PKG", "CORE", "MHZ", "GOVERNOR", "BUSY%",
	       "C-STATE RESIDENCY %");
	for (uint32_t i = 0; i < h->nr_pcpu; i++)
		cpu_row(&h->pcpu[i], i < hr->nr_pcpu ? &hr->pcpu[i] : NULL);
	printf("host busy %s%% over %.2f s (%s backend; %s%s%s)\n",
	       hvctl_dbl((char[32]){0}, 32, hr->busy_pct, "%.1f"),
	       hv_rates_dt(r), hv_backend_name(c->b),
	       h->arch[0] ? h->arch : "arch unknown",
	       h->cpu_model[0] ? ", " : "", h->cpu_model);
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}

static int cpu_onoff(hvctl_ctx *c, char **argv, const char *val)
{
	uint64_t cpu;

	if (hv_parse_u64(argv[0], &cpu) || cpu >= HVCTL_MAXCPU) {
		hvctl_fail("bad CPU number \"%s\"", argv[0]);
		return HVCTL_USAGE;
	}
	int rc = hvctl_apply(c, "cpu/%u/online", val, false, (unsigned)cpu);
	hv_snap *s = NULL;
	/* Xen on ARM has no pCPU offline: the backend moved the CPU out of
	 * (or back into) a cpupool instead. Say so. */
	if (!rc && !c->json && !strcmp(hv_backend_name(c->b), "xen") &&
	    !hvctl_take(c, &s)) {
		if (hvctl_is_arm(hv_snap_host(s)))
			printf("cpu%u %s (Xen on ARM has no pCPU offline: "
			       "cpupools stand in for it)\n",
			       (unsigned)cpu,
			       val[0] == '1' ? "added to Pool-0"
			                     : "removed from its cpupool");
		hv_snap_unref(s);
	}
	return rc;
}

int hvctl_cmd_cpu_offline(hvctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	return cpu_onoff(c, argv, "0");
}

int hvctl_cmd_cpu_online(hvctl_ctx *c, int argc, char **argv)
{
	(void)argc;
	return cpu_onoff(c, argv, "1");
}
