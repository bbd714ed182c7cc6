/* SPDX-License-Identifier: MIT */
/* hwmon power and energy sensors (class/hwmon/hwmonN, the kernel's hwmon
 * sysfs ABI): the host's energy source where there is no RAPL (arm64
 * servers: scmi_sensors, apm_xgene; ACPI power meters anywhere).
 *
 * Attributes are in hwmonN/, or for drivers that register the hwmon device
 * without attributes (acpi_power_meter before its hwmon-info conversion)
 * in hwmonN/device/, as libsensors and node_exporter look for them.
 * energyN_input is a cumulative microjoule counter; powerN_average (else
 * powerN_input) a reading in microwatts. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

#define HWMON_MAX 4096 /* sensors kept; more is not a real host */

static int sensor_cmp(const void *a, const void *b)
{
	const plat_hwmon *x = a, *y = b;

	if (x->hw != y->hw)
		return x->hw < y->hw ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* "power12_average" -> kind power, idx 12, suffix "average". Only the
 * files that carry a value: energyN_input, powerN_input, powerN_average. */
static int sensor_file(const char *n, uint8_t *kind, uint32_t *idx, int *avg)
{
	const char *s;
	char *end;
	unsigned long v;

	if (!strncmp(n, "energy", 6)) {
		*kind = HV_HWMON_ENERGY;
		s = n + 6;
	} else if (!strncmp(n, "power", 5)) {
		*kind = HV_HWMON_POWER;
		s = n + 5;
	} else {
		return 0;
	}
	if (*s < '1' || *s > '9')
		return 0;
	v = strtoul(s, &end, 10);
	if (v > 0xffff)
		return 0;
	*idx = (uint32_t)v;
	*avg = !strcmp(end, "_average");
	if (*avg)
		return *kind == HV_HWMON_POWER;
	return !strcmp(end, "_input");
}

/* A new zeroed sensor at the end of p->hwmon, NULL on ENOMEM. */
static plat_hwmon *new_sensor(hv_plat *p, size_t *cap, hv_err *err)
{
	plat_hwmon *z;

	if (p->nhwmon >= *cap) {
		size_t nc = *cap ? *cap * 2 : 8;
		plat_hwmon *n = realloc(p->hwmon, nc * sizeof(*n));
		if (!n) {
			hv_err_set(err, ENOMEM, "hwmon: out of memory");
			return NULL;
		}
		p->hwmon = n;
		*cap = nc;
	}
	z = &p->hwmon[p->nhwmon++];
	memset(z, 0, sizeof(*z));
	return z;
}

/* Label and averaging interval of a new sensor, both optional. */
static void sensor_meta(hv_plat *p, plat_hwmon *z)
{
	const char *t = z->kind == HV_HWMON_ENERGY ? "energy" : "power";
	char path[PATH_MAX], buf[64];
	uint64_t v;

	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               "class/hwmon/%s/%s%u_label", z->dir, t, z->idx) &&
	    !hv_read_str(path, buf, sizeof(buf), NULL))
		hv_sanitize_name(z->label, sizeof(z->label), buf, strlen(buf));
	if (strstr(z->file, "_average") &&
	    !plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	               "class/hwmon/%s/power%u_average_interval", z->dir,
	               z->idx) &&
	    !hv_read_u64(path, &v, NULL) && v <= UINT32_MAX)
		z->interval_ms = (uint32_t)v;
}

/* powerN_input next to powerN_average: the average is the one kept. */
static int has_average(hv_plat *p, const char *dir, uint32_t idx)
{
	char path[PATH_MAX];

	return !plat_path(p, HV_ROOT_SYS, path, sizeof(path),
	                  "class/hwmon/%s/power%u_average", dir, idx) &&
	       plat_has(path);
}

/* The chip's attribute directory and name: hwmonN/name, else the legacy
 * hwmonN/device/name. 0 when found, -1 for a nameless chip (skipped). */
static int chip_dir(hv_plat *p, uint32_t hw, char *dir, size_t dlen, char *name,
                    size_t nlen)
{
	static const char *const fmt[] = {"hwmon%u", "hwmon%u/device"};
	char path[PATH_MAX], buf[64];

	for (int i = 0; i < 2; i++) {
		snprintf(dir, dlen, fmt[i], hw);
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "class/hwmon/%s/name", dir) &&
		    !hv_read_str(path, buf, sizeof(buf), NULL)) {
			hv_sanitize_name(name, nlen, buf, strlen(buf));
			return 0;
		}
	}
	return -1;
}

/* Remember a chip with no power or energy sensor, for the note. */
static void note_none(hv_plat *p, const char *name)
{
	size_t n = strlen(p->hwmon_none);

	if (strstr(p->hwmon_none, name))
		return;
	snprintf(p->hwmon_none + n, sizeof(p->hwmon_none) - n, "%s%s",
	         n ? ", " : "", name);
}

