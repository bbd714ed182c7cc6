/* SPDX-License-Identifier: MIT */
/* powercap RAPL zones: class/powercap/intel-rapl:N[:M] (AMD Fam17h+ uses
 * the same control type). The intel-rapl-mmio twin reports the same
 * package energy through MMIO and is skipped so nothing counts twice. */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hv/sysio.h"
#include "plat_int.h"

#define ZONE_PREFIX "intel-rapl:"

/* Order zones as their numbers: intel-rapl:0, :0:0, :0:1, :1, :10. */
static int zone_cmp(const void *a, const void *b)
{
	const char *x = ((const plat_rapl *)a)->zone + strlen(ZONE_PREFIX);
	const char *y = ((const plat_rapl *)b)->zone + strlen(ZONE_PREFIX);

	for (;;) {
		char *ex, *ey;
		unsigned long nx = strtoul(x, &ex, 10),
		              ny = strtoul(y, &ey, 10);
		if (nx != ny)
			return nx < ny ? -1 : 1;
		if (*ex != ':' || *ey != ':')
			return (*ex == ':') - (*ey == ':');
		x = ex + 1;
		y = ey + 1;
	}
}

static int zone_ok(const char *n)
{
	const char *s = n + strlen(ZONE_PREFIX);

	if (strncmp(n, ZONE_PREFIX, strlen(ZONE_PREFIX)) || !*s)
		return 0;
	for (; *s; s++)
		if ((*s < '0' || *s > '9') && *s != ':')
			return 0;
	return strlen(n) < sizeof(((plat_rapl *)0)->zone);
}

static int32_t pkg_of(const char *name)
{
	char *end;
	unsigned long n;

	if (strncmp(name, "package-", 8) || name[8] < '0' || name[8] > '9')
		return -1;
	n = strtoul(name + 8, &end, 10); /* "package-0-die-1" -> 0 */
	return n > INT32_MAX ? -1 : (int32_t)n;
}

int plat_rapl_discover(hv_plat *p, hv_err *err)
{
	char path[PATH_MAX];
	struct dirent *e;
	DIR *d = NULL;
	size_t cap = 0;
	int rc = 0;

	free(p->rapl);
	p->rapl = NULL;
	p->nrapl = 0;
	p->rapl_rediscover = 0;
	if (plat_path(p, HV_ROOT_SYS, path, sizeof(path), "class/powercap"))
		return hv_err_set(err, ENAMETOOLONG, "powercap path too long");
	d = opendir(path);
	if (!d)
		return 0; /* no powercap: no zones, not an error */
	while ((e = readdir(d))) {
		plat_rapl *z;
		char buf[64];
		if (!zone_ok(e->d_name))
			continue;
		if (p->nrapl == cap) {
			size_t nc = cap ? cap * 2 : 8;
			plat_rapl *nr = realloc(p->rapl, nc * sizeof(*nr));
			if (!nr) {
				rc = hv_err_set(err, ENOMEM, "out of memory");
				goto out;
			}
			p->rapl = nr;
			cap = nc;
		}
		z = &p->rapl[p->nrapl];
		memset(z, 0, sizeof(*z));
		snprintf(z->zone, sizeof(z->zone), "%s", e->d_name);
		if (plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		              "class/powercap/%s/name", z->zone) ||
		    hv_read_str(path, buf, sizeof(buf), NULL))
			continue; /* vanished or unreadable: not a zone */
		hv_sanitize_name(z->name, sizeof(z->name), buf, strlen(buf));
		z->pkg = pkg_of(z->name);
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "class/powercap/%s/max_energy_range_uj",
		               z->zone) &&
		    hv_read_u64(path, &z->max_range_uj, NULL))
			z->max_range_uj = 0; /* unknown wrap point */
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "class/powercap/%s/constraint_0_power_limit_uw",
		               z->zone))
			z->has_limit = (uint8_t)plat_has(path);
		p->nrapl++;
	}
	if (p->nrapl > 1)
		qsort(p->rapl, p->nrapl, sizeof(*p->rapl), zone_cmp);
out:
	closedir(d);
	return rc;
}

int plat_rapl_sample(hv_plat *p, hv_snap *s, hv_host *h, hv_err *err)
{
	char path[PATH_MAX];
	int rc;

	if (p->rapl_rediscover && (rc = plat_rapl_discover(p, err)))
		return rc;
	h->nr_rapl = 0;
	h->rapl = NULL;
	if (!p->nrapl)
		return 0;
	h->rapl = hv_snap_rapls(s, p->nrapl);
	if (!h->rapl)
		return hv_err_set(err, ENOMEM, "out of memory");
	h->nr_rapl = p->nrapl;
	for (uint32_t i = 0; i < p->nrapl; i++) {
		const plat_rapl *z = &p->rapl[i];
		hv_rapl *r = &h->rapl[i];
		uint64_t v;

		snprintf(r->name, sizeof(r->name), "%s", z->name);
		snprintf(r->path, sizeof(r->path), "%s", z->zone);
		r->pkg = z->pkg;
		r->max_range_uj = z->max_range_uj;
		r->energy_uj = hv_na(HV_NA_ERROR);
		if (!plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "class/powercap/%s/energy_uj", z->zone)) {
			/* root-only since 5.10 (CVE-2020-8694): EACCES ->
			 * unavailable, not an error. */
			rc = hv_read_u64(path, &v, NULL);
			if (rc == -ENOENT)
				p->rapl_rediscover = 1;
			r->energy_uj =
			    rc ? hv_na(plat_why(rc, HV_NA_UNAVAILABLE))
			       : hv_val(v);
		}
		r->limit_uw = hv_na(HV_NA_UNSUPPORTED);
		if (z->has_limit &&
		    !plat_path(p, HV_ROOT_SYS, path, sizeof(path),
		               "class/powercap/%s/constraint_0_power_limit_uw",
		               z->zone))
			r->limit_uw = plat_u64(path, HV_NA_UNAVAILABLE);
	}
	return 0;
}
