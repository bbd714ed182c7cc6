/* SPDX-License-Identifier: MIT */
/* hvctl freq [show] | freq set governor G | min KHZ | max KHZ | epp PREF */
#include <string.h>

#include "hvctl.h"

static cJSON *freq_json(const hv_pcpu *p)
{
	cJSON *e = cJSON_CreateObject(), *ps;

	cJSON_AddNumberToObject(e, "id", p->id);
	cJSON_AddStringToObject(e, "driver", p->driver);
	cJSON_AddStringToObject(e, "governor", p->governor);
	cJSON_AddItemToObject(e, "cur_khz", hvctl_ju64(p->cur_khz));
	cJSON_AddItemToObject(e, "min_khz", hvctl_ju64(p->min_khz));
	cJSON_AddItemToObject(e, "max_khz", hvctl_ju64(p->max_khz));
	cJSON_AddItemToObject(e, "hw_min_khz", hvctl_ju64(p->hw_min_khz));
	cJSON_AddItemToObject(e, "hw_max_khz", hvctl_ju64(p->hw_max_khz));
	cJSON_AddStringToObject(e, "epp", p->epp);
	ps = cJSON_AddArrayToObject(e, "pstates");
	for (uint32_t k = 0; k < p->nr_pstate; k++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddNumberToObject(x, "khz", (double)p->pstate[k].khz);
		cJSON_AddItemToObject(x, "time_s",
		                      hvctl_jscaled(p->pstate[k].time_ns, 1e-9,
		                                    HVCTL_JSON_DECIMALS));
		cJSON_AddItemToArray(ps, x);
	}
	return e;
}

static void freq_row(const hv_pcpu *p)
{
	char b[5][32];

	printf("%-4u %-14s %-12s %8s %8s %8s %8s %8s %-20s", p->id,
	       p->driver[0] ? p->driver : "-",
	       p->governor[0] ? p->governor : "-",
	       hvctl_u64s(b[0], 32, p->cur_khz, 1e-3, "%.0f"),
	       hvctl_u64s(b[1], 32, p->min_khz, 1e-3, "%.0f"),
	       hvctl_u64s(b[2], 32, p->max_khz, 1e-3, "%.0f"),
	       hvctl_u64s(b[3], 32, p->hw_min_khz, 1e-3, "%.0f"),
	       hvctl_u64s(b[4], 32, p->hw_max_khz, 1e-3, "%.0f"),
	       p->epp[0] ? p->epp : "-");
	for (uint32_t k = 0; k < p->nr_pstate; k++)
		printf(
		    " %.0f:%s", (double)p->pstate[k].khz / 1e3,
		    hvctl_u64s(b[0], 32, p->pstate[k].time_ns, 1e-9, "%.2fs"));
	putchar('\n');
}

int hvctl_cmd_freq_show(hvctl_ctx *c, int argc, char **argv)
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
		cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
		if (h->freq_note[0])
			cJSON_AddStringToObject(o, "note", h->freq_note);
		arr = cJSON_AddArrayToObject(o, "cpus");
	} else {
		printf("%-4s %-14s %-12s %8s %8s %8s %8s %8s %-20s %s\n", "CPU",
		       "DRIVER", "GOVERNOR", "CUR_MHZ", "MIN_MHZ", "MAX_MHZ",
		       "HWMIN", "HWMAX", "EPP", "P-STATES");
	}
	for (uint32_t i = 0; i < h->nr_pcpu; i++) {
		const hv_pcpu *p = &h->pcpu[i];
		if (c->cpus && !hvctl_cpu_selected(c, bits, p))
			continue;
		if (arr)
			cJSON_AddItemToArray(arr, freq_json(p));
		else
			freq_row(p);
	}
	if (!o && h->freq_note[0])
		printf("note: %s\n", h->freq_note);
	hv_snap_unref(s);
	return o ? hvctl_print_json(o) : 0;
}

int hvctl_cmd_freq_set(hvctl_ctx *c, int argc, char **argv)
{
	static const struct {
		const char *word, *knob;
	} map[] = {{"governor", "cpu/%u/governor"},
	           {"min", "cpu/%u/min_khz"},
	           {"max", "cpu/%u/max_khz"},
	           {"epp", "cpu/%u/epp"}};
	(void)argc;

	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (!strcmp(argv[0], map[i].word))
			return hvctl_apply(c, map[i].knob, argv[1], true, 0);
	hvctl_fail("freq set: unknown setting \"%s\" (governor, min, max, "
	           "epp)",
	           argv[0]);
	return HVCTL_USAGE;
}
