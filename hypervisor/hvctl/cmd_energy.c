/* SPDX-License-Identifier: MIT */
/* hvctl energy: the host's energy source and its power. RAPL zones
 * (powercap) where present, hwmon power and energy sensors (scmi_sensors,
 * power_meter, ...) otherwise; both are listed when both exist. */
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

static cJSON *sensor_json(const hv_hwmon *z, double watts)
{
	cJSON *e = cJSON_CreateObject();
	hv_u64 v = z->kind == HV_HWMON_ENERGY ? z->energy_uj : z->power_uw;

	cJSON_AddStringToObject(e, "sensor", z->path);
	cJSON_AddStringToObject(e, "chip", z->chip);
	cJSON_AddStringToObject(e, "label", z->label);
	cJSON_AddStringToObject(
	    e, "kind", z->kind == HV_HWMON_ENERGY ? "energy" : "power");
	cJSON_AddBoolToObject(e, "counted", z->zone);
	cJSON_AddItemToObject(e, "energy_j",
	                      hvctl_jscaled(z->energy_uj, 1e-6, 6));
	cJSON_AddItemToObject(e, "watts", hvctl_jdbl(watts));
	if (z->interval_ms)
		cJSON_AddNumberToObject(e, "interval_ms", z->interval_ms);
	if (!hv_ok(v))
		cJSON_AddStringToObject(e, "why", hv_why_str((hv_why)v.why));
	return e;
}

/* Which source, or why there is none. The platform layer says it; a
 * backend without one (Xen) gets the reason from here. */
static const char *source_note(const hv_host *h)
{
	if (h->energy_note[0])
		return h->energy_note;
	if (h->nr_rapl)
		return "RAPL (powercap)";
	if (hvctl_is_arm(h))
		return "no energy source on this host: RAPL is x86 only, and "
		       "this backend reads no hwmon sensors";
	return "no energy source: no RAPL zones on this host";
}

static int energy_json(const hvctl_ctx *c, const hv_host *h,
                       const hv_host_rate *hr, double dt)
{
	cJSON *o = cJSON_CreateObject(), *arr;

	cJSON_AddStringToObject(o, "backend", hv_backend_name(c->b));
	cJSON_AddItemToObject(o, "interval_s", hvctl_jdbl(dt));
	cJSON_AddStringToObject(o, "source", hv_energy_src_str(hr->energy_src));
	cJSON_AddItemToObject(o, "pkg_watts", hvctl_jdbl(hr->pkg_watts));
	cJSON_AddItemToObject(o, "host_watts", hvctl_jdbl(hr->host_watts));
	arr = cJSON_AddArrayToObject(o, "zones");
	for (uint32_t i = 0; i < h->nr_rapl; i++)
		cJSON_AddItemToArray(
		    arr, zone_json(&h->rapl[i],
		                   i < hr->nr_rapl ? hr->rapl[i].watts : NAN));
	arr = cJSON_AddArrayToObject(o, "sensors");
	for (uint32_t i = 0; i < h->nr_hwmon; i++)
		cJSON_AddItemToArray(
		    arr,
		    sensor_json(&h->hwmon[i],
		                i < hr->nr_hwmon ? hr->hwmon[i].watts : NAN));
	cJSON_AddStringToObject(o, "note", source_note(h));
	return hvctl_print_json(o);
}

static void rapl_table(const hv_host *h, const hv_host_rate *hr)
{
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
}

/* ENERGY_J for a counter, "-" for a power sensor, the why when missing. */
static void hwmon_table(const hv_host *h, const hv_host_rate *hr)
{
	printf("%-30s %-14s %-16s %5s %16s %10s\n", "SENSOR", "CHIP", "LABEL",
	       "ZONE", "ENERGY_J", "WATTS");
	for (uint32_t i = 0; i < h->nr_hwmon; i++) {
		const hv_hwmon *z = &h->hwmon[i];
		hv_u64 v =
		    z->kind == HV_HWMON_ENERGY ? z->energy_uj : z->power_uw;
		char b1[32], b2[32];
		printf("%-30s %-14s %-16s %5s %16s %10s\n", z->path, z->chip,
		       z->label[0] ? z->label : "-", z->zone ? "yes" : "no",
		       !hv_ok(v) ? hv_why_str((hv_why)v.why)
		       : z->kind == HV_HWMON_ENERGY
		           ? hvctl_u64s(b1, 32, z->energy_uj, 1e-6, "%.3f")
		           : "-",
		       hvctl_dbl(b2, 32,
		                 i < hr->nr_hwmon ? hr->hwmon[i].watts : NAN,
		                 "%.2f"));
	}
}

static void energy_table(const hv_host *h, const hv_host_rate *hr, double dt)
{
	printf("source: %s\n", source_note(h));
	if (h->nr_rapl)
		rapl_table(h, hr);
	if (h->nr_hwmon)
		hwmon_table(h, hr);
	if (hr->energy_src != HV_ESRC_NONE)
		printf("%s %s W over %.2f s (%s)\n",
		       hr->energy_src == HV_ESRC_RAPL ? "packages" : "host",
		       hvctl_dbl((char[32]){0}, 32, hr->host_watts, "%.2f"), dt,
		       hv_energy_src_str(hr->energy_src));
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