static int chip_scan(hv_plat *p, uint32_t hw, size_t *cap, hv_err *err)
{
	char dir[40], name[32], path[PATH_MAX];
	uint32_t before = p->nhwmon;
	struct dirent *e;
	DIR *d = NULL;
	int rc = 0;

	if (chip_dir(p, hw, dir, sizeof(dir), name, sizeof(name)) ||
	    plat_path(p, HV_ROOT_SYS, path, sizeof(path), "class/hwmon/%s",
	              dir) ||
	    !(d = opendir(path)))
		return 0; /* nameless or vanished: not a chip we can read */
	while ((e = readdir(d)) && p->nhwmon < HWMON_MAX) {
		plat_hwmon *z;
		uint8_t kind;
		uint32_t idx;
		int avg;
		if (!sensor_file(e->d_name, &kind, &idx, &avg) ||
		    strlen(e->d_name) >= sizeof(z->file) ||
		    (kind == HV_HWMON_POWER && !avg &&
		     has_average(p, dir, idx)))
			continue;
		if (!(z = new_sensor(p, cap, err))) {
			rc = -ENOMEM;
			goto out;
		}
		snprintf(z->dir, sizeof(z->dir), "%s", dir);
		snprintf(z->file, sizeof(z->file), "%s", e->d_name);
		snprintf(z->chip, sizeof(z->chip), "%s", name);
		z->hw = hw;
		z->idx = idx;
		z->kind = kind;
		sensor_meta(p, z);
	}
	if (p->nhwmon == before)
		note_none(p, name);
out:
	closedir(d);
	return rc;
}

/* hwmonN entries of class/hwmon, in numeric order. */
static int list_chips(hv_plat *p, uint32_t **out, size_t *n, hv_err *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	size_t cap = 0;
	DIR *d;
	int rc = 0;

	*out = NULL;
	*n = 0;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), "class/hwmon"))
		return hv_err_set(err, ENAMETOOLONG, "hwmon path too long");
	if (!(d = opendir(path)))
		return 0; /* no hwmon class: no sensors, not an error */
	while ((e = readdir(d))) {
		long v = plat_numbered(e->d_name, "hwmon");
		if (v < 0)
			continue;
		if (*n == cap) {
			uint32_t *nl =
			    realloc(*out, (cap ? cap * 2 : 8) * sizeof(**out));
			if (!nl) {
				rc = hv_err_set(err, ENOMEM,
				                "hwmon: out of memory");
				goto out;
			}
			*out = nl;
			cap = cap ? cap * 2 : 8;
		}
		(*out)[(*n)++] = (uint32_t)v;
	}
	if (*n > 1)
		qsort(*out, *n, sizeof(**out), plat_u32_cmp);
out:
	closedir(d);
	return rc;
}

int plat_hwmon_discover(hv_plat *p, hv_err *err)
{
	uint32_t *hw = NULL;
	size_t n = 0, cap = 0;
	int rc;

	free(p->hwmon);
	p->hwmon = NULL;
	p->nhwmon = 0;
	p->hwmon_rediscover = 0;
	p->hwmon_none[0] = '\0';
	if ((rc = list_chips(p, &hw, &n, err)))
		goto out;
	for (size_t i = 0; i < n; i++)
		if ((rc = chip_scan(p, hw[i], &cap, err)))
			goto out;
	if (p->nhwmon > 1)
		qsort(p->hwmon, p->nhwmon, sizeof(*p->hwmon), sensor_cmp);
out:
	free(hw);
	return rc;
}

static int amd_core(const plat_hwmon *z)
{
	return !strcmp(z->chip, "amd_energy") && !strncmp(z->label, "Ecore", 5);
}

/* Chips that measure one device, not the host: GPUs (i915 and xe count
 * energy, amdgpu, radeon and nouveau read power). Shown, never the source:
 * a GPU's power shared out by CPU time would be no domain's energy. */
static int device_chip(const char *chip)
{
	static const char *const dev[] = {"amdgpu", "i915", "nouveau", "radeon",
	                                  "xe"};

	for (size_t i = 0; i < sizeof(dev) / sizeof(dev[0]); i++)
		if (!strcmp(chip, dev[i]))
			return 1;
	return 0;
}

/* Which sensors are the host's energy source. None when there is RAPL (it
 * is preferred). Else the sensors of the first chip (lowest hwmonN) with
 * energy counters, else of the first with power sensors, and those of the
 * same kind on every chip of the same name (one power meter per supply add
 * up). A chip's sensors are summed, except amd_energy's per-core counters
 * ("Ecore000"), which its per-socket ones ("Esocket0") already contain. */
