/* SPDX-License-Identifier: MIT */
/* hvctl energy: RAPL energy and power per powercap zone. */
#include <math.h>

#include "hvctl.h"

static cJSON *zone_json(const hv_rapl *z, double watts)
{
	cJSON *e = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "zone", z->path);
	cJSON_AddStringToObject(e, "name", z->name);
	cJSON_AddNumberToObject(e, "pkg", z->pkg);
	/* Energy keeps the counter's microjoules. */
	cJSON_AddItemToObject(e, "energy_j",
	                      hvctl_jscaled(z->energy_uj, 1e-6, 6));
	cJSON_AddItemToObject(e, "watts", hvctl_jdbl(watts));
	if (!hv_ok(z->energy_uj))
		cJSON_AddStringToObject(e, "why",
		                        hv_why_str((hv_why)z->energy_uj.why));
	return e;
}

/* Why a host has no energy source: RAPL is x86 only. */
static const char *no_energy_why(const hv_host *h)
{
	if (hvctl_is_arm(h))
		return "no energy source on this host: RAPL is x86 only, and "
		       "hvkit does not read hwmon/SCMI energy sensors yet";
	return "no RAPL zones on this host (no powercap intel-rapl)";
}

static int energy_json(const hvctl_ctx *c, const hv_host *h,
                       const hv_host_rate *hr, double dt)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
	cJSON_AddItemToObject(o, "interval_s", hvctl_jdbl(dt));
	cJSON_AddItemToObject(o, "pkg_watts", hvctl_jdbl(hr->pkg_watts));
	arr = cJSON_AddArrayToObject(o, "zones");
	for (uint32_t i = 0; i < h->nr_rapl; i++)
		cJSON_AddItemToArray(
		    arr, zone_json(&h->rapl[i],
		                   i < hr->nr_rapl ? hr->rapl[i].watts : NAN));
	if (!h->nr_rapl)
		cJSON_AddStringToObject(o, "note", no_energy_why(h));
	return hvctl_print_json(o);
}

static void energy_table(const hv_host *h, const hv_host_rate *hr, double dt)
{
	if (!h->nr_rapl) {
		printf("%s\n", no_energy_why(h));
		return;
	}
	printf("%-16s %-12s %4s %16s %10s\n", "ZONE", "NAME", "PKG", "ENERGY_J",
	       "WATTS");
	for (uint32_t i = 0; i < h->nr_rapl; i++) {
		const hv_rapl *z = &h->rapl[i];
		char b1[32], b2[32];
		printf("%-16s %-12s %4d %16s %10s\n", z->path, z->name, z->pkg,
		       hv_ok(z->energy_uj)
		           ? hvctl_u64s(b1, 32, z->energy_uj, 1e-6, "%.3f")
		           : hv_why_str((hv_why)z->energy_uj.why),
		       hvctl_dbl(b2, 32,
		                 i < hr->nr_rapl ? hr->rapl[i].watts : NAN,
		                 "%.2f"));
	}
	printf("packages %s W over %.2f s\n",
	       hvctl_dbl((char[32]){0}, 32, hr->pkg_watts, "%.2f"), dt);
}

int hvctl_cmd_energy(hvctl_ctx *c, int argc, char **argv)
{
	hv_snap *a, *b;
	hv_rates *r;
	int rc;
	(void)argc, (void)argv;

	if ((rc = hvctl_take_two(c, c->interval >= 0 ? c->interval : 1.0, &a,
	                         &b, &r)))
		goto out;
	if (c->json)
		rc = energy_json(c, hv_snap_host(b), hv_rates_host(r),
		                 hv_rates_dt(r));
	else
		energy_table(hv_snap_host(b), hv_rates_host(r), hv_rates_dt(r));
out:
	hv_rates_free(r);
	hv_snap_unref(a);
	hv_snap_unref(b);
	return rc;
}