static const plat_hwmon *choose(hv_plat *p)
{
	const plat_hwmon *best = NULL;

	for (uint32_t i = 0; i < p->nhwmon; i++)
		p->hwmon[i].zone = 0;
	if (p->nrapl)
		return NULL;
	for (int k = HV_HWMON_ENERGY; k <= HV_HWMON_POWER && !best; k++)
		for (uint32_t i = 0; i < p->nhwmon && !best; i++)
			if (p->hwmon[i].kind == k &&
			    !device_chip(p->hwmon[i].chip))
				best = &p->hwmon[i];
	for (uint32_t i = 0; best && i < p->nhwmon; i++) {
		plat_hwmon *z = &p->hwmon[i];
		z->zone = z->kind == best->kind &&
		          !strcmp(z->chip, best->chip) && !amd_core(z);
	}
	return best;
}

static void energy_note(const hv_plat *p, const plat_hwmon *best, hv_host *h,
                        const char *bad)
{
	char *o = h->energy_note;
	size_t len = sizeof(h->energy_note), n = 0;
	int x86 = !p->arch[0] || !strncmp(p->arch, "x86", 3);

	for (uint32_t i = 0; i < p->nhwmon; i++)
		n += p->hwmon[i].zone;
	if (p->nrapl)
		snprintf(o, len, "RAPL (powercap)%s",
		         p->nhwmon ? "; hwmon sensors shown, not counted" : "");
	else if (best && best->kind == HV_HWMON_ENERGY)
		snprintf(o, len, "hwmon %s: %zu energy counter%s (no RAPL)",
		         best->chip, n, n == 1 ? "" : "s");
	else if (best)
		snprintf(o, len,
		         "hwmon %s: %zu power sensor%s, no energy counter: "
		         "domain energy is integrated from readings "
		         "(estimated)",
		         best->chip, n, n == 1 ? "" : "s");
	else if (p->nhwmon)
		snprintf(o, len,
		         "no energy source: %s; hwmon power and energy "
		         "sensors only on devices (%s), not the host's",
		         x86 ? "no RAPL zones (no powercap intel-rapl)"
		             : "RAPL is x86 only",
		         p->hwmon[0].chip);
	else
		snprintf(o, len, "no energy source: %s; %s%s",
		         x86 ? "no RAPL zones (no powercap intel-rapl)"
		             : "RAPL is x86 only",
		         p->hwmon_none[0]
		             ? "no power or energy sensor on hwmon "
		               "chips "
		             : "no hwmon chips",
		         p->hwmon_none);
	n = strlen(o);
	if (bad[0])
		snprintf(o + n, len - n, "; %s", bad);
}

static void sensor_read(hv_plat *p, const plat_hwmon *z, hv_hwmon *o, char *bad,
                        size_t blen)
{
	char path[PATH_MAX];
	uint64_t v;
	hv_u64 r;
	int rc = -ENAMETOOLONG;

	snprintf(o->chip, sizeof(o->chip), "%s", z->chip);
	snprintf(o->label, sizeof(o->label), "%s", z->label);
	snprintf(o->path, sizeof(o->path), "%s/%s", z->dir, z->file);
	o->kind = z->kind;
	o->zone = z->zone;
	o->interval_ms = z->interval_ms;
	if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path), "class/hwmon/%s/%s",
	               z->dir, z->file))
		rc = hv_read_u64(path, &v, NULL);
	if (rc == -ENOENT)
		p->hwmon_rediscover = 1; /* driver unloaded: rescan */
	/* amd_energy's files are root-only (0400): unavailable, not 0. */
	r = rc ? hv_na(plat_why(rc, HV_NA_UNAVAILABLE)) : hv_val(v);
	if (r.why == HV_NA_ERROR && !bad[0])
		snprintf(bad, blen, "%s: %s", o->path,
		         rc == -EINVAL ? "not a number" : strerror(-rc));
	if (z->kind == HV_HWMON_ENERGY)
		o->energy_uj = r;
	else
		o->power_uw = r;
}

int plat_hwmon_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err)
{
	const plat_hwmon *best;
	char bad[64] = "";
	hv_hwmon *o = NULL;
	int rc;

	if (p->hwmon_rediscover && (rc = plat_hwmon_discover(p, err)))
		return rc;
	best = choose(p);
	h->nr_hwmon = 0;
	h->hwmon = NULL;
	if (p->nhwmon && !(o = hv_snap_hwmons(s, p->nhwmon)))
		return hv_err_set(err, ENOMEM, "hwmon: out of memory");
	for (uint32_t i = 0; o && i < p->nhwmon; i++)
		sensor_read(p, &p->hwmon[i], &o[i], bad, sizeof(bad));
	energy_note(p, best, h, bad);
	return 0;
}
